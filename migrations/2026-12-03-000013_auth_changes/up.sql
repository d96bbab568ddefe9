-- Each instance keeps who its recent callers are for a few seconds (domain::auth::callers).
-- Whatever can change that answer notifies every instance in the transaction that changes it,
-- so a notification is sent exactly when the change commits, whichever code path makes it.
CREATE FUNCTION notify_auth_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_TABLE_NAME = 'users' THEN
    PERFORM pg_notify('recotrack_auth', 'user:' || OLD.id);
  ELSIF TG_TABLE_NAME = 'refresh_tokens' THEN
    PERFORM pg_notify('recotrack_auth', 'session:' || OLD.family_id);
  ELSE
    PERFORM pg_notify('recotrack_auth', 'token:' || OLD.id);
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER users_auth_change AFTER UPDATE ON users FOR EACH ROW
  WHEN (OLD.role IS DISTINCT FROM NEW.role OR OLD.active IS DISTINCT FROM NEW.active)
  EXECUTE FUNCTION notify_auth_change();
CREATE TRIGGER users_auth_gone AFTER DELETE ON users FOR EACH ROW
  EXECUTE FUNCTION notify_auth_change();

CREATE TRIGGER refresh_tokens_auth_change AFTER UPDATE ON refresh_tokens FOR EACH ROW
  WHEN (OLD.revoked_at IS DISTINCT FROM NEW.revoked_at)
  EXECUTE FUNCTION notify_auth_change();
CREATE TRIGGER refresh_tokens_auth_gone AFTER DELETE ON refresh_tokens FOR EACH ROW
  EXECUTE FUNCTION notify_auth_change();

CREATE TRIGGER api_tokens_auth_change AFTER UPDATE ON api_tokens FOR EACH ROW
  WHEN (OLD.revoked_at IS DISTINCT FROM NEW.revoked_at OR OLD.role IS DISTINCT FROM NEW.role
        OR OLD.expires_at IS DISTINCT FROM NEW.expires_at)
  EXECUTE FUNCTION notify_auth_change();
CREATE TRIGGER api_tokens_auth_gone AFTER DELETE ON api_tokens FOR EACH ROW
  EXECUTE FUNCTION notify_auth_change();

-- An item's history head follows its last event, in the statement that appends it, so
-- appending is one statement (see domain::history::append).
CREATE FUNCTION follow_history_head() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO history_heads (recommendation_id, seq, hash)
  VALUES (NEW.recommendation_id, NEW.seq, NEW.hash)
  ON CONFLICT (recommendation_id) DO UPDATE SET seq = EXCLUDED.seq, hash = EXCLUDED.hash
    WHERE history_heads.seq < EXCLUDED.seq;
  RETURN NULL;
END $$;
CREATE TRIGGER history_events_head AFTER INSERT ON history_events FOR EACH ROW
  EXECUTE FUNCTION follow_history_head();
