-- Taking a surge's writes off PostgreSQL. Keep in step with
-- migrations/sqlite/2026-11-30-000007_surge_writes/up.sql.
--
-- Two foreign keys checked for every signature and every queued mail, with
-- a row lock each: the signature's on its petition (the same row for every
-- signature of a surge, so that concurrent batches share it through
-- multixacts) and the mail's on its just-inserted signature. Together they
-- took about 30 % of the cost of writing a batch (pgbench of the batch
-- statement, 256 rows, with and without them). The application upholds
-- both: petitions are never deleted, a signature is only written for a
-- petition found open in the same transaction, and every path that deletes a
-- signature deletes its queued mail in the same transaction (the mail
-- worker also drops a claimed mail whose signature is gone).
ALTER TABLE signatures DROP CONSTRAINT signatures_petition_id_fkey;
ALTER TABLE outbox DROP CONSTRAINT outbox_signature_id_fkey;

-- The outbox is a queue: a surge fills it with hundreds of thousands of rows
-- that are deleted again within minutes. Vacuumed and analysed after every
-- 10,000 changes rather than after a fifth of the table has changed, its
-- dead rows and statistics follow the queue.
ALTER TABLE outbox SET (
    autovacuum_vacuum_scale_factor = 0,
    autovacuum_vacuum_threshold = 10000,
    autovacuum_analyze_scale_factor = 0,
    autovacuum_analyze_threshold = 10000
);
