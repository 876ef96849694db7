//! Query and Scan. Both walk one contiguous key range of a table or index (a partition, or a slice of the
//! partition-hash space for a parallel-scan segment), page by page, and stop as DynamoDB stops: after `Limit`
//! evaluated items or once 1 MB has been read, returning a `LastEvaluatedKey`. Filters apply after the limit,
//! projections last; read capacity is charged for everything read.

use std::ops::Bound;

use eddy_expr::{Condition, KeyCondition, Projection, RangeCondition, ResolvedKeyCondition};
use eddy_model::key::{MAX_HASH_KEY_BYTES, encode_key_value};
use eddy_model::{AttributeMap, AttributeValue, DynamoError, KeySchema, Scope, item_size};

use crate::Store;
use crate::backend::Space;
use crate::capacity::{Capacity, CapacityMode, read_units};
use crate::catalog::{IndexDef, IndexKind, ProjectionType, Table};
use crate::codec::decode_item;
use crate::items::{HASH_KEY_TOO_LARGE, read_item};
use crate::layout;

/// DynamoDB stops a Query or Scan page after reading this much.
const PAGE_BYTES: usize = 1024 * 1024;
/// Entries fetched from the backend per step.
const CHUNK: usize = 256;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Select {
    AllAttributes,
    AllProjectedAttributes,
    SpecificAttributes,
    Count,
}

impl Select {
    pub fn parse(s: &str) -> Option<Select> {
        Some(match s {
            "ALL_ATTRIBUTES" => Select::AllAttributes,
            "ALL_PROJECTED_ATTRIBUTES" => Select::AllProjectedAttributes,
            "SPECIFIC_ATTRIBUTES" => Select::SpecificAttributes,
            "COUNT" => Select::Count,
            _ => return None,
        })
    }

    fn wire_name(self) -> &'static str {
        match self {
            Select::AllAttributes => "ALL_ATTRIBUTES",
            Select::AllProjectedAttributes => "ALL_PROJECTED_ATTRIBUTES",
            Select::SpecificAttributes => "SPECIFIC_ATTRIBUTES",
            Select::Count => "COUNT",
        }
    }
}

pub struct QueryInput {
    pub table: String,
    pub index: Option<String>,
    pub key_condition: KeyCondition,
    pub filter: Option<Condition>,
    /// Whether the filter came from `QueryFilter` (for error texts).
    pub filter_is_legacy: bool,
    pub projection: Option<Projection>,
    /// Whether the projection came from `AttributesToGet` (for error texts).
    pub projection_is_legacy: bool,
    pub select: Option<Select>,
    pub limit: Option<usize>,
    pub forward: bool,
    pub exclusive_start_key: Option<AttributeMap>,
    pub consistent: bool,
    pub capacity: CapacityMode,
}

pub struct ScanInput {
    pub table: String,
    pub index: Option<String>,
    pub filter: Option<Condition>,
    pub projection: Option<Projection>,
    pub projection_is_legacy: bool,
    pub select: Option<Select>,
    pub limit: Option<usize>,
    pub exclusive_start_key: Option<AttributeMap>,
    pub consistent: bool,
    /// (Segment, TotalSegments)
    pub segment: Option<(u32, u32)>,
    pub capacity: CapacityMode,
}

#[derive(Debug, Default)]
pub struct ReadOutput {
    /// `None` with `Select: COUNT`.
    pub items: Option<Vec<AttributeMap>>,
    pub count: usize,
    pub scanned_count: usize,
    pub last_evaluated_key: Option<AttributeMap>,
    pub consumed: Option<Capacity>,
}

/// A fault of `Select` against the projection or the access path. Query and Scan word them alike, in the
/// newer validation layer's envelope (moto's AWS-verified tests, October 2026; until then Scan's were bare).
fn select_fault(message: impl std::fmt::Display) -> DynamoError {
    DynamoError::validation(format!("1 validation error detected: {message}"))
}

/// What a read walks: the table itself or one of its indexes.
struct AccessPath<'a> {
    table: &'a Table,
    index: Option<&'a IndexDef>,
}

