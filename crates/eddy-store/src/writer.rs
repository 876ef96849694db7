//! Group commit. Every write (item writes, table changes, TTL deletes) is a job run under one lock, in arrival
//! order, so condition checks are race-free and stream sequence numbers follow commit order. A job runs at
//! once on the task that submits it; jobs submitted while a group is open join it: each reads through an
//! overlay of the group's earlier changes, and the whole group is applied as one atomic batch (one journal
//! write) when it closes. A group closes when its first task resumes after yielding to the runtime, which
//! happens only once the runtime has run every other ready task, so everything that arrived meanwhile is in
//! it. A separate syncer thread then makes closed groups durable with a single fsync and only then completes
//! their jobs; while the runtime is busy it holds the fsync back a little (see [`WorkerActivity`]) so that
//! more groups share it. Groups that wrote nothing complete without one (see [`Group::wrote`]).
//!
//! Reads go straight to the backend and may observe a batch that is applied but not yet acknowledged; stream
//! readers are held to the durable watermark (see `stream`), so nothing downstream sees a record that a crash
//! could still take back.

use std::ops::Bound;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use eddy_model::DynamoError;
use rustc_hash::FxHashMap;
use tokio::sync::oneshot;

use crate::backend::{Backend, BackendResult, KeyValue, Mutation, Space};

/// Runs after the job's batch is durable (`true`) or failed to become durable (`false`).
pub(crate) type Completion = Box<dyn FnOnce(bool) + Send>;

/// Most jobs folded into one group before it is closed.
const MAX_GROUP: usize = 256;
/// Memory the writer's item cache may use.
const ITEM_CACHE_BYTES: usize = 32 * 1024 * 1024;

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
    /// The current group applied a batch (it has something to make durable).
    group_wrote: bool,
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
            group_wrote: false,
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
        self.group_wrote = true;
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

    /// The bytes an entry counts for against the budget.
    fn entry_size(key_len: usize, value: Option<&Vec<u8>>) -> usize {
        key_len + value.map_or(0, Vec::len) + 48
    }

    fn insert(&mut self, key: Vec<u8>, value: Option<Vec<u8>>) {
        let key_len = key.len();
        let size = Self::entry_size(key_len, value.as_ref());
        self.old.remove(&key);
        if let Some(previous) = self.young.insert(key, value) {
            // The replaced entry no longer counts (its key, value and overhead).
            let previous_size = Self::entry_size(key_len, previous.as_ref());
            self.young_bytes = self.young_bytes.saturating_sub(previous_size);
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

/// The write path: the open group and the channel to the syncer. Cloning shares it.
#[derive(Clone)]
pub(crate) struct Writer {
    shared: Arc<Shared>,
}

struct Shared {
    open: Mutex<OpenGroup>,
    inbox: Arc<Inbox>,
    hook: Arc<dyn GroupHook>,
}

impl Drop for Shared {
    fn drop(&mut self) {
        self.inbox.shut();
    }
}

/// The group jobs are currently joining.
struct OpenGroup {
    ctx: WriteCtx,
    completions: Vec<Completion>,
    /// Counts closed groups: a job's group is still open while this is what it was when the job ran.
    generation: u64,
}

impl Writer {
    pub(crate) fn start(
        backend: Arc<dyn Backend>,
        sync: SyncPolicy,
        hook: Arc<dyn GroupHook>,
    ) -> Writer {
        let mut sync = sync;
        let inbox = Arc::new(Inbox::default());
        if let Some(activity) = &sync.activity {
            let weak = Arc::downgrade(&inbox);
            let listening = activity.listen_for_idle(Box::new(move || {
                if let Some(inbox) = weak.upgrade() {
                    inbox.workers_idle();
                }
            }));
            if !listening {
                // Another store already listens; holding back without being told of idleness would only delay.
                sync.activity = None;
            }
        }
        let open = OpenGroup {
            ctx: WriteCtx::new(backend.clone()),
            completions: Vec::new(),
            generation: 0,
        };
        {
            let inbox = inbox.clone();
            thread::Builder::new()
                .name("eddy-syncer".into())
                .spawn(move || sync_loop(backend, &inbox, &sync))
                .ok();
        }
        Writer {
            shared: Arc::new(Shared {
                open: Mutex::new(open),
                inbox,
                hook,
            }),
        }
    }

    /// Runs `f` as the next job of the open group and returns its result once its changes are durable. If `f`
    /// fails, whatever it staged is dropped: a failed request changes nothing.
    ///
    /// The job runs at once, on the calling task, under the group's lock. The task then yields: the runtime
    /// resumes it only after it has run every other ready task, so the requests that arrived meanwhile join the
    /// same group. The first of the group's tasks to resume closes the group — applies it as one batch and hands
    /// it to the syncer — and all of them wait for its fsync.
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut WriteCtx) -> Result<T, DynamoError> + Send + 'static,
    ) -> Result<T, DynamoError> {
        self.run_job(f, false).await
    }

    /// [`Writer::run`] for a job that may take long (one that visits every item of a table): on a
    /// multi-threaded runtime it runs in `block_in_place`, so the worker's other tasks (reads) move on to
    /// another thread meanwhile.
    pub(crate) async fn run_long<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut WriteCtx) -> Result<T, DynamoError> + Send + 'static,
    ) -> Result<T, DynamoError> {
        self.run_job(f, true).await
    }

    async fn run_job<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut WriteCtx) -> Result<T, DynamoError> + Send + 'static,
        long: bool,
    ) -> Result<T, DynamoError> {
        let (tx, rx) = oneshot::channel();
        let generation = if long && on_multi_thread_runtime() {
            tokio::task::block_in_place(|| self.shared.add_job(f, tx))
        } else {
            self.shared.add_job(f, tx)
        };
        let closer = GroupCloser {
            shared: &self.shared,
            generation,
        };
        tokio::task::yield_now().await;
        drop(closer);
        rx.await.map_err(|_| storage_failure())?
    }
}

