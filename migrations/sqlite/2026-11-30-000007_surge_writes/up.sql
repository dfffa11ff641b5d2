-- Keep in step with migrations/postgres/2026-11-30-000007_surge_writes/up.sql.
--
-- On PostgreSQL this migration drops the foreign keys from signatures to
-- petitions and from outbox to signatures (each costs a row lock per write)
-- and vacuums the outbox more often. Neither applies here: SQLite checks a
-- foreign key in-process for little, has no autovacuum, and can drop a
-- constraint only by rebuilding the table. The application behaves the same
-- on both (it deletes a signature's queued mail itself), so SQLite keeps
-- its constraints as a second guard.
SELECT 1;
