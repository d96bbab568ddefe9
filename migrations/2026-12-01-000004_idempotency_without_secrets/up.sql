-- A kept answer that carried a secret (an API token, access or refresh tokens) is not kept:
-- the key remembers only that the request was carried out, and a replay says the secret was
-- shown once.
ALTER TABLE idempotency_keys ADD COLUMN carries_secret boolean NOT NULL DEFAULT false;
UPDATE idempotency_keys
SET carries_secret = true, response_body = NULL, response_headers = NULL
WHERE position('"token_secret"'::bytea IN response_body) > 0
   OR position('"access_token"'::bytea IN response_body) > 0
   OR position('"refresh_token"'::bytea IN response_body) > 0;
-- Claims now commit with the work and the answer; a claim without an answer is one from before.
DELETE FROM idempotency_keys WHERE response_status IS NULL;
