//! DynamoDB Streams in the engine: stream identity and lifecycle (enable, disable, re-enable with a new ARN,
//! table deletion), shards with lineage (rollover on a schedule and on demand, splits), change capture in the
//! same atomic batch as the item change, retention and trimming, iterators, and reads.
//!
//! Records live in the `Stream` keyspace under `stream id | shard index | sequence counter`. Sequence numbers
//! come from one process-wide counter that never goes back (recovered from the log at start-up), so they are
//! strictly increasing per stream and never reused — across restarts, disable/enable and table re-creation.
//! Readers see a record only once its batch is durable (the durable watermark), and are woken through a
//! watch channel when the watermark moves: the commit of a record is the notification.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use base64::Engine;
use eddy_model::key::{encode_key_value, partition_hash};
use eddy_model::time::stream_label;
use eddy_model::{AttributeMap, DynamoError, KeySchema, Scope, item_size};
use parking_lot::RwLock;
use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use crate::Store;
use crate::backend::{Backend, Mutation, Space};
use crate::catalog::{StreamViewType, Table, TableDef, TableStream};
use crate::codec::{decode_item, encode_item};
use crate::items::Origin;
use crate::writer::WriteCtx;

/// Sequence numbers are printed as this base plus the counter: 21 digits, like AWS's.
const SEQUENCE_BASE: u128 = 100_000_000_000_000_000_000;
/// Shard iterators are valid this long (server clock).
const ITERATOR_TTL_MS: i64 = 15 * 60 * 1000;
/// GetRecords returns at most this much data.
const MAX_READ_BYTES: usize = 1024 * 1024;
const META_STREAM_SEQ: &[u8] = b"stream-seq";

/// `StreamSpecification` of CreateTable / UpdateTable.
#[derive(Clone, Debug)]
pub struct StreamSpecification {
    pub enabled: bool,
    pub view_type: Option<String>,
}

/// Stream settings of the server.
#[derive(Clone, Debug)]
pub struct StreamConfig {
    /// Open shards of a new stream.
    pub shards: u32,
    /// Open shards are closed and replaced by a child this often (server clock); 0 disables rollover.
    pub rollover_ms: i64,
    /// Records older than this are trimmed.
    pub retention_ms: i64,
}

