//! The encryption of personal data at rest, pure functions of their
//! inputs: a petition's keys, sealing and opening a signature's personal
//! data under them, and wrapping them under a master key. `vault` keeps
//! the keys; `db` may use these (seeding) but never the vault.
//!
//! Every value is AES-256-GCM-SIV (RFC 8452) with a random 96-bit nonce:
//! `version ‖ nonce ‖ ciphertext and tag`. Its associated data binds it to
//! where it belongs, so that a ciphertext moved to another row, petition or
//! column fails to open. GCM-SIV resists nonce reuse: two values sealed
//! under one nonce reveal only whether they are equal. Values of the first
//! format (XChaCha20-Poly1305, 192-bit nonce) still open; none is written:
//! the portable RustCrypto ChaCha20 runs about 3.5 times slower than AES
//! with AES-NI here, and an export opens every row (docs/encryption.md).

use aes_gcm_siv::Aes256GcmSiv;
use chacha20poly1305::XChaCha20Poly1305;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::domain::{EmailAddress, Personal};

/// The first byte of every sealed value and wrapped key: its format.
/// Format 2, written: AES-256-GCM-SIV with a 96-bit nonce.
const VERSION: u8 = 2;
const NONCE_LEN: usize = 12;
/// Format 1, only opened: XChaCha20-Poly1305 with a 192-bit nonce.
const VERSION_XCHACHA: u8 = 1;
const XCHACHA_NONCE_LEN: usize = 24;
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

/// The ciphers of one 32-byte key: the one that seals, and the first
/// format's, which only opens.
#[derive(Clone)]
struct Cipher {
    seal: Aes256GcmSiv,
    xchacha: XChaCha20Poly1305,
}

impl Cipher {
    fn new(key: &[u8; 32]) -> Self {
        Self { seal: Aes256GcmSiv::new(key.into()), xchacha: XChaCha20Poly1305::new(key.into()) }
    }

    fn seal(&self, ad: &[u8], plaintext: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        // Encryption fails only for plaintexts beyond 2^36 bytes.
        let ciphertext = self
            .seal
            .encrypt((&nonce).into(), Payload { msg: plaintext, aad: ad })
            .unwrap_or_else(|_| unreachable!("a value this small always encrypts"));
        let mut out = Vec::with_capacity(1 + NONCE_LEN + ciphertext.len());
        out.push(VERSION);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ciphertext);
        out
    }

    fn open(&self, ad: &[u8], sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, OpenError> {
        let (version, rest) = sealed.split_first().ok_or(OpenError::Format)?;
        let nonce_len = match *version {
            VERSION => NONCE_LEN,
            VERSION_XCHACHA => XCHACHA_NONCE_LEN,
            _ => return Err(OpenError::Format),
        };
        if rest.len() < nonce_len + TAG_LEN {
            return Err(OpenError::Format);
        }
        let (nonce, ciphertext) = rest.split_at(nonce_len);
        let payload = Payload { msg: ciphertext, aad: ad };
        let opened = match *version {
            VERSION => self.seal.decrypt(nonce.into(), payload),
            _ => self.xchacha.decrypt(nonce.into(), payload),
        };
        opened.map(Zeroizing::new).map_err(|_| OpenError::Authentication)
    }
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
    cipher: Cipher,
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
        Self { petition_id, cipher: Cipher::new(data), raw }
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
        self.cipher.seal(&personal_ad(self.petition_id, email_key), &plaintext)
    }

    /// Opens what [`seal`](Self::seal) sealed for the same signer.
    pub fn open(&self, email_key: &[u8], sealed: &[u8]) -> Result<Personal, OpenError> {
        let plaintext = self.cipher.open(&personal_ad(self.petition_id, email_key), sealed)?;
        serde_json::from_slice(&plaintext).map_err(|_| OpenError::Format)
    }
}

/// A master key: wraps the petitions' keys, is never stored in the
/// database, and is named there only by its identifier.
#[derive(Clone)]
pub struct MasterKey {
    id: String,
    cipher: Cipher,
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
        Self { id, cipher: Cipher::new(raw), raw: Zeroizing::new(*raw) }
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
        self.cipher.seal(&self.wrap_ad(keys.petition_id), keys.raw.as_ref())
    }

    /// The keys of `petition_id` that [`wrap`](Self::wrap) wrapped.
    pub fn unwrap(&self, petition_id: i64, wrapped: &[u8]) -> Result<PetitionKeys, OpenError> {
        let raw = self.cipher.open(&self.wrap_ad(petition_id), wrapped)?;
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
        version[0] = 3;
        assert_eq!(keys.open(&[1; 32], &version), Err(OpenError::Format));
        version[0] = VERSION_XCHACHA;
        assert_eq!(keys.open(&[1; 32], &version), Err(OpenError::Authentication), "read as the first format");
        assert_eq!(keys.open(&[1; 32], &sealed[..sealed.len() - 1]), Err(OpenError::Authentication));
        assert_eq!(keys.open(&[1; 32], &sealed[..20]), Err(OpenError::Format));
    }

    /// RFC 8452, appendix C.2 (AEAD_AES_256_GCM_SIV): the vectors open
    /// in this module's format, `2 ‖ nonce ‖ ciphertext and tag`.
    #[test]
    fn rfc_8452_vectors_open() {
        let vectors: [(&str, &str, &str, &str, &str); 2] = [
            (
                "e66021d5eb8e4f4066d4adb9c33560e4f46e44bb3da0015c94f7088736864200",
                "e0eaf5284d884a0e77d31646",
                "",
                "",
                "169fbb2fbf389a995f6390af22228a62",
            ),
            (
                "bae8e37fc83441b16034566b7a806c46bb91c3c5aedb64a6c590bc84d1a5e269",
                "e4b47801afc0577e34699b9e",
                "4fbdc66f14",
                "671fdd",
                "0eaccb93da9bb81333aee0c785b240d319719d",
            ),
        ];
        for (key, nonce, ad, plaintext, ciphertext) in vectors {
            let key: [u8; 32] = hex::decode(key).unwrap().try_into().unwrap();
            let sealed = [vec![VERSION], hex::decode(nonce).unwrap(), hex::decode(ciphertext).unwrap()].concat();
            let cipher = Cipher::new(&key);
            assert_eq!(
                cipher.open(&hex::decode(ad).unwrap(), &sealed).unwrap().as_slice(),
                hex::decode(plaintext).unwrap()
            );
        }
    }

    /// Values sealed in the first format (XChaCha20-Poly1305) still open.
    #[test]
    fn values_of_the_first_format_open() {
        let keys = PetitionKeys::generate(7);
        let ad = personal_ad(7, &[1; 32]);
        let nonce = [9u8; XCHACHA_NONCE_LEN];
        let plaintext = serde_json::to_vec(&ada()).unwrap();
        let ciphertext = XChaCha20Poly1305::new(keys.raw[..32].into())
            .encrypt((&nonce).into(), Payload { msg: &plaintext, aad: &ad })
            .unwrap();
        let sealed = [vec![VERSION_XCHACHA], nonce.to_vec(), ciphertext].concat();
        assert_eq!(keys.open(&[1; 32], &sealed), Ok(ada()));
        assert_eq!(keys.open(&[2; 32], &sealed), Err(OpenError::Authentication));
        assert_eq!(keys.seal(&[1; 32], &ada())[0], VERSION, "new values are sealed in the current format");
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
