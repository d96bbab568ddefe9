//! Subscriptions to saved views, end to end: real PostgreSQL, a real SMTP server, the real
//! scheduler. A period's email reaches each subscriber once, whatever the number of ticks or
//! instances; an empty view with "only when non-empty" sends nothing; the email's link stops it.

use actix_web::http::StatusCode;
use chrono::Utc;
use recotrack::db::enums::Role;
use recotrack::domain::digest::deliveries::Trigger;
use serde_json::{Value, json};

use crate::digests::{Scene, message_for, scene};
use crate::helpers::{Login, Reply, SmtpSink, TestApp};
use crate::pages::Browser;

async fn subscribe(app: &TestApp, who: &Login, view: &str, body: Value) -> Reply {
    app.call(
        "POST",
        &format!("/api/v1/views/{view}/subscriptions"),
        Some(&who.access),
        Some(body),
    )
    .await
}

/// A weekly cadence whose period opened today at 00:00 UTC.
fn weekly_today() -> Value {
    let day = Utc::now().format("%A").to_string().to_lowercase();
    json!({"frequency": "weekly", "weekday": day, "hour": 0, "time_zone": "UTC"})
}

/// How the subject names today's weekly period, e.g. `weekly, Friday 2026-12-04`.
fn todays_period() -> String {
    Utc::now().format("weekly, %A %Y-%m-%d").to_string()
}

/// Subscriptions made now would wait for the next period; these are made to have existed
/// before today's period opened.
fn backdate(app: &TestApp) {
    app.sql("UPDATE view_subscriptions SET created_at = now() - interval '8 days'");
}

/// Makes today's subscription periods look like last week's, so the next tick plans a new one.
fn age_periods(app: &TestApp) {
    for table in ["digest_runs", "digest_deliveries"] {
        app.sql(&format!(
            "UPDATE {table} SET period = regexp_replace(period, '[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}$', '2000-01-03') \
             WHERE period LIKE 'view:%'"
        ));
    }
}

async fn team_of(s: &Scene, members: &[&Login]) -> String {
    let team = s
        .app
        .call(
            "POST",
            "/api/v1/teams",
            Some(&s.admin.access),
            Some(json!({"name": "Board"})),
        )
        .await;
    let team = team.body["id"].as_str().expect("team").to_owned();
    for member in members {
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
    }
    team
}

async fn view(s: &Scene, name: &str, team: Option<&str>, criteria: Value) -> String {
    let mut body = json!({"name": name, "criteria": criteria});
    if let Some(team) = team {
        body["team_id"] = json!(team);
    }
    let saved = s
        .app
        .call("POST", "/api/v1/views", Some(&s.manager.access), Some(body))
        .await;
    assert_eq!(saved.status, StatusCode::CREATED, "{}", saved.text);
    saved.body["id"].as_str().expect("view").to_owned()
}

/// The path of the link in an email's text after `label`.
fn link_after(text: &str, label: &str) -> String {
    let start = text
        .find(label)
        .unwrap_or_else(|| panic!("{label:?} in {text}"))
        + label.len();
    let url = text[start..].split_whitespace().next().expect("a link");
    let path = url.find("/app/act/").expect("an action link");
    url[path..].to_owned()
}