impl Default for StreamConfig {
    fn default() -> StreamConfig {
        StreamConfig {
            shards: 1,
            rollover_ms: 4 * 3600 * 1000,
            retention_ms: 24 * 3600 * 1000,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShardDef {
    /// Position of the shard within its stream; part of the record keys.
    pub index: u32,
    pub shard_id: String,
    pub parent: Option<String>,
    pub created_ms: i64,
    /// The partition-hash range (inclusive) whose records this shard receives while open.
    pub hash_lo: u32,
    pub hash_hi: u32,
    pub start_seq: u64,
    pub end_seq: Option<u64>,
    pub closed_ms: Option<i64>,
    /// Records below this counter have been trimmed.
    pub trimmed_before: u64,
}

impl ShardDef {
    pub fn is_open(&self) -> bool {
        self.end_seq.is_none()
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StreamDef {
    pub id: u64,
    pub account: String,
    pub region: String,
    pub table_name: String,
    pub table_id: u64,
    pub label: String,
    pub view_type: StreamViewType,
    pub key: KeySchema,
    pub created_ms: i64,
    pub disabled_ms: Option<i64>,
    pub shards: Vec<ShardDef>,
}

impl StreamDef {
    pub fn scope(&self) -> Scope {
        Scope::new(&self.account, &self.region)
    }

    pub fn arn(&self) -> String {
        self.scope().stream_arn(&self.table_name, &self.label)
    }

    pub fn enabled(&self) -> bool {
        self.disabled_ms.is_none()
    }

    pub fn shard(&self, shard_id: &str) -> Option<&ShardDef> {
        self.shards.iter().find(|s| s.shard_id == shard_id)
    }

    pub fn shard_by_index(&self, index: u32) -> Option<&ShardDef> {
        self.shards.iter().find(|s| s.index == index)
    }

    fn open_shard_for(&self, hash: u32) -> Option<&ShardDef> {
        self.shards
            .iter()
            .find(|s| s.is_open() && s.hash_lo <= hash && hash <= s.hash_hi)
    }

    fn next_index(&self) -> u32 {
        self.shards.iter().map(|s| s.index + 1).max().unwrap_or(0)
    }
}

/// INSERT, MODIFY or REMOVE.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventName {
    Insert,
    Modify,
    Remove,
}

impl EventName {
    pub fn as_str(self) -> &'static str {
        match self {
            EventName::Insert => "INSERT",
            EventName::Modify => "MODIFY",
            EventName::Remove => "REMOVE",
        }
    }
}

/// One stream record as read back.
#[derive(Clone, Debug, PartialEq)]
pub struct StreamRecord {
    pub seq: u64,
    pub event_id: String,
    pub event_name: EventName,
    pub created_ms: i64,
    pub keys: AttributeMap,
    pub new_image: Option<AttributeMap>,
    pub old_image: Option<AttributeMap>,
    pub size_bytes: u64,
    /// Deleted by TTL (a service delete).
    pub by_ttl: bool,
}

impl StreamRecord {
    pub fn sequence_number(&self) -> String {
        sequence_number(self.seq)
    }
}

/// The decimal text of a sequence counter.
pub fn sequence_number(seq: u64) -> String {
    (SEQUENCE_BASE + seq as u128).to_string()
}

/// Parses a sequence number back into the counter; `None` if it is not one of ours.
pub fn parse_sequence_number(text: &str) -> Option<u64> {
    if text.len() < 21 || text.len() > 40 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let value: u128 = text.parse().ok()?;
    u64::try_from(value.checked_sub(SEQUENCE_BASE)?).ok()
}

/// The engine's streams: definitions, the sequence counter and the durable watermark.
pub(crate) struct Streams {
    defs: RwLock<BTreeMap<u64, Arc<StreamDef>>>,
    next_seq: AtomicU64,
    durable: watch::Sender<u64>,
    /// Bumped whenever a stream's definition changes (shards opened or closed, stream disabled or removed).
    topology: watch::Sender<u64>,
    pub(crate) config: StreamConfig,
}

fn meta_stream_key(id: u64) -> Vec<u8> {
    let mut k = b"stream/".to_vec();
    k.extend_from_slice(&id.to_be_bytes());
    k
}

fn shard_prefix(stream_id: u64, shard: u32) -> Vec<u8> {
    let mut k = Vec::with_capacity(20);
    k.extend_from_slice(&stream_id.to_be_bytes());
    k.extend_from_slice(&shard.to_be_bytes());
    k
}

fn record_key(stream_id: u64, shard: u32, seq: u64) -> Vec<u8> {
    let mut k = shard_prefix(stream_id, shard);
    k.extend_from_slice(&seq.to_be_bytes());
    k
}

fn internal(e: impl std::fmt::Display) -> DynamoError {
    DynamoError::Internal(e.to_string())
}

impl Streams {
    /// Loads stream definitions and recovers the sequence counter from the log.
    pub(crate) fn load(backend: &dyn Backend, config: StreamConfig) -> Result<Streams, String> {
        let mut defs = BTreeMap::new();
        let mut max_seq = match backend
            .get(Space::Meta, META_STREAM_SEQ)
            .map_err(|e| e.to_string())?
        {
            Some(b) => u64::from_be_bytes(
                b.as_slice()
                    .try_into()
                    .map_err(|_| "bad stream-seq".to_string())?,
            ),
            None => 0,
        };
        for (_, value) in backend
            .range(
                Space::Meta,
                Bound::Included(b"stream/"),
                Bound::Excluded(b"stream0"),
                false,
                usize::MAX,
            )
            .map_err(|e| e.to_string())?
        {
            let def: StreamDef = serde_json::from_slice(&value).map_err(|e| e.to_string())?;
            for shard in &def.shards {
                max_seq = max_seq.max(shard.start_seq).max(shard.end_seq.unwrap_or(0));
                let prefix = shard_prefix(def.id, shard.index);
                let end = crate::layout::prefix_end(&prefix);
                let upper = end
                    .as_deref()
                    .map(Bound::Excluded)
                    .unwrap_or(Bound::Unbounded);
                if let Some((k, _)) = backend
                    .range(Space::Stream, Bound::Included(&prefix), upper, true, 1)
                    .map_err(|e| e.to_string())?
                    .into_iter()
                    .next()
                    && let Ok(seq) = <[u8; 8]>::try_from(&k[12..])
                {
                    max_seq = max_seq.max(u64::from_be_bytes(seq));
                }
            }
            defs.insert(def.id, Arc::new(def));
        }
        Ok(Streams {
            defs: RwLock::new(defs),
            next_seq: AtomicU64::new(max_seq + 1),
            durable: watch::channel(max_seq).0,
            topology: watch::channel(0).0,
            config,
        })
    }

    pub(crate) fn get(&self, id: u64) -> Option<Arc<StreamDef>> {
        self.defs.read().get(&id).cloned()
    }

    fn all(&self) -> Vec<Arc<StreamDef>> {
        self.defs.read().values().cloned().collect()
    }

    /// Allocates the next sequence counter (inside a writer job only).
    fn allocate(&self) -> u64 {
        self.next_seq.fetch_add(1, Ordering::SeqCst)
    }

    pub(crate) fn durable_seq(&self) -> u64 {
        *self.durable.borrow()
    }

    fn mark_durable(&self, seq: u64) {
        self.durable.send_if_modified(|current| {
            if seq > *current {
                *current = seq;
                true
            } else {
                false
            }
        });
    }

    /// Stages a definition change and installs it (inside a writer job only).
    fn save(
        self: &Arc<Self>,
        ctx: &mut WriteCtx,
        def: StreamDef,
    ) -> Result<Arc<StreamDef>, DynamoError> {
        let json = serde_json::to_vec(&def).map_err(internal)?;
        ctx.stage(Mutation::Put(Space::Meta, meta_stream_key(def.id), json));
        // Allocations made for shard boundaries must survive a restart even if no record follows.
        let next = self.next_seq.load(Ordering::SeqCst);
        ctx.stage(Mutation::Put(
            Space::Meta,
            META_STREAM_SEQ.to_vec(),
            next.to_be_bytes().to_vec(),
        ));
        let def = Arc::new(def);
        self.topology.send_modify(|generation| *generation += 1);
        self.defs.write().insert(def.id, def.clone());
        Ok(def)
    }

    fn remove(&self, ctx: &mut WriteCtx, id: u64) {
        ctx.stage(Mutation::Delete(Space::Meta, meta_stream_key(id)));
        self.defs.write().remove(&id);
        self.topology.send_modify(|generation| *generation += 1);
    }

    fn new_shard(
        &self,
        stream_id: u64,
        index: u32,
        parent: Option<String>,
        now: i64,
        lo: u32,
        hi: u32,
    ) -> ShardDef {
        let start = self.allocate();
        // 8 hex digits unique to (stream, shard).
        let mix = (stream_id.wrapping_mul(0x9E37_79B9_7F4A_7C15)
            ^ (index as u64).wrapping_mul(0xC2B2_AE3D_27D4_EB4F))
        .rotate_left(29)
        .wrapping_mul(0x1656_67B1_9E37_79F9);
        ShardDef {
            index,
            shard_id: format!("shardId-{:020}-{:08x}", now.max(0), (mix >> 32) as u32),
            parent,
            created_ms: now,
            hash_lo: lo,
            hash_hi: hi,
            start_seq: start,
            end_seq: None,
            closed_ms: None,
            trimmed_before: start,
        }
    }
}

/// Splits the inclusive range `lo..=hi` into `n` contiguous parts.
fn split_range(lo: u32, hi: u32, n: u32) -> Vec<(u32, u32)> {
    let n = n.max(1) as u64;
    let (lo64, span) = (lo as u64, hi as u64 - lo as u64 + 1);
    let n = n.min(span);
    (0..n)
        .map(|i| {
            let a = lo64 + span * i / n;
            let b = lo64 + span * (i + 1) / n - 1;
            (a as u32, b as u32)
        })
        .collect()
}

fn view_type_of(spec: &StreamSpecification) -> Option<StreamViewType> {
    spec.view_type.as_deref().and_then(StreamViewType::parse)
}

/// CreateTable's checks of a stream specification.
pub(crate) fn check_create_spec(spec: &StreamSpecification) -> Result<(), DynamoError> {
    if spec.enabled && spec.view_type.is_none() {
        return Err(DynamoError::validation(
            "One or more parameter values were invalid: Table is being created with a stream enabled, UpdateViewType is required",
        ));
    }
    if !spec.enabled && spec.view_type.is_some() {
        return Err(DynamoError::validation(
            "One or more parameter values were invalid: Table is being created with a stream disabled, UpdateViewType should not be specified",
        ));
    }
    Ok(())
}

/// Creates a new stream for `def` and points the table at it (inside a writer job).
pub(crate) fn enable(
    store: &Store,
    ctx: &mut WriteCtx,
    def: &mut TableDef,
    spec: &StreamSpecification,
) -> Result<(), DynamoError> {
    let view_type = view_type_of(spec).ok_or_else(|| {
        DynamoError::validation("One or more parameter values were invalid: If stream is being enabled then UpdateViewType is required")
    })?;
    let streams = &store.inner.streams;
    let now = store.inner.clock.now_ms();
    // Labels are unique per table name: step past the label of an earlier stream created in the same ms.
    let mut created = now;
    let taken = |label: &str| {
        streams.all().iter().any(|s| {
            s.table_name == def.name
                && s.account == def.account
                && s.region == def.region
                && s.label == label
        })
    };
    while taken(&stream_label(created)) {
        created += 1;
    }
    let id = store.inner.allocate_id(ctx);
    let count = streams.config.shards.max(1);
    let shards = split_range(0, u32::MAX, count)
        .into_iter()
        .enumerate()
        .map(|(i, (lo, hi))| streams.new_shard(id, i as u32, None, now, lo, hi))
        .collect();
    let stream = StreamDef {
        id,
        account: def.account.clone(),
        region: def.region.clone(),
        table_name: def.name.clone(),
        table_id: def.id,
        label: stream_label(created),
        view_type,
        key: def.key.clone(),
        created_ms: created,
        disabled_ms: None,
        shards,
    };
    def.stream = Some(TableStream {
        stream_id: id,
        label: stream.label.clone(),
        view_type,
        enabled: true,
    });
    streams.save(ctx, stream)?;
    Ok(())
}

/// Closes every open shard of a stream and marks it disabled (inside a writer job).
fn disable(store: &Store, ctx: &mut WriteCtx, stream_id: u64) -> Result<(), DynamoError> {
    let streams = &store.inner.streams;
    let Some(current) = streams.get(stream_id) else {
        return Ok(());
    };
    if !current.enabled() {
        return Ok(());
    }
    let now = store.inner.clock.now_ms();
    let mut def = (*current).clone();
    for shard in def.shards.iter_mut().filter(|s| s.is_open()) {
        shard.end_seq = Some(streams.allocate());
        shard.closed_ms = Some(now);
    }
    def.disabled_ms = Some(now);
    streams.save(ctx, def)?;
    Ok(())
}

/// UpdateTable's stream changes (inside a writer job).
pub(crate) fn update(
    store: &Store,
    ctx: &mut WriteCtx,
    def: &mut TableDef,
    spec: &StreamSpecification,
) -> Result<(), DynamoError> {
    let enabled_now = def.active_stream().is_some();
    if spec.enabled {
        if spec.view_type.is_none() {
            return Err(DynamoError::validation(
                "One or more parameter values were invalid: If stream is being enabled then UpdateViewType is required",
            ));
        }
        if enabled_now {
            return Err(DynamoError::validation(format!(
                "Table already has an enabled stream: TableName: {}",
                def.name
            )));
        }
        return enable(store, ctx, def, spec);
    }
    if spec.view_type.is_some() {
        return Err(DynamoError::validation(
            "One or more parameter values were invalid: If stream is being disabled, then UpdateViewType must not be specified",
        ));
    }
    let Some(stream) = def.stream.as_mut().filter(|s| s.enabled) else {
        return Err(DynamoError::validation(format!(
            "Table has no stream to disable: TableName: {}",
            def.name
        )));
    };
    stream.enabled = false;
    let id = stream.stream_id;
    disable(store, ctx, id)
}

/// DeleteTable: the table's stream is disabled but stays readable until its records expire.
pub(crate) fn on_table_deleted(
    store: &Store,
    ctx: &mut WriteCtx,
    def: &TableDef,
) -> Result<(), DynamoError> {
    match def.active_stream() {
        Some(stream) => disable(store, ctx, stream.stream_id),
        None => Ok(()),
    }
}

// -----------------------------------------------------------------------------------------------------------
// Capture

fn event_id(stream_id: u64, seq: u64) -> String {
    let mix = |mut x: u64| {
        x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        x ^ (x >> 31)
    };
    format!(
        "{:016x}{:016x}",
        mix(seq ^ 0x5EED),
        mix(seq.wrapping_add(stream_id.rotate_left(32)) ^ 0xE0DD)
    )
}

fn encode_record(r: &StreamRecord) -> Vec<u8> {
    let mut out = Vec::with_capacity(128);
    out.push(1); // format version
    out.push(match r.event_name {
        EventName::Insert => 0,
        EventName::Modify => 1,
        EventName::Remove => 2,
    });
    out.push(
        u8::from(r.by_ttl)
            | (u8::from(r.new_image.is_some()) << 1)
            | (u8::from(r.old_image.is_some()) << 2),
    );
    out.extend_from_slice(&r.created_ms.to_be_bytes());
    out.extend_from_slice(&r.size_bytes.to_be_bytes());
    let id = u128::from_str_radix(&r.event_id, 16).unwrap_or(0);
    out.extend_from_slice(&id.to_be_bytes());
    for item in std::iter::once(Some(&r.keys))
        .chain([r.new_image.as_ref(), r.old_image.as_ref()])
        .flatten()
    {
        let bytes = encode_item(item);
        out.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
        out.extend_from_slice(&bytes);
    }
    out
}

fn decode_record(seq: u64, bytes: &[u8]) -> Result<StreamRecord, DynamoError> {
    let corrupt = || DynamoError::Internal("corrupt stream record".into());
    if bytes.len() < 35 || bytes[0] != 1 {
        return Err(corrupt());
    }
    let event_name = match bytes[1] {
        0 => EventName::Insert,
        1 => EventName::Modify,
        _ => EventName::Remove,
    };
    let flags = bytes[2];
    let created_ms = i64::from_be_bytes(bytes[3..11].try_into().map_err(|_| corrupt())?);
    let size_bytes = u64::from_be_bytes(bytes[11..19].try_into().map_err(|_| corrupt())?);
    let id = u128::from_be_bytes(bytes[19..35].try_into().map_err(|_| corrupt())?);
    let mut pos = 35;
    let mut next_item = || -> Result<AttributeMap, DynamoError> {
        let len = u32::from_be_bytes(
            bytes
                .get(pos..pos + 4)
                .ok_or_else(corrupt)?
                .try_into()
                .map_err(|_| corrupt())?,
        ) as usize;
        let item = decode_item(bytes.get(pos + 4..pos + 4 + len).ok_or_else(corrupt)?)
            .map_err(|_| corrupt())?;
        pos += 4 + len;
        Ok(item)
    };
    let keys = next_item()?;
    let new_image = if flags & 2 != 0 {
        Some(next_item()?)
    } else {
        None
    };
    let old_image = if flags & 4 != 0 {
        Some(next_item()?)
    } else {
        None
    };
    Ok(StreamRecord {
        seq,
        event_id: format!("{id:032x}"),
        event_name,
        created_ms,
        keys,
        new_image,
        old_image,
        size_bytes,
        by_ttl: flags & 1 != 0,
    })
}

/// Stages the stream record of an item change, if the table's stream is enabled (inside a writer job).
pub(crate) fn capture(
    store: &Store,
    ctx: &mut WriteCtx,
    table: &Table,
    old: Option<&AttributeMap>,
    new: Option<&AttributeMap>,
    origin: Origin,
) {
    let Some(active) = table.def.active_stream() else {
        return;
    };
    let streams = &store.inner.streams;
    let Some(stream) = streams.get(active.stream_id) else {
        return;
    };
    let Some(item) = new.or(old) else { return };
    let keys = table.def.key.extract_key(item);
    let mut pk = Vec::with_capacity(32);
    if let Some(v) = keys.get(&table.def.key.hash.name) {
        encode_key_value(v, &mut pk);
    }
    let Some(shard) = stream.open_shard_for(partition_hash(&pk)) else {
        return;
    };
    let event_name = match (old, new) {
        (None, Some(_)) => EventName::Insert,
        (Some(_), Some(_)) => EventName::Modify,
        _ => EventName::Remove,
    };
    let (with_new, with_old) = match stream.view_type {
        StreamViewType::KeysOnly => (false, false),
        StreamViewType::NewImage => (true, false),
        StreamViewType::OldImage => (false, true),
        StreamViewType::NewAndOldImages => (true, true),
    };
    let new_image = if with_new { new.cloned() } else { None };
    let old_image = if with_old { old.cloned() } else { None };
    let size = item_size(&keys)
        + new_image.as_ref().map(item_size).unwrap_or(0)
        + old_image.as_ref().map(item_size).unwrap_or(0);
    let seq = streams.allocate();
    let record = StreamRecord {
        seq,
        event_id: event_id(stream.id, seq),
        event_name,
        created_ms: store.inner.clock.now_ms(),
        keys,
        new_image,
        old_image,
        size_bytes: size.max(1) as u64,
        by_ttl: origin == Origin::TimeToLive,
    };
    ctx.stage(Mutation::Put(
        Space::Stream,
        record_key(stream.id, shard.index, seq),
        encode_record(&record),
    ));
    let streams = store.inner.streams.clone();
    ctx.after_durable(move || streams.mark_durable(seq));
}

// -----------------------------------------------------------------------------------------------------------
// Shard lifecycle: rollover and trimming

/// Closes every open shard of a stream and opens `children` children for each (inside a writer job).
/// Returns (closed, opened) shard ids.
fn rollover(
    store: &Store,
    ctx: &mut WriteCtx,
    stream_id: u64,
    children: u32,
) -> Result<(Vec<String>, Vec<String>), DynamoError> {
    let streams = &store.inner.streams;
    let Some(current) = streams.get(stream_id) else {
        return Ok((Vec::new(), Vec::new()));
    };
    if !current.enabled() {
        return Ok((Vec::new(), Vec::new()));
    }
    let now = store.inner.clock.now_ms();
    let mut def = (*current).clone();
    let mut next = def.next_index();
    let (mut closed, mut opened, mut new_shards) = (Vec::new(), Vec::new(), Vec::new());
    for shard in def.shards.iter_mut().filter(|s| s.is_open()) {
        shard.end_seq = Some(streams.allocate());
        shard.closed_ms = Some(now);
        closed.push(shard.shard_id.clone());
        for (lo, hi) in split_range(shard.hash_lo, shard.hash_hi, children) {
            let child = streams.new_shard(def.id, next, Some(shard.shard_id.clone()), now, lo, hi);
            next += 1;
            opened.push(child.shard_id.clone());
            new_shards.push(child);
        }
    }
    def.shards.extend(new_shards);
    streams.save(ctx, def)?;
    Ok((closed, opened))
}

impl Store {
    /// Rolls the open shards of the stream named by `arn` over to `children` children each.
    pub async fn rollover_stream(
        &self,
        arn: &str,
        children: u32,
    ) -> Result<(Vec<String>, Vec<String>), DynamoError> {
        let stream = self.stream_by_arn(arn)?;
        if !stream.enabled() {
            return Err(DynamoError::validation(format!(
                "Stream {arn} is disabled; its shards are already closed"
            )));
        }
        let store = self.clone();
        self.inner
            .writer
            .run(move |ctx| rollover(&store, ctx, stream.id, children.clamp(1, 16)))
            .await
    }

    /// Rolls over every enabled stream whose open shards are older than the rollover interval.
    async fn rollover_due(&self) -> Result<(), DynamoError> {
        let interval = self.inner.streams.config.rollover_ms;
        if interval <= 0 {
            return Ok(());
        }
        let now = self.inner.clock.now_ms();
        for stream in self.inner.streams.all() {
            let due = stream.enabled()
                && stream
                    .shards
                    .iter()
                    .any(|s| s.is_open() && s.created_ms + interval <= now);
            if due {
                let store = self.clone();
                self.inner
                    .writer
                    .run(move |ctx| rollover(&store, ctx, stream.id, 1))
                    .await?;
            }
        }
        Ok(())
    }

    /// The next server-clock time a rollover is due, if any.
    fn next_rollover_ms(&self) -> Option<i64> {
        let interval = self.inner.streams.config.rollover_ms;
        if interval <= 0 {
            return None;
        }
        self.inner
            .streams
            .all()
            .iter()
            .filter(|s| s.enabled())
            .flat_map(|s| {
                s.shards
                    .iter()
                    .filter(|sh| sh.is_open())
                    .map(|sh| sh.created_ms + interval)
            })
            .min()
    }

    /// Deletes expired records (a page per shard per call), drops fully expired closed shards and streams
    /// disabled longer than the retention period. Returns how many records were deleted.
    pub async fn trim_streams(&self) -> Result<usize, DynamoError> {
        let mut total = 0;
        loop {
            let store = self.clone();
            let deleted = self
                .inner
                .writer
                .run(move |ctx| trim_step(&store, ctx))
                .await?;
            total += deleted;
            if deleted == 0 {
                return Ok(total);
            }
        }
    }
}

/// One trimming pass over every stream (inside a writer job).
fn trim_step(store: &Store, ctx: &mut WriteCtx) -> Result<usize, DynamoError> {
    let streams = store.inner.streams.clone();
    let horizon = store.inner.clock.now_ms() - streams.config.retention_ms;
    let mut deleted = 0;
    for stream in streams.all() {
        let mut def = (*stream).clone();
        let mut changed = false;
        for shard in def.shards.iter_mut() {
            let (n, first_kept) = trim_shard(ctx, def.id, shard, horizon)?;
            deleted += n;
            if first_kept != shard.trimmed_before {
                shard.trimmed_before = first_kept;
                changed = true;
            }
        }
        // A closed shard with nothing left and closed before the horizon disappears.
        let before = def.shards.len();
        def.shards.retain(|s| {
            let empty = s.end_seq.is_some_and(|end| s.trimmed_before > end);
            !(empty && s.closed_ms.is_some_and(|c| c < horizon))
        });
        changed |= def.shards.len() != before;
        if def.disabled_ms.is_some_and(|d| d < horizon) && def.shards.is_empty() {
            streams.remove(ctx, def.id);
        } else if changed {
            streams.save(ctx, def)?;
        }
    }
    Ok(deleted)
}

/// Deletes up to a page of a shard's expired records; returns (deleted, first counter still kept).
fn trim_shard(
    ctx: &mut WriteCtx,
    stream_id: u64,
    shard: &ShardDef,
    horizon: i64,
) -> Result<(usize, u64), DynamoError> {
    const PAGE: usize = 1000;
    let prefix = shard_prefix(stream_id, shard.index);
    let lower = record_key(stream_id, shard.index, shard.trimmed_before);
    let end = crate::layout::prefix_end(&prefix);
    let upper = end
        .as_deref()
        .map(Bound::Excluded)
        .unwrap_or(Bound::Unbounded);
    let page = ctx
        .range(Space::Stream, Bound::Included(&lower), upper, false, PAGE)
        .map_err(internal)?;
    let full_page = page.len() == PAGE;
    let mut deleted = 0;
    let mut next = shard.trimmed_before;
    for (key, value) in page {
        let seq = u64::from_be_bytes(key[12..20].try_into().map_err(internal)?);
        let created = i64::from_be_bytes(
            value
                .get(3..11)
                .ok_or_else(|| internal("short record"))?
                .try_into()
                .map_err(internal)?,
        );
        if created >= horizon {
            return Ok((deleted, seq));
        }
        ctx.stage(Mutation::Delete(Space::Stream, key));
        deleted += 1;
        next = seq + 1;
    }
    if full_page {
        return Ok((deleted, next));
    }
    // Every record the shard holds has expired. A closed shard is then empty for good.
    Ok((deleted, shard.end_seq.map(|e| e + 1).unwrap_or(next)))
}

/// Background work: shard rollover on schedule and trimming, both on the server clock.
pub(crate) fn spawn_maintenance(store: Store) {
    let rollover_store = store.clone();
    tokio::spawn(async move {
        loop {
            let clock = rollover_store.inner.clock.clone();
            let wait = async {
                match rollover_store.next_rollover_ms() {
                    Some(due) => clock.sleep_until(due).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = wait => {}
                _ = tokio::time::sleep(std::time::Duration::from_secs(1)) => continue,
            }
            if let Err(e) = rollover_store.rollover_due().await {
                tracing::warn!("shard rollover failed: {e}");
            }
        }
    });
    tokio::spawn(async move {
        let mut changes = store.inner.clock.subscribe();
        loop {
            if let Err(e) = store.trim_streams().await {
                tracing::warn!("stream trimming failed: {e}");
            }
            tokio::select! {
                _ = tokio::time::sleep(std::time::Duration::from_secs(30)) => {}
                _ = changes.changed() => {}
            }
        }
    });
}

// -----------------------------------------------------------------------------------------------------------
// Reading

/// Where a shard iterator points.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IteratorType {
    TrimHorizon,
    Latest,
    AtSequenceNumber(u64),
    AfterSequenceNumber(u64),
}

/// A decoded shard iterator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShardPosition {
    pub stream_id: u64,
    pub shard_index: u32,
    /// The next record to read has a counter ≥ this.
    pub position: u64,
    pub issued_ms: i64,
}

fn checksum(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811C_9DC5u32, |h, &b| {
        (h ^ b as u32).wrapping_mul(0x0100_0193)
    }) ^ 0x5EED_5EED
}

fn encode_iterator(arn: &str, p: &ShardPosition) -> String {
    let mut payload = Vec::with_capacity(32);
    payload.extend_from_slice(&p.stream_id.to_be_bytes());
    payload.extend_from_slice(&p.shard_index.to_be_bytes());
    payload.extend_from_slice(&p.position.to_be_bytes());
    payload.extend_from_slice(&p.issued_ms.to_be_bytes());
    let sum = checksum(&payload);
    payload.extend_from_slice(&sum.to_be_bytes());
    format!(
        "{arn}|1|{}",
        base64::engine::general_purpose::STANDARD.encode(payload)
    )
}

fn invalid_iterator() -> DynamoError {
    DynamoError::validation("Invalid ShardIterator")
}

fn decode_iterator(text: &str) -> Result<ShardPosition, DynamoError> {
    let mut parts = text.rsplitn(3, '|');
    let blob = parts.next().ok_or_else(invalid_iterator)?;
    if parts.next() != Some("1") || parts.next().is_none() {
        return Err(invalid_iterator());
    }
    let payload = base64::engine::general_purpose::STANDARD
        .decode(blob)
        .map_err(|_| invalid_iterator())?;
    if payload.len() != 32 || checksum(&payload[..28]).to_be_bytes() != payload[28..32] {
        return Err(invalid_iterator());
    }
    let num = |r: std::ops::Range<usize>| payload[r].iter().fold(0u64, |a, &b| (a << 8) | b as u64);
    Ok(ShardPosition {
        stream_id: num(0..8),
        shard_index: num(8..12) as u32,
        position: num(12..20),
        issued_ms: num(20..28) as i64,
    })
}

/// One page of a shard.
#[derive(Debug, Default)]
pub struct ShardRead {
    pub records: Vec<StreamRecord>,
    /// Where the next read starts.
    pub next_position: u64,
    /// The shard is closed and everything in it has been read.
    pub end_of_shard: bool,
}

/// What GetRecords returns: records, the stream they belong to, and the next iterator.
#[derive(Debug)]
pub struct RecordsPage {
    pub records: Vec<StreamRecord>,
    pub stream: Arc<StreamDef>,
    /// Absent once a closed shard has been read to its end.
    pub next_iterator: Option<String>,
}

/// A stream as ListStreams shows it.
#[derive(Debug, Clone)]
pub struct StreamSummary {
    pub arn: String,
    pub table_name: String,
    pub label: String,
}

fn stream_not_found(arn: &str) -> DynamoError {
    DynamoError::ResourceNotFound(format!(
        "Requested resource not found: Stream: {arn} not found"
    ))
}

/// AWS's text, as quoted from a production log in a public issue thread (DynamoDB Local words it otherwise).
fn trimmed() -> DynamoError {
    DynamoError::TrimmedDataAccess("The data you are trying to access has been trimmed".into())
}

impl Store {
    /// Receiver woken whenever newly durable stream records are visible; the value is the durable watermark.
    pub fn subscribe_stream_commits(&self) -> watch::Receiver<u64> {
        self.inner.streams.durable.subscribe()
    }

