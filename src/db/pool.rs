use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use diesel::{Connection, RunQueryDsl};

use super::DbConnection;

/// Which database a URL selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A parsed `DATABASE_URL`: `postgres://…` / `postgresql://…` selects
/// PostgreSQL; `sqlite://PATH` or a plain file path selects SQLite.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(String),
    Postgres(String),
}

impl DatabaseUrl {
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if s.is_empty() {
            return Err("must not be empty".into());
        }
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            if cfg!(feature = "postgres") {
                url::Url::parse(s).map_err(|e| format!("not a valid PostgreSQL URL ({e})"))?;
                return Ok(Self::Postgres(s.to_owned()));
            }
            return Err("this build has no PostgreSQL support (feature `postgres`)".into());
        }
        let path = s.strip_prefix("sqlite://").or_else(|| s.strip_prefix("sqlite:")).unwrap_or(s);
        if path.contains("://") {
            return Err("must be a postgres:// URL or a SQLite file path (sqlite://PATH)".into());
        }
        if !cfg!(feature = "sqlite") {
            return Err("this build has no SQLite support (feature `sqlite`)".into());
        }
        if path.is_empty() {
            return Err("SQLite file path is empty".into());
        }
        Ok(Self::Sqlite(path.to_owned()))
    }

    pub fn backend(&self) -> Backend {
        match self {
            Self::Sqlite(_) => Backend::Sqlite,
            Self::Postgres(_) => Backend::Postgres,
        }
    }
}

/// Shows the URL without its password.
impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Sqlite(path) => write!(f, "sqlite://{path}"),
            Self::Postgres(url) => match url::Url::parse(url) {
                Ok(mut u) => {
                    if u.password().is_some() {
                        let _ = u.set_password(Some("***"));
                    }
                    write!(f, "{u}")
                }
                Err(_) => f.write_str("postgres://<unparseable>"),
            },
        }
    }
}

/// Opens connections of the kind the URL names (never by trial and error),
/// and prepares SQLite connections for concurrent, durable use.
pub struct ConnectionManager {
    url: DatabaseUrl,
    /// Opens SQLite's writing connection (a PostgreSQL-only build has none).
    #[cfg_attr(not(feature = "sqlite"), allow(dead_code))]
    writer: bool,
    /// Outages noticed so far (see `Db::run`).
    pub outages: Arc<AtomicU64>,
}

impl ConnectionManager {
    pub fn new(url: DatabaseUrl) -> Self {
        Self { url, writer: false, outages: Arc::default() }
    }

    /// For SQLite's one writing connection (see [`SQLITE_WRITER_SETUP`]),
    /// sharing the outage count of the pool beside it.
    pub fn sqlite_writer(url: DatabaseUrl, outages: Arc<AtomicU64>) -> Self {
        Self { url, writer: true, outages }
    }
}

/// Whether a connection still answers.
pub fn ping(conn: &mut DbConnection) -> bool {
    diesel::sql_query("SELECT 1").execute(conn).is_ok()
}

/// WAL lets readers proceed while one writer commits; synchronous=FULL makes
/// every commit durable across power loss, which an acknowledged signature
/// must be.
#[cfg(feature = "sqlite")]
const SQLITE_SETUP: &str = "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
     PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;";

/// SQLite's writing connection keeps a 32 MiB page cache instead of the
/// default 2 MiB: enough for the upper levels of the signatures' index on
/// (petition, email key), whose keys are random, so that an insert into a
/// petition of 10 million signatures reads one index page from the OS rather
/// than several. Measured (README, Performance): signing with 10 million
/// existing signatures went from 0.76–0.81 of the rate with none to 0.89
/// and 1.06 in two runs. Only the writer has it: it is the only connection
/// of this process that writes, so its cache stays valid from one
/// transaction to the next (SQLite drops a connection's cache when another
/// has written since, which another process, such as a second instance or
/// the CLI, still may), while readers streaming an export through a large
/// cache would only grow the server's memory.
#[cfg(feature = "sqlite")]
const SQLITE_WRITER_SETUP: &str = "PRAGMA cache_size = -32768;";

/// A connection in the pool, with a mark set when it failed in a way that
/// means the database went away, and the outage count when it was opened.
pub struct Pooled {
    pub conn: DbConnection,
    pub broken: bool,
    /// `ConnectionManager::outages` when this connection was opened or last
    /// found working: one opened before a later outage is checked before use.
    pub generation: u64,
    /// When it last finished a call: one idle for long may have been cut.
    pub last_used: std::time::Instant,
}

