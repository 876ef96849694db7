//! Group commit. Every write (item writes, table changes, TTL deletes) is a job run under one lock, in arrival
//! order, so condition checks are race-free and stream sequence numbers follow commit order. A job runs at
//! once on the task that submits it; jobs submitted while a group is open join it: each reads through an
//! overlay of the group's earlier changes, and the whole group is applied as one atomic batch (one journal
//! write) when it closes. A group closes when its first task resumes after yielding to the runtime, which
//! happens only once the runtime has run every other ready task, so everything that arrived meanwhile is in
//! it. Closed groups are then made durable with a single fsync, and only then are their jobs completed: while
//! the runtime is busy the fsync is held back a little so that more groups share it. A syncer thread runs it
//! once the workers go idle or the commit delay has passed — or, on a runtime of one worker, that worker runs it
//! itself as it goes idle (see [`WorkerActivity`], [`Inbox`]). Groups that wrote nothing complete without one
//! (see [`Group::wrote`]).
//!
//! Reads go straight to the backend and may observe a batch that is applied but not yet acknowledged; stream
//! readers are held to the durable watermark (see `stream`), so nothing downstream sees a record that a crash
//! could still take back.

use std::ops::Bound;
use std::sync::atomic::{AtomicUsize, Ordering};
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

    /// [`WriteCtx::get`] that lends the value to `f` instead of copying it.
    pub(crate) fn peek<R>(
        &mut self,
        space: Space,
        key: &[u8],
        f: impl FnOnce(Option<&[u8]>) -> R,
    ) -> BackendResult<R> {
        if let Some(value) = self.overlay[space as usize].get(key) {
            return Ok(f(value.as_deref()));
        }
        if space != Space::Items {
            return Ok(f(self.backend.get(space, key)?.as_deref()));
        }
        if let Some(value) = self.items.peek(key) {
            return Ok(f(value));
        }
        let value = self.backend.get(space, key)?;
        let out = f(value.as_deref());
        self.items.insert(key.to_vec(), value);
        Ok(out)
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

    /// [`ItemCache::get`] without copying the value.
    fn peek(&mut self, key: &[u8]) -> Option<Option<&[u8]>> {
        if !self.young.contains_key(key) {
            let (key, value) = self.old.remove_entry(key)?;
            self.insert(key, value);
        }
        // The insert may have aged the young map into the old one.
        let value = self.young.get(key).or_else(|| self.old.get(key))?;
        Some(value.as_deref())
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
        let sync_on_idle = sync
            .activity
            .as_ref()
            .is_some_and(|activity| activity.single_worker());
        let inbox = Arc::new(Inbox::new(backend.clone(), sync.durable, sync_on_idle));
        // Holding back needs to be told when the workers go idle; if another store already listens, it would
        // only delay.
        let holds = sync.durable
            && !sync.delay.is_zero()
            && sync.activity.as_ref().is_some_and(|activity| {
                let weak = Arc::downgrade(&inbox);
                activity.listen_for_idle(Box::new(move || {
                    if let Some(inbox) = weak.upgrade() {
                        inbox.workers_idle();
                    }
                }))
            });
        let hold = holds.then_some(sync.delay);
        let open = OpenGroup {
            ctx: WriteCtx::new(backend.clone()),
            completions: Vec::new(),
            generation: 0,
        };
        {
            let inbox = inbox.clone();
            thread::Builder::new()
                .name("eddy-syncer".into())
                .spawn(move || sync_loop(&inbox, hold))
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
/// more writes are likely on their way, so the next fsync is held back — until every worker has gone idle, or
/// for at most the commit delay — and one fsync covers them all. With nothing else to do (a single client),
/// workers park at once and the fsync starts without delay.
///
/// On a runtime of one worker thread, that worker runs the fsync itself as it goes idle (see
/// [`Inbox::workers_idle`]). With more, the syncer thread runs it: there, syncing on the idle worker made smaller
/// groups (the client, on another CPU, was still sending) and woke the other worker for every completion, which
/// cost more than the switches it saved (docs/benchmarks.md).
pub struct WorkerActivity {
    busy: AtomicUsize,
    workers: usize,
    on_idle: OnceLock<Box<dyn Fn() + Send + Sync>>,
}

impl WorkerActivity {
    /// A builder of a multi-threaded runtime of `workers` worker threads whose park hooks report to the
    /// returned activity.
    pub fn multi_thread_runtime(workers: usize) -> (Arc<WorkerActivity>, tokio::runtime::Builder) {
        let activity = Arc::new(WorkerActivity::new(workers));
        let mut builder = tokio::runtime::Builder::new_multi_thread();
        builder
            .worker_threads(workers)
            .on_thread_park({
                let activity = activity.clone();
                move || activity.thread_parked()
            })
            .on_thread_unpark({
                let activity = activity.clone();
                move || activity.thread_unparked()
            });
        (activity, builder)
    }

    /// The activity of a runtime of `workers` worker threads.
    pub fn new(workers: usize) -> WorkerActivity {
        WorkerActivity {
            busy: AtomicUsize::new(0),
            workers,
            on_idle: OnceLock::new(),
        }
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

    fn single_worker(&self) -> bool {
        self.workers == 1
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

/// Closed groups on their way to durability, and who makes them durable: the syncer thread, or a runtime's only
/// worker thread as it goes idle. One of them at a time takes every pending group, syncs and completes them, so
/// groups complete in the order they were closed.
struct Inbox {
    state: Mutex<InboxState>,
    /// Wakes the syncer thread.
    wake: Condvar,
    backend: Arc<dyn Backend>,
    durable: bool,
    /// The runtime's one worker syncs as it goes idle (else it wakes the syncer thread).
    sync_on_idle: bool,
}

#[derive(Default)]
struct InboxState {
    groups: Vec<Group>,
    /// When the oldest of `groups` arrived.
    oldest: Option<Instant>,
    /// A group arrived since the syncer thread last looked.
    arrived: bool,
    /// The syncer thread waits without a deadline (a group arriving must wake it).
    waiting: bool,
    /// Groups are being made durable (by the syncer thread or an idle worker).
    syncing: bool,
    /// The workers went idle while a sync was under way: the groups that arrived meanwhile are due at once.
    idle: bool,
    /// The last fsync failed: nothing is known to be durable, so every batch syncs until one succeeds.
    sync_failed: bool,
    /// The writer is gone.
    shut: bool,
}

/// What the syncer thread does next.
enum Next {
    Sync,
    WaitUntil(Instant),
    Wait,
    Exit,
}

impl Inbox {
    fn new(backend: Arc<dyn Backend>, durable: bool, sync_on_idle: bool) -> Inbox {
        Inbox {
            state: Mutex::default(),
            wake: Condvar::new(),
            backend,
            durable,
            sync_on_idle,
        }
    }

    fn lock(&self) -> MutexGuard<'_, InboxState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn push(&self, group: Group) {
        let waiting = {
            let mut state = self.lock();
            if state.groups.is_empty() {
                state.oldest = Some(Instant::now());
            }
            state.groups.push(group);
            state.arrived = true;
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

    /// The runtime's last busy worker is about to park: nothing more will join the pending groups soon, so
    /// they are due now. The runtime's only worker, having nothing else to do, makes them durable itself:
    /// completing them wakes their tasks, which it runs instead of parking, and the syncer thread's wake-ups
    /// and switches are saved. Otherwise the syncer thread is woken to do it.
    fn workers_idle(&self) {
        let mut state = self.lock();
        if self.sync_on_idle && !state.syncing {
            self.sync_pending(state);
            return;
        }
        if state.syncing || !state.groups.is_empty() {
            state.idle = true;
            drop(state);
            self.wake.notify_one();
        }
    }

    /// Makes the pending groups durable and completes them, unless a sync is already under way; syncs again if
    /// the workers went idle meanwhile.
    fn sync_pending<'a>(&'a self, mut state: MutexGuard<'a, InboxState>) {
        while !state.syncing && !state.groups.is_empty() {
            let batch = std::mem::take(&mut state.groups);
            state.oldest = None;
            state.idle = false;
            state.syncing = true;
            let needs_sync = self.durable && (state.sync_failed || batch.iter().any(|g| g.wrote));
            drop(state);
            let ok = !needs_sync || self.sync_backend();
            for group in batch {
                for completion in group.completions {
                    completion(ok && group.applied);
                }
            }
            state = self.lock();
            state.syncing = false;
            if needs_sync {
                state.sync_failed = !ok;
            }
            if !std::mem::take(&mut state.idle) {
                break;
            }
        }
        if state.shut || !state.groups.is_empty() {
            // The syncer thread may be waiting, without a deadline, for this sync to end: groups that arrived
            // meanwhile from outside the runtime's workers (nothing will park for them) are now its to sync, and
            // after shutdown it has to exit.
            self.wake.notify_one();
        }
    }

    fn sync_backend(&self) -> bool {
        match self.backend.sync() {
            Ok(()) => true,
            Err(e) => {
                tracing::error!("fsync failed: {e}");
                false
            }
        }
    }

    /// What the syncer thread does next. Holding (`hold`: the longest a group waits for its fsync while the
    /// workers stay busy), it syncs groups once the workers have gone idle or once they have waited that long
    /// (on a one-worker runtime that worker syncs the first kind itself), and while groups keep arriving it
    /// looks once per `hold` instead of being woken by each. Not holding, it syncs groups as they arrive.
    fn next(state: &mut InboxState, hold: Option<Duration>, now: Instant) -> Next {
        if state.syncing || state.groups.is_empty() {
            if state.shut && !state.syncing {
                return Next::Exit;
            }
            return match hold {
                Some(hold) if std::mem::take(&mut state.arrived) => Next::WaitUntil(now + hold),
                _ => Next::Wait,
            };
        }
        state.arrived = false;
        match (hold, state.oldest) {
            (Some(hold), Some(oldest)) if !state.shut && !state.idle && oldest + hold > now => {
                Next::WaitUntil(oldest + hold)
            }
            _ => Next::Sync,
        }
    }
}

fn sync_loop(inbox: &Inbox, hold: Option<Duration>) {
    let mut state = inbox.lock();
    loop {
        let now = Instant::now();
        state = match Inbox::next(&mut state, hold, now) {
            Next::Sync => {
                inbox.sync_pending(state);
                inbox.lock()
            }
            Next::WaitUntil(when) => {
                inbox
                    .wake
                    .wait_timeout(state, when.saturating_duration_since(now))
                    .unwrap_or_else(PoisonError::into_inner)
                    .0
            }
            Next::Wait => {
                state.waiting = true;
                let mut state = inbox
                    .wake
                    .wait(state)
                    .unwrap_or_else(PoisonError::into_inner);
                state.waiting = false;
                state
            }
            Next::Exit => return,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::MemoryBackend;
    use std::sync::atomic::AtomicBool;
    use std::task::Poll;

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
    fn peeking_lends_what_get_would_copy_and_keeps_it_young() {
        let mut cache = ItemCache::new(1000);
        cache.insert(b"a".to_vec(), Some(vec![1; 100]));
        // Enough newer entries to age "a" into the old generation, not out of it.
        for i in 0..3u8 {
            cache.insert(vec![b'k', i], Some(vec![i; 100]));
        }
        assert!(cache.old.contains_key(b"a".as_slice()));
        assert_eq!(cache.peek(b"a"), Some(Some([1u8; 100].as_slice())));
        assert!(
            cache.young.contains_key(b"a".as_slice()),
            "a hit moves it back"
        );
        cache.insert(b"gone".to_vec(), None);
        assert_eq!(cache.peek(b"gone"), Some(None));
        assert_eq!(cache.peek(b"never"), None);
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
        /// Each fsync waits while this is set.
        block_syncs: AtomicBool,
        /// The names of the threads that ran the fsyncs.
        sync_threads: Mutex<Vec<Option<String>>>,
    }

    impl CountingBackend {
        fn sync_thread_names(&self) -> Vec<Option<String>> {
            self.sync_threads.lock().unwrap().clone()
        }
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
            self.sync_threads
                .lock()
                .unwrap()
                .push(thread::current().name().map(String::from));
            self.syncs.fetch_add(1, Ordering::SeqCst);
            while self.block_syncs.load(Ordering::SeqCst) {
                thread::yield_now();
            }
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

    /// A durable writer whose fsyncs are held back while `activity` (of a runtime of `workers` threads) says
    /// a worker is busy.
    fn holding_writer(
        backend: &Arc<CountingBackend>,
        delay: Duration,
        workers: usize,
    ) -> (Writer, Arc<WorkerActivity>) {
        let activity = Arc::new(WorkerActivity::new(workers));
        let policy = SyncPolicy {
            durable: true,
            delay,
            activity: Some(activity.clone()),
        };
        (
            Writer::start(backend.clone(), policy, Arc::new(NoHook)),
            activity,
        )
    }

    /// A one-worker holding writer (`delay`) whose first group is being synced by its worker going idle, on the
    /// returned thread, in an fsync that lasts while `block_syncs` is set.
    #[allow(clippy::type_complexity)]
    fn first_fsync_under_way(
        delay: Duration,
    ) -> (
        Arc<CountingBackend>,
        Writer,
        Arc<WorkerActivity>,
        std::pin::Pin<Box<impl Future<Output = Result<(), DynamoError>> + use<>>>,
        thread::JoinHandle<()>,
    ) {
        let backend = Arc::new(CountingBackend::default());
        let (writer, activity) = holding_writer(&backend, delay, 1);
        backend.block_syncs.store(true, Ordering::SeqCst);
        activity.thread_unparked();
        let first = submit(&writer, b"a");
        let parker = {
            let activity = activity.clone();
            thread::spawn(move || activity.thread_parked())
        };
        while backend.syncs.load(Ordering::SeqCst) == 0 {
            thread::yield_now();
        }
        (backend, writer, activity, first, parker)
    }

    /// Whether a submitted put has completed, successfully.
    fn completed_ok(
        job: std::pin::Pin<&mut impl Future<Output = Result<(), DynamoError>>>,
    ) -> bool {
        matches!(futures_poll_once(job), Poll::Ready(Ok(())))
    }

    /// Polls a put until its group is closed and handed over (it then waits for its fsync).
    fn submit(
        writer: &Writer,
        key: &'static [u8],
    ) -> std::pin::Pin<Box<impl Future<Output = Result<(), DynamoError>> + use<>>> {
        let writer = writer.clone();
        let mut job = Box::pin(async move { put(&writer, key).await });
        for _ in 0..2 {
            assert!(futures_poll_once(job.as_mut()).is_pending());
        }
        job
    }

    #[test]
    fn a_lone_worker_going_idle_syncs_the_held_groups_before_it_parks() {
        let backend = Arc::new(CountingBackend::default());
        let (writer, activity) = holding_writer(&backend, Duration::from_secs(30), 1);
        activity.thread_unparked();
        let mut job = submit(&writer, b"a");
        assert_eq!(backend.syncs.load(Ordering::SeqCst), 0, "held while busy");
        activity.thread_parked();
        assert_eq!(
            backend.syncs.load(Ordering::SeqCst),
            1,
            "synced on the way to park"
        );
        assert!(completed_ok(job.as_mut()));
    }

    #[test]
    fn groups_closed_during_an_idle_workers_fsync_are_synced_after_it() {
        let (backend, writer, activity, mut first, parker) =
            first_fsync_under_way(Duration::from_secs(30));
        // Another worker closes a group and goes idle while the first fsync is under way.
        activity.thread_unparked();
        let mut second = submit(&writer, b"b");
        activity.thread_parked();
        backend.block_syncs.store(false, Ordering::SeqCst);
        parker.join().unwrap();
        assert_eq!(
            backend.syncs.load(Ordering::SeqCst),
            2,
            "the second group has its own fsync"
        );
        assert!(completed_ok(first.as_mut()));
        assert!(completed_ok(second.as_mut()));
    }

    #[tokio::test]
    async fn workers_busy_for_the_whole_delay_leave_the_fsync_to_the_syncer_thread() {
        let backend = Arc::new(CountingBackend::default());
        let delay = Duration::from_millis(20);
        let (writer, activity) = holding_writer(&backend, delay, 1);
        activity.thread_unparked();
        let start = Instant::now();
        put(&writer, b"a").await.unwrap();
        assert!(start.elapsed() >= delay, "held for the delay");
        assert_eq!(backend.syncs.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn with_several_workers_the_syncer_thread_syncs_once_they_go_idle() {
        let backend = Arc::new(CountingBackend::default());
        let (writer, activity) = holding_writer(&backend, Duration::from_secs(30), 2);
        activity.thread_unparked();
        let mut job = submit(&writer, b"a");
        activity.thread_parked();
        let done = tokio::time::timeout(
            Duration::from_secs(10),
            std::future::poll_fn(|cx| job.as_mut().poll(cx)),
        )
        .await
        .expect("synced once the workers went idle, long before the 30 s hold");
        assert!(done.is_ok());
        assert_eq!(
            backend.sync_thread_names(),
            [Some("eddy-syncer".to_string())],
            "the parking worker (this thread) left the fsync to the syncer thread"
        );
    }

    #[test]
    fn a_group_closed_off_the_workers_during_an_idle_workers_fsync_is_synced_within_the_delay() {
        let (backend, writer, _activity, mut first, parker) =
            first_fsync_under_way(Duration::from_millis(20));
        // A thread that is not one of the runtime's workers (it never parks) closes a group meanwhile, and the
        // fsync lasts until the syncer thread, seeing a sync under way and nothing new, waits without a deadline.
        let mut second = submit(&writer, b"b");
        let deadline = Instant::now() + Duration::from_secs(10);
        while !writer.shared.inbox.lock().waiting {
            assert!(Instant::now() < deadline, "the syncer thread never waited");
            thread::yield_now();
        }
        backend.block_syncs.store(false, Ordering::SeqCst);
        parker.join().unwrap();
        assert!(completed_ok(first.as_mut()));
        let deadline = Instant::now() + Duration::from_secs(10);
        while !completed_ok(second.as_mut()) {
            assert!(
                Instant::now() < deadline,
                "the second group was left unsynced"
            );
            thread::yield_now();
        }
        assert_eq!(backend.syncs.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn on_a_one_worker_runtime_the_worker_syncs_as_it_parks_and_runs_the_woken_task() {
        let (activity, mut builder) = WorkerActivity::multi_thread_runtime(1);
        let runtime = builder.enable_all().build().unwrap();
        let backend = Arc::new(CountingBackend::default());
        let policy = SyncPolicy {
            durable: true,
            delay: Duration::from_secs(30),
            activity: Some(activity),
        };
        let writer = Writer::start(backend.clone(), policy, Arc::new(NoHook));
        runtime.block_on(async {
            let job = tokio::spawn(async move { put(&writer, b"a").await });
            tokio::time::timeout(Duration::from_secs(10), job)
                .await
                .expect(
                    "completed long before the 30 s hold, with no other event to wake the worker",
                )
                .unwrap()
                .unwrap();
        });
        assert_eq!(
            backend.sync_thread_names(),
            [Some("tokio-rt-worker".to_string())]
        );
    }
}
