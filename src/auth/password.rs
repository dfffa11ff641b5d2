//! Argon2id password hashing, off the async workers and bounded in
//! concurrency, so that a flood of logins cannot starve signing.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock};

use argon2::{Algorithm, Argon2, Params, PasswordHasher as _, PasswordVerifier as _, Version};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

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

/// Logins held by the hasher at once (checked or waiting), per core, unless
/// `LOGIN_QUEUE` says otherwise: enough for every organiser of a campaign
/// at once, and, at about 50 ms a check, gone in a fraction of a second.
pub const QUEUE_PER_CORE: usize = 4;

/// What a login refused for a full queue is told to wait (`Retry-After`): a
/// full queue empties in well under this.
pub const BUSY_RETRY_AFTER: std::time::Duration = std::time::Duration::from_secs(1);

/// Runs Argon2id on a few threads of its own (one per core): a burst of
/// logins queues there instead of occupying the shared blocking pool, and
/// the memory each hash needs (19 MiB) is reused by those threads rather than
/// left behind in many. The queue for verifications is bounded: a login
/// flood beyond it is refused at once ([`Busy`]) instead of piling up, so it
/// cannot hold the CPU (and memory) that signing needs for longer than the
/// queue takes to empty.
#[derive(Clone)]
pub struct PasswordHasher {
    pool: Arc<rayon::ThreadPool>,
    /// One permit per place in the verification queue.
    places: Arc<Semaphore>,
    verifications: Arc<AtomicU64>,
}

/// The verification queue is full; nothing was checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the password hasher's queue is full")]
pub struct Busy;

/// A place in the verification queue, kept until its verification is done.
pub struct QueuePlace {
    hasher: PasswordHasher,
    permit: OwnedSemaphorePermit,
}

impl PasswordHasher {
    /// A hasher holding at most `queue` verifications at once (None:
    /// [`QUEUE_PER_CORE`] per core).
    pub fn new(queue: Option<usize>) -> anyhow::Result<Self> {
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
        let places = queue.unwrap_or(QUEUE_PER_CORE * cores).max(1);
        let pool = rayon::ThreadPoolBuilder::new().num_threads(cores).thread_name(|i| format!("argon2-{i}")).build()?;
        let hasher =
            Self { pool: Arc::new(pool), places: Arc::new(Semaphore::new(places)), verifications: Arc::default() };
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

    /// A PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`). Not queued: only
    /// signed-in organisers and the command line set passwords.
    pub async fn hash(&self, password: Password) -> anyhow::Result<String> {
        self.run(move || hash_blocking(&password)).await?
    }

    /// A place in the verification queue, or [`Busy`] at once if it is full.
    pub fn reserve(&self) -> Result<QueuePlace, Busy> {
        let permit = Arc::clone(&self.places).try_acquire_owned().map_err(|_| Busy)?;
        Ok(QueuePlace { hasher: self.clone(), permit })
    }

    /// How many verifications ran (each costs one Argon2id computation).
    #[cfg(feature = "testing")]
    pub fn verifications(&self) -> u64 {
        self.verifications.load(Ordering::Relaxed)
    }
}

impl QueuePlace {
    /// Checks `password` against `hash`, or against a dummy hash when there is
    /// none (unknown account), taking the same time either way. The place is
    /// given up when the check has run, even if the caller stopped waiting.
    pub async fn verify(self, password: String, hash: Option<String>) -> bool {
        let Self { hasher, permit } = self;
        hasher.verifications.fetch_add(1, Ordering::Relaxed);
        hasher
            .run(move || {
                let known = hash.is_some();
                let hash = hash.unwrap_or_else(|| DUMMY_HASH.clone());
                let matches = argon2().verify_password(password.as_bytes(), hash.as_str()).is_ok();
                drop(permit);
                known && matches
            })
            .await
            .unwrap_or(false)
    }
}

/// Hashes on the current thread; for the command line, and for
/// [`PasswordHasher::hash`] on the blocking pool.
pub fn hash_blocking(password: &Password) -> anyhow::Result<String> {
    argon2().hash_password(password.expose().as_bytes()).map(|h| h.to_string()).map_err(|e| anyhow::anyhow!("{e}"))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

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

    #[tokio::test]
    async fn the_queue_refuses_beyond_its_places_and_frees_them_when_checks_finish() {
        let hasher = PasswordHasher::new(Some(2)).unwrap();
        let hash = hash_blocking(&Password::parse("correct horse battery staple").unwrap()).unwrap();
        let first = hasher.reserve().unwrap();
        let second = hasher.reserve().unwrap();
        assert_eq!(hasher.reserve().err(), Some(Busy), "two places, both taken");
        assert_eq!(hasher.verifications(), 0, "a refused login costs no verification");
        assert!(first.verify("correct horse battery staple".into(), Some(hash.clone())).await);
        let third = hasher.reserve().expect("a finished check gives its place back");
        assert_eq!(hasher.reserve().err(), Some(Busy));
        assert!(!second.verify("wrong".into(), Some(hash.clone())).await);
        assert!(!third.verify("correct horse battery staple".into(), None).await, "unknown account");
        assert_eq!(hasher.verifications(), 3);
        // A caller that stops waiting still gives its place back once the check has run.
        let abandoned = hasher.reserve().unwrap();
        let _other = hasher.reserve().unwrap();
        drop(tokio::time::timeout(Duration::ZERO, abandoned.verify("x".into(), Some(hash))).await);
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while hasher.reserve().is_err() {
            assert!(std::time::Instant::now() < deadline, "the abandoned check's place came back");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    #[test]
    fn the_default_queue_is_a_few_per_core() {
        let hasher = PasswordHasher::new(None).unwrap();
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
        let places: Vec<_> = std::iter::from_fn(|| hasher.reserve().ok()).take(1000).collect();
        assert_eq!(places.len(), QUEUE_PER_CORE * cores);
    }
}
