//! Every protected operation of the OpenAPI document, called by every kind of caller. The
//! expected answer follows from the operation's declared minimum role, so a new route is covered
//! the moment it is documented. Refused calls must leave the database exactly as it was.

use actix_web::http::StatusCode;
use diesel::sql_types::Text;
use diesel::{PgConnection, QueryableByName, RunQueryDsl};
use recotrack::db::enums::Role;
use serde_json::json;

use crate::helpers::TestApp;

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = Text)]
    value: String,
}

/// A digest of every row of every table.
fn fingerprint(conn: &mut PgConnection) -> String {
    let tables: Vec<Row> = diesel::sql_query(
        "SELECT table_name::text AS value FROM information_schema.tables \
         WHERE table_schema = 'public' ORDER BY table_name",
    )
    .load(conn)
    .expect("tables");
    tables
        .iter()
        .map(|t| {
            let sql = format!(
                "SELECT '{0}:' || md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) AS value \
                 FROM \"{0}\" t",
                t.value
            );
            diesel::sql_query(sql).get_result::<Row>(conn).expect("digest").value
        })
        .collect::<Vec<_>>()
        .join(",")
}

struct Operation {
    method: String,
    template: String,
    required: Role,
    example: Option<serde_json::Value>,
    /// Documented as for "a signed-in user": API tokens are refused.
    user_only: bool,
}

fn protected_operations() -> Vec<Operation> {
    let document = serde_json::to_value(recotrack::http::openapi::document(
        recotrack::http::openapi::LOCAL_BASE_URL,
    ))
    .expect("json");
    let schemas = document["components"]["schemas"].clone();
    let mut operations = Vec::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("path item") {
            let Some(role) = operation["security"][0]["bearer"][0].as_str() else {
                continue; // public: login, refresh, probes
            };
            let required: Role = serde_json::from_value(role.into()).expect("a role name");
            // The documented example body, so callers who may act get past body validation.
            let reference =
                operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].as_str();
            let example = reference
                .and_then(|r| r.rsplit('/').next())
                .and_then(|name| schemas[name]["example"].as_object().cloned())
                .map(serde_json::Value::Object);
            let user_only = operation["description"]
                .as_str()
                .is_some_and(|d| d.contains("a signed-in user"));
            operations.push(Operation {
                method: method.to_uppercase(),
                template: path.clone(),
                required,
                example,
                user_only,
            });
        }
    }
    // Signing out ends the caller's session, so it goes last.
    operations.sort_by_key(|op| op.template.ends_with("/auth/logout"));
    operations
}

/// Item-level operations where a contributor must also own the item.
fn needs_ownership(op: &Operation) -> bool {
    op.required == Role::Contributor
        && (op.template.starts_with("/api/v1/recommendations/{id}")
            || op.template.starts_with("/api/v1/evidence/{id}"))
}

struct Caller {
    name: &'static str,
    role: Option<Role>,
    token: Option<String>,
    owns: bool,
    api_token: bool,
}