fn on_multi_thread_runtime() -> bool {
    tokio::runtime::Handle::try_current()
        .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread)
}

impl Shared {
    /// Runs a job in the open group and queues its completion, which sends its result on `tx` once the group
    /// is durable; returns the group's generation.
    fn add_job<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut WriteCtx) -> Result<T, DynamoError>,
        tx: oneshot::Sender<Result<T, DynamoError>>,
    ) -> u64 {
        let mut open = self.lock();
        let out = f(&mut open.ctx);
        if out.is_err() {
            open.ctx.discard();
        }
        open.ctx.finish_job();
        let after = std::mem::take(&mut open.ctx.after_durable);
        open.completions.push(Box::new(move |durable| {
            if durable {
                after.into_iter().for_each(|f| f());
            }
            let _ = tx.send(if durable { out } else { Err(storage_failure()) });
        }));
        if open.completions.len() >= MAX_GROUP {
            self.close(&mut open);
        }
        open.generation
    }

    fn lock(&self) -> MutexGuard<'_, OpenGroup> {
        self.open.lock().unwrap_or_else(|poisoned| {
            // A job panicked half-way: whatever it staged must not join the group.
            let mut open = poisoned.into_inner();
            open.ctx.discard();
            self.open.clear_poison();
            open
        })
    }

    /// Ends the open group: runs the group hook, applies the group's changes as one batch and hands its
    /// completions to the syncer.
    fn close(&self, open: &mut OpenGroup) {
        if open.completions.is_empty() {
            return;
        }
        self.hook.end_of_group(&mut open.ctx);
        open.ctx.finish_job();
        open.ctx.apply_group();
        let group = Group {
            completions: std::mem::take(&mut open.completions),
            applied: !std::mem::take(&mut open.ctx.group_failed),
            wrote: std::mem::take(&mut open.ctx.group_wrote),
        };
        open.generation += 1;
        self.inbox.push(group);
    }
}

