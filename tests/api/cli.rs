use std::process::Command;

/// The binary under test, with no inherited RECOTRACK settings.
fn recotrack() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_recotrack"));
    command.current_dir(env!("CARGO_MANIFEST_DIR"));
    for (key, _) in std::env::vars() {
        if key.starts_with("RECOTRACK") || key == "DATABASE_URL" {
            command.env_remove(key);
        }
    }
    command
}

#[test]
fn a_bad_setting_stops_the_program_and_names_the_key() {
    let output = recotrack()
        .arg("migrate")
        .env("RECOTRACK__SERVER__PORT", "eighty")
        .output()
        .expect("run recotrack");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("server.port"), "{stderr}");
}

#[test]
fn a_semantic_config_error_names_the_key() {
    let output = recotrack()
        .arg("migrate")
        .env("RECOTRACK__DATABASE__POOL_SIZE", "0")
        .output()
        .expect("run recotrack");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("database.pool_size"), "{stderr}");
}

#[test]
fn every_subcommand_has_help() {
    for sub in [
        "serve", "migrate", "seed", "openapi", "user", "digest", "history", "sandbox",
    ] {
        let output = recotrack()
            .args([sub, "--help"])
            .output()
            .expect("run recotrack");
        assert!(output.status.success(), "{sub} --help failed");
        assert!(String::from_utf8_lossy(&output.stdout).contains("Usage"));
    }
}

#[test]
fn the_committed_openapi_document_matches_the_code() {
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json"))
            .expect("openapi/openapi.json is committed");
    let generated = recotrack::http::openapi::document_json().expect("document");
    assert!(
        committed == generated,
        "openapi/openapi.json is out of date: run `cargo run -- openapi` and commit it"
    );
}
