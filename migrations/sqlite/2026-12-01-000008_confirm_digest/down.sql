ALTER TABLE signature_tokens DROP COLUMN details_digest;
