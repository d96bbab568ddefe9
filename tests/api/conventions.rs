//! HTTP conventions a dashboard builder relies on: HEAD wherever GET is served, `/docs`
//! without its slash, RFC 6750 challenges, reports without items in the per-report figures,
//! and team members' addresses shown only to those who may see people's addresses.

use actix_web::http::StatusCode;
use recotrack::db::enums::Role;
use serde_json::json;

use crate::helpers::TestApp;

/// `curl -sI` as a user types it: the status and the headers, names lowercased. Run as a child the runtime waits for, so the server keeps being served.
async fn curl_head(url: &str, token: Option<&str>, extra: &[&str]) -> (u16, Vec<(String, String)>) {
    let mut command = tokio::process::Command::new("curl");
    command.args(["-sS", "-I", "--max-time", "10", url]);
    if let Some(token) = token {
        command.args(["-H", &format!("authorization: Bearer {token}")]);
    }
    for header in extra {
        command.args(["-H", header]);
    }
    let out = command.output().await.expect("curl runs");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut lines = text.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_lowercase(), v.trim().to_owned()))
        .collect();
    (status, headers)
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

#[actix_web::test]
async fn head_answers_wherever_get_does_with_the_same_headers_and_no_body() {
    let app = TestApp::spawn().await;
    let viewer = app.user(Role::Viewer).await;
    let token = Some(viewer.access.as_str());

    let get = app.call("GET", "/api/v1/stats/summary", token, None).await;
    assert_eq!(get.status, StatusCode::OK);
    let tag = get.header("etag").expect("etag").to_owned();
    let url = format!("{}/api/v1/stats/summary", app.address);
    let (status, headers) = curl_head(&url, token, &[]).await;
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "etag"), Some(tag.as_str()));
    assert_eq!(
        header(&headers, "content-length"),
        Some(get.text.len().to_string().as_str())
    );
    // The README's "poll cheaply": the tag from HEAD gets 304 on GET.
    let again = app
        .call_with(
            "GET",
            "/api/v1/stats/summary",
            token,
            None,
            &[("if-none-match", &tag)],
        )
        .await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);

    let (status, headers) = curl_head(&format!("{}/healthz", app.address), None, &[]).await;
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "content-type"), Some("application/json"));
    let (status, headers) = curl_head(
        &format!("{}/api/v1/recommendations?limit=1", app.address),
        token,
        &[],
    )
    .await;
    assert_eq!(status, 200);
    assert!(header(&headers, "x-total-count").is_some(), "{headers:?}");

    // HEAD is refused like GET: without a token 401, on a POST-only path 405 naming GET-less
    // methods.
    let (status, _) = curl_head(&url, None, &[]).await;
    assert_eq!(status, 401);
    let (status, headers) =
        curl_head(&format!("{}/api/v1/auth/login", app.address), None, &[]).await;
    assert_eq!(status, 405);
    assert_eq!(header(&headers, "allow"), Some("POST"));
    let reply = app
        .call("DELETE", "/api/v1/stats/summary", None, None)
        .await;
    assert_eq!(reply.header("allow"), Some("GET, HEAD"));
}

#[actix_web::test]
async fn docs_without_the_slash_redirect_to_swagger_ui() {
    let app = TestApp::spawn().await;
    let (status, headers) = curl_head(&format!("{}/docs", app.address), None, &[]).await;
    assert_eq!(status, 308);
    assert_eq!(header(&headers, "location"), Some("/docs/"));
}

#[actix_web::test]
async fn the_bearer_challenge_gives_an_error_code_only_for_a_bad_token() {
    let app = TestApp::spawn().await;
    let none = app.call("GET", "/api/v1/me", None, None).await;
    assert_eq!(none.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        none.header("www-authenticate"),
        Some("Bearer realm=\"recotrack\"")
    );
    assert_eq!(none.body["type"], "urn:recotrack:problem:unauthenticated");
    let forged = app
        .call("GET", "/api/v1/me", Some("not-a-token"), None)
        .await;
    assert_eq!(forged.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        forged.header("www-authenticate"),
        Some("Bearer realm=\"recotrack\", error=\"invalid_token\"")
    );
}

