-- Organisers, their sessions and API tokens, login throttling, the export
-- log, petition text revisions, and per-day and per-reason counts.
-- Keep in step with migrations/postgres/2026-11-27-000002_organisers/up.sql.

CREATE TABLE organisers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    -- Lower-cased.
    email TEXT NOT NULL UNIQUE,
    -- Argon2id PHC string.
    password_hash TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    password_changed_at TIMESTAMP NOT NULL
);

-- Server-side sessions. The cookie holds the key; only its SHA-256 is kept.
CREATE TABLE sessions (
    key_hash BLOB PRIMARY KEY,
    organiser_id BIGINT REFERENCES organisers (id) ON DELETE CASCADE,
    state TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX sessions_expires ON sessions (expires_at);
CREATE INDEX sessions_organiser ON sessions (organiser_id);

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organiser_id BIGINT NOT NULL REFERENCES organisers (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    token_hash BLOB NOT NULL UNIQUE,
    -- The token's first characters, to tell tokens apart in lists.
    prefix TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP,
    revoked_at TIMESTAMP
);

-- Failed logins, keyed by HMACs (never the typed email or the address).
CREATE TABLE login_failures (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_key BLOB NOT NULL,
    client_key BLOB NOT NULL,
    -- Set when the client showed a valid device cookie for this account.
    device_key BLOB,
    at TIMESTAMP NOT NULL
);
CREATE INDEX login_failures_account ON login_failures (account_key, at);
CREATE INDEX login_failures_client ON login_failures (client_key, at);
CREATE INDEX login_failures_device ON login_failures (device_key, at);

-- Every export: who, when, what, how many rows.
CREATE TABLE export_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    petition_id BIGINT NOT NULL REFERENCES petitions (id),
    organiser_id BIGINT REFERENCES organisers (id) ON DELETE SET NULL,
    -- Who, in words that outlive the organiser's account.
    actor TEXT NOT NULL,
    what TEXT NOT NULL,
    rows_written BIGINT,
    status TEXT NOT NULL CHECK (status IN ('running', 'complete', 'aborted', 'failed')),
    sha256 TEXT,
    started_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP
);
CREATE INDEX export_log_petition ON export_log (petition_id, id);

-- Every version of a petition's text, the first included.
CREATE TABLE petition_revisions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    petition_id BIGINT NOT NULL REFERENCES petitions (id),
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    addressee TEXT,
    changed_at TIMESTAMP NOT NULL,
    changed_by TEXT NOT NULL
);
CREATE INDEX petition_revisions_petition ON petition_revisions (petition_id, id);
ALTER TABLE petitions ADD COLUMN text_changed_at TIMESTAMP;

-- Count events carry what they count and, for confirmations, the day.
ALTER TABLE count_events ADD COLUMN metric TEXT NOT NULL DEFAULT 'confirmed';
ALTER TABLE count_events ADD COLUMN day DATE;

CREATE TABLE petition_daily (
    petition_id BIGINT NOT NULL REFERENCES petitions (id),
    day DATE NOT NULL,
    confirmed BIGINT NOT NULL,
    PRIMARY KEY (petition_id, day)
);
-- Confirmations made before this migration, from the signatures themselves
-- (their count events carry no day, so folding leaves them out of this table).
INSERT INTO petition_daily (petition_id, day, confirmed)
SELECT petition_id, date(confirmed_at), COUNT(*) FROM signatures
WHERE status = 'confirmed' AND confirmed_at IS NOT NULL
GROUP BY petition_id, date(confirmed_at);

-- Submissions that were merged or refused, by reason.
CREATE TABLE petition_tallies (
    petition_id BIGINT NOT NULL REFERENCES petitions (id),
    metric TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (petition_id, metric)
);

-- Exports walk a petition's confirmed signatures in id order.
CREATE INDEX signatures_export ON signatures (petition_id, status, id);
