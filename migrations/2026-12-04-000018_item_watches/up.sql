-- Who watches which item (domain::watchers). A row records a person's own choice: `watching`
-- true to follow an item, false to stop following one they would follow by default (an
-- observer, directly or through a team). Watching is a preference, not a change to the item,
-- so it is not in the item's history.
CREATE TABLE item_watches (
    user_id           uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    recommendation_id uuid NOT NULL REFERENCES recommendations (id) ON DELETE CASCADE,
    watching          boolean NOT NULL,
    updated_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, recommendation_id)
);
CREATE INDEX item_watches_item ON item_watches (recommendation_id);

-- Who watches each item now: everyone who chose to, and observers (people named, or members
-- of teams named, with owner kind `observer`) who did not choose otherwise. The one place
-- the rule is written; the digest and the watch API read it here. `by_default` marks the
-- observers.
CREATE VIEW item_watchers AS
SELECT w.user_id, w.recommendation_id, false AS by_default
FROM item_watches w WHERE w.watching
UNION
SELECT o.user_id, o.recommendation_id, true
FROM (SELECT coalesce(ro.user_id, tm.user_id) AS user_id, ro.recommendation_id
      FROM recommendation_owners ro
      LEFT JOIN team_memberships tm ON tm.team_id = ro.team_id
      WHERE ro.kind = 'observer') o
WHERE o.user_id IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM item_watches x
                  WHERE x.user_id = o.user_id AND x.recommendation_id = o.recommendation_id);
