//! The deployment's keys: where each comes from (its variable, the key
//! file, or, in a database of an older version, the database), the keys
//! derived from SECRET_KEY, the signing keys, and the `Vault` of the
//! petitions' data keys.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{SigningKey, VerifyingKey};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};

use std::sync::Arc;

use crate::configuration::{KeyFilePath, KeySettings};
use crate::db::{Db, DbConnection, secrets};
use crate::domain::{DetailsDigest, SignatureDetails};
use crate::vault::{KeyFile, MasterKey, Vault};

type HmacSha256 = Hmac<Sha256>;

pub use crate::configuration::{DeliveryKey, SecretKey};
pub use crate::crypto::parse_signing_key;

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

/// The audit trail's chain key, derived from SECRET_KEY (`master`).
pub fn audit_key(master: &[u8]) -> [u8; 32] {
    hmac(master, b"undersigned/audit-trail/v1")
}

/// Purpose-specific keys, so that no two uses share one.
#[derive(Clone)]
pub struct Keys {
    fingerprint: [u8; 32],
    cookies: [u8; 32],
    login: [u8; 32],
    form: [u8; 32],
    details: [u8; 32],
    audit: [u8; 32],
    delivery: SigningKey,
    log: crate::tlog::LogSigner,
    vault: Arc<Vault>,
}

impl Keys {
    /// The keys derived from `master` (SECRET_KEY), the signing keys, and
    /// the master keys of the petitions' data keys (none: personal data is
    /// stored in the clear, as before encryption at rest).
    pub fn derive(master: &[u8], delivery: SigningKey, log: SigningKey, masters: Vec<MasterKey>) -> Self {
        // Addresses' keyed hashes were made with this before hash keys were
        // per petition: petitions signed then keep it (wrapped like the
        // others once keys are configured).
        let legacy_email = hmac(master, b"undersigned/email-dedup/v1");
        Self {
            fingerprint: hmac(master, b"undersigned/fingerprint/v1"),
            cookies: hmac(master, b"undersigned/cookies/v1"),
            login: hmac(master, b"undersigned/login-throttle/v1"),
            form: hmac(master, b"undersigned/form-stamp/v1"),
            details: hmac(master, b"undersigned/confirm-details/v1"),
            audit: audit_key(master),
            delivery,
            log: crate::tlog::LogSigner::new(log),
            vault: Arc::new(Vault::new(masters, legacy_email)),
        }
    }

    /// The petitions' data keys: sealing and opening personal data.
    pub fn vault(&self) -> &Arc<Vault> {
        &self.vault
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

    /// The audit trail's chain key (`audit::AuditKey::of`): derived from
    /// SECRET_KEY, which is kept outside the database, so that someone who
    /// can write to the database cannot recompute the chain.
    pub fn audit_key(&self) -> [u8; 32] {
        self.audit
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
}

/// Who is starting: the server, which may create the embedded default key
/// file on a new SQLite database and rewraps data keys under the current
/// master key; or the command line, which does neither.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FirstStart {
    CreateKeyFile,
    Refuse,
}

/// The one line a start without keys prints.
pub const NO_KEYS: &str = "no keys are configured: set KEY_FILE to a key file made by \
    `undersigned keys init --out FILE` (or set DATA_KEYS, SECRET_KEY, DELIVERY_SIGNING_KEY and LOG_SIGNING_KEY)";

/// The names of the secrets an older version kept in the database.
pub const STORED_SECRETS: [&str; 3] = ["secret_key", "delivery_signing_key", "log_signing_key"];

/// Secrets an older version generated and kept in the database.
#[derive(Default)]
struct Stored {
    secret_key: Option<Vec<u8>>,
    delivery: Option<Vec<u8>>,
    log: Option<Vec<u8>>,
}

impl Stored {
    fn read(conn: &mut DbConnection) -> diesel::QueryResult<Self> {
        Ok(Self {
            secret_key: secrets::get(conn, "secret_key")?,
            delivery: secrets::get(conn, "delivery_signing_key")?,
            log: secrets::get(conn, "log_signing_key")?,
        })
    }

