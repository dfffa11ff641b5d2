//! Keeps the public counts fresh: folds count events, appends confirmations
//! to the transparency logs, and reloads the catalog.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::catalog::Catalog;
use crate::db::{self, Db};
use crate::transparency::{self, Appender};

/// Events folded per round; more wait for the next round.
const FOLD_BATCH: i64 = 50_000;

/// Queued confirmations appended to the logs per round (one transaction,
/// one checkpoint); more wait for the next round, which then follows at
/// once. On SQLite a round holds the one write lock, so every signature and
/// confirmation waits for it: about 14 µs a leaf there (rounds of 2,000
/// took 28 ms on average, 52 ms at most, while 15,000 confirmations a
/// second arrived; `benches/load`), so rounds of 1,000 keep that wait
/// under the 50 ms a confirmation may take. On PostgreSQL a round blocks
/// no other writer.
pub fn append_batch(backend: db::Backend) -> i64 {
    match backend {
        db::Backend::Sqlite => 1_000,
        db::Backend::Postgres => 50_000,
    }
}

/// The transparency logs' part of the rounds.
#[derive(Debug, Clone)]
pub struct LogRounds {
    pub appender: Appender,
    /// At most this long between appends (`LOG_INTERVAL`).
    pub every: Duration,
}

/// One round: fold what has accumulated, then reload the snapshot.
pub async fn refresh_once(db: &Db, catalog: &Catalog) -> Result<(), db::DbError> {
    db.write(|c| db::counts::fold(c, FOLD_BATCH)).await?;
    catalog.refresh(db).await
}

/// Appends what the logs' queue holds, in rounds of [`append_batch`],
/// until it is empty (or another instance is appending); returns the
/// leaves appended.
pub async fn append_once(db: &Db, appender: &Appender) -> Result<usize, db::DbError> {
    let (mut total, batch) = (0, append_batch(db.backend()));
    loop {
        let appender = appender.clone();
        let done = db.write(move |c| transparency::append(c, &appender, crate::now(), batch)).await?;
        total += done.leaves;
        if done.drained(batch) {
            return Ok(total);
        }
    }
}

/// Runs [`refresh_once`] every `every`, and appends to the logs every
/// `log.every`, until the task is dropped.
pub async fn run(db: Db, catalog: Arc<Catalog>, every: Duration, log: LogRounds) {
    let mut tick = tokio::time::interval(every.min(log.every));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_fold: Option<Instant> = None;
    let mut last_append: Option<Instant> = None;
    loop {
        tick.tick().await;
        let mut changed = false;
        if last_append.is_none_or(|t| t.elapsed() >= log.every) {
            last_append = Some(Instant::now());
            match append_once(&db, &log.appender).await {
                Ok(n) => changed = n > 0,
                Err(e) => tracing::warn!(error = %e, "appending to the transparency logs failed; retried next round"),
            }
        }
        if changed || last_fold.is_none_or(|t| t.elapsed() >= every) {
            last_fold = Some(Instant::now());
            if let Err(e) = refresh_once(&db, &catalog).await {
                tracing::warn!(error = %e, "count refresh failed; keeping the previous counts");
            }
        }
    }
}
