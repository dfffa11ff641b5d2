DROP TABLE instance_secrets;
DROP TABLE petition_counts;
DROP TABLE count_events;
DROP TABLE outbox;
DROP TABLE signature_tokens;
DROP TABLE signatures;
DROP TABLE petitions;