#[actix_web::test]
async fn team_members_addresses_are_shown_to_managers_only() {
    let app = TestApp::spawn().await;
    let admin = app.user(Role::Admin).await;
    let manager = app.user(Role::Manager).await;
    let viewer = app.user(Role::Viewer).await;
    let member = app.user(Role::Contributor).await;
    let team = app
        .call(
            "POST",
            "/api/v1/teams",
            Some(&admin.access),
            Some(json!({"name": "Ports desk"})),
        )
        .await;
    assert_eq!(team.status, StatusCode::CREATED);
    let path = format!("/api/v1/teams/{}", team.body["id"].as_str().expect("id"));
    let put = app
        .call(
            "PUT",
            &format!("{path}/members/{}", member.id),
            Some(&admin.access),
            Some(json!({"role": "member"})),
        )
        .await;
    assert_eq!(put.status, StatusCode::OK);

    let seen_by_viewer = app.call("GET", &path, Some(&viewer.access), None).await;
    assert_eq!(seen_by_viewer.status, StatusCode::OK);
    let members = seen_by_viewer.body["members"].as_array().expect("members");
    assert_eq!(members.len(), 1);
    assert_eq!(members[0]["user_id"], json!(member.id));
    assert!(members[0].get("email").is_none(), "{members:?}");
    assert!(!seen_by_viewer.text.contains(&member.email));

    let seen_by_manager = app.call("GET", &path, Some(&manager.access), None).await;
    assert_eq!(
        seen_by_manager.body["members"][0]["email"],
        json!(member.email)
    );
}

#[actix_web::test]
async fn figures_per_report_list_reports_without_items() {
    let app = TestApp::spawn().await;
    let manager = app.user(Role::Manager).await;
    let m = Some(manager.access.as_str());
    let empty = app
        .call(
            "POST",
            "/api/v1/reports",
            m,
            Some(json!({"key": "empty-2026", "title": "Nothing imported yet"})),
        )
        .await;
    assert_eq!(empty.status, StatusCode::CREATED);
    let by_report = app.call("GET", "/api/v1/stats/by-report", m, None).await;
    assert_eq!(by_report.status, StatusCode::OK);
    let row = by_report
        .body
        .as_array()
        .expect("groups")
        .iter()
        .find(|g| g["key"] == "empty-2026")
        .expect("the empty report is listed")
        .clone();
    assert_eq!(row["total"], 0);
    assert_eq!(row["kind"], "report");
    assert_eq!(row["label"], "Nothing imported yet");
    assert_eq!(row["by_status"]["not_started"], 0);
    assert_eq!(row["oldest_stalled"], json!(null));
    // Scoped to that report, it is the one row.
    let id = empty.body["id"].as_str().expect("id");
    let scoped = app
        .call(
            "GET",
            &format!("/api/v1/stats/by-report?report={id}"),
            m,
            None,
        )
        .await;
    let rows = scoped.body.as_array().expect("groups");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["key"], "empty-2026");
}