/// Closes a job's group, if it is still open, when dropped — after the job's task has yielded, or when the
/// task is cancelled in between (a client gone), so that no group is left open without a task to close it.
struct GroupCloser<'a> {
    shared: &'a Shared,
    generation: u64,
}

impl Drop for GroupCloser<'_> {
    fn drop(&mut self) {
        let mut open = self.shared.lock();
        if open.generation == self.generation {
            self.shared.close(&mut open);
        }
    }
}

fn storage_failure() -> DynamoError {
    DynamoError::Internal("Internal server error".into())
}

/// A group's completions, handed to the syncer.
struct Group {
    completions: Vec<Completion>,
    /// Whether every batch of the group was applied.
    applied: bool,
    /// Whether the group applied anything. A group that wrote nothing (failed conditions, unchanged items)
    /// needs no fsync of its own: whatever its jobs read was applied by earlier groups, which the syncer made
    /// durable (in order) before it takes this one.
    wrote: bool,
}

/// How the syncer makes groups durable.
#[derive(Clone, Debug, Default)]
pub(crate) struct SyncPolicy {
    /// fsync at all (off: groups complete once applied).
    pub(crate) durable: bool,
    /// The longest an fsync is held back while the runtime's workers are busy.
    pub(crate) delay: Duration,
    /// Whether the runtime's workers are busy; without it the syncer never holds an fsync back.
    pub(crate) activity: Option<Arc<WorkerActivity>>,
}

/// How many of the runtime's worker threads are running tasks, as told by the runtime's park and unpark hooks
/// (`tokio::runtime::Builder::on_thread_park` / `on_thread_unpark`).
///
/// An fsync costs tens of microseconds of CPU on top of its wait, whatever it covers. While a worker is busy,
/// more writes are likely on their way, so the syncer holds the next fsync back — until every worker has gone
/// idle, or for at most the commit delay — and one fsync covers them all. With nothing else to do (a single
/// client), workers park at once and the fsync starts without delay.
#[derive(Default)]
pub struct WorkerActivity {
    busy: AtomicUsize,
    on_idle: OnceLock<Box<dyn Fn() + Send + Sync>>,
}

impl WorkerActivity {
    pub fn new() -> WorkerActivity {
        WorkerActivity::default()
    }

    /// A worker thread is about to park (it has run out of tasks).
    pub fn thread_parked(&self) {
        let before = self
            .busy
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                Some(n.saturating_sub(1))
            })
            .unwrap_or(0);
        if before <= 1
            && let Some(on_idle) = self.on_idle.get()
        {
            on_idle();
        }
    }

    /// A worker thread woke up.
    pub fn thread_unparked(&self) {
        self.busy.fetch_add(1, Ordering::SeqCst);
    }

    fn is_busy(&self) -> bool {
        self.busy.load(Ordering::SeqCst) > 0
    }

    /// Calls `on_idle` whenever the last busy worker parks; `false` if someone else already listens.
    fn listen_for_idle(&self, on_idle: Box<dyn Fn() + Send + Sync>) -> bool {
        self.on_idle.set(on_idle).is_ok()
    }
}

impl std::fmt::Debug for WorkerActivity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkerActivity")
            .field("busy", &self.busy.load(Ordering::Relaxed))
            .finish()
    }
}

/// Closed groups on their way to the syncer.
#[derive(Default)]
struct Inbox {
    state: Mutex<InboxState>,
    wake: Condvar,
    /// The syncer is holding an fsync back until the workers go idle.
    holding: AtomicBool,
}

#[derive(Default)]
struct InboxState {
    groups: Vec<Group>,
    /// The syncer is waiting for a first group.
    waiting: bool,
    /// The writer is gone.
    shut: bool,
}

