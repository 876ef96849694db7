//! Wire shapes shared by several DynamoDB operations: table names (or ARNs), `TableDescription`,
//! `ConsumedCapacity`, the enum parameters, and the bridge from request members to the expression crate.

use std::collections::BTreeMap;

use eddy_expr::{
    AttributeValueUpdate, ExpectedAttributeValue, ExpressionInputs, LegacyCondition, Operation,
    ParsedExpressions,
};
use eddy_model::value::{UncheckedAttributeMap, ValueError, ValueLayer};
use eddy_model::{AttributeMap, DynamoError, ScalarType, Scope};
use eddy_store::{
    BillingMode, Capacity, CapacityMode, CapacitySplit, IndexDef, ProjectionType, ReturnValues,
    Table,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

/// Accepts a table name or a table ARN (`arn:aws:dynamodb:<region>:<account>:table/<name>`), as DynamoDB does.
/// Names are checked against the `TableName` constraints (the model allows ARNs, so it cannot).
pub fn table_name(scope: &Scope, raw: &str, member: &str) -> Result<String, DynamoError> {
    if let Some(rest) = raw.strip_prefix("arn:") {
        let parts: Vec<&str> = rest.splitn(5, ':').collect();
        // A table's ARN only: an index's (`…/index/x`) or a stream's is not a table (verified against AWS by
        // extenddb's dual-target tests, 2026).
        if let [_partition, "dynamodb", region, account, resource] = parts.as_slice()
            && let Some(name) = resource.strip_prefix("table/")
            && !name.contains('/')
        {
            if *region != &*scope.region || *account != &*scope.account {
                return Err(DynamoError::ResourceNotFound(
                    "Requested resource not found".into(),
                ));
            }
            return Ok(name.to_string());
        }
        return Err(DynamoError::validation(format!("Invalid TableArn: {raw}")));
    }
    let errors = crate::protocol::model::table_name_errors(raw, member);
    if errors.is_empty() {
        return Ok(raw.to_string());
    }
    let n = errors.len();
    Err(DynamoError::validation(format!(
        "{n} validation error{} detected: {}",
        if n > 1 { "s" } else { "" },
        errors.join("; ")
    )))
}

pub fn return_values(raw: Option<&str>) -> ReturnValues {
    raw.and_then(ReturnValues::parse).unwrap_or_default()
}

pub fn capacity_mode(raw: Option<&str>) -> CapacityMode {
    raw.and_then(CapacityMode::parse).unwrap_or_default()
}

pub fn return_old_on_failure(raw: Option<&str>) -> bool {
    raw == Some("ALL_OLD")
}

/// The expression-related members of a request, as they arrive.
#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct ExpressionMembers {
    pub condition_expression: Option<String>,
    pub filter_expression: Option<String>,
    pub key_condition_expression: Option<String>,
    pub projection_expression: Option<String>,
    pub update_expression: Option<String>,
    pub expression_attribute_names: Option<BTreeMap<String, String>>,
    #[serde(default, deserialize_with = "expression_values")]
    pub expression_attribute_values: Option<AttributeMap>,
    pub expected: Option<BTreeMap<String, ExpectedAttributeValue>>,
    pub conditional_operator: Option<String>,
    pub attributes_to_get: Option<Vec<String>>,
    pub key_conditions: Option<BTreeMap<String, LegacyCondition>>,
    pub query_filter: Option<BTreeMap<String, LegacyCondition>>,
    pub scan_filter: Option<BTreeMap<String, LegacyCondition>>,
    pub attribute_updates: Option<BTreeMap<String, AttributeValueUpdate>>,
}

