//! eddy-store: the engine under every DynamoDB-shaped API of eddy. It owns tables and their items, secondary
//! indexes, TTL, the stream log and (later) mapping checkpoints, all in one backend so that an item change, its
//! index entries and its stream record commit as one atomic batch.
//!
//! `Store` is the facade: table operations in `tables`, item operations in `items`, reads in `query`,
//! multi-item operations in `batch` and `transact`, expiry in `ttl`. Every write runs on the group-commit
//! writer (`writer`); reads go to the backend directly.

pub mod backend;
mod batch;
pub mod capacity;
pub mod catalog;
mod codec;
mod docs;
mod items;
mod layout;
mod prefill;
mod query;
mod record_json;
mod stream;
mod tables;
mod transact;
mod ttl;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use eddy_model::{Clock, DynamoError, Scope};
use parking_lot::RwLock;

pub use backend::{Backend, BackendError, FjallBackend, MemoryBackend, Space};
pub use batch::{
    BatchGetOutput, BatchGetRequest, BatchGetTable, BatchWriteOutput, BatchWriteRequest,
    WriteRequest,
};
pub use capacity::{Capacity, CapacityMode, CapacitySplit};
pub use catalog::{
    BillingMode, IndexDef, IndexKind, OnDemandLimits, ProjectionType, StreamViewType, Table,
    TableDef, Throughput, ThroughputChanges, TtlSetting,
};
pub use docs::DocChange;
pub use items::{
    DeleteItem, GetItem, NESTING_MESSAGE, PutItem, ReturnValues, UpdateItem, WriteOutput,
    check_attribute_names, check_nesting, is_too_deep_for_older_checks,
};
pub use query::{QueryInput, ReadOutput, ScanInput, Select};
pub use record_json::{RecordJson, RecordShape};
pub use stream::{
    EventName, IteratorType, RecordsPage, ShardDef, ShardRead, StreamConfig, StreamDef,
    StreamRecord, StreamSpecification, StreamSummary, parse_sequence_number, sequence_number,
};
pub use tables::{CreateTable, GsiUpdate, IndexSpec, OnDemandRequest, TableUpdate, WarmRequest};
pub use transact::{TransactGetItem, TransactWriteAction, TransactWriteInput};

use backend::Mutation;
use catalog::{Catalog, TableStats};
pub use writer::WorkerActivity;
use writer::{GroupHook, SyncPolicy, WriteCtx, Writer};

/// How long an fsync is held back, at most, while the runtime is busy (see [`WorkerActivity`]).
pub const DEFAULT_COMMIT_DELAY: std::time::Duration = std::time::Duration::from_millis(1);

/// Settings of the engine.
#[derive(Clone, Debug)]
pub struct StoreConfig {
    /// fsync before acknowledging a write (default). Off trades crash safety on power loss for speed; a killed
    /// process still loses nothing, since applied batches are in the OS's buffers.
    pub fsync: bool,
    /// How often the background TTL sweeper runs.
    pub ttl_sweep_interval_ms: u64,
    pub streams: StreamConfig,
    /// The runtime's worker activity (see [`WorkerActivity`]); with it, fsyncs are held back while workers
    /// are busy, for at most `commit_delay`, so that more writes share each.
    pub activity: Option<Arc<WorkerActivity>>,
    /// The longest an fsync waits for more writes to share it.
    pub commit_delay: std::time::Duration,
}

impl Default for StoreConfig {
    fn default() -> StoreConfig {
        StoreConfig {
            fsync: true,
            ttl_sweep_interval_ms: 5_000,
            streams: StreamConfig::default(),
            activity: None,
            commit_delay: DEFAULT_COMMIT_DELAY,
        }
    }
}

pub(crate) struct Inner {
    pub(crate) backend: Arc<dyn Backend>,
    pub(crate) catalog: RwLock<Catalog>,
    pub(crate) clock: Arc<Clock>,
    pub(crate) next_id: AtomicU64,
    pub(crate) writer: Writer,
    pub(crate) config: StoreConfig,
    pub(crate) dirty_stats: parking_lot::Mutex<Vec<(u64, Arc<TableStats>)>>,
    pub(crate) data_dir: Option<PathBuf>,
    pub(crate) streams: Arc<stream::Streams>,
}

