//! The catalog: table definitions (key schema, attribute definitions, indexes, billing, TTL, tags, stream
//! settings) and the in-memory lookup from (scope, table name) to definition. Definitions are persisted as JSON
//! under the `Meta` keyspace and loaded whole at start-up (there are few tables); only writer jobs change
//! them, so a definition change and the item writes around it are ordered by the same commit log.

use rustc_hash::FxHashMap;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use eddy_model::key::PartitionHashScheme;
use eddy_model::{AttributeMap, KeySchema, ScalarType, Scope};

use crate::layout;
use serde::{Deserialize, Serialize};

/// Which attributes an index copies from the table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProjectionType {
    All,
    KeysOnly,
    Include(Vec<String>),
}

impl ProjectionType {
    pub fn wire_name(&self) -> &'static str {
        match self {
            ProjectionType::All => "ALL",
            ProjectionType::KeysOnly => "KEYS_ONLY",
            ProjectionType::Include(_) => "INCLUDE",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Throughput {
    pub read: i64,
    pub write: i64,
}

impl Throughput {
    /// What an on-demand table or index can serve at once, as DynamoDB reports it (`WarmThroughput`).
    pub const ON_DEMAND_WARM: Throughput = Throughput {
        read: 12_000,
        write: 4_000,
    };

    /// The higher of each rate.
    pub fn max_each(self, other: Throughput) -> Throughput {
        Throughput {
            read: self.read.max(other.read),
            write: self.write.max(other.write),
        }
    }

    /// Warm throughput (`WarmThroughput`): what a table or index can serve at once. It never drops: the highest
    /// of `high_water` (what it could serve before) and what its billing gives it now — on demand 12 000 reads
    /// and 4 000 writes a second, provisioned its capacity units.
    pub fn warm(
        high_water: Option<Throughput>,
        billing: BillingMode,
        provisioned: Option<Throughput>,
    ) -> Throughput {
        let now = match (billing, provisioned) {
            (BillingMode::Provisioned, Some(units)) => units,
            _ => Throughput::ON_DEMAND_WARM,
        };
        high_water.map_or(now, |before| before.max_each(now))
    }
}

/// The most request units a second an on-demand table or index may use (`OnDemandThroughput`); -1: no limit.
/// Recorded and reported; eddy never throttles.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OnDemandLimits {
    pub max_read: i64,
    pub max_write: i64,
}

/// When provisioned throughput last went up and down (`LastIncreaseDateTime`, `LastDecreaseDateTime`,
/// `NumberOfDecreasesToday` of a `ProvisionedThroughputDescription`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThroughputChanges {
    pub last_increase_ms: Option<i64>,
    pub last_decrease_ms: Option<i64>,
    /// Decreases on the UTC day of `last_decrease_ms`.
    pub decreases_that_day: u32,
}

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

impl ThroughputChanges {
    /// Records a change from `old` to `new` at `now_ms`: an increase if either rate went up, a decrease if either
    /// went down (both, if one did each).
    pub fn record(&mut self, old: Option<Throughput>, new: Throughput, now_ms: i64) {
        let Some(old) = old else { return };
        if new.read > old.read || new.write > old.write {
            self.last_increase_ms = Some(now_ms);
        }
        if new.read < old.read || new.write < old.write {
            let same_day = self
                .last_decrease_ms
                .is_some_and(|at| at.div_euclid(DAY_MS) == now_ms.div_euclid(DAY_MS));
            self.decreases_that_day = if same_day {
                self.decreases_that_day + 1
            } else {
                1
            };
            self.last_decrease_ms = Some(now_ms);
        }
    }

