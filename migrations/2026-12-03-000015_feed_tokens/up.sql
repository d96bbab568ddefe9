-- Per-user tokens for Atom and iCalendar feeds (domain::feeds): carried in the feed's URL,
-- since feed readers and calendar apps cannot send headers. Read-only, viewer scope, stored
-- as SHA-256, revocable.
CREATE TABLE feed_tokens (
    id          uuid PRIMARY KEY,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name        text NOT NULL,
    token_hash  text NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at  timestamptz
);
CREATE INDEX feed_tokens_user ON feed_tokens (user_id);
