//! Background work split into one task per key (a webhook, an IdP connection), so a slow key
//! delays only itself. The tasks belong to the set: dropping it (the owning task aborted at
//! shutdown) aborts them all.

use std::{
    collections::{HashMap, HashSet},
    future::Future,
    hash::Hash,
};

use tokio::task::{Id, JoinSet};

/// At most one running task per key.
pub struct KeyedTasks<K> {
    set: JoinSet<()>,
    keys: HashMap<Id, K>,
    running: HashSet<K>,
}

impl<K: Eq + Hash + Clone> Default for KeyedTasks<K> {
    fn default() -> Self {
        Self {
            set: JoinSet::new(),
            keys: HashMap::new(),
            running: HashSet::new(),
        }
    }
}

impl<K: Eq + Hash + Clone> KeyedTasks<K> {
    /// Forgets tasks that have finished (a panic is logged, and the key may run again).
    pub fn reap(&mut self) {
        while let Some(outcome) = self.set.try_join_next_with_id() {
            let id = match outcome {
                Ok((id, ())) => id,
                Err(err) => {
                    tracing::error!(error = %err, "a background task failed");
                    err.id()
                }
            };
            if let Some(key) = self.keys.remove(&id) {
                self.running.remove(&key);
            }
        }
    }

    pub fn is_running(&self, key: &K) -> bool {
        self.running.contains(key)
    }

    /// Runs `work` for `key` unless a task for it is still running; answers whether it started.
    pub fn start(&mut self, key: K, work: impl Future<Output = ()> + Send + 'static) -> bool {
        if self.running.contains(&key) {
            return false;
        }
        let handle = self.set.spawn(work);
        self.keys.insert(handle.id(), key.clone());
        self.running.insert(key);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn one_task_per_key_and_finished_keys_run_again() {
        let mut tasks = KeyedTasks::default();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        assert!(tasks.start(1, async move {
            let _ = rx.await;
        }));
        assert!(!tasks.start(1, async {}), "still running");
        assert!(tasks.start(2, async {}));
        tx.send(()).unwrap();
        for _ in 0..100 {
            tasks.reap();
            if !tasks.is_running(&1) && !tasks.is_running(&2) {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        assert!(!tasks.is_running(&1));
        assert!(tasks.start(1, async {}));
    }
}
