//! The encryption of personal data at rest, pure functions of their
//! inputs: a petition's keys, sealing and opening a signature's personal
//! data under them, and wrapping them under a master key. `vault` keeps
//! the keys; `db` may use these (seeding) but never the vault.
//!
//! Every value is XChaCha20-Poly1305 with a random 192-bit nonce:
//! `version ‖ nonce ‖ ciphertext and tag`. Its associated data binds it to
//! where it belongs, so that a ciphertext moved to another row, petition or
//! column fails to open.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::domain::{EmailAddress, Personal};

/// The first byte of every sealed value and wrapped key: its format.
const VERSION: u8 = 1;
const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;
/// The domain of a signature's sealed personal data (its associated data
/// begins with this).
const PERSONAL_AD: &[u8] = b"undersigned/personal/v1\0";
/// The column a signature's sealed personal data lives in: part of its
/// associated data, so that it cannot pass for any other column's value.
pub const PERSONAL_COLUMN: &[u8] = b"signatures.personal";
/// The domain of a petition's wrapped keys.
const WRAP_AD: &[u8] = b"undersigned/petition-keys/v1\0";
/// The domain of a master key's identifier.
const KEY_ID_LABEL: &[u8] = b"undersigned/master-key-id/v1";

type HmacSha256 = Hmac<Sha256>;

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = <HmacSha256 as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!("HMAC takes any key"));
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// 32 random bytes from the operating system's generator.
pub fn random_key() -> Zeroizing<[u8; 32]> {
    let mut key = Zeroizing::new([0u8; 32]);
    rand::rng().fill_bytes(key.as_mut());
    key
}

/// Why a value or a wrapped key would not open.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    /// Not in a format this version writes.
    #[error("not a sealed value of a known format")]
    Format,
    /// The tag did not match: a wrong key, or the bytes or the row changed.
    #[error("failed authentication (a wrong key, or the stored bytes were changed or moved)")]
    Authentication,
}

fn seal_bytes(cipher: &XChaCha20Poly1305, ad: &[u8], plaintext: &[u8]) -> Vec<u8> {
    let mut nonce = [0u8; NONCE_LEN];
    rand::rng().fill_bytes(&mut nonce);
    // Encryption fails only for plaintexts beyond 2^38 bytes.
    let ciphertext = cipher
        .encrypt(XNonce::from_slice(&nonce), Payload { msg: plaintext, aad: ad })
        .unwrap_or_else(|_| unreachable!("a value this small always encrypts"));
    let mut out = Vec::with_capacity(1 + NONCE_LEN + ciphertext.len());
    out.push(VERSION);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&ciphertext);
    out
}

fn open_bytes(cipher: &XChaCha20Poly1305, ad: &[u8], sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, OpenError> {
    if sealed.len() < 1 + NONCE_LEN + TAG_LEN || sealed[0] != VERSION {
        return Err(OpenError::Format);
    }
    let (nonce, ciphertext) = sealed[1..].split_at(NONCE_LEN);
    cipher
        .decrypt(XNonce::from_slice(nonce), Payload { msg: ciphertext, aad: ad })
        .map(Zeroizing::new)
        .map_err(|_| OpenError::Authentication)
}

/// The associated data of a signature's personal data.
fn personal_ad(petition_id: i64, email_key: &[u8]) -> Vec<u8> {
    [PERSONAL_AD, &petition_id.to_be_bytes(), email_key, PERSONAL_COLUMN].concat()
}

/// A petition's keys: the data key its signatures' personal data is sealed
/// under, and the key of its addresses' keyed hashes (deduplication).
/// Destroying them (erasure) or every master key they were wrapped under
/// (rotation) leaves that data unreadable and those hashes untestable.
#[derive(Clone)]
pub struct PetitionKeys {
    petition_id: i64,
    cipher: XChaCha20Poly1305,
    raw: Zeroizing<[u8; 64]>,
}

impl std::fmt::Debug for PetitionKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PetitionKeys({}, <redacted>)", self.petition_id)
    }
}

impl PetitionKeys {
    /// Fresh keys for a new petition.
    pub fn generate(petition_id: i64) -> Self {
        Self::from_parts(petition_id, &random_key(), &random_key())
    }

