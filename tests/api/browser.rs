//! The manager's loop in a real browser (Debian's Chromium, driven through chromedriver with
//! WebDriver): a digest arrives at a real SMTP server, its link opens the item's page, the
//! manager signs in and moves the status, confirms "still on track" from the email, and
//! unsubscribes with one click. Screenshots of the digest and the item page are kept in
//! `target/screenshots/` for people to look at.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use fantoccini::{Client, ClientBuilder, Locator};
use recotrack::domain::digest::deliveries::Trigger;
use serde_json::json;

use crate::digests::{message_for, scene_with};
use crate::helpers::{OWN_URL, PASSWORD, SmtpSink};

/// chromedriver on a free loopback port, stopped when dropped.
struct Driver {
    child: Child,
    port: u16,
    _profile: tempfile::TempDir,
}

impl Driver {
    fn start() -> Self {
        let binary = std::env::var("RECOTRACK_TEST_CHROMEDRIVER")
            .expect("RECOTRACK_TEST_CHROMEDRIVER is not set: run the tests with `scripts/test`");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .expect("port")
            .local_addr()
            .expect("addr")
            .port();
        // Its own process group, so the browsers it starts end with it, even after a panic.
        let child = std::os::unix::process::CommandExt::process_group(
            Command::new(binary).arg(format!("--port={port}")),
            0,
        )
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Self {
            child,
            port,
            _profile: tempfile::tempdir().expect("profile"),
        }
    }

