-- Keep in step with migrations/sqlite/2026-12-03-000012_clear_rows_index/up.sql.
--
-- The rows whose personal data is still in the clear (written before keys
-- were configured), for the server's sealing in place and `keys check`:
-- a partial index, empty once everything is sealed, so that finding none
-- at each start is one index probe rather than a scan of every signature
-- (which also filled SQLite's writer cache with pages nobody needed).
-- The condition is written as db::signatures::clear_after writes it, so
-- that SQLite recognises the index as usable.
CREATE INDEX signatures_in_clear ON signatures (id)
    WHERE personal IS NULL AND (name IS NOT NULL OR email IS NOT NULL);
