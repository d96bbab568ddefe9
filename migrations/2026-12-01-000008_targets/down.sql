ALTER TABLE recommendations
    ADD COLUMN target text,
    ADD COLUMN target_year integer CHECK (target_year BETWEEN 1900 AND 2200);
UPDATE recommendations r SET target = t.text, target_year = extract(year FROM t.due_date)::int
FROM targets t WHERE t.recommendation_id = r.id AND t.ordinal = 1;
DROP TABLE targets;