    fn any(&self) -> bool {
        self.secret_key.is_some() || self.delivery.is_some() || self.log.is_some()
    }
}

/// Whether the database has been started before (with some keys): then a
/// missing key file is never replaced by a new one.
fn used_before(conn: &mut DbConnection) -> diesel::QueryResult<bool> {
    Ok(secrets::get(conn, "secret_fingerprint")?.is_some())
}

fn seed(bytes: Vec<u8>, name: &str) -> Result<SigningKey, String> {
    let seed: [u8; 32] = bytes.try_into().map_err(|_| format!("the stored {name} is not 32 bytes"))?;
    Ok(SigningKey::from_bytes(&seed))
}

/// Every secret of the deployment, each from where it is configured: its
/// variable, else the key file. Used by the server and the command line
/// alike (`load`) and by `keys export`.
pub struct Resolved {
    pub masters: Vec<MasterKey>,
    pub secret_key: Vec<u8>,
    pub delivery: SigningKey,
    pub log: SigningKey,
    /// Which secrets came from the database (an older version's).
    pub from_database: Vec<&'static str>,
    /// Whether the database still holds secrets (used or not).
    pub database_holds_secrets: bool,
}

/// Finds every secret (see [`Resolved`]). With `first_start` the embedded
/// default key file is created when nothing is configured and the database
/// holds no secrets of an older version; without a master key personal
/// data stays in the clear, which only an older version's database may do.
pub fn resolve(conn: &mut DbConnection, settings: &KeySettings, first_start: FirstStart) -> anyhow::Result<Resolved> {
    let stored = Stored::read(conn)?;
    let mut file = match &settings.key_file {
        Some(KeyFilePath::Configured(path)) => Some(KeyFile::read(path)?),
        Some(KeyFilePath::Default(path)) if path.exists() => Some(KeyFile::read(path)?),
        _ => None,
    };
    let nothing_configured = file.is_none()
        && settings.data_keys.is_empty()
        && settings.secret_key.is_none()
        && settings.delivery_key.is_none()
        && settings.log_key.is_none();
    if nothing_configured && !stored.any() {
        match (&settings.key_file, first_start) {
            (Some(KeyFilePath::Default(path)), FirstStart::CreateKeyFile) if !used_before(conn)? => {
                let created = KeyFile::generate();
                created.create(path)?;
                tracing::info!(
                    path = %path.display(),
                    "created the key file: keep a copy of it apart from the database's backups \
                     (without it nobody can read the signatures; with it, a copy of the database is readable)"
                );
                file = Some(created);
            }
            (Some(KeyFilePath::Default(path)), FirstStart::CreateKeyFile) => anyhow::bail!(
                "this database was used with keys before, and its key file {} is missing: restore it \
                 (or set KEY_FILE); a new one could not read what is stored",
                path.display()
            ),
            _ => anyhow::bail!(NO_KEYS),
        }
    }
    let mut from_database = Vec::new();
    let legacy = stored.any();
    let mut stored_or = |value: Option<Vec<u8>>, name: &'static str| -> anyhow::Result<Vec<u8>> {
        match value {
            Some(v) => {
                from_database.push(name);
                Ok(v)
            }
            None if legacy => {
                from_database.push(name);
                Ok(secrets::get_or_insert(conn, name, || random_bytes::<32>().to_vec())?)
            }
            None => anyhow::bail!("{name} is not configured: {NO_KEYS}"),
        }
    };
    let secret_key = match (&settings.secret_key, &file) {
        (Some(SecretKey(k)), _) => k.clone(),
        (None, Some(f)) => f.secret_key().map_err(anyhow::Error::msg)?,
        (None, None) => stored_or(stored.secret_key, "secret_key")?,
    };
    let delivery = match (&settings.delivery_key, &file) {
        (Some(k), _) => k.0.clone(),
        (None, Some(f)) => {
            KeyFile::signing_key(&f.delivery_signing_key, "delivery_signing_key").map_err(anyhow::Error::msg)?
        }
        (None, None) => seed(stored_or(stored.delivery, "delivery_signing_key")?, "delivery_signing_key")
            .map_err(anyhow::Error::msg)?,
    };
    let log = match (&settings.log_key, &file) {
        (Some(k), _) => k.0.clone(),
        (None, Some(f)) => KeyFile::signing_key(&f.log_signing_key, "log_signing_key").map_err(anyhow::Error::msg)?,
        (None, None) => {
            seed(stored_or(stored.log, "log_signing_key")?, "log_signing_key").map_err(anyhow::Error::msg)?
        }
    };
    let masters = match (&settings.data_keys, &file) {
        (configured, _) if !configured.is_empty() => configured.clone(),
        (_, Some(f)) => f.masters().map_err(anyhow::Error::msg)?,
        (_, None) if legacy => Vec::new(),
        (_, None) => anyhow::bail!("no master key is configured: {NO_KEYS}"),
    };
    Ok(Resolved { masters, secret_key, delivery, log, from_database, database_holds_secrets: legacy })
}

