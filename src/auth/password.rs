//! Argon2id password hashing, off the async workers and bounded in
//! concurrency, so that a flood of logins cannot starve signing.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock};

use argon2::{Algorithm, Argon2, Params, PasswordHasher as _, PasswordVerifier as _, Version};

use crate::domain::Password;

/// OWASP's Argon2id setting: 19 MiB, 2 passes, 1 lane.
const MEMORY_KIB: u32 = 19_456;
const PASSES: u32 = 2;
const LANES: u32 = 1;

fn argon2() -> Argon2<'static> {
    let params = Params::new(MEMORY_KIB, PASSES, LANES, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// A hash of a password nobody has, verified when the email is unknown so
/// that an unknown email costs the same time as a wrong password.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    argon2().hash_password(b"no organiser has this password").map(|h| h.to_string()).unwrap_or_default()
});

/// Runs Argon2id on a few threads of its own (one per core): a burst of
/// logins queues there instead of occupying the shared blocking pool, and
/// the memory each hash needs (19 MiB) is reused by those threads rather than
/// left behind in many.
#[derive(Clone)]
pub struct PasswordHasher {
    pool: Arc<rayon::ThreadPool>,
    verifications: Arc<AtomicU64>,
}

impl PasswordHasher {
    pub fn new() -> anyhow::Result<Self> {
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
        let pool = rayon::ThreadPoolBuilder::new().num_threads(cores).thread_name(|i| format!("argon2-{i}")).build()?;
        let hasher = Self { pool: Arc::new(pool), verifications: Arc::default() };
        // Prepared now, so the first unknown-email login is not slower.
        hasher.pool.spawn(|| {
            LazyLock::force(&DUMMY_HASH);
        });
        Ok(hasher)
    }

    async fn run<T: Send + 'static>(&self, job: impl FnOnce() -> T + Send + 'static) -> anyhow::Result<T> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.pool.spawn(move || {
            let _ = tx.send(job());
        });
        Ok(rx.await?)
    }

    /// A PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`).
    pub async fn hash(&self, password: Password) -> anyhow::Result<String> {
        self.run(move || hash_blocking(&password)).await?
    }

    /// Checks `password` against `hash`, or against a dummy hash when there is
    /// none (unknown account), taking the same time either way.
    pub async fn verify(&self, password: String, hash: Option<String>) -> bool {
        self.verifications.fetch_add(1, Ordering::Relaxed);
        self.run(move || {
            let known = hash.is_some();
            let hash = hash.unwrap_or_else(|| DUMMY_HASH.clone());
            let matches = argon2().verify_password(password.as_bytes(), hash.as_str()).is_ok();
            known && matches
        })
        .await
        .unwrap_or(false)
    }

    /// How many verifications ran (each costs one Argon2id computation).
    pub fn verifications(&self) -> u64 {
        self.verifications.load(Ordering::Relaxed)
    }
}

/// Hashes on the current thread; for the command line, and for
/// [`PasswordHasher::hash`] on the blocking pool.
pub fn hash_blocking(password: &Password) -> anyhow::Result<String> {
    argon2().hash_password(password.expose().as_bytes()).map(|h| h.to_string()).map_err(|e| anyhow::anyhow!("{e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_with_the_required_parameters_and_verifies() {
        let password = Password::parse("correct horse battery staple").unwrap();
        let hash = hash_blocking(&password).unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
        assert!(argon2().verify_password(b"correct horse battery staple", hash.as_str()).is_ok());
        assert!(argon2().verify_password(b"wrong", hash.as_str()).is_err());
        assert!(DUMMY_HASH.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "the dummy costs the same");
    }
}
