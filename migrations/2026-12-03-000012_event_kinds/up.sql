-- The kinds of history event the service writes, the same list as `EventKind` in
-- src/domain/history/kinds.rs (a test compares them): an event of any other kind is refused.
ALTER TABLE history_events ADD CONSTRAINT history_events_kind_known CHECK (kind IN (
    'created',
    'field_changed',
    'deadline_set',
    'deadline_revised',
    'transition',
    'snoozed',
    'unsnoozed',
    'acknowledged',
    'owner_added',
    'owner_changed',
    'owner_removed',
    'comment_added',
    'evidence_added',
    'evidence_updated',
    'evidence_reviewed',
    'evidence_removed',
    'evidence_lapsed',
    'target_added',
    'target_changed',
    'target_progress',
    'escalated',
    'seeded_state',
    'history_rekeyed',
    'history_reshaped',
    'demo_clock_set_back'
));