    /// How long stream records are kept (`--stream-retention`).
    pub fn stream_retention_ms(&self) -> i64 {
        self.inner.streams.config.retention_ms
    }

    /// Receiver woken whenever a stream's shards or status change (rollover, disable, removal).
    pub fn subscribe_stream_changes(&self) -> watch::Receiver<u64> {
        self.inner.streams.topology.subscribe()
    }

    pub fn stream(&self, id: u64) -> Option<Arc<StreamDef>> {
        self.inner.streams.get(id)
    }

    /// Finds a stream by its ARN (`…:table/<name>/stream/<label>`).
    pub fn stream_by_arn(&self, arn: &str) -> Result<Arc<StreamDef>, DynamoError> {
        self.inner
            .streams
            .all()
            .into_iter()
            .find(|s| s.arn() == arn)
            .ok_or_else(|| stream_not_found(arn))
    }

    /// ListStreams: the scope's streams (optionally of one table name), oldest first, paged by ARN.
    pub fn list_streams(
        &self,
        scope: &Scope,
        table: Option<&str>,
        exclusive_start: Option<&str>,
        limit: usize,
    ) -> (Vec<StreamSummary>, Option<String>) {
        let mut all: Vec<Arc<StreamDef>> = self
            .inner
            .streams
            .all()
            .into_iter()
            .filter(|s| s.account == *scope.account && s.region == *scope.region)
            .filter(|s| table.is_none_or(|t| s.table_name == t))
            .collect();
        all.sort_by_key(|a| (a.created_ms, a.id));
        let start = match exclusive_start {
            Some(arn) => all
                .iter()
                .position(|s| s.arn() == arn)
                .map(|p| p + 1)
                .unwrap_or(0),
            None => 0,
        };
        let page: Vec<StreamSummary> = all[start.min(all.len())..]
            .iter()
            .take(limit)
            .map(|s| StreamSummary {
                arn: s.arn(),
                table_name: s.table_name.clone(),
                label: s.label.clone(),
            })
            .collect();
        let more = start + page.len() < all.len();
        let last = if more {
            page.last().map(|s| s.arn.clone())
        } else {
            None
        };
        (page, last)
    }

