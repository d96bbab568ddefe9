//! Faults and abuse: many writers on one item, retried requests, write limits, oversized and
//! deep bodies, a database that goes away under load, and a service killed mid-stream.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use diesel::RunQueryDsl;
use recotrack::db::enums::Role;
use recotrack::db::local::LocalPostgres;
use serde_json::{Value, json};

use crate::helpers::{Login, TestApp, TestDb};

async fn report(app: &TestApp, manager: &Login, key: &str) -> String {
    let reply = app
        .call(
            "POST",
            "/api/v1/reports",
            Some(&manager.access),
            Some(json!({"key": key, "title": "Reliability"})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    reply.body["id"].as_str().expect("id").to_owned()
}

#[actix_web::test]
async fn fifty_writers_on_one_item_lose_no_update() {
    let app = TestApp::spawn().await;
    let manager = app.user(Role::Manager).await;
    let report = report(&app, &manager, "race-2026").await;
    let created = app
        .call(
            "POST",
            "/api/v1/recommendations",
            Some(&manager.access),
            Some(json!({"report_id": report, "title": "Contended"})),
        )
        .await;
    let id = created.body["id"].as_str().expect("id").to_owned();
    let writers = (0..50).map(|n| {
        let client = awc::Client::default();
        let url = format!("{}/api/v1/recommendations/{id}", app.address);
        let auth = format!("Bearer {}", manager.access);
        async move {
            let mut refused = 0;
            for _ in 0..3 {
                let current = client
                    .get(&url)
                    .insert_header(("Authorization", auth.as_str()))
                    .send()
                    .await
                    .expect("GET sent");
                let tag = current
                    .headers()
                    .get("etag")
                    .and_then(|v| v.to_str().ok())
                    .expect("ETag")
                    .to_owned();
                let note = format!("writer {n}");
                let status = client
                    .patch(&url)
                    .insert_header(("Authorization", auth.as_str()))
                    .insert_header(("If-Match", tag))
                    .send_json(&json!({"progress_note": note}))
                    .await
                    .expect("PATCH sent")
                    .status();
                match status {
                    StatusCode::OK => return (Some(note), refused),
                    StatusCode::PRECONDITION_FAILED => refused += 1,
                    other => panic!("writer {n} got {other}"),
                }
            }
            (None, refused)
        }
    });
    let outcomes = futures_util::future::join_all(writers).await;
    let won: Vec<String> = outcomes
        .iter()
        .filter_map(|(note, _)| note.clone())
        .collect();
    let refused: usize = outcomes.iter().map(|(_, r)| r).sum();
    assert!(!won.is_empty());
    let item = app
        .call(
            "GET",
            &format!("/api/v1/recommendations/{id}"),
            Some(&manager.access),
            None,
        )
        .await;
    assert_eq!(
        item.body["version"],
        json!(1 + won.len()),
        "{} refused",
        refused
    );
    let history = app
        .call(
            "GET",
            &format!("/api/v1/recommendations/{id}/history"),
            Some(&manager.access),
            None,
        )
        .await;
    let notes: Vec<String> = history
        .body
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["field"] == "progress_note")
        .map(|e| e["after"].as_str().unwrap_or_default().to_owned())
        .collect();
    let mut expected = won.clone();
    expected.sort();
    let mut recorded = notes.clone();
    recorded.sort();
    assert_eq!(
        recorded, expected,
        "history holds exactly the acknowledged writes"
    );
    println!(
        "50 writers: {} writes acknowledged, {refused} refused with 412, version {}",
        won.len(),
        item.body["version"]
    );
}

#[actix_web::test]
async fn a_retried_post_with_an_idempotency_key_creates_nothing_new() {
    let app = TestApp::spawn().await;
    let manager = app.user(Role::Manager).await;
    let other = app.user(Role::Manager).await;
    let token = manager.access.clone();
    let send = |token: String, key: &'static str, body: Value| {
        let app = &app;
        async move {
            app.call_with(
                "POST",
                "/api/v1/reports",
                Some(&token),
                Some(body),
                &[("Idempotency-Key", key)],
            )
            .await
        }
    };
    let body = json!({"key": "idem-2026", "title": "Once"});
    let first = send(token.clone(), "retry-1", body.clone()).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    assert_eq!(first.header("idempotent-replayed"), Some("false"));
    let again = send(token.clone(), "retry-1", body.clone()).await;
    assert_eq!(again.status, StatusCode::CREATED);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.body, first.body);
    assert_eq!(again.header("etag"), first.header("etag"));
    let listed = app.call("GET", "/api/v1/reports", Some(&token), None).await;
    let copies = listed
        .body
        .as_array()
        .expect("reports")
        .iter()
        .filter(|r| r["key"] == "idem-2026")
        .count();
    assert_eq!(copies, 1);

    let changed = send(
        token.clone(),
        "retry-1",
        json!({"key": "idem-other", "title": "Else"}),
    )
    .await;
    assert_eq!(changed.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        changed.body["type"],
        "urn:recotrack:problem:idempotency-key-reused"
    );
    // Keys belong to their caller: another manager's "retry-1" is a request of its own.
    let theirs = send(
        other.access.clone(),
        "retry-1",
        json!({"key": "idem-theirs", "title": "Theirs"}),
    )
    .await;
    assert_eq!(theirs.status, StatusCode::CREATED);
    assert_eq!(theirs.header("idempotent-replayed"), Some("false"));
    // A refusal is kept too: the retry is refused the same way and still creates nothing.
    let duplicate = send(token.clone(), "retry-2", body.clone()).await;
    assert_eq!(duplicate.status, StatusCode::CONFLICT);
    let duplicate_again = send(token.clone(), "retry-2", body).await;
    assert_eq!(duplicate_again.status, StatusCode::CONFLICT);
    assert_eq!(duplicate_again.header("idempotent-replayed"), Some("true"));
    let bad_key = send(token, "has space", json!({"key": "x-1", "title": "X"})).await;
    assert_eq!(bad_key.status, StatusCode::UNPROCESSABLE_ENTITY);
}

