ALTER TABLE signatures DROP COLUMN personal;
DROP TABLE petition_keys;
