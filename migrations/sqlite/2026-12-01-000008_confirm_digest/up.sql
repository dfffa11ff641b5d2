-- Keep in step with migrations/postgres/2026-12-01-000008_confirm_digest/up.sql.
--
-- Each confirmation link is bound to the details it was mailed for: a keyed
-- digest (HMAC-SHA256 under a key derived from SECRET_KEY) of the name,
-- country, postcode, language and keep-informed choice as stored when the
-- mail was written. A link confirms only while the signature still has
-- exactly those details. Tokens made before this migration have none
-- (NULL): they confirm only through the page that shows the details.
ALTER TABLE signature_tokens ADD COLUMN details_digest BLOB;
