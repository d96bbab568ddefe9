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
