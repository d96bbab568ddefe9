-- The whole domain of recotrack: reports and their recommendations, the people and teams who
-- own them, evidence, comments, an append-only hash-chained history, and durable digest work.
-- Enum values are the API's vocabulary; CHECKs hold what must never be stored.

CREATE TYPE user_role AS ENUM ('admin', 'manager', 'contributor', 'viewer');
CREATE TYPE team_role AS ENUM ('member', 'manager');
CREATE TYPE rec_response AS ENUM ('pending', 'accepted', 'accepted_in_principle', 'noted', 'rejected');
CREATE TYPE rec_status AS ENUM (
    'not_started', 'in_progress', 'partially_implemented', 'implemented',
    'blocked', 'not_implemented', 'superseded'
);
CREATE TYPE rec_priority AS ENUM ('low', 'medium', 'high', 'critical');
CREATE TYPE evidence_stage AS ENUM ('none', 'claimed', 'verified');
CREATE TYPE owner_kind AS ENUM ('responsible', 'contributor', 'observer');
CREATE TYPE evidence_kind AS ENUM ('document', 'url', 'dataset', 'statement', 'media');
CREATE TYPE verification AS ENUM ('pending', 'accepted', 'rejected');
CREATE TYPE digest_frequency AS ENUM ('weekly', 'daily', 'off');
CREATE TYPE delivery_status AS ENUM ('pending', 'sent', 'failed');
CREATE TYPE actor_kind AS ENUM ('user', 'token', 'system');

CREATE TABLE users (
    id              uuid PRIMARY KEY,
    email           text NOT NULL CHECK (email = btrim(email) AND position('@' IN email) > 1 AND length(email) <= 254),
    display_name    text NOT NULL CHECK (length(btrim(display_name)) BETWEEN 1 AND 200),
    role            user_role NOT NULL,
    active          boolean NOT NULL DEFAULT true,
    password_hash   text CHECK (password_hash IS NULL OR password_hash LIKE '$argon2id$%'),
    -- NULL means "the default for the role": weekly for managers and admins, off otherwise.
    digest_frequency digest_frequency,
    is_demo         boolean NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    last_login_at   timestamptz,
    deactivated_at  timestamptz,
    CHECK (active OR deactivated_at IS NOT NULL)
);
CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email));

