DROP TABLE email_link_uses;
DROP TABLE web_sessions;
ALTER TABLE digest_deliveries DROP COLUMN unsubscribe_url;
DELETE FROM digest_deliveries WHERE period LIKE 'request:%';
DELETE FROM digest_runs WHERE period LIKE 'request:%';
ALTER TABLE digest_runs DROP CONSTRAINT digest_runs_trigger_check;
ALTER TABLE digest_runs ADD CONSTRAINT digest_runs_trigger_check
    CHECK (trigger IN ('schedule', 'catch_up', 'manual'));
ALTER TABLE digest_runs DROP CONSTRAINT digest_runs_period_check;
ALTER TABLE digest_runs ADD CONSTRAINT digest_runs_period_check
    CHECK (period ~ '^(daily|weekly):[0-9]{4}-[0-9]{2}-[0-9]{2}$');