#[actix_web::test]
async fn a_manager_subscribes_her_team_weekly_and_each_member_gets_one_email_per_period() {
    let sink = SmtpSink::start();
    let s = scene(&sink, 60).await;
    let member = s.app.user(Role::Viewer).await;
    let team = team_of(&s, &[&s.owner, &member]).await;
    let view = view(
        &s,
        "Overdue in my reports",
        Some(&team),
        json!({"report": "dg", "overdue": true}),
    )
    .await;

    let mut for_team = weekly_today();
    for_team["team_id"] = json!(team);
    // A contributor may subscribe herself, not her team.
    let refused = subscribe(&s.app, &s.owner, &view, for_team.clone()).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.text);
    let made = subscribe(&s.app, &s.manager, &view, for_team.clone()).await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text);
    assert_eq!(made.body["team_id"], json!(team));
    assert_eq!(made.body["hour"], 0);
    assert_eq!(made.body["time_zone"], "UTC");
    let again = subscribe(&s.app, &s.manager, &view, for_team).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text);
    let own = subscribe(&s.app, &s.manager, &view, weekly_today()).await;
    assert_eq!(own.status, StatusCode::CREATED, "{}", own.text);

    // Made now, they wait for the next period: nothing today.
    s.app.scheduler.tick(Trigger::Schedule).await.expect("tick");
    let fresh: Vec<_> = sink
        .messages()
        .into_iter()
        .filter(|m| m.1.starts_with("View "))
        .collect();
    assert!(fresh.is_empty(), "{fresh:?}");

    backdate(&s.app);
    s.app.scheduler.tick(Trigger::Schedule).await.expect("tick");
    s.app.scheduler.tick(Trigger::Schedule).await.expect("tick");
    let views: Vec<_> = sink
        .messages()
        .into_iter()
        .filter(|m| m.1.starts_with("View "))
        .collect();
    assert_eq!(views.len(), 3, "manager, owner and member, once each");
    let subject = format!(
        "View \"Overdue in my reports\": 1 item ({})",
        todays_period()
    );
    for who in [&s.manager, &s.owner, &member] {
        let (_, got, text, html) = message_for(&views, &who.email);
        assert_eq!(got, &subject);
        for part in [text, html] {
            assert!(
                part.contains("dg/03") && part.contains("Late item"),
                "{part}"
            );
            assert!(!part.contains("dg/01") && !part.contains("dg/02"), "{part}");
            assert!(part.contains("due 2020-01-01"), "{part}");
            assert!(
                part.contains("http://127.0.0.1:8080/app/items/dg/03"),
                "{part}"
            );
        }
    }
    let (_, _, member_text, _) = message_for(&views, &member.email);
    assert!(
        member_text.contains("because the team Board is subscribed to this view"),
        "{member_text}"
    );
    let (_, _, own_text, _) = message_for(&views, &s.manager.email);
    assert!(
        own_text.contains("because you subscribed to this view"),
        "{own_text}"
    );
}

#[actix_web::test]
async fn two_instances_plan_a_period_once() {
    let sink = SmtpSink::start();
    let s = scene(&sink, 60).await;
    let other = TestApp::spawn_on(s.app.db.alias(), &sink.settings()).await;
    let view = view(&s, "Overdue", None, json!({"overdue": true})).await;
    let own = subscribe(&s.app, &s.manager, &view, weekly_today()).await;
    assert_eq!(own.status, StatusCode::CREATED, "{}", own.text);
    backdate(&s.app);
    let (a, b) = futures_util::future::join(
        s.app.scheduler.tick(Trigger::Schedule),
        other.scheduler.tick(Trigger::Schedule),
    )
    .await;
    a.expect("instance a");
    b.expect("instance b");
    s.app.scheduler.deliver_due().await.expect("deliver");
    let views: Vec<_> = sink
        .messages()
        .into_iter()
        .filter(|m| m.1.starts_with("View "))
        .collect();
    assert_eq!(views.len(), 1, "{views:?}");
}

#[actix_web::test]
async fn an_empty_view_sends_nothing_when_only_non_empty_is_asked_and_says_so_otherwise() {
    let sink = SmtpSink::start();
    let s = scene(&sink, 60).await;
    let empty = view(&s, "Nothing here", None, json!({"q": "no item says this"})).await;
    let mut quiet = weekly_today();
    quiet["only_when_non_empty"] = json!(true);
    let made = subscribe(&s.app, &s.manager, &empty, quiet).await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text);
    assert_eq!(made.body["only_when_non_empty"], true);
    let told = subscribe(&s.app, &s.owner, &empty, weekly_today()).await;
    assert_eq!(
        told.status,
        StatusCode::NOT_FOUND,
        "a private view is its owner's alone"
    );
    backdate(&s.app);
    s.app.scheduler.tick(Trigger::Schedule).await.expect("tick");
    let views: Vec<_> = sink
        .messages()
        .into_iter()
        .filter(|m| m.1.starts_with("View "))
        .collect();
    assert!(views.is_empty(), "{views:?}");
    let mut conn = s.app.db.connect();
    let runs: i64 = diesel::RunQueryDsl::get_result(
        diesel::dsl::sql::<diesel::sql_types::BigInt>(
            "SELECT count(*) FROM digest_runs WHERE period LIKE 'view:%' AND deliveries = 0",
        ),
        &mut conn,
    )
    .expect("count");
    assert_eq!(
        runs, 1,
        "the period is recorded as done, with nothing to send"
    );

    // Without the option, an empty view's email says it holds nothing.
    let all = view(&s, "Still nothing", None, json!({"q": "nor this"})).await;
    let plain = subscribe(&s.app, &s.manager, &all, weekly_today()).await;
    assert_eq!(plain.status, StatusCode::CREATED, "{}", plain.text);
    backdate(&s.app);
    s.app.scheduler.tick(Trigger::Schedule).await.expect("tick");
    let views: Vec<_> = sink
        .messages()
        .into_iter()
        .filter(|m| m.1.starts_with("View "))
        .collect();
    let (_, subject, text, _) = message_for(&views, &s.manager.email);
    assert_eq!(
        subject,
        &format!("View \"Still nothing\": 0 items ({})", todays_period())
    );
    assert!(
        text.contains("The saved view \"Still nothing\" holds 0 items"),
        "{text}"
    );
}

