//! The storage backend: a small ordered key-value interface with named keyspaces, atomic multi-keyspace
//! batches and an explicit durability barrier. Two implementations: fjall on disk (the default) and an
//! in-memory B-tree for `--in-memory` and unit tests. Everything above this trait is backend-agnostic.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::path::Path;

use parking_lot::RwLock;

use crate::prefill::{self, JournalPrefill, journal_path};

/// The keyspaces eddy uses. Each is an independent ordered map.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Space {
    /// Catalog (table definitions), counters, idempotency tokens, anything small and global.
    Meta,
    /// Table items, keyed by table id + partition hash + key.
    Items,
    /// Secondary index entries.
    Indexes,
    /// Stream records and shard metadata.
    Stream,
}

impl Space {
    pub const ALL: [Space; 4] = [Space::Meta, Space::Items, Space::Indexes, Space::Stream];

    fn name(self) -> &'static str {
        match self {
            Space::Meta => "meta",
            Space::Items => "items",
            Space::Indexes => "indexes",
            Space::Stream => "stream",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    #[error("storage error: {0}")]
    Storage(String),
    #[error("the data directory {0} is in use by another eddy process")]
    Locked(String),
}

pub type BackendResult<T> = Result<T, BackendError>;

/// One change of an atomic batch.
#[derive(Debug, Clone)]
pub enum Mutation {
    Put(Space, Vec<u8>, Vec<u8>),
    Delete(Space, Vec<u8>),
}

impl Mutation {
    /// The lengths of its key and value (0 for a delete).
    fn lengths(&self) -> (usize, usize) {
        match self {
            Mutation::Put(_, k, v) => (k.len(), v.len()),
            Mutation::Delete(_, k) => (k.len(), 0),
        }
    }
}

pub type KeyValue = (Vec<u8>, Vec<u8>);

pub trait Backend: Send + Sync + 'static {
    fn get(&self, space: Space, key: &[u8]) -> BackendResult<Option<Vec<u8>>>;

    /// Entries with `lower <= key < upper` (per the bounds), ascending or descending, at most `limit`.
    fn range(
        &self,
        space: Space,
        lower: Bound<&[u8]>,
        upper: Bound<&[u8]>,
        reverse: bool,
        limit: usize,
    ) -> BackendResult<Vec<KeyValue>>;

    /// Applies all mutations atomically (visible together, recovered together or not at all).
    fn apply(&self, batch: Vec<Mutation>) -> BackendResult<()>;

    /// Durability barrier: when this returns, every applied batch survives a crash.
    fn sync(&self) -> BackendResult<()>;

    /// Approximate bytes on disk (for benchmarks and the health view).
    fn disk_bytes(&self) -> u64 {
        0
    }
}

type SpaceWriteGuard<'a> = parking_lot::RwLockWriteGuard<'a, BTreeMap<Vec<u8>, Vec<u8>>>;

/// In-memory backend: one `BTreeMap` per keyspace behind a lock. Nothing survives the process.
#[derive(Default)]
pub struct MemoryBackend {
    spaces: [RwLock<BTreeMap<Vec<u8>, Vec<u8>>>; 4],
}

impl MemoryBackend {
    pub fn new() -> MemoryBackend {
        MemoryBackend::default()
    }
}

fn owned_bound(b: Bound<&[u8]>) -> Bound<Vec<u8>> {
    match b {
        Bound::Included(k) => Bound::Included(k.to_vec()),
        Bound::Excluded(k) => Bound::Excluded(k.to_vec()),
        Bound::Unbounded => Bound::Unbounded,
    }
}

fn empty_range(lower: &Bound<Vec<u8>>, upper: &Bound<Vec<u8>>) -> bool {
    match (lower, upper) {
        (Bound::Included(l), Bound::Included(u)) => l > u,
        (Bound::Included(l), Bound::Excluded(u)) | (Bound::Excluded(l), Bound::Included(u)) => {
            l >= u
        }
        (Bound::Excluded(l), Bound::Excluded(u)) => l >= u,
        _ => false,
    }
}