/// Loads every key (see [`resolve`]), opens every petition's data keys
/// (refusing to go on if one does not open: nothing is served that cannot
/// be read, and nothing is lost), and warns about what an older version
/// left in the database.
pub async fn load(db: &Db, settings: &KeySettings, first_start: FirstStart) -> anyhow::Result<Keys> {
    let settings = settings.clone();
    db.write(move |conn| Ok(load_blocking(conn, &settings, first_start))).await.map_err(anyhow::Error::from)?
}

fn load_blocking(conn: &mut DbConnection, settings: &KeySettings, first_start: FirstStart) -> anyhow::Result<Keys> {
    let resolved = resolve(conn, settings, first_start)?;
    if resolved.database_holds_secrets {
        tracing::warn!(
            used = ?resolved.from_database,
            "this database keeps secrets in itself, so any copy of it holds them: move them to a key file with \
             `undersigned keys export --out FILE`, then set KEY_FILE=FILE"
        );
    }
    if resolved.masters.is_empty() {
        tracing::warn!(
            "no master key is configured: new signatures' personal data is stored in the clear; \
             `undersigned keys export --out FILE` makes one"
        );
    }
    let keys = Keys::derive(&resolved.secret_key, resolved.delivery, resolved.log, resolved.masters);
    let rewrap = first_start == FirstStart::CreateKeyFile;
    let opened =
        keys.vault.open_all(conn, rewrap).map_err(|e| anyhow::anyhow!("cannot open the petitions' data keys: {e}"))?;
    if opened.petitions > 0 {
        tracing::info!(petitions = opened.petitions, rewrapped = opened.rewrapped, "petitions' data keys opened");
    }
    let stored = secrets::get_or_insert(conn, "secret_fingerprint", || keys.fingerprint.to_vec())?;
    if stored != keys.fingerprint {
        tracing::warn!(
            "SECRET_KEY differs from the key this database was first used with: links mailed before the change \
             no longer confirm, and repeats of signatures made before keys were per petition are not recognised"
        );
        secrets::set(conn, "secret_fingerprint", &keys.fingerprint)?;
    }
    Ok(keys)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_stamps_cannot_be_forged_or_moved() {
        let keys =
            Keys::derive(b"master", SigningKey::from_bytes(&[7; 32]), SigningKey::from_bytes(&[8; 32]), Vec::new());
        let at = chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let stamp = keys.form_stamp(1, at);
        assert_eq!(keys.check_form_stamp(1, &stamp), Some(at));
        assert_eq!(keys.check_form_stamp(2, &stamp), None, "another petition");
        let later = stamp.replacen("1800000000", "1800000100", 1);
        assert_eq!(keys.check_form_stamp(1, &later), None, "time changed");
        let other =
            Keys::derive(b"other", SigningKey::from_bytes(&[7; 32]), SigningKey::from_bytes(&[8; 32]), Vec::new());
        assert_eq!(other.check_form_stamp(1, &stamp), None, "another deployment");
        for junk in ["", ".", "x.y", "1800000000", "-1.00", "99999999999999999999.aa"] {
            assert_eq!(keys.check_form_stamp(1, junk), None, "{junk:?}");
        }
    }
}
