-- Keep in step with migrations/sqlite/2026-12-06-000013_audit_trail/up.sql.
--
-- The organisers' audit trail (docs/audit.md): what every organiser, API
-- token and command did, append-only and tamper-evident. Each record's mac
-- is an HMAC, under a key derived from SECRET_KEY (kept outside the
-- database), of the previous record's mac and of this record; ids run
-- from 1 without gaps, so that a changed, removed or reordered record
-- breaks the chain. organiser_id is not a foreign key: the trail outlives
-- the organisers it names.
CREATE TABLE audit_records (
    id BIGINT PRIMARY KEY NOT NULL CHECK (id > 0),
    at TIMESTAMP NOT NULL,
    organiser_id BIGINT,
    actor TEXT NOT NULL,
    network BYTEA,
    kind TEXT NOT NULL,
    petition_id BIGINT,
    detail TEXT NOT NULL,
    mac BYTEA NOT NULL
);
CREATE INDEX audit_records_organiser ON audit_records (organiser_id, id);
CREATE INDEX audit_records_petition ON audit_records (petition_id, id);
