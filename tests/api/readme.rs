//! The README's first command and its walkthrough, run for real: `recotrack serve` with no
//! database URL starts its own PostgreSQL, seeds, serves; the walkthrough's curl lines work;
//! SIGTERM stops the service and its PostgreSQL; a second start keeps the data.

use std::os::unix::fs::PermissionsExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Service {
    child: Child,
}

impl Service {
    fn start(dir: &std::path::Path, port: u16) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_recotrack"));
        command.current_dir(env!("CARGO_MANIFEST_DIR"));
        for (key, _) in std::env::vars() {
            if key.starts_with("RECOTRACK") || key == "DATABASE_URL" {
                command.env_remove(key);
            }
        }
        let child = command
            .arg("serve")
            .env("RECOTRACK__DATABASE__LOCAL_DIR", dir.join("pg"))
            .env("RECOTRACK__EMAIL__OUTBOX_DIR", dir.join("outbox"))
            .env("RECOTRACK__SERVER__PORT", port.to_string())
            .env(
                "RECOTRACK__SERVER__BASE_URL",
                format!("http://127.0.0.1:{port}"),
            )
            .env("RECOTRACK__LOG__FILTER", "warn")
            .stdout(Stdio::null())
            .spawn()
            .expect("start recotrack serve");
        Self { child }
    }

    fn stop(&mut self) -> std::process::ExitStatus {
        let pid = nix::unistd::Pid::from_raw(i32::try_from(self.child.id()).expect("pid"));
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "serve did not stop within 30 s of SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            self.stop();
        }
    }
}

fn curl_status(url: &str) -> Option<u16> {
    let out = Command::new("curl")
        .args(["-s", "-o", "/dev/null", "-w", "%{http_code}", url])
        .output()
        .ok()?;
    String::from_utf8_lossy(&out.stdout).parse().ok()
}

fn wait_ready(port: u16) -> Duration {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(120) {
        if curl_status(&format!("http://127.0.0.1:{port}/readyz")) == Some(200) {
            return started.elapsed();
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!("serve was not ready within 120 s");
}

fn walkthrough() -> String {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README");
    let start = readme
        .find("<!-- walkthrough:start -->")
        .expect("walkthrough start marker");
    let end = readme
        .find("<!-- walkthrough:end -->")
        .expect("walkthrough end marker");
    let block = &readme[start..end];
    let code_start = block.find("```sh\n").expect("sh block") + 6;
    let code_end = block.rfind("```").expect("block end");
    block[code_start..code_end].to_owned()
}

fn postgres_running(data_dir: &std::path::Path) -> bool {
    data_dir.join("postmaster.pid").exists()
}

#[test]
fn the_first_readme_command_serves_and_the_walkthrough_works() {
    let dir = tempfile::tempdir().expect("temp dir");
    // As root, the cluster runs as `postgres`, which must be able to enter this directory.
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("port")
        .local_addr()
        .expect("addr")
        .port();
    let data_dir = dir.path().join("pg");

    let mut service = Service::start(dir.path(), port);
    wait_ready(port);
    assert!(
        postgres_running(&data_dir),
        "the service should run its own PostgreSQL"
    );

    let output = Command::new("bash")
        .args(["-euo", "pipefail", "-c", &walkthrough()])
        .env("BASE", format!("http://127.0.0.1:{port}"))
        .output()
        .expect("run the walkthrough");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "walkthrough failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("ccg-2017/03  pending/not_started"),
        "{stdout}"
    );
    // No source records a response: seeded items start pending.
    assert!(
        stdout.contains("ccg-2017/02  pending/not_started"),
        "{stdout}"
    );
    assert!(stdout.contains(r#""key":"ccg-2017/09","status":"implemented","evidence_stage":"verified","evidence_as_of":"2026-11-02""#), "{stdout}");
    assert!(stdout.contains(r#""intact":true"#), "{stdout}");
    assert!(
        stdout.contains("transition status in_progress -> implemented"),
        "{stdout}"
    );

    let status = service.stop();
    assert!(status.success(), "serve exited with {status}");
    assert!(
        !postgres_running(&data_dir),
        "PostgreSQL still running after the service stopped"
    );

    // A second start reuses the cluster and keeps what was done.
    let mut again = Service::start(dir.path(), port);
    wait_ready(port);
    let check = Command::new("bash")
        .args(["-euo", "pipefail", "-c", r#"
            TOKEN=$(curl -sf "$BASE/api/v1/auth/login" -H 'content-type: application/json' \
              -d '{"email":"victor.viewer@demo.recotrack.test","password":"recotrack-demo-only"}' | jq -r .access_token)
            curl -sf "$BASE/api/v1/recommendations?status=implemented" -H "authorization: Bearer $TOKEN" | jq -r '.items[].key'
        "#])
        .env("BASE", format!("http://127.0.0.1:{port}"))
        .output()
        .expect("query");
    assert_eq!(String::from_utf8_lossy(&check.stdout).trim(), "ccg-2017/09");
    assert!(again.stop().success());
    assert!(!postgres_running(&data_dir));
}