#[actix_web::test]
async fn filters_take_report_keys_emails_me_and_team_names() {
    let app = TestApp::spawn().await;
    let admin = app.user(Role::Admin).await;
    let manager = app.user(Role::Manager).await;
    let owner = app.user(Role::Contributor).await;
    let m = Some(manager.access.as_str());
    let report = app
        .call(
            "POST",
            "/api/v1/reports",
            m,
            Some(json!({"key": "keyed-2026", "title": "Found by key"})),
        )
        .await;
    let report_id = report.body["id"].as_str().expect("id").to_owned();
    let mut items = Vec::new();
    for title in ["Owned by a person", "Owned by a team", "Owned by nobody"] {
        let item = app
            .call(
                "POST",
                "/api/v1/recommendations",
                m,
                Some(json!({"report_id": report_id, "title": title})),
            )
            .await;
        assert_eq!(item.status, StatusCode::CREATED, "{}", item.text);
        items.push(item.body["id"].as_str().expect("id").to_owned());
    }
    let (person_item, team_item) = (items[0].clone(), items[1].clone());
    let owned = app
        .call(
            "PUT",
            &format!(
                "/api/v1/recommendations/{person_item}/owners/users/{}",
                owner.id
            ),
            m,
            Some(json!({"kind": "responsible"})),
        )
        .await;
    assert_eq!(owned.status, StatusCode::NO_CONTENT, "{}", owned.text);
    let team = app
        .call(
            "POST",
            "/api/v1/teams",
            Some(&admin.access),
            Some(json!({"name": "Rail Desk"})),
        )
        .await;
    let team_id = team.body["id"].as_str().expect("id").to_owned();
    let owned = app
        .call(
            "PUT",
            &format!("/api/v1/recommendations/{team_item}/owners/teams/{team_id}"),
            m,
            Some(json!({"kind": "responsible"})),
        )
        .await;
    assert_eq!(owned.status, StatusCode::NO_CONTENT, "{}", owned.text);

    let keys = |reply: &crate::helpers::Reply| -> Vec<String> {
        reply.body["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|i| i["key"].as_str().expect("key").to_owned())
            .collect()
    };
    let by_key = app
        .call("GET", "/api/v1/recommendations?report=keyed-2026", m, None)
        .await;
    assert_eq!(
        keys(&by_key),
        vec!["keyed-2026/01", "keyed-2026/02", "keyed-2026/03"]
    );
    let by_email = app
        .call(
            "GET",
            &format!(
                "/api/v1/recommendations?report=keyed-2026&owner={}",
                owner.email.to_uppercase()
            ),
            m,
            None,
        )
        .await;
    assert_eq!(keys(&by_email), vec!["keyed-2026/01"]);
    let mine = app
        .call(
            "GET",
            "/api/v1/recommendations?owner=me",
            Some(&owner.access),
            None,
        )
        .await;
    assert_eq!(keys(&mine), vec!["keyed-2026/01"]);
    let by_team = app
        .call("GET", "/api/v1/recommendations?team=rail%20desk", m, None)
        .await;
    assert_eq!(keys(&by_team), vec!["keyed-2026/02"]);

    // The figures take the same names, and `me` is each caller's own.
    let mine = app
        .call(
            "GET",
            "/api/v1/stats/summary?owner=me",
            Some(&owner.access),
            None,
        )
        .await;
    assert_eq!(mine.body["total"], 1);
    let managers = app
        .call("GET", "/api/v1/stats/summary?owner=me", m, None)
        .await;
    assert_eq!(managers.body["total"], 0);
    let by_report = app
        .call("GET", "/api/v1/stats/summary?report=keyed-2026", m, None)
        .await;
    assert_eq!(by_report.body["total"], 3);

    // Names that name nothing are refused, naming the parameter, and change nothing.
    for (query, field) in [
        ("report=no-such-report", "report"),
        ("owner=nobody@example.org", "owner"),
        ("owner=not-an-address", "owner"),
        ("team=No%20such%20team", "team"),
    ] {
        for path in ["/api/v1/recommendations", "/api/v1/stats/summary"] {
            let refused = app.call("GET", &format!("{path}?{query}"), m, None).await;
            assert_eq!(
                refused.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{path}?{query}"
            );
            assert_eq!(refused.body["type"], "urn:recotrack:problem:validation");
            assert_eq!(refused.body["field"], field, "{path}?{query}");
        }
    }
    let token = app.api_token(&admin, Role::Viewer).await;
    let tokens_me = app
        .call(
            "GET",
            "/api/v1/recommendations?owner=me",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(tokens_me.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(tokens_me.body["field"], "owner");
}

/// Every 201 names the resource it made in `Location`, and that URL reads it back.
#[actix_web::test]
async fn every_create_answers_with_a_location_that_reads_back_what_it_made() {
    let app = TestApp::spawn().await;
    let admin = app.user(Role::Admin).await;
    let manager = app.user(Role::Manager).await;
    let a = Some(admin.access.as_str());
    let m = Some(manager.access.as_str());

    async fn made(
        app: &TestApp,
        token: Option<&str>,
        path: &str,
        body: serde_json::Value,
    ) -> (String, serde_json::Value) {
        let reply = app.call("POST", path, token, Some(body)).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{path}: {}", reply.text);
        let location = reply
            .header("location")
            .unwrap_or_else(|| panic!("{path}: no Location"))
            .to_owned();
        (location, reply.body)
    }
    async fn reads_back(
        app: &TestApp,
        token: Option<&str>,
        location: &str,
        id: &serde_json::Value,
    ) {
        let read = app.call("GET", location, token, None).await;
        assert_eq!(read.status, StatusCode::OK, "{location}: {}", read.text);
        assert_eq!(&read.body["id"], id, "{location}");
    }

    let (at, team) = made(&app, a, "/api/v1/teams", json!({"name": "Located"})).await;
    assert_eq!(
        at,
        format!("/api/v1/teams/{}", team["id"].as_str().expect("id"))
    );
    reads_back(&app, a, &at, &team["id"]).await;

    let (at, user) = made(
        &app,
        a,
        "/api/v1/users",
        json!({"email": "located@example.org", "display_name": "Located", "role": "viewer"}),
    )
    .await;
    assert_eq!(
        at,
        format!("/api/v1/users/{}", user["id"].as_str().expect("id"))
    );
    reads_back(&app, a, &at, &user["id"]).await;

    let (at, token) = made(
        &app,
        a,
        "/api/v1/tokens",
        json!({"name": "wallboard", "role": "viewer"}),
    )
    .await;
    assert_eq!(
        at,
        format!("/api/v1/tokens/{}", token["id"].as_str().expect("id"))
    );
    let read = app.call("GET", &at, a, None).await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.text);
    assert_eq!(read.body["name"], "wallboard");
    assert!(
        !read
            .text
            .contains(token["token_secret"].as_str().expect("secret")),
        "the secret is shown once"
    );

    let (at, report) = made(
        &app,
        m,
        "/api/v1/reports",
        json!({"key": "located", "title": "Located"}),
    )
    .await;
    let report_id = report["id"].as_str().expect("id").to_owned();
    assert_eq!(at, format!("/api/v1/reports/{report_id}"));
    reads_back(&app, m, &at, &report["id"]).await;

    let import = format!("/api/v1/reports/{report_id}/import");
    let preview = app
        .call(
            "POST",
            &import,
            m,
            Some(json!({"text": "1. Build the port.\n2. Train the crews.\n"})),
        )
        .await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.text);
    let (at, imported) = made(&app, m, &import, json!({"points": preview.body["points"]})).await;
    assert_eq!(at, format!("/api/v1/reports/{report_id}/recommendations"));
    let listed = app.call("GET", &at, m, None).await;
    assert_eq!(listed.status, StatusCode::OK);
    let keys: Vec<&serde_json::Value> = listed.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| &item["key"])
        .collect();
    let made_keys: Vec<&serde_json::Value> = imported["created"]
        .as_array()
        .expect("created")
        .iter()
        .collect();
    assert!(!keys.is_empty());
    assert_eq!(keys, made_keys, "the Location lists what the import made");
    let (at, item) = made(
        &app,
        m,
        "/api/v1/recommendations",
        json!({"report_id": report_id, "title": "Open the corridor"}),
    )
    .await;
    let item_id = item["id"].as_str().expect("id").to_owned();
    assert_eq!(at, format!("/api/v1/recommendations/{item_id}"));
    reads_back(&app, m, &at, &item["id"]).await;

    let (at, comment) = made(
        &app,
        m,
        &format!("/api/v1/recommendations/{item_id}/comments"),
        json!({"body": "Started"}),
    )
    .await;
    assert_eq!(
        at,
        format!("/api/v1/comments/{}", comment["id"].as_str().expect("id"))
    );
    reads_back(&app, m, &at, &comment["id"]).await;

    let (at, evidence) = made(
        &app,
        m,
        &format!("/api/v1/recommendations/{item_id}/evidence"),
        json!({"kind": "url", "title": "Opened", "url": "https://example.org/opened"}),
    )
    .await;
    assert_eq!(
        at,
        format!("/api/v1/evidence/{}", evidence["id"].as_str().expect("id"))
    );
    reads_back(&app, m, &at, &evidence["id"]).await;

    let (at, target) = made(
        &app,
        m,
        &format!("/api/v1/recommendations/{item_id}/targets"),
        json!({"text": "Two corridors"}),
    )
    .await;
    assert_eq!(
        at,
        format!("/api/v1/targets/{}", target["id"].as_str().expect("id"))
    );
    reads_back(&app, m, &at, &target["id"]).await;
}