    /// The shards of a stream as DescribeStream shows them (creation order), with the effective trim point.
    pub fn stream_shards(&self, stream: &StreamDef) -> Vec<ShardDef> {
        let mut shards = stream.shards.clone();
        shards.sort_by(|a, b| a.shard_id.cmp(&b.shard_id));
        shards
    }

    /// The first counter of a shard still readable now (records before it are trimmed or expired).
    fn trim_horizon(&self, stream: &StreamDef, shard: &ShardDef) -> Result<u64, DynamoError> {
        let horizon_ms = self.inner.clock.now_ms() - self.inner.streams.config.retention_ms;
        let mut position = shard.trimmed_before;
        loop {
            let page = self.read_raw(stream.id, shard.index, position, 256)?;
            let exhausted = page.len() < 256;
            for (seq, value) in page {
                let created = i64::from_be_bytes(
                    value
                        .get(3..11)
                        .ok_or_else(|| internal("short record"))?
                        .try_into()
                        .map_err(internal)?,
                );
                if created >= horizon_ms {
                    return Ok(seq);
                }
                position = seq + 1;
            }
            if exhausted {
                return Ok(position);
            }
        }
    }

    /// The first position at or after `position` that is still readable: `position` itself unless the
    /// records there were trimmed or have expired (then the trim horizon). Cheap in the common case.
    pub fn first_readable(
        &self,
        stream: &StreamDef,
        shard: &ShardDef,
        position: u64,
    ) -> Result<u64, DynamoError> {
        if position >= shard.trimmed_before {
            let horizon_ms = self.inner.clock.now_ms() - self.inner.streams.config.retention_ms;
            let first = self.read_raw(stream.id, shard.index, position, 1)?;
            let expired = match first.first() {
                Some((_, value)) => {
                    let created = value
                        .get(3..11)
                        .and_then(|b| <[u8; 8]>::try_from(b).ok())
                        .map(i64::from_be_bytes);
                    created.is_some_and(|c| c < horizon_ms)
                }
                None => false,
            };
            if !expired {
                return Ok(position);
            }
        }
        Ok(self.trim_horizon(stream, shard)?.max(position))
    }

