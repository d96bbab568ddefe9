//! Saved views: a named list filter, checked when saved, shared with a team or kept private,
//! and usable as `?view=<id>` on the list and its CSV export.

use actix_web::http::StatusCode;
use recotrack::db::enums::Role;
use serde_json::{Value, json};

use crate::helpers::{Login, TestApp};

async fn save(app: &TestApp, who: &Login, body: Value) -> crate::helpers::Reply {
    app.call("POST", "/api/v1/views", Some(&who.access), Some(body))
        .await
}

fn keys(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["key"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[actix_web::test]
async fn a_manager_saves_overdue_in_her_report_and_her_team_lists_it() {
    let app = TestApp::spawn().await;
    let admin = app.user(Role::Admin).await;
    let manager = app.user(Role::Manager).await;
    let member = app.user(Role::Viewer).await;
    let outsider = app.user(Role::Viewer).await;
    let team = app
        .call(
            "POST",
            "/api/v1/teams",
            Some(&admin.access),
            Some(json!({"name": "Board"})),
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
    let report = app.new_report(&manager, "view-2026").await;
    for (title, due) in [
        ("Late one", "2026-01-31"),
        ("On time", "2030-01-31"),
        ("Late two", "2026-02-28"),
    ] {
        let reply = app
            .call(
                "POST",
                "/api/v1/recommendations",
                Some(&manager.access),
                Some(json!({"report_id": report, "title": title, "due_date": due})),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    }
    let other = app.new_report(&manager, "elsewhere-2026").await;
    app.call(
        "POST",
        "/api/v1/recommendations",
        Some(&manager.access),
        Some(json!({"report_id": other, "title": "Late elsewhere", "due_date": "2026-01-15"})),
    )
    .await;

    let saved = save(
        &app,
        &manager,
        json!({"name": "Overdue in view-2026", "team_id": team,
               "criteria": {"report": "view-2026", "overdue": true, "sort": "due_date"}}),
    )
    .await;
    assert_eq!(saved.status, StatusCode::CREATED, "{}", saved.text);
    let id = saved.body["id"].as_str().expect("id").to_owned();
    assert_eq!(
        saved.body["list_url"],
        json!(format!("/api/v1/recommendations?view={id}"))
    );

    let listed = app
        .get_as(&member, &format!("/api/v1/recommendations?view={id}"))
        .await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.text);
    assert_eq!(keys(&listed.body), ["view-2026/01", "view-2026/03"]);
    // A filter given as well takes the view's place.
    let narrowed = app
        .get_as(
            &member,
            &format!("/api/v1/recommendations?view={id}&sort=-due_date"),
        )
        .await;
    assert_eq!(keys(&narrowed.body), ["view-2026/03", "view-2026/01"]);
    // The CSV export takes it too.
    let csv = app
        .get_as(&member, &format!("/api/v1/recommendations.csv?view={id}"))
        .await;
    assert_eq!(csv.status, StatusCode::OK);
    assert_eq!(csv.text.lines().count(), 3, "{}", csv.text);
    assert!(!csv.text.contains("On time") && !csv.text.contains("elsewhere"));

    // Figures take a view's scope; this one also filters by `overdue`, which figures cannot.
    let figures = app
        .get_as(&member, &format!("/api/v1/stats/summary?view={id}"))
        .await;
    assert_eq!(
        figures.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        figures.text
    );
    assert_eq!(figures.body["field"], "view");
    let scoped = save(
        &app,
        &manager,
        json!({"name": "All of view-2026", "criteria": {"report": "view-2026"}}),
    )
    .await;
    let scoped = scoped.body["id"].as_str().expect("id").to_owned();
    let summary = app
        .get_as(&manager, &format!("/api/v1/stats/summary?view={scoped}"))
        .await;
    assert_eq!(summary.status, StatusCode::OK, "{}", summary.text);
    assert_eq!(summary.body["total"], 3, "{}", summary.text);
    assert_eq!(summary.body["overdue"], 2, "{}", summary.text);

    // Someone outside the team cannot use it: as if there were no such view.
    let refused = app
        .get_as(&outsider, &format!("/api/v1/recommendations?view={id}"))
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.text
    );
    assert_eq!(refused.body["field"], "view");
    assert_eq!(
        app.get_as(&outsider, &format!("/api/v1/views/{id}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.get_as(&outsider, "/api/v1/views").await.body, json!([]));
    // Only its owner (or an admin) changes it.
    let edit = app
        .call(
            "PATCH",
            &format!("/api/v1/views/{id}"),
            Some(&member.access),
            Some(json!({"name": "Mine now"})),
        )
        .await;
    assert_eq!(edit.status, StatusCode::FORBIDDEN, "{}", edit.text);
    let unshared = app
        .call(
            "PATCH",
            &format!("/api/v1/views/{id}"),
            Some(&manager.access),
            Some(json!({"team_id": null})),
        )
        .await;
    assert_eq!(unshared.status, StatusCode::OK, "{}", unshared.text);
    assert_eq!(unshared.body["team_id"], Value::Null);
    let gone = app
        .get_as(&member, &format!("/api/v1/recommendations?view={id}"))
        .await;
    assert_eq!(gone.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[actix_web::test]
async fn criteria_are_checked_when_saved_and_owner_me_is_whoever_uses_the_view() {
    let app = TestApp::spawn().await;
    let manager = app.user(Role::Manager).await;
    let owner = app.user(Role::Contributor).await;
    let report = app.new_report(&manager, "mine-2026").await;
    let item = app.new_item(&manager, &report, "Owned").await;
    app.new_item(&manager, &report, "Not owned").await;
    let put = app
        .call(
            "PUT",
            &format!("/api/v1/recommendations/{item}/owners/users/{}", owner.id),
            Some(&manager.access),
            Some(json!({"kind": "responsible"})),
        )
        .await;
    assert!(put.status.is_success(), "{}", put.text);
    for (criteria, field) in [
        (json!({"report": "no-such-report"}), "report"),
        (json!({"status": "finished"}), "status"),
        (json!({"colour": "red"}), "criteria"),
        (json!({"limit": 5}), "criteria"),
        (json!({"sort": "sideways"}), "sort"),
        (json!({"due_before": "2026-13-01"}), "criteria"),
        (json!(["overdue"]), "criteria"),
    ] {
        let reply = save(&app, &manager, json!({"name": "Bad", "criteria": criteria})).await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{criteria}: {}",
            reply.text
        );
        assert_eq!(reply.body["field"], field, "{criteria}");
    }
    assert_eq!(app.get_as(&manager, "/api/v1/views").await.body, json!([]));
    let mine = save(
        &app,
        &manager,
        json!({"name": "Mine", "criteria": {"owner": "me"}}),
    )
    .await;
    assert_eq!(mine.status, StatusCode::CREATED, "{}", mine.text);
    let id = mine.body["id"].as_str().expect("id");
    // `me` is the manager using it, who owns nothing; a dashboard's token names the person.
    let managers = app
        .get_as(&manager, &format!("/api/v1/recommendations?view={id}"))
        .await;
    assert_eq!(keys(&managers.body), Vec::<String>::new());
    let api = app.user(Role::Admin).await;
    let token = app.api_token(&api, Role::Viewer).await;
    let by_token = app
        .call(
            "GET",
            &format!("/api/v1/recommendations?view={id}&owner={}", owner.email),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(by_token.status, StatusCode::OK, "{}", by_token.text);
    assert_eq!(keys(&by_token.body), ["mine-2026/01"]);
}

#[actix_web::test]
async fn the_last_free_place_goes_to_one_of_many_simultaneous_saves() {
    let app = TestApp::spawn().await;
    let viewer = app.user(Role::Viewer).await;
    app.sql(&format!(
        "INSERT INTO saved_views (id, name, owner_id, criteria) \
         SELECT gen_random_uuid(), 'view ' || g, '{}', '{{}}' FROM generate_series(1, 99) g",
        viewer.id
    ));
    let saves = (0..6).map(|n| {
        save(
            &app,
            &viewer,
            json!({"name": format!("race {n}"), "criteria": {"overdue": true}}),
        )
    });
    let replies = futures_util::future::join_all(saves).await;
    let created = replies
        .iter()
        .filter(|r| r.status == StatusCode::CREATED)
        .count();
    let refused = replies
        .iter()
        .filter(|r| r.status == StatusCode::CONFLICT)
        .count();
    assert_eq!((created, refused), (1, 5), "at most 100 views per person");
    let listed = app.get_as(&viewer, "/api/v1/views").await;
    assert_eq!(listed.body.as_array().map(Vec::len), Some(100));
}
