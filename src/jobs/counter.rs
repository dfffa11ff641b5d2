//! Keeps the public counts fresh: folds count events and reloads the catalog.

use std::sync::Arc;
use std::time::Duration;

use crate::catalog::Catalog;
use crate::db::{self, Db};

/// Events folded per round; more wait for the next round.
const FOLD_BATCH: i64 = 50_000;

/// One round: fold what has accumulated, then reload the snapshot.
pub async fn refresh_once(db: &Db, catalog: &Catalog) -> Result<(), db::DbError> {
    db.write(|c| db::counts::fold(c, FOLD_BATCH)).await?;
    catalog.refresh(db).await
}

/// Runs [`refresh_once`] every `every` until the task is dropped.
pub async fn run(db: Db, catalog: Arc<Catalog>, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(e) = refresh_once(&db, &catalog).await {
            tracing::warn!(error = %e, "count refresh failed; keeping the previous counts");
        }
    }
}
