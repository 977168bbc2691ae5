//! A small read-through cache for hot, rarely changing rows (API tokens, workspaces), so a
//! SCIM or access request does not pay a database round trip for its bearer token and
//! workspace every time. Entries live at most [`TTL`]; any write in this process that could
//! change an entry clears the whole cache at once, so this process never serves a stale row,
//! and other processes' changes (a token revoked from the CLI) apply within [`TTL`].

use std::{
    collections::HashMap,
    hash::Hash,
    sync::RwLock,
    time::{Duration, Instant},
};

/// How long another process's change may take to be seen here.
pub const TTL: Duration = Duration::from_secs(2);

/// Largest number of entries kept (beyond it the cache starts over).
const MAX_ENTRIES: usize = 10_000;

/// Entries with their load time.
pub struct TtlCache<K, V> {
    entries: RwLock<HashMap<K, (V, Instant)>>,
}

impl<K: Eq + Hash + Clone, V: Clone> Default for TtlCache<K, V> {
    fn default() -> Self {
        Self {
            entries: RwLock::new(HashMap::new()),
        }
    }
}

impl<K: Eq + Hash + Clone, V: Clone> TtlCache<K, V> {
    /// The cached value, if loaded less than [`TTL`] ago.
    pub fn get(&self, key: &K) -> Option<V> {
        let entries = self.entries.read().expect("cache lock poisoned");
        entries
            .get(key)
            .filter(|(_, at)| at.elapsed() < TTL)
            .map(|(v, _)| v.clone())
    }

    /// Remembers a freshly loaded value.
    pub fn put(&self, key: K, value: V) {
        let mut entries = self.entries.write().expect("cache lock poisoned");
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(key, (value, Instant::now()));
    }

    /// Forgets everything (after a write that may have changed any entry).
    pub fn clear(&self) {
        self.entries.write().expect("cache lock poisoned").clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_served_until_cleared() {
        let cache: TtlCache<&str, i32> = TtlCache::default();
        assert_eq!(cache.get(&"a"), None);
        cache.put("a", 1);
        assert_eq!(cache.get(&"a"), Some(1));
        cache.clear();
        assert_eq!(cache.get(&"a"), None);
    }
}
