//! Everything that speaks SQL: the connection type shared by both backends,
//! the pool, embedded migrations, row structs and one module of queries per
//! table. Nothing outside `db` builds a query.

pub mod audit;
pub mod counts;
pub mod exports;
pub mod held;
pub mod links;
pub mod locks;
mod migrations;
mod models;
pub mod organisers;
pub mod outbox;
pub mod petition_keys;
pub mod petitions;
mod pool;
pub mod retention;
pub mod schema;
pub mod secrets;
#[cfg(feature = "testing")]
pub mod seed;
pub mod sessions;
pub mod signatures;
pub mod signing;
pub mod stats;
pub mod tlog;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use diesel::Connection;
use diesel::result::{DatabaseErrorKind, Error as DieselError, QueryResult};

pub use migrations::migrate;
pub use models::{PetitionRow, TranslationRow};
pub use pool::{Backend, DatabaseUrl};

/// Runs the same diesel code on the concrete connection inside a
/// `DbConnection`, for SQL the shared backend cannot express (multi-row
/// INSERT, RETURNING after it, `FOR UPDATE SKIP LOCKED`).
#[macro_export]
macro_rules! on_each_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            #[cfg(feature = "postgres")]
            $crate::db::DbConnection::Postgres($c) => $body,
            #[cfg(feature = "sqlite")]
            $crate::db::DbConnection::Sqlite($c) => $body,
        }
    };
}

#[cfg(not(any(feature = "sqlite", feature = "postgres")))]
compile_error!("enable at least one of the features `sqlite` and `postgres`");

/// A connection to whichever database `DATABASE_URL` names. Queries written
/// once against it run on both; where SQL must differ, match on the variant.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    #[cfg(feature = "postgres")]
    Postgres(diesel::PgConnection),
    #[cfg(feature = "sqlite")]
    Sqlite(diesel::SqliteConnection),
}

/// Why a database call failed, as far as callers need to know.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The database cannot be reached now; worth retrying later (HTTP 503).
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error(transparent)]
    Query(DieselError),
    #[error("database task failed to complete")]
    Task,
}

impl From<DieselError> for DbError {
    fn from(e: DieselError) -> Self {
        match e {
            DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection, info) => {
                Self::Unavailable(info.message().to_owned())
            }
            DieselError::DatabaseError(DatabaseErrorKind::UnableToSendCommand, info) => {
                Self::Unavailable(info.message().to_owned())
            }
            // SQLite's busy timeout ran out: another process held the write
            // lock for seconds. Worth retrying, not a bug.
            DieselError::DatabaseError(_, info) if info.message().contains("database is locked") => {
                Self::Unavailable(info.message().to_owned())
            }
            other => Self::Query(other),
        }
    }
}

/// The handle the rest of the program uses to run queries.
///
/// Every call runs on tokio's blocking pool, never on an async worker.
/// On SQLite, writes are serialised in-process (SQLite has one writer; taking
/// turns here avoids busy errors and snapshot conflicts).
#[derive(Clone)]
pub struct Db {
    pool: r2d2::Pool<pool::ConnectionManager>,
    /// SQLite only: the one connection that writes (see `pool`), so that
    /// its page cache stays warm; PostgreSQL writes on the pool.
    writer: Option<r2d2::Pool<pool::ConnectionManager>>,
    backend: Backend,
    write_lock: Arc<Mutex<()>>,
    /// How long a call waits for a connection before answering Unavailable.
    checkout: Duration,
    outages: Arc<AtomicU64>,
    /// Write transactions begun through this handle and its clones.
    writes: Arc<AtomicU64>,
}

/// How long a request waits for a database connection once running: short,
/// so that an outage is answered with 503 in well under 2 seconds.
pub const CHECKOUT_TIMEOUT: Duration = Duration::from_millis(1000);

/// The longest a request waits on the database in all (a signature's batch,
/// readiness): past it the answer is 503, even if the database hangs rather
/// than refuses (its socket then times out on its own, see `pool`).
pub const REQUEST_DEADLINE: Duration = Duration::from_millis(1500);

/// A connection idle for longer is checked (one `SELECT 1`) before use.
const IDLE_CHECK: Duration = Duration::from_secs(5);

