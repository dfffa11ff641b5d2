ALTER TABLE outbox RESET (
    autovacuum_vacuum_scale_factor,
    autovacuum_vacuum_threshold,
    autovacuum_analyze_scale_factor,
    autovacuum_analyze_threshold
);
ALTER TABLE outbox ADD CONSTRAINT outbox_signature_id_fkey
    FOREIGN KEY (signature_id) REFERENCES signatures (id) ON DELETE CASCADE;
ALTER TABLE signatures ADD CONSTRAINT signatures_petition_id_fkey
    FOREIGN KEY (petition_id) REFERENCES petitions (id);
