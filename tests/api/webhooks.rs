//! Webhooks to a real HTTP receiver on a loopback port: Standard Webhooks signatures checked
//! here with the specification's algorithm, each event once per `webhook-id` across an outage,
//! order per item, two instances sharing one queue, SSRF refusals, rotation, disabling after
//! failures, redelivery, and the stalled and overdue announcements.

use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use recotrack::db::enums::Role;
use serde_json::{Value, json};
use sha2::Sha256;

use crate::helpers::{Login, TestApp};

/// One request the receiver got, and what it answered.
#[derive(Debug, Clone)]
struct Received {
    id: String,
    timestamp: String,
    signature: String,
    body: Vec<u8>,
    answered: u16,
}

impl Received {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
}

/// A real HTTP server on a loopback port that records every request and answers with the
/// status it is told to (200 unless told otherwise); stopped when dropped.
struct Receiver {
    url: String,
    got: Arc<Mutex<Vec<Received>>>,
    status: Arc<AtomicU16>,
    handle: actix_web::dev::ServerHandle,
}

impl Receiver {
    fn start() -> Self {
        let got: Arc<Mutex<Vec<Received>>> = Arc::default();
        let status = Arc::new(AtomicU16::new(200));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        let url = format!(
            "http://{}/hooks/in",
            listener.local_addr().expect("address")
        );
        let (record, answer) = (got.clone(), status.clone());
        let server = HttpServer::new(move || {
            let (record, answer) = (record.clone(), answer.clone());
            App::new().default_service(web::to(move |request: HttpRequest, body: web::Bytes| {
                let (record, answer) = (record.clone(), answer.clone());
                async move {
                    let header = |name: &str| {
                        request
                            .headers()
                            .get(name)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or_default()
                            .to_owned()
                    };
                    let code = answer.load(Ordering::SeqCst);
                    if request.path() == "/hooks/in" {
                        record.lock().expect("lock").push(Received {
                            id: header("webhook-id"),
                            timestamp: header("webhook-timestamp"),
                            signature: header("webhook-signature"),
                            body: body.to_vec(),
                            answered: code,
                        });
                    }
                    if code == 302 {
                        return HttpResponse::Found()
                            .insert_header(("location", "/hooks/elsewhere"))
                            .finish();
                    }
                    HttpResponse::build(StatusCode::from_u16(code).expect("status")).finish()
                }
            }))
        })
        .workers(1)
        .disable_signals()
        .listen(listener)
        .expect("listen")
        .run();
        let handle = server.handle();
        actix_web::rt::spawn(server);
        Self {
            url,
            got,
            status,
            handle,
        }
    }

    fn answer(&self, status: u16) {
        self.status.store(status, Ordering::SeqCst);
    }

    fn received(&self) -> Vec<Received> {
        self.got.lock().expect("lock").clone()
    }

    /// What was answered 200, in arrival order.
    fn accepted(&self) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(|r| r.answered == 200)
            .collect()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        actix_web::rt::spawn(async move { handle.stop(false).await });
    }
}

/// The Standard Webhooks check, written here from the specification: some `v1,` signature in
/// the header is the base64 HMAC-SHA256 of `id.timestamp.body` under the secret's key.
fn verifies(secret: &str, r: &Received) -> bool {
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").expect("whsec_ prefix"))
        .expect("base64 key");
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("key");
    mac.update(format!("{}.{}.", r.id, r.timestamp).as_bytes());
    mac.update(&r.body);
    let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    r.signature.split(' ').any(|s| s == expected)
}

