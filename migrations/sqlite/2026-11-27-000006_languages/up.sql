-- Pages and mails in the six official UN languages.
-- Keep in step with migrations/postgres/2026-11-27-000006_languages/up.sql.

-- The language a petition's own text is written in (ar, zh, en, fr, ru, es):
-- what its page falls back to when there is no version in the reader's.
ALTER TABLE petitions ADD COLUMN lang TEXT NOT NULL DEFAULT 'en';

-- The language a signature was given in: its mails are written in it.
ALTER TABLE signatures ADD COLUMN lang TEXT NOT NULL DEFAULT 'en';

-- A petition's text in another language.
CREATE TABLE petition_translations (
    petition_id BIGINT NOT NULL REFERENCES petitions (id) ON DELETE CASCADE,
    lang TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    addressee TEXT,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (petition_id, lang)
);
