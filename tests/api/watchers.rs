//! Watchers, end to end: real PostgreSQL, a real SMTP server, the real scheduler. A watcher's
//! digest lists what others changed on the item since their last digest, never their own
//! changes; observers watch by default; the email's link and the page stop it.

use actix_web::http::StatusCode;
use recotrack::db::enums::Role;
use recotrack::domain::digest::deliveries::Trigger;
use serde_json::json;

use crate::digests::{Scene, message_for, scene};
use crate::helpers::{Login, PASSWORD, Reply, SmtpSink};
use crate::pages::{Browser, hidden};

async fn watch(s: &Scene, who: &str, method: &str, item: &str) -> Reply {
    s.app
        .call(
            method,
            &format!("/api/v1/recommendations/{item}/watch"),
            Some(who),
            None,
        )
        .await
}

async fn weekly(s: &Scene, who: &Login) {
    let pref = s
        .app
        .call(
            "PUT",
            "/api/v1/me/digest-preferences",
            Some(&who.access),
            Some(json!({"frequency": "weekly"})),
        )
        .await;
    assert_eq!(pref.status, StatusCode::OK, "{}", pref.text);
}

async fn respond(s: &Scene, item: &str, to: &str, reason: &str) {
    let moved = s
        .app
        .call(
            "POST",
            &format!("/api/v1/recommendations/{item}/transitions"),
            Some(&s.manager.access),
            Some(json!({"axis": "response", "to": to, "reason": reason})),
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.text);
}

/// Makes this week's digest period look like the `weeks_ago`th before it, so the next tick
/// plans a new one.
fn age_periods(s: &Scene, weeks_ago: u32) {
    for table in ["digest_runs", "digest_deliveries"] {
        s.app.sql(&format!(
            "UPDATE {table} SET period = 'weekly:2000-01-{:02}' \
             WHERE period LIKE 'weekly:%' AND period NOT LIKE 'weekly:2000-%'",
            weeks_ago
        ));
    }
}

/// The messages of this tick's digests (subjects starting `[recotrack]`).
async fn digests_after_tick(s: &Scene, sink: &SmtpSink) -> Vec<(String, String, String, String)> {
    sink.clear();
    s.app.scheduler.tick(Trigger::Schedule).await.expect("tick");
    s.app.scheduler.deliver_due().await.expect("deliver");
    sink.messages()
        .into_iter()
        .filter(|m| m.1.starts_with("[recotrack]"))
        .collect()
}

/// The path of the link after `label` in an email's text.
fn link_after(text: &str, label: &str) -> String {
    let start = text
        .find(label)
        .unwrap_or_else(|| panic!("{label:?} in {text}"))
        + label.len();
    let url = text[start..].split_whitespace().next().expect("a link");
    url[url.find("/app/act/").expect("an action link")..].to_owned()
}

