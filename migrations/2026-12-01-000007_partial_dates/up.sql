-- A date as precise as its source: "May. 2017" is a month, not the first of May. The date holds
-- the first day of the period; the precision says how much of it the source gives.
ALTER TABLE reports
    ADD COLUMN published_precision text
        CHECK (published_precision IN ('day', 'month', 'year'));
UPDATE reports SET published_precision = 'day' WHERE published_on IS NOT NULL;
ALTER TABLE reports
    ADD CONSTRAINT reports_published_has_a_precision
        CHECK ((published_on IS NULL) = (published_precision IS NULL));
