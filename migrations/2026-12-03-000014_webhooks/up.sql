-- Webhooks (domain::webhooks): endpoints admins register, the events they receive, and one
-- delivery per (endpoint, event) with every attempt logged. Events are written by triggers in
-- the transaction of the change they describe, whatever code makes it: no event without its
-- change, no change without its event.

CREATE TABLE webhook_endpoints (
    id              uuid PRIMARY KEY,
    url             text NOT NULL,
    description     text NOT NULL DEFAULT '',
    event_types     text[] NOT NULL,
    report_id       uuid REFERENCES reports (id) ON DELETE CASCADE,
    team_id         uuid REFERENCES teams (id) ON DELETE CASCADE,
    enabled         boolean NOT NULL DEFAULT true,
    -- The first failure of the current run of failures; cleared by a success.
    failing_since   timestamptz,
    disabled_at     timestamptz,
    disabled_reason text,
    created_by      uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT webhook_endpoints_some_events CHECK (cardinality(event_types) > 0),
    CONSTRAINT webhook_endpoints_no_null_events CHECK (array_position(event_types, NULL) IS NULL)
);

CREATE INDEX webhook_endpoints_report ON webhook_endpoints (report_id);
CREATE INDEX webhook_endpoints_team ON webhook_endpoints (team_id);
CREATE INDEX webhook_endpoints_creator ON webhook_endpoints (created_by);

-- Signing secrets: every one not yet expired signs each request (rotation with an overlap).
CREATE TABLE webhook_secrets (
    id          uuid PRIMARY KEY,
    endpoint_id uuid NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    secret      text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz
);
CREATE INDEX webhook_secrets_endpoint ON webhook_secrets (endpoint_id);

