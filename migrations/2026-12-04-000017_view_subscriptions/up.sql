-- Subscriptions to saved views (domain::subscriptions): a person's own, or a team's made by a
-- manager, sent daily or weekly at an hour in the subscription's time zone. Each period of a
-- subscription is one digest run (`view:<subscription>:<local date>`) whose deliveries go
-- through the digest queue, so each subscriber gets each period once.
CREATE TABLE view_subscriptions (
    id                  uuid PRIMARY KEY,
    view_id             uuid NOT NULL REFERENCES saved_views (id) ON DELETE CASCADE,
    user_id             uuid REFERENCES users (id) ON DELETE CASCADE,
    team_id             uuid REFERENCES teams (id) ON DELETE CASCADE,
    frequency           text NOT NULL CHECK (frequency IN ('daily', 'weekly')),
    -- ISO weekday, Monday 1; weekly subscriptions only.
    weekday             smallint CHECK (weekday BETWEEN 1 AND 7),
    hour                smallint NOT NULL CHECK (hour BETWEEN 0 AND 23),
    time_zone           text NOT NULL CHECK (char_length(time_zone) BETWEEN 1 AND 64),
    only_when_non_empty boolean NOT NULL DEFAULT false,
    created_by          uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at          timestamptz NOT NULL DEFAULT now(),
    CHECK ((user_id IS NULL) <> (team_id IS NULL)),
    CHECK ((frequency = 'weekly') = (weekday IS NOT NULL)),
    UNIQUE NULLS NOT DISTINCT (view_id, user_id, team_id)
);
CREATE INDEX view_subscriptions_user ON view_subscriptions (user_id);
CREATE INDEX view_subscriptions_team ON view_subscriptions (team_id);
CREATE INDEX view_subscriptions_created_by ON view_subscriptions (created_by);

-- Members of a subscribed team who asked, through the email's unsubscribe link, not to get it.
CREATE TABLE view_subscription_mutes (
    subscription_id uuid NOT NULL REFERENCES view_subscriptions (id) ON DELETE CASCADE,
    user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (subscription_id, user_id)
);
CREATE INDEX view_subscription_mutes_user ON view_subscription_mutes (user_id);

ALTER TABLE digest_runs DROP CONSTRAINT digest_runs_period_check;
ALTER TABLE digest_runs ADD CONSTRAINT digest_runs_period_check
    CHECK (period ~ '^(daily|weekly):[0-9]{4}-[0-9]{2}-[0-9]{2}$'
           OR period ~ '^request:[0-9]{4}-[0-9]{2}-[0-9]{2}:[0-9a-f-]{36}$'
           OR period ~ '^view:[0-9a-f-]{36}:[0-9]{4}-[0-9]{2}-[0-9]{2}$');
ALTER TABLE digest_runs DROP CONSTRAINT digest_runs_trigger_check;
ALTER TABLE digest_runs ADD CONSTRAINT digest_runs_trigger_check
    CHECK (trigger IN ('schedule', 'catch_up', 'manual', 'request', 'subscription'));
-- A subscription's period is planned once, whichever instance gets there.
CREATE UNIQUE INDEX digest_runs_view_period ON digest_runs (period) WHERE period LIKE 'view:%';