impl Db {
    /// Opens the pool. Fails if the database cannot be reached within
    /// `timeout`.
    pub fn connect(url: &DatabaseUrl, pool_size: u32, timeout: Duration) -> Result<Self, DbError> {
        let manager = pool::ConnectionManager::new(url.clone());
        let outages = Arc::clone(&manager.outages);
        let pool =
            Self::pool_builder(pool_size, timeout).build(manager).map_err(|e| DbError::Unavailable(e.to_string()))?;
        let writer = match url.backend() {
            // Kept open for good: closing it (idle or old) would drop its cache.
            Backend::Sqlite => Some(
                Self::pool_builder(1, timeout)
                    .idle_timeout(None)
                    .max_lifetime(None)
                    .build(pool::ConnectionManager::sqlite_writer(url.clone(), Arc::clone(&outages)))
                    .map_err(|e| DbError::Unavailable(e.to_string()))?,
            ),
            Backend::Postgres => None,
        };
        Ok(Self {
            pool,
            writer,
            backend: url.backend(),
            write_lock: Arc::default(),
            checkout: timeout,
            outages,
            writes: Arc::default(),
        })
    }

    /// The pool's settings; the writer's lifetime is set apart (see `connect`).
    fn pool_builder(size: u32, timeout: Duration) -> r2d2::Builder<pool::ConnectionManager> {
        r2d2::Pool::builder()
            .max_size(size)
            .min_idle(Some(1))
            .connection_timeout(timeout)
            // No `SELECT 1` before every use (a round trip per query): a
            // connection that fails is marked and dropped instead (see `run`).
            .test_on_check_out(false)
            .idle_timeout(Some(Duration::from_secs(300)))
    }

    /// The same pool, with calls waiting at most `timeout` for a connection.
    pub fn with_checkout_timeout(mut self, timeout: Duration) -> Self {
        self.checkout = timeout;
        self
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// How many write transactions this handle (and its clones) has begun:
    /// lets tests show that something costs no write.
    #[cfg(feature = "testing")]
    pub fn writes(&self) -> u64 {
        self.writes.load(Ordering::Relaxed)
    }

    /// A pooled connection. One opened before the last outage was noticed is
    /// checked first (it may have been cut meanwhile), so that the first
    /// requests after the database returns do not fail on dead connections.
    fn conn(
        &self,
        pool: &r2d2::Pool<pool::ConnectionManager>,
    ) -> Result<r2d2::PooledConnection<pool::ConnectionManager>, DbError> {
        for _ in 0..=pool.max_size() {
            let mut pooled = pool.get_timeout(self.checkout).map_err(|e| DbError::Unavailable(e.to_string()))?;
            let generation = self.outages.load(Ordering::Acquire);
            if pooled.generation >= generation && pooled.last_used.elapsed() < IDLE_CHECK {
                return Ok(pooled);
            }
            if pool::ping(&mut pooled.conn) {
                pooled.generation = generation;
                return Ok(pooled);
            }
            pooled.broken = true;
        }
        Err(DbError::Unavailable("no working connection".into()))
    }

    /// Runs `f` on a pooled connection. If the database turns out to be
    /// unreachable (the error says so, or the connection no longer answers),
    /// the connection is dropped rather than handed out again, the outage is
    /// noted, and the caller gets `Unavailable`.
    fn run<T>(
        &self,
        pool: &r2d2::Pool<pool::ConnectionManager>,
        f: impl FnOnce(&mut DbConnection) -> QueryResult<T>,
    ) -> Result<T, DbError> {
        let mut pooled = self.conn(pool)?;
        let result = match f(&mut pooled.conn).map_err(DbError::from) {
            Err(DbError::Query(e)) if self.backend == Backend::Postgres && !pool::ping(&mut pooled.conn) => {
                Err(DbError::Unavailable(e.to_string()))
            }
            other => other,
        };
        if matches!(result, Err(DbError::Unavailable(_))) {
            pooled.broken = true;
            self.outages.fetch_add(1, Ordering::AcqRel);
        }
        pooled.last_used = std::time::Instant::now();
        result
    }

    /// Runs read-only work on a pooled connection, outside any transaction.
    pub fn read_blocking<T>(&self, f: impl FnOnce(&mut DbConnection) -> QueryResult<T>) -> Result<T, DbError> {
        self.run(&self.pool, f)
    }

    /// Runs `f` in one transaction: all of it is committed, or none.
    /// On SQLite the transaction is `BEGIN IMMEDIATE` (it holds the write lock
    /// from its first statement, so a read-then-write cannot fail with
    /// SQLITE_BUSY when another process writes), and writers of this process
    /// take turns on the one writing connection (see `pool`).
    pub fn write_blocking<T>(&self, f: impl FnOnce(&mut DbConnection) -> QueryResult<T>) -> Result<T, DbError> {
        self.writes.fetch_add(1, Ordering::Relaxed);
        let _turn = match self.backend {
            Backend::Sqlite => Some(self.write_lock.lock().unwrap_or_else(|p| p.into_inner())),
            Backend::Postgres => None,
        };
        self.run(self.writer.as_ref().unwrap_or(&self.pool), |conn| in_transaction(conn, Begin::ForWriting, f))
    }

    /// Runs read-only `f` on one consistent snapshot of the database
    /// (REPEATABLE READ on PostgreSQL; a read transaction on SQLite), so that
    /// several queries agree with each other.
    pub fn snapshot_blocking<T>(&self, f: impl FnOnce(&mut DbConnection) -> QueryResult<T>) -> Result<T, DbError> {
        self.run(&self.pool, |conn| in_transaction(conn, Begin::Snapshot, f))
    }

    pub async fn snapshot<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut DbConnection) -> QueryResult<T> + Send + 'static,
    ) -> Result<T, DbError> {
        let db = self.clone();
        tokio::task::spawn_blocking(move || db.snapshot_blocking(f)).await.map_err(|_| DbError::Task)?
    }

    pub async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut DbConnection) -> QueryResult<T> + Send + 'static,
    ) -> Result<T, DbError> {
        let db = self.clone();
        tokio::task::spawn_blocking(move || db.read_blocking(f)).await.map_err(|_| DbError::Task)?
    }

    pub async fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut DbConnection) -> QueryResult<T> + Send + 'static,
    ) -> Result<T, DbError> {
        let db = self.clone();
        tokio::task::spawn_blocking(move || db.write_blocking(f)).await.map_err(|_| DbError::Task)?
    }

    /// Applies pending migrations; returns the names of those applied.
    pub async fn migrate(&self) -> Result<Vec<String>, anyhow::Error> {
        let db = self.clone();
        tokio::task::spawn_blocking(move || {
            let mut pooled = db.conn(&db.pool)?;
            migrate(&mut pooled.conn)
        })
        .await?
    }
}

