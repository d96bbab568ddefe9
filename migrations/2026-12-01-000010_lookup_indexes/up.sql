-- Events from before keyed hashes, found without reading the whole history: `serve` asks at every
-- start whether any remain unsealed.
CREATE INDEX history_events_unkeyed_idx ON history_events (recommendation_id) WHERE key_id IS NULL;

-- Implemented items whose accepted evidence lapsed, found for digests without reading every item.
CREATE INDEX recommendations_lapsed_idx ON recommendations (id)
    WHERE status = 'implemented' AND evidence_stage <> 'verified';
