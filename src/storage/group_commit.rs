//! Group commit: concurrent change sets of one workspace share one transaction.
//!
//! Revisions must be gap-free and commit in order, so writers of a workspace hold its row
//! lock until they commit. Holding it for a whole transaction per request made them run one
//! at a time, each paying its own commit (and flush). Instead, change sets queue per
//! workspace; one writer task takes everything queued, locks the workspace row once, and
//! writes each change set inside its own SAVEPOINT: one that fails (last-owner guard, a
//! duplicate, If-Match) rolls back to its savepoint and answers its own error while the others
//! commit. The outcome is the same as running the change sets one after the other in queue
//! order; only the transaction boundary is shared.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use tokio::sync::oneshot;
use uuid::Uuid;

use super::{AuditedChange, ChangeContext, SideWrite, Store, StoreError};

/// At most this many change sets share a transaction (bounds one transaction's size and
/// the wait of the last change set in it).
const MAX_BATCH: usize = 64;

/// One caller's change set, waiting for the writer.
pub(super) struct Pending {
    pub(super) changes: Vec<AuditedChange>,
    pub(super) ctx: ChangeContext,
    pub(super) side_writes: Vec<SideWrite>,
    pub(super) answer: oneshot::Sender<Result<i64, StoreError>>,
}

#[derive(Default)]
struct Queue {
    pending: Vec<Pending>,
}

/// The per-workspace queues; a workspace has an entry while its writer task runs.
#[derive(Default)]
pub(crate) struct CommitQueues {
    queues: Mutex<HashMap<Uuid, Queue>>,
}

impl CommitQueues {
    /// Queues `pending`; true when no writer runs for the workspace (the caller starts one).
    fn push(&self, workspace_id: Uuid, pending: Pending) -> bool {
        let mut queues = self.queues.lock().expect("commit queue poisoned");
        match queues.get_mut(&workspace_id) {
            Some(queue) => {
                queue.pending.push(pending);
                false
            }
            None => {
                queues.insert(
                    workspace_id,
                    Queue {
                        pending: vec![pending],
                    },
                );
                true
            }
        }
    }

    /// The next batch, or `None` (and the entry removed, so the next caller starts a writer)
    /// when nothing is queued.
    fn take(&self, workspace_id: Uuid) -> Option<Vec<Pending>> {
        let mut queues = self.queues.lock().expect("commit queue poisoned");
        let queue = queues.get_mut(&workspace_id)?;
        if queue.pending.is_empty() {
            queues.remove(&workspace_id);
            return None;
        }
        let n = queue.pending.len().min(MAX_BATCH);
        Some(queue.pending.drain(..n).collect())
    }

    /// Drops the workspace's queue (its waiters get an error) after its writer failed.
    fn abandon(&self, workspace_id: Uuid) {
        if let Ok(mut queues) = self.queues.lock() {
            queues.remove(&workspace_id);
        }
    }
}

/// Resets the queue if the writer task unwinds, so that a panic costs the waiters of that
/// moment an error rather than leaving the workspace without a writer for good.
struct WriterGuard {
    queues: Arc<CommitQueues>,
    workspace_id: Uuid,
}

impl Drop for WriterGuard {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.queues.abandon(self.workspace_id);
        }
    }
}

/// A batch-wide failure told to every waiter of the batch: the caller-facing kinds keep
/// their kind; a database fault is repeated as text (it is logged, never shown).
fn repeat(err: &StoreError) -> StoreError {
    match err {
        StoreError::NotFound(m) => StoreError::NotFound(m.clone()),
        StoreError::Conflict(m) => StoreError::Conflict(m.clone()),
        StoreError::Duplicate(m) => StoreError::Duplicate(m.clone()),
        StoreError::Invalid(m) => StoreError::Invalid(m.clone()),
        StoreError::InvalidFilter(m) => StoreError::InvalidFilter(m.clone()),
        StoreError::PreconditionFailed(m) => StoreError::PreconditionFailed(m.clone()),
        other => StoreError::Database(sqlx::Error::Protocol(format!(
            "the shared commit failed: {other}"
        ))),
    }
}

impl Store {
    /// Queues one change set for the workspace's writer and waits for its revision.
    pub(super) async fn group_commit(
        &self,
        workspace_id: Uuid,
        changes: &[AuditedChange],
        ctx: &ChangeContext,
        side_writes: &[SideWrite],
    ) -> Result<i64, StoreError> {
        let (answer, answered) = oneshot::channel();
        let pending = Pending {
            changes: changes.to_vec(),
            ctx: ctx.clone(),
            side_writes: side_writes.to_vec(),
            answer,
        };
        if self.commit_queues.push(workspace_id, pending) {
            // Its own task, so a caller that goes away (a client hanging up) never cancels
            // a transaction that carries other callers' writes.
            let store = self.clone();
            tokio::spawn(async move { store.run_writer(workspace_id).await });
        }
        answered.await.unwrap_or_else(|_| {
            Err(StoreError::Database(sqlx::Error::Protocol(
                "the workspace's commit writer stopped".into(),
            )))
        })
    }

    /// Writes batches until the workspace's queue is empty.
    async fn run_writer(&self, workspace_id: Uuid) {
        let _guard = WriterGuard {
            queues: self.commit_queues.clone(),
            workspace_id,
        };
        while let Some(batch) = self.commit_queues.take(workspace_id) {
            match self.write_batch(workspace_id, &batch).await {
                Ok(results) => {
                    for (pending, result) in batch.into_iter().zip(results) {
                        let _ = pending.answer.send(result);
                    }
                }
                Err(err) => {
                    let mut batch = batch.into_iter();
                    if let Some(first) = batch.next() {
                        for pending in batch {
                            let _ = pending.answer.send(Err(repeat(&err)));
                        }
                        let _ = first.answer.send(Err(err));
                    }
                }
            }
        }
    }
}