enum Begin {
    ForWriting,
    Snapshot,
}

/// diesel's `Connection::transaction`, with the BEGIN each backend needs.
fn in_transaction<T>(
    conn: &mut DbConnection,
    begin: Begin,
    f: impl FnOnce(&mut DbConnection) -> QueryResult<T>,
) -> QueryResult<T> {
    #[cfg(feature = "sqlite")]
    use diesel::connection::AnsiTransactionManager;
    #[cfg(feature = "postgres")]
    use diesel::connection::SimpleConnection;
    use diesel::connection::TransactionManager;
    type Manager = <DbConnection as Connection>::TransactionManager;
    match (&mut *conn, begin) {
        #[cfg(feature = "sqlite")]
        (DbConnection::Sqlite(c), Begin::ForWriting) => {
            AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?
        }
        #[cfg(feature = "postgres")]
        (DbConnection::Postgres(_), Begin::Snapshot) => {
            Manager::begin_transaction(conn)?;
            conn.batch_execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")?;
        }
        _ => Manager::begin_transaction(conn)?,
    }
    match f(conn) {
        Ok(value) => {
            Manager::commit_transaction(conn)?;
            Ok(value)
        }
        Err(error) => match Manager::rollback_transaction(conn) {
            Ok(()) | Err(DieselError::BrokenTransactionManager) => Err(error),
            Err(rollback_error) => Err(rollback_error),
        },
    }
}

/// Makes PostgreSQL plan the rest of the caller's transaction for each
/// statement's parameters and the tables' sizes now, rather than reuse a
/// generic plan: one cached while the tables were small scans them whole
/// (`= ANY` over hundreds of keys), and a surge on a new deployment is
/// exactly when they grow fastest. Nothing on SQLite.
pub fn plan_for_now(conn: &mut DbConnection) -> QueryResult<()> {
    set_local_on_postgres(conn, "plan_cache_mode = force_custom_plan")
}

/// Lets PostgreSQL commit the caller's transaction without waiting for its
/// WAL to reach the disk (`synchronous_commit = off` for this transaction
/// alone): for work that a crash may lose without harm, which is then lost
/// only if the server crashes within about half a second of the commit
/// (three times `wal_writer_delay`), and is never left half done. Nothing on
/// SQLite.
pub fn commit_lazily(conn: &mut DbConnection) -> QueryResult<()> {
    set_local_on_postgres(conn, "synchronous_commit = off")
}

/// `SET LOCAL setting` on PostgreSQL (for the caller's transaction alone).
fn set_local_on_postgres(conn: &mut DbConnection, setting: &str) -> QueryResult<()> {
    match conn {
        #[cfg(feature = "postgres")]
        DbConnection::Postgres(c) => {
            diesel::RunQueryDsl::execute(diesel::sql_query(format!("SET LOCAL {setting}")), c).map(|_| ())
        }
        #[cfg(feature = "sqlite")]
        DbConnection::Sqlite(_) => {
            let _ = setting;
            Ok(())
        }
    }
}

/// True when `e` is a unique-constraint violation (both backends report it
/// the same way through diesel; constraint names exist only on PostgreSQL).
pub fn is_unique_violation(e: &DieselError) -> bool {
    matches!(e, DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _))
}