/// `ExpressionAttributeValues`, with an invalid value reported as DynamoDB reports it: the older layer of checks
/// names the placeholder, the current one gives the value's own message.
fn expression_values<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<AttributeMap>, D::Error> {
    use serde::de::Error;
    let raw: Option<BTreeMap<String, Value>> = Option::deserialize(deserializer)?;
    let Some(raw) = raw else { return Ok(None) };
    let mut out = AttributeMap::new();
    for (key, value) in raw {
        match serde_json::from_value::<eddy_model::AttributeValue>(value) {
            Ok(v) => {
                out.insert(key, v);
            }
            Err(e) => {
                let text = e.to_string();
                let (is_validation, message) = eddy_model::value::split_deserialize_error(&text);
                if !is_validation || eddy_model::value::decoding_layer() == ValueLayer::Current {
                    return Err(D::Error::custom(text));
                }
                let message = message
                    .rsplit_once(" at line ")
                    .map(|(m, _)| m)
                    .unwrap_or(message);
                return Err(D::Error::custom(format!(
                    "{}{}",
                    eddy_model::value::VALIDATION_TAG,
                    eddy_expr::invalid_expression_value_message(message, &key)
                )));
            }
        }
    }
    Ok(Some(out))
}

impl ExpressionMembers {
    /// The single-item writes refuse an expression value nested deeper than an item may be, as themselves
    /// (the current layer of checks names no placeholder).
    pub fn check_value_nesting(&self) -> Result<(), DynamoError> {
        let values = self.expression_attribute_values.iter().flatten();
        match values.map(|(_, v)| v).find(|v| v.is_too_deep()) {
            Some(_) => Err(DynamoError::validation(eddy_store::NESTING_MESSAGE)),
            None => Ok(()),
        }
    }

