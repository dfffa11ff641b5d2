//! Periodic clean-up: expired sessions (every ten minutes), idle rate-limit
//! entries, and, once a day, the retention rules (see `db::retention`).

use std::time::{Duration, Instant};

use crate::auth::session::ABSOLUTE_TIMEOUT;
use crate::configuration::RetentionSettings;
use crate::db::{self, Db, DbError, retention};
use crate::signing::Guards;

/// How often the clean-up runs.
pub const EVERY: Duration = Duration::from_secs(600);
/// How often the retention rules are applied.
pub const RETENTION_EVERY: Duration = Duration::from_secs(24 * 3600);

/// Deletes sessions past their idle or absolute limit; returns how many.
pub async fn run_once(db: &Db) -> Result<usize, DbError> {
    let now = crate::now();
    db.write(move |c| db::sessions::delete_expired(c, now, now - ABSOLUTE_TIMEOUT)).await
}

/// What [`purge`] did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PurgeReport {
    /// Unconfirmed signatures deleted because their links had expired.
    pub expired_pending: usize,
    /// Petitions whose personal data was erased: (slug, signatures handled).
    pub erased: Vec<(String, usize)>,
}

/// Applies the retention rules now.
pub async fn purge(db: &Db, retention: RetentionSettings, confirmation_ttl: Duration) -> Result<PurgeReport, DbError> {
    let now = crate::now();
    let keep =
        chrono::TimeDelta::from_std(confirmation_ttl + retention.pending_grace).unwrap_or(chrono::TimeDelta::MAX);
    let before = now.checked_sub_signed(keep).unwrap_or(chrono::NaiveDateTime::MIN);
    let mut report = PurgeReport::default();
    loop {
        let n = db.write(move |c| retention::delete_expired_pending(c, before)).await?;
        report.expired_pending += n;
        if n < usize::try_from(retention::CHUNK).unwrap_or(usize::MAX) {
            break;
        }
    }
    if let Some(after) = retention.erase_after_close {
        let after = chrono::TimeDelta::from_std(after).unwrap_or(chrono::TimeDelta::MAX);
        let closed_before = now.checked_sub_signed(after).unwrap_or(chrono::NaiveDateTime::MIN);
        for (id, slug) in db.read(move |c| retention::due_for_erasure(c, closed_before)).await? {
            let (mut cursor, mut handled) = (0, 0);
            while let Some((n, last)) = db.write(move |c| retention::erase_chunk(c, id, cursor)).await? {
                handled += n;
                cursor = last;
            }
            db.write(move |c| retention::mark_erased(c, id, now)).await?;
            tracing::info!(petition = %slug, signatures = handled, "personal data of a closed petition erased");
            report.erased.push((slug, handled));
        }
    }
    if report.expired_pending > 0 {
        tracing::info!(signatures = report.expired_pending, "unconfirmed signatures with expired links deleted");
    }
    Ok(report)
}

pub async fn run(db: Db, guards: std::sync::Arc<Guards>, retention: RetentionSettings, confirmation_ttl: Duration) {
    let mut tick = tokio::time::interval(EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_retention: Option<Instant> = None;
    loop {
        tick.tick().await;
        match run_once(&db).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(sessions = n, "expired sessions removed"),
            Err(e) => tracing::warn!(error = %e, "housekeeping failed"),
        }
        guards.limits.forget_idle();
        if last_retention.is_none_or(|t| t.elapsed() >= RETENTION_EVERY) {
            match purge(&db, retention, confirmation_ttl).await {
                Ok(_) => last_retention = Some(Instant::now()),
                Err(e) => tracing::warn!(error = %e, "applying the retention rules failed; will retry"),
            }
        }
    }
}