impl Backend for MemoryBackend {
    fn get(&self, space: Space, key: &[u8]) -> BackendResult<Option<Vec<u8>>> {
        Ok(self.spaces[space.index()].read().get(key).cloned())
    }

    fn range(
        &self,
        space: Space,
        lower: Bound<&[u8]>,
        upper: Bound<&[u8]>,
        reverse: bool,
        limit: usize,
    ) -> BackendResult<Vec<KeyValue>> {
        let (lower, upper) = (owned_bound(lower), owned_bound(upper));
        if empty_range(&lower, &upper) {
            return Ok(Vec::new());
        }
        let map = self.spaces[space.index()].read();
        let iter = map
            .range((lower, upper))
            .map(|(k, v)| (k.clone(), v.clone()));
        Ok(if reverse {
            iter.rev().take(limit).collect()
        } else {
            iter.take(limit).collect()
        })
    }

    fn apply(&self, batch: Vec<Mutation>) -> BackendResult<()> {
        // Lock every keyspace the batch touches, in a fixed order, so readers never see half a batch.
        let mut touched = [false; 4];
        for m in &batch {
            match m {
                Mutation::Put(s, ..) | Mutation::Delete(s, ..) => touched[s.index()] = true,
            }
        }
        let mut guards: Vec<Option<SpaceWriteGuard<'_>>> = (0..4)
            .map(|i| touched[i].then(|| self.spaces[i].write()))
            .collect();
        for m in batch {
            match m {
                Mutation::Put(s, k, v) => {
                    if let Some(g) = guards[s.index()].as_mut() {
                        g.insert(k, v);
                    }
                }
                Mutation::Delete(s, k) => {
                    if let Some(g) = guards[s.index()].as_mut() {
                        g.remove(&k);
                    }
                }
            }
        }
        Ok(())
    }

    fn sync(&self) -> BackendResult<()> {
        Ok(())
    }
}

/// On-disk backend over fjall (a pure-Rust LSM tree). Batches are journaled to OS buffers when applied;
/// `sync` makes the journal durable, which the group committer calls once per group of writes.
///
/// fjall's own `persist` holds the journal lock while it fsyncs, which would stall every writer for the
/// whole fsync. So `sync` calls `fdatasync` on a descriptor of its own for the active journal file
/// (`<n>.jnl`, preallocated by fjall and zero-filled ahead of its writes by `prefill`, so that the sync has no
/// block allocation to commit), while the writer keeps appending. When fjall rotates to
/// `<n+1>.jnl` it fsyncs the old journal itself; `sync` then follows to the new file.
pub struct FjallBackend {
    db: fjall::Database,
    spaces: Vec<fjall::Keyspace>,
    path: std::path::PathBuf,
    /// fjall's directory (`<data dir>/db`), where its journal files are.
    db_dir: std::path::PathBuf,
    journal: parking_lot::Mutex<Option<ActiveJournal>>,
    /// Zero-fills the journal ahead of fjall's writes; held across each commit (see `prefill`).
    prefill: parking_lot::Mutex<JournalPrefill>,
}

/// Size at which a keyspace's memtable is sealed and flushed to a segment. fjall's default is 64 MiB, and a
/// memtable holds every version of every key written since its last flush: four keyspaces of that made eddy's
/// resident memory grow past 200 MB in a long test run, and queries step over every old version in it. At
/// 4 MiB, writes walk a shorter skiplist and pay for more flushes instead, about even (see docs/benchmarks.md).
/// fjall stores the size with the keyspace: a data directory created with another size keeps it.
const MEMTABLE_BYTES: u64 = 4 * 1024 * 1024;

/// Our own descriptor of fjall's active journal file.
struct ActiveJournal {
    id: u64,
    file: std::fs::File,
}

/// The newest journal file of a database directory.
fn newest_journal(db_dir: &Path) -> Option<ActiveJournal> {
    let id = prefill::newest_journal_id(db_dir)?;
    let file = std::fs::File::open(journal_path(db_dir, id)).ok()?;
    Some(ActiveJournal { id, file })
}

