-- Saved views (domain::views): a named list filter, its owner's, optionally shared with a
-- team. `criteria` holds the list's filter parameters as a JSON object, checked when saved.
CREATE TABLE saved_views (
    id          uuid PRIMARY KEY,
    name        text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    owner_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    team_id     uuid REFERENCES teams (id) ON DELETE SET NULL,
    criteria    jsonb NOT NULL CHECK (jsonb_typeof(criteria) = 'object'),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX saved_views_owner ON saved_views (owner_id);
CREATE INDEX saved_views_team ON saved_views (team_id);
