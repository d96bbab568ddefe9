-- What a piece of evidence shows about its item, as its submitter (or the seed's analyst) judges
-- it: the recommendation done, concrete work toward it, or only related background. Background
-- never makes an item's evidence `verified`.
CREATE TYPE evidence_relevance AS ENUM ('shows_implementation', 'shows_progress', 'context');
ALTER TABLE evidence
    ADD COLUMN relevance evidence_relevance NOT NULL DEFAULT 'shows_progress',
    -- The stable key of a link from seeds/, so re-seeding matches it whatever its title.
    ADD COLUMN seed_key text UNIQUE CHECK (seed_key ~ '^[a-z0-9][a-z0-9./#-]{0,159}$');
-- The wording of the same point in another edition of the source (the CCG web summary).
ALTER TABLE recommendations
    ADD COLUMN web_title text CHECK (web_title IS NULL OR length(btrim(web_title)) BETWEEN 1 AND 500);