CREATE TABLE webhook_events (
    seq         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- The stable `webhook-id` (as msg_<hex>): the same on every attempt and redelivery.
    id          uuid NOT NULL UNIQUE,
    event_type  text NOT NULL,
    recommendation_id uuid REFERENCES recommendations (id) ON DELETE CASCADE,
    payload     jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_events_item ON webhook_events (recommendation_id, seq);

CREATE TABLE webhook_deliveries (
    endpoint_id     uuid NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_seq       bigint NOT NULL REFERENCES webhook_events (seq) ON DELETE CASCADE,
    -- Denormalised from the event, so the per-item order check is one index probe.
    recommendation_id uuid,
    state           text NOT NULL DEFAULT 'pending',
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    -- Retries stop `webhooks.retry_for_secs` after this (the event, or a manual redelivery).
    retry_from      timestamptz NOT NULL DEFAULT now(),
    lease_token     uuid,
    lease_until     timestamptz,
    last_status     integer,
    last_error      text,
    delivered_at    timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (endpoint_id, event_seq),
    CONSTRAINT webhook_deliveries_state CHECK (state IN ('pending', 'delivered', 'abandoned'))
);
CREATE INDEX webhook_deliveries_event ON webhook_deliveries (event_seq);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
    WHERE state = 'pending';
CREATE INDEX webhook_deliveries_item ON webhook_deliveries (endpoint_id, recommendation_id, event_seq)
    WHERE state = 'pending';

CREATE TABLE webhook_attempts (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    endpoint_id uuid NOT NULL,
    event_seq   bigint NOT NULL,
    attempted_at timestamptz NOT NULL DEFAULT now(),
    status_code integer,
    latency_ms  integer NOT NULL,
    error       text,
    FOREIGN KEY (endpoint_id, event_seq)
        REFERENCES webhook_deliveries (endpoint_id, event_seq) ON DELETE CASCADE
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (endpoint_id, event_seq, id);

-- Which stall spell (its last activity) or due date of an item was announced as
-- item.stalled or item.overdue, so each is announced once, whichever instance looks.
CREATE TABLE webhook_announcements (
    recommendation_id uuid NOT NULL REFERENCES recommendations (id) ON DELETE CASCADE,
    event_type  text NOT NULL,
    marker      text NOT NULL,
    PRIMARY KEY (recommendation_id, event_type)
);

-- Queues `payload` as an event of `kind` for every enabled endpoint that asked for it and
-- whose scope covers item `item` (report and owning team; unscoped endpoints only when there
-- is no item). Nothing is written when no endpoint wants it; answers whether it was queued.
CREATE FUNCTION webhook_enqueue(kind text, item uuid, payload jsonb) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
  event_seq bigint;
BEGIN
  IF NOT EXISTS (
      SELECT 1 FROM webhook_endpoints e
       WHERE e.enabled AND kind = ANY (e.event_types)) THEN
    RETURN false;
  END IF;
  INSERT INTO webhook_events (id, event_type, recommendation_id, payload)
  VALUES (gen_random_uuid(), kind, item, payload)
  RETURNING seq INTO event_seq;
  -- KEY SHARE: an endpoint being deleted meanwhile is waited for and then skipped, rather
  -- than failing the change on the deliveries' foreign key.
  INSERT INTO webhook_deliveries (endpoint_id, event_seq, recommendation_id)
  SELECT e.id, event_seq, item
    FROM webhook_endpoints e
   WHERE e.enabled AND kind = ANY (e.event_types)
     AND (e.report_id IS NULL
          OR e.report_id = (SELECT r.report_id FROM recommendations r WHERE r.id = item))
     AND (e.team_id IS NULL
          OR EXISTS (SELECT 1 FROM recommendation_owners o
                      WHERE o.recommendation_id = item AND o.team_id = e.team_id)
          -- The team just removed as an owner still hears of its removal.
          OR payload #>> '{data,change,before,owner,team_id}' = e.team_id::text)
     FOR KEY SHARE OF e;
  RETURN true;
END $$;

-- The webhook event type of each history kind (domain::webhooks::events holds the same map;
-- a test compares them). Every history event is one webhook event.
CREATE FUNCTION webhook_event_type(kind text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE kind
    WHEN 'created' THEN 'item.created'
    WHEN 'transition' THEN 'item.transitioned'
    WHEN 'owner_added' THEN 'item.owner_added'
    WHEN 'owner_removed' THEN 'item.owner_removed'
    WHEN 'comment_added' THEN 'comment.added'
    WHEN 'evidence_added' THEN 'evidence.submitted'
    WHEN 'evidence_updated' THEN 'evidence.submitted'
    WHEN 'evidence_reviewed' THEN 'evidence.reviewed'
    WHEN 'evidence_removed' THEN 'evidence.withdrawn'
    ELSE 'item.changed'
  END
$$;

-- The item as a webhook payload shows it: what a receiver needs to find it and to know
-- whether it already has this version.
CREATE FUNCTION webhook_item(item uuid) RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object(
    'id', r.id, 'key', r.key, 'report', rep.key, 'title', r.title, 'version', r.version,
    'response', r.response, 'status', r.status, 'due_date', r.due_date)
    FROM recommendations r JOIN reports rep ON rep.id = r.report_id
   WHERE r.id = item
$$;

CREATE FUNCTION webhook_history_event() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  kind text := webhook_event_type(NEW.kind);
BEGIN
  -- Most changes have no endpoint waiting: then nothing is built, not even the payload.
  IF NOT EXISTS (SELECT 1 FROM webhook_endpoints e
                  WHERE e.enabled AND kind = ANY (e.event_types)) THEN
    RETURN NULL;
  END IF;
  PERFORM webhook_enqueue(kind, NEW.recommendation_id, jsonb_build_object(
    'type', kind,
    'timestamp', NEW.at,
    'data', jsonb_build_object(
      'item', webhook_item(NEW.recommendation_id),
      'change', jsonb_build_object(
        'seq', NEW.seq, 'kind', NEW.kind, 'field', NEW.field, 'before', NEW.before,
        'after', NEW.after, 'reason', NEW.reason,
        'actor', jsonb_build_object('kind', NEW.actor_kind, 'id', NEW.actor_id)))));
  RETURN NULL;
END $$;
CREATE TRIGGER history_events_webhook AFTER INSERT ON history_events FOR EACH ROW
  EXECUTE FUNCTION webhook_history_event();

CREATE FUNCTION webhook_digest_sent() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM webhook_enqueue('digest.sent', NULL, jsonb_build_object(
    'type', 'digest.sent',
    'timestamp', NEW.sent_at,
    'data', jsonb_build_object(
      'delivery_id', NEW.id, 'recipient_id', NEW.recipient_id, 'period', NEW.period,
      'subject', NEW.subject, 'stalled_count', NEW.stalled_count,
      'overdue_count', NEW.overdue_count, 'item_ids', to_jsonb(NEW.item_ids))));
  RETURN NULL;
END $$;
CREATE TRIGGER digest_deliveries_webhook AFTER UPDATE ON digest_deliveries FOR EACH ROW
  WHEN (OLD.status IS DISTINCT FROM NEW.status AND NEW.status = 'sent')
  EXECUTE FUNCTION webhook_digest_sent();
