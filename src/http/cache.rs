//! A short-lived, per-instance cache of computed dashboard figures, keyed by path and query. It
//! bounds the cost of many dashboards polling the same figures on a large database to one
//! computation per `stats.cache_secs`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;

/// More distinct queries than this and the cache starts over rather than grow.
const MAX_ENTRIES: usize = 1_000;

#[derive(Debug, Clone)]
pub struct FiguresCache {
    ttl: Duration,
    entries: Arc<Mutex<HashMap<String, (Instant, Bytes)>>>,
}

impl FiguresCache {
    pub fn new(ttl_secs: u64) -> Self {
        Self {
            ttl: Duration::from_secs(ttl_secs),
            entries: Arc::default(),
        }
    }

    /// The body computed for `key` less than the TTL ago.
    pub fn get(&self, key: &str) -> Option<Bytes> {
        if self.ttl.is_zero() {
            return None;
        }
        let entries = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        entries
            .get(key)
            .filter(|(at, _)| at.elapsed() < self.ttl)
            .map(|(_, body)| body.clone())
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
        entries.insert(key, (Instant::now(), body));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire_and_zero_disables() {
        let cache = FiguresCache::new(60);
        cache.put("a".into(), Bytes::from_static(b"1"));
        assert_eq!(cache.get("a"), Some(Bytes::from_static(b"1")));
        assert_eq!(cache.get("b"), None);
        let off = FiguresCache::new(0);
        off.put("a".into(), Bytes::from_static(b"1"));
        assert_eq!(off.get("a"), None);
    }
}
