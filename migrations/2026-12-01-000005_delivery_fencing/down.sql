DROP INDEX digest_deliveries_due_idx;
CREATE INDEX digest_deliveries_due_idx ON digest_deliveries (next_attempt_at) WHERE status <> 'sent';
ALTER TABLE digest_deliveries
    DROP COLUMN gave_up_at,
    DROP COLUMN possible_duplicate,
    DROP COLUMN sending_since,
    DROP COLUMN lease_token;
