//! Who is calling, without a database round trip on most requests. Each instance keeps the
//! answer for a session (by its id) or an API token (by its digest) for a few seconds. A change
//! that can alter an answer (a role or active flag, a revoked session or token) sends a
//! PostgreSQL notification in its own transaction (the `auth_changes` triggers), and every
//! instance's listener forgets the answers it names. The instance that made the change forgets
//! at once ([`Callers::forget_all`]); others within one poll of their listener. While a
//! listener is not connected, nothing is cached: the database answers every request.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use diesel::{Connection, PgConnection, RunQueryDsl};
use uuid::Uuid;

use super::Principal;

/// The channel the `auth_changes` triggers notify on.
pub const CHANNEL: &str = "recotrack_auth";

/// More callers than this and the cache starts over rather than grow.
const MAX_ENTRIES: usize = 10_000;

/// How often the listener looks for notifications: the longest another instance may go on
/// answering from what a change made stale.
const POLL: Duration = Duration::from_millis(200);

/// What a caller is cached under.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Key {
    /// A signed-in session: the access token's session id.
    Session(Uuid),
    /// An API token, by its stored digest.
    Token(String),
}

/// What authentication concluded: the caller, or why it is refused.
pub type Outcome = std::result::Result<Principal, &'static str>;

#[derive(Debug, Clone)]
pub struct Entry {
    pub outcome: Outcome,
    /// The user (for a session) or token (for an API token) the answer is about.
    pub subject: Uuid,
    /// When the answer stops holding by itself (an API token's expiry).
    pub until: Option<DateTime<Utc>>,
}

#[derive(Debug)]
struct Held {
    entry: Entry,
    at: Instant,
}

/// The per-instance cache of callers.
#[derive(Debug)]
pub struct Callers {
    ttl: Duration,
    live: AtomicBool,
    /// Moves on every forgetting, so an answer read before a change is not kept after it.
    generation: AtomicU64,
    entries: Mutex<HashMap<Key, Held>>,
}

impl Callers {
    /// A cache keeping answers for `ttl` (zero: never), not live until a listener connects.
    pub fn new(ttl: Duration) -> Arc<Self> {
        Arc::new(Self {
            ttl,
            live: AtomicBool::new(false),
            generation: AtomicU64::new(0),
            entries: Mutex::default(),
        })
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Held>> {
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The cached answer for `key`, if one is still good (and, for a session, about the
    /// `subject` the access token names).
    pub fn get(&self, key: &Key, subject: Option<Uuid>) -> Option<Outcome> {
        if !self.live.load(Ordering::Acquire) {
            return None;
        }
        let entries = self.entries();
        let held = entries.get(key)?;
        let fresh = held.at.elapsed() < self.ttl
            && subject.is_none_or(|subject| held.entry.subject == subject)
            && held.entry.until.is_none_or(|until| Utc::now() < until);
        fresh.then_some(held.entry.outcome)
    }

    /// The generation to pass to [`Callers::keep`]: read it before asking the database.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Keeps `entry`, unless something was forgotten since `generation` (the answer may
    /// predate that change) or no listener is connected.
    pub fn keep(&self, key: Key, entry: Entry, generation: u64) {
        if self.ttl.is_zero() || !self.live.load(Ordering::Acquire) {
            return;
        }
        let mut entries = self.entries();
        if self.generation() != generation {
            return;
        }
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(
            key,
            Held {
                entry,
                at: Instant::now(),
            },
        );
    }

    /// Forgets every answer: this instance just changed who may call.
    pub fn forget_all(&self) {
        let mut entries = self.entries();
        self.generation.fetch_add(1, Ordering::AcqRel);
        entries.clear();
    }

    /// Forgets what a notification names: `user:<id>`, `session:<id>` or `token:<id>`.
    /// Anything else forgets everything.
    pub fn forget(&self, payload: &str) {
        let named = payload
            .split_once(':')
            .and_then(|(kind, id)| Some((kind, Uuid::parse_str(id).ok()?)));
        let mut entries = self.entries();
        self.generation.fetch_add(1, Ordering::AcqRel);
        match named {
            Some(("user", user)) => entries.retain(|key, held| {
                !(matches!(key, Key::Session(_)) && held.entry.subject == user)
            }),
            Some(("session", session)) => {
                entries.remove(&Key::Session(session));
            }
            Some(("token", token)) => entries
                .retain(|key, held| !(matches!(key, Key::Token(_)) && held.entry.subject == token)),
            _ => entries.clear(),
        }
    }

    /// Starts or stops caching; either way what is held is forgotten, since notifications may
    /// have been missed.
    fn set_live(&self, live: bool) {
        self.forget_all();
        self.live
            .store(live && !self.ttl.is_zero(), Ordering::Release);
    }
}

/// Listens for the notifications of `database_url` on a thread of its own, for as long as
/// `callers` is in use; reconnects after a failure, caching nothing meanwhile.
pub fn listen(database_url: String, callers: &Arc<Callers>) {
    if callers.ttl.is_zero() {
        return;
    }
    let callers = Arc::downgrade(callers);
    let spawned = std::thread::Builder::new()
        .name("auth-listener".into())
        .spawn(move || {
            while let Some(alive) = callers.upgrade() {
                drop(alive);
                if let Err(e) = listen_once(&database_url, &callers) {
                    tracing::warn!(error = %e, "the caller cache's listener lost the database; \
                                                callers are read from it until it is back");
                }
                if let Some(alive) = callers.upgrade() {
                    alive.set_live(false);
                }
                std::thread::sleep(Duration::from_secs(1));
            }
        });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "the caller cache's listener did not start; nothing is cached");
    }
}

fn listen_once(url: &str, callers: &Weak<Callers>) -> diesel::QueryResult<()> {
    let mut conn = PgConnection::establish(url)
        .map_err(|e| diesel::result::Error::QueryBuilderError(Box::new(e)))?;
    diesel::sql_query(format!("LISTEN {CHANNEL}")).execute(&mut conn)?;
    match callers.upgrade() {
        Some(alive) => alive.set_live(true),
        None => return Ok(()),
    }
    loop {
        // libpq reads notifications when it reads anything; a trivial statement makes it read.
        diesel::sql_query("SELECT 1").execute(&mut conn)?;
        let Some(alive) = callers.upgrade() else {
            return Ok(());
        };
        for notification in conn.notifications_iter() {
            alive.forget(&notification?.payload);
        }
        drop(alive);
        std::thread::sleep(POLL);
    }
}