    /// `NumberOfDecreasesToday` as of `now_ms` (UTC days).
    pub fn decreases_today(&self, now_ms: i64) -> u32 {
        match self.last_decrease_ms {
            Some(at) if at.div_euclid(DAY_MS) == now_ms.div_euclid(DAY_MS) => {
                self.decreases_that_day
            }
            _ => 0,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BillingMode {
    Provisioned,
    PayPerRequest,
}

impl BillingMode {
    pub fn wire_name(self) -> &'static str {
        match self {
            BillingMode::Provisioned => "PROVISIONED",
            BillingMode::PayPerRequest => "PAY_PER_REQUEST",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum IndexKind {
    Global,
    Local,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IndexDef {
    /// Never reused; prefixes the index's entries in the `Indexes` keyspace.
    pub id: u64,
    pub name: String,
    pub kind: IndexKind,
    pub key: KeySchema,
    pub projection: ProjectionType,
    pub throughput: Option<Throughput>,
    #[serde(default)]
    pub throughput_changes: ThroughputChanges,
    /// The highest warm throughput the index had before its last throughput or billing change.
    #[serde(default)]
    pub warm_high_water: Option<Throughput>,
    #[serde(default)]
    pub on_demand: Option<OnDemandLimits>,
    /// How entries with equal index keys are ordered; indexes stored before the field follow their table's
    /// scheme.
    #[serde(default)]
    pub ties: TieOrder,
}

/// The order of index entries whose index keys are equal. Part of the on-disk layout: an index keeps the order
/// it was created with.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum TieOrder {
    /// As the table's [`PartitionHashScheme`] says: by DynamoDB's hash of the table key under its scheme (GSIs,
    /// as dynalite's AWS-checked tests show), by the table key under FNV.
    #[default]
    TableScheme,
    /// By the table key (LSIs created since eddy orders them so: an LSI shares its table's partition, and
    /// ExtendDB's AWS-checked tests page its ties in base sort key order).
    TableKey,
}

impl IndexDef {
    /// The attributes an entry of this index carries for `item` (the index's and table's keys plus the
    /// projection), or `None` if the item lacks one of the index key attributes (sparse index).
    pub fn project(&self, table_key: &KeySchema, item: &AttributeMap) -> Option<AttributeMap> {
        // Writes refuse the rest, but an index added later meets whatever the table holds: DynamoDB's backfill
        // leaves out items whose key value is empty or too large, as well as those without it.
        for attr in self.key.attributes() {
            match item.get(&attr.name) {
                Some(v) if self.key.holds_value(attr, v) => {}
                _ => return None,
            }
        }
        Some(match &self.projection {
            ProjectionType::All => item.clone(),
            ProjectionType::KeysOnly | ProjectionType::Include(_) => {
                let extra: &[String] = match &self.projection {
                    ProjectionType::Include(names) => names,
                    _ => &[],
                };
                item.iter()
                    .filter(|(name, _)| {
                        self.key.is_key_attribute(name)
                            || table_key.is_key_attribute(name)
                            || extra.contains(name)
                    })
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect()
            }
        })
    }

    /// Whether the index carries attribute `name` (for Select/projection checks).
    pub fn covers(&self, table_key: &KeySchema, name: &str) -> bool {
        match &self.projection {
            ProjectionType::All => true,
            ProjectionType::KeysOnly => {
                self.key.is_key_attribute(name) || table_key.is_key_attribute(name)
            }
            ProjectionType::Include(names) => {
                self.key.is_key_attribute(name)
                    || table_key.is_key_attribute(name)
                    || names.iter().any(|n| n == name)
            }
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TtlSetting {
    pub attribute: String,
    pub enabled: bool,
    /// When UpdateTimeToLive last changed the setting (server clock); DynamoDB refuses another change within
    /// the hour after one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changed_ms: Option<i64>,
}

/// The stream view type of a table's stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum StreamViewType {
    KeysOnly,
    NewImage,
    OldImage,
    NewAndOldImages,
}

impl StreamViewType {
    pub fn wire_name(self) -> &'static str {
        match self {
            StreamViewType::KeysOnly => "KEYS_ONLY",
            StreamViewType::NewImage => "NEW_IMAGE",
            StreamViewType::OldImage => "OLD_IMAGE",
            StreamViewType::NewAndOldImages => "NEW_AND_OLD_IMAGES",
        }
    }

    pub fn parse(s: &str) -> Option<StreamViewType> {
        Some(match s {
            "KEYS_ONLY" => StreamViewType::KeysOnly,
            "NEW_IMAGE" => StreamViewType::NewImage,
            "OLD_IMAGE" => StreamViewType::OldImage,
            "NEW_AND_OLD_IMAGES" => StreamViewType::NewAndOldImages,
            _ => return None,
        })
    }
}

/// The table's current (latest) stream. A disabled stream keeps its identity so DescribeTable can still
/// report `LatestStreamArn`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableStream {
    pub stream_id: u64,
    pub label: String,
    pub view_type: StreamViewType,
    pub enabled: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TableDef {
    /// Never reused, not even after the table is deleted; prefixes the table's items.
    pub id: u64,
    pub account: String,
    pub region: String,
    pub name: String,
    pub key: KeySchema,
    pub attribute_definitions: Vec<(String, ScalarType)>,
    pub created_ms: i64,
    pub billing: BillingMode,
    pub throughput: Option<Throughput>,
    pub gsis: Vec<IndexDef>,
    pub lsis: Vec<IndexDef>,
    pub ttl: Option<TtlSetting>,
    pub tags: BTreeMap<String, String>,
    pub stream: Option<TableStream>,
    pub deletion_protection: bool,
    pub table_class: Option<String>,
    /// When UpdateTable last changed the table class (for `TableClassSummary`; a class given at creation
    /// has none, as on DynamoDB).
    #[serde(default)]
    pub table_class_changed_ms: Option<i64>,
    /// When billing mode last changed (for `BillingModeSummary`).
    pub billing_changed_ms: Option<i64>,
    #[serde(default)]
    pub throughput_changes: ThroughputChanges,
    /// How the table's keys are hashed (and so the order of its Scan); FNV for tables stored before the field.
    #[serde(default)]
    pub partition_hash: PartitionHashScheme,
    /// The highest warm throughput the table had before its last throughput or billing change.
    #[serde(default)]
    pub warm_high_water: Option<Throughput>,
    #[serde(default)]
    pub on_demand: Option<OnDemandLimits>,
}

impl TableDef {
    /// The stored key of an item (or of a key) of this table.
    pub fn item_key(&self, item: &AttributeMap) -> Vec<u8> {
        layout::item_key(self.partition_hash, self.id, &self.key, item)
    }

    /// The stored key of the entry of one of this table's indexes for `entry` (an item's projection).
    pub fn index_entry_key(&self, index: &IndexDef, entry: &AttributeMap) -> Vec<u8> {
        let ties_by_hash = self.partition_hash == PartitionHashScheme::Dynamo
            && index.ties == TieOrder::TableScheme;
        layout::index_entry_key(
            self.partition_hash,
            index.id,
            &index.key,
            &self.key,
            ties_by_hash,
            entry,
        )
    }

    /// The stored key of the TTL entry of `item`, which expires at `expiry_secs`.
    pub fn ttl_entry_key(&self, expiry_secs: i64, item: &AttributeMap) -> Vec<u8> {
        layout::ttl_entry_key(self.partition_hash, self.id, expiry_secs, &self.key, item)
    }

    pub fn scope(&self) -> Scope {
        Scope::new(&self.account, &self.region)
    }

    pub fn arn(&self) -> String {
        self.scope().table_arn(&self.name)
    }

    pub fn index(&self, name: &str) -> Option<&IndexDef> {
        self.gsis
            .iter()
            .chain(self.lsis.iter())
            .find(|i| i.name == name)
    }

    /// The table's warm throughput (`WarmThroughput`).
    pub fn warm_throughput(&self) -> Throughput {
        Throughput::warm(self.warm_high_water, self.billing, self.throughput)
    }

    /// The warm throughput of one of the table's GSIs.
    pub fn index_warm_throughput(&self, index: &IndexDef) -> Throughput {
        Throughput::warm(index.warm_high_water, self.billing, index.throughput)
    }

    /// Remembers the warm throughput of the table and its GSIs before their throughput or billing changes, so
    /// that it never drops.
    pub fn remember_warm_throughput(&mut self) {
        self.warm_high_water = Some(self.warm_throughput());
        let marks: Vec<Throughput> = self
            .gsis
            .iter()
            .map(|g| self.index_warm_throughput(g))
            .collect();
        for (gsi, mark) in self.gsis.iter_mut().zip(marks) {
            gsi.warm_high_water = Some(mark);
        }
    }

    pub fn indexes(&self) -> impl Iterator<Item = &IndexDef> {
        self.gsis.iter().chain(self.lsis.iter())
    }

    pub fn attribute_type(&self, name: &str) -> Option<ScalarType> {
        self.attribute_definitions
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, t)| *t)
    }

    /// The TTL attribute, if TTL is enabled.
    pub fn ttl_attribute(&self) -> Option<&str> {
        self.ttl
            .as_ref()
            .filter(|t| t.enabled)
            .map(|t| t.attribute.as_str())
    }

    /// The stream records go to, if the stream is enabled.
    pub fn active_stream(&self) -> Option<&TableStream> {
        self.stream.as_ref().filter(|s| s.enabled)
    }
}

/// Live counters DescribeTable reports (AWS refreshes them every few hours; eddy keeps them exact): the table's
/// items and their size, and each index's entries and their size.
#[derive(Debug, Default)]
pub struct TableStats {
    pub item_count: AtomicI64,
    pub size_bytes: AtomicI64,
    /// Changed only inside writer jobs, which run one at a time: the lock is never contended by writers.
    indexes: parking_lot::Mutex<Vec<IndexStats>>,
}

/// One index's counters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IndexStats {
    pub id: u64,
    pub count: i64,
    pub bytes: i64,
}

impl TableStats {
    pub fn add(&self, items: i64, bytes: i64) {
        self.item_count.fetch_add(items, Ordering::Relaxed);
        self.size_bytes.fetch_add(bytes, Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> (i64, i64) {
        (
            self.item_count.load(Ordering::Relaxed).max(0),
            self.size_bytes.load(Ordering::Relaxed).max(0),
        )
    }

    /// Counts entries added to (positive) or removed from (negative) an index.
    pub fn add_to_index(&self, id: u64, entries: i64, bytes: i64) {
        let mut indexes = self.indexes.lock();
        match indexes.iter_mut().find(|s| s.id == id) {
            Some(stats) => {
                stats.count += entries;
                stats.bytes += bytes;
            }
            None => indexes.push(IndexStats {
                id,
                count: entries,
                bytes,
            }),
        }
    }

    /// An index's entry count and size.
    pub fn index_snapshot(&self, id: u64) -> (i64, i64) {
        let indexes = self.indexes.lock();
        indexes
            .iter()
            .find(|s| s.id == id)
            .map_or((0, 0), |s| (s.count.max(0), s.bytes.max(0)))
    }

    /// Whether the index's counters are known (they are not for an index stored before eddy counted them).
    pub fn knows_index(&self, id: u64) -> bool {
        self.indexes.lock().iter().any(|s| s.id == id)
    }

    /// Drops the counters of indexes the table no longer has.
    pub fn retain_indexes(&self, keep: impl Fn(u64) -> bool) {
        self.indexes.lock().retain(|s| keep(s.id));
    }

    /// The stored form: item count and size, then each index's id, count and size (8 bytes each, big-endian).
    pub fn encode(&self) -> Vec<u8> {
        let (count, bytes) = (
            self.item_count.load(Ordering::Relaxed),
            self.size_bytes.load(Ordering::Relaxed),
        );
        let indexes = self.indexes.lock();
        let mut out = Vec::with_capacity(16 + 24 * indexes.len());
        for n in [count, bytes] {
            out.extend_from_slice(&n.to_be_bytes());
        }
        for s in indexes.iter() {
            out.extend_from_slice(&s.id.to_be_bytes());
            out.extend_from_slice(&s.count.to_be_bytes());
            out.extend_from_slice(&s.bytes.to_be_bytes());
        }
        out
    }

    /// Reads [`TableStats::encode`]'s form (and the older one of 16 bytes, without indexes); `None` if it is
    /// neither.
    pub fn decode(stored: &[u8]) -> Option<TableStats> {
        if stored.len() < 16 || !(stored.len() - 16).is_multiple_of(24) {
            return None;
        }
        let word = |at: usize| {
            stored
                .get(at..at + 8)
                .and_then(|b| <[u8; 8]>::try_from(b).ok())
                .map(i64::from_be_bytes)
                .unwrap_or(0)
        };
        let stats = TableStats::default();
        stats.add(word(0), word(8));
        for at in (16..stored.len()).step_by(24) {
            stats.add_to_index(word(at) as u64, word(at + 8), word(at + 16));
        }
        Some(stats)
    }
}

/// A table as the engine sees it: its definition and its counters.
#[derive(Debug)]
pub struct Table {
    pub def: TableDef,
    pub stats: Arc<TableStats>,
}

/// All live tables, by scope and name. Cheap to read: values are `Arc`s swapped whole on change, and a lookup
/// allocates nothing.
#[derive(Debug, Default)]
pub struct Catalog {
    tables: FxHashMap<Scope, FxHashMap<String, Arc<Table>>>,
}

impl Catalog {
    pub fn get(&self, scope: &Scope, name: &str) -> Option<Arc<Table>> {
        self.tables.get(scope)?.get(name).cloned()
    }

    pub fn insert(&mut self, table: Arc<Table>) {
        self.tables
            .entry(table.def.scope())
            .or_default()
            .insert(table.def.name.clone(), table);
    }

    pub fn remove(&mut self, scope: &Scope, name: &str) -> Option<Arc<Table>> {
        let tables = self.tables.get_mut(scope)?;
        let removed = tables.remove(name);
        if tables.is_empty() {
            self.tables.remove(scope);
        }
        removed
    }

    /// Table names of one scope, sorted.
    pub fn names(&self, scope: &Scope) -> Vec<String> {
        let mut names: Vec<String> = self
            .tables
            .get(scope)
            .map(|tables| tables.keys().cloned().collect())
            .unwrap_or_default();
        names.sort();
        names
    }

    pub fn all(&self) -> impl Iterator<Item = &Arc<Table>> {
        self.tables.values().flat_map(FxHashMap::values)
    }
}