impl<'a> AccessPath<'a> {
    fn resolve(table: &'a Table, index: Option<&str>) -> Result<AccessPath<'a>, DynamoError> {
        let index = match index {
            Some(name) => Some(table.def.index(name).ok_or_else(|| {
                DynamoError::validation(format!(
                    "The table does not have the specified index: {name}"
                ))
            })?),
            None => None,
        };
        Ok(AccessPath { table, index })
    }

    fn key(&self) -> &KeySchema {
        self.index.map(|i| &i.key).unwrap_or(&self.table.def.key)
    }

    fn id(&self) -> u64 {
        self.index.map(|i| i.id).unwrap_or(self.table.def.id)
    }

    fn space(&self) -> Space {
        if self.index.is_some() {
            Space::Indexes
        } else {
            Space::Items
        }
    }

    fn is_gsi(&self) -> bool {
        self.index.is_some_and(|i| i.kind == IndexKind::Global)
    }

    /// The stored key of an item (or start key) on this path.
    fn entry_key(&self, item: &AttributeMap) -> Vec<u8> {
        match self.index {
            Some(index) => self.table.def.index_entry_key(index, item),
            None => self.table.def.item_key(item),
        }
    }

    /// The key attributes a `LastEvaluatedKey` carries: the table's key plus the index's.
    fn last_key_of(&self, item: &AttributeMap) -> AttributeMap {
        let mut key = self.table.def.key.extract_key(item);
        if let Some(index) = self.index {
            key.extend(index.key.extract_key(item));
        }
        key
    }

    fn check_consistent(&self, consistent: bool) -> Result<(), DynamoError> {
        if consistent && self.is_gsi() {
            return Err(DynamoError::validation(
                "Consistent reads are not supported on global secondary indexes",
            ));
        }
        Ok(())
    }

    /// Checks `Select` against the path and the projection; returns the effective select.
    fn effective_select(
        &self,
        select: Option<Select>,
        projection: Option<&Projection>,
        legacy: bool,
    ) -> Result<Select, DynamoError> {
        let param = if legacy {
            "AttributesToGet"
        } else {
            "ProjectionExpression"
        };
        let select = match (select, projection) {
            (None, Some(_)) => Select::SpecificAttributes,
            (None, None) => {
                if self.index.is_some() {
                    Select::AllProjectedAttributes
                } else {
                    Select::AllAttributes
                }
            }
            (Some(Select::SpecificAttributes), _) => Select::SpecificAttributes,
            (Some(s), Some(_)) => {
                let chosen = match s {
                    Select::Count => "only the Count",
                    other => other.wire_name(),
                };
                return Err(select_fault(format!(
                    "Cannot specify the {param} when choosing to get {chosen}"
                )));
            }
            (Some(s), None) => s,
        };
        if select == Select::SpecificAttributes && projection.is_none() {
            return Err(select_fault(
                "Must specify the AttributesToGet or ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES",
            ));
        }
        if let Some(index) = self.index {
            if select == Select::AllAttributes
                && index.kind == IndexKind::Global
                && index.projection != ProjectionType::All
            {
                return Err(DynamoError::validation(format!(
                    "One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported for global secondary index {} because its projection type is not ALL",
                    index.name
                )));
            }
        } else if select == Select::AllProjectedAttributes {
            // DynamoDB says "Querying" on a Scan too.
            return Err(select_fault(
                "ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName",
            ));
        }
        Ok(select)
    }

    /// A global secondary index holds only what it projects and cannot fetch the rest from the table, so
    /// DynamoDB refuses a read that asks for an attribute it does not project, or filters on one (its words,
    /// as AWS answers them; names in sorted order). A local index fetches what it lacks instead.
    fn check_projected(
        &self,
        select: Select,
        projection: Option<&Projection>,
        filter: Option<&Condition>,
    ) -> Result<(), DynamoError> {
        let Some(index) = self.index.filter(|i| i.kind == IndexKind::Global) else {
            return Ok(());
        };
        // The names the index does not project, as DynamoDB lists them; `None` when it projects them all.
        let unprojected = |names: std::collections::BTreeSet<String>| -> Option<String> {
            let absent: Vec<String> = names
                .into_iter()
                .filter(|n| !index.covers(&self.table.def.key, n))
                .collect();
            (!absent.is_empty()).then(|| absent.join(", "))
        };
        if select == Select::SpecificAttributes
            && let Some(absent) = projection.and_then(|p| unprojected(p.top_level_names()))
        {
            return Err(DynamoError::validation(format!(
                "One or more parameter values were invalid: Global secondary index {} does not project [{absent}]",
                index.name
            )));
        }
        if let Some(absent) = filter.and_then(|f| unprojected(f.top_level_names())) {
            return Err(DynamoError::validation(format!(
                "One or more parameter values were invalid: Secondary index {} does not project one or more filter attributes: [{absent}]",
                index.name
            )));
        }
        Ok(())
    }

    /// Whether an entry of this path must be completed from the table (LSI reads of unprojected attributes).
    fn needs_table_fetch(&self, select: Select, projection: Option<&Projection>) -> bool {
        let Some(index) = self.index else {
            return false;
        };
        if index.kind != IndexKind::Local || index.projection == ProjectionType::All {
            return false;
        }
        match select {
            Select::AllAttributes => true,
            Select::SpecificAttributes => projection.is_some_and(|p| {
                p.top_level_names()
                    .iter()
                    .any(|n| !index.covers(&self.table.def.key, n))
            }),
            _ => false,
        }
    }

    /// A Query's filter may not refer to the key attributes of what it reads (the index's key on an index):
    /// those belong in the key condition. The hash key is named first, as DynamoDB does.
    fn check_filter_keys(
        &self,
        filter: Option<&Condition>,
        legacy: bool,
    ) -> Result<(), DynamoError> {
        let Some(filter) = filter else {
            return Ok(());
        };
        let names = filter.top_level_names();
        match self.key().attributes().find(|a| names.contains(&a.name)) {
            Some(key) => Err(DynamoError::validation(format!(
                "{} can only contain non-primary key attributes: Primary key attribute: {}",
                if legacy {
                    "QueryFilter"
                } else {
                    "Filter Expression"
                },
                key.name
            ))),
            None => Ok(()),
        }
    }

    /// A Query's start key must lie where the key condition reads. A start key outside the sort-key condition
    /// is refused first; then one in another partition, in DynamoDB's words for the case at hand.
    fn check_start_in_query(
        &self,
        start: &AttributeMap,
        resolved: &ResolvedKeyCondition,
    ) -> Result<(), DynamoError> {
        let key = self.key();
        let encoded = |value: &AttributeValue| {
            let mut out = Vec::new();
            encode_key_value(value, &mut out);
            out
        };
        let equal = |name: &str, expected: &AttributeValue| {
            start
                .get(name)
                .is_some_and(|value| encoded(value) == encoded(expected))
        };
        let mut ranges = key.range_attributes();
        // The prefix's values drive the zip, so that `ranges` stops at the attribute `range` constrains.
        let prefix_ok = resolved
            .sort_prefix
            .iter()
            .zip(ranges.by_ref())
            .all(|(expected, attr)| equal(&attr.name, expected));
        let range_ok = match (&resolved.range, ranges.next()) {
            (Some(condition), Some(range_key)) => start
                .get(&range_key.name)
                .is_some_and(|value| condition.matches(value)),
            _ => true,
        };
        if !(prefix_ok && range_ok) {
            return Err(DynamoError::validation(
                "The provided starting key does not match the range key predicate",
            ));
        }
        let same_partition = key
            .hash_attributes()
            .zip(resolved.partition_values())
            .all(|(attr, expected)| equal(&attr.name, expected));
        if !same_partition {
            return Err(DynamoError::validation(
                if resolved.range.is_some() || !resolved.sort_prefix.is_empty() {
                    "The query can return at most one row and cannot be restarted"
                } else {
                    "The provided starting key is outside query boundaries based on provided conditions"
                },
            ));
        }
        Ok(())
    }

    /// `.` and `[]` may not reach into a key attribute of the table or of any of its indexes, in a read's
    /// projection or filter.
    fn check_key_paths(
        &self,
        projection: Option<&Projection>,
        filter: Option<&Condition>,
    ) -> Result<(), DynamoError> {
        let mut heads = projection
            .map(Projection::nested_path_heads)
            .unwrap_or_default();
        if let Some(filter) = filter {
            heads.extend(filter.nested_path_heads());
        }
        if heads.is_empty() {
            return Ok(());
        }
        let index_keys: Vec<&KeySchema> = self.table.def.indexes().map(|i| &i.key).collect();
        eddy_expr::check_scalar_key_paths(&heads, &self.table.def.key, &index_keys)
    }

    /// The first check of a start key, in DynamoDB's words: as many attributes as the table and index keys
    /// have together, and the key attributes of what is read present (`The provided starting key is invalid`)
    /// and of their types (`The provided key element does not match the schema`).
    fn check_start_key_shape(&self, start: &AttributeMap) -> Result<(), DynamoError> {
        if start.len() != self.start_key_attributes().len() {
            return Err(DynamoError::validation(
                "The provided starting key is invalid",
            ));
        }
        for attr in self.key().attributes() {
            match start.get(&attr.name) {
                None => {
                    return Err(DynamoError::validation(
                        "The provided starting key is invalid",
                    ));
                }
                Some(v) if !attr.scalar.matches(v) => {
                    return Err(DynamoError::validation(
                        "The provided key element does not match the schema",
                    ));
                }
                Some(_) => {}
            }
        }
        Ok(())
    }

    /// The attributes a start key carries: the table's key, then the index's key attributes not among them.
    fn start_key_attributes(&self) -> Vec<&eddy_model::KeyAttribute> {
        let mut attributes: Vec<&eddy_model::KeyAttribute> =
            self.table.def.key.attributes().collect();
        if let Some(index) = self.index {
            for attr in index.key.attributes() {
                if !attributes.iter().any(|a| a.name == attr.name) {
                    attributes.push(attr);
                }
            }
        }
        attributes
    }

    /// Start keys must name exactly the key attributes of the path (table key + index key).
    fn validate_start_key(&self, key: &AttributeMap) -> Result<(), DynamoError> {
        let expected = self.start_key_attributes();
        let valid = key.len() == expected.len()
            && expected
                .iter()
                .all(|a| key.get(&a.name).is_some_and(|v| a.scalar.matches(v)));
        if !valid {
            return Err(DynamoError::validation(
                "The provided starting key is invalid: The provided key element does not match the schema",
            ));
        }
        Ok(())
    }
}

/// Owned bounds of a key range.
struct KeyRange {
    lower: Bound<Vec<u8>>,
    upper: Bound<Vec<u8>>,
}

impl KeyRange {
    fn contains(&self, key: &[u8]) -> bool {
        let above = match &self.lower {
            Bound::Included(l) => key >= l.as_slice(),
            Bound::Excluded(l) => key > l.as_slice(),
            Bound::Unbounded => true,
        };
        let below = match &self.upper {
            Bound::Included(u) => key <= u.as_slice(),
            Bound::Excluded(u) => key < u.as_slice(),
            Bound::Unbounded => true,
        };
        above && below
    }
}

fn bound_ref(b: &Bound<Vec<u8>>) -> Bound<&[u8]> {
    match b {
        Bound::Included(k) => Bound::Included(k.as_slice()),
        Bound::Excluded(k) => Bound::Excluded(k.as_slice()),
        Bound::Unbounded => Bound::Unbounded,
    }
}

fn after_prefix(prefix: &[u8]) -> Bound<Vec<u8>> {
    match layout::prefix_end(prefix) {
        Some(end) => Bound::Excluded(end),
        None => Bound::Unbounded,
    }
}

fn with_value(prefix: &[u8], value: &AttributeValue) -> Vec<u8> {
    let mut k = prefix.to_vec();
    encode_key_value(value, &mut k);
    k
}

/// The key range of a partition narrowed by a sort-key condition.
fn query_range(prefix: &[u8], range: Option<&RangeCondition>) -> KeyRange {
    let whole = || KeyRange {
        lower: Bound::Included(prefix.to_vec()),
        upper: after_prefix(prefix),
    };
    let Some(range) = range else { return whole() };
    match range {
        RangeCondition::Eq(v) => {
            let k = with_value(prefix, v);
            KeyRange {
                upper: after_prefix(&k),
                lower: Bound::Included(k),
            }
        }
        RangeCondition::Lt(v) => KeyRange {
            lower: Bound::Included(prefix.to_vec()),
            upper: Bound::Excluded(with_value(prefix, v)),
        },
        RangeCondition::Le(v) => KeyRange {
            lower: Bound::Included(prefix.to_vec()),
            upper: after_prefix(&with_value(prefix, v)),
        },
        RangeCondition::Gt(v) => KeyRange {
            lower: match layout::prefix_end(&with_value(prefix, v)) {
                Some(k) => Bound::Included(k),
                None => Bound::Excluded(with_value(prefix, v)),
            },
            upper: after_prefix(prefix),
        },
        RangeCondition::Ge(v) => KeyRange {
            lower: Bound::Included(with_value(prefix, v)),
            upper: after_prefix(prefix),
        },
        RangeCondition::Between(a, b) => KeyRange {
            lower: Bound::Included(with_value(prefix, a)),
            upper: after_prefix(&with_value(prefix, b)),
        },
        RangeCondition::BeginsWith(v) => {
            // A value starts with `v` exactly when its escaped bytes start with v's escaped bytes (the encoding
            // without its two-byte terminator).
            let mut k = with_value(prefix, v);
            k.truncate(k.len().saturating_sub(2));
            KeyRange {
                upper: after_prefix(&k),
                lower: Bound::Included(k),
            }
        }
    }
}

/// The key range of a parallel-scan segment: a contiguous slice of the partition-hash space. As in DynamoDB
/// (dynalite's tests pin this down), the space is cut into 4096 buckets by the top 12 bits of the hash, and
/// segment `s` of `t` holds buckets ⌈4096·s/t⌉ up to ⌈4096·(s+1)/t⌉ − 1 (so with more than 4096 segments some
/// are empty).
fn segment_range(id: u64, segment: Option<(u32, u32)>) -> KeyRange {
    let prefix = layout::id_prefix(id);
    let Some((segment, total)) = segment else {
        return KeyRange {
            lower: Bound::Included(prefix.to_vec()),
            upper: after_prefix(&prefix),
        };
    };
    const BUCKETS: u64 = 4096;
    let first_bucket = |s: u64| (BUCKETS * s).div_ceil(total as u64);
    let (start, end) = (
        first_bucket(segment as u64),
        first_bucket(segment as u64 + 1),
    );
    let key_at = |bucket: u64| {
        let mut k = prefix.to_vec();
        k.extend_from_slice(&((bucket << 20) as u32).to_be_bytes());
        k
    };
    if start >= BUCKETS {
        // One of the empty last segments when there are more than 4096.
        return KeyRange {
            lower: Bound::Included(key_at(0)),
            upper: Bound::Excluded(key_at(0)),
        };
    }
    KeyRange {
        lower: Bound::Included(key_at(start)),
        upper: if end >= BUCKETS {
            after_prefix(&prefix)
        } else {
            Bound::Excluded(key_at(end))
        },
    }
}

/// Everything a walk needs besides its range.
struct Walk<'a> {
    store: &'a Store,
    path: AccessPath<'a>,
    filter: Option<&'a Condition>,
    projection: Option<&'a Projection>,
    select: Select,
    limit: Option<usize>,
    forward: bool,
    consistent: bool,
    capacity: CapacityMode,
}