    fn read_raw(
        &self,
        stream_id: u64,
        shard: u32,
        from: u64,
        limit: usize,
    ) -> Result<Vec<(u64, Vec<u8>)>, DynamoError> {
        let lower = record_key(stream_id, shard, from);
        let upper = crate::layout::prefix_end(&shard_prefix(stream_id, shard));
        let upper = upper
            .as_deref()
            .map(Bound::Excluded)
            .unwrap_or(Bound::Unbounded);
        let page = self
            .inner
            .backend
            .range(Space::Stream, Bound::Included(&lower), upper, false, limit)
            .map_err(internal)?;
        page.into_iter()
            .map(|(k, v)| {
                Ok((
                    u64::from_be_bytes(k[12..20].try_into().map_err(internal)?),
                    v,
                ))
            })
            .collect()
    }

    /// Resolves an iterator type to a position in a shard.
    pub fn shard_position(
        &self,
        stream: &StreamDef,
        shard: &ShardDef,
        kind: IteratorType,
    ) -> Result<u64, DynamoError> {
        let horizon = self.trim_horizon(stream, shard)?;
        Ok(match kind {
            IteratorType::TrimHorizon => horizon,
            IteratorType::Latest => match shard.end_seq {
                Some(end) => end + 1,
                None => (self.inner.streams.durable_seq() + 1).max(shard.start_seq),
            },
            IteratorType::AtSequenceNumber(seq) | IteratorType::AfterSequenceNumber(seq) => {
                if seq < horizon && self.position_trimmed(stream, shard, seq, horizon)? {
                    return Err(trimmed());
                }
                if matches!(kind, IteratorType::AtSequenceNumber(_)) {
                    seq
                } else {
                    seq + 1
                }
            }
        })
    }

