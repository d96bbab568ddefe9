ALTER TABLE evidence DROP COLUMN provenance;
ALTER TABLE recommendations DROP COLUMN provenance;
