ALTER TABLE reports DROP CONSTRAINT reports_published_has_a_precision, DROP COLUMN published_precision;