/// The contract the fuzzer's excluded `ensure_resource_availability` check would break: a
/// replay is the first answer, even when what it created is gone since.
#[actix_web::test]
async fn a_replay_after_a_delete_is_the_first_answer_and_creates_nothing_again() {
    let app = TestApp::spawn().await;
    let admin = app.user(Role::Admin).await;
    let body = json!({"name": "Once", "criteria": {"overdue": true}});
    let post = || {
        app.call_with(
            "POST",
            "/api/v1/views",
            Some(&admin.access),
            Some(body.clone()),
            &[("Idempotency-Key", "view-1")],
        )
    };
    let first = post().await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    let id = first.body["id"].as_str().expect("id").to_owned();
    let gone = app
        .call(
            "DELETE",
            &format!("/api/v1/views/{id}"),
            Some(&admin.access),
            None,
        )
        .await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT, "{}", gone.text);
    let again = post().await;
    assert_eq!(again.status, StatusCode::CREATED);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.body["id"], json!(id));
    let views = app
        .call("GET", "/api/v1/views", Some(&admin.access), None)
        .await;
    assert_eq!(views.body, json!([]), "the replay recreated nothing");
}

#[actix_web::test]
async fn writes_beyond_the_limit_get_429_and_reads_go_on() {
    // A minute boundary in the middle would reset the window and hide the limit.
    let second = chrono::Utc::now().timestamp() % 60;
    if second > 55 {
        tokio::time::sleep(Duration::from_secs(61 - second as u64)).await;
    }
    let app = TestApp::spawn_with(&[("RECOTRACK__SERVER__WRITES_PER_MINUTE", "3".into())]).await;
    let manager = app.user(Role::Manager).await;
    let other = app.user(Role::Manager).await;
    for n in 0..3 {
        report(&app, &manager, &format!("limit-{n}")).await;
    }
    let refused = app
        .call(
            "POST",
            "/api/v1/reports",
            Some(&manager.access),
            Some(json!({"key": "limit-9", "title": "One too many"})),
        )
        .await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(refused.body["type"], "urn:recotrack:problem:rate-limited");
    assert!(refused.header("retry-after").is_some());
    let reports = app
        .call("GET", "/api/v1/reports", Some(&manager.access), None)
        .await;
    assert_eq!(reports.status, StatusCode::OK);
    assert_eq!(reports.body.as_array().map(Vec::len), Some(3));
    report(&app, &other, "limit-other").await;
}