impl Walk<'_> {
    fn run(&self, mut range: KeyRange) -> Result<ReadOutput, DynamoError> {
        let backend = self.store.inner.backend.as_ref();
        let fetch_table = self.path.needs_table_fetch(self.select, self.projection);
        let mut out = ReadOutput {
            items: (self.select != Select::Count).then(Vec::new),
            ..Default::default()
        };
        let (mut read_bytes, mut table_bytes) = (0usize, 0usize);
        let mut last_item: Option<AttributeMap> = None;
        let mut stopped_early = false;
        'pages: loop {
            let page = backend
                .range(
                    self.path.space(),
                    bound_ref(&range.lower),
                    bound_ref(&range.upper),
                    !self.forward,
                    CHUNK,
                )
                .map_err(|e| DynamoError::Internal(e.to_string()))?;
            let exhausted = page.len() < CHUNK;
            for (key, value) in page {
                if self.forward {
                    range.lower = Bound::Excluded(key.clone());
                } else {
                    range.upper = Bound::Excluded(key.clone());
                }
                let mut item =
                    decode_item(&value).map_err(|e| DynamoError::Internal(e.to_string()))?;
                read_bytes += item_size(&item);
                if fetch_table {
                    let table_key = self.path.table.def.item_key(&item);
                    if let Some(full) = read_item(backend, &table_key)? {
                        table_bytes += item_size(&full);
                        item = full;
                    }
                }
                out.scanned_count += 1;
                if self.filter.is_none_or(|f| f.evaluate(Some(&item))) {
                    out.count += 1;
                    if let Some(items) = out.items.as_mut() {
                        items.push(match self.projection {
                            Some(p) => p.apply(&item),
                            None => item.clone(),
                        });
                    }
                }
                let limit_hit = self.limit.is_some_and(|l| out.scanned_count >= l);
                last_item = Some(item);
                if limit_hit || read_bytes >= PAGE_BYTES {
                    stopped_early = true;
                    break 'pages;
                }
            }
            if exhausted {
                break;
            }
        }
        if stopped_early {
            out.last_evaluated_key = last_item.as_ref().map(|i| self.path.last_key_of(i));
        }
        out.consumed = self.consumed(read_bytes, table_bytes);
        Ok(out)
    }

    fn consumed(&self, read_bytes: usize, table_bytes: usize) -> Option<Capacity> {
        let name = &self.path.table.def.name;
        let units = read_units(read_bytes, self.consistent);
        let extra = if table_bytes > 0 {
            read_units(table_bytes, self.consistent)
        } else {
            0.0
        };
        let mut capacity = Capacity::for_table(name, units + extra, self.capacity)?;
        if self.capacity == CapacityMode::Indexes {
            match self.path.index {
                Some(index) => {
                    capacity.table = Some(extra);
                    let entry = (index.name.clone(), units);
                    match index.kind {
                        IndexKind::Global => capacity.gsis.extend([entry]),
                        IndexKind::Local => capacity.lsis.extend([entry]),
                    }
                }
                None => capacity.table = Some(units),
            }
        }
        Some(capacity)
    }
}