#[actix_web::test]
async fn the_emails_link_stops_a_subscription_for_its_reader_only() {
    let sink = SmtpSink::start();
    let s = scene(&sink, 60).await;
    let member = s.app.user(Role::Viewer).await;
    let team = team_of(&s, &[&s.owner, &member]).await;
    let view = view(&s, "Overdue", Some(&team), json!({"overdue": true})).await;
    let mut for_team = weekly_today();
    for_team["team_id"] = json!(team);
    let made = subscribe(&s.app, &s.manager, &view, for_team).await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text);
    let own = subscribe(&s.app, &s.manager, &view, weekly_today()).await;
    let own_id = own.body["id"].as_str().expect("id").to_owned();
    backdate(&s.app);
    s.app.scheduler.tick(Trigger::Schedule).await.expect("tick");
    let views: Vec<_> = sink
        .messages()
        .into_iter()
        .filter(|m| m.1.starts_with("View "))
        .collect();
    assert_eq!(views.len(), 3);

    // The member stops the team's emails reaching her; the page asks first, the POST acts,
    // and a mail client's repeated one-click POST is fine.
    let browser = Browser::new(&s.app);
    let (_, _, text, _) = message_for(&views, &member.email);
    let stop = link_after(text, "Stop these emails: ");
    let asked = browser.get(&stop).await;
    assert_eq!(asked.status, StatusCode::OK, "{}", asked.body);
    assert!(asked.body.contains("Overdue"), "{}", asked.body);
    for _ in 0..2 {
        let done = browser
            .post(&stop, &[("List-Unsubscribe", "One-Click")])
            .await;
        assert_eq!(done.status, StatusCode::OK, "{}", done.body);
        assert!(done.body.contains("Subscription stopped"), "{}", done.body);
    }
    // The manager ends her own.
    let (_, _, text, _) = message_for(&views, &s.manager.email);
    let own_stop = link_after(text, "Stop these emails: ");
    let done = browser.post(&own_stop, &[]).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    let gone = s
        .app
        .get_as(
            &s.manager,
            &format!("/api/v1/views/{view}/subscriptions/{own_id}"),
        )
        .await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND, "{}", gone.text);
    // A forged variant of the link does nothing.
    let forged = format!("{}x", &stop[..stop.len() - 1]);
    assert_eq!(
        browser.post(&forged, &[]).await.status,
        StatusCode::BAD_REQUEST
    );

    age_periods(&s.app);
    s.app.scheduler.tick(Trigger::Schedule).await.expect("tick");
    let views: Vec<_> = sink
        .messages()
        .into_iter()
        .filter(|m| m.1.starts_with("View "))
        .collect();
    let count = |email: &str| views.iter().filter(|m| m.0 == email).count();
    assert_eq!(count(&s.owner.email), 2, "the owner still gets the team's");
    assert_eq!(count(&member.email), 1, "the member stopped it");
    assert_eq!(
        count(&s.manager.email),
        1,
        "the manager is in no team and ended her own"
    );
}

