//! `TestDb` (a private database per test) and `TestApp` (the real server on a free port).

use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::Arc;

use actix_web::http::StatusCode;
use diesel::{Connection, PgConnection, RunQueryDsl};
use recotrack::config::Settings;
use recotrack::db::enums::Role;
use recotrack::http::{self, AppState};

/// A database of its own, cloned from the migrated template and dropped at the end.
pub struct TestDb {
    pub name: String,
    pub url: String,
    admin_url: String,
    /// Whether dropping this value drops the database (false for a second handle).
    owned: bool,
}

impl TestDb {
    pub fn create() -> Self {
        let admin_url = std::env::var("RECOTRACK_TEST_DATABASE_URL").expect(
            "RECOTRACK_TEST_DATABASE_URL is not set: run the tests with `scripts/test`, \
             which starts a throwaway PostgreSQL",
        );
        let template =
            std::env::var("RECOTRACK_TEST_TEMPLATE").expect("RECOTRACK_TEST_TEMPLATE is set");
        Self::create_on(&admin_url, Some(&template))
    }

    /// A database on the server of `admin_url`: a clone of `template`, or empty and then
    /// migrated.
    pub fn create_on(admin_url: &str, template: Option<&str>) -> Self {
        // Tests that use the domain directly append history too: they need the test key.
        install_test_history_key();
        let admin_url = admin_url.to_owned();
        let name = format!("test_{}", uuid::Uuid::new_v4().simple());
        let mut admin = PgConnection::establish(&admin_url).expect("admin connection");
        let from = template
            .map(|t| format!(" TEMPLATE {t}"))
            .unwrap_or_default();
        diesel::sql_query(format!("CREATE DATABASE {name}{from}"))
            .execute(&mut admin)
            .expect("create the test database");
        let base = admin_url
            .rsplit_once('/')
            .map(|(base, _)| base)
            .expect("URL has a database");
        let db = Self {
            url: format!("{base}/{name}"),
            name,
            admin_url,
            owned: true,
        };
        if template.is_none() {
            recotrack::app::migrate(&db.url).expect("migrate the test database");
        }
        db
    }

    /// A second handle on the same database, e.g. for a second instance of the service; only
    /// the first handle drops it.
    pub fn alias(&self) -> Self {
        Self {
            name: self.name.clone(),
            url: self.url.clone(),
            admin_url: self.admin_url.clone(),
            owned: false,
        }
    }

    pub fn connect(&self) -> PgConnection {
        PgConnection::establish(&self.url).expect("connect to the test database")
    }

    /// Drops the database under the service's feet (terminating its connections).
    pub fn drop_database(&self) {
        let mut admin = PgConnection::establish(&self.admin_url).expect("admin connection");
        diesel::sql_query(format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        ))
        .execute(&mut admin)
        .expect("drop the test database");
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if !self.owned {
            return;
        }
        if let Ok(mut admin) = PgConnection::establish(&self.admin_url) {
            let _ = diesel::sql_query(format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .execute(&mut admin);
        }
    }
}

/// The HS256 secret of every test app (tests forge tokens with it and with others).
pub const TEST_JWT_SECRET: &str = "test-secret-test-secret-test-secret-0123";
/// The history key of every test app.
pub const TEST_HISTORY_KEY: &str = "test-history-key-test-history-key-0123";
/// Installs [`TEST_HISTORY_KEY`] as this process's history key (as `app` does from settings).
pub fn install_test_history_key() {
    use recotrack::domain::history::keys::{HistoryKey, Keyring, install};
    install(Keyring {
        current: HistoryKey::new(TEST_HISTORY_KEY.as_bytes()).expect("test key"),
        previous: Vec::new(),
    });
}

/// As the value of a setting (e.g. `RECOTRACK__SERVER__BASE_URL`): the test server's own URL.
pub const OWN_URL: &str = "<the test server's own URL>";

/// The password of every user the helpers create.
pub const PASSWORD: &str = "a long enough test passphrase";

