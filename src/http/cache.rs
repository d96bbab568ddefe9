//! A short-lived, per-instance cache of computed dashboard figures, keyed by path and query. It
//! bounds the cost of many dashboards polling the same figures on a large database to one
//! computation per `stats.cache_secs`: when a figure expires, one request recomputes it while
//! every request, the one that noticed included, is answered with the previous one while a
//! background task recomputes it (stale while revalidating). The task holds a [`Refresh`]; if it is dropped without a result (the client left, the
//! query failed, the handler panicked), the next request recomputes, so a figure cannot get stuck.

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
    /// Since when one request has been recomputing it.
    refreshing: Option<Instant>,
}

/// What the cache says about a key.
#[derive(Debug)]
pub enum Lookup {
    /// Answer with this.
    Hit(Bytes),
    /// Compute the figure and hand it to [`Refresh::put`]; nobody else is doing so, or there is
    /// nothing to answer with meanwhile.
    Compute(Refresh),
    /// Answer with this, which has expired, and recompute it in the background: no request
    /// waits for a recomputation once a figure has been computed.
    Stale(Bytes, Refresh),
}

/// The right (and duty) to recompute one figure. Dropped without [`Refresh::put`], it lets the
/// next request try.
#[derive(Debug)]
pub struct Refresh {
    cache: Option<FiguresCache>,
    key: String,
}

impl Refresh {
    /// Keeps the recomputed figure.
    pub fn put(mut self, body: Bytes) {
        if let Some(cache) = self.cache.take() {
            cache.store(std::mem::take(&mut self.key), body);
        }
    }
}

impl Drop for Refresh {
    fn drop(&mut self) {
        if let Some(cache) = self.cache.take() {
            cache.abandon(&self.key);
        }
    }
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
        let refresh = |cache: Option<FiguresCache>| {
            Lookup::Compute(Refresh {
                cache,
                key: key.to_owned(),
            })
        };
        if self.ttl.is_zero() {
            return refresh(None);
        }
        let mut entries = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // A recomputation that has taken this long is presumed lost (its guard never dropped,
        // e.g. a task stuck on a dead connection): someone else may try.
        let patience = self.ttl.max(Duration::from_secs(60));
        match entries.get_mut(key) {
            Some(entry)
                if entry.at.elapsed() < self.ttl
                    || entry
                        .refreshing
                        .is_some_and(|since| since.elapsed() < patience) =>
            {
                Lookup::Hit(entry.body.clone())
            }
            Some(entry) => {
                entry.refreshing = Some(Instant::now());
                let body = entry.body.clone();
                match refresh(Some(self.clone())) {
                    Lookup::Compute(refresh) => Lookup::Stale(body, refresh),
                    other => other,
                }
            }
            None => refresh(Some(self.clone())),
        }
    }

    fn store(&self, key: String, body: Bytes) {
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
                refreshing: None,
            },
        );
    }

    /// The computation for `key` gave nothing: let the next request try again.
    fn abandon(&self, key: &str) {
        let mut entries = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(entry) = entries.get_mut(key) {
            entry.refreshing = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(lookup: Lookup) -> Option<Bytes> {
        match lookup {
            Lookup::Hit(body) => Some(body),
            Lookup::Compute(_) | Lookup::Stale(..) => None,
        }
    }

    fn compute(lookup: Lookup) -> Refresh {
        match lookup {
            Lookup::Compute(refresh) => refresh,
            Lookup::Hit(body) => panic!("expected a recompute, got a hit with {body:?}"),
            Lookup::Stale(body, _) => panic!("expected a recompute, got stale {body:?}"),
        }
    }

    /// An expired figure: answered with what it was, recomputed by whoever holds the refresh.
    fn stale(lookup: Lookup) -> (Bytes, Refresh) {
        match lookup {
            Lookup::Stale(body, refresh) => (body, refresh),
            Lookup::Hit(body) => panic!("expected a stale answer, got a hit with {body:?}"),
            Lookup::Compute(_) => panic!("expected a stale answer, got a recompute"),
        }
    }

    fn expire(cache: &FiguresCache, key: &str) {
        if let Some(entry) = cache.entries.lock().expect("lock").get_mut(key) {
            entry.at = Instant::now() - Duration::from_secs(61);
        }
    }

    #[test]
    fn one_caller_recomputes_an_expired_figure_while_others_get_the_old_one() {
        let cache = FiguresCache::new(60);
        compute(cache.get("a")).put(Bytes::from_static(b"1"));
        assert_eq!(hit(cache.get("a")), Some(Bytes::from_static(b"1")));
        expire(&cache, "a");
        let (answered, refresh) = stale(cache.get("a"));
        assert_eq!(
            answered,
            Bytes::from_static(b"1"),
            "the noticing request waits for nothing"
        );
        assert_eq!(hit(cache.get("a")), Some(Bytes::from_static(b"1")));
        refresh.put(Bytes::from_static(b"2"));
        assert_eq!(hit(cache.get("a")), Some(Bytes::from_static(b"2")));
    }

    #[test]
    fn a_recompute_dropped_without_a_result_lets_the_next_request_try() {
        let cache = FiguresCache::new(60);
        compute(cache.get("a")).put(Bytes::from_static(b"1"));
        expire(&cache, "a");
        drop(stale(cache.get("a")));
        stale(cache.get("a")).1.put(Bytes::from_static(b"3"));
        assert_eq!(hit(cache.get("a")), Some(Bytes::from_static(b"3")));
    }

    #[test]
    fn a_recompute_that_never_ends_is_given_up_after_a_while() {
        let cache = FiguresCache::new(60);
        compute(cache.get("a")).put(Bytes::from_static(b"1"));
        expire(&cache, "a");
        let stuck = stale(cache.get("a"));
        if let Some(entry) = cache.entries.lock().expect("lock").get_mut("a") {
            entry.refreshing = Some(Instant::now() - Duration::from_secs(61));
        }
        let (old, _again) = stale(cache.get("a"));
        assert_eq!(old, Bytes::from_static(b"1"), "a new recompute starts");
        std::mem::forget(stuck);
    }

    #[test]
    fn zero_seconds_turns_it_off() {
        let off = FiguresCache::new(0);
        compute(off.get("a")).put(Bytes::from_static(b"1"));
        assert!(hit(off.get("a")).is_none());
    }
}
