-- Anchored history. Hashes become keyed (HMAC-SHA-256 with a server secret that is never stored
-- in the database); `key_id` names the key, NULL marks an event hashed with plain SHA-256 before
-- this migration. Such events verify only when a keyed event follows them: the service appends a
-- `history_rekeyed` event to every item whose chain still ends in one, at its next start.
ALTER TABLE history_events
    ADD COLUMN key_id text CHECK (key_id IS NULL OR key_id ~ '^[0-9a-f]{16}$');

-- Each item's chain head (one row per item, kept beside the item rather than in its row, which is
-- at diesel's column limit), written in the same transaction as the event, so deleting the newest
-- events is detected even when the remaining chain is intact.
CREATE TABLE history_heads (
    recommendation_id uuid PRIMARY KEY REFERENCES recommendations (id) ON DELETE RESTRICT,
    seq               integer NOT NULL CHECK (seq >= 1),
    hash              text NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$')
);
INSERT INTO history_heads (recommendation_id, seq, hash)
SELECT DISTINCT ON (recommendation_id) recommendation_id, seq, hash
FROM history_events ORDER BY recommendation_id, seq DESC;

-- Row triggers do not fire on TRUNCATE.
CREATE TRIGGER history_events_no_truncate BEFORE TRUNCATE ON history_events
    FOR EACH STATEMENT EXECUTE FUNCTION history_events_append_only();

-- Once a day the scheduler records one digest over every item's chain head as of midnight UTC.
-- Admins receive it by email, so a copy outside the database can later prove tampering.
CREATE TABLE history_anchors (
    day        date PRIMARY KEY,
    as_of      timestamptz NOT NULL,
    items      integer NOT NULL CHECK (items >= 0),
    events     bigint NOT NULL CHECK (events >= 0),
    digest     text NOT NULL CHECK (digest ~ '^[0-9a-f]{64}$'),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER history_anchors_no_update BEFORE UPDATE OR DELETE ON history_anchors
    FOR EACH ROW EXECUTE FUNCTION history_events_append_only();
CREATE TRIGGER history_anchors_no_truncate BEFORE TRUNCATE ON history_anchors
    FOR EACH STATEMENT EXECUTE FUNCTION history_events_append_only();
