//! The checks a loaded configuration must pass before the service starts: each failure names
//! its key.

use secrecy::ExposeSecret;

use super::{ConfigError, JwtAlgorithm, Settings};

impl Settings {
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        let key = |key: &'static str, problem: &str| {
            Err(ConfigError::Key {
                key,
                problem: problem.to_owned(),
            })
        };
        if self.server.host.trim().is_empty() {
            return key("server.host", "must not be empty");
        }
        let base = self.server.base_url.as_str();
        if !(base.starts_with("http://") || base.starts_with("https://")) || base.ends_with('/') {
            return key(
                "server.base_url",
                "must be an absolute http(s) URL without a trailing slash",
            );
        }
        if !(1..=200).contains(&self.database.pool_size) {
            return key("database.pool_size", "must be between 1 and 200");
        }
        if self.database.connect_timeout_secs == 0 {
            return key("database.connect_timeout_secs", "must be at least 1");
        }
        if let Some(url) = self.database.external_url()
            && !(url.starts_with("postgres://") || url.starts_with("postgresql://"))
        {
            return key(
                "database.url",
                "must start with postgres:// or postgresql:// (or be empty for a local cluster)",
            );
        }
        if self.database.external_url().is_none() && self.database.local_dir.as_os_str().is_empty()
        {
            return key(
                "database.local_dir",
                "must not be empty when database.url is empty",
            );
        }
        if self
            .log
            .filter
            .parse::<tracing_subscriber::EnvFilter>()
            .is_err()
        {
            return key("log.filter", "is not a valid tracing filter");
        }
        let auth = &self.auth;
        match auth.jwt_algorithm {
            JwtAlgorithm::HS256 => {
                let secret = auth.jwt_secret.expose_secret();
                if self.database.external_url().is_some() && secret.is_empty() {
                    return key(
                        "auth.jwt_secret",
                        "is required when database.url is set (at least 32 random bytes)",
                    );
                }
                if !secret.is_empty() && secret.len() < 32 {
                    return key("auth.jwt_secret", "must be at least 32 bytes long");
                }
            }
            JwtAlgorithm::EdDSA | JwtAlgorithm::RS256 => {
                if auth.jwt_private_key_file.as_os_str().is_empty() {
                    return key(
                        "auth.jwt_private_key_file",
                        "is required for EdDSA and RS256",
                    );
                }
                if auth.jwt_public_key_file.as_os_str().is_empty() {
                    return key(
                        "auth.jwt_public_key_file",
                        "is required for EdDSA and RS256",
                    );
                }
            }
        }
        let metrics_token = self.metrics.token.expose_secret();
        if !metrics_token.is_empty() && metrics_token.len() < 16 {
            return key("metrics.token", "must be at least 16 bytes long (or empty)");
        }
        let history_key = self.history.key.expose_secret();
        if self.database.external_url().is_some() && history_key.is_empty() {
            return key(
                "history.key",
                "is required when database.url is set (at least 32 random bytes, kept out of the database)",
            );
        }
        if !history_key.is_empty() && history_key.len() < 32 {
            return key("history.key", "must be at least 32 bytes long");
        }
        if self
            .history
            .previous_keys
            .iter()
            .any(|k| k.expose_secret().len() < 32)
        {
            return key(
                "history.previous_keys",
                "each must be at least 32 bytes long",
            );
        }
        if auth.password_checks_per_second == 0 {
            return key("auth.password_checks_per_second", "must be at least 1");
        }
        if !(60..=86_400).contains(&auth.access_ttl_secs) {
            return key("auth.access_ttl_secs", "must be between 60 and 86400");
        }
        if auth.caller_cache_secs > 60 {
            return key(
                "auth.caller_cache_secs",
                "must be at most 60 (a lost notification must not keep a revoked session alive)",
            );
        }
        if auth.refresh_ttl_secs < auth.access_ttl_secs {
            return key(
                "auth.refresh_ttl_secs",
                "must not be shorter than auth.access_ttl_secs",
            );
        }
        if auth.issuer.is_empty() || auth.audience.is_empty() {
            return key("auth.issuer", "issuer and audience must not be empty");
        }
        if auth.login_window_secs == 0 {
            return key("auth.login_window_secs", "must be at least 1");
        }
        let hooks = self.webhooks;
        if !(1..=60).contains(&hooks.timeout_secs) {
            return key("webhooks.timeout_secs", "must be from 1 to 60");
        }
        if !(10..=60_000).contains(&hooks.poll_ms) {
            return key("webhooks.poll_ms", "must be from 10 to 60000");
        }
        if hooks.retry_for_secs > 7 * 86_400 || hooks.disable_after_secs > 7 * 86_400 {
            return key(
                "webhooks.retry_for_secs",
                "retry_for_secs and disable_after_secs must be at most 604800 (a week)",
            );
        }
        let stall = self.stall;
        for (name, days) in [
            ("stall.pending", stall.pending),
            ("stall.accepted", stall.accepted),
            ("stall.in_progress", stall.in_progress),
            ("stall.blocked", stall.blocked),
            ("stall.partially_implemented", stall.partially_implemented),
        ] {
            if !(1..=3650).contains(&days) {
                return Err(ConfigError::Key {
                    key: name,
                    problem: "must be between 1 and 3650 days".into(),
                });
            }
        }
        let digest = &self.digest;
        if digest.max_attempts == 0 {
            return key("digest.max_attempts", "must be at least 1");
        }
        if digest.tick_secs == 0 || digest.retry_base_secs == 0 {
            return key(
                "digest.tick_secs",
                "tick_secs and retry_base_secs must be at least 1",
            );
        }
        if self.email.smtp_timeout_secs == 0 {
            return key("email.smtp_timeout_secs", "must be at least 1");
        }
        Ok(())
    }
}