/// Lists count as the caller prefers (PostgREST's `Prefer: count=`), and say what they did.
#[actix_web::test]
async fn lists_count_exactly_by_estimate_or_not_at_all_as_the_caller_prefers() {
    use diesel::RunQueryDsl;
    let app = TestApp::spawn().await;
    let manager = app.user(Role::Manager).await;
    let m = Some(manager.access.as_str());
    let report = app
        .call(
            "POST",
            "/api/v1/reports",
            m,
            Some(json!({"key": "counted", "title": "Counted"})),
        )
        .await;
    let report = report.body["id"].as_str().expect("id").to_owned();
    // More than the 10,000 the list once stopped counting at, written straight to the table.
    diesel::sql_query(format!(
        "INSERT INTO recommendations (id, report_id, key, ordinal, title, body) \
         SELECT gen_random_uuid(), '{report}', 'counted/' || n, n, 'Item ' || n, 'Do item ' || n \
         FROM generate_series(1, 10050) n"
    ))
    .execute(&mut app.db.connect())
    .expect("items inserted");
    diesel::sql_query("ANALYZE recommendations")
        .execute(&mut app.db.connect())
        .expect("analyzed");
    let path = "/api/v1/recommendations?report=counted&limit=2";
    let list = |prefer: &'static str| {
        let app = &app;
        async move {
            let extra: Vec<(&str, &str)> = if prefer.is_empty() {
                vec![]
            } else {
                vec![("prefer", prefer)]
            };
            let reply = app.call_with("GET", path, m, None, &extra).await;
            assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
            assert_eq!(reply.body["items"].as_array().expect("items").len(), 2);
            assert_eq!(
                reply.header("vary"),
                Some("Accept, Prefer"),
                "caches keep the counts and the CSV apart"
            );
            reply
        }
    };

    let exact = list("count=exact").await;
    assert_eq!(exact.body["total"], 10050);
    assert_eq!(exact.body["total_kind"], "exact");
    assert_eq!(exact.header("x-total-count"), Some("10050"));
    assert_eq!(exact.header("x-total-count-kind"), Some("exact"));
    assert_eq!(exact.header("preference-applied"), Some("count=exact"));

    // The default is the planner's estimate, current after ANALYZE.
    let planned = list("").await;
    assert_eq!(planned.body["total_kind"], "planned");
    assert_eq!(planned.header("preference-applied"), Some("count=planned"));
    assert_eq!(planned.header("x-total-count-kind"), Some("planned"));
    let estimate = planned.body["total"].as_i64().expect("a number");
    assert!(
        (9_000..=11_000).contains(&estimate),
        "estimate {estimate} is near 10050"
    );

    let none = list("count=none").await;
    assert_eq!(none.body["total"], serde_json::Value::Null);
    assert_eq!(none.body["total_kind"], "none");
    assert_eq!(none.header("x-total-count"), None);
    assert_eq!(none.header("preference-applied"), Some("count=none"));

    // Among other preferences, in any case; an unknown value is ignored (RFC 7240).
    let mixed = list("return=minimal, Count=EXACT").await;
    assert_eq!(mixed.header("preference-applied"), Some("count=exact"));
    assert_eq!(mixed.body["total"], 10050);
    let unknown = list("count=everything").await;
    assert_eq!(unknown.header("preference-applied"), Some("count=planned"));

    // A first page that holds the whole list is exact whatever was asked: nothing to estimate.
    let small = app
        .call(
            "GET",
            "/api/v1/recommendations?report=counted&q=%22Do%20item%2010050%22",
            m,
            None,
        )
        .await;
    assert_eq!(small.status, StatusCode::OK, "{}", small.text);
    assert_eq!(small.body["total"], 1);
    assert_eq!(small.body["total_kind"], "exact");
    assert_eq!(small.header("x-total-count"), Some("1"));
}

