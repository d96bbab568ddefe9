//! The pages under /app/ over plain HTTP, as a browser without JavaScript uses them: cookies,
//! forms, redirects. What a real browser shows is checked in `browser.rs`.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use chrono::{Duration, Utc};
use diesel::RunQueryDsl;
use recotrack::db::enums::Role;
use recotrack::domain::email_links::{LinkAction, LinkKey, claim_for};
use serde_json::json;

use crate::helpers::{Login, PASSWORD, TestApp};

/// A cookie jar over the app, following no redirects.
pub(crate) struct Browser<'a> {
    app: &'a TestApp,
    client: awc::Client,
    pub cookies: std::cell::RefCell<HashMap<String, String>>,
}

/// A page as it arrived.
pub(crate) struct Page {
    pub status: StatusCode,
    pub location: Option<String>,
    pub set_cookies: Vec<String>,
    pub headers: HashMap<String, String>,
    pub body: String,
}

impl<'a> Browser<'a> {
    pub fn new(app: &'a TestApp) -> Self {
        Self {
            app,
            client: awc::Client::builder().disable_redirects().finish(),
            cookies: std::cell::RefCell::default(),
        }
    }

    async fn send(&self, method: &str, path: &str, form: Option<&[(&str, &str)]>) -> Page {
        let method = actix_web::http::Method::from_bytes(method.as_bytes()).expect("method");
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.app.address));
        let jar: Vec<String> = self
            .cookies
            .borrow()
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        if !jar.is_empty() {
            request = request.insert_header(("Cookie", jar.join("; ")));
        }
        let sent = match form {
            Some(fields) => request.send_form(&fields.to_vec()).await,
            None => request.send().await,
        };
        let mut response = sent.expect("request sent");
        let set_cookies: Vec<String> = response
            .headers()
            .get_all("set-cookie")
            .filter_map(|v| v.to_str().ok().map(str::to_owned))
            .collect();
        for cookie in &set_cookies {
            let pair = cookie.split(';').next().unwrap_or_default();
            if let Some((name, value)) = pair.split_once('=') {
                let mut cookies = self.cookies.borrow_mut();
                if value.is_empty() || cookie.contains("Max-Age=0") {
                    cookies.remove(name);
                } else {
                    cookies.insert(name.to_owned(), value.to_owned());
                }
            }
        }
        let headers: HashMap<String, String> = response
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_owned(),
                    v.to_str().unwrap_or_default().to_owned(),
                )
            })
            .collect();
        let body = response.body().limit(8 << 20).await.expect("body");
        Page {
            status: response.status(),
            location: headers.get("location").cloned(),
            set_cookies,
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        }
    }

    pub async fn get(&self, path: &str) -> Page {
        self.send("GET", path, None).await
    }

    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> Page {
        self.send("POST", path, Some(form)).await
    }

    /// Signs in through the form, as a person would.
    pub async fn sign_in(&self, email: &str, password: &str) -> Page {
        let form = self.get("/app/login?next=/app/my").await;
        let csrf = hidden(&form.body, "csrf");
        self.post(
            "/app/login",
            &[
                ("email", email),
                ("password", password),
                ("csrf", &csrf),
                ("next", "/app/my"),
            ],
        )
        .await
    }

    /// The CSRF token the signed-in pages carry.
    pub async fn csrf(&self) -> String {
        let page = self.get("/app/preferences").await;
        hidden(&page.body, "csrf")
    }
}

/// The value of the first hidden input named `name`.
pub(crate) fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no hidden {name} in {html}"))
        + marker.len();
    html[start..]
        .split('"')
        .next()
        .unwrap_or_default()
        .to_owned()
}

struct Desk {
    app: TestApp,
    manager: Login,
    owner: Login,
    other: Login,
    item: String,
}