fn check_limit(limit: Option<usize>) -> Result<(), DynamoError> {
    if limit == Some(0) {
        return Err(DynamoError::validation(
            "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1",
        ));
    }
    Ok(())
}

impl Store {
    pub fn query(&self, scope: &Scope, req: QueryInput) -> Result<ReadOutput, DynamoError> {
        let table = self.table(scope, &req.table)?;
        check_limit(req.limit)?;
        let path = AccessPath::resolve(&table, req.index.as_deref())?;
        path.check_consistent(req.consistent)?;
        if let Some(start) = &req.exclusive_start_key {
            path.check_start_key_shape(start)?;
        }
        let resolved = req.key_condition.resolve(path.key())?;
        // A table's partition key value past its limit is refused as on a write (an AWS answer to a Query,
        // quoted in a public issue thread); no item could have it. A local index shares the table's.
        if !path.is_gsi() && resolved.hash.dynamo_size() > MAX_HASH_KEY_BYTES {
            return Err(DynamoError::validation(HASH_KEY_TOO_LARGE));
        }
        let mut prefix = layout::partition_prefix(
            table.def.partition_hash,
            path.id(),
            &resolved.partition_values(),
        );
        for value in &resolved.sort_prefix {
            encode_key_value(value, &mut prefix);
        }
        let mut range = query_range(&prefix, resolved.range.as_ref());
        if let Some(start) = &req.exclusive_start_key {
            path.validate_start_key(start)?;
            path.check_start_in_query(start, &resolved)?;
            let start_key = path.entry_key(start);
            if req.forward {
                range.lower = Bound::Excluded(start_key);
            } else {
                range.upper = Bound::Excluded(start_key);
            }
        }
        path.check_key_paths(req.projection.as_ref(), None)?;
        path.check_filter_keys(req.filter.as_ref(), req.filter_is_legacy)?;
        let select = path.effective_select(
            req.select,
            req.projection.as_ref(),
            req.projection_is_legacy,
        )?;
        path.check_key_paths(None, req.filter.as_ref())?;
        path.check_projected(select, req.projection.as_ref(), req.filter.as_ref())?;
        Walk {
            store: self,
            path,
            filter: req.filter.as_ref(),
            projection: req.projection.as_ref(),
            select,
            limit: req.limit,
            forward: req.forward,
            consistent: req.consistent,
            capacity: req.capacity,
        }
        .run(range)
    }

