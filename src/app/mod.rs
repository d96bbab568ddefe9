//! The composition root: settings -> database -> pool -> mailer -> state -> server. The only
//! module that knows every part; each subcommand of the binary starts here.

use std::net::TcpListener;
use std::process::ExitStatus;
use std::sync::Arc;

use anyhow::Context;
use diesel::{Connection, PgConnection};

use secrecy::ExposeSecret;

use crate::config::{JwtAlgorithm, Settings};
use crate::db::enums::Role;
use crate::db::local::LocalPostgres;
use crate::db::models::User;
use crate::db::{self, PoolOptions, migrate};
use crate::domain::auth::callers::{self, Callers};
use crate::domain::auth::jwt::TokenKeys;
use crate::domain::auth::secrets;
use crate::domain::auth::sessions::LoginLimits;
use crate::domain::seed;
use crate::domain::users::{self, NewAccount};
use crate::http::auth::AuthState;
use crate::http::{self, AppState};
use crate::mailer::Mailer;
use crate::metrics::Metrics;
use crate::scheduler::Scheduler;

/// Name of the database inside the local cluster.
mod history;

use history::warn_of_legacy_history;
pub use history::{history_anchor, history_seal_legacy, history_verify};

const LOCAL_DATABASE: &str = "recotrack";
/// Name of the migrated template the test suite clones, one copy per test.
pub const TEST_TEMPLATE: &str = "recotrack_template";

/// The database the service uses: a configured server, or the private local cluster (stopped
/// when this value is dropped, if this process started it).
#[derive(Debug)]
pub struct Database {
    url: String,
    local: Option<LocalPostgres>,
}

impl Database {
    /// Uses `database.url`, or starts the local cluster when it is empty.
    pub fn open(settings: &Settings) -> anyhow::Result<Self> {
        if let Some(url) = settings.database.external_url() {
            return Ok(Self {
                url: url.to_owned(),
                local: None,
            });
        }
        let local = LocalPostgres::start(&settings.database.local_dir)?;
        local.ensure_database(LOCAL_DATABASE)?;
        Ok(Self {
            url: local.url(LOCAL_DATABASE),
            local: Some(local),
        })
    }

    /// The connection URL (contains the password: never log it).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Whether this is the private local cluster.
    pub fn is_local(&self) -> bool {
        self.local.is_some()
    }
}

/// Applies pending migrations; returns the versions applied.
pub fn migrate(url: &str) -> anyhow::Result<Vec<String>> {
    let mut conn = PgConnection::establish(url).context("connecting to the database")?;
    Ok(migrate::run_pending(&mut conn)?)
}

/// Loads `seeds/`: the reports always; the demo accounts only into the private local cluster
/// (never into a configured database) and only when `seed.demo` is set.
pub fn seed(settings: &Settings, database: &Database) -> anyhow::Result<seed::Summary> {
    let dir = &settings.seed.dir;
    let files = seed::read_reports(dir)?;
    let demo = if settings.seed.demo && database.is_local() {
        Some(seed::read_demo(dir)?)
    } else {
        None
    };
    install_history_keys(settings)?;
    let mut conn = PgConnection::establish(database.url()).context("connecting to the database")?;
    let summary = seed::load(&mut conn, &files, demo.as_ref())?;
    tracing::info!(
        reports = summary.reports_created,
        items_created = summary.items_created,
        items_updated = summary.items_updated,
        evidence = summary.evidence_created,
        demo_users = summary.demo_users_created,
        "seed data loaded"
    );
    Ok(summary)
}

/// `recotrack digest run`: plans and sends now, or with `dry_run` only reports who would get what.
pub async fn digest_run(
    settings: Settings,
    database: &Database,
    dry_run: bool,
) -> anyhow::Result<String> {
    use crate::domain::digest::deliveries::Trigger;
    use std::fmt::Write;
    let settings = Arc::new(settings);
    let (_, scheduler) = state(settings.clone(), database.url())?;
    let mut out = String::new();
    if !dry_run {
        let summary = scheduler.tick(Trigger::Manual).await?;
        writeln!(
            out,
            "planned {:?}: {} deliveries, {} escalations; sent {}, failed {}",
            summary.planned.periods,
            summary.planned.deliveries,
            summary.planned.escalations,
            summary.sent,
            summary.failed
        )?;
        return Ok(out);
    }
    // Exactly what the real run would send now, planned and claimed in a transaction that
    // is rolled back.
    // On a connection of its own, as the CLI's other reads, not through the pool.
    let mut conn = PgConnection::establish(database.url()).context("connecting to the database")?;
    let due = scheduler.rehearse_on(&mut conn)?;
    for (email, subject) in &due {
        writeln!(out, "{email}\t{subject}")?;
    }
    let count = due.len();
    writeln!(
        out,
        "dry run: {count} digests would be sent now; nothing sent"
    )?;
    Ok(out)
}

