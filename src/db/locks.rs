//! Locks that let one of several instances run a periodic task at a time.

use diesel::prelude::*;
#[cfg(feature = "postgres")]
use diesel::sql_types::{BigInt, Bool};

use super::DbConnection;

/// Periodic tasks that must not run concurrently across instances.
#[derive(Debug, Clone, Copy)]
pub enum Job {
    FoldCounts,
    /// Appending to the transparency logs.
    AppendLog,
    /// Appending to the organisers' audit trail (one record after another).
    AuditTrail,
}

impl Job {
    pub fn key(self) -> i64 {
        match self {
            Self::FoldCounts => 0x756e_6465_7273_6702,
            Self::AppendLog => 0x756e_6465_7273_6703,
            Self::AuditTrail => 0x756e_6465_7273_6704,
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

/// Takes the lease on `job` for `holder` until `until`, if nobody else holds
/// an unexpired one; true if taken. For jobs that span many transactions.
pub fn take_lease(
    conn: &mut DbConnection,
    job: &str,
    holder: &str,
    now: chrono::NaiveDateTime,
    until: chrono::NaiveDateTime,
) -> QueryResult<bool> {
    use super::schema::job_leases as l;
    diesel::update(l::table.find(job).filter(l::until.le(now).or(l::holder.eq(holder))))
        .set((l::holder.eq(holder), l::until.eq(until)))
        .execute(conn)
        .map(|n| n == 1)
}

/// Gives the lease back (it would expire anyway).
pub fn release_lease(conn: &mut DbConnection, job: &str, holder: &str, now: chrono::NaiveDateTime) -> QueryResult<()> {
    use super::schema::job_leases as l;
    diesel::update(l::table.find(job).filter(l::holder.eq(holder))).set(l::until.eq(now)).execute(conn).map(|_| ())
}
