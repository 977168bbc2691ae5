//! The per-workspace in-memory access index, kept exact by the change feed.
//!
//! Every write commits change rows; after its commit the writing instance replays them into its
//! own index before answering, so an answer is never older than this instance's latest commit.
//! Other instances notice writes by polling workspace revisions ([`AccessCache::spawn_poller`],
//! every 250 ms) and at once when a caller asks for a revision they have not seen yet
//! (`at_least_revision`): then they read through to the database before answering.

use std::{
    collections::HashMap,
    sync::{Arc, RwLock},
    time::Duration,
};

use uuid::Uuid;

use crate::{
    access::WorkspaceIndex,
    storage::{Store, StoreError},
};

/// Changes read per round trip when catching up.
const CATCH_UP_BATCH: i64 = 5_000;

/// How often instances look for each other's writes.
pub const POLL_INTERVAL: Duration = Duration::from_millis(250);

struct Entry {
    index: RwLock<WorkspaceIndex>,
    /// One catch-up at a time per workspace.
    syncing: tokio::sync::Mutex<()>,
}

/// Why a read could not be answered.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("revision {asked} is newer than the workspace's latest revision {latest}")]
    RevisionAhead { asked: i64, latest: i64 },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Indexes of the workspaces this instance has served, loaded on first use.
pub struct AccessCache {
    store: Store,
    entries: RwLock<HashMap<Uuid, Arc<Entry>>>,
    loading: tokio::sync::Mutex<()>,
}

impl AccessCache {
    pub fn new(store: Store) -> Arc<Self> {
        Arc::new(Self {
            store,
            entries: RwLock::new(HashMap::new()),
            loading: tokio::sync::Mutex::new(()),
        })
    }

    fn loaded(&self, workspace_id: Uuid) -> Option<Arc<Entry>> {
        self.entries
            .read()
            .expect("cache lock poisoned")
            .get(&workspace_id)
            .cloned()
    }

    async fn entry(&self, workspace_id: Uuid) -> Result<Arc<Entry>, StoreError> {
        if let Some(entry) = self.loaded(workspace_id) {
            return Ok(entry);
        }
        let _one_loader = self.loading.lock().await;
        if let Some(entry) = self.loaded(workspace_id) {
            return Ok(entry);
        }
        let snapshot = self.store.load_snapshot(workspace_id).await?;
        let entry = Arc::new(Entry {
            index: RwLock::new(WorkspaceIndex::from_snapshot(snapshot)),
            syncing: tokio::sync::Mutex::new(()),
        });
        self.entries
            .write()
            .expect("cache lock poisoned")
            .insert(workspace_id, entry.clone());
        Ok(entry)
    }

    /// Replays every committed change this instance has not applied yet; returns the revision.
    pub async fn catch_up(&self, workspace_id: Uuid) -> Result<i64, StoreError> {
        let entry = self.entry(workspace_id).await?;
        self.catch_up_entry(workspace_id, &entry).await
    }

    /// Brings the index to at least `revision` (this instance's own commit); returns the
    /// revision applied. Writers committed together (see the store's group commit) wait on
    /// one catch-up: whoever follows the first finds its revision applied already, without
    /// another read of the feed.
    pub async fn catch_up_to(&self, workspace_id: Uuid, revision: i64) -> Result<i64, StoreError> {
        let entry = self.entry(workspace_id).await?;
        let applied = entry.index.read().expect("index lock poisoned").revision();
        if applied >= revision {
            return Ok(applied);
        }
        self.catch_up_from(workspace_id, &entry, Some(revision))
            .await
    }

    async fn catch_up_entry(&self, workspace_id: Uuid, entry: &Entry) -> Result<i64, StoreError> {
        self.catch_up_from(workspace_id, entry, None).await
    }

    async fn catch_up_from(
        &self,
        workspace_id: Uuid,
        entry: &Entry,
        enough: Option<i64>,
    ) -> Result<i64, StoreError> {
        let _one_at_a_time = entry.syncing.lock().await;
        let mut revision = entry.index.read().expect("index lock poisoned").revision();
        if enough.is_some_and(|enough| revision >= enough) {
            return Ok(revision);
        }
        loop {
            let events = self
                .store
                .changes_after(workspace_id, revision, CATCH_UP_BATCH)
                .await?;
            let Some(last) = events.last() else {
                return Ok(revision);
            };
            let last_revision = last.revision;
            {
                let mut index = entry.index.write().expect("index lock poisoned");
                for event in &events {
                    index.apply(event.revision, &event.change);
                }
            }
            revision = last_revision;
            if (events.len() as i64) < CATCH_UP_BATCH {
                return Ok(revision);
            }
        }
    }

    /// Runs `read` on the workspace's index, first catching up to `at_least_revision` if the
    /// caller holds a newer revision than this instance has applied.
    pub async fn read<R>(
        &self,
        workspace_id: Uuid,
        at_least_revision: Option<i64>,
        read: impl FnOnce(&WorkspaceIndex) -> R,
    ) -> Result<R, CacheError> {
        let entry = self.entry(workspace_id).await?;
        if let Some(asked) = at_least_revision {
            let current = entry.index.read().expect("index lock poisoned").revision();
            if asked > current {
                let latest = self.catch_up_entry(workspace_id, &entry).await?;
                if asked > latest {
                    return Err(CacheError::RevisionAhead { asked, latest });
                }
            }
        }
        let index = entry.index.read().expect("index lock poisoned");
        Ok(read(&index))
    }

    /// The revision this instance has applied for a workspace, if it has loaded it.
    pub fn loaded_revision(&self, workspace_id: Uuid) -> Option<i64> {
        self.loaded(workspace_id)
            .map(|e| e.index.read().expect("index lock poisoned").revision())
    }

    /// Catches up every loaded workspace whose database revision moved.
    pub async fn poll_once(&self) -> Result<(), StoreError> {
        let revisions = self.store.workspace_revisions().await?;
        for (workspace_id, db_revision) in revisions {
            let Some(entry) = self.loaded(workspace_id) else {
                continue;
            };
            let applied = entry.index.read().expect("index lock poisoned").revision();
            if db_revision > applied {
                self.catch_up_entry(workspace_id, &entry).await?;
            }
        }
        Ok(())
    }

    /// Polls for other instances' writes until the process ends.
    pub fn spawn_poller(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        let cache = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(POLL_INTERVAL);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticker.tick().await;
                let Some(cache) = cache.upgrade() else { return };
                if let Err(err) = cache.poll_once().await {
                    tracing::warn!(error = %err, "could not poll workspace revisions");
                }
            }
        })
    }
}