    pub fn scan(&self, scope: &Scope, req: ScanInput) -> Result<ReadOutput, DynamoError> {
        let table = self.table(scope, &req.table)?;
        check_limit(req.limit)?;
        let path = AccessPath::resolve(&table, req.index.as_deref())?;
        path.check_consistent(req.consistent)?;
        let select = path.effective_select(
            req.select,
            req.projection.as_ref(),
            req.projection_is_legacy,
        )?;
        let mut range = segment_range(path.id(), req.segment);
        if let Some(start) = &req.exclusive_start_key {
            if path.index.is_some() {
                path.check_start_key_shape(start)?;
            }
            path.validate_start_key(start)?;
            let start_key = path.entry_key(start);
            if let Some((segment, total)) = req.segment
                && !range.contains(&start_key)
            {
                return Err(DynamoError::validation(format!(
                    "The provided starting key is invalid: Invalid ExclusiveStartKey. Please use ExclusiveStartKey with correct Segment. TotalSegments: {total} Segment: {segment}"
                )));
            }
            range.lower = Bound::Excluded(start_key);
        }
        path.check_key_paths(req.projection.as_ref(), req.filter.as_ref())?;
        path.check_projected(select, req.projection.as_ref(), req.filter.as_ref())?;
        Walk {
            store: self,
            path,
            filter: req.filter.as_ref(),
            projection: req.projection.as_ref(),
            select,
            limit: req.limit,
            forward: true,
            consistent: req.consistent,
            capacity: req.capacity,
        }
        .run(range)
    }
}