/// Settings for a test: the `test` environment, this database, small pools.
pub fn test_settings(database_url: &str, extra: &[(&str, &str)]) -> Settings {
    let mut env: HashMap<String, String> = HashMap::from([
        ("RECOTRACK_ENVIRONMENT".into(), "test".into()),
        (
            "RECOTRACK_CONFIG_DIR".into(),
            concat!(env!("CARGO_MANIFEST_DIR"), "/config").into(),
        ),
        ("RECOTRACK__DATABASE__URL".into(), database_url.into()),
        ("RECOTRACK__DATABASE__POOL_SIZE".into(), "3".into()),
        (
            "RECOTRACK__DATABASE__CONNECT_TIMEOUT_SECS".into(),
            "2".into(),
        ),
        ("RECOTRACK__SERVER__WORKERS".into(), "1".into()),
        ("RECOTRACK__AUTH__JWT_SECRET".into(), TEST_JWT_SECRET.into()),
        ("RECOTRACK__HISTORY__KEY".into(), TEST_HISTORY_KEY.into()),
    ]);
    for (key, value) in extra {
        env.insert((*key).into(), (*value).into());
    }
    let settings = Settings::load_from(&env).expect("test settings are valid");
    recotrack::app::install_history_keys(&settings).expect("history keys");
    settings
}

/// The real HTTP server, on a free loopback port, over its own database.
pub struct TestApp {
    pub address: String,
    /// This app's digest scheduler, for tests to tick.
    pub scheduler: recotrack::scheduler::Scheduler,
    /// This app's webhook sender, for tests to run.
    pub webhooks: recotrack::webhooks::Dispatcher,
    pub db: TestDb,
    /// Where the outbox transport writes; removed with the app.
    _outbox: tempfile::TempDir,
    client: awc::Client,
}

/// A response, read whole.
pub struct Reply {
    pub status: StatusCode,
    pub content_type: String,
    pub headers: HashMap<String, String>,
    pub body: serde_json::Value,
    pub text: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }
}

/// A user made by the helpers, with a fresh access token.
pub struct Login {
    pub id: uuid::Uuid,
    pub email: String,
    pub access: String,
    pub refresh: String,
}

/// A real SMTP server (aiosmtpd) on a loopback port, keeping what it receives in a Maildir.
pub struct SmtpSink {
    pub port: u16,
    dir: tempfile::TempDir,
    child: Option<std::process::Child>,
    /// Seconds the sink waits before accepting each message.
    delay_secs: f64,
}