/// Registers an endpoint at `url` for `events`; (its id, its secret).
async fn register(app: &TestApp, admin: &Login, url: &str, events: Value) -> (String, String) {
    let reply = app
        .call(
            "POST",
            "/api/v1/webhooks",
            Some(&admin.access),
            Some(json!({"url": url, "events": events, "description": "test receiver"})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    let secret = reply.body["secret"].as_str().expect("secret").to_owned();
    (reply.body["id"].as_str().expect("id").to_owned(), secret)
}

/// Runs `app`'s sender until `done` holds of the receiver, for at most `secs` seconds.
async fn deliver_until(
    app: &TestApp,
    receiver: &Receiver,
    secs: u64,
    done: impl Fn(&[Received]) -> bool,
) {
    let client = app.webhooks.client();
    let started = Instant::now();
    loop {
        app.webhooks.round(&client).await.expect("a round");
        if done(&receiver.received()) {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(secs),
            "not delivered in {secs} s; received {:?}",
            receiver
                .received()
                .iter()
                .map(|r| (r.id.clone(), r.answered))
                .collect::<Vec<_>>()
        );
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn transition(app: &TestApp, who: &Login, item: &str, axis: &str, to: &str) {
    let reply = app
        .call(
            "POST",
            &format!("/api/v1/recommendations/{item}/transitions"),
            Some(&who.access),
            Some(json!({"axis": axis, "to": to, "reason": "as agreed"})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
}

#[actix_web::test]
async fn a_receiver_down_for_a_while_gets_every_event_once_signed_and_in_order() {
    let app = TestApp::spawn().await;
    let admin = app.user(Role::Admin).await;
    let manager = app.user(Role::Manager).await;
    let receiver = Receiver::start();
    let (hook, secret) = register(
        &app,
        &admin,
        &receiver.url,
        json!([
            "item.created",
            "item.transitioned",
            "comment.added",
            "item.changed"
        ]),
    )
    .await;
    assert!(secret.starts_with("whsec_"), "{secret}");
    // The secret is shown once: never in a read.
    let read = app
        .get_as(&admin, &format!("/api/v1/webhooks/{hook}"))
        .await;
    assert_eq!(read.status, StatusCode::OK);
    assert!(!read.text.contains(&secret));
    assert_eq!(read.body["enabled"], true);

    receiver.answer(500);
    let report = app.new_report(&manager, "hooks-2026").await;
    let item = app
        .new_item(&manager, &report, "Publish the register")
        .await;
    let comment = app
        .call(
            "POST",
            &format!("/api/v1/recommendations/{item}/comments"),
            Some(&manager.access),
            Some(json!({"body": "Drafting now"})),
        )
        .await;
    assert_eq!(comment.status, StatusCode::CREATED, "{}", comment.text);
    transition(&app, &manager, &item, "response", "accepted").await;
    transition(&app, &manager, &item, "status", "in_progress").await;
    // A refused change queues nothing.
    let refused = app
        .call(
            "POST",
            &format!("/api/v1/recommendations/{item}/transitions"),
            Some(&manager.access),
            Some(json!({"axis": "status", "to": "not_a_status"})),
        )
        .await;
    assert!(refused.status.is_client_error(), "{}", refused.text);

    // The outage: the first event is tried (and retried), the later ones wait behind it.
    deliver_until(&app, &receiver, 10, |got| got.len() >= 2).await;
    let during: Vec<Received> = receiver.received();
    assert!(during.iter().all(|r| r.answered == 500));
    let first_id = &during[0].id;
    assert!(
        during.iter().all(|r| &r.id == first_id),
        "an event was sent before the one ahead of it was delivered"
    );

    receiver.answer(200);
    deliver_until(&app, &receiver, 20, |got| {
        got.iter().filter(|r| r.answered == 200).count() >= 4
    })
    .await;
    // One more round finds nothing left to send.
    app.webhooks
        .round(&app.webhooks.client())
        .await
        .expect("round");
    let accepted = receiver.accepted();
    let types: Vec<String> = accepted
        .iter()
        .map(|r| r.json()["type"].as_str().expect("type").to_owned())
        .collect();
    assert_eq!(
        types,
        [
            "item.created",
            "comment.added",
            "item.transitioned",
            "item.transitioned"
        ]
    );
    let mut ids: Vec<&str> = accepted.iter().map(|r| r.id.as_str()).collect();
    assert!(
        ids.iter()
            .all(|id| id.starts_with("msg_") && id.len() == 36)
    );
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 4, "an event was accepted twice");
    assert_eq!(
        &accepted[0].id, first_id,
        "the retried event changed its id"
    );
    for r in &accepted {
        assert!(
            verifies(&secret, r),
            "signature does not verify: {}",
            r.signature
        );
        let sent_at: i64 = r.timestamp.parse().expect("unix seconds");
        assert!((chrono::Utc::now().timestamp() - sent_at).abs() < 60);
    }
    let bodies: Vec<Value> = accepted.iter().map(Received::json).collect();
    let seqs: Vec<i64> = bodies
        .iter()
        .map(|b| b["data"]["change"]["seq"].as_i64().expect("seq"))
        .collect();
    assert_eq!(seqs, [1, 2, 3, 4]);
    let versions: Vec<i64> = bodies
        .iter()
        .map(|b| b["data"]["item"]["version"].as_i64().expect("version"))
        .collect();
    assert_eq!(versions, [1, 2, 3, 4]);
    assert_eq!(bodies[0]["data"]["item"]["key"], "hooks-2026/01");
    assert_eq!(bodies[0]["data"]["item"]["report"], "hooks-2026");
    assert_eq!(bodies[1]["data"]["change"]["after"]["body"], "Drafting now");
    assert_eq!(bodies[3]["data"]["change"]["field"], "status");
    assert_eq!(bodies[3]["data"]["change"]["before"], "not_started");
    assert_eq!(bodies[3]["data"]["change"]["after"], "in_progress");
    assert_eq!(
        bodies[3]["data"]["change"]["actor"]["id"],
        json!(manager.id)
    );
    // What the receiver holds is what the API says now.
    let now = app
        .get_as(&manager, &format!("/api/v1/recommendations/{item}"))
        .await;
    assert_eq!(now.body["version"], bodies[3]["data"]["item"]["version"]);

    // The log shows each attempt with its status and latency.
    let log = app
        .get_as(&admin, &format!("/api/v1/webhooks/{hook}/deliveries"))
        .await;
    assert_eq!(log.status, StatusCode::OK, "{}", log.text);
    let log = log.body.as_array().expect("deliveries").clone();
    assert_eq!(log.len(), 4);
    assert!(log.iter().all(|d| d["state"] == "delivered"));
    let oldest = &log[3];
    assert_eq!(oldest["webhook_id"], json!(first_id));
    let statuses: Vec<i64> = oldest["log"]
        .as_array()
        .expect("attempts")
        .iter()
        .map(|a| a["status"].as_i64().expect("status"))
        .collect();
    assert!(statuses.len() >= 3, "{statuses:?}");
    assert!(statuses[..statuses.len() - 1].iter().all(|s| *s == 500));
    assert_eq!(statuses.last(), Some(&200));
    assert!(oldest["log"][0]["latency_ms"].as_i64().is_some());
}

#[actix_web::test]
async fn two_instances_on_one_database_deliver_each_event_once() {
    let one = TestApp::spawn().await;
    let two = TestApp::spawn_on(one.db.alias(), &[]).await;
    let admin = one.user(Role::Admin).await;
    let manager = one.user(Role::Manager).await;
    let receiver = Receiver::start();
    register(
        &one,
        &admin,
        &receiver.url,
        json!(["item.created", "item.transitioned"]),
    )
    .await;
    let report = one.new_report(&manager, "twice-2026").await;
    let mut items = Vec::new();
    for n in 0..6 {
        let item = one.new_item(&manager, &report, &format!("Item {n}")).await;
        transition(&one, &manager, &item, "response", "accepted").await;
        items.push(item);
    }
    let (c1, c2) = (one.webhooks.client(), two.webhooks.client());
    let started = Instant::now();
    while receiver.received().len() < 12 {
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "not all delivered"
        );
        let (a, b) = tokio::join!(one.webhooks.round(&c1), two.webhooks.round(&c2));
        a.expect("one's round");
        b.expect("two's round");
    }
    let (a, b) = tokio::join!(one.webhooks.round(&c1), two.webhooks.round(&c2));
    assert_eq!(a.expect("round").delivered + b.expect("round").delivered, 0);
    let got = receiver.received();
    assert_eq!(got.len(), 12, "an event was sent twice");
    let mut ids: Vec<&str> = got.iter().map(|r| r.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 12);
    // Per item: created, then transitioned.
    for item in &items {
        let kinds: Vec<String> = got
            .iter()
            .map(Received::json)
            .filter(|b| b["data"]["item"]["id"] == json!(item))
            .map(|b| b["type"].as_str().expect("type").to_owned())
            .collect();
        assert_eq!(kinds, ["item.created", "item.transitioned"], "{item}");
    }
}

#[actix_web::test]
async fn private_loopback_and_link_local_targets_are_refused_unless_allowed() {
    let app =
        TestApp::spawn_with(&[("RECOTRACK__WEBHOOKS__ALLOW_PRIVATE_TARGETS", "false".into())])
            .await;
    let admin = app.user(Role::Admin).await;
    for url in [
        "http://127.0.0.1:9/in",
        "http://10.1.2.3/in",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]:8080/in",
        "http://localhost:8080/in",
        "http://[::ffff:127.0.0.1]/in",
        "http://0.0.0.0:80/",
    ] {
        let reply = app
            .call(
                "POST",
                "/api/v1/webhooks",
                Some(&admin.access),
                Some(json!({"url": url, "events": ["item.created"]})),
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{url}: {}",
            reply.text
        );
        assert_eq!(reply.body["type"], "urn:recotrack:problem:validation");
        assert_eq!(reply.body["field"], "url");
    }
    for (body, field) in [
        (
            json!({"url": "ftp://example.org/", "events": ["item.created"]}),
            "url",
        ),
        (
            json!({"url": "https://u:p@example.org/", "events": ["item.created"]}),
            "url",
        ),
        (
            json!({"url": "https://93.184.216.34/", "events": []}),
            "events",
        ),
    ] {
        let reply = app
            .call("POST", "/api/v1/webhooks", Some(&admin.access), Some(body))
            .await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            reply.text
        );
        assert_eq!(reply.body["field"], field);
    }
    let unknown = app
        .call(
            "POST",
            "/api/v1/webhooks",
            Some(&admin.access),
            Some(json!({"url": "https://example.org/", "events": ["item.deleted"]})),
        )
        .await;
    assert!(unknown.status.is_client_error(), "{}", unknown.text);
    let list = app.get_as(&admin, "/api/v1/webhooks").await;
    assert_eq!(list.body, json!([]), "a refused endpoint was kept");
}

#[actix_web::test]
async fn an_endpoint_registered_where_private_targets_were_allowed_is_not_reached_where_they_are_not()
 {
    // Instance one allows private targets (where it was registered); instance two, on the
    // same database, does not: its connections check the resolved address and refuse.
    let one = TestApp::spawn().await;
    let two = TestApp::spawn_on(
        one.db.alias(),
        &[("RECOTRACK__WEBHOOKS__ALLOW_PRIVATE_TARGETS", "false".into())],
    )
    .await;
    let admin = one.user(Role::Admin).await;
    let manager = one.user(Role::Manager).await;
    let receiver = Receiver::start();
    let (hook, _) = register(&one, &admin, &receiver.url, json!(["item.created"])).await;
    let report = one.new_report(&manager, "ssrf-2026").await;
    one.new_item(&manager, &report, "Guard the network").await;
    let round = two
        .webhooks
        .round(&two.webhooks.client())
        .await
        .expect("round");
    assert_eq!((round.delivered, round.failed), (0, 1));
    assert!(
        receiver.received().is_empty(),
        "a private address was reached"
    );
    let log = one
        .get_as(&admin, &format!("/api/v1/webhooks/{hook}/deliveries"))
        .await;
    let error = log.body[0]["log"][0]["error"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(error.contains("private, loopback or link-local"), "{error}");
    assert_eq!(log.body[0]["log"][0]["status"], Value::Null);
}

#[actix_web::test]
async fn only_admins_manage_webhooks() {
    let app = TestApp::spawn().await;
    let receiver = Receiver::start();
    for role in [Role::Manager, Role::Contributor, Role::Viewer] {
        let who = app.user(role).await;
        for (method, path, body) in [
            ("GET", "/api/v1/webhooks", None),
            (
                "POST",
                "/api/v1/webhooks",
                Some(json!({"url": receiver.url, "events": ["item.created"]})),
            ),
        ] {
            let reply = app.call(method, path, Some(&who.access), body).await;
            assert_eq!(
                reply.status,
                StatusCode::FORBIDDEN,
                "{role:?} {method} {path}"
            );
        }
    }
    let anonymous = app.get("/api/v1/webhooks").await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}

#[actix_web::test]
async fn a_rotated_secret_keeps_signing_through_its_overlap_then_only_the_new_one_signs() {
    let app = TestApp::spawn().await;
    let admin = app.user(Role::Admin).await;
    let manager = app.user(Role::Manager).await;
    let receiver = Receiver::start();
    let (hook, old) = register(&app, &admin, &receiver.url, json!(["item.created"])).await;
    let rotated = app
        .call(
            "POST",
            &format!("/api/v1/webhooks/{hook}/secret"),
            Some(&admin.access),
            Some(json!({"overlap_secs": 3600})),
        )
        .await;
    assert_eq!(rotated.status, StatusCode::OK, "{}", rotated.text);
    let new = rotated.body["secret"].as_str().expect("secret").to_owned();
    assert_ne!(new, old);
    // A body that does not parse is refused, not read as "the default overlap".
    let misspelt = app
        .call(
            "POST",
            &format!("/api/v1/webhooks/{hook}/secret"),
            Some(&admin.access),
            Some(json!({"overlapSecs": 0})),
        )
        .await;
    assert_eq!(
        misspelt.status,
        StatusCode::BAD_REQUEST,
        "{}",
        misspelt.text
    );
    assert!(misspelt.body.get("secret").is_none());
    let report = app.new_report(&manager, "rotate-2026").await;
    app.new_item(&manager, &report, "First").await;
    deliver_until(&app, &receiver, 10, |got| got.len() == 1).await;
    let during = &receiver.received()[0];
    assert_eq!(during.signature.split(' ').count(), 2);
    assert!(verifies(&old, during) && verifies(&new, during));

    let ended = app
        .call(
            "POST",
            &format!("/api/v1/webhooks/{hook}/secret"),
            Some(&admin.access),
            Some(json!({"overlap_secs": 0})),
        )
        .await;
    let newest = ended.body["secret"].as_str().expect("secret").to_owned();
    app.new_item(&manager, &report, "Second").await;
    deliver_until(&app, &receiver, 10, |got| got.len() == 2).await;
    let after = &receiver.received()[1];
    assert_eq!(after.signature.split(' ').count(), 1);
    assert!(verifies(&newest, after));
    assert!(!verifies(&old, after) && !verifies(&new, after));
    let too_long = app
        .call(
            "POST",
            &format!("/api/v1/webhooks/{hook}/secret"),
            Some(&admin.access),
            Some(json!({"overlap_secs": 700000})),
        )
        .await;
    assert_eq!(too_long.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[actix_web::test]
async fn an_endpoint_failing_past_its_limit_is_disabled_until_an_admin_enables_it() {
    let app = TestApp::spawn_with(&[
        ("RECOTRACK__WEBHOOKS__DISABLE_AFTER_SECS", "0".into()),
        ("RECOTRACK__WEBHOOKS__TIMEOUT_SECS", "1".into()),
    ])
    .await;
    let admin = app.user(Role::Admin).await;
    let manager = app.user(Role::Manager).await;
    let receiver = Receiver::start();
    let (hook, _) = register(&app, &admin, &receiver.url, json!(["item.created"])).await;
    // A redirect is a failure, and is not followed.
    receiver.answer(302);
    let report = app.new_report(&manager, "disable-2026").await;
    app.new_item(&manager, &report, "First").await;
    let client = app.webhooks.client();
    let round = app.webhooks.round(&client).await.expect("round");
    assert_eq!(round.failed, 1);
    assert_eq!(receiver.received().len(), 1, "the redirect was followed");
    let read = app
        .get_as(&admin, &format!("/api/v1/webhooks/{hook}"))
        .await;
    assert_eq!(read.body["enabled"], false, "{}", read.text);
    assert!(
        read.body["disabled_reason"]
            .as_str()
            .unwrap_or_default()
            .starts_with("every delivery failed since"),
        "{}",
        read.text
    );
    // While disabled nothing is sent, and new events are not queued for it.
    receiver.answer(200);
    app.new_item(&manager, &report, "Second, while disabled")
        .await;
    actix_web::rt::time::sleep(Duration::from_millis(1100)).await;
    app.webhooks.round(&client).await.expect("round");
    assert_eq!(receiver.received().len(), 1);

    let enabled = app
        .call(
            "PATCH",
            &format!("/api/v1/webhooks/{hook}"),
            Some(&admin.access),
            Some(json!({"enabled": true})),
        )
        .await;
    assert_eq!(enabled.status, StatusCode::OK, "{}", enabled.text);
    assert_eq!(enabled.body["disabled_reason"], Value::Null);
    deliver_until(&app, &receiver, 10, |got| {
        got.iter().any(|r| r.answered == 200)
    })
    .await;
    let accepted = receiver.accepted();
    assert_eq!(accepted.len(), 1);
    assert_eq!(accepted[0].json()["data"]["item"]["title"], "First");

    // A delivered event can be sent again by hand, under the same id; a pending one cannot.
    let id = accepted[0].id.clone();
    let again = app
        .call(
            "POST",
            &format!("/api/v1/webhooks/{hook}/deliveries/{id}/redeliver"),
            Some(&admin.access),
            None,
        )
        .await;
    assert_eq!(again.status, StatusCode::ACCEPTED, "{}", again.text);
    let twice = app
        .call(
            "POST",
            &format!("/api/v1/webhooks/{hook}/deliveries/{id}/redeliver"),
            Some(&admin.access),
            None,
        )
        .await;
    assert_eq!(twice.status, StatusCode::CONFLICT, "{}", twice.text);
    deliver_until(&app, &receiver, 10, |got| {
        got.iter().filter(|r| r.answered == 200).count() == 2
    })
    .await;
    assert_eq!(receiver.accepted()[1].id, id);
    let unknown = app
        .call(
            "POST",
            &format!(
                "/api/v1/webhooks/{hook}/deliveries/msg_00000000000000000000000000000000/redeliver"
            ),
            Some(&admin.access),
            None,
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn stalled_and_overdue_items_are_announced_once() {
    let app = TestApp::spawn().await;
    let admin = app.user(Role::Admin).await;
    let manager = app.user(Role::Manager).await;
    let receiver = Receiver::start();
    register(
        &app,
        &admin,
        &receiver.url,
        json!(["item.stalled", "item.overdue"]),
    )
    .await;
    let report = app.new_report(&manager, "late-2026").await;
    let item = app.new_item(&manager, &report, "Late and quiet").await;
    let fresh = app.new_item(&manager, &report, "Fresh").await;
    app.sql(&format!(
        "UPDATE recommendations SET last_activity_at = now() - interval '100 days', \
         due_date = DATE '2026-01-31', original_due_date = DATE '2026-01-31' WHERE id = '{item}'"
    ));
    assert_eq!(app.webhooks.announce().await.expect("announce"), 2);
    assert_eq!(
        app.webhooks.announce().await.expect("announce"),
        0,
        "announced twice"
    );
    deliver_until(&app, &receiver, 10, |got| got.len() == 2).await;
    let mut bodies: Vec<Value> = receiver.received().iter().map(Received::json).collect();
    bodies.sort_by_key(|b| b["type"].as_str().unwrap_or_default().to_owned());
    assert_eq!(bodies[0]["type"], "item.overdue");
    assert_eq!(bodies[0]["data"]["overdue"]["due_date"], "2026-01-31");
    assert_eq!(bodies[1]["type"], "item.stalled");
    assert_eq!(bodies[1]["data"]["stall"]["threshold_days"], 30);
    assert_eq!(bodies[1]["data"]["item"]["id"], json!(item));
    assert!(
        bodies
            .iter()
            .all(|b| b["data"]["item"]["id"] != json!(fresh))
    );
    // A new due date, once passed, is announced again.
    app.sql(&format!(
        "UPDATE recommendations SET due_date = DATE '2026-02-28' WHERE id = '{item}'"
    ));
    assert_eq!(app.webhooks.announce().await.expect("announce"), 1);
}

#[actix_web::test]
async fn a_team_scoped_endpoint_hears_of_its_team_being_added_and_removed() {
    let app = TestApp::spawn().await;
    let admin = app.user(Role::Admin).await;
    let manager = app.user(Role::Manager).await;
    let receiver = Receiver::start();
    let team = app
        .call(
            "POST",
            "/api/v1/teams",
            Some(&admin.access),
            Some(json!({"name": "Ports desk"})),
        )
        .await;
    assert_eq!(team.status, StatusCode::CREATED, "{}", team.text);
    let team = team.body["id"].as_str().expect("team id").to_owned();
    let reply = app
        .call(
            "POST",
            "/api/v1/webhooks",
            Some(&admin.access),
            Some(json!({"url": receiver.url, "team_id": team,
                        "events": ["item.owner_added", "item.owner_removed", "comment.added"]})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    let report = app.new_report(&manager, "team-2026").await;
    let ours = app.new_item(&manager, &report, "Ours").await;
    let theirs = app.new_item(&manager, &report, "Not ours").await;
    let path = format!("/api/v1/recommendations/{ours}/owners/teams/{team}");
    let added = app
        .call(
            "PUT",
            &path,
            Some(&manager.access),
            Some(json!({"kind": "responsible"})),
        )
        .await;
    assert!(added.status.is_success(), "{}", added.text);
    for item in [&ours, &theirs] {
        let comment = app
            .call(
                "POST",
                &format!("/api/v1/recommendations/{item}/comments"),
                Some(&manager.access),
                Some(json!({"body": "Any news?"})),
            )
            .await;
        assert_eq!(comment.status, StatusCode::CREATED, "{}", comment.text);
    }
    let removed = app.call("DELETE", &path, Some(&manager.access), None).await;
    assert!(removed.status.is_success(), "{}", removed.text);
    deliver_until(&app, &receiver, 10, |got| got.len() >= 3).await;
    app.webhooks
        .round(&app.webhooks.client())
        .await
        .expect("round");
    let got: Vec<(String, Value)> = receiver
        .received()
        .iter()
        .map(Received::json)
        .map(|b| {
            (
                b["type"].as_str().unwrap_or_default().to_owned(),
                b["data"]["item"]["id"].clone(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("item.owner_added".to_owned(), json!(ours)),
            ("comment.added".to_owned(), json!(ours)),
            ("item.owner_removed".to_owned(), json!(ours)),
        ]
    );
    // digest.sent is about no item: a scoped endpoint cannot ask for it.
    let scoped_digest = app
        .call(
            "POST",
            "/api/v1/webhooks",
            Some(&admin.access),
            Some(json!({"url": receiver.url, "team_id": team, "events": ["digest.sent"]})),
        )
        .await;
    assert_eq!(scoped_digest.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(scoped_digest.body["field"], "events");
}