/// `recotrack import --commit`: creates `points` in the report with key `report`, in one
/// transaction, made by the system (so the stall clock is not reset).
pub fn import(
    url: &str,
    report: &str,
    points: &[crate::domain::extract::Point],
) -> anyhow::Result<Vec<String>> {
    let mut conn = PgConnection::establish(url).context("connecting to the database")?;
    Ok(conn.transaction(|conn| {
        let report = crate::domain::reports::by_key(conn, report)?;
        crate::domain::import::create(
            conn,
            report.id,
            points,
            crate::domain::history::Author::SYSTEM,
        )
    })?)
}

/// `recotrack user create`: one account, with a password.
pub fn create_user(
    url: &str,
    email: String,
    display_name: String,
    role: Role,
    password: String,
) -> anyhow::Result<User> {
    let mut conn = PgConnection::establish(url).context("connecting to the database")?;
    let account = NewAccount {
        email: users::Email::parse(&email)?,
        display_name,
        role,
        password: Some(password),
        is_demo: false,
    };
    Ok(conn.transaction(|conn| users::create(conn, &account))?)
}

/// `recotrack user list`.
pub fn list_users(url: &str) -> anyhow::Result<Vec<User>> {
    let mut conn = PgConnection::establish(url).context("connecting to the database")?;
    Ok(users::list(&mut conn)?)
}

/// Builds what the handlers share, and the digest scheduler they reach through it (for `serve`
/// to run and stop).
pub fn state(settings: Arc<Settings>, database_url: &str) -> anyhow::Result<(AppState, Scheduler)> {
    install_history_keys(&settings)?;
    let metrics = Metrics::new();
    let pool = db::build_pool(
        database_url,
        PoolOptions {
            max_size: settings.database.pool_size,
            connect_timeout: std::time::Duration::from_secs(settings.database.connect_timeout_secs),
            statement_timeout_ms: settings.database.statement_timeout_ms,
        },
        metrics.db_statements.clone(),
    );
    let mailer = Mailer::from_settings(&settings.email)?;
    let auth = &settings.auth;
    let keys = TokenKeys::new(auth, &jwt_secret(&settings)?)?;
    let callers = Callers::new(std::time::Duration::from_secs(auth.caller_cache_secs));
    let auth = Arc::new(AuthState {
        keys,
        limits: LoginLimits::from_settings(auth),
        gate: crate::domain::auth::passwords::HashGate::for_this_machine(
            settings.auth.password_checks_per_second,
        ),
        refresh_ttl_secs: auth.refresh_ttl_secs,
        callers: callers.clone(),
    });
    callers::listen(database_url.to_owned(), &callers);
    let scheduler = Scheduler::new(pool.clone(), settings.clone(), mailer, metrics.clone())?;
    let limiter = crate::http::limits::WriteLimiter::new(settings.server.writes_per_minute);
    let figures = crate::http::cache::FiguresCache::new(settings.stats.cache_secs);
    let state = AppState {
        pool,
        settings,
        auth,
        digests: Arc::new(scheduler.clone()),
        metrics,
        limiter,
        figures,
    };
    Ok((state, scheduler))
}

/// The webhook sender over `state`'s pool.
pub fn dispatcher(state: &AppState) -> crate::webhooks::Dispatcher {
    crate::webhooks::Dispatcher::new(
        state.pool.clone(),
        state.settings.webhooks,
        state.settings.stall,
        state.metrics.clone(),
    )
}

/// Installs the history keyring this process hashes and verifies with: `history.key` (and
/// `history.previous_keys`), or for the local cluster a random key kept beside it.
pub fn install_history_keys(settings: &Settings) -> anyhow::Result<()> {
    use crate::domain::history::keys::{self, HistoryKey, Keyring};
    let configured = settings.history.key.expose_secret();
    let current = if configured.is_empty() {
        HistoryKey::new(&local_secret(settings, ".history-key")?)?
    } else {
        HistoryKey::new(configured.as_bytes())?
    };
    let previous = settings
        .history
        .previous_keys
        .iter()
        .map(|k| HistoryKey::new(k.expose_secret().as_bytes()))
        .collect::<Result<Vec<_>, _>>()?;
    keys::install(Keyring { current, previous });
    Ok(())
}

