-- A digest sent on request (`POST /api/v1/me/digest/send`) has its own run and period, so it
-- never uses up the scheduled one.
ALTER TABLE digest_runs DROP CONSTRAINT digest_runs_period_check;
ALTER TABLE digest_runs ADD CONSTRAINT digest_runs_period_check
    CHECK (period ~ '^(daily|weekly):[0-9]{4}-[0-9]{2}-[0-9]{2}$'
           OR period ~ '^request:[0-9]{4}-[0-9]{2}-[0-9]{2}:[0-9a-f-]{36}$');
ALTER TABLE digest_runs DROP CONSTRAINT digest_runs_trigger_check;
ALTER TABLE digest_runs ADD CONSTRAINT digest_runs_trigger_check
    CHECK (trigger IN ('schedule', 'catch_up', 'manual', 'request'));

-- The one-click unsubscribe address of a delivery (RFC 8058), signed for its recipient when it
-- was planned, so every retry carries the same headers.
ALTER TABLE digest_deliveries ADD COLUMN unsubscribe_url text;

-- Sign-ins to the web pages under /app/: the cookie holds a random secret, stored here only
-- as its SHA-256; each session has its own CSRF token for the forms it shows.
CREATE TABLE web_sessions (
    id          uuid PRIMARY KEY,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    secret_hash text NOT NULL UNIQUE,
    csrf_token  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    revoked_at  timestamptz
);
CREATE INDEX web_sessions_user_id_idx ON web_sessions (user_id);

-- Signed links from digests are single-use: a link's SHA-256 is recorded when it acts.
CREATE TABLE email_link_uses (
    link_hash    text PRIMARY KEY,
    recipient_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    action       text NOT NULL,
    used_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX email_link_uses_recipient_id_idx ON email_link_uses (recipient_id);
