DROP INDEX digest_runs_view_period;
DELETE FROM digest_deliveries WHERE period LIKE 'view:%';
DELETE FROM digest_runs WHERE period LIKE 'view:%';
ALTER TABLE digest_runs DROP CONSTRAINT digest_runs_trigger_check;
ALTER TABLE digest_runs ADD CONSTRAINT digest_runs_trigger_check
    CHECK (trigger IN ('schedule', 'catch_up', 'manual', 'request'));
ALTER TABLE digest_runs DROP CONSTRAINT digest_runs_period_check;
ALTER TABLE digest_runs ADD CONSTRAINT digest_runs_period_check
    CHECK (period ~ '^(daily|weekly):[0-9]{4}-[0-9]{2}-[0-9]{2}$'
           OR period ~ '^request:[0-9]{4}-[0-9]{2}-[0-9]{2}:[0-9a-f-]{36}$');
DROP TABLE view_subscription_mutes;
DROP TABLE view_subscriptions;
