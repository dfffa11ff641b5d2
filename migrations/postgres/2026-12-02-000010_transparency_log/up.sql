-- Keep in step with migrations/sqlite/2026-12-02-000010_transparency_log/up.sql.
--
-- The signature transparency log (docs/transparency.md): one append-only
-- Merkle tree per petition.

-- Confirmations and withdrawals waiting to be appended, in the order they
-- were committed. A confirmation writes its row in the transaction that
-- confirms; the appender moves rows into leaves in one transaction.
CREATE TABLE tlog_pending (
    id BIGSERIAL PRIMARY KEY,
    petition_id BIGINT NOT NULL,
    signature_id BIGINT NOT NULL,
    withdrawn BOOLEAN NOT NULL,
    country TEXT NOT NULL,
    day DATE NOT NULL,
    signed_at TIMESTAMP NOT NULL,
    commitment BYTEA
);

-- A log's head: its origin (fixed when the log is created), its size and
-- root, its totals ("CC n" lines) and its latest signed checkpoint.
CREATE TABLE tlog_heads (
    petition_id BIGINT PRIMARY KEY NOT NULL REFERENCES petitions (id),
    origin TEXT NOT NULL,
    size BIGINT NOT NULL,
    root BYTEA NOT NULL,
    totals TEXT NOT NULL,
    checkpoint TEXT NOT NULL,
    checkpoint_at TIMESTAMP NOT NULL
);

-- Every checkpoint published, one per size.
CREATE TABLE tlog_checkpoints (
    petition_id BIGINT NOT NULL,
    size BIGINT NOT NULL,
    note TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (petition_id, size)
);

-- The leaves. signature_id is the server's only link between a person and
-- a leaf: withdrawal and erasure set it to NULL, the leaf stays.
CREATE TABLE tlog_leaves (
    petition_id BIGINT NOT NULL,
    idx BIGINT NOT NULL,
    leaf BYTEA NOT NULL,
    commitment BYTEA,
    cancels BIGINT,
    signature_id BIGINT,
    PRIMARY KEY (petition_id, idx)
);
CREATE INDEX tlog_leaves_by_commitment ON tlog_leaves (petition_id, commitment);
CREATE INDEX tlog_leaves_by_cancelled ON tlog_leaves (petition_id, cancels) WHERE cancels IS NOT NULL;
CREATE INDEX tlog_leaves_by_signature ON tlog_leaves (signature_id) WHERE signature_id IS NOT NULL;

-- The tree's stored hashes (RFC 6962 subtree hashes in the Go sumdb
-- "stored hash" order, about two per leaf), from which tiles are read.
CREATE TABLE tlog_hashes (
    petition_id BIGINT NOT NULL,
    sidx BIGINT NOT NULL,
    hash BYTEA NOT NULL,
    PRIMARY KEY (petition_id, sidx)
);

-- Which revisions are of the main text (the leaves carry its hash), as
-- opposed to translations recorded in the same history.
ALTER TABLE petition_revisions ADD COLUMN main BOOLEAN NOT NULL DEFAULT TRUE;
UPDATE petition_revisions SET main = FALSE WHERE changed_by LIKE '% (translation%';

-- Signatures confirmed before the log existed are appended first. Nobody
-- holds a receipt for them: their commitments are of random secrets that
-- were never shown (two random UUIDs: 244 random bits).
INSERT INTO tlog_pending (petition_id, signature_id, withdrawn, country, day, signed_at, commitment)
SELECT petition_id, id, FALSE, country, COALESCE(confirmed_at, created_at)::date, created_at,
    decode(replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''), 'hex')
FROM signatures WHERE status = 'confirmed' ORDER BY COALESCE(confirmed_at, created_at), id;
