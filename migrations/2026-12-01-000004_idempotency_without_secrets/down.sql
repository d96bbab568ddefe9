ALTER TABLE idempotency_keys DROP COLUMN carries_secret;