impl r2d2::ManageConnection for ConnectionManager {
    type Connection = Pooled;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<Pooled, Self::Error> {
        let generation = self.outages.load(Ordering::Acquire);
        self.open().map(|conn| Pooled { conn, broken: false, generation, last_used: std::time::Instant::now() })
    }

    fn is_valid(&self, pooled: &mut Pooled) -> Result<(), Self::Error> {
        diesel::sql_query("SELECT 1").execute(&mut pooled.conn).map(|_| ()).map_err(diesel::r2d2::Error::QueryError)
    }

    fn has_broken(&self, pooled: &mut Pooled) -> bool {
        use diesel::connection::TransactionManager;
        pooled.broken
            || <DbConnection as Connection>::TransactionManager::is_broken_transaction_manager(&mut pooled.conn)
    }
}

impl ConnectionManager {
    fn open(&self) -> Result<DbConnection, diesel::r2d2::Error> {
        match &self.url {
            #[cfg(feature = "sqlite")]
            DatabaseUrl::Sqlite(path) => {
                let mut conn =
                    diesel::SqliteConnection::establish(path).map_err(diesel::r2d2::Error::ConnectionError)?;
                diesel::connection::SimpleConnection::batch_execute(&mut conn, SQLITE_SETUP)
                    .map_err(diesel::r2d2::Error::QueryError)?;
                if self.writer {
                    diesel::connection::SimpleConnection::batch_execute(&mut conn, SQLITE_WRITER_SETUP)
                        .map_err(diesel::r2d2::Error::QueryError)?;
                }
                Ok(DbConnection::Sqlite(conn))
            }
            #[cfg(feature = "postgres")]
            DatabaseUrl::Postgres(url) => diesel::PgConnection::establish(&with_socket_timeouts(url))
                .map(DbConnection::Postgres)
                .map_err(diesel::r2d2::Error::ConnectionError),
            #[cfg(not(all(feature = "sqlite", feature = "postgres")))]
            _ => Err(diesel::r2d2::Error::ConnectionError(diesel::ConnectionError::BadConnection(
                "backend not compiled in".into(),
            ))),
        }
    }
}

/// libpq settings that make a vanished server an error within seconds
/// rather than a hang (TCP's own give-up takes many minutes): a connect
/// timeout, and keepalives on idle connections. Any the URL sets win.
#[cfg(feature = "postgres")]
fn with_socket_timeouts(url: &str) -> String {
    const DEFAULTS: [(&str, &str); 5] = [
        ("connect_timeout", "2"),
        ("keepalives", "1"),
        ("keepalives_idle", "5"),
        ("keepalives_interval", "2"),
        ("keepalives_count", "3"),
    ];
    let Ok(mut parsed) = url::Url::parse(url) else {
        return url.to_owned();
    };
    let present: Vec<String> = parsed.query_pairs().map(|(k, _)| k.into_owned()).collect();
    {
        let mut query = parsed.query_pairs_mut();
        for (k, v) in DEFAULTS.iter().filter(|(k, _)| !present.iter().any(|p| p == k)) {
            query.append_pair(k, v);
        }
    }
    parsed.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_kinds_and_refuses_others() {
        assert_eq!(DatabaseUrl::parse("undersigned.db"), Ok(DatabaseUrl::Sqlite("undersigned.db".into())));
        assert_eq!(DatabaseUrl::parse("sqlite:///var/lib/u.db"), Ok(DatabaseUrl::Sqlite("/var/lib/u.db".into())));
        #[cfg(feature = "postgres")]
        assert_eq!(DatabaseUrl::parse("postgres://u@h/db").map(|u| u.backend()), Ok(Backend::Postgres));
        #[cfg(not(feature = "postgres"))]
        assert!(DatabaseUrl::parse("postgres://u@h/db").is_err(), "a build without PostgreSQL refuses its URLs");
        assert!(DatabaseUrl::parse("mysql://u@h/db").is_err());
        assert!(DatabaseUrl::parse("").is_err());
    }

    #[cfg(feature = "postgres")]
    #[test]
    fn socket_timeouts_are_added_unless_set() {
        let url = with_socket_timeouts("postgres://u@h/db?connect_timeout=9");
        assert!(url.contains("connect_timeout=9") && !url.contains("connect_timeout=2"), "{url}");
        assert!(url.contains("keepalives_idle=5"), "{url}");
    }

    #[cfg(feature = "postgres")]
    #[test]
    fn debug_hides_the_password() {
        let url = DatabaseUrl::parse("postgres://user:hunter2@db/x").unwrap();
        assert!(!format!("{url:?}").contains("hunter2"));
    }
}
