//! Sealing in place: once keys are configured, the personal data an older
//! version (or a start without a master key) stored in the clear is sealed
//! under its petition's data key, a batch per transaction, while the server
//! runs. Each row is rewritten only if it still holds exactly what was read,
//! so signing, confirming and other instances doing the same never lose a
//! change. The old bytes stay in the database's free pages until it is
//! vacuumed (README: "Encryption at rest").

use std::sync::Arc;
use std::time::Duration;

use diesel::result::QueryResult;

use crate::db::{self, Db, DbConnection, DbError};
use crate::vault::Vault;

/// Rows sealed per transaction.
pub const BATCH: i64 = 1000;
/// The pause between batches, so that signing keeps the writer most of
/// the time.
const PAUSE: Duration = Duration::from_millis(20);

/// What one batch did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Batch {
    /// The last id looked at: the next batch starts after it.
    pub last: i64,
    /// Rows sealed.
    pub sealed: usize,
}

/// What one call of [`seal_batch`] came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Sealed(Batch),
    /// A petition has no keys yet: make them in a transaction of their own
    /// (so that nothing is sealed under keys that might not be stored),
    /// then try the batch again.
    NeedsKeys(i64),
    /// No clear row is left after the cursor.
    Done,
}

/// Seals the clear rows of one batch after `after`, with keys already stored.
pub fn seal_batch(conn: &mut DbConnection, vault: &Vault, after: i64) -> QueryResult<Step> {
    let rows = db::signatures::clear_after(conn, after, BATCH)?;
    let Some(last) = rows.last().map(|r| r.id) else {
        return Ok(Step::Done);
    };
    let mut sealed = 0;
    for row in &rows {
        let Some(keys) = vault.existing_keys(conn, row.petition_id)? else {
            return Ok(Step::NeedsKeys(row.petition_id));
        };
        if db::signatures::seal_in_place(conn, row, &keys.seal(&row.email_key, &row.personal))? {
            sealed += 1;
        }
    }
    Ok(Step::Sealed(Batch { last, sealed }))
}

/// Seals every clear row (from the start of the table), a batch at a time;
/// returns how many it sealed. Nothing to do without a master key.
pub async fn seal_all(db: &Db, vault: &Arc<Vault>) -> Result<usize, DbError> {
    if !vault.seals() {
        return Ok(0);
    }
    let (mut after, mut total) = (0, 0);
    loop {
        let shared = Arc::clone(vault);
        match db.write(move |c| seal_batch(c, &shared, after)).await? {
            Step::Done => break,
            Step::NeedsKeys(petition_id) => {
                let shared = Arc::clone(vault);
                let keys = db.write(move |c| shared.keys(c, petition_id)).await?;
                vault.committed(&keys);
            }
            Step::Sealed(batch) => {
                after = batch.last;
                total += batch.sealed;
                tokio::time::sleep(PAUSE).await;
            }
        }
    }
    Ok(total)
}

/// The task the server runs at start: seals what is left in the clear,
/// then ends. A failure is retried a minute later.
pub async fn run(db: Db, vault: Arc<Vault>) {
    loop {
        match seal_all(&db, &vault).await {
            Ok(0) => return,
            Ok(n) => {
                tracing::info!(
                    signatures = n,
                    "personal data stored in the clear is now sealed; the old bytes stay in free pages until \
                     the database is vacuumed (SQLite: VACUUM; PostgreSQL: VACUUM FULL or pg_repack)"
                );
                return;
            }
            Err(e) => {
                tracing::warn!(error = %e, "sealing personal data in place failed; trying again in a minute");
                tokio::time::sleep(Duration::from_secs(60)).await;
            }
        }
    }
}