/// A report with one item owned by `owner`, worded with characters HTML must escape.
async fn desk() -> Desk {
    let app = TestApp::spawn().await;
    let manager = app.user(Role::Manager).await;
    let owner = app.user(Role::Contributor).await;
    let other = app.user(Role::Contributor).await;
    let m = Some(manager.access.as_str());
    let report = app
        .call(
            "POST",
            "/api/v1/reports",
            m,
            Some(json!({"key": "pg", "title": "Pages report"})),
        )
        .await;
    let report = report.body["id"].as_str().expect("report").to_owned();
    let item = app
        .call(
            "POST",
            "/api/v1/recommendations",
            m,
            Some(json!({"report_id": report, "title": "Fund <b>libraries</b>",
                        "body": "Councils should fund libraries & <script>alert(1)</script>\nfor 10 years."})),
        )
        .await;
    let item = item.body["id"].as_str().expect("item").to_owned();
    app.call(
        "PUT",
        &format!("/api/v1/recommendations/{item}/owners/users/{}", owner.id),
        m,
        Some(json!({"kind": "responsible"})),
    )
    .await;
    app.call(
        "POST",
        &format!("/api/v1/recommendations/{item}/transitions"),
        m,
        Some(json!({"axis": "response", "to": "accepted"})),
    )
    .await;
    Desk {
        app,
        manager,
        owner,
        other,
        item,
    }
}

fn history_count(app: &TestApp, item: &str) -> i64 {
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut conn = app.db.connect();
    diesel::sql_query(format!(
        "SELECT count(*) AS n FROM history_events WHERE recommendation_id = '{item}'"
    ))
    .get_result::<N>(&mut conn)
    .expect("count")
    .n
}

