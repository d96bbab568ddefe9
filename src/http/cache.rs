//! A short-lived, per-instance cache of computed dashboard figures, keyed by path and query. It
//! bounds the cost of many dashboards polling the same figures on a large database to one
//! computation per `stats.cache_secs`: when a figure expires, one request recomputes it while
//! the others are still answered with the previous one (stale while revalidating).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;

/// More distinct queries than this and the cache starts over rather than grow.
const MAX_ENTRIES: usize = 1_000;

#[derive(Debug)]
struct Entry {
    at: Instant,
    body: Bytes,
    refreshing: bool,
}

/// What the cache says about a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// Answer with this.
    Hit(Bytes),
    /// Compute the figure (and [`FiguresCache::put`] it); nobody else is doing so, or there
    /// is nothing to answer with meanwhile.
    Compute,
}

#[derive(Debug, Clone)]
pub struct FiguresCache {
    ttl: Duration,
    entries: Arc<Mutex<HashMap<String, Entry>>>,
}

impl FiguresCache {
    pub fn new(ttl_secs: u64) -> Self {
        Self {
            ttl: Duration::from_secs(ttl_secs),
            entries: Arc::default(),
        }
    }

    pub fn get(&self, key: &str) -> Lookup {
        if self.ttl.is_zero() {
            return Lookup::Compute;
        }
        let mut entries = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match entries.get_mut(key) {
            Some(entry) if entry.at.elapsed() < self.ttl || entry.refreshing => {
                Lookup::Hit(entry.body.clone())
            }
            Some(entry) => {
                entry.refreshing = true;
                Lookup::Compute
            }
            None => Lookup::Compute,
        }
    }

    pub fn put(&self, key: String, body: Bytes) {
        if self.ttl.is_zero() {
            return;
        }
        let mut entries = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(
            key,
            Entry {
                at: Instant::now(),
                body,
                refreshing: false,
            },
        );
    }

    /// The computation for `key` failed: let the next request try again.
    pub fn abandon(&self, key: &str) {
        let mut entries = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(entry) = entries.get_mut(key) {
            entry.refreshing = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_caller_recomputes_an_expired_figure_while_others_get_the_old_one() {
        let cache = FiguresCache::new(60);
        assert_eq!(cache.get("a"), Lookup::Compute);
        cache.put("a".into(), Bytes::from_static(b"1"));
        assert_eq!(cache.get("a"), Lookup::Hit(Bytes::from_static(b"1")));
        if let Some(entry) = cache.entries.lock().expect("lock").get_mut("a") {
            entry.at = Instant::now() - Duration::from_secs(61);
        }
        assert_eq!(cache.get("a"), Lookup::Compute);
        assert_eq!(cache.get("a"), Lookup::Hit(Bytes::from_static(b"1")));
        cache.abandon("a");
        assert_eq!(cache.get("a"), Lookup::Compute);
        cache.put("a".into(), Bytes::from_static(b"2"));
        assert_eq!(cache.get("a"), Lookup::Hit(Bytes::from_static(b"2")));
    }

    #[test]
    fn zero_seconds_turns_it_off() {
        let off = FiguresCache::new(0);
        off.put("a".into(), Bytes::from_static(b"1"));
        assert_eq!(off.get("a"), Lookup::Compute);
    }
}
