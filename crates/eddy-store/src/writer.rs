//! Group commit. One writer thread executes every write (item writes, table changes, TTL deletes) in arrival
//! order, so condition checks are race-free and stream sequence numbers follow commit order. The jobs waiting
//! when the writer turns to them form a group: each job reads through an overlay of the group's earlier
//! changes, and the whole group is applied as one atomic batch (one journal write). A separate syncer thread
//! then makes it durable with a single fsync and only then completes the jobs. While the syncer waits on the
//! disk, the writer already runs the next group, so many concurrent writers share each fsync.
//!
//! Reads go straight to the backend and may observe a batch that is applied but not yet acknowledged; stream
//! readers are held to the durable watermark (see `stream`), so nothing downstream sees a record that a crash
//! could still take back.

use std::ops::Bound;
use std::sync::Arc;
use std::sync::mpsc;
use std::thread;

use eddy_model::DynamoError;
use rustc_hash::FxHashMap;
use tokio::sync::oneshot;

use crate::backend::{Backend, BackendResult, KeyValue, Mutation, Space};

/// Runs after the job's batch is durable (`true`) or failed to become durable (`false`).
pub(crate) type Completion = Box<dyn FnOnce(bool) + Send>;
pub(crate) type Job = Box<dyn FnOnce(&mut WriteCtx) -> Completion + Send>;

/// Most jobs folded into one group before the syncer is handed the group.
const MAX_GROUP: usize = 256;
/// Memory the writer's item cache may use.
const ITEM_CACHE_BYTES: usize = 32 * 1024 * 1024;
/// How many times the writer yields looking for a next job before it parks.
const SPIN_ROUNDS: usize = 8;

/// What a job sees: reads that include the writes of earlier jobs of the same group, and a batch to stage its
/// own changes into. A group's changes are applied to the backend together, as one atomic batch, when the group
/// ends (or before a job needs a range read).
pub struct WriteCtx {
    backend: Arc<dyn Backend>,
    /// The current job's changes.
    staged: Vec<Mutation>,
    /// Changes of the group's finished jobs, not yet applied.
    group: Vec<Mutation>,
    /// The latest value of every key `group` touches (`None` = deleted), per keyspace, for reads within the group.
    overlay: [FxHashMap<Vec<u8>, Option<Vec<u8>>>; 4],
    /// Work to do once the current job's changes are durable (waking stream readers, …).
    after_durable: Vec<Box<dyn FnOnce() + Send>>,
    /// A group batch failed to apply: every job of the group fails.
    group_failed: bool,
    /// Recently read and written items.
    items: ItemCache,
}

impl WriteCtx {
    fn new(backend: Arc<dyn Backend>) -> WriteCtx {
        WriteCtx {
            backend,
            staged: Vec::new(),
            group: Vec::new(),
            overlay: Default::default(),
            after_durable: Vec::new(),
            group_failed: false,
            items: ItemCache::new(ITEM_CACHE_BYTES),
        }
    }

    pub(crate) fn stage(&mut self, m: Mutation) {
        self.staged.push(m);
    }

    pub(crate) fn after_durable(&mut self, f: impl FnOnce() + Send + 'static) {
        self.after_durable.push(Box::new(f));
    }

    /// Drops everything the current job staged (the job failed).
    pub(crate) fn discard(&mut self) {
        self.staged.clear();
        self.after_durable.clear();
    }

    /// Reads a key as of the jobs before this one (the current job's own staged changes are not visible).
    pub(crate) fn get(&mut self, space: Space, key: &[u8]) -> BackendResult<Option<Vec<u8>>> {
        if let Some(value) = self.overlay[space as usize].get(key) {
            return Ok(value.clone());
        }
        if space != Space::Items {
            return self.backend.get(space, key);
        }
        if let Some(value) = self.items.get(key) {
            return Ok(value);
        }
        let value = self.backend.get(space, key)?;
        self.items.insert(key.to_vec(), value.clone());
        Ok(value)
    }

    /// A range read, which first applies the group's pending changes so it sees them.
    pub(crate) fn range(
        &mut self,
        space: Space,
        lower: Bound<&[u8]>,
        upper: Bound<&[u8]>,
        reverse: bool,
        limit: usize,
    ) -> BackendResult<Vec<KeyValue>> {
        self.apply_group();
        self.backend.range(space, lower, upper, reverse, limit)
    }