    /// Keys whose hash key is `hash` (a petition signed before keys were
    /// per petition keeps the hash key its rows were made with).
    pub fn from_parts(petition_id: i64, data: &[u8; 32], hash: &[u8; 32]) -> Self {
        let mut raw = Zeroizing::new([0u8; 64]);
        raw[..32].copy_from_slice(data);
        raw[32..].copy_from_slice(hash);
        Self { petition_id, cipher: XChaCha20Poly1305::new(data.into()), raw }
    }

    pub fn petition_id(&self) -> i64 {
        self.petition_id
    }

    /// The hash key, for tests that look for it where it must not be.
    pub fn hash_key(&self) -> &[u8] {
        &self.raw[32..]
    }

    /// The deduplication key of an address: HMAC-SHA256 of its canonical
    /// form under this petition's hash key.
    pub fn email_key(&self, email: &EmailAddress) -> [u8; 32] {
        hmac(self.hash_key(), email.canonical().as_bytes())
    }

    /// Seals a signature's personal data, bound to this petition, to the
    /// signer's keyed hash and to its column.
    pub fn seal(&self, email_key: &[u8], personal: &Personal) -> Vec<u8> {
        // Serialising plain strings cannot fail.
        let plaintext =
            Zeroizing::new(serde_json::to_vec(personal).unwrap_or_else(|_| unreachable!("strings always serialise")));
        seal_bytes(&self.cipher, &personal_ad(self.petition_id, email_key), &plaintext)
    }

    /// Opens what [`seal`](Self::seal) sealed for the same signer.
    pub fn open(&self, email_key: &[u8], sealed: &[u8]) -> Result<Personal, OpenError> {
        let plaintext = open_bytes(&self.cipher, &personal_ad(self.petition_id, email_key), sealed)?;
        serde_json::from_slice(&plaintext).map_err(|_| OpenError::Format)
    }
}

/// A master key: wraps the petitions' keys, is never stored in the
/// database, and is named there only by its identifier.
#[derive(Clone)]
pub struct MasterKey {
    id: String,
    cipher: XChaCha20Poly1305,
    raw: Zeroizing<[u8; 32]>,
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MasterKey({}, <redacted>)", self.id)
    }
}

impl PartialEq for MasterKey {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl MasterKey {
    pub fn generate() -> Self {
        Self::from_bytes(&random_key())
    }

    pub fn from_bytes(raw: &[u8; 32]) -> Self {
        let id = format!("mk-{}", hex::encode(&hmac(raw, KEY_ID_LABEL)[..6]));
        Self { id, cipher: XChaCha20Poly1305::new(raw.into()), raw: Zeroizing::new(*raw) }
    }

    /// A master key as configured: the base64 of 32 bytes.
    pub fn parse(s: &str) -> Result<Self, String> {
        use base64::Engine;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(s.trim())
            .ok()
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .ok_or("a master key must be the base64 of 32 bytes (e.g. `openssl rand -base64 32`)")?;
        Ok(Self::from_bytes(&bytes))
    }

    /// As configured: the base64 of its 32 bytes.
    pub fn encode(&self) -> String {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(self.raw.as_ref())
    }

    /// Its identifier (`mk-` and 12 hex digits): stored beside what it
    /// wrapped, and safe to print; it tells nothing about the key.
    pub fn id(&self) -> &str {
        &self.id
    }

    fn wrap_ad(&self, petition_id: i64) -> Vec<u8> {
        [WRAP_AD, &petition_id.to_be_bytes(), self.id.as_bytes()].concat()
    }

    /// A petition's keys, encrypted under this key and bound to the petition.
    pub fn wrap(&self, keys: &PetitionKeys) -> Vec<u8> {
        seal_bytes(&self.cipher, &self.wrap_ad(keys.petition_id), keys.raw.as_ref())
    }