#[actix_web::test]
async fn a_watcher_reads_what_others_changed_once_and_stops_from_the_email() {
    let sink = SmtpSink::start();
    let s = scene(&sink, 60).await;
    let viewer = s.app.user(Role::Viewer).await;
    let quiet = s.app.user(Role::Viewer).await;

    let before = watch(&s, &viewer.access, "GET", &s.late).await;
    assert_eq!(before.status, StatusCode::OK, "{}", before.text);
    assert_eq!(
        before.body,
        json!({"item_id": s.late, "watching": false, "by_default": false, "digest": "off"})
    );
    let on = watch(&s, &viewer.access, "PUT", &s.late).await;
    assert_eq!(on.status, StatusCode::OK, "{}", on.text);
    assert_eq!(
        on.body,
        json!({"item_id": s.late, "watching": true, "by_default": false, "digest": "off"}),
        "the answer warns that her digests are off"
    );
    let again = watch(&s, &viewer.access, "PUT", &s.late).await;
    assert_eq!(again.body["watching"], true, "watching twice is watching");
    weekly(&s, &viewer).await;
    // Watching with digests off reaches no one.
    assert_eq!(
        watch(&s, &quiet.access, "PUT", &s.late).await.status,
        StatusCode::OK
    );
    // The manager watches too, but hears nothing of his own changes.
    assert_eq!(
        watch(&s, &s.manager.access, "PUT", &s.late).await.status,
        StatusCode::OK
    );
    respond(&s, &s.late, "accepted", "Agreed by the board").await;

    let first = digests_after_tick(&s, &sink).await;
    let (_, subject, text, html) = message_for(&first, &viewer.email);
    assert!(
        subject.starts_with(
            "[recotrack] 0 stalled, 0 overdue, 1 watched item changed: weekly digest "
        ),
        "{subject}"
    );
    assert!(text.contains("== Watched items ==\n"), "{text}");
    assert!(text.contains("* [dg/03] Late item\n"), "{text}");
    assert!(
        text.contains(
            "Test manager: transition, response: Pending → Accepted (\"Agreed by the board\")\n"
        ),
        "{text}"
    );
    assert!(
        text.contains("  Open: http://127.0.0.1:8080/app/items/dg/03\n"),
        "{text}"
    );
    assert!(
        html.contains("Watched items") && html.contains("Stop watching"),
        "{html}"
    );
    assert!(
        !first.iter().any(|m| m.0 == quiet.email),
        "digests off: nothing, watched or not"
    );
    let (_, manager_subject, manager_text, _) = message_for(&first, &s.manager.email);
    assert!(
        !manager_text.contains("Watched items") && !manager_subject.contains("watched"),
        "only his own change: {manager_text}"
    );

    // The next digest has only what happened since the last one.
    let comment = s
        .app
        .call(
            "POST",
            &format!("/api/v1/recommendations/{}/comments", s.late),
            Some(&s.manager.access),
            Some(json!({"body": "Costed at last"})),
        )
        .await;
    assert_eq!(comment.status, StatusCode::CREATED, "{}", comment.text);
    age_periods(&s, 1);
    let second = digests_after_tick(&s, &sink).await;
    let (_, _, text, _) = message_for(&second, &viewer.email);
    assert!(text.contains("Test manager: comment added"), "{text}");
    assert!(
        !text.contains("Agreed by the board"),
        "sent last time: {text}"
    );

    // Its link stops it: the page asks first, a second POST is harmless.
    let link = link_after(text, "Stop watching: ");
    let browser = Browser::new(&s.app);
    let ask = browser.get(&link).await;
    assert_eq!(ask.status, StatusCode::OK, "{}", ask.body);
    assert!(
        ask.body.contains("Stop Test viewer watching this item?")
            && ask.body.contains("[dg/03] Late item"),
        "{}",
        ask.body
    );
    let done = browser.post(&link, &[]).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(done.body.contains("No longer watching"), "{}", done.body);
    assert_eq!(browser.post(&link, &[]).await.status, StatusCode::OK);
    let after = watch(&s, &viewer.access, "GET", &s.late).await;
    assert_eq!(after.body["watching"], false, "{}", after.text);

    let comment = s
        .app
        .call(
            "POST",
            &format!("/api/v1/recommendations/{}/comments", s.late),
            Some(&s.manager.access),
            Some(json!({"body": "And again"})),
        )
        .await;
    assert_eq!(comment.status, StatusCode::CREATED, "{}", comment.text);
    age_periods(&s, 2);
    let third = digests_after_tick(&s, &sink).await;
    assert!(
        !third.iter().any(|m| m.0 == viewer.email),
        "no longer watching, nothing else to say: {third:?}"
    );

    // A deactivated account's link acts no more, and changes nothing.
    assert_eq!(
        watch(&s, &viewer.access, "PUT", &s.late).await.status,
        StatusCode::OK
    );
    let off = s
        .app
        .call(
            "PATCH",
            &format!("/api/v1/users/{}", viewer.id),
            Some(&s.admin.access),
            Some(json!({"active": false})),
        )
        .await;
    assert_eq!(off.status, StatusCode::OK, "{}", off.text);
    assert_eq!(browser.post(&link, &[]).await.status, StatusCode::FORBIDDEN);
    let mut conn = s.app.db.connect();
    let still: bool = diesel::RunQueryDsl::get_result(
        diesel::dsl::sql::<diesel::sql_types::Bool>(&format!(
            "SELECT watching FROM item_watches WHERE user_id = '{}'",
            viewer.id
        )),
        &mut conn,
    )
    .expect("row");
    assert!(still, "the refused link left her watching");

    // A link cut short or altered opens nothing.
    let mut forged = link.clone();
    forged.pop();
    assert_eq!(browser.get(&forged).await.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        browser.post(&forged, &[]).await.status,
        StatusCode::BAD_REQUEST
    );
}