#[actix_web::test]
async fn oversized_and_deeply_nested_bodies_are_refused_and_change_nothing() {
    let app = TestApp::spawn().await;
    let manager = app.user(Role::Manager).await;
    let huge = json!({"key": "huge-1", "title": "x".repeat(2 << 20)});
    let too_big = app
        .call("POST", "/api/v1/reports", Some(&manager.access), Some(huge))
        .await;
    assert_eq!(too_big.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(too_big.content_type, "application/problem+json");
    // The same through the middleware that reads bodies first (replays need the whole body).
    let keyed = app
        .call_with(
            "POST",
            "/api/v1/reports",
            Some(&manager.access),
            Some(json!({"key": "huge-2", "title": "x".repeat(2 << 20)})),
            &[("idempotency-key", "huge-2")],
        )
        .await;
    assert_eq!(
        keyed.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        keyed.text
    );
    assert_eq!(keyed.content_type, "application/problem+json");
    assert_eq!(
        keyed.body["type"],
        "urn:recotrack:problem:payload-too-large"
    );
    let mut deep = json!("bottom");
    for _ in 0..200 {
        deep = json!([deep]);
    }
    let nested = app
        .call(
            "POST",
            "/api/v1/reports",
            Some(&manager.access),
            Some(json!({"key": "deep-1", "title": "Deep", "summary": deep})),
        )
        .await;
    assert_eq!(nested.status, StatusCode::BAD_REQUEST);
    assert_eq!(nested.content_type, "application/problem+json");
    let reports = app
        .call("GET", "/api/v1/reports", Some(&manager.access), None)
        .await;
    assert_eq!(reports.body, json!([]));
    let page = app
        .call(
            "GET",
            "/api/v1/recommendations?limit=5000",
            Some(&manager.access),
            None,
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[actix_web::test]
async fn a_database_outage_gives_quick_503s_and_the_service_recovers_by_itself() {
    let mut cluster = LocalPostgres::start_throwaway().expect("a cluster of its own");
    let db = TestDb::create_on(&cluster.url("postgres"), None);
    let app = TestApp::spawn_on(db, &[]).await;
    let manager = app.user(Role::Manager).await;
    let report = report(&app, &manager, "outage-2026").await;
    let write = |n: usize| {
        let (app, token, report) = (&app, manager.access.clone(), report.clone());
        async move {
            app.call(
                "POST",
                "/api/v1/recommendations",
                Some(&token),
                Some(json!({"report_id": report, "title": format!("Write {n}")})),
            )
            .await
        }
    };
    let mut acknowledged = Vec::new();
    for n in 0..10 {
        let reply = write(n).await;
        assert_eq!(reply.status, StatusCode::CREATED);
        acknowledged.push(format!("Write {n}"));
    }

    cluster.stop().expect("stop PostgreSQL");
    let mut slowest = Duration::ZERO;
    for n in 10..20 {
        let started = Instant::now();
        let reply = write(n).await;
        slowest = slowest.max(started.elapsed());
        match reply.status {
            StatusCode::CREATED => acknowledged.push(format!("Write {n}")),
            StatusCode::SERVICE_UNAVAILABLE => {
                assert_eq!(reply.content_type, "application/problem+json");
                assert_eq!(reply.body["type"], "urn:recotrack:problem:unavailable");
            }
            other => panic!("write {n} during the outage got {other}: {}", reply.text),
        }
    }
    assert!(
        slowest < Duration::from_secs(4),
        "slowest answer {slowest:?}"
    );
    assert_eq!(
        app.get("/readyz").await.status,
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert_eq!(app.get("/healthz").await.status, StatusCode::OK);

    cluster.resume().expect("start PostgreSQL again");
    let back = Instant::now();
    let mut n = 20;
    loop {
        let reply = write(n).await;
        if reply.status == StatusCode::CREATED {
            acknowledged.push(format!("Write {n}"));
            break;
        }
        assert!(
            back.elapsed() < Duration::from_secs(5),
            "not back after 5 s"
        );
        n += 1;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let recovered = back.elapsed();
    assert_eq!(app.get("/readyz").await.status, StatusCode::OK);
    let listed = app
        .call(
            "GET",
            "/api/v1/recommendations?limit=200",
            Some(&manager.access),
            None,
        )
        .await;
    let titles: Vec<&str> = listed.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["title"].as_str())
        .collect();
    for title in &acknowledged {
        assert!(
            titles.contains(&title.as_str()),
            "{title} was acknowledged but is missing"
        );
    }
    println!(
        "outage: slowest refusal {slowest:?}, requests succeed again {recovered:?} after PostgreSQL is back"
    );
}

struct Serve(Child);

impl Serve {
    fn start(db: &TestDb, port: u16) -> Self {
        let child = Command::new(env!("CARGO_BIN_EXE_recotrack"))
            .arg("serve")
            .env("RECOTRACK__DATABASE__URL", &db.url)
            .env("RECOTRACK__SERVER__PORT", port.to_string())
            .env(
                "RECOTRACK__AUTH__JWT_SECRET",
                crate::helpers::TEST_JWT_SECRET,
            )
            .env("RECOTRACK__HISTORY__KEY", crate::helpers::TEST_HISTORY_KEY)
            .env("RECOTRACK__SEED__ON_START", "false")
            .env("RECOTRACK__DIGEST__ENABLED", "false")
            .env("RECOTRACK__LOG__FILTER", "warn")
            .env(
                "RECOTRACK__EMAIL__OUTBOX_DIR",
                std::env::temp_dir().join("recotrack-kill-test"),
            )
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start recotrack serve");
        Self(child)
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

async fn ready_within(client: &awc::Client, base: &str, limit: Duration) -> Duration {
    let started = Instant::now();
    loop {
        if let Ok(reply) = client.get(format!("{base}/readyz")).send().await
            && reply.status() == StatusCode::OK
        {
            return started.elapsed();
        }
        assert!(started.elapsed() < limit, "not ready within {limit:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[actix_web::test]
async fn every_acknowledged_write_survives_a_sigkill() {
    let app = TestApp::spawn().await;
    let manager = app.user(Role::Manager).await;
    let report = report(&app, &manager, "kill-2026").await;
    let db = &app.db;
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let client = awc::Client::builder()
        .timeout(Duration::from_secs(5))
        .finish();
    let mut serve = Serve::start(db, port);
    ready_within(&client, &base, Duration::from_secs(30)).await;

    // Four streams of writes; the service dies under them.
    let acknowledged = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    let streams = (0..4).map(|s| {
        let (client, base, acknowledged) = (client.clone(), base.clone(), acknowledged.clone());
        let (token, report) = (manager.access.clone(), report.clone());
        async move {
            for n in 0.. {
                let title = format!("Stream {s} write {n}");
                let sent = client
                    .post(format!("{base}/api/v1/recommendations"))
                    .insert_header(("Authorization", format!("Bearer {token}")))
                    .send_json(&json!({"report_id": report, "title": title}))
                    .await;
                match sent {
                    Ok(reply) if reply.status() == StatusCode::CREATED => {
                        acknowledged.borrow_mut().push(title)
                    }
                    Ok(_) => {}
                    Err(_) => return,
                }
            }
        }
    });
    let kill = async {
        tokio::time::sleep(Duration::from_millis(700)).await;
        serve.0.kill().expect("SIGKILL");
        serve.0.wait().expect("reaped");
    };
    tokio::join!(futures_util::future::join_all(streams), kill);
    let acknowledged = acknowledged.borrow().clone();
    assert!(
        acknowledged.len() > 5,
        "only {} writes before the kill",
        acknowledged.len()
    );

    let restarted = Instant::now();
    let _serve = Serve::start(db, port);
    let ready = ready_within(&client, &base, Duration::from_secs(2)).await;
    let mut conn = db.connect();
    #[derive(diesel::QueryableByName)]
    struct Title {
        #[diesel(sql_type = diesel::sql_types::Text)]
        title: String,
    }
    let stored: Vec<String> = diesel::sql_query("SELECT title FROM recommendations")
        .load::<Title>(&mut conn)
        .expect("titles")
        .into_iter()
        .map(|t| t.title)
        .collect();
    for title in &acknowledged {
        assert!(
            stored.contains(title),
            "{title} was acknowledged but is lost"
        );
    }
    println!(
        "SIGKILL: {} acknowledged writes all present; ready {ready:?} after restart ({:?} with process start)",
        acknowledged.len(),
        restarted.elapsed()
    );
}

#[actix_web::test]
async fn a_nul_character_in_input_is_refused_as_invalid() {
    // Found by Schemathesis: PostgreSQL cannot store U+0000 and the service answered 500.
    let app = TestApp::spawn().await;
    let manager = app.user(Role::Manager).await;
    let token = Some(manager.access.as_str());
    let query = app
        .call("GET", "/api/v1/stats/cycle-times?theme=a%00b", token, None)
        .await;
    assert_eq!(
        query.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        query.text
    );
    assert_eq!(query.body["type"], "urn:recotrack:problem:validation");
    let body = app
        .call(
            "POST",
            "/api/v1/reports",
            token,
            Some(json!({"key": "nul-1", "title": "A\u{0}B"})),
        )
        .await;
    assert_eq!(
        body.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        body.text
    );
    let reports = app.call("GET", "/api/v1/reports", token, None).await;
    assert_eq!(reports.body, json!([]));
}

#[test]
fn a_cluster_left_running_by_a_killed_service_is_stopped_by_the_next_one() {
    let dir = tempfile::Builder::new()
        .prefix("recotrack-orphan-")
        .tempdir()
        .expect("temporary directory");
    std::fs::set_permissions(
        dir.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .expect("the postgres user may enter it");
    let data = dir.path().join("data");
    let first = recotrack::db::local::LocalPostgres::start(&data).expect("start the cluster");
    // Its starter is killed: it never stops the cluster, and the PID it recorded is dead.
    let mut gone = Command::new("true").spawn().expect("a process");
    let dead_pid = gone.id();
    gone.wait().expect("it ends");
    std::fs::write(dir.path().join("data.owner"), dead_pid.to_string()).expect("owner file");
    std::mem::forget(first);
    assert!(data.join("postmaster.pid").exists(), "still running");

    let second = recotrack::db::local::LocalPostgres::start(&data).expect("attach");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("data.owner")).expect("owner"),
        std::process::id().to_string(),
        "the new service adopts it"
    );
    drop(second);
    assert!(
        !data.join("postmaster.pid").exists(),
        "the adopting service stops the orphan on shutdown"
    );
}

#[actix_web::test]
async fn a_flood_of_refused_requests_does_not_flood_the_log() {
    let app = TestApp::spawn().await;
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let log = tempfile::NamedTempFile::new().expect("log file");
    let mut child = Command::new(env!("CARGO_BIN_EXE_recotrack"))
        .arg("serve")
        .env("RECOTRACK__DATABASE__URL", &app.db.url)
        .env("RECOTRACK__SERVER__PORT", port.to_string())
        .env(
            "RECOTRACK__AUTH__JWT_SECRET",
            crate::helpers::TEST_JWT_SECRET,
        )
        .env("RECOTRACK__HISTORY__KEY", crate::helpers::TEST_HISTORY_KEY)
        .env("RECOTRACK__SEED__ON_START", "false")
        .env("RECOTRACK__DIGEST__ENABLED", "false")
        .env("RECOTRACK__LOG__FILTER", "info")
        .env(
            "RECOTRACK__EMAIL__OUTBOX_DIR",
            std::env::temp_dir().join("recotrack-log-test"),
        )
        .stdout(Stdio::null())
        .stderr(log.reopen().expect("log handle"))
        .spawn()
        .expect("start recotrack serve");
    let client = awc::Client::builder()
        .timeout(Duration::from_secs(5))
        .finish();
    ready_within(&client, &base, Duration::from_secs(30)).await;
    let before = std::fs::metadata(log.path()).expect("log").len();
    for n in 0..200 {
        let path = if n % 2 == 0 {
            "/api/v1/recommendations"
        } else {
            "/api/v1/recommendations?due_before=yesterday"
        };
        let reply = client
            .get(format!("{base}{path}"))
            .insert_header(("Authorization", "Bearer forged.token.value"))
            .send()
            .await
            .expect("answer");
        assert!(reply.status().is_client_error());
    }
    let after = std::fs::metadata(log.path()).expect("log").len();
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        after - before < 2_000,
        "200 refused requests wrote {} bytes of log at info",
        after - before
    );
}

#[actix_web::test]
async fn parallel_retries_with_one_key_do_the_work_once_and_all_get_its_answer() {
    let app = TestApp::spawn().await;
    let manager = app.user(Role::Manager).await;
    let body = json!({"key": "parallel-2026", "title": "Once, however often it is sent"});
    let sends = (0..12).map(|_| {
        let (app, token, body) = (&app, manager.access.clone(), body.clone());
        async move {
            app.call_with(
                "POST",
                "/api/v1/reports",
                Some(&token),
                Some(body),
                &[("Idempotency-Key", "parallel-key")],
            )
            .await
        }
    });
    let replies = futures_util::future::join_all(sends).await;
    let first: Vec<_> = replies
        .iter()
        .filter(|r| r.header("idempotent-replayed") == Some("false"))
        .collect();
    assert_eq!(first.len(), 1, "exactly one request did the work");
    for reply in &replies {
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
        assert_eq!(reply.body["id"], first[0].body["id"]);
    }
    let mut conn = app.db.connect();
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let reports: Count =
        diesel::sql_query("SELECT count(*) AS n FROM reports WHERE key = 'parallel-2026'")
            .get_result(&mut conn)
            .expect("count");
    assert_eq!(reports.n, 1);
    let unanswered: Count = diesel::sql_query(
        "SELECT count(*) AS n FROM idempotency_keys WHERE response_status IS NULL",
    )
    .get_result(&mut conn)
    .expect("count");
    assert_eq!(
        unanswered.n, 0,
        "no key is ever left claimed without its answer"
    );
}

#[actix_web::test]
async fn a_secret_is_never_kept_for_a_replay() {
    let app = TestApp::spawn().await;
    let admin = app.user(Role::Admin).await;
    let create = || {
        app.call_with(
            "POST",
            "/api/v1/tokens",
            Some(&admin.access),
            Some(json!({"name": "Board", "role": "viewer"})),
            &[("Idempotency-Key", "token-once")],
        )
    };
    let first = create().await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    let secret = first.body["token_secret"]
        .as_str()
        .expect("the secret, shown once")
        .to_owned();
    let again = create().await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text);
    assert_eq!(
        again.body["type"],
        "urn:recotrack:problem:secret-shown-once"
    );
    assert!(!again.text.contains(&secret));
    let listed = app
        .call("GET", "/api/v1/tokens", Some(&admin.access), None)
        .await;
    assert_eq!(
        listed.body.as_array().map(Vec::len),
        Some(1),
        "the retry created no second token"
    );
    let mut conn = app.db.connect();
    #[derive(diesel::QueryableByName)]
    struct Found {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let stored: Found = diesel::sql_query(format!(
        "SELECT count(*) AS n FROM idempotency_keys \
         WHERE position('{secret}'::bytea IN coalesce(response_body, ''::bytea)) > 0"
    ))
    .get_result(&mut conn)
    .expect("search");
    assert_eq!(stored.n, 0, "the token secret is not stored at rest");
}

#[actix_web::test]
async fn a_restart_does_not_seal_a_chain_forged_with_plain_hashes() {
    let app = TestApp::spawn().await;
    let manager = app.user(Role::Manager).await;
    let report = report(&app, &manager, "forged-2026").await;
    let item = app
        .call(
            "POST",
            "/api/v1/recommendations",
            Some(&manager.access),
            Some(json!({"report_id": report, "title": "Forged"})),
        )
        .await;
    let id = item.body["id"].as_str().expect("id").to_owned();
    // Someone with database access rewrites the chain with plain SHA-256, as source shows how.
    let mut attacker = app.db.connect();
    diesel::sql_query("SET session_replication_role = replica")
        .execute(&mut attacker)
        .expect("replica");
    crate::tamper::rewrite_with_plain_hashes(&mut attacker, &id);
    // The service restarts on that database.
    let port = free_port();
    let client = awc::Client::builder()
        .timeout(Duration::from_secs(5))
        .finish();
    let serve = Serve::start(&app.db, port);
    ready_within(
        &client,
        &format!("http://127.0.0.1:{port}"),
        Duration::from_secs(30),
    )
    .await;
    drop(serve);
    let verdict = app
        .call(
            "GET",
            &format!("/api/v1/recommendations/{id}/history/verify"),
            Some(&manager.access),
            None,
        )
        .await;
    assert_eq!(verdict.body["intact"], false, "{}", verdict.text);
    assert_eq!(verdict.body["events"], 1, "nothing was appended to seal it");
}
