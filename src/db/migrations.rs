use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use super::DbConnection;

#[cfg(feature = "sqlite")]
const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
#[cfg(feature = "postgres")]
const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Arbitrary constant naming the advisory lock that serialises migrations
/// when several instances start at once against one PostgreSQL.
#[cfg(feature = "postgres")]
const MIGRATION_LOCK: i64 = 0x756e_6465_7273_6701;

/// Applies every pending migration for the connection's backend.
pub fn migrate(conn: &mut DbConnection) -> anyhow::Result<Vec<String>> {
    fn names(applied: Vec<diesel::migration::MigrationVersion<'_>>) -> Vec<String> {
        applied.iter().map(ToString::to_string).collect()
    }
    match conn {
        #[cfg(feature = "sqlite")]
        DbConnection::Sqlite(c) => c.run_pending_migrations(SQLITE).map(names).map_err(|e| anyhow::anyhow!(e)),
        #[cfg(feature = "postgres")]
        DbConnection::Postgres(c) => {
            use diesel::RunQueryDsl;
            diesel::sql_query(format!("SELECT pg_advisory_lock({MIGRATION_LOCK})")).execute(c)?;
            let result = c.run_pending_migrations(POSTGRES).map(names).map_err(|e| anyhow::anyhow!(e));
            diesel::sql_query(format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})")).execute(c)?;
            result
        }
    }
}