CREATE TABLE teams (
    id          uuid PRIMARY KEY,
    name        text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    description text NOT NULL DEFAULT '',
    is_demo     boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX teams_name_lower_key ON teams (lower(name));

CREATE TABLE team_memberships (
    team_id    uuid NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role       team_role NOT NULL DEFAULT 'member',
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_memberships_user_id_idx ON team_memberships (user_id);

CREATE TABLE reports (
    id            uuid PRIMARY KEY,
    key           text NOT NULL UNIQUE CHECK (key ~ '^[a-z0-9][a-z0-9-]{0,63}$'),
    title         text NOT NULL CHECK (length(btrim(title)) BETWEEN 1 AND 500),
    alt_titles    text[] NOT NULL DEFAULT '{}' CHECK (array_position(alt_titles, NULL) IS NULL),
    publisher     text NOT NULL DEFAULT '',
    authors       text[] NOT NULL DEFAULT '{}' CHECK (array_position(authors, NULL) IS NULL),
    published_on  date,
    source_url    text,
    source_file   text,
    language      text NOT NULL DEFAULT 'en' CHECK (language ~ '^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$'),
    summary       text NOT NULL DEFAULT '',
    created_by    uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    version       integer NOT NULL DEFAULT 1 CHECK (version >= 1)
);
CREATE INDEX reports_created_by_idx ON reports (created_by);

-- Managers named here receive digests for the report's items.
CREATE TABLE report_managers (
    report_id  uuid NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (report_id, user_id)
);
CREATE INDEX report_managers_user_id_idx ON report_managers (user_id);

CREATE TABLE recommendations (
    id                  uuid PRIMARY KEY,
    report_id           uuid NOT NULL REFERENCES reports (id) ON DELETE RESTRICT,
    key                 text NOT NULL UNIQUE CHECK (key ~ '^[a-z0-9][a-z0-9./-]{0,127}$'),
    ordinal             integer NOT NULL CHECK (ordinal >= 1),
    parent_id           uuid REFERENCES recommendations (id) ON DELETE RESTRICT CHECK (parent_id <> id),
    title               text NOT NULL CHECK (length(btrim(title)) BETWEEN 1 AND 500),
    body                text NOT NULL DEFAULT '' CHECK (length(body) <= 20000),
    -- Where in the source the text comes from, e.g. "001_12b2e1b71ed96538.txt 7)".
    source_ref          text CHECK (length(source_ref) <= 500),
    themes              text[] NOT NULL DEFAULT '{}' CHECK (array_position(themes, NULL) IS NULL),
    priority            rec_priority NOT NULL DEFAULT 'medium',
    -- A measurable commitment, e.g. "1,000 small livelihood assistance projects".
    target              text,
    target_year         integer CHECK (target_year BETWEEN 1900 AND 2200),
    -- What owners report as they go; contributors may edit these on items they own.
    progress_percent    smallint NOT NULL DEFAULT 0 CHECK (progress_percent BETWEEN 0 AND 100),
    progress_note       text NOT NULL DEFAULT '' CHECK (length(progress_note) <= 5000),
    due_date            date,
    original_due_date   date,
    response            rec_response NOT NULL DEFAULT 'pending',
    response_reason     text,
    response_changed_at timestamptz,
    status              rec_status NOT NULL DEFAULT 'not_started',
    status_reason       text,
    status_changed_at   timestamptz NOT NULL DEFAULT now(),
    -- Derived from evidence by the domain in the same transaction; never accepted from clients.
    evidence_stage      evidence_stage NOT NULL DEFAULT 'none',
    evidence_as_of      date,
    snoozed_until       date,
    snooze_reason       text,
    last_activity_at    timestamptz NOT NULL DEFAULT now(),
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    version             integer NOT NULL DEFAULT 1 CHECK (version >= 1),
    search              tsvector GENERATED ALWAYS AS (
                            setweight(to_tsvector('english', title), 'A')
                            || setweight(to_tsvector('english', body), 'B')
                        ) STORED,
    UNIQUE NULLS NOT DISTINCT (report_id, parent_id, ordinal),
    CHECK (response NOT IN ('noted', 'rejected') OR length(btrim(coalesce(response_reason, ''))) > 0),
    CHECK (status NOT IN ('blocked', 'not_implemented', 'superseded')
           OR length(btrim(coalesce(status_reason, ''))) > 0),
    CHECK (status = 'not_started' OR response IN ('accepted', 'accepted_in_principle')
           OR status IN ('not_implemented', 'superseded')),
    CHECK (due_date IS NULL OR original_due_date IS NOT NULL),
    CHECK ((evidence_stage = 'verified') = (evidence_as_of IS NOT NULL)),
    CHECK ((snoozed_until IS NULL) = (snooze_reason IS NULL))
);
CREATE INDEX recommendations_report_ordinal_idx ON recommendations (report_id, ordinal);
CREATE INDEX recommendations_parent_id_idx ON recommendations (parent_id);
CREATE INDEX recommendations_status_idx ON recommendations (status, last_activity_at);
CREATE INDEX recommendations_due_date_idx ON recommendations (due_date) WHERE due_date IS NOT NULL;
CREATE INDEX recommendations_last_activity_idx ON recommendations (last_activity_at, id);
CREATE INDEX recommendations_priority_idx ON recommendations (priority);
CREATE INDEX recommendations_themes_idx ON recommendations USING gin (themes);
CREATE INDEX recommendations_search_idx ON recommendations USING gin (search);

CREATE TABLE recommendation_owners (
    id                uuid PRIMARY KEY,
    recommendation_id uuid NOT NULL REFERENCES recommendations (id) ON DELETE CASCADE,
    user_id           uuid REFERENCES users (id) ON DELETE CASCADE,
    team_id           uuid REFERENCES teams (id) ON DELETE CASCADE,
    kind              owner_kind NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    CHECK ((user_id IS NULL) <> (team_id IS NULL))
);
CREATE UNIQUE INDEX recommendation_owners_user_key
    ON recommendation_owners (recommendation_id, user_id) WHERE user_id IS NOT NULL;
CREATE UNIQUE INDEX recommendation_owners_team_key
    ON recommendation_owners (recommendation_id, team_id) WHERE team_id IS NOT NULL;
CREATE INDEX recommendation_owners_recommendation_id_idx ON recommendation_owners (recommendation_id);
CREATE INDEX recommendation_owners_user_id_idx ON recommendation_owners (user_id);
CREATE INDEX recommendation_owners_team_id_idx ON recommendation_owners (team_id);

CREATE TABLE evidence (
    id                uuid PRIMARY KEY,
    recommendation_id uuid NOT NULL REFERENCES recommendations (id) ON DELETE CASCADE,
    kind              evidence_kind NOT NULL,
    title             text NOT NULL CHECK (length(btrim(title)) BETWEEN 1 AND 500),
    url               text CHECK (url IS NULL OR url ~ '^https?://'),
    excerpt           text NOT NULL DEFAULT '' CHECK (length(excerpt) <= 20000),
    source            text NOT NULL DEFAULT '',
    observed_on       date,
    -- Why this evidence supports the item: a judgement, kept beside the evidence.
    rationale         text NOT NULL DEFAULT '',
    submitted_by      uuid REFERENCES users (id) ON DELETE SET NULL,
    submitted_at      timestamptz NOT NULL DEFAULT now(),
    verification      verification NOT NULL DEFAULT 'pending',
    reviewed_by       uuid REFERENCES users (id) ON DELETE SET NULL,
    reviewed_at       timestamptz,
    review_note       text,
    version           integer NOT NULL DEFAULT 1 CHECK (version >= 1),
    CHECK ((verification = 'pending') = (reviewed_at IS NULL)),
    CHECK (reviewed_by IS NULL OR submitted_by IS NULL OR reviewed_by <> submitted_by)
);
CREATE INDEX evidence_recommendation_id_idx ON evidence (recommendation_id, verification);
CREATE INDEX evidence_submitted_by_idx ON evidence (submitted_by);
CREATE INDEX evidence_reviewed_by_idx ON evidence (reviewed_by);
CREATE INDEX evidence_pending_idx ON evidence (submitted_at) WHERE verification = 'pending';

CREATE TABLE comments (
    id                uuid PRIMARY KEY,
    recommendation_id uuid NOT NULL REFERENCES recommendations (id) ON DELETE CASCADE,
    author_id         uuid REFERENCES users (id) ON DELETE SET NULL,
    body              text NOT NULL CHECK (length(btrim(body)) BETWEEN 1 AND 10000),
    created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX comments_recommendation_id_idx ON comments (recommendation_id, created_at);
CREATE INDEX comments_author_id_idx ON comments (author_id);

-- Append-only and tamper-evident: each row's hash covers its content and the previous row's
-- hash for the same recommendation. The trigger below refuses edits and deletes.
CREATE TABLE history_events (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    recommendation_id uuid NOT NULL REFERENCES recommendations (id) ON DELETE RESTRICT,
    seq               integer NOT NULL CHECK (seq >= 1),
    kind              text NOT NULL CHECK (kind ~ '^[a-z_]{1,40}$'),
    actor_kind        actor_kind NOT NULL,
    actor_id          uuid,
    at                timestamptz NOT NULL DEFAULT now(),
    reason            text,
    field             text,
    before            jsonb,
    after             jsonb,
    prev_hash         text NOT NULL CHECK (prev_hash ~ '^[0-9a-f]{64}$'),
    hash              text NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$'),
    UNIQUE (recommendation_id, seq),
    CHECK ((actor_kind = 'system') = (actor_id IS NULL))
);
CREATE INDEX history_events_at_idx ON history_events (at);
CREATE INDEX history_events_actor_id_idx ON history_events (actor_id);

CREATE FUNCTION history_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'history_events is append-only' USING ERRCODE = 'restrict_violation';
END;
$$;
CREATE TRIGGER history_events_no_update BEFORE UPDATE OR DELETE ON history_events
    FOR EACH ROW EXECUTE FUNCTION history_events_append_only();

CREATE TABLE api_tokens (
    id           uuid PRIMARY KEY,
    name         text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    role         user_role NOT NULL CHECK (role IN ('viewer', 'contributor')),
    token_hash   text NOT NULL UNIQUE CHECK (token_hash ~ '^[0-9a-f]{64}$'),
    created_by   uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz,
    revoked_at   timestamptz,
    last_used_at timestamptz
);
CREATE INDEX api_tokens_created_by_idx ON api_tokens (created_by);

-- Refresh tokens rotate within a family; presenting a used one revokes the whole family.
CREATE TABLE refresh_tokens (
    id          uuid PRIMARY KEY,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    family_id   uuid NOT NULL,
    token_hash  text NOT NULL UNIQUE CHECK (token_hash ~ '^[0-9a-f]{64}$'),
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    revoked_at  timestamptz
);
CREATE INDEX refresh_tokens_user_id_idx ON refresh_tokens (user_id);
CREATE INDEX refresh_tokens_family_id_idx ON refresh_tokens (family_id);

-- Shared by every instance, so a limit holds however many run.
CREATE TABLE rate_limit_buckets (
    key          text NOT NULL,
    window_start timestamptz NOT NULL,
    hits         integer NOT NULL CHECK (hits >= 0),
    PRIMARY KEY (key, window_start)
);
CREATE INDEX rate_limit_buckets_window_start_idx ON rate_limit_buckets (window_start);

CREATE TABLE idempotency_keys (
    actor_id        uuid NOT NULL,
    key             text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
    request_hash    text NOT NULL,
    response_status smallint,
    response_body   bytea,
    response_headers jsonb,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (actor_id, key)
);
CREATE INDEX idempotency_keys_created_at_idx ON idempotency_keys (created_at);

CREATE TABLE digest_runs (
    id            uuid PRIMARY KEY,
    period        text NOT NULL CHECK (period ~ '^(daily|weekly):[0-9]{4}-[0-9]{2}-[0-9]{2}$'),
    trigger       text NOT NULL CHECK (trigger IN ('schedule', 'catch_up', 'manual')),
    started_at    timestamptz NOT NULL DEFAULT now(),
    finished_at   timestamptz,
    deliveries    integer NOT NULL DEFAULT 0 CHECK (deliveries >= 0)
);
CREATE INDEX digest_runs_period_idx ON digest_runs (period);

CREATE TABLE digest_deliveries (
    id              uuid PRIMARY KEY,
    run_id          uuid NOT NULL REFERENCES digest_runs (id) ON DELETE RESTRICT,
    recipient_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    period          text NOT NULL,
    status          delivery_status NOT NULL DEFAULT 'pending',
    subject         text NOT NULL,
    stalled_count   integer NOT NULL CHECK (stalled_count >= 0),
    overdue_count   integer NOT NULL CHECK (overdue_count >= 0),
    item_ids        uuid[] NOT NULL CHECK (array_position(item_ids, NULL) IS NULL),
    -- Rendered when planned, so every retry sends exactly the same message.
    body_text       text NOT NULL,
    body_html       text NOT NULL,
    attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_error      text,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    message_id      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz,
    UNIQUE (recipient_id, period),
    CHECK ((status = 'sent') = (sent_at IS NOT NULL))
);
CREATE INDEX digest_deliveries_run_id_idx ON digest_deliveries (run_id);
CREATE INDEX digest_deliveries_due_idx ON digest_deliveries (next_attempt_at) WHERE status <> 'sent';

-- One row per escalation step per stall episode, so each step happens once.
CREATE TABLE escalations (
    recommendation_id uuid NOT NULL REFERENCES recommendations (id) ON DELETE CASCADE,
    stalled_since     timestamptz NOT NULL,
    step              smallint NOT NULL CHECK (step >= 0),
    notified_user_ids uuid[] NOT NULL CHECK (array_position(notified_user_ids, NULL) IS NULL),
    created_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (recommendation_id, stalled_since, step)
);
