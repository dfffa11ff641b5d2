-- The mail worker claims due mail in the order of this index, so a claim
-- stays a short index scan however long the outbox grows (a surge, or SMTP
-- down for days), instead of sorting every waiting row by id.
DROP INDEX outbox_due;
CREATE INDEX outbox_due ON outbox (next_attempt_at, id) WHERE failed_at IS NULL;
