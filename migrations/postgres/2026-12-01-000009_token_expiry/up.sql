-- API tokens may expire (`token create --expires 90d`); NULL: never.
-- Keep in step with migrations/sqlite/2026-12-01-000009_token_expiry/up.sql.
ALTER TABLE api_tokens ADD COLUMN expires_at TIMESTAMP;
