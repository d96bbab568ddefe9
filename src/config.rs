//! Typed, layered settings: the compiled-in `config/default.toml`, then
//! `config/{environment}.toml`, then `RECOTRACK__SECTION__KEY` environment variables.
//!
//! This is the only module that reads the process environment, so every knob the service has
//! is listed in one place (and documented in `config/example.toml`).

use std::collections::HashMap;
use std::path::PathBuf;

use config::{Config, Environment, File, FileFormat};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

const DEFAULTS: &str = include_str!("../config/default.toml");

/// Why the settings could not be loaded. The message always names the offending key.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration: {0}")]
    Invalid(String),
    #[error("configuration key `{key}`: {problem}")]
    Key { key: &'static str, problem: String },
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub log: LogSettings,
    pub email: EmailSettings,
    pub seed: SeedSettings,
    pub auth: AuthSettings,
    pub stall: StallRules,
    pub digest: DigestSettings,
    pub stats: StatsSettings,
    pub history: HistorySettings,
    pub metrics: MetricsSettings,
}

/// Who may read `/metrics`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsSettings {
    /// When set, `/metrics` answers only `Authorization: Bearer <token>`; empty leaves it open
    /// (for a scraper on a private network).
    pub token: SecretString,
}

/// The keys of the history's hash chains (HMAC-SHA-256). Never stored in the database.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistorySettings {
    /// Hashes new events. Empty means, for the local cluster only, a random key kept in
    /// `<local_dir>.history-key`.
    pub key: SecretString,
    /// Earlier keys, still needed to verify the events they hashed (key rotation).
    pub previous_keys: Vec<SecretString>,
}

/// Dashboard figures.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatsSettings {
    /// How long one instance reuses a computed figure; 0 computes every request.
    pub cache_secs: u64,
}

/// When digests go out and how stalled items escalate.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DigestSettings {
    pub enabled: bool,
    pub weekly_schedule: String,
    pub daily_schedule: String,
    pub timezone: String,
    pub tick_secs: u64,
    pub manager_after_days: u32,
    pub admin_after_days: u32,
    pub retry_base_secs: u64,
    /// Failed attempts after which a delivery is given up and reported to admins.
    pub max_attempts: u32,
    /// How long a delivery whose sender died mid-send waits before it is sent again (marked as a
    /// possible duplicate).
    pub resend_after_secs: u64,
}

/// Days without activity before an open item counts as stalled, by where it stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StallRules {
    pub pending: u32,
    pub accepted: u32,
    pub in_progress: u32,
    pub blocked: u32,
    pub partially_implemented: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    pub host: String,
    pub port: u16,
    pub base_url: String,
    pub workers: usize,
    pub shutdown_timeout_secs: u64,
    /// Changes one client may send per minute (per instance); 0 turns the limit off.
    pub writes_per_minute: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    /// Empty means "start a private local cluster".
    pub url: SecretString,
    pub local_dir: PathBuf,
    pub pool_size: u32,
    pub connect_timeout_secs: u64,
    pub statement_timeout_ms: u64,
}