    async fn browser(&self) -> Client {
        let chromium =
            std::env::var("RECOTRACK_TEST_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": chromium,
                // No network but loopback: Chromium's own background traffic stays off.
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--disable-background-networking", "--disable-component-update",
                         "--disable-sync", "--disable-quic", "--no-first-run",
                         "--window-size=1100,1400",
                         format!("--user-data-dir={}", self._profile.path().display())],
            }),
        );
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        ClientBuilder::new(connector)
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await
            .expect("a WebDriver session")
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        if let Ok(pid) = i32::try_from(self.child.id()) {
            let _ = nix::sys::signal::killpg(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The first `http://...` URL after `label` in a text body.
fn url_after(text: &str, label: &str) -> String {
    let start = text
        .find(label)
        .unwrap_or_else(|| panic!("{label} in {text}"))
        + label.len();
    text[start..]
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned()
}

fn screenshots() -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot directory");
    dir
}

async fn text_of(browser: &Client, css: &str) -> String {
    browser
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .text()
        .await
        .expect("text")
}

/// Waits until the browser is at `url` (a submitted form navigates after the click returns).
async fn wait_for(browser: &Client, url: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let now = browser.current_url().await.expect("url");
        if now.as_str() == url {
            return;
        }
        if Instant::now() > deadline {
            let source = browser.source().await.unwrap_or_default();
            panic!("still at {now}, not {url}: {source}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until the element at `css` reads `expected` (the page after a click may still be
/// loading when the click returns).
async fn wait_text(browser: &Client, css: &str, expected: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let now = match browser.find(Locator::Css(css)).await {
            Ok(element) => element.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        if now == expected {
            return;
        }
        if Instant::now() > deadline {
            let source = browser.source().await.unwrap_or_default();
            panic!("{css} reads {now:?}, not {expected:?}: {source}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[actix_web::test]
async fn a_manager_acts_from_the_digest_in_a_real_browser() {
    let sink = SmtpSink::start();
    let mut settings = sink.settings();
    settings.push(("RECOTRACK__SERVER__BASE_URL", OWN_URL.to_owned()));
    let s = scene_with(settings, 60).await;
    // She watches the late item, on which an admin then comments.
    let watched = s
        .app
        .call(
            "PUT",
            &format!("/api/v1/recommendations/{}/watch", s.late),
            Some(&s.manager.access),
            None,
        )
        .await;
    assert_eq!(watched.status, StatusCode::OK, "{}", watched.text);
    let comment = s
        .app
        .call(
            "POST",
            &format!("/api/v1/recommendations/{}/comments", s.late),
            Some(&s.admin.access),
            Some(json!({"body": "The budget line is approved"})),
        )
        .await;
    assert_eq!(comment.status, StatusCode::CREATED, "{}", comment.text);
    s.app.scheduler.tick(Trigger::Schedule).await.expect("tick");
    let messages = sink.messages();
    let (_, subject, text, html) = message_for(&messages, &s.manager.email).clone();
    assert!(
        subject.starts_with(
            "[recotrack] 1 stalled, 1 overdue, 1 watched item changed: weekly digest "
        ),
        "{subject}"
    );
    assert!(text.contains("Test admin: comment added"), "{text}");
    let base = s.app.address.clone();
    let open = format!("{base}/app/items/dg/01");
    assert!(
        text.contains(&format!("Open: {open}\n")),
        "the stalled item's page: {text}"
    );

    let driver = Driver::start();
    let browser = driver.browser().await;

    // The digest as a mail client shows it: its HTML part, from a file.
    let digest_file = tempfile::Builder::new()
        .suffix(".html")
        .tempfile()
        .expect("file");
    std::fs::write(digest_file.path(), &html).expect("write digest");
    browser
        .goto(&format!("file://{}", digest_file.path().display()))
        .await
        .expect("open digest");
    let shot = browser.screenshot().await.expect("screenshot");
    std::fs::write(screenshots().join("digest.png"), shot).expect("save");
    let heading = text_of(&browser, "h1").await;
    assert_eq!(heading, "1 stalled, 1 overdue");

    // The link from the email: sign in first, then the item's page.
    browser.goto(&open).await.expect("open link");
    assert!(
        browser
            .current_url()
            .await
            .expect("url")
            .as_str()
            .contains("/app/login?next=/app/items/dg/01")
    );
    browser
        .find(Locator::Id("email"))
        .await
        .expect("email")
        .send_keys(&s.manager.email)
        .await
        .expect("type");
    browser
        .find(Locator::Id("password"))
        .await
        .expect("password")
        .send_keys(PASSWORD)
        .await
        .expect("type");
    browser
        .find(Locator::Css("form button[type=submit]"))
        .await
        .expect("button")
        .click()
        .await
        .expect("sign in");
    wait_for(&browser, &open).await;
    let title = text_of(&browser, "h1").await;
    assert!(title.starts_with("[dg/01] Stalled <item> & co"), "{title}");
    assert_eq!(text_of(&browser, "#status").await, "In progress");
    let shot = browser.screenshot().await.expect("screenshot");
    std::fs::write(screenshots().join("item.png"), shot).expect("save");

    // Move the status with the page's form.
    let form = browser
        .form(Locator::Id("move-status"))
        .await
        .expect("status form");
    form.set_by_name("to", "blocked").await.expect("choose");
    form.set_by_name("reason", "Waiting for the supplier")
        .await
        .expect("reason");
    form.submit().await.expect("submit");
    wait_text(&browser, "#status", "Blocked (Waiting for the supplier)").await;
    let item = s
        .app
        .call(
            "GET",
            &format!("/api/v1/recommendations/{}", s.stalled),
            Some(&s.manager.access),
            None,
        )
        .await;
    assert_eq!(item.body["status"], "blocked");
    assert_eq!(item.body["status_reason"], "Waiting for the supplier");

    // "Still on track" from the owner's email: a page that asks, then records it.
    let (_, _, owner_text, _) = message_for(&messages, &s.owner.email).clone();
    let ack = url_after(&owner_text, "Still on track: ");
    browser.goto(&ack).await.expect("open action");
    wait_text(&browser, "h1", "Still on track?").await;
    browser
        .find(Locator::Id("note"))
        .await
        .expect("note")
        .send_keys("Supplier confirmed")
        .await
        .expect("type");
    browser
        .find(Locator::Css("#confirm button"))
        .await
        .expect("button")
        .click()
        .await
        .expect("confirm");
    wait_text(&browser, "h1", "Recorded: still on track").await;
    let history = s
        .app
        .call(
            "GET",
            &format!("/api/v1/recommendations/{}/history", s.stalled),
            Some(&s.manager.access),
            None,
        )
        .await;
    let last = history
        .body
        .as_array()
        .and_then(|a| a.last().cloned())
        .expect("event");
    assert_eq!(last["kind"], "acknowledged");
    assert_eq!(last["actor_id"], s.owner.id.to_string());
    assert_eq!(last["reason"], "Supplier confirmed");
    // The same link again: a page saying so, nothing recorded twice.
    browser.goto(&ack).await.expect("again");
    wait_text(&browser, "h1", "This link was used already").await;

    // One click to unsubscribe, from the manager's email.
    let unsubscribe = url_after(&text, "Unsubscribe: ");
    browser.goto(&unsubscribe).await.expect("open unsubscribe");
    browser
        .find(Locator::Css("#confirm button"))
        .await
        .expect("button")
        .click()
        .await
        .expect("unsubscribe");
    wait_text(&browser, "h1", "Unsubscribed").await;
    let prefs = s
        .app
        .call(
            "GET",
            "/api/v1/me/digest-preferences",
            Some(&s.manager.access),
            None,
        )
        .await;
    assert_eq!(prefs.body["effective"], "off");
    browser.close().await.expect("close the browser");
}
