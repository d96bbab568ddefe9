ALTER TABLE recommendations DROP COLUMN web_title;
ALTER TABLE evidence DROP COLUMN seed_key, DROP COLUMN relevance;
DROP TYPE evidence_relevance;
