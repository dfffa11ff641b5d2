//! Keys derived from the deployment's master secret.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::configuration::SecretKey;
use crate::db::{Db, DbError, secrets};
use crate::domain::EmailAddress;

type HmacSha256 = Hmac<Sha256>;

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <HmacSha256 as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!("HMAC takes any key"));
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// Purpose-specific keys, so that no two uses share one.
#[derive(Clone)]
pub struct Keys {
    email: [u8; 32],
    fingerprint: [u8; 32],
}

impl Keys {
    pub fn derive(master: &[u8]) -> Self {
        Self {
            email: hmac(master, b"undersigned/email-dedup/v1"),
            fingerprint: hmac(master, b"undersigned/fingerprint/v1"),
        }
    }

    /// The deduplication key of an address: HMAC-SHA256 of its canonical form.
    /// Without the secret nobody can tell from it which address it was.
    pub fn email_key(&self, email: &EmailAddress) -> [u8; 32] {
        hmac(&self.email, email.canonical().as_bytes())
    }

    /// Loads the keys from `SECRET_KEY`, or from the secret generated on first
    /// start and kept in the database. Warns if the key differs from the one
    /// the stored signatures were keyed with (duplicates would go unnoticed).
    pub async fn load(db: &Db, configured: Option<SecretKey>) -> Result<Self, DbError> {
        db.write(move |conn| {
            let master = match configured {
                Some(SecretKey(k)) => k,
                None => secrets::get_or_insert(conn, "secret_key", || {
                    let mut k = vec![0u8; 32];
                    rand::RngCore::fill_bytes(&mut rand::rng(), &mut k);
                    k
                })?,
            };
            let keys = Keys::derive(&master);
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
