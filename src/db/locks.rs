//! Locks that let one of several instances run a periodic task at a time.

use diesel::prelude::*;
#[cfg(feature = "postgres")]
use diesel::sql_types::{BigInt, Bool};

use super::DbConnection;

/// Periodic tasks that must not run concurrently across instances.
#[derive(Debug, Clone, Copy)]
pub enum Job {
    FoldCounts,
}

impl Job {
    fn key(self) -> i64 {
        match self {
            Self::FoldCounts => 0x756e_6465_7273_6702,
        }
    }
}

/// Waits for the lock named by `key` until the current transaction ends.
/// PostgreSQL: a transaction-scoped advisory lock; SQLite: writers already
/// take turns, so there is nothing to wait for.
pub fn lock_for_transaction(conn: &mut DbConnection, key: i64) -> QueryResult<()> {
    match conn {
        #[cfg(feature = "postgres")]
        DbConnection::Postgres(c) => {
            diesel::sql_query("SELECT pg_advisory_xact_lock($1)").bind::<BigInt, _>(key).execute(c).map(|_| ())
        }
        #[cfg(feature = "sqlite")]
        DbConnection::Sqlite(_) => {
            let _ = key;
            Ok(())
        }
    }
}

#[cfg(feature = "postgres")]
#[derive(QueryableByName)]
struct Locked {
    #[diesel(sql_type = Bool)]
    locked: bool,
}

/// Takes `job`'s lock until the current transaction ends, if nobody holds it.
/// PostgreSQL: a transaction-scoped advisory lock. SQLite: writers already take
/// turns (one process, one writer), so the lock is always granted.
pub fn try_lock_for_transaction(conn: &mut DbConnection, job: Job) -> QueryResult<bool> {
    match conn {
        #[cfg(feature = "postgres")]
        DbConnection::Postgres(c) => diesel::sql_query("SELECT pg_try_advisory_xact_lock($1) AS locked")
            .bind::<BigInt, _>(job.key())
            .get_result::<Locked>(c)
            .map(|r| r.locked),
        #[cfg(feature = "sqlite")]
        DbConnection::Sqlite(_) => {
            let _ = job.key();
            Ok(true)
        }
    }
}
