-- Keep in step with migrations/sqlite/2026-12-02-000011_personal_at_rest/up.sql.
--
-- Personal data at rest (docs/encryption.md): each petition's keys, wrapped
-- under a master key kept outside the database, and each signature's
-- address, name and postcode sealed under them in one column. The clear
-- columns (email, name, postcode) stay for rows written before keys were
-- configured, until the server seals them in place.

-- A petition's data key and hash key (64 bytes), encrypted under the
-- master key named by its identifier; deleted when the petition is erased.
CREATE TABLE petition_keys (
    petition_id BIGINT PRIMARY KEY NOT NULL,
    master_key_id TEXT NOT NULL,
    wrapped BYTEA NOT NULL,
    created_at TIMESTAMP NOT NULL
);

ALTER TABLE signatures ADD COLUMN personal BYTEA;
