-- Deliveries that two healthy instances can never both send, and an honest record of the one
-- window where a copy may be sent twice.
--   lease_token: set by each claim; renewing the lease and marking the outcome compare it, so a
--     sender whose lease ran out (and was re-claimed) can change nothing.
--   sending_since: set just before the SMTP transaction, cleared when its outcome is known. A
--     delivery whose sender died in between is not sent again until `digest.resend_after_secs`
--     has passed, and then with `possible_duplicate`.
--   gave_up_at: set after `digest.max_attempts` failed attempts; reported to admins.
ALTER TABLE digest_deliveries
    ADD COLUMN lease_token uuid,
    ADD COLUMN sending_since timestamptz,
    ADD COLUMN possible_duplicate boolean NOT NULL DEFAULT false,
    ADD COLUMN gave_up_at timestamptz,
    ADD CHECK (gave_up_at IS NULL OR status = 'failed');
DROP INDEX digest_deliveries_due_idx;
CREATE INDEX digest_deliveries_due_idx ON digest_deliveries (next_attempt_at)
    WHERE status <> 'sent' AND gave_up_at IS NULL;
