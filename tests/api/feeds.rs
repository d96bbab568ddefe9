//! Atom and iCalendar feeds opened by a per-user token in the URL, checked with independent
//! parsers (Python's `feedparser` and `icalendar`, in `tests/support/check_feed.py`).

use actix_web::http::StatusCode;
use recotrack::db::enums::Role;
use serde_json::{Value, json};

use crate::helpers::{Login, TestApp};

/// What the independent parser read from `body`; panics if it refuses it.
fn parsed(kind: &str, body: &str) -> Value {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join(format!("feed.{kind}"));
    std::fs::write(&file, body).expect("write the feed");
    let python = std::env::var("RECOTRACK_TEST_PYTHON")
        .expect("RECOTRACK_TEST_PYTHON is not set: run the tests with `scripts/test`");
    let out = std::process::Command::new(python)
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/support/check_feed.py"
        ))
        .arg(kind)
        .arg(&file)
        .output()
        .expect("run the feed check");
    assert!(
        out.status.success(),
        "{kind} refused: {}\n{body}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("the check's JSON")
}

async fn feed_token(app: &TestApp, who: &Login) -> Value {
    let reply = app
        .call(
            "POST",
            "/api/v1/me/feed-tokens",
            Some(&who.access),
            Some(json!({"name": "Work calendar"})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    reply.body
}

/// The path part of a feed URL the API handed out.
fn path_of(url: &str) -> String {
    let start = url.find("/api/v1/").expect("an API path");
    url[start..].to_owned()
}

async fn put_owner(app: &TestApp, by: &Login, item: &str, user: &Login) {
    let reply = app
        .call(
            "PUT",
            &format!("/api/v1/recommendations/{item}/owners/users/{}", user.id),
            Some(&by.access),
            Some(json!({"kind": "responsible"})),
        )
        .await;
    assert!(reply.status.is_success(), "{}", reply.text);
}

async fn dated_item(app: &TestApp, by: &Login, report: &str, title: &str, due: &str) -> String {
    let reply = app
        .call(
            "POST",
            "/api/v1/recommendations",
            Some(&by.access),
            Some(json!({"report_id": report, "title": title, "due_date": due})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    reply.body["id"].as_str().expect("id").to_owned()
}

#[actix_web::test]
async fn a_calendar_app_subscribes_to_the_due_dates_of_what_i_own() {
    let app = TestApp::spawn().await;
    let manager = app.user(Role::Manager).await;
    let me = app.user(Role::Viewer).await;
    let report = app.new_report(&manager, "cal-2026").await;
    let mine = dated_item(&app, &manager, &report, "Open the lab", "2027-03-31").await;
    let other = dated_item(&app, &manager, &report, "Someone else's", "2027-05-01").await;
    put_owner(&app, &manager, &mine, &me).await;
    let target = app
        .call(
            "POST",
            &format!("/api/v1/recommendations/{mine}/targets"),
            Some(&manager.access),
            Some(json!({"text": "Hire 12 researchers", "figure": 12, "due_date": "2026-12-31"})),
        )
        .await;
    assert_eq!(target.status, StatusCode::CREATED, "{}", target.text);
    let target = target.body["id"].as_str().expect("target id").to_owned();

    let token = feed_token(&app, &me).await;
    let secret = token["token_secret"].as_str().expect("secret");
    assert!(secret.starts_with("rtf_"));
    let calendar_path = path_of(token["due_dates_url"].as_str().expect("url"));
    let reply = app.get(&calendar_path).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.content_type, "text/calendar; charset=utf-8");
    let calendar = parsed("ics", &reply.text);
    let events: Vec<(String, String, String)> = calendar["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| {
            (
                e["uid"].as_str().unwrap_or_default().to_owned(),
                e["summary"].as_str().unwrap_or_default().to_owned(),
                e["start"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        events,
        [
            (
                format!("item-{mine}@127.0.0.1"),
                "Due: cal-2026/01 Open the lab".to_owned(),
                "2027-03-31".to_owned()
            ),
            (
                format!("target-{target}@127.0.0.1"),
                "Target due: cal-2026/01 Hire 12 researchers".to_owned(),
                "2026-12-31".to_owned()
            ),
        ]
    );
    assert_eq!(
        calendar["events"][0]["url"],
        "http://127.0.0.1:8080/app/items/cal-2026/01"
    );

    // The whole report, or everything, when asked.
    let all = app.get(&format!("{calendar_path}?all=true")).await;
    let all = parsed("ics", &all.text);
    assert_eq!(all["events"].as_array().map(Vec::len), Some(3));
    assert!(all.to_string().contains(&format!("item-{other}@")));
    let by_report = app.get(&format!("{calendar_path}?report=cal-2026")).await;
    assert_eq!(
        parsed("ics", &by_report.text)["events"]
            .as_array()
            .map(Vec::len),
        Some(3)
    );
    let unknown = app.get(&format!("{calendar_path}?report=nope")).await;
    assert_eq!(
        unknown.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        unknown.text
    );
    assert_eq!(unknown.body["field"], "report");

    // A finished item leaves the calendar.
    for (axis, to) in [
        ("response", "accepted"),
        ("status", "in_progress"),
        ("status", "not_implemented"),
    ] {
        let moved = app
            .call(
                "POST",
                &format!("/api/v1/recommendations/{other}/transitions"),
                Some(&manager.access),
                Some(json!({"axis": axis, "to": to, "reason": "Dropped by the board"})),
            )
            .await;
        assert_eq!(moved.status, StatusCode::OK, "{}", moved.text);
    }
    let after = parsed(
        "ics",
        &app.get(&format!("{calendar_path}?all=true")).await.text,
    );
    assert_eq!(after["events"].as_array().map(Vec::len), Some(2));
}

#[actix_web::test]
async fn an_items_changes_read_as_an_atom_feed() {
    let app = TestApp::spawn().await;
    let manager = app.user(Role::Manager).await;
    let viewer = app.user(Role::Viewer).await;
    let report = app.new_report(&manager, "atom-2026").await;
    let item = app
        .new_item(&manager, &report, "Publish <the> register & more")
        .await;
    let moved = app
        .call(
            "POST",
            &format!("/api/v1/recommendations/{item}/transitions"),
            Some(&manager.access),
            Some(json!({"axis": "response", "to": "accepted", "reason": "Agreed"})),
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.text);
    let token = feed_token(&app, &viewer).await;
    let template = path_of(token["item_feed_url"].as_str().expect("url"));
    let path = template.replace("{id}", &item);
    let reply = app.get(&path).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.content_type, "application/atom+xml; charset=utf-8");
    let feed = parsed("atom", &reply.text);
    assert_eq!(feed["title"], "atom-2026/01 Publish <the> register & more");
    assert_eq!(feed["id"], "http://127.0.0.1:8080/app/items/atom-2026/01");
    let entries = feed["entries"].as_array().expect("entries");
    assert_eq!(entries.len(), 2);
    assert_eq!(
        entries[0]["title"],
        "transition: response: Pending → Accepted"
    );
    assert_eq!(entries[0]["author"], "Test manager");
    assert_eq!(
        entries[0]["id"],
        "http://127.0.0.1:8080/app/items/atom-2026/01#event-2"
    );
    assert_eq!(entries[1]["title"], "created");

    // Unknown items, made-up tokens and revoked ones all open nothing, alike.
    let missing = app
        .get(&template.replace("{id}", "00000000-0000-4000-8000-000000000000"))
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    let forged = app
        .get(&format!(
            "/api/v1/feeds/rtf_{}/recommendations/{item}.atom",
            "0".repeat(64)
        ))
        .await;
    assert_eq!(forged.status, StatusCode::NOT_FOUND);
    assert_eq!(forged.body["type"], "urn:recotrack:problem:not-found");
    let id = token["id"].as_str().expect("id");
    let revoked = app
        .call(
            "DELETE",
            &format!("/api/v1/me/feed-tokens/{id}"),
            Some(&viewer.access),
            None,
        )
        .await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT);
    assert_eq!(app.get(&path).await.status, StatusCode::NOT_FOUND);
    let listed = app.get_as(&viewer, "/api/v1/me/feed-tokens").await;
    assert!(listed.body[0]["revoked_at"].is_string(), "{}", listed.text);
    assert!(!listed.text.contains("rtf_"), "a secret was listed");
}

#[actix_web::test]
async fn feed_tokens_are_their_owners_alone_and_die_with_the_account() {
    let app = TestApp::spawn().await;
    let admin = app.user(Role::Admin).await;
    let manager = app.user(Role::Manager).await;
    let other = app.user(Role::Viewer).await;
    let report = app.new_report(&manager, "own-2026").await;
    let item = app.new_item(&manager, &report, "Anything").await;
    let token = feed_token(&app, &manager).await;
    let path = path_of(token["item_feed_url"].as_str().expect("url")).replace("{id}", &item);
    assert_eq!(app.get(&path).await.status, StatusCode::OK);
    // Someone else cannot revoke it, nor see it.
    let id = token["id"].as_str().expect("id");
    let theirs = app
        .call(
            "DELETE",
            &format!("/api/v1/me/feed-tokens/{id}"),
            Some(&other.access),
            None,
        )
        .await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.get_as(&other, "/api/v1/me/feed-tokens").await.body,
        json!([])
    );
    assert_eq!(app.get(&path).await.status, StatusCode::OK);
    // An API token is nobody: it gets no feed token.
    let api = app.api_token(&admin, Role::Viewer).await;
    let refused = app
        .call("POST", "/api/v1/me/feed-tokens", Some(&api), None)
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.text);
    // A deactivated account's feeds stop opening.
    let off = app
        .call(
            "PATCH",
            &format!("/api/v1/users/{}", manager.id),
            Some(&admin.access),
            Some(json!({"active": false})),
        )
        .await;
    assert_eq!(off.status, StatusCode::OK, "{}", off.text);
    assert_eq!(app.get(&path).await.status, StatusCode::NOT_FOUND);
    // Back on, the account makes new URLs: the old ones, copied while it was off, stay dead.
    let on = app
        .call(
            "PATCH",
            &format!("/api/v1/users/{}", manager.id),
            Some(&admin.access),
            Some(json!({"active": true})),
        )
        .await;
    assert_eq!(on.status, StatusCode::OK, "{}", on.text);
    assert_eq!(app.get(&path).await.status, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn a_views_changes_read_as_an_atom_feed_of_the_items_it_holds_now() {
    let app = TestApp::spawn().await;
    let admin = app.user(Role::Admin).await;
    let manager = app.user(Role::Manager).await;
    let member = app.user(Role::Viewer).await;
    let outsider = app.user(Role::Manager).await;
    let report = app.new_report(&manager, "vf-2026").await;
    let late = dated_item(&app, &manager, &report, "Late & <loud>", "2020-01-01").await;
    let also_late = dated_item(&app, &manager, &report, "Also late", "2020-02-01").await;
    let fine = dated_item(&app, &manager, &report, "On time", "2099-01-01").await;
    for (item, to) in [(&late, "accepted"), (&fine, "noted")] {
        let moved = app
            .call(
                "POST",
                &format!("/api/v1/recommendations/{item}/transitions"),
                Some(&manager.access),
                Some(json!({"axis": "response", "to": to, "reason": "Board"})),
            )
            .await;
        assert_eq!(moved.status, StatusCode::OK, "{}", moved.text);
    }
    let team = app
        .call(
            "POST",
            "/api/v1/teams",
            Some(&admin.access),
            Some(json!({"name": "Desk"})),
        )
        .await;
    let team = team.body["id"].as_str().expect("team").to_owned();
    let joined = app
        .call(
            "PUT",
            &format!("/api/v1/teams/{team}/members/{}", member.id),
            Some(&admin.access),
            Some(json!({"role": "member"})),
        )
        .await;
    assert!(joined.status.is_success(), "{}", joined.text);
    let view = app
        .call(
            "POST",
            "/api/v1/views",
            Some(&manager.access),
            Some(json!({"name": "Overdue here", "team_id": team,
                        "criteria": {"report": "vf-2026", "overdue": true}})),
        )
        .await;
    assert_eq!(view.status, StatusCode::CREATED, "{}", view.text);
    let view = view.body["id"].as_str().expect("view").to_owned();

    let token = feed_token(&app, &member).await;
    let path = path_of(token["view_feed_url"].as_str().expect("url")).replace("{id}", &view);
    let reply = app.get(&path).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.content_type, "application/atom+xml; charset=utf-8");
    let feed = parsed("atom", &reply.text);
    assert_eq!(feed["title"], "recotrack: Overdue here");
    assert_eq!(feed["id"], format!("urn:uuid:{view}"));
    let titles: Vec<&str> = feed["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| e["title"].as_str().expect("title"))
        .collect();
    assert_eq!(
        titles,
        [
            "[vf-2026/01] Late & <loud>: transition: response: Pending → Accepted",
            "[vf-2026/02] Also late: created",
            "[vf-2026/01] Late & <loud>: created",
        ],
        "newest first; the item on time is not in the view"
    );
    assert_eq!(
        feed["entries"][0]["id"], "http://127.0.0.1:8080/app/items/vf-2026/01#event-2",
        "the same id as in the item's own feed"
    );

    // The view holds what matches now: an item no longer late leaves with its events.
    let moved = app
        .call(
            "PATCH",
            &format!("/api/v1/recommendations/{late}"),
            Some(&manager.access),
            Some(json!({"due_date": "2099-06-01", "due_date_reason": "Rescheduled"})),
        )
        .await;
    assert!(moved.status.is_success(), "{}", moved.text);
    let feed = parsed("atom", &app.get(&path).await.text);
    let titles: Vec<&str> = feed["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| e["title"].as_str().expect("title"))
        .collect();
    assert_eq!(titles, ["[vf-2026/02] Also late: created"]);

    // A control character in what people type cannot make the feed unreadable.
    let noted = app
        .call(
            "PATCH",
            &format!("/api/v1/recommendations/{also_late}"),
            Some(&manager.access),
            Some(json!({"progress_note": "bell\u{7} here"})),
        )
        .await;
    assert!(noted.status.is_success(), "{}", noted.text);
    let feed = parsed("atom", &app.get(&path).await.text);
    let newest = feed["entries"][0]["title"].as_str().expect("title");
    assert!(newest.contains("bell\u{fffd} here"), "{newest}");

    // Read as a viewer: a view not shared with you opens nothing, whatever your role, and
    // neither does a made-up view or a revoked token.
    let theirs = feed_token(&app, &outsider).await;
    let their_path = path_of(theirs["view_feed_url"].as_str().expect("url")).replace("{id}", &view);
    assert_eq!(app.get(&their_path).await.status, StatusCode::NOT_FOUND);
    // Feeds only read; the answer to another method names the path without its token.
    let posted = app.call("POST", &path, None, None).await;
    assert_eq!(
        posted.status,
        StatusCode::METHOD_NOT_ALLOWED,
        "{}",
        posted.text
    );
    assert_eq!(posted.header("allow"), Some("GET, HEAD"));
    assert!(!posted.text.contains("rtf_"), "{}", posted.text);
    let nowhere = app
        .call("GET", &path.replace(".atom", ".rss"), None, None)
        .await;
    assert_eq!(nowhere.status, StatusCode::NOT_FOUND, "{}", nowhere.text);
    assert!(!nowhere.text.contains("rtf_"), "{}", nowhere.text);
    let unknown = path.replace(&view, "00000000-0000-4000-8000-000000000000");
    assert_eq!(app.get(&unknown).await.status, StatusCode::NOT_FOUND);
    let id = token["id"].as_str().expect("id");
    let revoked = app
        .call(
            "DELETE",
            &format!("/api/v1/me/feed-tokens/{id}"),
            Some(&member.access),
            None,
        )
        .await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT);
    assert_eq!(app.get(&path).await.status, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn ten_live_feed_tokens_at_most_however_fast_they_are_asked_for() {
    let app = TestApp::spawn().await;
    let viewer = app.user(Role::Viewer).await;
    let asks = (0..14).map(|n| {
        app.call(
            "POST",
            "/api/v1/me/feed-tokens",
            Some(&viewer.access),
            Some(json!({"name": format!("reader {n}")})),
        )
    });
    let replies = futures_util::future::join_all(asks).await;
    let created = replies
        .iter()
        .filter(|r| r.status == StatusCode::CREATED)
        .count();
    let refused = replies
        .iter()
        .filter(|r| r.status == StatusCode::CONFLICT)
        .count();
    assert_eq!((created, refused), (10, 4));
    let listed = app.get_as(&viewer, "/api/v1/me/feed-tokens").await;
    assert_eq!(listed.body.as_array().map(Vec::len), Some(10));
}
