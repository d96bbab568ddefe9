//! Every protected operation of the OpenAPI document, called by every kind of caller. The
//! expected answer follows from the operation's declared minimum role, so a new route is covered
//! the moment it is documented. Refused calls must leave the database exactly as it was.

use actix_web::http::StatusCode;
use diesel::sql_types::Text;
use diesel::{PgConnection, QueryableByName, RunQueryDsl};
use recotrack::db::enums::Role;

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
    path: String,
    required: Role,
}

fn protected_operations() -> Vec<Operation> {
    let document = serde_json::to_value(recotrack::http::openapi::document()).expect("json");
    let mut operations = Vec::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("path item") {
            let Some(role) = operation["security"][0]["bearer"][0].as_str() else {
                continue; // public: login, refresh, probes
            };
            let required: Role = serde_json::from_value(role.into()).expect("a role name");
            let concrete = path
                .split('/')
                .map(|segment| {
                    if segment.starts_with('{') {
                        uuid::Uuid::new_v4().to_string()
                    } else {
                        segment.to_owned()
                    }
                })
                .collect::<Vec<_>>()
                .join("/");
            operations.push(Operation {
                method: method.to_uppercase(),
                path: concrete,
                required,
            });
        }
    }
    // Signing out ends the caller's session, so it goes last.
    operations.sort_by_key(|op| op.path.ends_with("/auth/logout"));
    operations
}

#[actix_web::test]
async fn every_operation_admits_exactly_its_roles() {
    let app = TestApp::spawn().await;
    let admin = app.user(Role::Admin).await;
    let callers: Vec<(&str, Option<Role>, Option<String>, bool)> = vec![
        ("anonymous", None, None, false),
        (
            "viewer",
            Some(Role::Viewer),
            Some(app.user(Role::Viewer).await.access),
            false,
        ),
        (
            "contributor",
            Some(Role::Contributor),
            Some(app.user(Role::Contributor).await.access),
            false,
        ),
        (
            "manager",
            Some(Role::Manager),
            Some(app.user(Role::Manager).await.access),
            false,
        ),
        (
            "admin",
            Some(Role::Admin),
            Some(admin.access.clone()),
            false,
        ),
        (
            "read-only API token",
            Some(Role::Viewer),
            Some(app.api_token(&admin, Role::Viewer).await),
            true,
        ),
    ];
    // First use of a token records `last_used_at`; do it before taking the fingerprint.
    for (_, _, token, _) in &callers {
        app.call("GET", "/api/v1/me", token.as_deref(), None).await;
    }
    let operations = protected_operations();
    assert!(
        operations.len() >= 12,
        "only {} protected operations found",
        operations.len()
    );

    let mut conn = app.db.connect();
    let before = fingerprint(&mut conn);
    let mut failures = Vec::new();
    let mut checked = 0;
    for op in &operations {
        let logout = op.path.ends_with("/auth/logout");
        if logout {
            assert_eq!(
                fingerprint(&mut conn),
                before,
                "a refused or empty request changed data"
            );
        }
        for (name, role, token, is_api_token) in &callers {
            let body = matches!(op.method.as_str(), "POST" | "PUT" | "PATCH")
                .then(|| serde_json::json!({}));
            let reply = app.call(&op.method, &op.path, token.as_deref(), body).await;
            let allowed = role.is_some_and(|r| r.at_least(op.required));
            let ok = match role {
                None => reply.status == StatusCode::UNAUTHORIZED,
                // API tokens have no session to end.
                Some(_) if logout && *is_api_token => reply.status == StatusCode::FORBIDDEN,
                Some(_) if allowed => {
                    reply.status != StatusCode::UNAUTHORIZED
                        && reply.status != StatusCode::FORBIDDEN
                }
                Some(_) => reply.status == StatusCode::FORBIDDEN,
            };
            if !ok {
                failures.push(format!(
                    "{} {} as {name}: {}",
                    op.method, op.path, reply.status
                ));
            }
            if reply.status.is_client_error() && reply.content_type != "application/problem+json" {
                failures.push(format!(
                    "{} {} as {name}: not a problem document",
                    op.method, op.path
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
