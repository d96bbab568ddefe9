//! Who is calling, without a database round trip on most requests. Each instance keeps the
//! answer for a session (by its id) or an API token (by its digest) for a few seconds. A change
//! that can alter an answer (a role or active flag, a revoked session or token) sends a
//! PostgreSQL notification in its own transaction (the `auth_changes` triggers), and every
//! instance's listener forgets the answers it names. The instance that made the change forgets
//! at once ([`Callers::forget`]); others within one poll of their listener. While a
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

/// A change to who may call, as the `auth_changes` triggers name it in their notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// A user's role or active flag (`user:<id>`): every session of theirs.
    User(Uuid),
    /// A session's revocation (`session:<id>`).
    Session(Uuid),
    /// An API token's revocation, role or expiry (`token:<id>`).
    Token(Uuid),
}

impl Change {
    /// The change a notification's payload names; `None` for one this version does not know.
    pub fn parse(payload: &str) -> Option<Self> {
        let (kind, id) = payload.split_once(':')?;
        let id = Uuid::parse_str(id).ok()?;
        match kind {
            "user" => Some(Self::User(id)),
            "session" => Some(Self::Session(id)),
            "token" => Some(Self::Token(id)),
            _ => None,
        }
    }
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

    /// Forgets every answer (notifications may have been missed).
    fn forget_all(&self) {
        let mut entries = self.entries();
        self.generation.fetch_add(1, Ordering::AcqRel);
        entries.clear();
    }

    /// Forgets the answers `change` can alter: the instance that made it calls this after the
    /// change, the listener when a notification names it.
    pub fn forget(&self, change: Change) {
        let mut entries = self.entries();
        self.generation.fetch_add(1, Ordering::AcqRel);
        match change {
            Change::User(user) => entries.retain(|key, held| {
                !(matches!(key, Key::Session(_)) && held.entry.subject == user)
            }),
            Change::Session(session) => {
                entries.remove(&Key::Session(session));
            }
            Change::Token(token) => entries
                .retain(|key, held| !(matches!(key, Key::Token(_)) && held.entry.subject == token)),
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
            match Change::parse(&notification?.payload) {
                Some(change) => alive.forget(change),
                // Named in a way this version does not know: forget all rather than too little.
                None => alive.forget_all(),
            }
        }
        drop(alive);
        std::thread::sleep(POLL);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::enums::Role;
    use crate::domain::auth::Actor;

    fn live() -> Arc<Callers> {
        let callers = Callers::new(Duration::from_secs(5));
        callers.set_live(true);
        callers
    }

    fn session(user: Uuid, sid: Uuid) -> Entry {
        Entry {
            outcome: Ok(Principal {
                actor: Actor::User {
                    id: user,
                    session: sid,
                },
                role: Role::Manager,
            }),
            subject: user,
            until: None,
        }
    }

    #[test]
    fn an_answer_is_kept_for_its_own_subject_only() {
        let callers = live();
        let (user, sid) = (Uuid::new_v4(), Uuid::new_v4());
        callers.keep(Key::Session(sid), session(user, sid), callers.generation());
        let got = callers.get(&Key::Session(sid), Some(user));
        assert_eq!(got.map(|o| o.map(|p| p.role)), Some(Ok(Role::Manager)));
        assert!(
            callers
                .get(&Key::Session(sid), Some(Uuid::new_v4()))
                .is_none()
        );
    }

    #[test]
    fn an_answer_read_before_a_change_is_not_kept_after_it() {
        let callers = live();
        let (user, sid) = (Uuid::new_v4(), Uuid::new_v4());
        let before = callers.generation();
        callers.forget(Change::User(user));
        callers.keep(Key::Session(sid), session(user, sid), before);
        assert!(callers.get(&Key::Session(sid), Some(user)).is_none());
    }

    #[test]
    fn each_change_forgets_what_it_names_and_nothing_else() {
        let callers = live();
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        let (sa, sb) = (Uuid::new_v4(), Uuid::new_v4());
        for (user, sid) in [(a, sa), (b, sb)] {
            callers.keep(Key::Session(sid), session(user, sid), callers.generation());
        }
        callers.forget(Change::User(a));
        assert!(callers.get(&Key::Session(sa), Some(a)).is_none());
        assert!(callers.get(&Key::Session(sb), Some(b)).is_some());
        callers.forget(Change::Session(sb));
        assert!(callers.get(&Key::Session(sb), Some(b)).is_none());
    }

    #[test]
    fn a_token_past_its_expiry_is_not_answered_from_memory() {
        let callers = live();
        let id = Uuid::new_v4();
        let entry = Entry {
            outcome: Ok(Principal {
                actor: Actor::Token { id },
                role: Role::Viewer,
            }),
            subject: id,
            until: Some(Utc::now() - chrono::Duration::seconds(1)),
        };
        callers.keep(Key::Token("digest".into()), entry, callers.generation());
        assert!(callers.get(&Key::Token("digest".into()), None).is_none());
    }

    #[test]
    fn nothing_is_kept_without_a_listener_or_with_a_zero_ttl() {
        let (user, sid) = (Uuid::new_v4(), Uuid::new_v4());
        let cold = Callers::new(Duration::from_secs(5));
        cold.keep(Key::Session(sid), session(user, sid), cold.generation());
        assert!(cold.get(&Key::Session(sid), Some(user)).is_none());
        let off = Callers::new(Duration::ZERO);
        off.set_live(true);
        off.keep(Key::Session(sid), session(user, sid), off.generation());
        assert!(off.get(&Key::Session(sid), Some(user)).is_none());
    }

    #[test]
    fn notifications_name_changes_as_the_triggers_write_them() {
        let id = Uuid::parse_str("6f9619ff-8b86-d011-b42d-00c04fc964ff").expect("uuid");
        assert_eq!(
            Change::parse("user:6f9619ff-8b86-d011-b42d-00c04fc964ff"),
            Some(Change::User(id))
        );
        assert_eq!(
            Change::parse("session:6f9619ff-8b86-d011-b42d-00c04fc964ff"),
            Some(Change::Session(id))
        );
        assert_eq!(
            Change::parse("token:6f9619ff-8b86-d011-b42d-00c04fc964ff"),
            Some(Change::Token(id))
        );
        assert_eq!(
            Change::parse("team:6f9619ff-8b86-d011-b42d-00c04fc964ff"),
            None
        );
        assert_eq!(Change::parse("user:nope"), None);
    }
}
