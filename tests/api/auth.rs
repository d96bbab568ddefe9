use actix_web::http::StatusCode;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use recotrack::db::enums::Role;
use serde_json::json;

use crate::helpers::{PASSWORD, TEST_JWT_SECRET, TestApp};

fn claims(sub: uuid::Uuid, session: uuid::Uuid, aud: &str, exp_offset: i64) -> serde_json::Value {
    let now = chrono::Utc::now().timestamp();
    json!({
        "sub": sub, "jti": uuid::Uuid::new_v4(), "sid": session, "iss": "recotrack", "aud": aud,
        "iat": now, "nbf": now, "exp": now + exp_offset
    })
}

fn forge(alg: Algorithm, secret: &str, claims: &serde_json::Value) -> String {
    jsonwebtoken::encode(
        &Header::new(alg),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .expect("encode")
}

fn session_of(access: &str) -> uuid::Uuid {
    let payload = access.split('.').nth(1).expect("payload");
    let claims: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("base64")).expect("json");
    claims["sid"].as_str().expect("sid").parse().expect("uuid")
}

#[actix_web::test]
async fn a_user_signs_in_and_sees_themselves() {
    let app = TestApp::spawn().await;
    let user = app.user(Role::Manager).await;
    let me = app
        .call("GET", "/api/v1/me", Some(&user.access), None)
        .await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.text);
    assert_eq!(me.body["email"], user.email.as_str());
    assert_eq!(me.body["role"], "manager");
    assert_eq!(me.body["kind"], "user");
    assert_eq!(me.body["owned_items"], 0);
    assert!(
        !me.text.contains("argon2"),
        "password hash leaked: {}",
        me.text
    );
}

#[actix_web::test]
async fn emails_are_matched_without_regard_to_case() {
    let app = TestApp::spawn().await;
    let (_, email) = app.create_user(Role::Viewer);
    let reply = app.login_as(&email.to_uppercase(), PASSWORD).await;
    assert_eq!(reply.status, StatusCode::OK);
}

#[actix_web::test]
async fn a_wrong_password_and_an_unknown_email_look_the_same() {
    let app = TestApp::spawn().await;
    let (_, email) = app.create_user(Role::Viewer);
    let wrong = app.login_as(&email, "not the right passphrase").await;
    let unknown = app
        .login_as("nobody@example.org", "not the right passphrase")
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.status, unknown.status);
    assert_eq!(wrong.body, unknown.body);
    assert_eq!(wrong.content_type, "application/problem+json");
}

#[actix_web::test]
async fn forged_and_foreign_tokens_are_refused_with_401() {
    let app = TestApp::spawn().await;
    let user = app.user(Role::Admin).await;
    let sid = session_of(&user.access);
    let none_token = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#),
        URL_SAFE_NO_PAD.encode(claims(user.id, sid, "recotrack-api", 600).to_string())
    );
    let attacks = [
        (
            "expired",
            forge(
                Algorithm::HS256,
                TEST_JWT_SECRET,
                &claims(user.id, sid, "recotrack-api", -600),
            ),
        ),
        (
            "other audience",
            forge(
                Algorithm::HS256,
                TEST_JWT_SECRET,
                &claims(user.id, sid, "someone-else", 600),
            ),
        ),
        (
            "other key",
            forge(
                Algorithm::HS256,
                "another-secret-another-secret-another",
                &claims(user.id, sid, "recotrack-api", 600),
            ),
        ),
        (
            "other algorithm",
            forge(
                Algorithm::HS384,
                TEST_JWT_SECRET,
                &claims(user.id, sid, "recotrack-api", 600),
            ),
        ),
        ("alg none", none_token),
        ("garbage", "not.a.token".to_owned()),
        ("unknown API token", "rtk_0000".to_owned()),
    ];
    // The control: a correctly forged token with the real secret is accepted.
    let genuine = forge(
        Algorithm::HS256,
        TEST_JWT_SECRET,
        &claims(user.id, sid, "recotrack-api", 600),
    );
    assert_eq!(
        app.call("GET", "/api/v1/me", Some(&genuine), None)
            .await
            .status,
        StatusCode::OK
    );
    for (name, token) in attacks {
        let reply = app.call("GET", "/api/v1/me", Some(&token), None).await;
        assert_eq!(
            reply.status,
            StatusCode::UNAUTHORIZED,
            "{name} was accepted"
        );
        assert_eq!(
            reply.body["type"], "urn:recotrack:problem:unauthenticated",
            "{name}"
        );
        assert!(
            reply
                .header("www-authenticate")
                .is_some_and(|h| h.starts_with("Bearer")),
            "{name}"
        );
    }
    let anonymous = app.get("/api/v1/me").await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}