    /// Moves the finished job's changes into the group.
    fn finish_job(&mut self) {
        for m in self.staged.drain(..) {
            match &m {
                Mutation::Put(space, key, value) => {
                    self.overlay[*space as usize].insert(key.clone(), Some(value.clone()))
                }
                Mutation::Delete(space, key) => {
                    self.overlay[*space as usize].insert(key.clone(), None)
                }
            };
            self.group.push(m);
        }
    }

    /// Applies the group's changes as one atomic batch.
    fn apply_group(&mut self) {
        if self.group.is_empty() {
            return;
        }
        if let Err(e) = self.backend.apply(std::mem::take(&mut self.group)) {
            tracing::error!("applying a write batch failed: {e}");
            self.group_failed = true;
            self.items.clear();
        } else {
            for (key, value) in self.overlay[Space::Items as usize].drain() {
                self.items.insert(key, value);
            }
        }
        self.overlay.iter_mut().for_each(FxHashMap::clear);
    }
}

/// The items the writer read or wrote recently, as stored. Only the writer changes items, so the cache can
/// never be stale: every applied change goes into it. Two generations approximate LRU: entries are added to
/// the young map; when it holds half the budget, it becomes the old map and the previous old map is dropped; a
/// hit in the old map moves the entry back to the young one.
struct ItemCache {
    young: FxHashMap<Vec<u8>, Option<Vec<u8>>>,
    old: FxHashMap<Vec<u8>, Option<Vec<u8>>>,
    young_bytes: usize,
    budget_bytes: usize,
}

impl ItemCache {
    fn new(budget_bytes: usize) -> ItemCache {
        ItemCache {
            young: FxHashMap::default(),
            old: FxHashMap::default(),
            young_bytes: 0,
            budget_bytes,
        }
    }

    fn get(&mut self, key: &[u8]) -> Option<Option<Vec<u8>>> {
        if let Some(v) = self.young.get(key) {
            return Some(v.clone());
        }
        let (key, value) = self.old.remove_entry(key)?;
        self.insert(key, value.clone());
        Some(value)
    }

    fn insert(&mut self, key: Vec<u8>, value: Option<Vec<u8>>) {
        let size = key.len() + value.as_ref().map_or(0, Vec::len) + 48;
        self.old.remove(&key);
        if let Some(previous) = self.young.insert(key, value) {
            self.young_bytes = self
                .young_bytes
                .saturating_sub(previous.map_or(0, |p| p.len()));
        }
        self.young_bytes += size;
        if self.young_bytes > self.budget_bytes / 2 {
            self.old = std::mem::take(&mut self.young);
            self.young_bytes = 0;
        }
    }

    fn clear(&mut self) {
        self.young.clear();
        self.old.clear();
        self.young_bytes = 0;
    }
}

/// Hooks the writer calls once per group, after its jobs ran (e.g. persisting table counters).
pub(crate) trait GroupHook: Send + Sync {
    fn end_of_group(&self, ctx: &mut WriteCtx);
}

#[derive(Clone)]
pub(crate) struct Writer {
    jobs: mpsc::Sender<Job>,
}

impl Writer {
    pub(crate) fn start(
        backend: Arc<dyn Backend>,
        durable: bool,
        hook: Arc<dyn GroupHook>,
    ) -> Writer {
        let (jobs, job_rx) = mpsc::channel::<Job>();
        let (groups, group_rx) = mpsc::channel::<Group>();
        {
            let backend = backend.clone();
            thread::Builder::new()
                .name("eddy-writer".into())
                .spawn(move || write_loop(backend, job_rx, groups, hook))
                .ok();
        }
        thread::Builder::new()
            .name("eddy-syncer".into())
            .spawn(move || sync_loop(backend, group_rx, durable))
            .ok();
        Writer { jobs }
    }

    /// Runs `f` on the writer thread and returns its result once its changes are durable. If `f` fails,
    /// whatever it staged is dropped: a failed request changes nothing.
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut WriteCtx) -> Result<T, DynamoError> + Send + 'static,
    ) -> Result<T, DynamoError> {
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move |ctx| {
            let out = f(ctx);
            if out.is_err() {
                ctx.discard();
            }
            Box::new(move |durable| {
                let _ = tx.send(if durable { out } else { Err(storage_failure()) });
            })
        });
        self.jobs.send(job).map_err(|_| storage_failure())?;
        rx.await.map_err(|_| storage_failure())?
    }
}

fn storage_failure() -> DynamoError {
    DynamoError::Internal("Internal server error".into())
}