    pub fn parse(&self, operation: Operation) -> Result<ParsedExpressions, DynamoError> {
        eddy_expr::parse_request(&ExpressionInputs {
            operation,
            condition_expression: self.condition_expression.as_deref(),
            filter_expression: self.filter_expression.as_deref(),
            key_condition_expression: self.key_condition_expression.as_deref(),
            projection_expression: self.projection_expression.as_deref(),
            update_expression: self.update_expression.as_deref(),
            names: self.expression_attribute_names.as_ref(),
            values: self.expression_attribute_values.as_ref(),
            expected: self.expected.as_ref(),
            conditional_operator: self.conditional_operator.as_deref(),
            attributes_to_get: self.attributes_to_get.as_deref(),
            key_conditions: self.key_conditions.as_ref(),
            query_filter: self.query_filter.as_ref(),
            scan_filter: self.scan_filter.as_ref(),
            attribute_updates: self.attribute_updates.as_ref(),
        })
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CapacityUnits {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read_capacity_units: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub write_capacity_units: Option<f64>,
    pub capacity_units: f64,
}

impl CapacityUnits {
    /// `units`, named as read or write units too when `split` says so.
    fn new(units: f64, split: CapacitySplit) -> CapacityUnits {
        CapacityUnits {
            read_capacity_units: (split == CapacitySplit::Read).then_some(units),
            write_capacity_units: (split == CapacitySplit::Write).then_some(units),
            capacity_units: units,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ConsumedCapacity {
    pub table_name: String,
    #[serde(flatten)]
    pub units: CapacityUnits,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table: Option<CapacityUnits>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub local_secondary_indexes: Option<BTreeMap<String, CapacityUnits>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub global_secondary_indexes: Option<BTreeMap<String, CapacityUnits>>,
}

impl From<&Capacity> for ConsumedCapacity {
    fn from(c: &Capacity) -> ConsumedCapacity {
        let indexes = |m: &BTreeMap<String, f64>| {
            (!m.is_empty()).then(|| {
                m.iter()
                    .map(|(k, v)| (k.clone(), CapacityUnits::new(*v, c.split)))
                    .collect()
            })
        };
        ConsumedCapacity {
            table_name: c.table_name.clone(),
            units: CapacityUnits::new(c.total, c.split),
            table: c.table.map(|t| CapacityUnits::new(t, c.split)),
            local_secondary_indexes: indexes(&c.lsis),
            global_secondary_indexes: indexes(&c.gsis),
        }
    }
}

/// The capacity a single-table operation consumed, naming the table as the request did (its name or its ARN,
/// as DynamoDB echoes it).
pub fn consumed(c: Option<&Capacity>, supplied: &str) -> Option<ConsumedCapacity> {
    c.map(|c| ConsumedCapacity {
        table_name: supplied.to_string(),
        ..ConsumedCapacity::from(c)
    })
}

/// The names a batch request gave its tables (names or ARNs), which DynamoDB's reply echoes.
#[derive(Default)]
pub struct SuppliedNames(BTreeMap<String, String>);

impl SuppliedNames {
    pub fn remember(&mut self, table: &str, supplied: String) {
        self.0.insert(table.to_string(), supplied);
    }

    /// The name the request gave `table`.
    pub fn of(&self, table: &str) -> String {
        self.0
            .get(table)
            .cloned()
            .unwrap_or_else(|| table.to_string())
    }

    pub fn consumed(&self, list: &[Capacity], mode: CapacityMode) -> Option<Vec<ConsumedCapacity>> {
        consumed_list(list, mode).map(|entries| {
            entries
                .into_iter()
                .map(|c| ConsumedCapacity {
                    table_name: self.of(&c.table_name),
                    ..c
                })
                .collect()
        })
    }
}

pub fn consumed_list(list: &[Capacity], mode: CapacityMode) -> Option<Vec<ConsumedCapacity>> {
    (mode != CapacityMode::None).then(|| list.iter().map(ConsumedCapacity::from).collect())
}

fn seconds(ms: i64) -> f64 {
    ms as f64 / 1000.0
}

fn key_schema_json(key: &eddy_model::KeySchema) -> Value {
    let hashes = key
        .hash_attributes()
        .map(|a| json!({"AttributeName": a.name, "KeyType": "HASH"}));
    let ranges = key
        .range_attributes()
        .map(|a| json!({"AttributeName": a.name, "KeyType": "RANGE"}));
    Value::Array(hashes.chain(ranges).collect())
}

/// Names in the order Java's `String.compareTo` puts them (by UTF-16 code unit), as DynamoDB sorts them.
fn java_order(a: &str, b: &str) -> std::cmp::Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

fn projection_json(p: &ProjectionType) -> Value {
    match p {
        ProjectionType::Include(names) => {
            let mut names: Vec<&String> = names.iter().collect();
            names.sort_by(|a, b| java_order(a, b));
            json!({"ProjectionType": "INCLUDE", "NonKeyAttributes": names})
        }
        other => json!({"ProjectionType": other.wire_name()}),
    }
}

fn throughput_json(
    t: Option<&eddy_store::Throughput>,
    changes: &eddy_store::ThroughputChanges,
    now_ms: i64,
) -> Value {
    let (r, w) = t.map(|t| (t.read, t.write)).unwrap_or((0, 0));
    let mut o = Map::new();
    if let Some(at) = changes.last_increase_ms {
        o.insert("LastIncreaseDateTime".into(), json!(seconds(at)));
    }
    if let Some(at) = changes.last_decrease_ms {
        o.insert("LastDecreaseDateTime".into(), json!(seconds(at)));
    }
    o.insert(
        "NumberOfDecreasesToday".into(),
        json!(changes.decreases_today(now_ms)),
    );
    o.insert("ReadCapacityUnits".into(), json!(r));
    o.insert("WriteCapacityUnits".into(), json!(w));
    Value::Object(o)
}

fn on_demand_json(limits: eddy_store::OnDemandLimits) -> Value {
    json!({"MaxReadRequestUnits": limits.max_read, "MaxWriteRequestUnits": limits.max_write})
}

fn warm_json(warm: eddy_store::Throughput) -> Value {
    json!({"ReadUnitsPerSecond": warm.read, "WriteUnitsPerSecond": warm.write, "Status": "ACTIVE"})
}

/// What DeleteTable's `TableDescription` keeps: no key schema, attribute definitions, creation time or indexes
/// (Alternator's suite, run against AWS), nor the stream, protection, class or warm throughput, which no
/// answer of AWS's on record carries (a provisioned table's: name, status, throughput, size, count, ARN, id).
const DELETING_MEMBERS: [&str; 8] = [
    "TableName",
    "TableStatus",
    "TableId",
    "TableArn",
    "ProvisionedThroughput",
    "BillingModeSummary",
    "TableSizeBytes",
    "ItemCount",
];

/// Which reply a `TableDescription` is for: DynamoDB shapes them slightly differently.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum TableReply {
    /// CreateTable's: its indexes carry no `WarmThroughput` yet.
    Created,
    /// DescribeTable's.
    Current,
    /// UpdateTable's: a class change is still under way, so `TableClassSummary` has no `LastUpdateDateTime`.
    Updated,
    /// DeleteTable's: `TableStatus` is `DELETING`.
    Deleting,
}

fn index_json(
    table: &Table,
    index: &IndexDef,
    global: bool,
    reply: TableReply,
    now_ms: i64,
) -> Value {
    let scope = table.def.scope();
    let mut o = Map::new();
    o.insert("IndexName".into(), json!(index.name));
    o.insert("KeySchema".into(), key_schema_json(&index.key));
    o.insert("Projection".into(), projection_json(&index.projection));
    if global {
        o.insert("IndexStatus".into(), json!("ACTIVE"));
        o.insert(
            "ProvisionedThroughput".into(),
            throughput_json(index.throughput.as_ref(), &index.throughput_changes, now_ms),
        );
        if let Some(limits) = index.on_demand {
            o.insert("OnDemandThroughput".into(), on_demand_json(limits));
        }
        if reply != TableReply::Created {
            o.insert(
                "WarmThroughput".into(),
                warm_json(table.def.index_warm_throughput(index)),
            );
        }
    }
    let (count, bytes) = table.stats.index_snapshot(index.id);
    o.insert("IndexSizeBytes".into(), json!(bytes));
    o.insert("ItemCount".into(), json!(count));
    o.insert(
        "IndexArn".into(),
        json!(scope.index_arn(&table.def.name, &index.name)),
    );
    Value::Object(o)
}

/// A stable UUID-shaped id for a table, derived from its internal id.
fn table_uuid(table: &Table) -> String {
    let h = (table.def.id as u128).wrapping_mul(0x9E37_79B9_7F4A_7C15_F39C_C060_5CED_C835)
        ^ (table.def.created_ms as u128);
    let hex = format!("{h:032x}");
    format!(
        "{}-{}-4{}-8{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[13..16],
        &hex[17..20],
        &hex[20..32]
    )
}

/// `TableDescription` as DynamoDB returns it in `reply`; `now_ms` (the server clock) dates
/// `NumberOfDecreasesToday`.
pub fn table_description(table: &Table, reply: TableReply, now_ms: i64) -> Value {
    let status = match reply {
        TableReply::Deleting => "DELETING",
        TableReply::Created | TableReply::Current | TableReply::Updated => "ACTIVE",
    };
    let def = &table.def;
    let (items, bytes) = table.stats.snapshot();
    let mut o = Map::new();
    // DynamoDB lists attribute definitions by name, whatever order they were given in.
    let mut sorted: Vec<&(String, ScalarType)> = def.attribute_definitions.iter().collect();
    sorted.sort_by(|(a, _), (b, _)| java_order(a, b));
    let defs: Vec<Value> = sorted
        .into_iter()
        .map(|(n, t)| json!({"AttributeName": n, "AttributeType": t.as_str()}))
        .collect();
    o.insert("AttributeDefinitions".into(), Value::Array(defs));
    o.insert("TableName".into(), json!(def.name));
    o.insert("KeySchema".into(), key_schema_json(&def.key));
    o.insert("TableStatus".into(), json!(status));
    o.insert("CreationDateTime".into(), json!(seconds(def.created_ms)));
    o.insert(
        "ProvisionedThroughput".into(),
        throughput_json(def.throughput.as_ref(), &def.throughput_changes, now_ms),
    );
    o.insert("TableSizeBytes".into(), json!(bytes));
    o.insert("ItemCount".into(), json!(items));
    o.insert("TableArn".into(), json!(def.arn()));
    o.insert("TableId".into(), json!(table_uuid(table)));
    if def.billing == BillingMode::PayPerRequest || def.billing_changed_ms.is_some() {
        let mut summary = Map::new();
        summary.insert("BillingMode".into(), json!(def.billing.wire_name()));
        // CreateTable's reply has the mode alone; the time appears from the first DescribeTable on (AWS-recorded).
        if let (BillingMode::PayPerRequest, Some(at), false) = (
            def.billing,
            def.billing_changed_ms,
            reply == TableReply::Created,
        ) {
            summary.insert(
                "LastUpdateToPayPerRequestDateTime".into(),
                json!(seconds(at)),
            );
        }
        o.insert("BillingModeSummary".into(), Value::Object(summary));
    }
    if !def.lsis.is_empty() {
        o.insert(
            "LocalSecondaryIndexes".into(),
            def.lsis
                .iter()
                .map(|i| index_json(table, i, false, reply, now_ms))
                .collect(),
        );
    }
    if !def.gsis.is_empty() {
        o.insert(
            "GlobalSecondaryIndexes".into(),
            def.gsis
                .iter()
                .map(|i| index_json(table, i, true, reply, now_ms))
                .collect(),
        );
    }
    if let Some(stream) = &def.stream {
        if stream.enabled {
            o.insert(
                "StreamSpecification".into(),
                json!({"StreamEnabled": true, "StreamViewType": stream.view_type.wire_name()}),
            );
        }
        o.insert("LatestStreamLabel".into(), json!(stream.label));
        o.insert(
            "LatestStreamArn".into(),
            json!(def.scope().stream_arn(&def.name, &stream.label)),
        );
    }
    if let Some(class) = &def.table_class {
        let mut summary = json!({"TableClass": class});
        if let Some(at) = def.table_class_changed_ms
            && reply != TableReply::Updated
        {
            summary["LastUpdateDateTime"] = json!(seconds(at));
        }
        o.insert("TableClassSummary".into(), summary);
    }
    o.insert(
        "DeletionProtectionEnabled".into(),
        json!(def.deletion_protection),
    );
    if let Some(limits) = def.on_demand {
        o.insert("OnDemandThroughput".into(), on_demand_json(limits));
    }
    o.insert("WarmThroughput".into(), warm_json(def.warm_throughput()));
    if reply == TableReply::Deleting {
        o.retain(|member, _| DELETING_MEMBERS.contains(&member.as_str()));
    }
    Value::Object(o)
}

/// A map of items as `{"name": AttributeValue}` JSON, ready for a response.
pub type Item = AttributeMap;

/// A Query's or Scan's `ExclusiveStartKey`, validated after the rest of the request as DynamoDB does, by the
/// operation's layer of checks. A value's shape errors are worded as about the start key; bad numbers and
/// repeated set members (and an empty number set) are reported as anywhere else.
pub fn start_key(
    key: Option<UncheckedAttributeMap>,
    layer: ValueLayer,
) -> Result<Option<AttributeMap>, DynamoError> {
    key.map(|k| k.check(layer)).transpose().map_err(|e| {
        let about_the_key = !matches!(
            e,
            ValueError::Number(_)
                | ValueError::DuplicateStrings(..)
                | ValueError::DuplicateNumbers(_)
                | ValueError::DuplicateBinaries(..)
                | ValueError::EmptySet(eddy_model::ValueType::Ns)
        );
        if about_the_key {
            DynamoError::validation(format!("The provided starting key is invalid: {e}"))
        } else {
            DynamoError::validation(e.to_string())
        }
    })
}