#[actix_web::test]
async fn refresh_tokens_rotate_and_a_reused_one_revokes_the_session() {
    let app = TestApp::spawn().await;
    let user = app.user(Role::Viewer).await;
    let first = app
        .call(
            "POST",
            "/api/v1/auth/refresh",
            None,
            Some(json!({"refresh_token": user.refresh})),
        )
        .await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    let new_access = first.body["access_token"]
        .as_str()
        .expect("access")
        .to_owned();
    let new_refresh = first.body["refresh_token"]
        .as_str()
        .expect("refresh")
        .to_owned();
    assert_ne!(new_refresh, user.refresh);
    assert_eq!(
        app.call("GET", "/api/v1/me", Some(&new_access), None)
            .await
            .status,
        StatusCode::OK
    );

    // The old refresh token again: refused, and the whole session with it.
    let reused = app
        .call(
            "POST",
            "/api/v1/auth/refresh",
            None,
            Some(json!({"refresh_token": user.refresh})),
        )
        .await;
    assert_eq!(reused.status, StatusCode::UNAUTHORIZED);
    let after = app
        .call(
            "POST",
            "/api/v1/auth/refresh",
            None,
            Some(json!({"refresh_token": new_refresh})),
        )
        .await;
    assert_eq!(
        after.status,
        StatusCode::UNAUTHORIZED,
        "the rotated token survived reuse detection"
    );
    assert_eq!(
        app.call("GET", "/api/v1/me", Some(&new_access), None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}

#[actix_web::test]
async fn logout_stops_the_access_and_refresh_tokens() {
    let app = TestApp::spawn().await;
    let user = app.user(Role::Contributor).await;
    let other_session = app.login_as(&user.email, PASSWORD).await;
    let other_access = other_session.body["access_token"]
        .as_str()
        .expect("access")
        .to_owned();
    let out = app
        .call("POST", "/api/v1/auth/logout", Some(&user.access), None)
        .await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.call("GET", "/api/v1/me", Some(&user.access), None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let refresh = app
        .call(
            "POST",
            "/api/v1/auth/refresh",
            None,
            Some(json!({"refresh_token": user.refresh})),
        )
        .await;
    assert_eq!(refresh.status, StatusCode::UNAUTHORIZED);
    // Another sign-in of the same user is a separate session and keeps working.
    assert_eq!(
        app.call("GET", "/api/v1/me", Some(&other_access), None)
            .await
            .status,
        StatusCode::OK
    );
}

#[actix_web::test]
async fn a_deactivated_users_tokens_stop_at_once() {
    let app = TestApp::spawn().await;
    let admin = app.user(Role::Admin).await;
    let user = app.user(Role::Contributor).await;
    assert_eq!(
        app.call("GET", "/api/v1/me", Some(&user.access), None)
            .await
            .status,
        StatusCode::OK
    );
    let patch = app
        .call(
            "PATCH",
            &format!("/api/v1/users/{}", user.id),
            Some(&admin.access),
            Some(json!({"active": false})),
        )
        .await;
    assert_eq!(patch.status, StatusCode::OK, "{}", patch.text);
    assert_eq!(patch.body["active"], false);
    assert_eq!(
        app.call("GET", "/api/v1/me", Some(&user.access), None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login_as(&user.email, PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[actix_web::test]
async fn failed_logins_are_rate_limited_per_account() {
    let app = TestApp::spawn().await;
    let (_, email) = app.create_user(Role::Viewer);
    for attempt in 1..=5 {
        let reply = app.login_as(&email, "wrong passphrase here").await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "attempt {attempt}");
    }
    let limited = app.login_as(&email, PASSWORD).await;
    assert_eq!(
        limited.status,
        StatusCode::TOO_MANY_REQUESTS,
        "even the right password waits"
    );
    assert_eq!(limited.body["type"], "urn:recotrack:problem:rate-limited");
    let retry: u64 = limited
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .expect("seconds");
    assert!((1..=900).contains(&retry));
    // Another account from the same client is not locked out by this one.
    let (_, other) = app.create_user(Role::Viewer);
    assert_eq!(app.login_as(&other, PASSWORD).await.status, StatusCode::OK);
}

#[actix_web::test]
async fn failed_logins_are_rate_limited_per_client() {
    let app = TestApp::spawn().await;
    for n in 0..20 {
        let reply = app
            .login_as(&format!("nobody{n}@example.org"), "wrong passphrase here")
            .await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    }
    let (_, email) = app.create_user(Role::Viewer);
    assert_eq!(
        app.login_as(&email, PASSWORD).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[actix_web::test]
async fn api_tokens_read_but_do_not_write_and_stop_when_revoked() {
    let app = TestApp::spawn().await;
    let admin = app.user(Role::Admin).await;
    let created = app
        .call(
            "POST",
            "/api/v1/tokens",
            Some(&admin.access),
            Some(json!({"name": "Board", "role": "viewer"})),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let secret = created.body["token_secret"]
        .as_str()
        .expect("secret")
        .to_owned();
    let id = created.body["id"].as_str().expect("id").to_owned();

    let me = app.call("GET", "/api/v1/me", Some(&secret), None).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["kind"], "token");
    assert_eq!(
        app.call("GET", "/api/v1/teams", Some(&secret), None)
            .await
            .status,
        StatusCode::OK
    );
    let write = app
        .call(
            "POST",
            "/api/v1/teams",
            Some(&secret),
            Some(json!({"name": "Nope"})),
        )
        .await;
    assert_eq!(write.status, StatusCode::FORBIDDEN);

    let listed = app
        .call("GET", "/api/v1/tokens", Some(&admin.access), None)
        .await;
    assert!(!listed.text.contains(&secret[4..]), "the secret is listed");
    assert!(
        listed.body[0]["last_used_at"].is_string(),
        "last use not recorded"
    );

    let admin_token = app
        .call(
            "POST",
            "/api/v1/tokens",
            Some(&admin.access),
            Some(json!({"name": "x", "role": "admin"})),
        )
        .await;
    assert_eq!(admin_token.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(admin_token.body["field"], "role");

    let revoke = app
        .call(
            "DELETE",
            &format!("/api/v1/tokens/{id}"),
            Some(&admin.access),
            None,
        )
        .await;
    assert_eq!(revoke.status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.call("GET", "/api/v1/me", Some(&secret), None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}

#[actix_web::test]
async fn admins_manage_users_and_teams() {
    let app = TestApp::spawn().await;
    let admin = app.user(Role::Admin).await;
    let created = app
        .call(
            "POST",
            "/api/v1/users",
            Some(&admin.access),
            Some(
                json!({"email": "Grace@Example.org", "display_name": "Grace", "role": "contributor",
                        "password": "another long passphrase"}),
            ),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    assert_eq!(created.body["email"], "grace@example.org");
    assert!(!created.text.contains("argon2"));
    let duplicate = app
        .call(
            "POST",
            "/api/v1/users",
            Some(&admin.access),
            Some(json!({"email": "GRACE@example.org", "display_name": "G", "role": "viewer"})),
        )
        .await;
    assert_eq!(duplicate.status, StatusCode::CONFLICT);
    let bad = app
        .call(
            "POST",
            "/api/v1/users",
            Some(&admin.access),
            Some(json!({"email": "not-an-email", "display_name": "G", "role": "viewer"})),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.body["field"], "email");
    let unknown_field = app
        .call(
            "POST",
            "/api/v1/users",
            Some(&admin.access),
            Some(json!({"email": "x@example.org", "display_name": "G", "role": "viewer", "is_admin": true})),
        )
        .await;
    assert_eq!(unknown_field.status, StatusCode::BAD_REQUEST);

    let team = app
        .call(
            "POST",
            "/api/v1/teams",
            Some(&admin.access),
            Some(json!({"name": "Corridors"})),
        )
        .await;
    assert_eq!(team.status, StatusCode::CREATED);
    let team_id = team.body["id"].as_str().expect("id").to_owned();
    let user_id = created.body["id"].as_str().expect("id").to_owned();
    let member = app
        .call(
            "PUT",
            &format!("/api/v1/teams/{team_id}/members/{user_id}"),
            Some(&admin.access),
            Some(json!({"role": "manager"})),
        )
        .await;
    assert_eq!(member.status, StatusCode::OK, "{}", member.text);
    assert_eq!(member.body["members"][0]["role"], "manager");

    let grace = app
        .login_as("grace@example.org", "another long passphrase")
        .await;
    let access = grace.body["access_token"]
        .as_str()
        .expect("access")
        .to_owned();
    let me = app.call("GET", "/api/v1/me", Some(&access), None).await;
    assert_eq!(me.body["teams"][0]["name"], "Corridors");

    let removed = app
        .call(
            "DELETE",
            &format!("/api/v1/teams/{team_id}/members/{user_id}"),
            Some(&admin.access),
            None,
        )
        .await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT);
    let again = app
        .call(
            "DELETE",
            &format!("/api/v1/teams/{team_id}/members/{user_id}"),
            Some(&admin.access),
            None,
        )
        .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn parallel_guesses_cannot_exceed_the_account_limit() {
    let app = TestApp::spawn().await;
    let (_, email) = app.create_user(Role::Viewer);
    // Waves of three at once: within the password-check gate (which refuses more at once), so
    // every guess reaches the account's counter together with others.
    let mut answers = Vec::new();
    for wave in 0..14 {
        let guesses = (0..3).map(|n| {
            let (app, email) = (&app, email.clone());
            async move {
                app.login_as(&email, &format!("wrong passphrase {wave:02}{n}"))
                    .await
                    .status
            }
        });
        answers.extend(futures_util::future::join_all(guesses).await);
    }
    let checked = answers
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    let refused = answers
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!(checked, 5, "exactly the limit was checked: {answers:?}");
    assert_eq!(refused, 42 - 5, "{answers:?}");
    assert_eq!(
        app.login_as(&email, PASSWORD).await.status,
        StatusCode::TOO_MANY_REQUESTS,
        "the account waits out its window"
    );
}