    /// Whether reading from `position` would touch trimmed data.
    fn position_trimmed(
        &self,
        stream: &StreamDef,
        shard: &ShardDef,
        position: u64,
        horizon: u64,
    ) -> Result<bool, DynamoError> {
        if position >= horizon {
            return Ok(false);
        }
        // Nothing was ever trimmed between position and the horizon if the shard simply has no records there.
        let first = self.read_raw(stream.id, shard.index, position, 1)?;
        let had_records_before_horizon =
            position < shard.trimmed_before || first.first().is_some_and(|(s, _)| *s < horizon);
        Ok(had_records_before_horizon)
    }

    /// GetShardIterator.
    pub fn get_shard_iterator(
        &self,
        arn: &str,
        shard_id: &str,
        kind: IteratorType,
    ) -> Result<String, DynamoError> {
        let stream = self.stream_by_arn(arn)?;
        // AWS's text for a shard that aged out, quoted from production logs in public issue threads.
        let shard = stream.shard(shard_id).ok_or_else(|| {
            DynamoError::ResourceNotFound(
                "Requested resource not found: Shard does not exist".into(),
            )
        })?;
        let position = self.shard_position(&stream, shard, kind)?;
        let p = ShardPosition {
            stream_id: stream.id,
            shard_index: shard.index,
            position,
            issued_ms: self.inner.clock.now_ms(),
        };
        Ok(encode_iterator(&stream.arn(), &p))
    }