fn storage(e: impl std::fmt::Display) -> BackendError {
    BackendError::Storage(e.to_string())
}

impl FjallBackend {
    pub fn open(path: &Path) -> BackendResult<FjallBackend> {
        let db_dir = path.join("db");
        let db = fjall::Database::builder(&db_dir)
            .cache_size(32 * 1024 * 1024)
            .worker_threads(1)
            .open()
            .map_err(|e| match e {
                fjall::Error::Locked => BackendError::Locked(path.display().to_string()),
                other => storage(other),
            })?;
        let spaces = Space::ALL
            .iter()
            .map(|s| {
                db.keyspace(s.name(), || {
                    fjall::KeyspaceCreateOptions::default().max_memtable_size(MEMTABLE_BYTES)
                })
                .map_err(storage)
            })
            .collect::<BackendResult<Vec<_>>>()?;
        let journal = parking_lot::Mutex::new(newest_journal(&db_dir));
        Ok(FjallBackend {
            db,
            spaces,
            path: path.to_path_buf(),
            journal,
            prefill: parking_lot::Mutex::new(JournalPrefill::new(&db_dir)),
            db_dir,
        })
    }

    fn space(&self, space: Space) -> &fjall::Keyspace {
        &self.spaces[space.index()]
    }
}

fn fjall_bound(b: Bound<&[u8]>) -> Bound<&[u8]> {
    b
}

impl Backend for FjallBackend {
    fn get(&self, space: Space, key: &[u8]) -> BackendResult<Option<Vec<u8>>> {
        Ok(self
            .space(space)
            .get(key)
            .map_err(storage)?
            .map(|v| v.to_vec()))
    }

    fn range(
        &self,
        space: Space,
        lower: Bound<&[u8]>,
        upper: Bound<&[u8]>,
        reverse: bool,
        limit: usize,
    ) -> BackendResult<Vec<KeyValue>> {
        if empty_range(&owned_bound(lower), &owned_bound(upper)) {
            return Ok(Vec::new());
        }
        let iter = self
            .space(space)
            .range::<&[u8], _>((fjall_bound(lower), fjall_bound(upper)));
        let mut out = Vec::new();
        let mut push = |guard: fjall::Guard| -> BackendResult<()> {
            let (k, v) = guard.into_inner().map_err(storage)?;
            out.push((k.to_vec(), v.to_vec()));
            Ok(())
        };
        if reverse {
            for guard in iter.rev().take(limit) {
                push(guard)?;
            }
        } else {
            for guard in iter.take(limit) {
                push(guard)?;
            }
        }
        Ok(out)
    }

    fn apply(&self, batch: Vec<Mutation>) -> BackendResult<()> {
        let journal_bytes = prefill::batch_bound(batch.iter().map(Mutation::lengths));
        let mut b = self.db.batch();
        for m in batch {
            match m {
                Mutation::Put(s, k, v) => b.insert(self.space(s), k, v),
                Mutation::Delete(s, k) => b.remove(self.space(s), k),
            }
        }
        // No batch is written while the prefill works (its zeros must never meet fjall's writes).
        let mut prefill = self.prefill.lock();
        b.commit().map_err(storage)?;
        prefill.after_commit(journal_bytes);
        Ok(())
    }

    fn sync(&self) -> BackendResult<()> {
        let mut journal = self.journal.lock();
        let db_dir = &self.db_dir;
        if journal.is_none() {
            // fjall may create its first journal only with the first write.
            *journal = newest_journal(db_dir);
        }
        // Follow rotations: fjall synced every older journal when it rotated away from it.
        while let Some(active) = journal.as_ref() {
            let next = journal_path(db_dir, active.id + 1);
            if !next.exists() {
                break;
            }
            *journal = std::fs::File::open(&next).ok().map(|file| ActiveJournal {
                id: active.id + 1,
                file,
            });
        }
        match journal.as_ref() {
            Some(active) => active.file.sync_data().map_err(storage),
            None => self
                .db
                .persist(fjall::PersistMode::SyncAll)
                .map_err(storage),
        }
    }