impl Inbox {
    fn lock(&self) -> MutexGuard<'_, InboxState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn push(&self, group: Group) {
        let waiting = {
            let mut state = self.lock();
            state.groups.push(group);
            state.waiting
        };
        if waiting {
            self.wake.notify_one();
        }
    }

    fn shut(&self) {
        self.lock().shut = true;
        self.wake.notify_one();
    }

    fn workers_idle(&self) {
        if self.holding.load(Ordering::SeqCst) {
            // Taking the lock orders this after the syncer's check of the workers (it checks under the lock).
            drop(self.lock());
            self.wake.notify_one();
        }
    }

    /// Waits for groups and takes them all; `None` once the writer is gone and every group is taken.
    fn next_groups(&self) -> Option<Vec<Group>> {
        let mut state = self.lock();
        while state.groups.is_empty() {
            if state.shut {
                return None;
            }
            state.waiting = true;
            state = self
                .wake
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
            state.waiting = false;
        }
        Some(std::mem::take(&mut state.groups))
    }

    /// Waits while `activity` says the workers are busy, for at most `delay`, then adds the groups that
    /// arrived meanwhile to `batch`.
    fn hold_while_busy(&self, activity: &WorkerActivity, delay: Duration, batch: &mut Vec<Group>) {
        let deadline = Instant::now() + delay;
        let mut state = self.lock();
        self.holding.store(true, Ordering::SeqCst);
        while activity.is_busy() && !state.shut {
            let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                break;
            };
            state = self
                .wake
                .wait_timeout(state, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        self.holding.store(false, Ordering::SeqCst);
        batch.append(&mut state.groups);
    }
}