#[actix_web::test]
async fn every_operation_admits_exactly_its_roles() {
    let app = TestApp::spawn().await;
    let admin = app.user(Role::Admin).await;
    let manager = app.user(Role::Manager).await;
    let owner = app.user(Role::Contributor).await;
    let callers = vec![
        Caller {
            name: "anonymous",
            role: None,
            token: None,
            owns: false,
            api_token: false,
        },
        Caller {
            name: "viewer",
            role: Some(Role::Viewer),
            token: Some(app.user(Role::Viewer).await.access),
            owns: false,
            api_token: false,
        },
        Caller {
            name: "contributor-not-owner",
            role: Some(Role::Contributor),
            token: Some(app.user(Role::Contributor).await.access),
            owns: false,
            api_token: false,
        },
        Caller {
            name: "contributor-owner",
            role: Some(Role::Contributor),
            token: Some(owner.access.clone()),
            owns: true,
            api_token: false,
        },
        Caller {
            name: "manager",
            role: Some(Role::Manager),
            token: Some(manager.access.clone()),
            owns: false,
            api_token: false,
        },
        Caller {
            name: "admin",
            role: Some(Role::Admin),
            token: Some(admin.access.clone()),
            owns: false,
            api_token: false,
        },
        Caller {
            name: "read-only API token",
            role: Some(Role::Viewer),
            token: Some(app.api_token(&admin, Role::Viewer).await),
            owns: false,
            api_token: true,
        },
    ];
    // Real objects for the paths that name one: a report, an item the owner owns, its evidence.
    let report = app
        .call(
            "POST",
            "/api/v1/reports",
            Some(&manager.access),
            Some(json!({"key": "matrix", "title": "Matrix"})),
        )
        .await;
    let report_id = report.body["id"].as_str().expect("report").to_owned();
    let item = app
        .call(
            "POST",
            "/api/v1/recommendations",
            Some(&manager.access),
            Some(json!({"report_id": report_id, "title": "Matrix item"})),
        )
        .await;
    let item_id = item.body["id"].as_str().expect("item").to_owned();
    let owned = app
        .call(
            "PUT",
            &format!(
                "/api/v1/recommendations/{item_id}/owners/users/{}",
                owner.id
            ),
            Some(&manager.access),
            Some(json!({"kind": "responsible"})),
        )
        .await;
    assert_eq!(owned.status, StatusCode::NO_CONTENT);
    let evidence = app
        .call(
            "POST",
            &format!("/api/v1/recommendations/{item_id}/evidence"),
            Some(&owner.access),
            Some(json!({"kind": "statement", "title": "Matrix evidence"})),
        )
        .await;
    let evidence_id = evidence.body["id"].as_str().expect("evidence").to_owned();
    for caller in &callers {
        app.call("GET", "/api/v1/me", caller.token.as_deref(), None)
            .await;
    }

    let operations = protected_operations();
    assert!(
        operations.len() >= 38,
        "only {} protected operations found",
        operations.len()
    );
    let concrete = |template: &str| {
        let mut path = template
            .replace(
                "/api/v1/reports/{id}",
                &format!("/api/v1/reports/{report_id}"),
            )
            .replace(
                "/api/v1/recommendations/{id}",
                &format!("/api/v1/recommendations/{item_id}"),
            )
            .replace(
                "/api/v1/evidence/{id}",
                &format!("/api/v1/evidence/{evidence_id}"),
            );
        while let (Some(open), Some(close)) = (path.find('{'), path.find('}')) {
            path.replace_range(open..=close, &uuid::Uuid::new_v4().to_string());
        }
        path
    };
    let expect_refused = |op: &Operation, caller: &Caller| -> Option<StatusCode> {
        match caller.role {
            None => Some(StatusCode::UNAUTHORIZED),
            Some(role) if !role.at_least(op.required) => Some(StatusCode::FORBIDDEN),
            // API tokens have no session to end and receive no digests.
            Some(_) if op.user_only && caller.api_token => Some(StatusCode::FORBIDDEN),
            Some(role) if needs_ownership(op) && !role.at_least(Role::Manager) && !caller.owns => {
                Some(StatusCode::FORBIDDEN)
            }
            Some(_) => None,
        }
    };

    let mut conn = app.db.connect();
    let mut failures = Vec::new();
    let mut checked = 0;
    // Refused calls first: together they must leave every row of every table as it was.
    let before = fingerprint(&mut conn);
    for op in &operations {
        for caller in &callers {
            let Some(expected) = expect_refused(op, caller) else {
                continue;
            };
            let body = matches!(op.method.as_str(), "POST" | "PUT" | "PATCH")
                .then(|| op.example.clone().unwrap_or(json!({})));
            let reply = app
                .call(
                    &op.method,
                    &concrete(&op.template),
                    caller.token.as_deref(),
                    body,
                )
                .await;
            if reply.status != expected {
                failures.push(format!(
                    "{} {} as {}: {} (expected {expected})",
                    op.method, op.template, caller.name, reply.status
                ));
            }
            if reply.content_type != "application/problem+json" {
                failures.push(format!(
                    "{} {} as {}: not a problem document",
                    op.method, op.template, caller.name
                ));
            }
            checked += 1;
        }
    }
    assert_eq!(
        fingerprint(&mut conn),
        before,
        "a refused request changed data"
    );
    // Then the calls that must get past authorisation (they may still be 4xx for other reasons).
    for op in &operations {
        for caller in &callers {
            if expect_refused(op, caller).is_some() {
                continue;
            }
            let body = matches!(op.method.as_str(), "POST" | "PUT" | "PATCH")
                .then(|| op.example.clone().unwrap_or(json!({})));
            let reply = app
                .call(
                    &op.method,
                    &concrete(&op.template),
                    caller.token.as_deref(),
                    body,
                )
                .await;
            if reply.status == StatusCode::UNAUTHORIZED || reply.status == StatusCode::FORBIDDEN {
                failures.push(format!(
                    "{} {} as {}: {} (expected to be admitted)",
                    op.method, op.template, caller.name, reply.status
                ));
            }
            if reply.status.is_server_error() {
                failures.push(format!(
                    "{} {} as {}: {}",
                    op.method, op.template, caller.name, reply.status
                ));
            }
            checked += 1;
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {checked} calls wrong:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The single reads added with Location, against expectations written out here rather than
/// read from the document: a person's account and an API token are not everyone's to read.
#[actix_web::test]
async fn single_reads_of_accounts_and_tokens_admit_the_roles_written_here() {
    let app = TestApp::spawn().await;
    let admin = app.user(Role::Admin).await;
    let manager = app.user(Role::Manager).await;
    let contributor = app.user(Role::Contributor).await;
    let viewer = app.user(Role::Viewer).await;
    let created = app
        .call(
            "POST",
            "/api/v1/tokens",
            Some(&admin.access),
            Some(json!({"name": "dashboard", "role": "viewer"})),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let token_path = created.header("location").expect("Location").to_owned();
    let secret = created.body["token_secret"]
        .as_str()
        .expect("secret")
        .to_owned();
    let user_path = format!("/api/v1/users/{}", contributor.id);
    let expected = [
        (&user_path, "viewer", &viewer, StatusCode::FORBIDDEN),
        (
            &user_path,
            "contributor",
            &contributor,
            StatusCode::FORBIDDEN,
        ),
        (&user_path, "manager", &manager, StatusCode::OK),
        (&user_path, "admin", &admin, StatusCode::OK),
        (&token_path, "viewer", &viewer, StatusCode::FORBIDDEN),
        (
            &token_path,
            "contributor",
            &contributor,
            StatusCode::FORBIDDEN,
        ),
        (&token_path, "manager", &manager, StatusCode::FORBIDDEN),
        (&token_path, "admin", &admin, StatusCode::OK),
    ];
    for (path, name, caller, status) in expected {
        let reply = app.call("GET", path, Some(&caller.access), None).await;
        assert_eq!(reply.status, status, "{name} GET {path}: {}", reply.text);
        if status == StatusCode::OK && path == &token_path {
            assert_eq!(reply.body["name"], "dashboard");
            assert!(
                !reply.text.contains("token_secret") && !reply.text.contains(&secret),
                "a token's secret is shown once, at creation: {}",
                reply.text
            );
        }
    }
}