    fn disk_bytes(&self) -> u64 {
        self.db.disk_space().unwrap_or(0)
    }
}

impl std::fmt::Debug for FjallBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "FjallBackend({})", self.path.display())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exercise(b: &dyn Backend) {
        b.apply(vec![
            Mutation::Put(Space::Items, b"a1".to_vec(), b"x".to_vec()),
            Mutation::Put(Space::Items, b"a2".to_vec(), b"y".to_vec()),
            Mutation::Put(Space::Items, b"b1".to_vec(), b"z".to_vec()),
            Mutation::Put(Space::Meta, b"a1".to_vec(), b"meta".to_vec()),
        ])
        .unwrap();
        b.sync().unwrap();
        assert_eq!(b.get(Space::Items, b"a2").unwrap(), Some(b"y".to_vec()));
        assert_eq!(b.get(Space::Meta, b"a1").unwrap(), Some(b"meta".to_vec()));
        let fwd = b
            .range(
                Space::Items,
                Bound::Included(b"a"),
                Bound::Excluded(b"b"),
                false,
                10,
            )
            .unwrap();
        assert_eq!(
            fwd.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>(),
            vec![b"a1".to_vec(), b"a2".to_vec()]
        );
        let rev = b
            .range(Space::Items, Bound::Unbounded, Bound::Unbounded, true, 2)
            .unwrap();
        assert_eq!(rev[0].0, b"b1".to_vec());
        assert_eq!(rev.len(), 2);
        b.apply(vec![Mutation::Delete(Space::Items, b"a1".to_vec())])
            .unwrap();
        assert_eq!(b.get(Space::Items, b"a1").unwrap(), None);
        assert!(
            b.range(
                Space::Items,
                Bound::Included(b"z"),
                Bound::Excluded(b"a"),
                false,
                10
            )
            .unwrap()
            .is_empty()
        );
    }

    #[test]
    fn fjall_backend_recovers_every_batch_written_into_the_zero_filled_journal() {
        let dir = tempfile::tempdir().unwrap();
        let key = |i: u32| format!("key{i:06}").into_bytes();
        let value = |i: u32, round: u8| vec![round.wrapping_add(i as u8) | 1; 700];
        for round in 0..2u8 {
            // Round 0 writes into a new journal; round 1 appends to the journal fjall reopened.
            let b = FjallBackend::open(dir.path()).unwrap();
            for start in (0..6000).step_by(20) {
                b.apply(
                    (start..start + 20)
                        .map(|i| Mutation::Put(Space::Items, key(i), value(i, round)))
                        .collect(),
                )
                .unwrap();
            }
            b.sync().unwrap();
            if round == 0 {
                let prefill = b.prefill.lock();
                let zeroed = prefill.zeroed_to().expect("the journal was taken up");
                assert!(
                    zeroed > 4_000_000,
                    "zeroed ahead of 4 MB of batches: {zeroed}"
                );
            }
        }
        let b = FjallBackend::open(dir.path()).unwrap();
        for i in 0..6000 {
            assert_eq!(b.get(Space::Items, &key(i)).unwrap(), Some(value(i, 1)));
        }
    }

    #[test]
    fn memory_backend_behaves() {
        exercise(&MemoryBackend::new());
    }

    #[test]
    fn fjall_backend_behaves_and_persists() {
        let dir = tempfile::tempdir().unwrap();
        {
            let b = FjallBackend::open(dir.path()).unwrap();
            exercise(&b);
        }
        let b = FjallBackend::open(dir.path()).unwrap();
        assert_eq!(b.get(Space::Items, b"a2").unwrap(), Some(b"y".to_vec()));
        assert!(
            b.journal.lock().is_some(),
            "sync uses its own descriptor of the active journal"
        );
    }
}
