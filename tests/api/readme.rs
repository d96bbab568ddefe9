//! The README's first command and every example in it, run for real: `recotrack serve` with no
//! database URL starts its own PostgreSQL, seeds, serves; every shell block (but those that say
//! why not) runs in order and prints what a reader expects; SIGTERM stops the service and its
//! PostgreSQL; a second start keeps the data, also from a clone `postgres` cannot enter.

use std::os::unix::fs::PermissionsExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Service {
    child: Child,
}

impl Service {
    fn start(dir: &std::path::Path, port: u16) -> Self {
        let mut command = Self::command(env!("CARGO_MANIFEST_DIR").as_ref());
        command.env("RECOTRACK__DATABASE__LOCAL_DIR", dir.join("pg"));
        Self::spawn(command, dir, port)
    }

    /// `recotrack serve` run from `checkout` as a newcomer runs it: no settings of ours.
    fn command(checkout: &std::path::Path) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_recotrack"));
        command.current_dir(checkout);
        for (key, _) in std::env::vars() {
            if key.starts_with("RECOTRACK") || key == "DATABASE_URL" {
                command.env_remove(key);
            }
        }
        command
    }

    fn spawn(mut command: Command, dir: &std::path::Path, port: u16) -> Self {
        let child = command
            .arg("serve")
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

/// The shell blocks of the README in order, each with whether it is run: a block is left out
/// only when the text just before it says `<!-- not run: why -->`.
fn shell_blocks() -> Vec<(bool, String)> {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README");
    let mut blocks = Vec::new();
    let mut rest = readme.as_str();
    let mut before_start = 0;
    while let Some(open) = rest.find("```sh\n") {
        let before = &rest[before_start..open];
        let code_start = open + "```sh\n".len();
        let code_end = code_start + rest[code_start..].find("```").expect("block end");
        // Only the prose since the previous block counts.
        let run = !before
            .rsplit("```")
            .next()
            .unwrap_or(before)
            .contains("<!-- not run:");
        blocks.push((run, rest[code_start..code_end].to_owned()));
        rest = &rest[code_end + 3..];
        before_start = 0;
    }
    blocks
}

/// A `cargo` on PATH for the README's `cargo run -- ARGS`: the binary cargo built, with ARGS.
fn cargo_shim(dir: &std::path::Path) -> std::path::PathBuf {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).expect("bin dir");
    let shim = bin.join("cargo");
    std::fs::write(
        &shim,
        format!(
            "#!/bin/sh\n[ \"$1\" = run ] && [ \"$2\" = -- ] || {{ echo \"unexpected: cargo $*\" >&2; exit 99; }}\nshift 2\nexec {} \"$@\"\n",
            env!("CARGO_BIN_EXE_recotrack")
        ),
    )
    .expect("shim");
    std::fs::set_permissions(&shim, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    bin
}

fn postgres_running(data_dir: &std::path::Path) -> bool {
    data_dir.join("postmaster.pid").exists()
}

#[test]
fn the_first_readme_command_serves_and_every_readme_example_works() {
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

    let blocks = shell_blocks();
    let run: Vec<&String> = blocks
        .iter()
        .filter(|(run, _)| *run)
        .map(|(_, code)| code)
        .collect();
    assert_eq!(
        (run.len(), blocks.len()),
        (11, 16),
        "every shell block of the README runs here unless it says why not"
    );
    let script: String = run
        .iter()
        .enumerate()
        .map(|(n, code)| format!("echo '### block {n}'\n{code}\n"))
        .collect();
    let work = dir.path().join("work");
    std::fs::create_dir_all(&work).expect("work dir");
    std::fs::copy(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/seeds/sources/003_68d403e52fb0bee6.txt"
        ),
        work.join("report.txt"),
    )
    .expect("a report's text");
    let path = format!(
        "{}:{}",
        cargo_shim(dir.path()).display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let output = Command::new("bash")
        .args(["-euo", "pipefail", "-c", &script])
        .current_dir(&work)
        .env("PATH", path)
        .env("BASE", format!("http://127.0.0.1:{port}"))
        .env("PGDATA", &data_dir)
        .env("RECOTRACK__DATABASE__LOCAL_DIR", &data_dir)
        .env("RECOTRACK__EMAIL__OUTBOX_DIR", dir.path().join("outbox"))
        .env("RECOTRACK__LOG__FILTER", "warn")
        .output()
        .expect("run the README");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "a README example failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let block = |n: usize| {
        let start = stdout
            .find(&format!("### block {n}\n"))
            .unwrap_or_else(|| panic!("block {n} in {stdout}"));
        let rest = &stdout[start..];
        let end = rest[1..].find("### block ").map_or(rest.len(), |e| e + 1);
        rest[..end].to_owned()
    };

    let walk = block(0);
    assert!(walk.contains(r#"{"status":"ready"}"#), "{walk}");
    assert!(walk.contains(r#""role":"manager"}"#), "{walk}");
    // No source records a response: seeded items start pending (02 moved in the demo's
    // invented activity).
    assert!(walk.contains("ccg-2017/01  pending/not_started"), "{walk}");
    assert!(walk.contains("ccg-2017/02  accepted/in_progress"), "{walk}");
    assert!(walk.contains("ccg-2017/03  pending/not_started"), "{walk}");
    assert!(walk.contains(r#""key":"ccg-2017/09","status":"implemented","evidence_stage":"verified","evidence_as_of":"2026-11-02""#), "{walk}");
    assert!(walk.contains(r#""intact":true"#), "{walk}");
    assert!(
        walk.contains("transition status in_progress -> implemented"),
        "{walk}"
    );

    let accounts = block(1);
    assert!(
        accounts.contains(r#"{"email":"admin@example.org","role":"admin"}"#),
        "{accounts}"
    );
    assert!(
        // Stalled and overdue by the demo's invented activity (seeds/demo.toml).
        accounts.contains(r#"{"total":63,"stalled":4,"overdue":1}"#),
        "{accounts}"
    );

    let import = block(2);
    assert!(
        import.contains(r#"{"created":["next-report/01","#),
        "{import}"
    );

    let digests = block(3);
    assert!(digests.contains(r#""frequency":"daily""#), "{digests}");
    assert!(
        digests.contains(
            "- Stalled: no activity for 52 days; the rule for items in progress allows 45"
        ),
        "the demo's first digest has content: {digests}"
    );
    assert!(digests.contains(r#"{"sent":true}"#), "{digests}");
    assert!(
        digests.contains("digests would be sent now; nothing sent"),
        "{digests}"
    );

    let trust = block(4);
    assert!(trust.contains(r#""items_checked":"#), "{trust}");

    let dashboards = block(5);
    assert!(
        dashboards.trim_end().ends_with("304"),
        "poll cheaply: {dashboards}"
    );
    assert!(work.join("in-progress.csv").exists());

    let hooks = block(6);
    assert!(
        hooks.contains("url: resolves to a private, loopback or link-local address"),
        "{hooks}"
    );
    assert!(hooks.trim_end().ends_with('0'), "{hooks}");

    let views = block(7);
    assert!(views.contains(r#"["ccg-2017/02"]"#), "{views}");
    assert!(
        views.contains(
            r#"{"frequency":"weekly","weekday":"monday","hour":8,"time_zone":"Europe/London"}"#
        ),
        "{views}"
    );

    let watching = block(8);
    assert!(
        watching.contains(r#"{"watching":true,"digest":"daily"}"#),
        "{watching}"
    );
    assert!(watching.contains(r#"["ccg-2017/01"]"#), "{watching}");
    assert!(watching.trim_end().ends_with("false"), "{watching}");

    let feeds = block(9);
    let counts: Vec<u32> = feeds
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .collect();
    assert_eq!(counts.len(), 3, "{feeds}");
    assert!(counts.iter().all(|n| *n >= 1), "{feeds}");

    let database = block(10);
    assert!(database.contains("ccg-2017/01"), "{database}");

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
    // 09 by the README's walk, 17 by the demo's invented activity, which is not played again.
    assert_eq!(
        String::from_utf8_lossy(&check.stdout).trim(),
        "ccg-2017/09\nccg-2017/17"
    );
    assert!(again.stop().success());
    assert!(!postgres_running(&data_dir));
}

/// Removes a directory the service made outside the test's own temporary ones.
struct RemoveOnDrop(std::path::PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The `using` field of the service's warning that it moved the data directory, from its JSON
/// log.
fn fallback_in_log(log: &std::path::Path) -> Option<String> {
    std::fs::read_to_string(log)
        .ok()?
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .find_map(|line| line["using"].as_str().map(str::to_owned))
}

#[test]
fn the_first_readme_command_works_in_a_clone_the_postgres_user_cannot_enter() {
    if !nix::unistd::Uid::effective().is_root() {
        eprintln!("not root: the local PostgreSQL runs as this user, who can reach any clone");
        return;
    }
    let private = tempfile::tempdir().expect("temp dir");
    // Like root's home.
    std::fs::set_permissions(private.path(), std::fs::Permissions::from_mode(0o700))
        .expect("chmod");
    let checkout = private.path().join("recotrack");
    let cloned = Command::new("git")
        .args(["clone", "--quiet", env!("CARGO_MANIFEST_DIR")])
        .arg(&checkout)
        .status()
        .expect("git clone");
    assert!(cloned.success());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("port")
        .local_addr()
        .expect("addr")
        .port();
    let start = |log: &str| {
        let file = std::fs::File::create(private.path().join(log)).expect("log file");
        let mut command = Service::command(&checkout);
        command
            .env("RECOTRACK__LOG__FORMAT", "json")
            .stderr(file.try_clone().expect("log"));
        Service::spawn(command, private.path(), port)
    };

    let mut first = start("first.log");
    wait_ready(port);
    let used = fallback_in_log(&private.path().join("first.log")).unwrap_or_else(|| {
        let log = std::fs::read_to_string(private.path().join("first.log")).unwrap_or_default();
        let local = std::fs::read_dir(checkout.join("var/postgres")).map(|d| d.count());
        panic!(
            "the log should say where the data went:\n{log}\nvar/postgres: {local:?}, in {}",
            private.path().display()
        )
    });
    let _cleanup = RemoveOnDrop(used.clone().into());
    assert!(used.starts_with("/var/lib/recotrack/"), "{used}");
    assert!(
        used.contains("recotrack-var-postgres"),
        "named after the clone: {used}"
    );
    assert!(std::path::Path::new(&used).join("PG_VERSION").exists());
    assert!(!checkout.join("var/postgres/PG_VERSION").exists());
    let make = Command::new(env!("CARGO_BIN_EXE_recotrack"))
        .current_dir(&checkout)
        .args([
            "user",
            "create",
            "--email",
            "kept@example.org",
            "--name",
            "Kept",
            "--role",
            "viewer",
        ])
        .env("RECOTRACK_USER_PASSWORD", "a long passphrase for kept")
        .output()
        .expect("user create");
    assert!(
        make.status.success(),
        "{}",
        String::from_utf8_lossy(&make.stderr)
    );
    assert!(first.stop().success());

    // The next start finds the same directory and what was written there.
    let mut second = start("second.log");
    wait_ready(port);
    assert_eq!(
        fallback_in_log(&private.path().join("second.log")).as_deref(),
        Some(used.as_str())
    );
    let login = Command::new("curl")
        .args([
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "-H",
            "content-type: application/json",
        ])
        .args([
            "-d",
            r#"{"email":"kept@example.org","password":"a long passphrase for kept"}"#,
        ])
        .arg(format!("http://127.0.0.1:{port}/api/v1/auth/login"))
        .output()
        .expect("curl");
    assert_eq!(String::from_utf8_lossy(&login.stdout), "200");
    assert!(second.stop().success());
}
