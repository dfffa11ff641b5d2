ALTER TABLE petition_revisions DROP COLUMN main;
DROP TABLE tlog_hashes;
DROP TABLE tlog_leaves;
DROP TABLE tlog_checkpoints;
DROP TABLE tlog_heads;
DROP TABLE tlog_pending;