    /// Reads durable records of a shard from `position`: at most `limit` records and about `max_bytes`.
    pub fn read_shard(
        &self,
        stream: &StreamDef,
        shard: &ShardDef,
        position: u64,
        limit: usize,
        max_bytes: usize,
    ) -> Result<ShardRead, DynamoError> {
        let durable = self.inner.streams.durable_seq();
        let raw = self.read_raw(stream.id, shard.index, position, limit)?;
        let mut read = ShardRead {
            records: Vec::new(),
            next_position: position,
            end_of_shard: false,
        };
        let mut bytes = 0usize;
        let mut cut = false;
        for (seq, value) in raw.iter() {
            if *seq > durable {
                cut = true;
                break;
            }
            let record = decode_record(*seq, value)?;
            bytes += record.size_bytes as usize;
            read.next_position = seq + 1;
            read.records.push(record);
            if bytes >= max_bytes {
                cut = true;
                break;
            }
        }
        // A closed shard receives nothing more: reading everything it holds reaches its end.
        read.end_of_shard = shard.end_seq.is_some() && !cut && raw.len() < limit;
        Ok(read)
    }

    /// GetRecords: records after the iterator and the next iterator (absent at the end of a closed shard).
    pub fn get_records(&self, iterator: &str, limit: usize) -> Result<RecordsPage, DynamoError> {
        let p = decode_iterator(iterator)?;
        let now = self.inner.clock.now_ms();
        let stream = self.inner.streams.get(p.stream_id).ok_or_else(|| {
            let arn = iterator.rsplitn(3, '|').nth(2).unwrap_or("");
            stream_not_found(arn)
        })?;
        if now - p.issued_ms > ITERATOR_TTL_MS {
            return Err(DynamoError::ExpiredIterator(
                "Shard iterator has expired".into(),
            ));
        }
        let Some(shard) = stream.shard_by_index(p.shard_index) else {
            return Err(trimmed());
        };
        let horizon = self.trim_horizon(&stream, shard)?;
        if self.position_trimmed(&stream, shard, p.position, horizon)? {
            return Err(trimmed());
        }
        let read = self.read_shard(&stream, shard, p.position, limit, MAX_READ_BYTES)?;
        let next = (!read.end_of_shard).then(|| {
            encode_iterator(
                &stream.arn(),
                &ShardPosition {
                    stream_id: stream.id,
                    shard_index: shard.index,
                    position: read.next_position,
                    issued_ms: now,
                },
            )
        });
        Ok(RecordsPage {
            records: read.records,
            stream,
            next_iterator: next,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequence_numbers_round_trip_and_sort() {
        let a = sequence_number(1);
        let b = sequence_number(10);
        assert_eq!(a.len(), 21);
        assert!(a < b);
        assert_eq!(parse_sequence_number(&b), Some(10));
        assert_eq!(parse_sequence_number("12"), None);
        assert_eq!(parse_sequence_number("abc"), None);
    }

    #[test]
    fn ranges_split_evenly_and_cover_everything() {
        let parts = split_range(0, u32::MAX, 3);
        assert_eq!(parts.first().unwrap().0, 0);
        assert_eq!(parts.last().unwrap().1, u32::MAX);
        for w in parts.windows(2) {
            assert_eq!(w[0].1 + 1, w[1].0);
        }
    }

    #[test]
    fn iterators_round_trip_and_reject_tampering() {
        let p = ShardPosition {
            stream_id: 7,
            shard_index: 2,
            position: 99,
            issued_ms: 1234,
        };
        let text = encode_iterator(
            "arn:aws:dynamodb:us-east-1:000000000000:table/t/stream/x",
            &p,
        );
        assert_eq!(decode_iterator(&text).unwrap(), p);
        let mut bad = text.clone();
        bad.pop();
        bad.push('A');
        assert!(decode_iterator(&bad).is_err() || decode_iterator(&bad).unwrap() != p);
        assert!(decode_iterator("garbage").is_err());
    }

    #[test]
    fn records_round_trip() {
        let keys: AttributeMap = serde_json::from_str(r#"{"pk":{"S":"a"}}"#).unwrap();
        let r = StreamRecord {
            seq: 5,
            event_id: event_id(1, 5),
            event_name: EventName::Modify,
            created_ms: 1_700_000_000_123,
            keys: keys.clone(),
            new_image: Some(keys.clone()),
            old_image: None,
            size_bytes: 10,
            by_ttl: true,
        };
        assert_eq!(decode_record(5, &encode_record(&r)).unwrap(), r);
        assert_eq!(r.event_id.len(), 32);
    }
}

#[cfg(test)]
mod store_tests {
    use std::time::Duration;

    use eddy_model::{AttributeValue, Clock, ScalarType, Scope};

    use crate::{CreateTable, PutItem, Store, StoreConfig, StreamSpecification};

    fn key_item(pk: &str) -> eddy_model::AttributeMap {
        [("pk".to_string(), AttributeValue::S(pk.to_string()))]
            .into_iter()
            .collect()
    }

    async fn table_with_stream(store: &Store, scope: &Scope) -> u64 {
        let table = store
            .create_table(
                scope,
                CreateTable {
                    name: "events".into(),
                    attribute_definitions: vec![("pk".into(), ScalarType::S)],
                    key_schema: vec![("pk".into(), "HASH".into())],
                    billing_mode: Some(crate::BillingMode::PayPerRequest),
                    stream: Some(StreamSpecification {
                        enabled: true,
                        view_type: Some("NEW_IMAGE".into()),
                    }),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        table.def.stream.as_ref().unwrap().stream_id
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn subscribers_are_woken_by_the_commit_of_a_record() {
        let store = Store::in_memory(std::sync::Arc::new(Clock::new()), StoreConfig::default());
        let scope = Scope::default();
        let stream_id = table_with_stream(&store, &scope).await;
        let mut commits = store.subscribe_stream_commits();
        commits.borrow_and_update();
        let writer = {
            let (store, scope) = (store.clone(), scope.clone());
            tokio::spawn(async move {
                store
                    .put_item(
                        &scope,
                        PutItem {
                            table: "events".into(),
                            item: key_item("a"),
                            condition: None,
                            return_values: Default::default(),
                            return_old_on_condition_failure: false,
                            capacity: Default::default(),
                        },
                    )
                    .await
                    .unwrap()
            })
        };
        tokio::time::timeout(Duration::from_secs(5), commits.changed())
            .await
            .expect("woken")
            .unwrap();
        writer.await.unwrap();
        let stream = store.stream(stream_id).unwrap();
        let shard = &stream.shards[0];
        let read = store
            .read_shard(&stream, shard, shard.start_seq, 100, usize::MAX)
            .unwrap();
        assert_eq!(read.records.len(), 1);
        assert_eq!(read.records[0].keys, key_item("a"));
        assert_eq!(
            *commits.borrow(),
            read.records[0].seq,
            "the watermark names the durable record"
        );
    }
}
