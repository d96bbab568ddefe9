DROP TABLE history_anchors;
DROP TRIGGER history_events_no_truncate ON history_events;
DROP TABLE history_heads;
ALTER TABLE history_events DROP COLUMN key_id;