/// Oversized bodies as curl sends them (`Expect: 100-continue`, chunked or not), with and
/// without `Idempotency-Key`: always a problem document.
#[actix_web::test]
async fn oversized_bodies_from_curl_get_a_problem_document_through_every_middleware() {
    let app = TestApp::spawn().await;
    let manager = app.user(Role::Manager).await;
    let file = tempfile::NamedTempFile::new().expect("temp file");
    let body = json!({"key": "huge", "title": "x".repeat(2 << 20)}).to_string();
    std::fs::write(file.path(), body).expect("body written");
    let data = format!("@{}", file.path().display());
    let url = format!("{}/api/v1/reports", app.address);
    let auth = format!("authorization: Bearer {}", manager.access);
    for extra in [
        vec![],
        vec!["-H", "idempotency-key: huge-1"],
        vec!["-H", "transfer-encoding: chunked"],
        vec![
            "-H",
            "transfer-encoding: chunked",
            "-H",
            "idempotency-key: huge-2",
        ],
    ] {
        let out = tokio::process::Command::new("curl")
            .args([
                "-sS",
                "--max-time",
                "20",
                "-o",
                "-",
                "-w",
                "\n%{http_code} %{content_type}",
            ])
            .args([
                "-H",
                &auth,
                "-H",
                "content-type: application/json",
                "--data-binary",
                &data,
            ])
            .args(&extra)
            .arg(&url)
            .output()
            .await
            .expect("curl runs");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let last = text.lines().last().unwrap_or_default();
        assert_eq!(last, "413 application/problem+json", "{extra:?}: {text}");
        assert!(
            text.contains("urn:recotrack:problem:payload-too-large"),
            "{extra:?}: {text}"
        );
    }
}

