//! Group commit. One writer thread executes every write (item writes, table changes, TTL deletes) in arrival
//! order, so condition checks are race-free and stream sequence numbers follow commit order. Each job's changes
//! are applied as one atomic batch as soon as the job has run; a separate syncer thread then makes everything
//! applied so far durable with a single fsync and only then completes the jobs. While the syncer waits on the
//! disk, the writer already runs the next group, so many concurrent writers share each fsync.
//!
//! Reads go straight to the backend and may observe a batch that is applied but not yet acknowledged; stream
//! readers are held to the durable watermark (see `stream`), so nothing downstream sees a record that a crash
//! could still take back.

use std::sync::Arc;
use std::sync::mpsc;
use std::thread;

use eddy_model::DynamoError;
use tokio::sync::oneshot;

use crate::backend::{Backend, Mutation};

/// Runs after the job's batch is durable (`true`) or failed to become durable (`false`).
pub(crate) type Completion = Box<dyn FnOnce(bool) + Send>;
pub(crate) type Job = Box<dyn FnOnce(&mut WriteCtx) -> Completion + Send>;

/// Most jobs folded into one group before the syncer is handed the group.
const MAX_GROUP: usize = 256;

/// What a job sees: the backend to read, and a batch to stage its changes into.
pub struct WriteCtx {
    pub(crate) backend: Arc<dyn Backend>,
    staged: Vec<Mutation>,
    /// Work to do once the job's batch is durable (waking stream readers, …).
    after_durable: Vec<Box<dyn FnOnce() + Send>>,
}

impl WriteCtx {
    pub(crate) fn stage(&mut self, m: Mutation) {
        self.staged.push(m);
    }

    pub(crate) fn after_durable(&mut self, f: impl FnOnce() + Send + 'static) {
        self.after_durable.push(Box::new(f));
    }

    /// Drops everything staged so far (the job failed after staging).
    pub(crate) fn discard(&mut self) {
        self.staged.clear();
        self.after_durable.clear();
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
        let (groups, group_rx) = mpsc::channel::<Vec<Completion>>();
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

fn write_loop(
    backend: Arc<dyn Backend>,
    jobs: mpsc::Receiver<Job>,
    groups: mpsc::Sender<Vec<Completion>>,
    hook: Arc<dyn GroupHook>,
) {
    let mut ctx = WriteCtx {
        backend: backend.clone(),
        staged: Vec::new(),
        after_durable: Vec::new(),
    };
    while let Ok(first) = jobs.recv() {
        let mut completions: Vec<Completion> = Vec::new();
        let mut next = Some(first);
        while let Some(job) = next {
            let completion = job(&mut ctx);
            let applied = apply_staged(&backend, &mut ctx);
            let after = std::mem::take(&mut ctx.after_durable);
            completions.push(Box::new(move |durable| {
                let ok = durable && applied;
                if ok {
                    after.into_iter().for_each(|f| f());
                }
                completion(ok)
            }));
            next = if completions.len() < MAX_GROUP {
                jobs.try_recv().ok()
            } else {
                None
            };
        }
        hook.end_of_group(&mut ctx);
        apply_staged(&backend, &mut ctx);
        if groups.send(completions).is_err() {
            return;
        }
    }
}

fn apply_staged(backend: &Arc<dyn Backend>, ctx: &mut WriteCtx) -> bool {
    if ctx.staged.is_empty() {
        return true;
    }
    match backend.apply(std::mem::take(&mut ctx.staged)) {
        Ok(()) => true,
        Err(e) => {
            tracing::error!("applying a write batch failed: {e}");
            false
        }
    }
}

fn sync_loop(backend: Arc<dyn Backend>, groups: mpsc::Receiver<Vec<Completion>>, durable: bool) {
    while let Ok(mut batch) = groups.recv() {
        while let Ok(more) = groups.try_recv() {
            batch.extend(more);
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
        for completion in batch {
            completion(ok);
        }
    }
}
