//! Periodic clean-up of rows that can no longer be used.

use std::time::Duration;

use crate::auth::session::ABSOLUTE_TIMEOUT;
use crate::db::{self, Db};

/// How often the clean-up runs.
pub const EVERY: Duration = Duration::from_secs(600);

/// Deletes sessions past their idle or absolute limit; returns how many.
pub async fn run_once(db: &Db) -> Result<usize, db::DbError> {
    let now = crate::now();
    db.write(move |c| db::sessions::delete_expired(c, now, now - ABSOLUTE_TIMEOUT)).await
}

pub async fn run(db: Db) {
    let mut tick = tokio::time::interval(EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match run_once(&db).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(sessions = n, "expired sessions removed"),
            Err(e) => tracing::warn!(error = %e, "housekeeping failed"),
        }
    }
}
