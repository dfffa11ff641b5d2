-- Leases that let one instance at a time run a long periodic job (retention)
-- that spans many transactions. A row, not an advisory lock, so that it also
-- works through a transaction-pooling PgBouncer.
-- Keep in step with migrations/sqlite/2026-11-27-000005_job_leases/up.sql.
CREATE TABLE job_leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    until TIMESTAMP NOT NULL
);
INSERT INTO job_leases (name, holder, until) VALUES ('retention', '', '2000-01-01 00:00:00');