    /// The keys of `petition_id` that [`wrap`](Self::wrap) wrapped.
    pub fn unwrap(&self, petition_id: i64, wrapped: &[u8]) -> Result<PetitionKeys, OpenError> {
        let raw = open_bytes(&self.cipher, &self.wrap_ad(petition_id), wrapped)?;
        let (data, hash) = raw.split_at(32);
        match (<&[u8; 32]>::try_from(data), <&[u8; 32]>::try_from(hash)) {
            (Ok(data), Ok(hash)) => Ok(PetitionKeys::from_parts(petition_id, data, hash)),
            _ => Err(OpenError::Format),
        }
    }
}

/// Parses a signing key given as base64 of its 32-byte seed.
pub fn parse_signing_key(s: &str) -> Option<ed25519_dalek::SigningKey> {
    use base64::Engine;
    let bytes: [u8; 32] = base64::engine::general_purpose::STANDARD.decode(s.trim()).ok()?.try_into().ok()?;
    Some(ed25519_dalek::SigningKey::from_bytes(&bytes))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn ada() -> Personal {
        Personal { email: "ada@example.com".into(), name: "Ada Lovelace".into(), postcode: Some("N1 9GU".into()) }
    }

    #[test]
    fn sealed_personal_data_opens_only_where_it_was_sealed() {
        let keys = PetitionKeys::generate(7);
        let sealed = keys.seal(&[1; 32], &ada());
        assert_eq!(keys.open(&[1; 32], &sealed), Ok(ada()));
        assert_eq!(keys.open(&[2; 32], &sealed), Err(OpenError::Authentication), "another signer's row");
        let other_petition = PetitionKeys::from_parts(8, &keys.raw[..32].try_into().unwrap(), &[0; 32]);
        assert_eq!(other_petition.open(&[1; 32], &sealed), Err(OpenError::Authentication), "another petition");
        assert_eq!(PetitionKeys::generate(7).open(&[1; 32], &sealed), Err(OpenError::Authentication), "another key");
        assert_ne!(keys.seal(&[1; 32], &ada()), sealed, "a fresh nonce each time");
    }

    #[test]
    fn a_changed_byte_anywhere_fails_authentication() {
        let keys = PetitionKeys::generate(1);
        let sealed = keys.seal(&[1; 32], &ada());
        for i in 1..sealed.len() {
            let mut changed = sealed.clone();
            changed[i] ^= 0x01;
            assert_eq!(keys.open(&[1; 32], &changed), Err(OpenError::Authentication), "byte {i}");
        }
        let mut version = sealed.clone();
        version[0] = 2;
        assert_eq!(keys.open(&[1; 32], &version), Err(OpenError::Format));
        assert_eq!(keys.open(&[1; 32], &sealed[..sealed.len() - 1]), Err(OpenError::Authentication));
        assert_eq!(keys.open(&[1; 32], &sealed[..20]), Err(OpenError::Format));
    }

    #[test]
    fn wrapped_keys_open_only_under_their_master_key_and_petition() {
        let master = MasterKey::generate();
        let keys = PetitionKeys::generate(3);
        let wrapped = master.wrap(&keys);
        let unwrapped = master.unwrap(3, &wrapped).unwrap();
        let sealed = keys.seal(&[9; 32], &ada());
        assert_eq!(unwrapped.open(&[9; 32], &sealed), Ok(ada()));
        assert_eq!(unwrapped.hash_key(), keys.hash_key());
        assert_eq!(master.unwrap(4, &wrapped).err(), Some(OpenError::Authentication), "moved to another petition");
        assert_eq!(MasterKey::generate().unwrap(3, &wrapped).err(), Some(OpenError::Authentication));
    }

    #[test]
    fn master_keys_round_trip_and_have_stable_ids_that_hide_them() {
        let master = MasterKey::generate();
        let again = MasterKey::parse(&master.encode()).unwrap();
        assert_eq!(again.id(), master.id());
        assert!(master.id().starts_with("mk-") && master.id().len() == 15, "{}", master.id());
        assert!(!master.id().contains(&hex::encode(&master.raw[..6])));
        assert!(MasterKey::parse("c2hvcnQ=").is_err());
        assert!(format!("{master:?}").contains("redacted"));
    }

    #[test]
    fn email_keys_differ_between_petitions() {
        let email = EmailAddress::parse("Ada@Example.com").unwrap();
        let (a, b) = (PetitionKeys::generate(1), PetitionKeys::generate(1));
        assert_eq!(a.email_key(&email), a.email_key(&EmailAddress::parse("ada@example.com").unwrap()));
        assert_ne!(a.email_key(&email), b.email_key(&email));
    }

    proptest! {
        #[test]
        fn any_personal_data_round_trips(email in ".{0,80}", name in ".{0,80}", postcode in proptest::option::of(".{0,16}")) {
            let keys = PetitionKeys::generate(5);
            let personal = Personal { email, name, postcode };
            let sealed = keys.seal(&[3; 32], &personal);
            prop_assert_eq!(keys.open(&[3; 32], &sealed), Ok(personal));
        }
    }
}
