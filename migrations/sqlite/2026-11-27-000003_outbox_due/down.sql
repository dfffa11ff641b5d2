DROP INDEX outbox_due;
CREATE INDEX outbox_due ON outbox (next_attempt_at);
