//! Keys derived from the deployment's master secret, and the delivery
//! signing key.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{SigningKey, VerifyingKey};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::db::{Db, DbError, secrets};
use crate::domain::{DetailsDigest, EmailAddress, SignatureDetails};

type HmacSha256 = Hmac<Sha256>;

/// The deployment's master secret (SECRET_KEY). Never printed.
#[derive(Clone)]
pub struct SecretKey(pub Vec<u8>);

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

/// The shortest SECRET_KEY accepted.
const MIN_SECRET_KEY: usize = 32;

impl SecretKey {
    /// SECRET_KEY as configured: at least 32 bytes, used as they are.
    pub fn parse(s: &str) -> Result<Self, String> {
        if s.len() < MIN_SECRET_KEY {
            Err("must be at least 32 characters (e.g. `openssl rand -hex 32`)".into())
        } else {
            Ok(Self(s.as_bytes().to_vec()))
        }
    }
}

/// An Ed25519 signing key given as configuration (DELIVERY_SIGNING_KEY,
/// LOG_SIGNING_KEY). Never printed.
#[derive(Clone)]
pub struct DeliveryKey(pub SigningKey);

impl std::fmt::Debug for DeliveryKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DeliveryKey(<redacted>)")
    }
}

impl DeliveryKey {
    /// The key as configured: the base64 of a 32-byte seed.
    pub fn parse(s: &str) -> Result<Self, String> {
        parse_signing_key(s)
            .map(Self)
            .ok_or_else(|| "must be the base64 of 32 bytes (e.g. `openssl rand -base64 32`)".into())
    }
}

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <HmacSha256 as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!("HMAC takes any key"));
    mac.update(data);
    mac.finalize().into_bytes().into()
}

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    rand::rng().fill_bytes(&mut bytes);
    bytes
}

/// Purpose-specific keys, so that no two uses share one.
#[derive(Clone)]
pub struct Keys {
    email: [u8; 32],
    fingerprint: [u8; 32],
    cookies: [u8; 32],
    login: [u8; 32],
    form: [u8; 32],
    details: [u8; 32],
    delivery: SigningKey,
    log: crate::tlog::LogSigner,
}

impl Keys {
    pub fn derive(master: &[u8], delivery: SigningKey, log: SigningKey) -> Self {
        Self {
            email: hmac(master, b"undersigned/email-dedup/v1"),
            fingerprint: hmac(master, b"undersigned/fingerprint/v1"),
            cookies: hmac(master, b"undersigned/cookies/v1"),
            login: hmac(master, b"undersigned/login-throttle/v1"),
            form: hmac(master, b"undersigned/form-stamp/v1"),
            details: hmac(master, b"undersigned/confirm-details/v1"),
            delivery,
            log: crate::tlog::LogSigner::new(log),
        }
    }

    /// The deduplication key of an address: HMAC-SHA256 of its canonical form.
    /// Without the secret nobody can tell from it which address it was.
    pub fn email_key(&self, email: &EmailAddress) -> [u8; 32] {
        hmac(&self.email, email.canonical().as_bytes())
    }

    /// What a confirmation link is bound to: a keyed digest, so that the
    /// stored digest cannot be tested against guessed names and postcodes.
    pub fn details_digest(&self, details: &SignatureDetails) -> DetailsDigest {
        DetailsDigest(hmac(&self.details, &details.canonical()))
    }

    /// Encrypts and authenticates the organisers' cookies.
    pub fn cookie_key(&self) -> actix_web::cookie::Key {
        actix_web::cookie::Key::derive_from(&self.cookies)
    }

    /// A keyed hash for login throttling: of a typed email, a client address,
    /// or a device cookie. Records who failed without storing what was typed.
    pub fn login_key(&self, purpose: &str, value: &[u8]) -> [u8; 32] {
        hmac(&self.login, &[purpose.as_bytes(), b"\0", value].concat())
    }

    /// The hidden `started` field of a petition's sign form: when the form
    /// was shown, signed so that it cannot be forged or moved to another
    /// petition.
    pub fn form_stamp(&self, petition_id: i64, at: chrono::DateTime<chrono::Utc>) -> String {
        let secs = at.timestamp();
        let mac = hmac(&self.form, format!("{petition_id}:{secs}").as_bytes());
        format!("{secs}.{}", hex::encode(&mac[..16]))
    }

    /// When the form carrying `stamp` was shown, if the stamp is genuine and
    /// for this petition.
    pub fn check_form_stamp(&self, petition_id: i64, stamp: &str) -> Option<chrono::DateTime<chrono::Utc>> {
        let (secs, _) = stamp.split_once('.')?;
        let secs: i64 = secs.parse().ok()?;
        let at = chrono::DateTime::from_timestamp(secs, 0)?;
        let expected = self.form_stamp(petition_id, at);
        bool::from(subtle::ConstantTimeEq::ct_eq(expected.as_bytes(), stamp.as_bytes())).then_some(at)
    }

    /// Signs delivery packets.
    pub fn delivery(&self) -> &SigningKey {
        &self.delivery
    }

    /// Signs the transparency logs' checkpoints: a key of its own, so that
    /// a checkpoint and a delivery manifest can never pass for each other.
    pub fn log(&self) -> &crate::tlog::LogSigner {
        &self.log
    }