/// A random secret kept in `<local_dir><suffix>` (mode 0600), made on first use. Only for the
/// private local cluster: configuration validation requires real secrets with a database URL.
fn local_secret(settings: &Settings, suffix: &str) -> anyhow::Result<Vec<u8>> {
    let mut path = settings.database.local_dir.clone().into_os_string();
    path.push(suffix);
    let path = std::path::PathBuf::from(path);
    if let Ok(existing) = std::fs::read_to_string(&path)
        && existing.trim().len() >= 32
    {
        return Ok(existing.trim().as_bytes().to_vec());
    }
    let secret = secrets::generate("")?;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(&path, &secret)?;
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
    Ok(secret.into_bytes())
}

/// The HS256 secret: configured, or (for the local cluster only, where config validation allows
/// it to be empty) a random one kept beside the cluster's data so sessions survive restarts.
fn jwt_secret(settings: &Settings) -> anyhow::Result<Vec<u8>> {
    let configured = settings.auth.jwt_secret.expose_secret();
    if !configured.is_empty() || settings.auth.jwt_algorithm != JwtAlgorithm::HS256 {
        return Ok(configured.as_bytes().to_vec());
    }
    local_secret(settings, ".jwt-secret")
}

/// `recotrack serve`: migrate, then answer HTTP until SIGINT or SIGTERM, then stop the local
/// cluster if this process started it.
pub async fn serve(settings: Settings) -> anyhow::Result<()> {
    let settings = Arc::new(settings);
    let database = Database::open(&settings)?;
    let applied = migrate(database.url())?;
    tracing::info!(
        applied = applied.len(),
        local = database.is_local(),
        "database ready"
    );
    warn_of_legacy_history(&settings, database.url())?;
    if settings.seed.on_start {
        seed(&settings, &database)?;
    }
    let (state, scheduler) = state(settings.clone(), database.url())?;
    let address = format!("{}:{}", settings.server.host, settings.server.port);
    let listener =
        TcpListener::bind(&address).with_context(|| format!("listening on {address}"))?;
    let scheduled = settings
        .digest
        .enabled
        .then(|| actix_web::rt::spawn(scheduler.clone().run_forever()));
    let dispatcher = dispatcher(&state);
    let dispatching = settings
        .webhooks
        .enabled
        .then(|| actix_web::rt::spawn(dispatcher.clone().run_forever()));
    tracing::info!(%address, "serving; stop with Ctrl-C");
    // On SIGTERM or Ctrl-C actix stops accepting and lets in-flight requests finish.
    http::server(state, listener)?.await?;
    tracing::info!("HTTP server stopped");
    scheduler.stop();
    dispatcher.stop();
    let grace = std::time::Duration::from_secs(settings.server.shutdown_timeout_secs);
    if let Some(task) = scheduled
        && tokio::time::timeout(grace, task).await.is_err()
    {
        tracing::warn!("the scheduler did not finish its delivery in time");
    }
    if let Some(task) = dispatching
        && tokio::time::timeout(grace, task).await.is_err()
    {
        tracing::warn!("the webhook sender did not finish its batch in time");
    }
    drop(database);
    Ok(())
}

/// `recotrack sandbox -- CMD`: runs CMD against a throwaway cluster holding a migrated template
/// database, then stops and removes the cluster whatever CMD did.
pub async fn sandbox(command: &[String]) -> anyhow::Result<ExitStatus> {
    let (program, args) = command.split_first().context("no command given")?;
    let cluster = LocalPostgres::start_throwaway()?;
    cluster.ensure_database(TEST_TEMPLATE)?;
    migrate(&cluster.url(TEST_TEMPLATE))?;
    let mut child = tokio::process::Command::new(program)
        .args(args)
        .env("RECOTRACK_TEST_DATABASE_URL", cluster.url("postgres"))
        .env("RECOTRACK_TEST_TEMPLATE", TEST_TEMPLATE)
        .spawn()
        .with_context(|| format!("starting {program}"))?;
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let status = tokio::select! {
        status = child.wait() => status?,
        // Ctrl-C reaches the child through the terminal's process group; wait for it to finish.
        _ = tokio::signal::ctrl_c() => child.wait().await?,
        _ = terminate.recv() => {
            if let Some(pid) = child.id().and_then(|id| i32::try_from(id).ok()) {
                let _gone = nix::sys::signal::kill(
                    nix::unistd::Pid::from_raw(pid),
                    nix::sys::signal::Signal::SIGTERM,
                );
            }
            child.wait().await?
        }
    };
    drop(cluster);
    Ok(status)
}
