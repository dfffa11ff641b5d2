-- Core of undersigned: petitions, signatures, emailed tokens, the mail outbox,
-- and counts kept without one hot row per petition.
-- Keep in step with migrations/postgres/2026-11-27-000001_core/up.sql.

CREATE TABLE petitions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    slug TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    addressee TEXT,
    goal BIGINT,
    state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'closed')),
    closes_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    closed_at TIMESTAMP
);

CREATE TABLE signatures (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    petition_id BIGINT NOT NULL REFERENCES petitions (id),
    -- HMAC-SHA256 of the canonical email under the deployment's secret;
    -- NULL once withdrawn, so the person may sign again.
    email_key BLOB,
    email TEXT,
    name TEXT,
    country TEXT NOT NULL,
    postcode TEXT,
    keep_informed BOOLEAN NOT NULL DEFAULT FALSE,
    status TEXT NOT NULL CHECK (status IN ('pending', 'confirmed', 'withdrawn')),
    created_at TIMESTAMP NOT NULL,
    confirmed_at TIMESTAMP,
    withdrawn_at TIMESTAMP,
    -- Mails queued for this signature so far (at most 5) and when the last was.
    mails_queued INTEGER NOT NULL DEFAULT 0,
    last_mail_at TIMESTAMP
);
-- One signature per person per petition, whatever the concurrency.
CREATE UNIQUE INDEX signatures_petition_email_key ON signatures (petition_id, email_key);

-- Tokens sent in links, stored only as SHA-256. A token confirms until
-- expires_at and withdraws for as long as the signature exists.
CREATE TABLE signature_tokens (
    token_hash BLOB PRIMARY KEY,
    signature_id BIGINT NOT NULL REFERENCES signatures (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX signature_tokens_signature ON signature_tokens (signature_id);

-- Mail to send, written in the same transaction as the signature. It holds
-- what to send, not the mail itself: the token is made when the mail is.
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL CHECK (kind IN ('confirm', 'already_signed')),
    signature_id BIGINT NOT NULL REFERENCES signatures (id) ON DELETE CASCADE,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    locked_until TIMESTAMP,
    last_error TEXT,
    failed_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX outbox_due ON outbox (next_attempt_at);
CREATE INDEX outbox_signature ON outbox (signature_id);

-- Each confirmation (+1) or withdrawal (-1) appends a row here; a background
-- task folds them into petition_counts. No row is updated per signature.
CREATE TABLE count_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    petition_id BIGINT NOT NULL,
    country TEXT NOT NULL,
    delta INTEGER NOT NULL
);

CREATE TABLE petition_counts (
    petition_id BIGINT NOT NULL REFERENCES petitions (id),
    country TEXT NOT NULL,
    confirmed BIGINT NOT NULL,
    PRIMARY KEY (petition_id, country)
);

-- Secrets generated once and kept with the data (when SECRET_KEY is unset).
CREATE TABLE instance_secrets (
    name TEXT PRIMARY KEY,
    value BLOB NOT NULL
);