/// The storage engine. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    pub(crate) inner: Arc<Inner>,
}

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("{0}")]
    Backend(#[from] BackendError),
    #[error("cannot create or open the data directory {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("the data directory {0} holds a catalog entry eddy cannot read: {1}")]
    Corrupt(String, String),
    #[error(
        "the data directory {dir} was written by another version of eddy (storage layout {found}; this eddy reads layout {expected}); move it away or delete it to start afresh"
    )]
    Layout {
        dir: String,
        found: u64,
        expected: u64,
    },
}

/// Persists touched tables' counters once per commit group rather than once per write.
struct StatsHook(std::sync::Weak<Inner>);

impl GroupHook for StatsHook {
    fn end_of_group(&self, ctx: &mut WriteCtx) {
        let Some(inner) = self.0.upgrade() else {
            return;
        };
        let dirty = std::mem::take(&mut *inner.dirty_stats.lock());
        for (id, stats) in dirty {
            ctx.stage(Mutation::Put(
                Space::Meta,
                layout::meta_stats_key(id),
                stats.encode(),
            ));
        }
    }
}

impl Store {
    /// Opens (or creates) a durable store in `dir`.
    pub fn open(dir: &Path, clock: Arc<Clock>, config: StoreConfig) -> Result<Store, OpenError> {
        std::fs::create_dir_all(dir).map_err(|source| OpenError::Io {
            path: dir.display().to_string(),
            source,
        })?;
        let backend = FjallBackend::open(dir)?;
        Store::with_backend(Arc::new(backend), clock, config, Some(dir.to_path_buf()))
    }

    /// A store that keeps nothing after the process ends.
    pub fn in_memory(clock: Arc<Clock>, config: StoreConfig) -> Store {
        match Store::with_backend(Arc::new(MemoryBackend::new()), clock, config, None) {
            Ok(store) => store,
            // An empty in-memory backend has no catalog to misread.
            Err(e) => unreachable!("in-memory store cannot fail to open: {e}"),
        }
    }

    fn with_backend(
        backend: Arc<dyn Backend>,
        clock: Arc<Clock>,
        config: StoreConfig,
        data_dir: Option<PathBuf>,
    ) -> Result<Store, OpenError> {
        let dir = data_dir
            .as_ref()
            .map(|d| d.display().to_string())
            .unwrap_or_default();
        let corrupt = |e: String| OpenError::Corrupt(dir.clone(), e);
        let next_id = meta_u64(backend.as_ref(), layout::META_NEXT_ID, &dir)?;
        check_layout(backend.as_ref(), next_id.is_some(), &dir)?;
        let next_id = next_id.unwrap_or(1);
        let mut catalog = Catalog::default();
        for (_, value) in backend.range(
            Space::Meta,
            std::ops::Bound::Included(b"table/"),
            std::ops::Bound::Excluded(b"table0"),
            false,
            usize::MAX,
        )? {
            let def: TableDef =
                serde_json::from_slice(&value).map_err(|e| corrupt(e.to_string()))?;
            let stats = backend
                .get(Space::Meta, &layout::meta_stats_key(def.id))?
                .and_then(|stored| TableStats::decode(&stored))
                .unwrap_or_default();
            for index in def.indexes() {
                if !stats.knows_index(index.id) {
                    // Stored before eddy counted index entries: counted here, and stored with the next write.
                    let (count, bytes) = count_index_entries(backend.as_ref(), index.id, &dir)?;
                    stats.add_to_index(index.id, count, bytes);
                }
            }
            catalog.insert(Arc::new(Table {
                def,
                stats: Arc::new(stats),
            }));
        }
        let streams = Arc::new(
            stream::Streams::load(backend.as_ref(), config.streams.clone()).map_err(corrupt)?,
        );
        let inner = Arc::new_cyclic(|weak: &std::sync::Weak<Inner>| {
            let hook = Arc::new(StatsHook(weak.clone()));
            Inner {
                writer: Writer::start(
                    backend.clone(),
                    SyncPolicy {
                        durable: config.fsync,
                        delay: config.commit_delay,
                        activity: config.activity.clone(),
                    },
                    hook,
                ),
                backend,
                catalog: RwLock::new(catalog),
                clock,
                next_id: AtomicU64::new(next_id),
                config,
                dirty_stats: parking_lot::Mutex::new(Vec::new()),
                data_dir,
                streams,
            }
        });
        Ok(Store { inner })
    }