/// The figures as a spreadsheet takes them: `Accept: text/csv` on every stats endpoint.
#[actix_web::test]
async fn every_figure_comes_as_csv_for_a_caller_that_asks_for_it() {
    let app = TestApp::spawn().await;
    let manager = app.user(Role::Manager).await;
    let m = Some(manager.access.as_str());
    for (key, items) in [("tabled", 2), ("untouched", 0)] {
        let report = app
            .call(
                "POST",
                "/api/v1/reports",
                m,
                Some(json!({"key": key, "title": format!("=Report {key}")})),
            )
            .await;
        let id = report.body["id"].as_str().expect("id").to_owned();
        for n in 0..items {
            let made = app
                .call("POST", "/api/v1/recommendations", m,
                    Some(json!({"report_id": id, "title": format!("Item {n}"), "themes": ["trade", "green"]})))
                .await;
            assert_eq!(made.status, StatusCode::CREATED, "{}", made.text);
        }
    }
    let csv = |path: &'static str| {
        let app = &app;
        async move {
            let reply = app
                .call_with("GET", path, m, None, &[("accept", "text/csv")])
                .await;
            assert_eq!(reply.status, StatusCode::OK, "{path}: {}", reply.text);
            assert_eq!(
                reply.content_type, "text/csv; charset=utf-8; header=present",
                "{path}"
            );
            assert_eq!(reply.header("vary"), Some("Accept"), "{path}");
            let text = reply
                .text
                .strip_prefix('\u{feff}')
                .expect("a byte-order mark")
                .to_owned();
            let mut reader = csv::Reader::from_reader(text.as_bytes());
            let header: Vec<String> = reader
                .headers()
                .expect("header")
                .iter()
                .map(str::to_owned)
                .collect();
            let rows: Vec<Vec<String>> = reader
                .records()
                .map(|r| r.expect("record").iter().map(str::to_owned).collect())
                .collect();
            (header, rows, reply.header("etag").map(str::to_owned))
        }
    };
    let column = |header: &[String], name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("{name} in {header:?}"))
    };

    let (header, rows, tag) = csv("/api/v1/stats/by-report").await;
    assert_eq!(&header[..5], ["key", "label", "kind", "id", "total"]);
    assert!(
        header.contains(&"by_status.not_started".to_owned()),
        "{header:?}"
    );
    let row = |key: &str| {
        rows.iter()
            .find(|r| r[0] == key)
            .unwrap_or_else(|| panic!("{key} in {rows:?}"))
            .clone()
    };
    assert_eq!(row("tabled")[column(&header, "total")], "2");
    assert_eq!(row("tabled")[column(&header, "by_status.not_started")], "2");
    assert_eq!(
        row("tabled")[column(&header, "label")],
        "'=Report tabled",
        "no formula reaches a spreadsheet"
    );
    assert_eq!(
        row("untouched")[column(&header, "total")],
        "0",
        "empty reports too"
    );
    assert_eq!(row("tabled")[column(&header, "kind")], "report");
    // The CSV has its own ETag; polling it gets 304 like the JSON.
    let again = app
        .call_with(
            "GET",
            "/api/v1/stats/by-report",
            m,
            None,
            &[
                ("accept", "text/csv"),
                ("if-none-match", tag.as_deref().expect("etag")),
            ],
        )
        .await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    let json = app.call("GET", "/api/v1/stats/by-report", m, None).await;
    assert_eq!(
        json.content_type, "application/json",
        "JSON stays the default"
    );

    let (header, rows, _) = csv("/api/v1/stats/summary").await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0][column(&header, "total")], "2");
    let (header, rows, _) = csv("/api/v1/stats/by-theme").await;
    let themes: Vec<&str> = rows
        .iter()
        .map(|r| r[column(&header, "key")].as_str())
        .collect();
    assert_eq!(themes, ["green", "trade"]);
    let (header, rows, _) =
        csv("/api/v1/stats/timeline?interval=day&from=2026-01-01&to=2026-01-03").await;
    assert_eq!(&header[..3], ["start", "end", "total"]);
    assert_eq!(
        rows.iter().map(|r| r[0].as_str()).collect::<Vec<_>>(),
        ["2026-01-01", "2026-01-02", "2026-01-03"]
    );
    let (header, rows, _) = csv("/api/v1/stats/cycle-times").await;
    assert_eq!(header[0], "measure");
    assert_eq!(rows[0][0], "accepted_to_implemented");
    assert!(
        rows.iter().any(|r| r[0] == "time_in_not_started"),
        "{rows:?}"
    );
}