#[actix_web::test]
async fn what_a_subscription_may_not_be_is_refused_with_the_field_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let manager = app.user(Role::Manager).await;
    let viewer = app.user(Role::Viewer).await;
    let admin = app.user(Role::Admin).await;
    let saved = app
        .call(
            "POST",
            "/api/v1/views",
            Some(&manager.access),
            Some(json!({"name": "Mine", "criteria": {"overdue": true}})),
        )
        .await;
    let view = saved.body["id"].as_str().expect("view").to_owned();
    for (body, field) in [
        (json!({"frequency": "daily", "hour": 24}), "hour"),
        (
            json!({"frequency": "weekly", "time_zone": "Mars/Olympus"}),
            "time_zone",
        ),
        (
            json!({"frequency": "daily", "weekday": "monday"}),
            "weekday",
        ),
        (
            json!({"frequency": "daily", "team_id": "00000000-0000-4000-8000-000000000000"}),
            "team_id",
        ),
    ] {
        let reply = subscribe(&app, &manager, &view, body.clone()).await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            reply.text
        );
        assert_eq!(reply.body["type"], "urn:recotrack:problem:validation");
        assert!(
            reply.body.to_string().contains(field),
            "{body} should name {field}: {}",
            reply.text
        );
    }
    // What does not fit the body's types is refused as a malformed body, naming what was sent.
    for (body, said) in [
        (json!({"frequency": "daily", "hour": -1}), "-1"),
        (
            json!({"frequency": "weekly", "weekday": "someday"}),
            "someday",
        ),
        (json!({"frequency": "hourly"}), "hourly"),
    ] {
        let reply = subscribe(&app, &manager, &view, body.clone()).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{body}: {}",
            reply.text
        );
        assert_eq!(reply.body["type"], "urn:recotrack:problem:invalid-body");
        assert!(reply.text.contains(said), "{}", reply.text);
    }
    let unknown = subscribe(
        &app,
        &manager,
        &view,
        json!({"frequency": "daily", "cc": "x"}),
    )
    .await;
    assert!(unknown.status.is_client_error(), "{}", unknown.text);
    // Someone else's private view is not there for them.
    let other = subscribe(&app, &viewer, &view, json!({"frequency": "daily"})).await;
    assert_eq!(other.status, StatusCode::NOT_FOUND, "{}", other.text);
    // API tokens are not people: nobody would receive the email.
    let token = app.api_token(&admin, Role::Viewer).await;
    let by_token = app
        .call(
            "POST",
            &format!("/api/v1/views/{view}/subscriptions"),
            Some(&token),
            Some(json!({"frequency": "daily"})),
        )
        .await;
    assert_eq!(by_token.status, StatusCode::FORBIDDEN, "{}", by_token.text);
    let listed = app
        .get_as(&manager, &format!("/api/v1/views/{view}/subscriptions"))
        .await;
    assert_eq!(listed.status, StatusCode::OK);
    assert_eq!(listed.body, json!([]), "nothing was made");

    // Defaults: 08:00 in the service's digest time zone, Monday for weekly.
    let made = subscribe(&app, &manager, &view, json!({"frequency": "weekly"})).await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text);
    assert_eq!(made.body["weekday"], "monday");
    assert_eq!(made.body["hour"], 8);
    assert_eq!(made.body["only_when_non_empty"], false);
    // Another viewer cannot see or end it; its subscriber can.
    let sid = made.body["id"].as_str().expect("id").to_owned();
    let path = format!("/api/v1/views/{view}/subscriptions/{sid}");
    assert_eq!(
        app.call("DELETE", &path, Some(&viewer.access), None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.call("DELETE", &path, Some(&manager.access), None)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
}

#[actix_web::test]
async fn a_view_reaches_only_those_who_may_use_it_and_its_owner_sees_who_gets_it() {
    let sink = SmtpSink::start();
    let s = scene(&sink, 60).await;
    let member = s.app.user(Role::Viewer).await;
    let team = team_of(&s, &[&member]).await;

    // A team is sent only a view shared with it: never a private one, not even by a manager.
    let private = view(&s, "Mine alone", None, json!({"overdue": true})).await;
    let mut for_team = weekly_today();
    for_team["team_id"] = json!(team);
    let refused = subscribe(&s.app, &s.manager, &private, for_team.clone()).await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.text
    );
    assert_eq!(refused.body["field"], "team_id");
    let theirs = s
        .app
        .call(
            "POST",
            "/api/v1/views",
            Some(&s.owner.access),
            Some(json!({"name": "The contributor's own", "criteria": {"overdue": true}})),
        )
        .await;
    let theirs = theirs.body["id"].as_str().expect("view").to_owned();
    let pushed = subscribe(&s.app, &s.manager, &theirs, for_team.clone()).await;
    assert_eq!(
        pushed.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        pushed.text
    );
    // A manager may still follow it himself, and its owner sees that and may end it.
    let follows = subscribe(&s.app, &s.manager, &theirs, weekly_today()).await;
    assert_eq!(follows.status, StatusCode::CREATED, "{}", follows.text);
    let seen = s
        .app
        .get_as(&s.owner, &format!("/api/v1/views/{theirs}/subscriptions"))
        .await;
    assert_eq!(seen.body.as_array().map(Vec::len), Some(1), "{}", seen.text);
    assert_eq!(seen.body[0]["user_id"], json!(s.manager.id));
    let sid = follows.body["id"].as_str().expect("sid");
    let ended = s
        .app
        .call(
            "DELETE",
            &format!("/api/v1/views/{theirs}/subscriptions/{sid}"),
            Some(&s.owner.access),
            None,
        )
        .await;
    assert_eq!(ended.status, StatusCode::NO_CONTENT, "{}", ended.text);

    // Shared with the team: the team and a member subscribe; then it is unshared, and the
    // emails stop reaching who may no longer use it.
    let shared = view(&s, "Ours", Some(&team), json!({"overdue": true})).await;
    let made = subscribe(&s.app, &s.manager, &shared, for_team).await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text);
    let own = subscribe(&s.app, &member, &shared, weekly_today()).await;
    assert_eq!(own.status, StatusCode::CREATED, "{}", own.text);
    let owners = subscribe(&s.app, &s.manager, &shared, weekly_today()).await;
    assert_eq!(owners.status, StatusCode::CREATED, "{}", owners.text);
    // A member sees the team's subscription and his own, not the manager's, and ends none
    // but his own.
    let listed = s
        .app
        .get_as(&member, &format!("/api/v1/views/{shared}/subscriptions"))
        .await;
    let ids: Vec<&str> = listed
        .body
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|sub| sub["id"].as_str())
        .collect();
    assert_eq!(
        ids,
        [
            made.body["id"].as_str().expect("team sid"),
            own.body["id"].as_str().expect("own sid")
        ]
    );
    let managers = format!(
        "/api/v1/views/{shared}/subscriptions/{}",
        owners.body["id"].as_str().expect("sid")
    );
    let refused = s
        .app
        .call("DELETE", &managers, Some(&member.access), None)
        .await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND, "{}", refused.text);
    let teams = format!(
        "/api/v1/views/{shared}/subscriptions/{}",
        made.body["id"].as_str().expect("team sid")
    );
    let refused = s
        .app
        .call("DELETE", &teams, Some(&member.access), None)
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.text);
    let unshared = s
        .app
        .call(
            "PATCH",
            &format!("/api/v1/views/{shared}"),
            Some(&s.manager.access),
            Some(json!({"team_id": null})),
        )
        .await;
    assert_eq!(unshared.status, StatusCode::OK, "{}", unshared.text);
    backdate(&s.app);
    s.app.scheduler.tick(Trigger::Schedule).await.expect("tick");
    let to_member: Vec<_> = sink
        .messages()
        .into_iter()
        .filter(|m| m.1.starts_with("View ") && m.0 == member.email)
        .collect();
    assert!(to_member.is_empty(), "{to_member:?}");
    let views: Vec<_> = sink
        .messages()
        .into_iter()
        .filter(|m| m.1.starts_with("View \"Ours\""))
        .collect();
    assert_eq!(
        views.iter().map(|m| m.0.as_str()).collect::<Vec<_>>(),
        [s.manager.email.as_str()],
        "its owner still gets it"
    );
    // The member may no longer use the view, but may still see and end his subscription.
    let sid = own.body["id"].as_str().expect("sid");
    let path = format!("/api/v1/views/{shared}/subscriptions/{sid}");
    assert_eq!(s.app.get_as(&member, &path).await.status, StatusCode::OK);
    let gone = s
        .app
        .call("DELETE", &path, Some(&member.access), None)
        .await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT, "{}", gone.text);
    let team_sid = made.body["id"].as_str().expect("team sid");
    let theirs = format!("/api/v1/views/{shared}/subscriptions/{team_sid}");
    assert_eq!(
        s.app.get_as(&member, &theirs).await.status,
        StatusCode::NOT_FOUND,
        "the team's is not his to see once the view is not shared with it"
    );
}
