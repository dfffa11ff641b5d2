-- Signatures held back for review (quarantined), and petitions whose
-- personal data has been erased after closing.
-- Keep in step with migrations/postgres/2026-11-27-000004_abuse_retention/up.sql.

-- Why a signature is held (rate_limit, too_fast, form_stamp); NULL for all
-- others. A held signature is pending, has no mail and no token, and is not
-- counted until an organiser releases it (or its signer signs again within
-- the limits).
ALTER TABLE signatures ADD COLUMN held_reason TEXT;
CREATE INDEX signatures_held ON signatures (petition_id, id) WHERE held_reason IS NOT NULL;

-- Set when names, emails and postcodes were erased; counts by country stay.
ALTER TABLE petitions ADD COLUMN erased_at TIMESTAMP;