/// What the document says of `limit` holds on every path that takes it, exports included.
#[actix_web::test]
async fn a_limit_out_of_range_is_refused_by_exports_too() {
    let app = TestApp::spawn().await;
    let viewer = app.user(Role::Viewer).await;
    let v = Some(viewer.access.as_str());
    for path in [
        "/api/v1/recommendations.csv?limit=0",
        "/api/v1/recommendations?limit=201",
        "/api/v1/recommendations?limit=0",
    ] {
        let reply = app
            .call_with("GET", path, v, None, &[("accept", "text/csv")])
            .await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{path}: {}",
            reply.text
        );
        assert_eq!(reply.body["field"], "limit", "{path}");
    }
}

/// `curl -I` on every GET route of the document answers as GET does (never 405), ids that name
/// nothing included.
#[actix_web::test]
async fn curl_head_works_on_every_get_route_in_the_document() {
    let app = TestApp::spawn().await;
    let admin = app.user(Role::Admin).await;
    let document = serde_json::to_value(recotrack::http::openapi::document(
        recotrack::http::openapi::LOCAL_BASE_URL,
    ))
    .expect("document");
    let mut checked = 0;
    for (path, item) in document["paths"].as_object().expect("paths") {
        if item.get("get").is_none() {
            continue;
        }
        let concrete: String = path
            .split('/')
            .map(|part| {
                if part.starts_with('{') {
                    "00000000-0000-4000-8000-000000000000"
                } else {
                    part
                }
            })
            .collect::<Vec<_>>()
            .join("/");
        let get = app.call("GET", &concrete, Some(&admin.access), None).await;
        let (status, headers) = curl_head(
            &format!("{}{concrete}", app.address),
            Some(&admin.access),
            &[],
        )
        .await;
        assert_ne!(status, 405, "HEAD {concrete}");
        assert_eq!(
            status,
            get.status.as_u16(),
            "HEAD {concrete} answers as GET does"
        );
        assert_eq!(
            header(&headers, "content-type"),
            get.header("content-type"),
            "HEAD {concrete}"
        );
        checked += 1;
    }
    assert_eq!(checked, 50, "every GET route of the document was tried");
}

