//! There is no Docker engine here, so `docker-compose.yml` is checked by reading it: it parses
//! (with PyYAML, as Compose does), names the three services with healthchecks, and the
//! service's environment is settings recotrack reads, pointing at the other services.

use std::collections::HashMap;
use std::process::Command;

use serde_json::Value;

fn compose() -> Value {
    let python =
        std::env::var("RECOTRACK_TEST_PYTHON").expect("RECOTRACK_TEST_PYTHON (scripts/test)");
    let out = Command::new(python)
        .args([
            "-c",
            "import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))",
            concat!(env!("CARGO_MANIFEST_DIR"), "/docker-compose.yml"),
        ])
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("compose file as JSON")
}

/// `${VAR:?message}` and `${VAR:-default}` as Compose would fill them, with a value for VAR.
fn interpolate(value: &str) -> String {
    match value.strip_prefix("${").and_then(|v| v.strip_suffix('}')) {
        Some(_) => "a-compose-secret-of-at-least-32-bytes!!".to_owned(),
        None => value.to_owned(),
    }
}

#[test]
fn the_compose_file_runs_what_the_service_needs() {
    let compose = compose();
    let services = compose["services"].as_object().expect("services");
    for name in ["postgres", "mailpit", "recotrack"] {
        let service = services
            .get(name)
            .unwrap_or_else(|| panic!("service {name}"));
        assert!(
            service["healthcheck"]["test"].is_array(),
            "{name} has a healthcheck"
        );
    }
    let ports = |name: &str| -> Vec<String> {
        services[name]["ports"]
            .as_array()
            .map(|p| {
                p.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    assert!(
        ports("mailpit").contains(&"8025:8025".to_owned()),
        "Mailpit's web UI is published"
    );

    let app = &services["recotrack"];
    let env: HashMap<String, String> = app["environment"]
        .as_object()
        .expect("recotrack environment")
        .iter()
        .map(|(k, v)| (k.clone(), interpolate(v.as_str().expect("string values"))))
        .collect();
    assert!(env.keys().all(|k| k.starts_with("RECOTRACK__")), "{env:?}");
    // Every key must be a setting: unknown keys are refused by the loader.
    let mut loader_env = env.clone();
    loader_env.insert(
        "RECOTRACK_CONFIG_DIR".into(),
        concat!(env!("CARGO_MANIFEST_DIR"), "/config").into(),
    );
    let settings = recotrack::config::Settings::load_from(&loader_env)
        .unwrap_or_else(|e| panic!("the compose environment is not valid settings: {e}"));
    let port = settings.server.port.to_string();
    assert!(
        ports("recotrack").contains(&format!("{port}:{port}")),
        "the API port is published"
    );
    assert_eq!(settings.server.host, "0.0.0.0");
    assert_eq!(settings.email.smtp_host, "mailpit");
    assert_eq!(settings.email.smtp_port, 1025, "Mailpit's SMTP port");

    let pg = &services["postgres"]["environment"];
    let expected = format!(
        "postgres://{}:{}@postgres:5432/{}",
        pg["POSTGRES_USER"].as_str().expect("user"),
        pg["POSTGRES_PASSWORD"].as_str().expect("password"),
        pg["POSTGRES_DB"].as_str().expect("db"),
    );
    assert_eq!(env["RECOTRACK__DATABASE__URL"], expected);
    assert_eq!(
        app["depends_on"]["postgres"]["condition"], "service_healthy",
        "the service waits for a ready database"
    );
    let health = app["healthcheck"]["test"].to_string();
    assert!(health.contains(&format!(":{port}/readyz")), "{health}");
}