#[actix_web::test]
async fn signing_in_sets_a_guarded_cookie_and_a_forged_or_missing_form_token_is_refused() {
    let d = desk().await;
    let anonymous = Browser::new(&d.app);
    let bounced = anonymous.get("/app/items/pg/01").await;
    assert_eq!(bounced.status, StatusCode::SEE_OTHER);
    assert_eq!(
        bounced.location.as_deref(),
        Some("/app/login?next=/app/items/pg/01")
    );

    // Without the form's cookie (a cross-site POST), the sign-in is refused.
    let forger = Browser::new(&d.app);
    let refused = forger
        .post(
            "/app/login",
            &[
                ("email", &d.owner.email),
                ("password", PASSWORD),
                ("csrf", "guess"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(forger.cookies.borrow().get("recotrack_session").is_none());

    let wrong = Browser::new(&d.app);
    let bad = wrong.sign_in(&d.owner.email, "not the password").await;
    assert_eq!(bad.status, StatusCode::UNAUTHORIZED);
    assert!(
        bad.body.contains("the email or password is wrong"),
        "{}",
        bad.body
    );
    assert!(wrong.cookies.borrow().get("recotrack_session").is_none());

    let browser = Browser::new(&d.app);
    let signed = browser.sign_in(&d.owner.email, PASSWORD).await;
    assert_eq!(signed.status, StatusCode::SEE_OTHER, "{}", signed.body);
    assert_eq!(signed.location.as_deref(), Some("/app/my"));
    let cookie = signed
        .set_cookies
        .iter()
        .find(|c| c.starts_with("recotrack_session="))
        .expect("session cookie");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/app"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    assert!(!cookie.contains("Secure"), "http base URL: {cookie}");
    let page = browser.get("/app/items/pg/01").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(
        page.headers.get("cache-control").map(String::as_str),
        Some("no-store")
    );
    assert!(page.headers["content-security-policy"].contains("default-src 'none'"));
    assert!(
        page.body.contains(
            "Councils should fund libraries &#38; &#60;script&#62;alert(1)&#60;/script&#62;\nfor 10 years."
        ),
        "the words of the report, escaped and with their line break: {}",
        page.body
    );
    assert!(!page.body.contains("<script>"));

    // A form without this session's token changes nothing.
    let before = history_count(&d.app, &d.item);
    for token in ["", "not-the-token"] {
        let forged = browser
            .post(
                &format!("/app/do/{}/comment", d.item),
                &[("csrf", token), ("body", "hi")],
            )
            .await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN, "{token:?}");
    }
    assert_eq!(history_count(&d.app, &d.item), before);

    // Signed out, the cookie opens nothing, even replayed.
    let stolen = browser.cookies.borrow()["recotrack_session"].clone();
    let csrf = browser.csrf().await;
    let out = browser.post("/app/logout", &[("csrf", &csrf)]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    let replay = Browser::new(&d.app);
    replay
        .cookies
        .borrow_mut()
        .insert("recotrack_session".into(), stolen);
    assert_eq!(replay.get("/app/my").await.status, StatusCode::SEE_OTHER);
}

#[actix_web::test]
async fn each_person_sees_only_the_actions_they_may_take_and_a_forged_one_is_refused() {
    let d = desk().await;
    let path = "/app/items/pg/01";
    let manager = Browser::new(&d.app);
    manager.sign_in(&d.manager.email, PASSWORD).await;
    let owner = Browser::new(&d.app);
    owner.sign_in(&d.owner.email, PASSWORD).await;
    let other = Browser::new(&d.app);
    other.sign_in(&d.other.email, PASSWORD).await;
    let forms = [
        "id=\"move-status\"",
        "id=\"move-response\"",
        "id=\"snooze\"",
        "id=\"add-evidence\"",
        "id=\"comment\"",
        "id=\"acknowledge\"",
    ];
    let expected = [
        // A response, once recorded, is final: no response form, for anyone.
        ("manager", &manager, [true, false, true, true, true, true]),
        ("owner", &owner, [true, false, false, true, true, true]),
        (
            "other contributor",
            &other,
            [false, false, false, false, false, false],
        ),
    ];
    for (who, browser, shown) in expected {
        let page = browser.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{who}");
        for (form, show) in forms.iter().zip(shown) {
            assert_eq!(page.body.contains(form), show, "{who} {form}");
        }
    }

    // The owner moves the status through the page; the page shows it and the history holds it.
    let page = owner.get(path).await;
    let csrf = hidden(&page.body, "csrf");
    let version = hidden(&page.body, "version");
    let moved = owner
        .post(
            &format!("/app/do/{}/status", d.item),
            &[
                ("csrf", &csrf),
                ("version", &version),
                ("to", "in_progress"),
            ],
        )
        .await;
    assert_eq!(moved.status, StatusCode::SEE_OTHER, "{}", moved.body);
    assert_eq!(moved.location.as_deref(), Some(path));
    let page = owner.get(path).await;
    assert!(
        page.body.contains("<dd id=\"status\">In progress"),
        "{}",
        page.body
    );
    // The same form again, from the stale page: refused, not applied twice.
    let stale = owner
        .post(
            &format!("/app/do/{}/status", d.item),
            &[
                ("csrf", &csrf),
                ("version", &version),
                ("to", "blocked"),
                ("reason", "x"),
            ],
        )
        .await;
    assert_eq!(
        stale.status,
        StatusCode::PRECONDITION_FAILED,
        "{}",
        stale.body
    );

    // Forged POSTs for what the page did not offer: the domain rule refuses them.
    let before = history_count(&d.app, &d.item);
    let csrf_other = other.csrf().await;
    let attempts = [
        (
            &owner,
            csrf.clone(),
            "response",
            vec![("to", "rejected"), ("reason", "no")],
        ),
        (
            &owner,
            csrf.clone(),
            "snooze",
            vec![("until", "2099-01-01"), ("reason", "later")],
        ),
        (
            &other,
            csrf_other.clone(),
            "comment",
            vec![("body", "not mine")],
        ),
        (&other, csrf_other, "acknowledge", vec![]),
    ];
    for (browser, token, action, mut fields) in attempts {
        fields.push(("csrf", &token));
        let refused = browser
            .post(&format!("/app/do/{}/{action}", d.item), &fields)
            .await;
        assert_eq!(
            refused.status,
            StatusCode::FORBIDDEN,
            "{action}: {}",
            refused.body
        );
        assert!(
            refused.body.contains("<h1>"),
            "a page, not a problem document"
        );
    }
    assert_eq!(history_count(&d.app, &d.item), before);

    // A NUL typed into a form is refused with a page, never a 500.
    let nul = owner
        .post(
            &format!("/app/do/{}/comment", d.item),
            &[("csrf", &csrf), ("body", "a\0b")],
        )
        .await;
    assert_eq!(nul.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", nul.body);

    // A new password signs the owner's open page session out, as it does the API's.
    let admin = d.app.user(Role::Admin).await;
    let changed = d
        .app
        .call(
            "PATCH",
            &format!("/api/v1/users/{}", d.owner.id),
            Some(&admin.access),
            Some(json!({"password": "another long enough passphrase"})),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.text);
    assert_eq!(owner.get(path).await.status, StatusCode::SEE_OTHER);
    // Deactivated, the other contributor's open session stops working at once too.
    assert_eq!(other.get(path).await.status, StatusCode::OK);
    let off = d
        .app
        .call(
            "PATCH",
            &format!("/api/v1/users/{}", d.other.id),
            Some(&admin.access),
            Some(json!({"active": false})),
        )
        .await;
    assert_eq!(off.status, StatusCode::OK, "{}", off.text);
    assert_eq!(other.get(path).await.status, StatusCode::SEE_OTHER);
}

/// A signed link as a digest would carry it, made with the app's key.
fn link(
    recipient: uuid::Uuid,
    item: Option<&str>,
    action: LinkAction,
    made: chrono::DateTime<Utc>,
) -> String {
    let key = LinkKey::installed().expect("key");
    let item = item.map(|i| i.parse().expect("uuid"));
    let token = key
        .sign(&claim_for(recipient, item, action, made))
        .expect("sign");
    format!("/app/act/{token}")
}

#[actix_web::test]
async fn links_from_a_digest_ask_first_act_once_and_refuse_forgery_expiry_and_reuse() {
    let d = desk().await;
    let mut conn = d.app.db.connect();
    diesel::sql_query(format!(
        "UPDATE recommendations SET last_activity_at = now() - interval '90 days' WHERE id = '{}'",
        d.item
    ))
    .execute(&mut conn)
    .expect("age");
    let ack = link(
        d.owner.id,
        Some(&d.item),
        LinkAction::Acknowledge,
        Utc::now(),
    );
    let scanner = Browser::new(&d.app);
    let before = history_count(&d.app, &d.item);
    let shown = scanner.get(&ack).await;
    assert_eq!(shown.status, StatusCode::OK);
    assert!(
        shown.body.contains("Still on track?") && shown.body.contains("[pg/01]"),
        "{}",
        shown.body
    );
    assert_eq!(
        history_count(&d.app, &d.item),
        before,
        "a GET (a mail scanner) changes nothing"
    );

    let done = scanner.post(&ack, &[("note", "Budget approved")]).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    let history = d
        .app
        .call(
            "GET",
            &format!("/api/v1/recommendations/{}/history", d.item),
            Some(&d.manager.access),
            None,
        )
        .await;
    let last = history
        .body
        .as_array()
        .expect("events")
        .last()
        .cloned()
        .expect("event");
    assert_eq!(last["kind"], "acknowledged");
    assert_eq!(last["reason"], "Budget approved");
    assert_eq!(last["actor_id"], d.owner.id.to_string());
    let item = d
        .app
        .call(
            "GET",
            &format!("/api/v1/recommendations/{}", d.item),
            Some(&d.manager.access),
            None,
        )
        .await;
    assert_eq!(
        item.body["stalled"], false,
        "the stall clock started again: {}",
        item.text
    );

    let again = scanner.post(&ack, &[]).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "each link acts once");
    assert!(again.body.contains("used already"));
    assert_eq!(scanner.get(&ack).await.status, StatusCode::CONFLICT);

    let expired = link(
        d.owner.id,
        Some(&d.item),
        LinkAction::Acknowledge,
        Utc::now() - Duration::days(15),
    );
    let page = scanner.get(&expired).await;
    assert_eq!(page.status, StatusCode::GONE);
    assert!(page.body.contains("expired"));
    assert_eq!(scanner.post(&expired, &[]).await.status, StatusCode::GONE);

    // Tampered: the signature of one link on another's payload, or cut short.
    let snooze = link(d.manager.id, Some(&d.item), LinkAction::Snooze, Utc::now());
    let (_, signature) = snooze.rsplit_once('.').expect("signature");
    let (payload, _) = ack.rsplit_once('.').expect("payload");
    for forged in [
        format!("{payload}.{signature}"),
        snooze[..snooze.len() - 3].to_owned(),
        "/app/act/nonsense".to_owned(),
    ] {
        let page = scanner.post(&forged, &[]).await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST, "{forged}");
        assert!(page.body.contains("does not work"));
    }

    // A contributor's snooze link (which digests never carry) is refused by the snooze rule,
    // and stays unused.
    let owner_snooze = link(d.owner.id, Some(&d.item), LinkAction::Snooze, Utc::now());
    assert_eq!(
        scanner.post(&owner_snooze, &[]).await.status,
        StatusCode::FORBIDDEN
    );
    let manager_snooze = scanner
        .post(&snooze, &[("reason", "Waiting for the budget")])
        .await;
    assert_eq!(
        manager_snooze.status,
        StatusCode::OK,
        "{}",
        manager_snooze.body
    );
    let item = d
        .app
        .call(
            "GET",
            &format!("/api/v1/recommendations/{}", d.item),
            Some(&d.manager.access),
            None,
        )
        .await;
    assert_eq!(
        item.body["snoozed_until"],
        (Utc::now().date_naive() + Duration::days(30)).to_string()
    );

    // One-click unsubscribe: a mail client's POST, no cookie, no CSRF token; twice is fine.
    let unsubscribe = link(d.manager.id, None, LinkAction::Unsubscribe, Utc::now());
    for _ in 0..2 {
        let page = scanner
            .post(&unsubscribe, &[("List-Unsubscribe", "One-Click")])
            .await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    }
    let prefs = d
        .app
        .call(
            "GET",
            "/api/v1/me/digest-preferences",
            Some(&d.manager.access),
            None,
        )
        .await;
    assert_eq!(prefs.body["effective"], "off");
}

/// Four eyes on the page: the submitter is offered no review; a review of the version the page
/// showed is refused once the evidence was edited since, and nothing is accepted.
#[actix_web::test]
async fn a_review_on_the_page_survives_an_edit_made_after_the_page_was_shown() {
    let d = desk().await;
    let path = "/app/items/pg/01";
    let owner = Browser::new(&d.app);
    owner.sign_in(&d.owner.email, PASSWORD).await;
    let csrf = owner.csrf().await;
    let added = owner
        .post(
            &format!("/app/do/{}/evidence", d.item),
            &[
                ("csrf", &csrf),
                ("title", "Budget line adopted"),
                ("excerpt", "Line 7: libraries"),
            ],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    assert!(
        !owner.get(path).await.body.contains("class=\"review\""),
        "no review of one's own evidence"
    );

    let manager = Browser::new(&d.app);
    manager.sign_in(&d.manager.email, PASSWORD).await;
    let shown = manager.get(path).await;
    assert!(shown.body.contains("class=\"review\""));
    let (csrf, evidence, version) = (
        hidden(&shown.body, "csrf"),
        hidden(&shown.body, "evidence"),
        hidden(&shown.body, "evidence_version"),
    );
    assert_eq!(version, "1");
    let edited = d
        .app
        .call(
            "PATCH",
            &format!("/api/v1/evidence/{evidence}"),
            Some(&d.owner.access),
            Some(json!({"kind": "document", "title": "Budget line adopted", "excerpt": "Line 7: libraries, halved",
                        "source": "", "relevance": "shows_progress", "rationale": ""})),
        )
        .await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.text);
    let stale = manager
        .post(
            &format!("/app/do/{}/review", d.item),
            &[
                ("csrf", &csrf),
                ("evidence", &evidence),
                ("evidence_version", &version),
                ("decision", "accepted"),
            ],
        )
        .await;
    assert_eq!(
        stale.status,
        StatusCode::PRECONDITION_FAILED,
        "{}",
        stale.body
    );
    let read = d
        .app
        .call(
            "GET",
            &format!("/api/v1/evidence/{evidence}"),
            Some(&d.manager.access),
            None,
        )
        .await;
    assert_eq!(read.body["verification"], "pending");
    assert_eq!(read.body["version"], 2);

    // The submitter forging the review form: refused by the four-eyes rule.
    let own = owner
        .post(
            &format!("/app/do/{}/review", d.item),
            &[
                ("csrf", &owner.csrf().await),
                ("evidence", &evidence),
                ("evidence_version", "2"),
                ("decision", "accepted"),
            ],
        )
        .await;
    assert_eq!(own.status, StatusCode::FORBIDDEN, "{}", own.body);
    let fresh = manager.get(path).await;
    assert_eq!(hidden(&fresh.body, "evidence_version"), "2");
    let accepted = manager
        .post(
            &format!("/app/do/{}/review", d.item),
            &[
                ("csrf", &csrf),
                ("evidence", &evidence),
                ("evidence_version", "2"),
                ("decision", "accepted"),
            ],
        )
        .await;
    assert_eq!(accepted.status, StatusCode::SEE_OTHER, "{}", accepted.body);
    assert!(manager.get(path).await.body.contains(">Accepted</span>"));
}