impl SmtpSink {
    pub fn start() -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .expect("port")
            .local_addr()
            .expect("addr")
            .port();
        let mut sink = Self {
            port,
            dir: tempfile::tempdir().expect("maildir"),
            child: None,
            delay_secs: 0.0,
        };
        sink.resume();
        sink
    }

    /// A sink that takes `delay_secs` to accept each message: slow, but healthy.
    pub fn slow(delay_secs: f64) -> Self {
        let mut sink = Self::down();
        sink.delay_secs = delay_secs;
        sink.resume();
        sink
    }

    /// A port where nothing listens (yet): `resume` starts the sink there later.
    pub fn down() -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .expect("port")
            .local_addr()
            .expect("addr")
            .port();
        Self {
            port,
            dir: tempfile::tempdir().expect("maildir"),
            child: None,
            delay_secs: 0.0,
        }
    }

    /// Starts the server on this sink's port.
    pub fn resume(&mut self) {
        let python = std::env::var("RECOTRACK_TEST_PYTHON")
            .expect("RECOTRACK_TEST_PYTHON is not set: run the tests with `scripts/test`");
        let child = std::process::Command::new(python)
            .args([
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                &format!("127.0.0.1:{}", self.port),
                "-c",
                "slow_smtp.SlowMailbox",
            ])
            .arg(self.dir.path().join("mail"))
            .env(
                "PYTHONPATH",
                concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support"),
            )
            .env("SMTP_DELAY_SECS", self.delay_secs.to_string())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start aiosmtpd");
        self.child = Some(child);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "the SMTP sink did not start"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }

    /// Forgets the messages received so far, so the next look sees only what follows.
    pub fn clear(&self) {
        for sub in ["new", "cur"] {
            let Ok(entries) = std::fs::read_dir(self.dir.path().join("mail").join(sub)) else {
                continue;
            };
            for entry in entries.flatten() {
                std::fs::remove_file(entry.path()).expect("remove a message");
            }
        }
    }

    /// Every message received so far, as the SMTP server got it.
    pub fn raw_messages(&self) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        for sub in ["new", "cur"] {
            let Ok(entries) = std::fs::read_dir(self.dir.path().join("mail").join(sub)) else {
                continue;
            };
            for entry in entries.flatten() {
                out.push(std::fs::read(entry.path()).expect("message"));
            }
        }
        out
    }

    /// Every message received so far, parsed: (to, subject, text part, html part).
    pub fn messages(&self) -> Vec<(String, String, String, String)> {
        let mut out = Vec::new();
        {
            for raw in self.raw_messages() {
                let message = mail_parser::MessageParser::default()
                    .parse(&raw)
                    .expect("parse");
                let to = message
                    .to()
                    .and_then(|a| a.first())
                    .and_then(|a| a.address())
                    .unwrap_or_default()
                    .to_owned();
                out.push((
                    to,
                    message.subject().unwrap_or_default().to_owned(),
                    message
                        .body_text(0)
                        .map(|t| t.into_owned())
                        .unwrap_or_default(),
                    message
                        .body_html(0)
                        .map(|t| t.into_owned())
                        .unwrap_or_default(),
                ));
            }
        }
        out
    }

    /// The settings that point the service at this sink.
    pub fn settings(&self) -> Vec<(&'static str, String)> {
        vec![
            ("RECOTRACK__EMAIL__SMTP_HOST", "127.0.0.1".into()),
            ("RECOTRACK__EMAIL__SMTP_PORT", self.port.to_string()),
            ("RECOTRACK__EMAIL__SMTP_SECURITY", "plain".into()),
            ("RECOTRACK__EMAIL__SMTP_TIMEOUT_SECS", "3".into()),
        ]
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(&[]).await
    }

    /// The app with extra settings, e.g. an SMTP sink's.
    pub async fn spawn_with(extra: &[(&str, String)]) -> Self {
        Self::spawn_on(TestDb::create(), extra).await
    }

    /// The app over a given database.
    pub async fn spawn_on(db: TestDb, extra: &[(&str, String)]) -> Self {
        let outbox = tempfile::tempdir().expect("outbox directory");
        let outbox_dir = outbox.path().display().to_string();
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
        let address = format!("http://{}", listener.local_addr().expect("address"));
        let mut pairs: Vec<(&str, &str)> = vec![("RECOTRACK__EMAIL__OUTBOX_DIR", &outbox_dir)];
        pairs.extend(extra.iter().map(|(k, v)| {
            // Links in emails then open this very server.
            let v = if v == OWN_URL {
                address.as_str()
            } else {
                v.as_str()
            };
            (*k, v)
        }));
        let settings = Arc::new(test_settings(&db.url, &pairs));
        let (state, scheduler): (AppState, _) =
            recotrack::app::state(settings, &db.url).expect("state");
        let webhooks = recotrack::app::dispatcher(&state);
        let server = http::server(state, listener).expect("server");
        actix_web::rt::spawn(server);
        Self {
            address,
            scheduler,
            webhooks,
            db,
            _outbox: outbox,
            client: awc::Client::default(),
        }
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.call("GET", path, None, None).await
    }

    /// Sends `method path` with an optional bearer token and JSON body.
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        bearer: Option<&str>,
        body: Option<serde_json::Value>,
    ) -> Reply {
        self.call_with(method, path, bearer, body, &[]).await
    }

    /// Like [`call`](Self::call), with extra request headers.
    pub async fn call_with(
        &self,
        method: &str,
        path: &str,
        bearer: Option<&str>,
        body: Option<serde_json::Value>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let method = actix_web::http::Method::from_bytes(method.as_bytes()).expect("method");
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.address));
        for (name, value) in headers {
            request = request.insert_header((*name, *value));
        }
        if let Some(token) = bearer {
            request = request.insert_header(("Authorization", format!("Bearer {token}")));
        }
        let sent = match body {
            Some(body) => request.send_json(&body).await,
            None => request.send().await,
        };
        let mut response = sent.expect("request sent");
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
        let bytes = response.body().limit(8 << 20).await.expect("body read");
        let body = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
        Reply {
            status: response.status(),
            content_type: headers.get("content-type").cloned().unwrap_or_default(),
            headers,
            body,
            text: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    /// Creates a user with `role` directly in the database.
    pub fn create_user(&self, role: Role) -> (uuid::Uuid, String) {
        let email = format!(
            "{}-{}@example.org",
            role.as_str(),
            uuid::Uuid::new_v4().simple()
        );
        let mut conn = self.db.connect();
        let user = recotrack::domain::users::create(
            &mut conn,
            &recotrack::domain::users::NewAccount {
                email: recotrack::domain::users::Email::parse(&email).expect("email"),
                display_name: format!("Test {}", role.as_str()),
                role,
                password: Some(PASSWORD.into()),
                is_demo: false,
            },
        )
        .expect("create user");
        (user.id, email)
    }

    /// Signs in through the API.
    pub async fn login_as(&self, email: &str, password: &str) -> Reply {
        self.call(
            "POST",
            "/api/v1/auth/login",
            None,
            Some(serde_json::json!({"email": email, "password": password})),
        )
        .await
    }

    /// A new user with `role`, signed in.
    pub async fn user(&self, role: Role) -> Login {
        let (id, email) = self.create_user(role);
        let reply = self.login_as(&email, PASSWORD).await;
        assert_eq!(reply.status, StatusCode::OK, "login failed: {}", reply.text);
        Login {
            id,
            email,
            access: reply.body["access_token"]
                .as_str()
                .expect("access")
                .to_owned(),
            refresh: reply.body["refresh_token"]
                .as_str()
                .expect("refresh")
                .to_owned(),
        }
    }

    /// An API token with `role`, created by `admin` through the API.
    pub async fn api_token(&self, admin: &Login, role: Role) -> String {
        let reply = self
            .call(
                "POST",
                "/api/v1/tokens",
                Some(&admin.access),
                Some(serde_json::json!({"name": format!("{} token", role.as_str()), "role": role})),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
        reply.body["token_secret"]
            .as_str()
            .expect("secret")
            .to_owned()
    }
}

impl TestApp {
    /// SQL statements this app has sent so far, as its `/metrics` reports them.
    pub async fn statements(&self) -> u64 {
        let metrics = self.get("/metrics").await;
        metrics
            .text
            .lines()
            .find_map(|line| line.strip_prefix("recotrack_db_statements_total "))
            .and_then(|n| n.trim().parse().ok())
            .expect("recotrack_db_statements_total in /metrics")
    }
}

/// Typed steps for the setup most tests share, through the API as a person would take them.
impl TestApp {
    /// A report `by` creates with `key`; its id.
    pub async fn new_report(&self, by: &Login, key: &str) -> String {
        let reply = self
            .call(
                "POST",
                "/api/v1/reports",
                Some(&by.access),
                Some(serde_json::json!({"key": key, "title": format!("Report {key}")})),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
        reply.body["id"].as_str().expect("report id").to_owned()
    }

    /// An item `by` creates in `report`; its id.
    pub async fn new_item(&self, by: &Login, report: &str, title: &str) -> String {
        let reply = self
            .call(
                "POST",
                "/api/v1/recommendations",
                Some(&by.access),
                Some(serde_json::json!({"report_id": report, "title": title})),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
        reply.body["id"].as_str().expect("item id").to_owned()
    }

    /// `GET` as `by`.
    pub async fn get_as(&self, by: &Login, path: &str) -> Reply {
        self.call("GET", path, Some(&by.access), None).await
    }

    /// Runs `statement` on the test database, to put rows where a test needs them.
    pub fn sql(&self, statement: &str) {
        use diesel::RunQueryDsl;
        diesel::sql_query(statement)
            .execute(&mut self.db.connect())
            .unwrap_or_else(|e| panic!("{statement}: {e}"));
    }
}
