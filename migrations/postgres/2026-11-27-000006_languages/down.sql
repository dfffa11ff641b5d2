DROP TABLE petition_translations;
ALTER TABLE signatures DROP COLUMN lang;
ALTER TABLE petitions DROP COLUMN lang;
