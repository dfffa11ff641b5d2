use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use super::DbConnection;

#[cfg(feature = "sqlite")]
pub(super) const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
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

#[cfg(all(test, feature = "sqlite"))]
mod tests {
    use diesel::connection::SimpleConnection;
    use diesel::prelude::*;
    use diesel::sql_types::BigInt;

    use super::*;

    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }

    #[test]
    fn upgrading_keeps_the_history_of_confirmations_for_the_chart() {
        let mut c = SqliteConnection::establish(":memory:").unwrap();
        c.run_next_migration(SQLITE).unwrap();
        c.batch_execute(
            "INSERT INTO petitions (slug, title, body, state, created_at, updated_at) \
             VALUES ('p', 'T', 'B', 'open', '2026-01-01 00:00:00', '2026-01-01 00:00:00'); \
             INSERT INTO signatures (petition_id, email_key, country, status, created_at, confirmed_at) VALUES \
             (1, x'01', 'GB', 'confirmed', '2026-01-01 10:00:00', '2026-01-02 10:00:00'), \
             (1, x'02', 'GB', 'confirmed', '2026-01-01 10:00:00', '2026-01-02 23:00:00'), \
             (1, x'03', 'FR', 'confirmed', '2026-01-01 10:00:00', '2026-01-03 01:00:00'), \
             (1, x'04', 'FR', 'pending', '2026-01-01 10:00:00', NULL);",
        )
        .unwrap();
        c.run_pending_migrations(SQLITE).unwrap();
        let days: Vec<N> =
            diesel::sql_query("SELECT confirmed AS n FROM petition_daily ORDER BY day").load(&mut c).unwrap();
        assert_eq!(days.iter().map(|d| d.n).collect::<Vec<_>>(), [2, 1]);
    }
}
