ALTER TABLE petitions DROP COLUMN erased_at;
DROP INDEX signatures_held;
ALTER TABLE signatures DROP COLUMN held_reason;
