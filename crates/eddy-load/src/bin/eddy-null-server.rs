//! A do-nothing HTTP/1.1 server that answers every request with a fixed
//! DynamoDB-shaped `200 {}`: the ceiling of HTTP on this machine for the
//! same client (`eddy-load --endpoint http://127.0.0.1:4599`).
//!
//! With `--fsync-dir DIR` it is the ceiling of a *durable* server instead: each
//! request body is appended to a journal in DIR and answered only after an
//! `fdatasync` covers it. A syncer thread runs one `fdatasync` after another,
//! each covering every body that arrived while the previous one ran (group
//! commit with nothing else to do); `--commit-delay-us` and `--hold-while-busy`
//! hold each one back so that more bodies share it, the latter until the
//! runtime goes idle; with `--sync-on-idle` the last runtime thread to go idle
//! then writes and syncs the held bodies itself, as eddy does, and the syncer
//! thread only syncs bodies held the whole delay. The journal is written with zeros before
//! the first request and then overwritten in a ring, so no fsync pays for
//! block allocation.

use std::convert::Infallible;
use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

use bytes::Bytes;
use clap::Parser;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

#[derive(Parser, Debug)]
#[command(name = "eddy-null-server", version)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:4599")]
    listen: String,
    /// Runtime threads (1 = single-threaded runtime).
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Make every request durable first: append its body to a journal in this
    /// directory and answer after an fdatasync covers it.
    #[arg(long)]
    fsync_dir: Option<PathBuf>,
    /// With --fsync-dir: how long the syncer waits, after the first body of a
    /// group arrives, for more bodies to share the fdatasync. With
    /// --hold-while-busy, the longest it waits while the runtime is busy.
    #[arg(long, default_value_t = 0, requires = "fsync_dir")]
    commit_delay_us: u64,
    /// With --fsync-dir: hold each fdatasync back while the runtime's threads
    /// are running tasks (for at most --commit-delay-us), as eddy does.
    #[arg(long, requires = "fsync_dir")]
    hold_while_busy: bool,
    /// With --hold-while-busy: the last runtime thread to go idle writes and
    /// syncs the held bodies itself before it parks, and the syncer thread
    /// syncs only bodies held the whole --commit-delay-us, as eddy does.
    #[arg(long, requires = "hold_while_busy")]
    sync_on_idle: bool,
}

/// Size of the zero-filled journal ring.
const JOURNAL_BYTES: u64 = 64 * 1024 * 1024;

/// Bodies waiting for the next fdatasync, and who waits for it.
#[derive(Default)]
struct Pending {
    bytes: Vec<u8>,
    waiters: Vec<oneshot::Sender<()>>,
    /// The syncer is waiting for a first body (only then does `append` wake it).
    syncer_waiting: bool,
    /// When the first of `bytes` arrived (with --sync-on-idle).
    oldest: Option<Instant>,
    /// A body arrived since the syncer thread last looked (with --sync-on-idle).
    arrived: bool,
}

/// The journal file and where the next group goes; held while a group is written and synced.
struct Ring {
    file: File,
    offset: u64,
}

/// The group-commit journal of `--fsync-dir`.
struct Journal {
    pending: Mutex<Pending>,
    wake: Condvar,
    /// Runtime threads running tasks (told by the runtime's park hooks).
    busy: AtomicUsize,
    ring: Mutex<Ring>,
    sync_on_idle: bool,
}

impl Journal {
    /// Creates the zero-filled journal file and starts its syncer thread.
    fn start(
        dir: &Path,
        commit_delay: Duration,
        hold: bool,
        sync_on_idle: bool,
    ) -> io::Result<Arc<Journal>> {
        std::fs::create_dir_all(dir)?;
        let file = OpenOptions::new()
            .create(true)
            .truncate(true)
            .read(true)
            .write(true)
            .open(dir.join("null-journal"))?;
        let zeros = vec![0u8; 1024 * 1024];
        for chunk in 0..JOURNAL_BYTES / zeros.len() as u64 {
            file.write_all_at(&zeros, chunk * zeros.len() as u64)?;
        }
        file.sync_all()?;
        let journal = Arc::new(Journal {
            pending: Mutex::new(Pending::default()),
            wake: Condvar::new(),
            busy: AtomicUsize::new(0),
            ring: Mutex::new(Ring { file, offset: 0 }),
            sync_on_idle,
        });
        let syncer = journal.clone();
        std::thread::Builder::new()
            .name("null-syncer".into())
            .spawn(move || {
                if sync_on_idle {
                    syncer.deadline_loop(commit_delay)
                } else {
                    syncer.sync_loop(commit_delay, hold)
                }
            })?;
        Ok(journal)
    }

    /// Queues `body`; the receiver completes once it is durable.
    fn append(&self, body: &[u8]) -> oneshot::Receiver<()> {
        let (tx, rx) = oneshot::channel();
        let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        if pending.waiters.is_empty() {
            pending.oldest = Some(Instant::now());
        }
        pending.bytes.extend_from_slice(body);
        pending.waiters.push(tx);
        pending.arrived = true;
        let wake = std::mem::take(&mut pending.syncer_waiting);
        drop(pending);
        if wake {
            self.wake.notify_one();
        }
        rx
    }