/// DELETE removes what it names, except an API token: revoking one keeps it readable, with
/// `revoked_at`, as the audit trail of who could read the API when (the fuzzer's
/// "deleted resource still available" check is off for that reason; this test holds both).
#[actix_web::test]
async fn delete_removes_evidence_but_a_revoked_token_stays_on_record() {
    let app = TestApp::spawn().await;
    let manager = app.user(Role::Manager).await;
    let admin = app.user(Role::Admin).await;
    let report = app.new_report(&manager, "deletes").await;
    let item = app.new_item(&manager, &report, "Deleted things").await;
    let evidence = app
        .call(
            "POST",
            &format!("/api/v1/recommendations/{item}/evidence"),
            Some(&manager.access),
            Some(
                json!({"kind": "statement", "title": "Minutes", "excerpt": "Agreed.",
                        "source": "Board minutes", "rationale": "It says so.",
                        "relevance": "shows_progress"}),
            ),
        )
        .await;
    assert_eq!(evidence.status, StatusCode::CREATED, "{}", evidence.text);
    let path = format!(
        "/api/v1/evidence/{}",
        evidence.body["id"].as_str().expect("id")
    );
    let deleted = app.call("DELETE", &path, Some(&manager.access), None).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.text);
    assert_eq!(
        app.get_as(&manager, &path).await.status,
        StatusCode::NOT_FOUND
    );

    let token = app
        .call(
            "POST",
            "/api/v1/tokens",
            Some(&admin.access),
            Some(json!({"name": "dashboard", "role": "viewer"})),
        )
        .await;
    assert_eq!(token.status, StatusCode::CREATED, "{}", token.text);
    let secret = token.body["token_secret"]
        .as_str()
        .expect("secret")
        .to_owned();
    let path = format!("/api/v1/tokens/{}", token.body["id"].as_str().expect("id"));
    let revoked = app.call("DELETE", &path, Some(&admin.access), None).await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT, "{}", revoked.text);
    let on_record = app.get_as(&admin, &path).await;
    assert_eq!(on_record.status, StatusCode::OK, "{}", on_record.text);
    assert!(
        on_record.body["revoked_at"].is_string(),
        "{}",
        on_record.text
    );
    let refused = app
        .call("GET", "/api/v1/reports", Some(&secret), None)
        .await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
}

/// A body in array form (`[null, null]`, which serde would read field by field) is refused
/// with a problem document and changes nothing, on creates, changes and sign-in alike.
#[actix_web::test]
async fn a_body_that_is_an_array_instead_of_an_object_is_refused_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let manager = app.user(Role::Manager).await;
    let report = app.new_report(&manager, "array-2026").await;
    let item = app.new_item(&manager, &report, "Kept as it was").await;
    let view = app
        .call(
            "POST",
            "/api/v1/views",
            Some(&manager.access),
            Some(json!({"name": "Kept", "criteria": {"overdue": true}})),
        )
        .await;
    assert_eq!(view.status, StatusCode::CREATED, "{}", view.text);
    let view = view.body["id"].as_str().expect("view id").to_owned();
    for (method, path, body) in [
        (
            "PATCH",
            format!("/api/v1/views/{view}"),
            json!([null, null]),
        ),
        (
            "PATCH",
            format!("/api/v1/views/{view}"),
            json!(["Renamed", null, null]),
        ),
        (
            "POST",
            "/api/v1/views".to_owned(),
            json!(["Positional", {"overdue": true}, null]),
        ),
        (
            "PATCH",
            format!("/api/v1/recommendations/{item}"),
            json!(["Retitled"]),
        ),
        (
            "POST",
            "/api/v1/auth/login".to_owned(),
            json!([manager.email, "x"]),
        ),
    ] {
        let reply = app
            .call(method, &path, Some(&manager.access), Some(body.clone()))
            .await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{method} {path} {body}: {}",
            reply.text
        );
        assert_eq!(
            reply.headers.get("content-type").map(String::as_str),
            Some("application/problem+json"),
            "{method} {path}"
        );
        assert!(
            reply.text.contains("expected a JSON object"),
            "{method} {path}: {}",
            reply.text
        );
    }
    let kept = app.get_as(&manager, &format!("/api/v1/views/{view}")).await;
    assert_eq!(kept.body["name"], "Kept");
    let views = app.get_as(&manager, "/api/v1/views").await;
    assert_eq!(views.body.as_array().map(Vec::len), Some(1));
    let item = app
        .get_as(&manager, &format!("/api/v1/recommendations/{item}"))
        .await;
    assert_eq!(item.body["title"], "Kept as it was");
}
