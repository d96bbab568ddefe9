//! `TestDb` (a private database per test) and `TestApp` (the real server on a free port).

use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::Arc;

use actix_web::http::StatusCode;
use diesel::{Connection, PgConnection, RunQueryDsl};
use recotrack::config::Settings;
use recotrack::http::{self, AppState};

/// A database of its own, cloned from the migrated template and dropped at the end.
pub struct TestDb {
    pub name: String,
    pub url: String,
    admin_url: String,
}

impl TestDb {
    pub fn create() -> Self {
        let admin_url = std::env::var("RECOTRACK_TEST_DATABASE_URL").expect(
            "RECOTRACK_TEST_DATABASE_URL is not set: run the tests with `scripts/test`, \
             which starts a throwaway PostgreSQL",
        );
        let template =
            std::env::var("RECOTRACK_TEST_TEMPLATE").expect("RECOTRACK_TEST_TEMPLATE is set");
        let name = format!("test_{}", uuid::Uuid::new_v4().simple());
        let mut admin = PgConnection::establish(&admin_url).expect("admin connection");
        diesel::sql_query(format!("CREATE DATABASE {name} TEMPLATE {template}"))
            .execute(&mut admin)
            .expect("clone the template");
        let base = admin_url
            .rsplit_once('/')
            .map(|(base, _)| base)
            .expect("URL has a database");
        Self {
            url: format!("{base}/{name}"),
            name,
            admin_url,
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
        if let Ok(mut admin) = PgConnection::establish(&self.admin_url) {
            let _ = diesel::sql_query(format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .execute(&mut admin);
        }
    }
}

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
    ]);
    for (key, value) in extra {
        env.insert((*key).into(), (*value).into());
    }
    Settings::load_from(&env).expect("test settings are valid")
}

/// The real HTTP server, on a free loopback port, over its own database.
pub struct TestApp {
    pub address: String,
    pub db: TestDb,
    /// Where the outbox transport writes; removed with the app.
    _outbox: tempfile::TempDir,
    client: awc::Client,
}

/// A response, read whole.
pub struct Reply {
    pub status: StatusCode,
    pub content_type: String,
    pub body: serde_json::Value,
}

impl TestApp {
    pub async fn spawn() -> Self {
        let db = TestDb::create();
        let outbox = tempfile::tempdir().expect("outbox directory");
        let outbox_dir = outbox.path().display().to_string();
        let settings = Arc::new(test_settings(
            &db.url,
            &[("RECOTRACK__EMAIL__OUTBOX_DIR", &outbox_dir)],
        ));
        let state: AppState = recotrack::app::state(settings, &db.url).expect("state");
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
        let address = format!("http://{}", listener.local_addr().expect("address"));
        let server = http::server(state, listener).expect("server");
        actix_web::rt::spawn(server);
        Self {
            address,
            db,
            _outbox: outbox,
            client: awc::Client::default(),
        }
    }

    pub async fn get(&self, path: &str) -> Reply {
        let mut response = self
            .client
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .expect("request sent");
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let bytes = response.body().limit(8 << 20).await.expect("body read");
        let body = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
        Reply {
            status: response.status(),
            content_type,
            body,
        }
    }
}
