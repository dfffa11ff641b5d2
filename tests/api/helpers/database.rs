//! Which database a test runs on, and the database made for each test.

use diesel::prelude::*;

/// Which database a test runs on.
#[derive(Debug, Clone)]
pub enum Backend {
    Sqlite,
    /// The server URL of TEST_DATABASE_URL; each test makes its own database.
    Postgres(String),
}

impl Backend {
    /// PostgreSQL if TEST_DATABASE_URL is set (CI sets it), else None.
    /// Always None in a build without the `postgres` feature.
    pub fn postgres() -> Option<Self> {
        if !cfg!(feature = "postgres") {
            eprintln!("built without the postgres feature: PostgreSQL variant not run");
            return None;
        }
        match std::env::var("TEST_DATABASE_URL") {
            Ok(url) if !url.is_empty() => Some(Self::Postgres(url)),
            _ => {
                eprintln!("TEST_DATABASE_URL is not set: PostgreSQL variant not run");
                None
            }
        }
    }
}

/// Runs each listed `async fn name(backend: Backend)` as two tests,
/// `name::sqlite` and `name::postgres`.
#[macro_export]
macro_rules! on_both_databases {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[actix_web::test]
            async fn sqlite() {
                super::$name($crate::helpers::Backend::Sqlite).await
            }
            #[actix_web::test]
            async fn postgres() {
                if let Some(backend) = $crate::helpers::Backend::postgres() {
                    super::$name(backend).await
                }
            }
        }
    )*};
}

/// A database made for one test and removed after it, with its key file
/// (made as a deployment makes one: `keys init`, mode 0600).
pub enum TestDatabase {
    /// The directory holding the SQLite file, deleted on drop.
    Sqlite(#[expect(dead_code, reason = "held for its Drop")] tempfile::TempDir),
    Postgres {
        admin_url: String,
        name: String,
    },
}

/// The key file of a test database, by its URL: beside the SQLite file, or
/// in the temporary directory for a PostgreSQL database (deleted with it).
pub fn key_file_of(database_url: &str) -> std::path::PathBuf {
    if database_url.starts_with("postgres") {
        let name = database_url.rsplit('/').next().unwrap_or_default();
        std::env::temp_dir().join(format!("{name}.keys.json"))
    } else {
        std::path::Path::new(database_url).with_file_name("keys.json")
    }
}

impl TestDatabase {
    pub fn create(backend: &Backend) -> (Self, String) {
        let (db, url) = match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                let url = dir.path().join("test.db").display().to_string();
                (Self::Sqlite(dir), url)
            }
            Backend::Postgres(admin_url) => {
                let name = format!("undersigned_test_{}", hex::encode(rand::random::<[u8; 8]>()));
                on_server(admin_url, &format!("CREATE DATABASE \"{name}\"")).expect("TEST_DATABASE_URL reachable");
                let mut url = url::Url::parse(admin_url).unwrap();
                url.set_path(&name);
                (Self::Postgres { admin_url: admin_url.clone(), name }, url.to_string())
            }
        };
        undersigned::vault::KeyFile::generate().create(&key_file_of(&url)).expect("a new key file");
        (db, url)
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Self::Postgres { name, .. } = self {
            let _ = std::fs::remove_file(std::env::temp_dir().join(format!("{name}.keys.json")));
        }
        if let Self::Postgres { admin_url, name } = self {
            // Bounded: DROP DATABASE may wait on other backends of the cluster
            // (those it terminates, and PostgreSQL 15's signal barrier, which
            // a backend blocked writing to a client that does not read takes
            // late), and an unbounded wait here would hold this test and its
            // runtime for ever. Past the timeout the database is left
            // behind, which only costs space.
            if let Err(e) = on_server(admin_url, &format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")) {
                eprintln!("test database {name} left behind: {e}");
            }
        }
    }
}

/// Runs one statement on the PostgreSQL server of TEST_DATABASE_URL, within
/// 30 seconds (statement_timeout; CREATE and DROP DATABASE cannot run in a
/// transaction, so it is set on its own first).
fn on_server(admin_url: &str, sql: &str) -> Result<(), String> {
    #[cfg(feature = "postgres")]
    {
        let mut admin = diesel::PgConnection::establish(admin_url).map_err(|e| e.to_string())?;
        let run = |conn: &mut diesel::PgConnection, sql: &str| diesel::sql_query(sql).execute(conn).map(|_| ());
        run(&mut admin, "SET statement_timeout = '30s'").map_err(|e| e.to_string())?;
        run(&mut admin, sql).map_err(|e| e.to_string())
    }
    #[cfg(not(feature = "postgres"))]
    {
        let _ = (admin_url, sql);
        unreachable!("without the postgres feature Backend::postgres() is None")
    }
}