    /// Makes everything applied so far durable (used at shutdown).
    pub fn flush(&self) -> Result<(), BackendError> {
        self.inner.backend.sync()
    }

    pub fn clock(&self) -> &Arc<Clock> {
        &self.inner.clock
    }

    pub fn data_dir(&self) -> Option<&Path> {
        self.inner.data_dir.as_deref()
    }

    /// Starts the background work of the engine (TTL sweeping, purging deleted tables). Needs a tokio runtime.
    pub fn start_background(&self) {
        ttl::spawn_sweeper(self.clone());
        tables::spawn_purger(self.clone());
        stream::spawn_maintenance(self.clone());
    }

    pub(crate) fn table(&self, scope: &Scope, name: &str) -> Result<Arc<Table>, DynamoError> {
        self.inner
            .catalog
            .read()
            .get(scope, name)
            .ok_or_else(|| DynamoError::ResourceNotFound("Requested resource not found".into()))
    }

    /// The definition of a live table, if any.
    pub fn table_def(&self, scope: &Scope, name: &str) -> Option<Arc<Table>> {
        self.inner.catalog.read().get(scope, name)
    }
}

/// The number and total size of an index's entries, read from the store.
fn count_index_entries(
    backend: &dyn Backend,
    index_id: u64,
    dir: &str,
) -> Result<(i64, i64), OpenError> {
    let prefix = layout::id_prefix(index_id);
    let end = layout::prefix_end(&prefix);
    let upper = end
        .as_deref()
        .map_or(std::ops::Bound::Unbounded, std::ops::Bound::Excluded);
    let (mut count, mut bytes) = (0i64, 0i64);
    for (_, value) in backend.range(
        Space::Indexes,
        std::ops::Bound::Included(&prefix),
        upper,
        false,
        usize::MAX,
    )? {
        let size = codec::encoded_item_size(&value)
            .map_err(|e| OpenError::Corrupt(dir.into(), e.to_string()))?;
        count += 1;
        bytes += size as i64;
    }
    Ok((count, bytes))
}

/// A counter of the `Meta` keyspace (8 bytes, big-endian), if present.
fn meta_u64(backend: &dyn Backend, key: &[u8], dir: &str) -> Result<Option<u64>, OpenError> {
    let Some(bytes) = backend.get(Space::Meta, key)? else {
        return Ok(None);
    };
    let bytes = <[u8; 8]>::try_from(bytes.as_slice())
        .map_err(|_| OpenError::Corrupt(dir.into(), String::from_utf8_lossy(key).into_owned()))?;
    Ok(Some(u64::from_be_bytes(bytes)))
}

/// Refuses a data directory written with another key layout, and stamps a new one with this layout. A
/// directory that has held tables (`used`) but carries no stamp was written with layout 1, before the stamp
/// existed.
fn check_layout(backend: &dyn Backend, used: bool, dir: &str) -> Result<(), OpenError> {
    let found = match meta_u64(backend, layout::META_FORMAT, dir)? {
        Some(version) => version,
        None if used => 1,
        None => {
            backend.apply(vec![Mutation::Put(
                Space::Meta,
                layout::META_FORMAT.to_vec(),
                layout::FORMAT_VERSION.to_be_bytes().to_vec(),
            )])?;
            backend.sync()?;
            return Ok(());
        }
    };
    if found == layout::FORMAT_VERSION {
        return Ok(());
    }
    Err(OpenError::Layout {
        dir: dir.into(),
        found,
        expected: layout::FORMAT_VERSION,
    })
}

impl Inner {
    /// Allocates a never-reused id; only called inside a writer job, which also stages the new counter.
    pub(crate) fn allocate_id(&self, ctx: &mut WriteCtx) -> u64 {
        let id = self.next_id.fetch_add(1, Ordering::SeqCst);
        ctx.stage(Mutation::Put(
            Space::Meta,
            layout::META_NEXT_ID.to_vec(),
            (id + 1).to_be_bytes().to_vec(),
        ));
        id
    }