    fn thread_parked(&self) {
        let before = self
            .busy
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                Some(n.saturating_sub(1))
            })
            .unwrap_or(0);
        if before <= 1 && self.sync_on_idle {
            // Nothing else to do on this thread: sync what is held, unless the syncer thread is at it.
            if let Ok(mut ring) = self.ring.try_lock() {
                self.sync_pending(&mut ring);
            }
        } else if before <= 1 {
            // Taking the lock orders this after the syncer's check of `busy`.
            drop(self.pending.lock().unwrap_or_else(PoisonError::into_inner));
            self.wake.notify_one();
        }
    }

    fn thread_unparked(&self) {
        self.busy.fetch_add(1, Ordering::SeqCst);
    }

    /// Waits while a runtime thread is busy, for at most `delay`.
    fn hold_while_busy(&self, delay: Duration) {
        let deadline = Instant::now() + delay;
        let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        while self.busy.load(Ordering::SeqCst) > 0 {
            let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                break;
            };
            pending = self
                .wake
                .wait_timeout(pending, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    fn sync_loop(&self, commit_delay: Duration, hold: bool) {
        loop {
            {
                let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
                while pending.waiters.is_empty() {
                    pending.syncer_waiting = true;
                    pending = self
                        .wake
                        .wait(pending)
                        .unwrap_or_else(PoisonError::into_inner);
                }
            }
            if hold {
                self.hold_while_busy(commit_delay);
            } else if !commit_delay.is_zero() {
                std::thread::sleep(commit_delay);
            }
            self.sync_pending(&mut self.ring.lock().unwrap_or_else(PoisonError::into_inner));
        }
    }

    /// The syncer thread of --sync-on-idle: syncs only bodies held `delay` (the runtime stayed busy), looking
    /// once per `delay` while bodies keep arriving and waiting to be woken once they stop.
    fn deadline_loop(&self, delay: Duration) {
        loop {
            let wait = {
                let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
                let now = Instant::now();
                let oldest = pending.oldest;
                match oldest {
                    Some(oldest) if oldest + delay <= now => None,
                    Some(oldest) => Some(oldest + delay - now),
                    None if std::mem::take(&mut pending.arrived) => Some(delay),
                    None => {
                        pending.syncer_waiting = true;
                        drop(
                            self.wake
                                .wait(pending)
                                .unwrap_or_else(PoisonError::into_inner),
                        );
                        continue;
                    }
                }
            };
            match wait {
                Some(wait) => std::thread::sleep(wait),
                None => {
                    self.sync_pending(&mut self.ring.lock().unwrap_or_else(PoisonError::into_inner))
                }
            }
        }
    }

    /// Writes the pending bodies to the ring, syncs them and answers their waiters.
    fn sync_pending(&self, ring: &mut Ring) {
        let (bytes, waiters) = {
            let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
            pending.oldest = None;
            (
                std::mem::take(&mut pending.bytes),
                std::mem::take(&mut pending.waiters),
            )
        };
        if waiters.is_empty() {
            return;
        }
        if ring.offset + bytes.len() as u64 > JOURNAL_BYTES {
            ring.offset = 0;
        }
        if let Err(e) = ring
            .file
            .write_all_at(&bytes, ring.offset)
            .and_then(|()| ring.file.sync_data())
        {
            eprintln!("journal: {e}");
            std::process::exit(1);
        }
        ring.offset += bytes.len() as u64;
        waiters.into_iter().for_each(|w| {
            let _ = w.send(());
        });
    }
}

static BODY: &[u8] = b"{}";
static REQUEST_ID: HeaderName = HeaderName::from_static("x-amzn-requestid");
static CRC32: HeaderName = HeaderName::from_static("x-amz-crc32");

async fn answer(
    req: Request<Incoming>,
    journal: Option<Arc<Journal>>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    // Read the request body so the connection stays reusable.
    let body = req.into_body().collect().await;
    if let (Some(journal), Ok(body)) = (journal, body) {
        let _ = journal.append(&body.to_bytes()).await;
    }
    let mut resp = Response::new(Full::new(Bytes::from_static(BODY)));
    let h = resp.headers_mut();
    h.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/x-amz-json-1.0"),
    );
    h.insert(
        REQUEST_ID.clone(),
        HeaderValue::from_static("00000000000000000000000000000000000000000000000000000000"),
    );
    // CRC32 of "{}".
    h.insert(CRC32.clone(), HeaderValue::from_static("2745614147"));
    Ok(resp)
}

async fn serve(listen: String, journal: Option<Arc<Journal>>) -> std::io::Result<()> {
    let listener = TcpListener::bind(&listen).await?;
    eprintln!("eddy-null-server listening on {}", listener.local_addr()?);
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(x) => x,
            Err(e) => {
                eprintln!("accept: {e}");
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let journal = journal.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| answer(req, journal.clone()));
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

fn main() -> std::io::Result<()> {
    let a = Args::parse();
    let commit_delay = Duration::from_micros(a.commit_delay_us);
    let journal = a
        .fsync_dir
        .as_deref()
        .map(|dir| Journal::start(dir, commit_delay, a.hold_while_busy, a.sync_on_idle))
        .transpose()?;
    let mut builder = if a.threads <= 1 {
        tokio::runtime::Builder::new_current_thread()
    } else {
        let mut b = tokio::runtime::Builder::new_multi_thread();
        b.worker_threads(a.threads);
        b
    };
    if let Some(journal) = &journal {
        let (parked, unparked) = (journal.clone(), journal.clone());
        builder
            .on_thread_park(move || parked.thread_parked())
            .on_thread_unpark(move || unparked.thread_unparked());
    }
    let rt = builder.enable_all().build()?;
    rt.block_on(async {
        tokio::select! {
            r = serve(a.listen, journal) => r,
            _ = tokio::signal::ctrl_c() => Ok(()),
        }
    })
}