#[actix_web::test]
async fn observers_watch_by_default_until_they_stop_on_the_page_or_through_the_api() {
    let sink = SmtpSink::start();
    let s = scene(&sink, 60).await;
    let observer = s.app.user(Role::Contributor).await;
    let member = s.app.user(Role::Viewer).await;
    weekly(&s, &observer).await;
    let team = s
        .app
        .call(
            "POST",
            "/api/v1/teams",
            Some(&s.admin.access),
            Some(json!({"name": "Auditors"})),
        )
        .await;
    let team = team.body["id"].as_str().expect("team").to_owned();
    let joined = s
        .app
        .call(
            "PUT",
            &format!("/api/v1/teams/{team}/members/{}", member.id),
            Some(&s.admin.access),
            Some(json!({"role": "member"})),
        )
        .await;
    assert!(joined.status.is_success(), "{}", joined.text);
    for path in [format!("users/{}", observer.id), format!("teams/{team}")] {
        let named = s
            .app
            .call(
                "PUT",
                &format!("/api/v1/recommendations/{}/owners/{path}", s.late),
                Some(&s.manager.access),
                Some(json!({"kind": "observer"})),
            )
            .await;
        assert!(named.status.is_success(), "{}", named.text);
    }
    for who in [&observer, &member] {
        let state = watch(&s, &who.access, "GET", &s.late).await;
        assert_eq!(state.body["watching"], true, "{}", state.text);
        assert_eq!(state.body["by_default"], true, "{}", state.text);
    }
    let mine = s
        .app
        .call("GET", "/api/v1/me/watching", Some(&observer.access), None)
        .await;
    assert_eq!(
        mine.body,
        json!([{"item_id": s.late, "key": "dg/03", "title": "Late item", "by_default": true}])
    );

    respond(&s, &s.late, "accepted", "Agreed").await;
    let digests = digests_after_tick(&s, &sink).await;
    let (_, subject, text, _) = message_for(&digests, &observer.email);
    assert!(
        subject.starts_with("[recotrack] 0 stalled, 0 overdue, 1 watched item changed"),
        "an observer is told of changes, not asked to act: {subject}"
    );
    assert!(
        text.contains("response: Pending → Accepted (\"Agreed\")"),
        "{text}"
    );

    // Through the API: stopped, and it stays stopped though she still observes.
    let off = watch(&s, &observer.access, "DELETE", &s.late).await;
    assert_eq!(
        off.body,
        json!({"item_id": s.late, "watching": false, "by_default": false, "digest": "weekly"})
    );
    let mine = s
        .app
        .call("GET", "/api/v1/me/watching", Some(&observer.access), None)
        .await;
    assert_eq!(mine.body, json!([]));

    // On the page: the team's member sees why she watches, and stops, then starts again.
    let browser = Browser::new(&s.app);
    let signed = browser.sign_in(&member.email, PASSWORD).await;
    assert_eq!(signed.status, StatusCode::SEE_OTHER, "{}", signed.body);
    let page = browser.get("/app/items/dg/03").await;
    assert!(
        page.body.contains("You watch this item (as its observer)"),
        "{}",
        page.body
    );
    assert!(page.body.contains("Your digests are off"), "{}", page.body);
    let csrf = hidden(&page.body, "csrf");
    let item_id = s.late.clone();
    let stopped = browser
        .post(&format!("/app/do/{item_id}/unwatch"), &[("csrf", &csrf)])
        .await;
    assert_eq!(stopped.status, StatusCode::SEE_OTHER, "{}", stopped.body);
    let page = browser.get("/app/items/dg/03").await;
    assert!(
        page.body.contains("You do not watch this item."),
        "{}",
        page.body
    );
    let forged = browser
        .post(
            &format!("/app/do/{item_id}/watch"),
            &[("csrf", "not-the-token")],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN, "{}", forged.body);
    browser
        .post(&format!("/app/do/{item_id}/watch"), &[("csrf", &csrf)])
        .await;
    let state = watch(&s, &member.access, "GET", &s.late).await;
    assert_eq!(state.body["watching"], true, "{}", state.text);
    assert_eq!(
        state.body["by_default"], false,
        "now by choice: {}",
        state.text
    );
}

#[actix_web::test]
async fn watching_is_a_persons_and_needs_an_item() {
    let sink = SmtpSink::start();
    let s = scene(&sink, 60).await;
    let token = s.app.api_token(&s.admin, Role::Viewer).await;
    let by_token = watch(&s, &token, "PUT", &s.late).await;
    assert_eq!(by_token.status, StatusCode::FORBIDDEN, "{}", by_token.text);
    assert_eq!(by_token.body["title"], "Forbidden", "{}", by_token.text);
    let listed = s
        .app
        .call("GET", "/api/v1/me/watching", Some(&token), None)
        .await;
    assert_eq!(listed.status, StatusCode::FORBIDDEN, "{}", listed.text);
    let missing = watch(
        &s,
        &s.owner.access,
        "PUT",
        "00000000-0000-0000-0000-000000000000",
    )
    .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND, "{}", missing.text);
    let anonymous = s
        .app
        .call(
            "PUT",
            &format!("/api/v1/recommendations/{}/watch", s.late),
            None,
            None,
        )
        .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    let mut conn = s.app.db.connect();
    let rows: i64 = diesel::RunQueryDsl::get_result(
        diesel::dsl::sql::<diesel::sql_types::BigInt>("SELECT count(*) FROM item_watches"),
        &mut conn,
    )
    .expect("count");
    assert_eq!(rows, 0, "refused requests record nothing");
}
