-- A measurable commitment inside an item ("conduct 100,000 training sessions ... by 2030") is
-- its own thing: its verbatim text, figure and unit, its own due date, and the progress
-- reported against it. The due date belongs to the target, not to the whole item.
CREATE TABLE targets (
    id                uuid PRIMARY KEY,
    recommendation_id uuid NOT NULL REFERENCES recommendations (id) ON DELETE CASCADE,
    ordinal           integer NOT NULL CHECK (ordinal BETWEEN 1 AND 1000),
    text              text NOT NULL CHECK (length(btrim(text)) BETWEEN 1 AND 500),
    figure            bigint CHECK (figure > 0),
    unit              text CHECK (unit IS NULL OR length(btrim(unit)) BETWEEN 1 AND 100),
    due_date          date,
    progress          bigint NOT NULL DEFAULT 0 CHECK (progress >= 0),
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (recommendation_id, ordinal)
);
CREATE INDEX targets_due_date_idx ON targets (due_date) WHERE due_date IS NOT NULL;

INSERT INTO targets (id, recommendation_id, ordinal, text, due_date)
SELECT gen_random_uuid(), id, 1, target,
       CASE WHEN target_year IS NOT NULL THEN make_date(target_year, 12, 31) END
FROM recommendations WHERE target IS NOT NULL;
ALTER TABLE recommendations DROP COLUMN target, DROP COLUMN target_year;