    /// Loads the keys: the master secret from `SECRET_KEY` or the one
    /// generated on first start and kept in the database; the delivery key from
    /// `DELIVERY_SIGNING_KEY` and the log key from `LOG_SIGNING_KEY`, or
    /// likewise generated and kept. Warns if the
    /// master secret differs from the one the stored signatures were keyed with
    /// (duplicates would go unnoticed).
    pub async fn load(
        db: &Db,
        configured: Option<SecretKey>,
        delivery: Option<SigningKey>,
        log: Option<SigningKey>,
    ) -> Result<Self, DbError> {
        db.write(move |conn| {
            let master = match configured {
                Some(SecretKey(k)) => k,
                None => secrets::get_or_insert(conn, "secret_key", || random_bytes::<32>().to_vec())?,
            };
            let delivery = match delivery {
                Some(k) => k,
                None => stored_delivery_key(conn)?,
            };
            let log = match log {
                Some(k) => k,
                None => stored_key(conn, "log_signing_key")?,
            };
            let keys = Keys::derive(&master, delivery, log);
            let stored = secrets::get_or_insert(conn, "secret_fingerprint", || keys.fingerprint.to_vec())?;
            if stored != keys.fingerprint {
                tracing::warn!(
                    "SECRET_KEY differs from the key this database was first used with: repeat signatures \
                     made before the change will not be recognised as duplicates"
                );
                secrets::set(conn, "secret_fingerprint", &keys.fingerprint)?;
            }
            Ok(keys)
        })
        .await
    }
}

/// The delivery key generated on first start and kept in the database.
fn stored_delivery_key(conn: &mut crate::db::DbConnection) -> diesel::QueryResult<SigningKey> {
    stored_key(conn, "delivery_signing_key")
}

/// An Ed25519 key generated on first start and kept in the database as `name`.
fn stored_key(conn: &mut crate::db::DbConnection, name: &str) -> diesel::QueryResult<SigningKey> {
    let seed = secrets::get_or_insert(conn, name, || random_bytes::<32>().to_vec())?;
    let seed: [u8; 32] = seed
        .try_into()
        .map_err(|_| diesel::result::Error::DeserializationError(format!("{name} is not 32 bytes").into()))?;
    Ok(SigningKey::from_bytes(&seed))
}

/// The key that signs delivery packets: `configured`, or the stored one.
/// For the command line, which needs no other key.
pub async fn delivery_key(db: &Db, configured: Option<SigningKey>) -> Result<SigningKey, DbError> {
    match configured {
        Some(k) => Ok(k),
        None => db.write(stored_delivery_key).await,
    }
}

/// The key that signs the transparency logs: `configured`, or the stored
/// one (generated on first use, as the server would). For the command line,
/// which only checks checkpoints with it.
pub async fn log_key(db: &Db, configured: Option<SigningKey>) -> Result<SigningKey, DbError> {
    match configured {
        Some(k) => Ok(k),
        None => db.write(|c| stored_key(c, "log_signing_key")).await,
    }
}

/// A public key as published: base64 of its 32 bytes.
pub fn public_key_base64(key: &VerifyingKey) -> String {
    STANDARD.encode(key.as_bytes())
}

/// A short, comparable fingerprint of a public key: `SHA256:` + hex of the
/// first 16 bytes of its SHA-256.
pub fn fingerprint(key: &VerifyingKey) -> String {
    format!("SHA256:{}", hex::encode(&Sha256::digest(key.as_bytes())[..16]))
}

/// Parses a public key given as base64 (as `GET /api/v1/delivery-key` serves it).
pub fn parse_public_key(s: &str) -> Option<VerifyingKey> {
    let bytes: [u8; 32] = STANDARD.decode(s.trim()).ok()?.try_into().ok()?;
    VerifyingKey::from_bytes(&bytes).ok()
}

/// Parses a signing key given as base64 of its 32-byte seed.
pub fn parse_signing_key(s: &str) -> Option<SigningKey> {
    let bytes: [u8; 32] = STANDARD.decode(s.trim()).ok()?.try_into().ok()?;
    Some(SigningKey::from_bytes(&bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_stamps_cannot_be_forged_or_moved() {
        let keys = Keys::derive(b"master", SigningKey::from_bytes(&[7; 32]), SigningKey::from_bytes(&[8; 32]));
        let at = chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let stamp = keys.form_stamp(1, at);
        assert_eq!(keys.check_form_stamp(1, &stamp), Some(at));
        assert_eq!(keys.check_form_stamp(2, &stamp), None, "another petition");
        let later = stamp.replacen("1800000000", "1800000100", 1);
        assert_eq!(keys.check_form_stamp(1, &later), None, "time changed");
        let other = Keys::derive(b"other", SigningKey::from_bytes(&[7; 32]), SigningKey::from_bytes(&[8; 32]));
        assert_eq!(other.check_form_stamp(1, &stamp), None, "another deployment");
        for junk in ["", ".", "x.y", "1800000000", "-1.00", "99999999999999999999.aa"] {
            assert_eq!(keys.check_form_stamp(1, junk), None, "{junk:?}");
        }
    }
}