impl DatabaseSettings {
    /// The configured server, if any; `None` asks for the local cluster.
    pub fn external_url(&self) -> Option<&str> {
        let url = self.url.expose_secret().trim();
        (!url.is_empty()).then_some(url)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    pub format: LogFormat,
    pub filter: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    Starttls,
    Tls,
    /// No TLS at all: for SMTP sinks on loopback.
    Plain,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailSettings {
    pub from: String,
    pub outbox_dir: PathBuf,
    pub smtp_host: String,
    pub smtp_port: u16,
    pub smtp_security: SmtpSecurity,
    pub smtp_username: String,
    pub smtp_password: SecretString,
    pub smtp_timeout_secs: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedSettings {
    pub on_start: bool,
    pub demo: bool,
    pub dir: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum JwtAlgorithm {
    HS256,
    EdDSA,
    RS256,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSettings {
    pub jwt_algorithm: JwtAlgorithm,
    pub jwt_secret: SecretString,
    pub jwt_private_key_file: PathBuf,
    pub jwt_public_key_file: PathBuf,
    pub issuer: String,
    pub audience: String,
    pub access_ttl_secs: u64,
    pub refresh_ttl_secs: u64,
    pub leeway_secs: u64,
    pub login_window_secs: u64,
    pub login_max_failures_per_account: u32,
    pub login_max_failures_per_client: u32,
    /// Password checks one instance starts per second at most (a burst of a few more is
    /// allowed); past that a sign-in is refused at once (429), so a flood of guesses cannot take
    /// the CPU from everyone else.
    pub password_checks_per_second: u32,
}

impl Settings {
    /// Loads the settings from the real process environment.
    pub fn load() -> Result<Self, ConfigError> {
        Self::load_from(&std::env::vars().collect())
    }

    /// Loads the settings as [`Settings::load`] would with `env` as the environment.
    pub fn load_from(env: &HashMap<String, String>) -> Result<Self, ConfigError> {
        let environment = env
            .get("RECOTRACK_ENVIRONMENT")
            .map_or("local", String::as_str);
        let config_dir = env
            .get("RECOTRACK_CONFIG_DIR")
            .map_or("config", String::as_str);
        let mut vars: HashMap<String, String> = env
            .iter()
            .filter(|(k, _)| k.starts_with("RECOTRACK__"))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if let Some(url) = env.get("DATABASE_URL")
            && !vars.contains_key("RECOTRACK__DATABASE__URL")
        {
            vars.insert("RECOTRACK__DATABASE__URL".into(), url.clone());
        }
        let layered = Config::builder()
            .add_source(File::from_str(DEFAULTS, FileFormat::Toml))
            .add_source(
                File::with_name(&format!("{config_dir}/{environment}"))
                    .format(FileFormat::Toml)
                    .required(false),
            )
            .add_source(
                Environment::with_prefix("RECOTRACK")
                    .prefix_separator("__")
                    .separator("__")
                    .source(Some(vars)),
            )
            .build()
            .map_err(|e| ConfigError::Invalid(e.to_string()))?;
        let settings: Settings = layered
            .try_deserialize()
            .map_err(|e| ConfigError::Invalid(e.to_string()))?;
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&self) -> Result<(), ConfigError> {
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
        if self.email.from.parse::<lettre::message::Mailbox>().is_err() {
            return key(
                "email.from",
                "must be a mailbox such as `Name <user@example.org>`",
            );
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
        for (name, schedule) in [
            ("digest.weekly_schedule", &digest.weekly_schedule),
            ("digest.daily_schedule", &digest.daily_schedule),
        ] {
            if schedule.parse::<cron::Schedule>().is_err() {
                return Err(ConfigError::Key {
                    key: name,
                    problem: "is not a cron expression with seconds, e.g. `0 0 8 * * Mon`".into(),
                });
            }
        }
        if digest.timezone.parse::<chrono_tz::Tz>().is_err() {
            return key(
                "digest.timezone",
                "is not an IANA time zone name such as `Europe/Berlin`",
            );
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        let mut map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        // Point at a directory without environment files so only defaults and `pairs` count.
        map.entry("RECOTRACK_CONFIG_DIR".into())
            .or_insert_with(|| "/nonexistent".into());
        map
    }

    fn error_of(pairs: &[(&str, &str)]) -> String {
        match Settings::load_from(&env(pairs)) {
            Ok(_) => panic!("expected {pairs:?} to be refused"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn defaults_load_and_ask_for_a_local_cluster() {
        let settings = Settings::load_from(&env(&[])).expect("defaults are valid");
        assert_eq!(settings.server.port, 8080);
        assert_eq!(settings.server.host, "127.0.0.1");
        assert!(settings.database.external_url().is_none());
        assert!(settings.email.smtp_host.is_empty());
    }

    #[test]
    fn environment_variables_override_defaults() {
        let settings = Settings::load_from(&env(&[
            ("RECOTRACK__SERVER__PORT", "9191"),
            ("RECOTRACK__LOG__FORMAT", "json"),
            ("DATABASE_URL", "postgres://u:p@127.0.0.1:5999/x"),
            (
                "RECOTRACK__AUTH__JWT_SECRET",
                "0123456789abcdef0123456789abcdef",
            ),
            (
                "RECOTRACK__HISTORY__KEY",
                "fedcba9876543210fedcba9876543210",
            ),
        ]))
        .expect("valid");
        assert_eq!(settings.server.port, 9191);
        assert_eq!(settings.log.format, LogFormat::Json);
        assert_eq!(
            settings.database.external_url(),
            Some("postgres://u:p@127.0.0.1:5999/x")
        );
    }

    #[test]
    fn a_bad_number_names_its_key() {
        let message = error_of(&[("RECOTRACK__SERVER__PORT", "eighty")]);
        assert!(message.contains("server.port"), "{message}");
    }

    #[test]
    fn an_unknown_enum_value_names_its_key() {
        let message = error_of(&[("RECOTRACK__EMAIL__SMTP_SECURITY", "carrier-pigeon")]);
        assert!(message.contains("smtp_security"), "{message}");
    }

    #[test]
    fn semantic_checks_name_their_key() {
        let message = error_of(&[("RECOTRACK__DATABASE__POOL_SIZE", "0")]);
        assert!(message.contains("database.pool_size"), "{message}");
        let message = error_of(&[("RECOTRACK__SERVER__BASE_URL", "example.org")]);
        assert!(message.contains("server.base_url"), "{message}");
        let message = error_of(&[("RECOTRACK__DATABASE__URL", "mysql://x")]);
        assert!(message.contains("database.url"), "{message}");
    }

    #[test]
    fn digest_schedules_and_zones_are_checked() {
        let message = error_of(&[("RECOTRACK__DIGEST__WEEKLY_SCHEDULE", "every monday")]);
        assert!(message.contains("digest.weekly_schedule"), "{message}");
        let message = error_of(&[("RECOTRACK__DIGEST__TIMEZONE", "Mars/Olympus")]);
        assert!(message.contains("digest.timezone"), "{message}");
    }

    #[test]
    fn a_configured_database_needs_a_jwt_secret() {
        let message = error_of(&[("DATABASE_URL", "postgres://u:p@127.0.0.1/x")]);
        assert!(message.contains("auth.jwt_secret"), "{message}");
        let message = error_of(&[("RECOTRACK__AUTH__JWT_SECRET", "short")]);
        assert!(message.contains("auth.jwt_secret"), "{message}");
    }

    #[test]
    fn a_configured_database_needs_a_history_key_of_its_own() {
        let message = error_of(&[
            ("DATABASE_URL", "postgres://u:p@127.0.0.1/x"),
            (
                "RECOTRACK__AUTH__JWT_SECRET",
                "0123456789abcdef0123456789abcdef",
            ),
        ]);
        assert!(message.contains("history.key"), "{message}");
        let message = error_of(&[("RECOTRACK__HISTORY__KEY", "short")]);
        assert!(message.contains("history.key"), "{message}");
    }

    #[test]
    fn the_database_url_is_never_printed() {
        let settings = Settings::load_from(&env(&[
            ("DATABASE_URL", "postgres://u:hunter2@127.0.0.1/x"),
            (
                "RECOTRACK__AUTH__JWT_SECRET",
                "correct-horse-battery-staple-0123456789",
            ),
            (
                "RECOTRACK__HISTORY__KEY",
                "tr0ub4dor-and-3-more-words-0123456789",
            ),
        ]))
        .expect("valid");
        let printed = format!("{settings:?}");
        assert!(!printed.contains("hunter2"));
        assert!(!printed.contains("correct-horse"));
        assert!(!printed.contains("tr0ub4dor"));
    }
}