/// Waits for the next job, spinning briefly first: under load the next job is usually microseconds away, and
/// parking and waking the writer thread for each one would cost more than the job.
fn next_job(jobs: &mpsc::Receiver<Job>) -> Option<Job> {
    for _ in 0..SPIN_ROUNDS {
        match jobs.try_recv() {
            Ok(job) => return Some(job),
            Err(mpsc::TryRecvError::Empty) => thread::yield_now(),
            Err(mpsc::TryRecvError::Disconnected) => return None,
        }
    }
    jobs.recv().ok()
}

fn write_loop(
    backend: Arc<dyn Backend>,
    jobs: mpsc::Receiver<Job>,
    groups: mpsc::Sender<Group>,
    hook: Arc<dyn GroupHook>,
) {
    let mut ctx = WriteCtx::new(backend);
    while let Some(first) = next_job(&jobs) {
        let mut completions: Vec<Completion> = Vec::new();
        let mut next = Some(first);
        while let Some(job) = next {
            let completion = job(&mut ctx);
            ctx.finish_job();
            let after = std::mem::take(&mut ctx.after_durable);
            completions.push(Box::new(move |durable| {
                if durable {
                    after.into_iter().for_each(|f| f());
                }
                completion(durable)
            }));
            next = if completions.len() < MAX_GROUP {
                jobs.try_recv().ok()
            } else {
                None
            };
        }
        hook.end_of_group(&mut ctx);
        ctx.finish_job();
        ctx.apply_group();
        let applied = !std::mem::take(&mut ctx.group_failed);
        if groups
            .send(Group {
                completions,
                applied,
            })
            .is_err()
        {
            return;
        }
    }
}

/// A group's completions, handed to the syncer.
struct Group {
    completions: Vec<Completion>,
    /// Whether every batch of the group was applied.
    applied: bool,
}

fn sync_loop(backend: Arc<dyn Backend>, groups: mpsc::Receiver<Group>, durable: bool) {
    while let Ok(first) = groups.recv() {
        let mut batch = vec![first];
        while let Ok(more) = groups.try_recv() {
            batch.push(more);
        }
        let ok = if durable {
            match backend.sync() {
                Ok(()) => true,
                Err(e) => {
                    tracing::error!("fsync failed: {e}");
                    false
                }
            }
        } else {
            true
        };
        for group in batch {
            for completion in group.completions {
                completion(ok && group.applied);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::MemoryBackend;

    #[test]
    fn item_cache_keeps_recent_entries_within_its_budget() {
        let mut cache = ItemCache::new(1000);
        cache.insert(b"a".to_vec(), Some(vec![1; 100]));
        assert_eq!(cache.get(b"a"), Some(Some(vec![1; 100])));
        for i in 0..50u8 {
            cache.insert(vec![b'k', i], Some(vec![i; 100]));
        }
        // Old entries fall out once two generations have passed…
        assert_eq!(cache.get(b"a"), None);
        // …recent ones stay, and deletions are remembered as such.
        assert_eq!(cache.get(&[b'k', 49]), Some(Some(vec![49; 100])));
        cache.insert(vec![b'k', 49], None);
        assert_eq!(cache.get(&[b'k', 49]), Some(None));
    }

    #[test]
    fn a_job_sees_the_writes_of_earlier_jobs_of_its_group() {
        let backend: Arc<dyn Backend> = Arc::new(MemoryBackend::new());
        let mut ctx = WriteCtx::new(backend.clone());
        ctx.stage(Mutation::Put(Space::Items, b"k".to_vec(), b"v1".to_vec()));
        assert_eq!(
            ctx.get(Space::Items, b"k").unwrap(),
            None,
            "a job does not see its own staged writes"
        );
        ctx.finish_job();
        assert_eq!(ctx.get(Space::Items, b"k").unwrap(), Some(b"v1".to_vec()));
        assert_eq!(
            backend.get(Space::Items, b"k").unwrap(),
            None,
            "nothing is applied before the group ends"
        );
        ctx.stage(Mutation::Delete(Space::Items, b"k".to_vec()));
        ctx.discard();
        ctx.finish_job();
        ctx.apply_group();
        assert_eq!(
            backend.get(Space::Items, b"k").unwrap(),
            Some(b"v1".to_vec()),
            "a discarded job changes nothing"
        );
        assert_eq!(ctx.get(Space::Items, b"k").unwrap(), Some(b"v1".to_vec()));
    }
}