    pub(crate) fn mark_stats_dirty(&self, table: &Table) {
        let mut dirty = self.dirty_stats.lock();
        if !dirty.iter().any(|(id, _)| *id == table.def.id) {
            dirty.push((table.def.id, table.stats.clone()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open(dir: &Path) -> Result<Store, OpenError> {
        Store::open(dir, Arc::new(Clock::new()), StoreConfig::default())
    }

    #[test]
    fn a_new_data_directory_is_stamped_with_the_layout_and_opens_again() {
        let dir = tempfile::tempdir().expect("tempdir");
        drop(open(dir.path()).expect("first open"));
        let store = open(dir.path()).expect("second open");
        let stamp = store.inner.backend.get(Space::Meta, layout::META_FORMAT);
        assert_eq!(
            stamp.expect("read"),
            Some(layout::FORMAT_VERSION.to_be_bytes().to_vec())
        );
    }

    /// A store written before eddy counted index entries (its stats hold the table's counters only) counts
    /// them when it opens.
    #[tokio::test]
    async fn index_counters_missing_from_an_older_store_are_counted_at_open() {
        use eddy_model::{AttributeMap, ScalarType};
        let backend = Arc::new(MemoryBackend::new());
        let open = || {
            Store::with_backend(
                backend.clone(),
                Arc::new(Clock::new()),
                StoreConfig::default(),
                None,
            )
            .expect("open")
        };
        let store = open();
        let scope = Scope::default();
        let table = store
            .create_table(
                &scope,
                tables::CreateTable {
                    name: "old".into(),
                    attribute_definitions: vec![
                        ("pk".into(), ScalarType::S),
                        ("g".into(), ScalarType::S),
                    ],
                    key_schema: vec![("pk".into(), "HASH".into())],
                    billing_mode: Some(catalog::BillingMode::PayPerRequest),
                    gsis: Some(vec![tables::IndexSpec {
                        name: "by-g".into(),
                        key_schema: vec![("g".into(), "HASH".into())],
                        projection_type: Some("KEYS_ONLY".into()),
                        non_key_attributes: None,
                        throughput: None,
                        on_demand: None,
                        warm: None,
                    }]),
                    ..Default::default()
                },
            )
            .await
            .expect("create");
        for (pk, g) in [("a", Some("x")), ("b", None), ("c", Some("y"))] {
            let mut item: AttributeMap =
                serde_json::from_str(&format!(r#"{{"pk":{{"S":"{pk}"}}}}"#)).expect("item");
            if let Some(g) = g {
                item.insert("g".into(), eddy_model::AttributeValue::S(g.into()));
            }
            let put = items::PutItem {
                table: "old".into(),
                item,
                condition: None,
                return_values: Default::default(),
                return_old_on_condition_failure: false,
                capacity: Default::default(),
            };
            store.put_item(&scope, put).await.expect("put");
        }
        let index = table.def.gsis[0].id;
        let counted = store
            .describe_table(&scope, "old")
            .expect("table")
            .stats
            .index_snapshot(index);
        assert_eq!(counted, (2, 2 * (3 + 2)), "pk and g of two items");
        drop(store);
        // The stats as an older eddy stored them: item count and size only.
        let stats_key = layout::meta_stats_key(table.def.id);
        let stored = backend
            .get(Space::Meta, &stats_key)
            .expect("read")
            .expect("stats");
        backend
            .apply(vec![Mutation::Put(
                Space::Meta,
                stats_key,
                stored[..16].to_vec(),
            )])
            .expect("write");
        let store = open();
        let table = store.describe_table(&scope, "old").expect("table");
        assert_eq!(table.stats.index_snapshot(index), counted);
        assert_eq!(table.stats.snapshot().0, 3);
    }

    #[test]
    fn a_data_directory_of_another_layout_is_refused_and_left_alone() {
        let backend = Arc::new(MemoryBackend::new());
        let next_id = (7u64).to_be_bytes().to_vec();
        let put = Mutation::Put(Space::Meta, layout::META_NEXT_ID.to_vec(), next_id);
        backend.apply(vec![put]).expect("apply");
        let opened = Store::with_backend(
            backend.clone(),
            Arc::new(Clock::new()),
            StoreConfig::default(),
            Some(PathBuf::from("/data/old")),
        );
        let Err(e) = opened else {
            panic!("an unstamped directory with tables opened")
        };
        assert_eq!(
            e.to_string(),
            "the data directory /data/old was written by another version of eddy (storage layout 1; this eddy reads layout 2); move it away or delete it to start afresh"
        );
        let stamp = backend.get(Space::Meta, layout::META_FORMAT);
        assert_eq!(
            stamp.expect("read"),
            None,
            "a refused directory was stamped"
        );
    }
}
