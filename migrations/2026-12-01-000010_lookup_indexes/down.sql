DROP INDEX history_events_unkeyed_idx;
DROP INDEX recommendations_lapsed_idx;
