DROP TRIGGER history_events_head ON history_events;
DROP FUNCTION follow_history_head();
DROP TRIGGER api_tokens_auth_gone ON api_tokens;
DROP TRIGGER api_tokens_auth_change ON api_tokens;
DROP TRIGGER refresh_tokens_auth_gone ON refresh_tokens;
DROP TRIGGER refresh_tokens_auth_change ON refresh_tokens;
DROP TRIGGER users_auth_gone ON users;
DROP TRIGGER users_auth_change ON users;
DROP FUNCTION notify_auth_change();
