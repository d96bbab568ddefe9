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

mod parsed;
mod validate;

const DEFAULTS: &str = include_str!("../../config/default.toml");

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
    pub webhooks: WebhookSettings,
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

/// Webhook delivery (`domain::webhooks`, sent by `crate::webhooks`).
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookSettings {
    /// Whether `serve` sends webhooks (any instance with it on shares the queue).
    pub enabled: bool,
    /// Lets endpoints be private, loopback or link-local addresses (tests, on-premises).
    pub allow_private_targets: bool,
    /// How often each instance looks for due deliveries.
    pub poll_ms: u64,
    /// How long one request may take, connecting included.
    pub timeout_secs: u64,
    /// The first retry's wait; each later one doubles it (at most an hour), with jitter.
    pub retry_base_secs: u64,
    /// How long a delivery is retried before it is abandoned.
    pub retry_for_secs: u64,
    /// How long an endpoint may fail every delivery before it is disabled.
    pub disable_after_secs: u64,
    /// How often each instance looks for items that stalled or became overdue.
    pub announce_secs: u64,
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
    #[serde(deserialize_with = "parsed::schedule")]
    pub weekly_schedule: cron::Schedule,
    #[serde(deserialize_with = "parsed::schedule")]
    pub daily_schedule: cron::Schedule,
    #[serde(deserialize_with = "parsed::time_zone")]
    pub timezone: chrono_tz::Tz,
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
    #[serde(deserialize_with = "parsed::mailbox")]
    pub from: lettre::message::Mailbox,
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
    /// How long an instance may answer who a caller is from memory (seconds; 0: never). Every
    /// role change, deactivation and revocation empties it on every instance within a second
    /// (see `domain::auth::callers`); this bounds it should a notification be lost.
    pub caller_cache_secs: u64,
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
}

#[cfg(test)]
mod tests;