#[cfg(test)]
mod tests {
    use eddy_model::key::PartitionHashScheme;
    use eddy_model::{KeyAttribute, ScalarType};

    use super::*;

    /// The segment of `total` that holds the item whose hash key `a` is `value` (of type `scalar`).
    fn segment_of(scalar: ScalarType, value: &str, total: u32) -> u32 {
        let schema = KeySchema {
            hash: KeyAttribute {
                name: "a".into(),
                scalar,
            },
            range: None,
            more_hash: Vec::new(),
            more_range: Vec::new(),
        };
        let json = format!(r#"{{"a":{{"{scalar}":"{value}"}}}}"#);
        let item: AttributeMap = serde_json::from_str(&json).expect("item");
        let key = layout::item_key(PartitionHashScheme::Dynamo, 3, &schema, &item);
        let holding: Vec<u32> = (0..total)
            .filter(|&s| segment_range(3, Some((s, total))).contains(&key))
            .collect();
        assert_eq!(holding.len(), 1, "{value} is in segments {holding:?}");
        holding[0]
    }

    // The expected segments are those of dynalite's parallel-scan tests, which were checked against DynamoDB.
    #[test]
    fn items_fall_in_dynamodb_segments() {
        assert_eq!(segment_of(ScalarType::S, "3635", 4096), 0);
        assert_eq!(segment_of(ScalarType::S, "228", 4096), 0);
        assert_eq!(segment_of(ScalarType::S, "1668", 4096), 1);
        assert_eq!(segment_of(ScalarType::S, "3435", 4096), 4);
        assert_eq!(segment_of(ScalarType::N, "251", 4096), 1);
        assert_eq!(segment_of(ScalarType::N, "2388", 4096), 4095);
    }

    #[test]
    fn segments_cover_every_item_once_whatever_their_count() {
        for total in [1, 2, 3, 7, 4095, 4097, 10_000] {
            for value in ["0", "1", "hello", "zapf"] {
                segment_of(ScalarType::S, value, total);
            }
        }
    }
}