fn sync_loop(backend: Arc<dyn Backend>, inbox: &Inbox, policy: &SyncPolicy) {
    // After a failed fsync nothing is known to be durable, so every later batch syncs until one succeeds.
    let mut last_sync_ok = true;
    while let Some(mut batch) = inbox.next_groups() {
        let needs_sync = !last_sync_ok || batch.iter().any(|g| g.wrote);
        let ok = if policy.durable && needs_sync {
            if let Some(activity) = &policy.activity
                && !policy.delay.is_zero()
            {
                inbox.hold_while_busy(activity, policy.delay, &mut batch);
            }
            last_sync_ok = match backend.sync() {
                Ok(()) => true,
                Err(e) => {
                    tracing::error!("fsync failed: {e}");
                    false
                }
            };
            last_sync_ok
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
    fn rewriting_an_entry_does_not_count_it_twice() {
        let mut cache = ItemCache::new(1000);
        cache.insert(b"a".to_vec(), Some(vec![1; 100]));
        let once = cache.young_bytes;
        for _ in 0..100 {
            cache.insert(b"a".to_vec(), Some(vec![2; 100]));
        }
        assert_eq!(cache.young_bytes, once, "the budget counts one entry");
        assert_eq!(cache.get(b"a"), Some(Some(vec![2; 100])));
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

    struct NoHook;

    impl GroupHook for NoHook {
        fn end_of_group(&self, _ctx: &mut WriteCtx) {}
    }

    fn put(writer: &Writer, key: &'static [u8]) -> impl Future<Output = Result<(), DynamoError>> {
        writer.run(move |ctx| {
            ctx.stage(Mutation::Put(Space::Items, key.to_vec(), b"v".to_vec()));
            Ok(())
        })
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_jobs_share_groups_and_all_complete() {
        let backend: Arc<dyn Backend> = Arc::new(MemoryBackend::new());
        let writer = Writer::start(backend.clone(), SyncPolicy::default(), Arc::new(NoHook));
        let tasks: Vec<_> = (0..64u8)
            .map(|i| {
                let writer = writer.clone();
                tokio::spawn(async move {
                    let key = vec![b'k', i];
                    writer
                        .run(move |ctx| {
                            ctx.stage(Mutation::Put(Space::Items, key, vec![i]));
                            Ok(i)
                        })
                        .await
                })
            })
            .collect();
        for (i, task) in tasks.into_iter().enumerate() {
            assert_eq!(task.await.unwrap().unwrap(), i as u8);
            assert_eq!(
                backend.get(Space::Items, &[b'k', i as u8]).unwrap(),
                Some(vec![i as u8]),
                "a completed job's write is applied"
            );
        }
    }

    #[tokio::test]
    async fn a_group_whose_tasks_are_all_cancelled_is_still_closed() {
        let backend: Arc<dyn Backend> = Arc::new(MemoryBackend::new());
        let writer = Writer::start(backend.clone(), SyncPolicy::default(), Arc::new(NoHook));
        // Poll once: the job runs and the task yields; then the task is dropped before it can close the group.
        let mut job = Box::pin(put(&writer, b"gone"));
        assert!(futures_poll_once(job.as_mut()).is_pending());
        drop(job);
        assert_eq!(
            backend.get(Space::Items, b"gone").unwrap(),
            Some(b"v".to_vec()),
            "dropping the last task of a group closes (applies) it"
        );
        // The writer goes on with the next group.
        put(&writer, b"next").await.unwrap();
        assert_eq!(
            backend.get(Space::Items, b"next").unwrap(),
            Some(b"v".to_vec())
        );
    }

    #[tokio::test]
    async fn a_job_that_panics_leaves_nothing_behind() {
        let backend: Arc<dyn Backend> = Arc::new(MemoryBackend::new());
        let writer = Writer::start(backend.clone(), SyncPolicy::default(), Arc::new(NoHook));
        let panicking = writer.clone();
        let outcome = tokio::spawn(async move {
            panicking
                .run(|ctx| -> Result<(), DynamoError> {
                    ctx.stage(Mutation::Put(Space::Items, b"half".to_vec(), b"v".to_vec()));
                    panic!("a bug half-way through a job");
                })
                .await
        })
        .await;
        assert!(outcome.is_err(), "the job's task panicked");
        put(&writer, b"next").await.unwrap();
        assert_eq!(
            backend.get(Space::Items, b"next").unwrap(),
            Some(b"v".to_vec())
        );
        assert_eq!(backend.get(Space::Items, b"half").unwrap(), None);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 1)]
    async fn a_long_job_leaves_the_runtime_free_for_other_tasks() {
        let backend: Arc<dyn Backend> = Arc::new(MemoryBackend::new());
        let writer = Writer::start(backend.clone(), SyncPolicy::default(), Arc::new(NoHook));
        let (started_tx, started_rx) = std::sync::mpsc::channel();
        let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
        let long = {
            let writer = writer.clone();
            tokio::spawn(async move {
                writer
                    .run_long(move |_ctx| {
                        started_tx.send(()).ok();
                        // Holds its worker until the other task has run (or gives up).
                        Ok(release_rx.recv_timeout(Duration::from_secs(10)).is_ok())
                    })
                    .await
            })
        };
        tokio::task::spawn_blocking(move || started_rx.recv())
            .await
            .unwrap()
            .unwrap();
        // With the only worker inside the long job, this task runs only if the job gave the worker up.
        let releaser = tokio::spawn(async move { release_tx.send(()).ok() });
        assert!(
            long.await.unwrap().unwrap(),
            "the other task ran during the long job"
        );
        releaser.await.unwrap();
    }

    /// A memory backend that counts its fsyncs and can be told to fail them.
    #[derive(Default)]
    struct CountingBackend {
        inner: MemoryBackend,
        syncs: AtomicUsize,
        fail_syncs: AtomicBool,
    }

    impl Backend for CountingBackend {
        fn get(&self, space: Space, key: &[u8]) -> BackendResult<Option<Vec<u8>>> {
            self.inner.get(space, key)
        }

        fn range(
            &self,
            space: Space,
            lower: Bound<&[u8]>,
            upper: Bound<&[u8]>,
            reverse: bool,
            limit: usize,
        ) -> BackendResult<Vec<KeyValue>> {
            self.inner.range(space, lower, upper, reverse, limit)
        }

        fn apply(&self, batch: Vec<Mutation>) -> BackendResult<()> {
            self.inner.apply(batch)
        }

        fn sync(&self) -> BackendResult<()> {
            self.syncs.fetch_add(1, Ordering::SeqCst);
            if self.fail_syncs.load(Ordering::SeqCst) {
                return Err(crate::backend::BackendError::Storage(
                    "the disk is gone".into(),
                ));
            }
            Ok(())
        }
    }

    #[tokio::test]
    async fn a_group_that_wrote_nothing_completes_without_an_fsync() {
        let backend = Arc::new(CountingBackend::default());
        let policy = SyncPolicy {
            durable: true,
            ..SyncPolicy::default()
        };
        let writer = Writer::start(backend.clone(), policy, Arc::new(NoHook));
        put(&writer, b"k").await.unwrap();
        assert_eq!(backend.syncs.load(Ordering::SeqCst), 1, "a write is synced");

        // A job that reads and stages nothing (a failed condition, an unchanged item).
        let seen = writer
            .run(|ctx| Ok(ctx.get(Space::Items, b"k").is_ok_and(|v| v.is_some())))
            .await
            .unwrap();
        assert!(seen);
        assert_eq!(
            backend.syncs.load(Ordering::SeqCst),
            1,
            "nothing new to sync"
        );

        // After a failed fsync, even a group that wrote nothing waits for one that succeeds.
        backend.fail_syncs.store(true, Ordering::SeqCst);
        assert!(put(&writer, b"lost").await.is_err());
        assert!(
            writer.run(|_ctx| Ok(())).await.is_err(),
            "the fsync failed again"
        );
        assert_eq!(backend.syncs.load(Ordering::SeqCst), 3);
        backend.fail_syncs.store(false, Ordering::SeqCst);
        writer.run(|_ctx| Ok(())).await.unwrap();
        assert_eq!(backend.syncs.load(Ordering::SeqCst), 4, "synced once more");
        writer.run(|_ctx| Ok(())).await.unwrap();
        assert_eq!(backend.syncs.load(Ordering::SeqCst), 4, "then no longer");
    }

    fn futures_poll_once<F: Future + ?Sized>(
        f: std::pin::Pin<&mut F>,
    ) -> std::task::Poll<F::Output> {
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        f.poll(&mut cx)
    }

    #[test]
    fn the_syncer_holds_an_fsync_back_only_while_workers_are_busy() {
        let inbox = Arc::new(Inbox::default());
        let activity = Arc::new(WorkerActivity::new());
        {
            let inbox = inbox.clone();
            assert!(activity.listen_for_idle(Box::new(move || inbox.workers_idle())));
        }
        // Idle workers: no hold at all.
        let start = Instant::now();
        inbox.hold_while_busy(&activity, Duration::from_secs(30), &mut Vec::new());
        assert!(start.elapsed() < Duration::from_secs(10));

        // Busy workers: held until the deadline…
        activity.thread_unparked();
        let start = Instant::now();
        inbox.hold_while_busy(&activity, Duration::from_millis(20), &mut Vec::new());
        assert!(start.elapsed() >= Duration::from_millis(20));

        // …or until the last busy worker parks; groups that arrived meanwhile join the batch.
        let parker = {
            let (activity, inbox) = (activity.clone(), inbox.clone());
            thread::spawn(move || {
                while !inbox.holding.load(Ordering::SeqCst) {
                    thread::yield_now();
                }
                inbox.push(Group {
                    completions: Vec::new(),
                    applied: true,
                    wrote: true,
                });
                activity.thread_parked();
            })
        };
        let mut batch = Vec::new();
        let start = Instant::now();
        inbox.hold_while_busy(&activity, Duration::from_secs(30), &mut batch);
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "woken by the park"
        );
        parker.join().unwrap();
        assert_eq!(batch.len(), 1);
    }
}
