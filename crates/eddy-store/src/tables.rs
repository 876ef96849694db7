//! Table lifecycle: CreateTable, UpdateTable (billing, throughput, GSIs added/removed, deletion protection),
//! DeleteTable, ListTables, TTL settings and tags, with DynamoDB's validation rules and messages. Tables are
//! ACTIVE at once; an index added later is backfilled in the same writer job. Deleted tables leave their data
//! behind under an id nobody will use again; the purger removes it in small steps in the background.

use std::collections::BTreeMap;
use std::sync::Arc;

use eddy_model::key::{MAX_KEY_ATTRIBUTES_PER_ROLE, PartitionHashScheme};
use eddy_model::{DynamoError, KeyAttribute, KeySchema, ScalarType, Scope};

use crate::Store;
use crate::backend::{Mutation, Space};
use crate::catalog::{
    BillingMode, IndexDef, IndexKind, OnDemandLimits, ProjectionType, Table, TableDef, TableStats,
    Throughput, ThroughputChanges, TieOrder, TtlSetting,
};
use crate::codec::{decode_item, encode_item};
use crate::layout;
use crate::writer::WriteCtx;

/// How long after an UpdateTimeToLive change DynamoDB refuses another ("up to one hour").
const TTL_CHANGE_INTERVAL_MS: i64 = 3_600_000;

/// An index as requested in CreateTable / UpdateTable.
#[derive(Clone, Debug)]
pub struct IndexSpec {
    pub name: String,
    /// (attribute name, `HASH` | `RANGE`)
    pub key_schema: Vec<(String, String)>,
    pub projection_type: Option<String>,
    pub non_key_attributes: Option<Vec<String>>,
    pub throughput: Option<Throughput>,
    pub on_demand: Option<OnDemandRequest>,
    pub warm: Option<WarmRequest>,
}

/// An `OnDemandThroughput` as requested: either limit may be left out; -1 removes one (UpdateTable only).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OnDemandRequest {
    pub max_read: Option<i64>,
    pub max_write: Option<i64>,
}

/// What an `OnDemandThroughput` is for, as DynamoDB names it in its messages.
#[derive(Clone, Copy)]
enum OnDemandTarget<'a> {
    Table,
    Index(&'a str),
}

impl OnDemandRequest {
    /// The limits after this request, checked against the table's billing mode; `clearing` allows -1.
    fn apply(
        &self,
        current: Option<OnDemandLimits>,
        billing: BillingMode,
        target: OnDemandTarget<'_>,
        clearing: bool,
    ) -> Result<Option<OnDemandLimits>, DynamoError> {
        let mut limits = current.unwrap_or(OnDemandLimits {
            max_read: -1,
            max_write: -1,
        });
        for (member, requested, slot) in [
            ("MaxReadRequestUnits", self.max_read, &mut limits.max_read),
            (
                "MaxWriteRequestUnits",
                self.max_write,
                &mut limits.max_write,
            ),
        ] {
            let Some(units) = requested else { continue };
            let index = match target {
                OnDemandTarget::Table => String::new(),
                OnDemandTarget::Index(name) => format!(" for index : {name}"),
            };
            if billing == BillingMode::Provisioned {
                return Err(invalid(format!(
                    "{member} for OnDemandThroughput{index} cannot be specified when the table BillingMode is PROVISIONED"
                )));
            }
            if units < 1 && !(clearing && units == -1) {
                let whose = match target {
                    OnDemandTarget::Table => " for table".to_string(),
                    OnDemandTarget::Index(_) => index,
                };
                return Err(invalid(format!(
                    "Requested {member} for OnDemandThroughput{whose} is outside of valid range"
                )));
            }
            *slot = units;
        }
        Ok((limits.max_read != -1 || limits.max_write != -1).then_some(limits))
    }
}

#[derive(Clone, Debug, Default)]
pub struct CreateTable {
    pub name: String,
    pub attribute_definitions: Vec<(String, ScalarType)>,
    pub key_schema: Vec<(String, String)>,
    pub billing_mode: Option<BillingMode>,
    pub throughput: Option<Throughput>,
    pub gsis: Option<Vec<IndexSpec>>,
    pub lsis: Option<Vec<IndexSpec>>,
    pub tags: Vec<(String, String)>,
    pub deletion_protection: Option<bool>,
    pub table_class: Option<String>,
    pub stream: Option<crate::StreamSpecification>,
    pub on_demand: Option<OnDemandRequest>,
    pub warm: Option<WarmRequest>,
}

/// A `WarmThroughput` (of a table or an index) as asked for: either rate may be left out (it keeps what it has).
#[derive(Clone, Copy, Debug, Default)]
pub struct WarmRequest {
    pub read: Option<i64>,
    pub write: Option<i64>,
}

#[derive(Clone, Debug)]
pub enum GsiUpdate {
    Create(IndexSpec),
    Update {
        name: String,
        throughput: Option<Throughput>,
        on_demand: Option<OnDemandRequest>,
        warm: Option<WarmRequest>,
    },
    Delete {
        name: String,
    },
}

impl GsiUpdate {
    fn index_name(&self) -> &str {
        match self {
            GsiUpdate::Create(spec) => &spec.name,
            GsiUpdate::Update { name, .. } | GsiUpdate::Delete { name } => name,
        }
    }

    fn creates_or_deletes(&self) -> bool {
        !matches!(self, GsiUpdate::Update { .. })
    }
}

#[derive(Clone, Debug, Default)]
pub struct TableUpdate {
    pub name: String,
    pub attribute_definitions: Vec<(String, ScalarType)>,
    pub billing_mode: Option<BillingMode>,
    pub throughput: Option<Throughput>,
    pub gsi_updates: Option<Vec<GsiUpdate>>,
    pub deletion_protection: Option<bool>,
    pub table_class: Option<String>,
    pub stream: Option<crate::StreamSpecification>,
    pub on_demand: Option<OnDemandRequest>,
    pub warm: Option<WarmRequest>,
}

/// A key schema as DynamoDB prints it in its redefinition fault (Alternator's suite, run against AWS):
/// `Schema:[SchemaElement: key{xyz:S:HASH}]`, elements joined as a Java list is.
fn described_schema(key: &KeySchema) -> String {
    let element = |attr: &KeyAttribute, role: &str| {
        format!("SchemaElement: key{{{}:{}:{role}}}", attr.name, attr.scalar)
    };
    let elements: Vec<String> = key
        .hash_attributes()
        .map(|a| element(a, "HASH"))
        .chain(key.range_attributes().map(|a| element(a, "RANGE")))
        .collect();
    format!("Schema:[{}]", elements.join(", "))
}

fn invalid(msg: impl AsRef<str>) -> DynamoError {
    DynamoError::validation(format!(
        "One or more parameter values were invalid: {}",
        msg.as_ref()
    ))
}

fn index_not_found(index: &str, table: &str) -> DynamoError {
    DynamoError::ResourceNotFound(format!(
        "Requested resource not found: Index {index} for table {table}"
    ))
}

/// UpdateTable's checks of the request alone, made before the table is looked up (as DynamoDB does): something
/// must change, deletion protection and the table class change alone, and index, stream and throughput changes
/// are not mixed.
/// Raises a table's warm throughput (`WarmThroughput`): recorded and reported, as eddy never throttles.
fn apply_warm(def: &mut TableDef, asked: WarmRequest) -> Result<(), DynamoError> {
    def.warm_high_water = Some(raised_warm(def.warm_throughput(), asked)?);
    Ok(())
}

/// The warm throughput of a table or index that has `current` and is asked for `asked`, as DynamoDB takes it
/// (Alternator's suite, run against AWS): a rate left out keeps what it has; neither may be under what every
/// table starts with (12 000 reads, 4 000 writes a second) nor under what it has now, for warm throughput only
/// rises. The refusals' words are eddy's; AWS's are recorded only in part.
fn raised_warm(current: Throughput, asked: WarmRequest) -> Result<Throughput, DynamoError> {
    let baseline = Throughput::ON_DEMAND_WARM;
    for (unit, value, minimum, now) in [
        (
            "ReadUnitsPerSecond",
            asked.read,
            baseline.read,
            current.read,
        ),
        (
            "WriteUnitsPerSecond",
            asked.write,
            baseline.write,
            current.write,
        ),
    ] {
        let Some(value) = value else { continue };
        if value < minimum {
            return Err(invalid(format!(
                "{unit} of WarmThroughput {value} is lower than the minimum of {minimum}"
            )));
        }
        if value < now {
            return Err(invalid(format!(
                "{unit} of WarmThroughput {value} is lower than current WarmThroughput {now}"
            )));
        }
    }
    Ok(Throughput {
        read: asked.read.unwrap_or(current.read),
        write: asked.write.unwrap_or(current.write),
    }
    .max_each(current))
}

fn check_update_shape(req: &TableUpdate) -> Result<(), DynamoError> {
    let gsi_updates = req.gsi_updates.as_deref().unwrap_or_default();
    let changes = [
        req.billing_mode.is_some(),
        req.throughput.is_some(),
        !gsi_updates.is_empty(),
        req.stream.is_some(),
        req.deletion_protection.is_some(),
        req.table_class.is_some(),
        req.on_demand.is_some(),
        req.warm.is_some(),
    ]
    .into_iter()
    .filter(|changed| *changed)
    .count();
    if changes == 0 {
        return Err(DynamoError::validation(
            "At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates, SSESpecification, ReplicaUpdates, MultiAccountReplicaReady, ReplicaTransitRoleArn, MultiRegionConsistency, DeletionProtectionEnabled, OnDemandThroughput, WarmThroughput or TableClass is required",
        ));
    }
    if req.billing_mode == Some(BillingMode::Provisioned) && req.throughput.is_none() {
        return Err(invalid(
            "ProvisionedThroughput must be specified when BillingMode is PROVISIONED",
        ));
    }
    if req.gsi_updates.as_ref().is_some_and(Vec::is_empty) {
        return Err(invalid("List of GlobalSecondaryIndexUpdates is empty"));
    }
    if req.table_class.is_some() && changes > 1 {
        return Err(invalid(
            "TableClass modification must be the only operation in the request",
        ));
    }
    if req.deletion_protection.is_some() && changes > 1 {
        return Err(invalid(
            "DeletionProtection modification must be the only operation in the request",
        ));
    }
    let with_billing = usize::from(req.billing_mode.is_some());
    if req.on_demand.is_some() && changes > 1 + with_billing {
        return Err(invalid(
            "OnDemandThroughput can only be combined with BillingMode in an UpdateTable request",
        ));
    }
    let index_changes = gsi_updates
        .iter()
        .filter(|u| u.creates_or_deletes())
        .count();
    if index_changes > 0 && req.throughput.is_some() {
        return Err(invalid(
            "You cannot create or delete index while updating table IOPS",
        ));
    }
    if index_changes > 0 && req.stream.is_some() {
        return Err(invalid(
            "You cannot create or delete index while changing stream status",
        ));
    }
    if req.stream.is_some() && req.throughput.is_some() {
        return Err(invalid(
            "You cannot modify stream status while updating table IOPS",
        ));
    }
    for (i, update) in gsi_updates.iter().enumerate() {
        let name = update.index_name();
        if gsi_updates[..i].iter().any(|u| u.index_name() == name) {
            return Err(invalid(format!(
                "Only one global secondary index update per index is allowed simultaneously. Index: {name}"
            )));
        }
    }
    if index_changes > 1 {
        return Err(DynamoError::LimitExceeded(
            "Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table"
                .into(),
        ));
    }
    Ok(())
}

fn table_not_found(name: &str) -> DynamoError {
    DynamoError::ResourceNotFound(format!(
        "Requested resource not found: Table: {name} not found"
    ))
}

/// A table's or LSI's key has at most two elements; DynamoDB refuses more as a constraint of the request,
/// rendering the list as Java records.
fn check_key_length(elements: &[(String, String)], path: &str) -> Result<(), DynamoError> {
    if elements.len() <= 2 {
        return Ok(());
    }
    let rendered: Vec<String> = elements
        .iter()
        .map(|(name, kind)| format!("KeySchemaElement(attributeName={name}, keyType={kind})"))
        .collect();
    Err(DynamoError::validation(format!(
        "1 validation error detected: Value '[{}]' at '{path}' failed to satisfy constraint: Member must have length less than or equal to 2",
        rendered.join(", ")
    )))
}

/// Every key attribute must be among the attribute definitions.
fn check_defined(names: &[&str], defs: &[(String, ScalarType)]) -> Result<(), DynamoError> {
    if names
        .iter()
        .all(|n| defs.iter().any(|(defined, _)| defined == n))
    {
        return Ok(());
    }
    let defined: Vec<&str> = defs.iter().map(|(n, _)| n.as_str()).collect();
    Err(invalid(format!(
        "Some index key attributes are not defined in AttributeDefinitions. Keys: [{}], AttributeDefinitions: [{}]",
        names.join(", "),
        defined.join(", ")
    )))
}

/// A key attribute with its defined type (the definitions were checked to hold it).
fn key_attribute(name: &str, defs: &[(String, ScalarType)]) -> KeyAttribute {
    KeyAttribute {
        name: name.to_string(),
        scalar: defs
            .iter()
            .find(|(n, _)| n == name)
            .map_or(ScalarType::S, |(_, t)| *t),
    }
}

fn first_element_not_hash() -> DynamoError {
    DynamoError::validation("Invalid KeySchema: The first KeySchemaElement is not a HASH key type")
}

/// Builds a key schema from (name, key type) pairs, checking DynamoDB's rules.
fn build_key_schema(
    elements: &[(String, String)],
    defs: &[(String, ScalarType)],
) -> Result<KeySchema, DynamoError> {
    let names: Vec<&str> = elements.iter().map(|(n, _)| n.as_str()).collect();
    check_defined(&names, defs)?;
    if elements.len() == 2 && elements[0].0 == elements[1].0 {
        return Err(DynamoError::validation(
            "Both the Hash Key and the Range Key element in the KeySchema have the same name",
        ));
    }
    let Some((hash_name, hash_type)) = elements.first() else {
        return Err(first_element_not_hash());
    };
    if hash_type != "HASH" {
        return Err(first_element_not_hash());
    }
    if let Some((_, range_type)) = elements.get(1)
        && range_type != "RANGE"
    {
        return Err(DynamoError::validation(
            "Invalid KeySchema: The second KeySchemaElement is not a RANGE key type",
        ));
    }
    Ok(KeySchema {
        hash: key_attribute(hash_name, defs),
        range: elements.get(1).map(|(n, _)| key_attribute(n, defs)),
        more_hash: Vec::new(),
        more_range: Vec::new(),
    })
}

/// Builds a global secondary index's multi-attribute key (more than two elements): one to four HASH
/// attributes, then up to four RANGE attributes, each named once. DynamoDB's texts for these faults are not
/// recorded; eddy's own follow the wording of the two-element ones.
fn build_multi_attribute_key(
    elements: &[(String, String)],
    defs: &[(String, ScalarType)],
) -> Result<KeySchema, DynamoError> {
    let names: Vec<&str> = elements.iter().map(|(n, _)| n.as_str()).collect();
    check_defined(&names, defs)?;
    if let Some(repeated) = names
        .iter()
        .enumerate()
        .find_map(|(i, n)| names[..i].contains(n).then_some(*n))
    {
        return Err(DynamoError::validation(format!(
            "Invalid KeySchema: The attribute {repeated} is named by more than one KeySchemaElement"
        )));
    }
    if elements.first().is_none_or(|(_, kind)| kind != "HASH") {
        return Err(first_element_not_hash());
    }
    let hash_count = elements
        .iter()
        .take_while(|(_, kind)| kind == "HASH")
        .count();
    if elements[hash_count..]
        .iter()
        .any(|(_, kind)| kind != "RANGE")
    {
        return Err(DynamoError::validation(
            "Invalid KeySchema: Every HASH KeySchemaElement must come before the RANGE KeySchemaElements",
        ));
    }
    let range_count = elements.len() - hash_count;
    for (count, role) in [(hash_count, "HASH"), (range_count, "RANGE")] {
        if count > MAX_KEY_ATTRIBUTES_PER_ROLE {
            return Err(DynamoError::validation(format!(
                "Invalid KeySchema: A global secondary index key can have at most {MAX_KEY_ATTRIBUTES_PER_ROLE} {role} KeySchemaElements, but {count} were given"
            )));
        }
    }
    let attr = |(name, _): &(String, String)| key_attribute(name, defs);
    let (hashes, ranges) = elements.split_at(hash_count);
    let Some((first_hash, more_hash)) = hashes.split_first() else {
        return Err(first_element_not_hash());
    };
    Ok(KeySchema {
        hash: attr(first_hash),
        more_hash: more_hash.iter().map(attr).collect(),
        range: ranges.first().map(attr),
        more_range: ranges.iter().skip(1).map(attr).collect(),
    })
}

fn build_projection(spec: &IndexSpec) -> Result<ProjectionType, DynamoError> {
    let Some(ty) = spec.projection_type.as_deref() else {
        return Err(invalid("Unknown ProjectionType: null"));
    };
    if spec.non_key_attributes.is_some() && ty != "INCLUDE" {
        return Err(invalid(format!(
            "ProjectionType is {ty}, but NonKeyAttributes is specified"
        )));
    }
    if spec.non_key_attributes.is_none() && ty == "INCLUDE" {
        return Err(invalid(
            "ProjectionType is INCLUDE, but NonKeyAttributes is not specified",
        ));
    }
    let names = spec.non_key_attributes.as_deref().unwrap_or_default();
    for (i, name) in names.iter().enumerate() {
        if names[..i].contains(name) {
            return Err(invalid(format!(
                "Duplicate element in NonKeyAttributes: {name}"
            )));
        }
    }
    Ok(match ty {
        "ALL" => ProjectionType::All,
        "KEYS_ONLY" => ProjectionType::KeysOnly,
        _ => ProjectionType::Include(spec.non_key_attributes.clone().unwrap_or_default()),
    })
}

fn check_throughput(t: &Throughput) -> Result<(), DynamoError> {
    if t.read > 1_000_000_000_000 {
        return Err(DynamoError::validation(format!(
            "Given value {} for ReadCapacityUnits is out of bounds",
            t.read
        )));
    }
    if t.write > 1_000_000_000_000 {
        return Err(DynamoError::validation(format!(
            "Given value {} for WriteCapacityUnits is out of bounds",
            t.write
        )));
    }
    Ok(())
}

/// Checks a whole CreateTable request and returns the definition it describes (ids not yet assigned).
fn plan_table(scope: &Scope, req: &CreateTable, now_ms: i64) -> Result<TableDef, DynamoError> {
    let billing = req.billing_mode.unwrap_or(BillingMode::Provisioned);
    match billing {
        BillingMode::PayPerRequest if req.throughput.is_some() => {
            return Err(invalid(
                "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST",
            ));
        }
        BillingMode::Provisioned if req.throughput.is_none() => {
            return Err(invalid(
                "ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED",
            ));
        }
        _ => {}
    }
    if let Some(t) = &req.throughput {
        check_throughput(t)?;
    }
    let on_demand = match &req.on_demand {
        Some(r) => r.apply(None, billing, OnDemandTarget::Table, false)?,
        None => None,
    };
    // Constraints of the request itself come before the rules that relate its parts.
    check_key_length(&req.key_schema, "keySchema")?;
    for (i, spec) in req.lsis.iter().flatten().enumerate() {
        let path = format!("localSecondaryIndexes.{}.member.keySchema", i + 1);
        check_key_length(&spec.key_schema, &path)?;
    }
    let defs = &req.attribute_definitions;
    for (i, (name, _)) in defs.iter().enumerate() {
        if defs[..i].iter().any(|(earlier, _)| earlier == name) {
            return Err(DynamoError::validation(format!(
                "Attribute Name is duplicated: {name}"
            )));
        }
    }
    if req.key_schema.len() > defs.len() {
        return Err(DynamoError::validation(
            "Invalid KeySchema: Some index key attribute have no definition",
        ));
    }
    let key = build_key_schema(&req.key_schema, defs)?;
    let has_indexes = req.gsis.is_some() || req.lsis.is_some();
    if !has_indexes && req.key_schema.len() != defs.len() {
        return Err(invalid(
            "Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions",
        ));
    }
    let mut index_names: Vec<String> = Vec::new();
    let mut lsis = Vec::new();
    if let Some(specs) = &req.lsis {
        if specs.is_empty() {
            return Err(invalid("List of LocalSecondaryIndexes is empty"));
        }
        if key.range.is_none() {
            return Err(invalid(
                "Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex",
            ));
        }
        for spec in specs {
            let index_key = build_key_schema(&spec.key_schema, defs)?;
            if index_key.range.is_none() {
                return Err(invalid(format!(
                    "Index KeySchema does not have a range key for index: {}",
                    spec.name
                )));
            }
            if index_key.hash.name != key.hash.name {
                return Err(invalid(format!(
                    "Index KeySchema does not have the same leading hash key as table KeySchema for index: {}. index hash key: {}, table hash key: {}",
                    spec.name, index_key.hash.name, key.hash.name
                )));
            }
            let projection = build_projection(spec)?;
            if index_names.contains(&spec.name) {
                return Err(invalid(format!("Duplicate index name: {}", spec.name)));
            }
            index_names.push(spec.name.clone());
            lsis.push(IndexDef {
                id: 0,
                name: spec.name.clone(),
                kind: IndexKind::Local,
                key: index_key,
                projection,
                throughput: None,
                throughput_changes: ThroughputChanges::default(),
                warm_high_water: None,
                on_demand: None,
                ties: TieOrder::TableKey,
            });
        }
        if specs.len() > 5 {
            return Err(invalid(
                "Number of LocalSecondaryIndexes exceeds per-table limit of 5",
            ));
        }
    }
    let mut gsis = Vec::new();
    if let Some(specs) = &req.gsis {
        if specs.is_empty() {
            return Err(invalid("List of GlobalSecondaryIndexes is empty"));
        }
        for spec in specs {
            gsis.push(plan_gsi(spec, defs, billing, GsiOrigin::CreateTable)?);
            if index_names.contains(&spec.name) {
                return Err(invalid(format!("Duplicate index name: {}", spec.name)));
            }
            index_names.push(spec.name.clone());
        }
        if specs.len() > 20 {
            return Err(invalid(
                "GlobalSecondaryIndex count exceeds the per-table limit of 20",
            ));
        }
    }
    if has_indexes {
        check_all_definitions_used(defs, &key, lsis.iter().chain(gsis.iter()))?;
    }
    Ok(TableDef {
        id: 0,
        account: scope.account.to_string(),
        region: scope.region.to_string(),
        name: req.name.clone(),
        key,
        attribute_definitions: defs.clone(),
        created_ms: now_ms,
        billing,
        throughput: req.throughput,
        gsis,
        lsis,
        ttl: None,
        tags: req.tags.iter().cloned().collect(),
        stream: None,
        deletion_protection: req.deletion_protection.unwrap_or(false),
        table_class: req.table_class.clone(),
        billing_changed_ms: (billing == BillingMode::PayPerRequest).then_some(now_ms),
        table_class_changed_ms: None,
        throughput_changes: ThroughputChanges::default(),
        partition_hash: PartitionHashScheme::Dynamo,
        warm_high_water: None,
        on_demand,
    })
}

/// The request a GSI is created by: DynamoDB words the same faults differently in each.
#[derive(Clone, Copy, PartialEq, Eq)]
enum GsiOrigin {
    CreateTable,
    UpdateTable,
}

fn plan_gsi(
    spec: &IndexSpec,
    defs: &[(String, ScalarType)],
    billing: BillingMode,
    origin: GsiOrigin,
) -> Result<IndexDef, DynamoError> {
    let name = &spec.name;
    // Two HASH elements (and no RANGE) make a multi-attribute key too.
    let two_hashes = matches!(spec.key_schema.as_slice(), [_, (_, second)] if second == "HASH");
    let index_key = if spec.key_schema.len() > 2 || two_hashes {
        build_multi_attribute_key(&spec.key_schema, defs)?
    } else {
        build_key_schema(&spec.key_schema, defs)?
    };
    let projection = build_projection(spec)?;
    let refusal = match (billing, spec.throughput.is_some(), origin) {
        (BillingMode::PayPerRequest, true, GsiOrigin::CreateTable) => Some(format!(
            "ProvisionedThroughput should not be specified for index: {name} when BillingMode is PAY_PER_REQUEST"
        )),
        (BillingMode::PayPerRequest, true, GsiOrigin::UpdateTable) => Some(format!(
            "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified for index: {name} when BillingMode is PAY_PER_REQUEST"
        )),
        (BillingMode::Provisioned, false, GsiOrigin::CreateTable) => Some(format!(
            "ProvisionedThroughput is not specified for index: {name}"
        )),
        (BillingMode::Provisioned, false, GsiOrigin::UpdateTable) => Some(format!(
            "Both ReadCapacityUnits and WriteCapacityUnits must be specified for index: {name}"
        )),
        _ => None,
    };
    if let Some(message) = refusal {
        return Err(invalid(message));
    }
    if let Some(t) = &spec.throughput {
        check_throughput(t)?;
    }
    let on_demand = match &spec.on_demand {
        Some(r) => r.apply(None, billing, OnDemandTarget::Index(name), false)?,
        None => None,
    };
    let warm_high_water = match spec.warm {
        Some(asked) => Some(raised_warm(
            Throughput::warm(None, billing, spec.throughput),
            asked,
        )?),
        None => None,
    };
    Ok(IndexDef {
        id: 0,
        name: spec.name.clone(),
        kind: IndexKind::Global,
        key: index_key,
        projection,
        throughput: spec.throughput,
        throughput_changes: ThroughputChanges::default(),
        warm_high_water,
        on_demand,
        ties: TieOrder::TableScheme,
    })
}

fn check_all_definitions_used<'a>(
    defs: &[(String, ScalarType)],
    key: &KeySchema,
    indexes: impl Iterator<Item = &'a IndexDef>,
) -> Result<(), DynamoError> {
    let mut used: Vec<String> = key.attributes().map(|a| a.name.clone()).collect();
    for index in indexes {
        used.extend(index.key.attributes().map(|a| a.name.clone()));
    }
    used.sort();
    used.dedup();
    let mut defined: Vec<String> = defs.iter().map(|(n, _)| n.clone()).collect();
    defined.sort();
    if defined.len() > used.len() {
        return Err(invalid(format!(
            "Some AttributeDefinitions are not used. AttributeDefinitions: [{}], keys used: [{}]",
            defined.join(", "),
            used.join(", ")
        )));
    }
    Ok(())
}

impl Store {
    pub async fn create_table(
        &self,
        scope: &Scope,
        req: CreateTable,
    ) -> Result<Arc<Table>, DynamoError> {
        let mut def = plan_table(scope, &req, self.inner.clock.now_ms())?;
        if let Some(warm) = req.warm {
            apply_warm(&mut def, warm)?;
        }
        let stream = req.stream.clone();
        if let Some(spec) = &stream {
            crate::stream::check_create_spec(spec)?;
        }
        let (store, scope) = (self.clone(), scope.clone());
        self.inner
            .writer
            .run(move |ctx| {
                if store.inner.catalog.read().get(&scope, &def.name).is_some() {
                    return Err(DynamoError::ResourceInUse(format!(
                        "Table already exists: {}",
                        def.name
                    )));
                }
                def.id = store.inner.allocate_id(ctx);
                for index in def.gsis.iter_mut().chain(def.lsis.iter_mut()) {
                    index.id = store.inner.allocate_id(ctx);
                }
                if let Some(spec) = stream.filter(|s| s.enabled) {
                    crate::stream::enable(&store, ctx, &mut def, &spec)?;
                }
                let table = Arc::new(Table {
                    def,
                    stats: Arc::new(TableStats::default()),
                });
                stage_def(ctx, &table.def)?;
                store.inner.catalog.write().insert(table.clone());
                Ok(table)
            })
            .await
    }

    pub fn describe_table(&self, scope: &Scope, name: &str) -> Result<Arc<Table>, DynamoError> {
        self.inner
            .catalog
            .read()
            .get(scope, name)
            .ok_or_else(|| table_not_found(name))
    }

    /// ListTables: names after `exclusive_start`, at most `limit`, and the last name if there are more.
    pub fn list_tables(
        &self,
        scope: &Scope,
        exclusive_start: Option<&str>,
        limit: usize,
    ) -> (Vec<String>, Option<String>) {
        let names = self.inner.catalog.read().names(scope);
        let start = match exclusive_start {
            Some(s) => names.partition_point(|n| n.as_str() <= s),
            None => 0,
        };
        let page: Vec<String> = names[start..].iter().take(limit).cloned().collect();
        let more = start + page.len() < names.len();
        let last = if more { page.last().cloned() } else { None };
        (page, last)
    }

    pub async fn delete_table(&self, scope: &Scope, name: &str) -> Result<Arc<Table>, DynamoError> {
        let (store, scope, name) = (self.clone(), scope.clone(), name.to_string());
        // A TTL change rewrites the TTL entries of every item.
        self.inner
            .writer
            .run_long(move |ctx| {
                let table = store.inner.catalog.read().get(&scope, &name).ok_or_else(|| table_not_found(&name))?;
                if table.def.deletion_protection {
                    return Err(DynamoError::validation(
                        "Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first.",
                    ));
                }
                crate::stream::on_table_deleted(&store, ctx, &table.def)?;
                ctx.stage(Mutation::Delete(Space::Meta, layout::meta_table_key(table.def.id)));
                ctx.stage(Mutation::Delete(Space::Meta, layout::meta_stats_key(table.def.id)));
                for id in std::iter::once(table.def.id).chain(table.def.indexes().map(|i| i.id)) {
                    ctx.stage(Mutation::Put(Space::Meta, layout::meta_purge_key(id), Vec::new()));
                }
                store.inner.catalog.write().remove(&scope, &name);
                store.inner.dirty_stats.lock().retain(|(id, _)| *id != table.def.id);
                Ok(table)
            })
            .await
    }

    pub async fn update_table(
        &self,
        scope: &Scope,
        req: TableUpdate,
    ) -> Result<Arc<Table>, DynamoError> {
        check_update_shape(&req)?;
        let (store, scope) = (self.clone(), scope.clone());
        let now = self.inner.clock.now_ms();
        // A new index is backfilled from every item of the table.
        self.inner
            .writer
            .run_long(move |ctx| {
                let table = store
                    .inner
                    .catalog
                    .read()
                    .get(&scope, &req.name)
                    .ok_or_else(|| table_not_found(&req.name))?;
                let mut def = table.def.clone();
                def.remember_warm_throughput();
                apply_billing_update(&mut def, &req, now)?;
                if let Some(request) = &req.on_demand {
                    def.on_demand =
                        request.apply(def.on_demand, def.billing, OnDemandTarget::Table, true)?;
                }
                let mut backfill = Vec::new();
                if let Some(updates) = &req.gsi_updates {
                    for update in updates {
                        if let Some(new_index) =
                            apply_gsi_update(&store, ctx, &mut def, &req, update)?
                        {
                            backfill.push(new_index);
                        }
                    }
                }
                let unprovisioned: Vec<&str> = def
                    .gsis
                    .iter()
                    .filter(|g| g.throughput.is_none())
                    .map(|g| g.name.as_str())
                    .collect();
                if def.billing == BillingMode::Provisioned && !unprovisioned.is_empty() {
                    return Err(invalid(format!(
                        "ProvisionedThroughput must be specified for index: {}",
                        unprovisioned.join(",")
                    )));
                }
                if let Some(warm) = req.warm {
                    apply_warm(&mut def, warm)?;
                }
                if let Some(flag) = req.deletion_protection {
                    def.deletion_protection = flag;
                }
                // STANDARD on a table that never had a class changes nothing, as on DynamoDB.
                if let Some(class) = &req.table_class
                    && (def.table_class.is_some() || class != "STANDARD")
                {
                    if def.table_class.as_deref().unwrap_or("STANDARD") != class {
                        def.table_class_changed_ms = Some(now);
                    }
                    def.table_class = Some(class.clone());
                }
                if let Some(spec) = &req.stream {
                    crate::stream::update(&store, ctx, &mut def, spec)?;
                }
                let mut backfilled = Vec::new();
                for index in &backfill {
                    backfilled.push((index.id, backfill_index(ctx, &def, index)?));
                }
                stage_def(ctx, &def)?;
                // The counters change only once nothing can fail any more.
                table
                    .stats
                    .retain_indexes(|id| def.indexes().any(|i| i.id == id));
                for (id, (count, bytes)) in backfilled {
                    table.stats.add_to_index(id, count, bytes);
                }
                store.inner.mark_stats_dirty(&table);
                let updated = Arc::new(Table {
                    def,
                    stats: table.stats.clone(),
                });
                store.inner.catalog.write().insert(updated.clone());
                Ok(updated)
            })
            .await
    }

    /// Applies a change to a table's definition inside a writer job (TTL, tags, …).
    pub(crate) async fn modify_table<T: Send + 'static>(
        &self,
        scope: &Scope,
        name: &str,
        change: impl FnOnce(&mut TableDef, &mut WriteCtx) -> Result<T, DynamoError> + Send + 'static,
    ) -> Result<T, DynamoError> {
        let (store, scope, name) = (self.clone(), scope.clone(), name.to_string());
        // A TTL change rewrites the TTL entries of every item.
        self.inner
            .writer
            .run_long(move |ctx| {
                let table = store
                    .inner
                    .catalog
                    .read()
                    .get(&scope, &name)
                    .ok_or_else(|| table_not_found(&name))?;
                let mut def = table.def.clone();
                let out = change(&mut def, ctx)?;
                stage_def(ctx, &def)?;
                store.inner.catalog.write().insert(Arc::new(Table {
                    def,
                    stats: table.stats.clone(),
                }));
                Ok(out)
            })
            .await
    }

    /// UpdateTimeToLive. Returns the new setting. A change within the hour after the last one is refused, as
    /// DynamoDB refuses it (the checks of the current setting come first).
    pub async fn update_ttl(
        &self,
        scope: &Scope,
        name: &str,
        attribute: String,
        enabled: bool,
    ) -> Result<TtlSetting, DynamoError> {
        let now_ms = self.clock().now_ms();
        self.modify_table(scope, name, move |def, ctx| {
            match def.ttl.as_ref().filter(|t| t.enabled) {
                Some(current) if current.attribute != attribute => {
                    return Err(DynamoError::validation(format!(
                        "TimeToLive is active on a different AttributeName: current AttributeName is {}",
                        current.attribute
                    )));
                }
                Some(_) if enabled => {
                    return Err(DynamoError::validation("TimeToLive is already enabled"));
                }
                None if !enabled => {
                    return Err(DynamoError::validation("TimeToLive is already disabled"));
                }
                _ => {}
            }
            let last_change = def.ttl.as_ref().and_then(|t| t.changed_ms);
            if last_change.is_some_and(|at| now_ms - at < TTL_CHANGE_INTERVAL_MS) {
                return Err(DynamoError::validation(
                    "Time to live has been modified multiple times within a fixed interval",
                ));
            }
            let old = def.clone();
            let setting = TtlSetting {
                attribute,
                enabled,
                changed_ms: Some(now_ms),
            };
            def.ttl = Some(setting.clone());
            rebuild_ttl_entries(ctx, &old, def)?;
            Ok(setting)
        })
        .await
    }

    pub fn describe_ttl(
        &self,
        scope: &Scope,
        name: &str,
    ) -> Result<Option<TtlSetting>, DynamoError> {
        Ok(self.describe_table(scope, name)?.def.ttl.clone())
    }

    pub async fn tag_table(
        &self,
        scope: &Scope,
        name: &str,
        tags: Vec<(String, String)>,
    ) -> Result<(), DynamoError> {
        self.modify_table(scope, name, move |def, _| {
            for (k, v) in tags {
                def.tags.insert(k, v);
            }
            if def.tags.len() > 50 {
                return Err(DynamoError::validation(
                    "Number of Tags exceed the current limit for the provided ResourceArn",
                ));
            }
            Ok(())
        })
        .await
    }

    pub async fn untag_table(
        &self,
        scope: &Scope,
        name: &str,
        keys: Vec<String>,
    ) -> Result<(), DynamoError> {
        self.modify_table(scope, name, move |def, _| {
            for k in keys {
                def.tags.remove(&k);
            }
            Ok(())
        })
        .await
    }

    pub fn table_tags(
        &self,
        scope: &Scope,
        name: &str,
    ) -> Result<BTreeMap<String, String>, DynamoError> {
        Ok(self.describe_table(scope, name)?.def.tags.clone())
    }
}

pub(crate) fn stage_def(ctx: &mut WriteCtx, def: &TableDef) -> Result<(), DynamoError> {
    let json = serde_json::to_vec(def).map_err(|e| DynamoError::Internal(e.to_string()))?;
    ctx.stage(Mutation::Put(
        Space::Meta,
        layout::meta_table_key(def.id),
        json,
    ));
    Ok(())
}

fn apply_billing_update(
    def: &mut TableDef,
    req: &TableUpdate,
    now: i64,
) -> Result<(), DynamoError> {
    let billing = req.billing_mode.unwrap_or(def.billing);
    if billing == BillingMode::PayPerRequest && req.throughput.is_some() {
        return Err(invalid(
            "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST",
        ));
    }
    if let Some(t) = &req.throughput {
        check_throughput(t)?;
        if def.throughput.as_ref() == Some(t) {
            return Err(DynamoError::validation(format!(
                "The provisioned throughput for the table will not change. The requested value equals the current value. Current ReadCapacityUnits provisioned for the table: {}. Requested ReadCapacityUnits: {}. Current WriteCapacityUnits provisioned for the table: {}. Requested WriteCapacityUnits: {}. Refer to the Amazon DynamoDB Developer Guide for current limits and how to request higher limits.",
                t.read, t.read, t.write, t.write
            )));
        }
    }
    if billing != def.billing {
        def.billing_changed_ms = Some(now);
        // A switch of billing mode drops the on-demand limits of the table and its indexes.
        def.on_demand = None;
        for gsi in &mut def.gsis {
            gsi.on_demand = None;
        }
    }
    def.billing = billing;
    let throughput = match billing {
        BillingMode::PayPerRequest => None,
        BillingMode::Provisioned => req.throughput.or(def.throughput),
    };
    if let Some(new) = throughput {
        def.throughput_changes.record(def.throughput, new, now);
    }
    def.throughput = throughput;
    if billing == BillingMode::PayPerRequest {
        for gsi in &mut def.gsis {
            gsi.throughput = None;
        }
    }
    Ok(())
}

/// Applies one GSI update to `def`; returns a new index that needs backfilling.
fn apply_gsi_update(
    store: &Store,
    ctx: &mut WriteCtx,
    def: &mut TableDef,
    req: &TableUpdate,
    update: &GsiUpdate,
) -> Result<Option<IndexDef>, DynamoError> {
    match update {
        GsiUpdate::Create(spec) => {
            if def.index(&spec.name).is_some() {
                return Err(DynamoError::validation(
                    "Attempting to create an index which already exists",
                ));
            }
            if req.attribute_definitions.is_empty() {
                return Err(invalid(format!(
                    "AttributeDefinitions is not specified for index: {}",
                    spec.name
                )));
            }
            // The new index's key attributes must be defined in this request's AttributeDefinitions, even those
            // the table already has; the request's other definitions are ignored, a conflicting one too
            // (paritysuite, updateTable/gsi, AWS-verified).
            let mut index = plan_gsi(
                spec,
                &req.attribute_definitions,
                def.billing,
                GsiOrigin::UpdateTable,
            )?;
            let mut defs = def.attribute_definitions.clone();
            for attr in index.key.attributes() {
                match defs.iter().find(|(n, _)| *n == attr.name) {
                    Some((_, existing)) if *existing != attr.scalar => {
                        let existing_schema = std::iter::once(&def.key)
                            .chain(def.indexes().map(|i| &i.key))
                            .find(|k| k.is_key_attribute(&attr.name))
                            .unwrap_or(&def.key);
                        return Err(invalid(format!(
                            "Attributes cannot be redefined. Please check that your attribute has the same type as previously defined. Existing schema: {} New schema: {}",
                            described_schema(existing_schema),
                            described_schema(&index.key)
                        )));
                    }
                    Some(_) => {}
                    None => defs.push((attr.name.clone(), attr.scalar)),
                }
            }
            if def.gsis.len() >= 20 {
                return Err(DynamoError::LimitExceeded(
                    "Subscriber limit exceeded: Number of global secondary indexes exceeds per-table limit of 20"
                        .into(),
                ));
            }
            index.id = store.inner.allocate_id(ctx);
            def.attribute_definitions = defs;
            def.gsis.push(index.clone());
            Ok(Some(index))
        }
        GsiUpdate::Update {
            name,
            throughput,
            on_demand,
            warm,
        } => {
            if def.lsis.iter().any(|i| &i.name == name) {
                return Err(DynamoError::validation(format!(
                    "Cannot update an index that is not a GlobalSecondaryIndex: {name}"
                )));
            }
            let billing = def.billing;
            let Some(index) = def.gsis.iter_mut().find(|i| &i.name == name) else {
                return Err(index_not_found(name, &def.name));
            };
            if let Some(asked) = warm {
                let current = Throughput::warm(index.warm_high_water, billing, index.throughput);
                index.warm_high_water = Some(raised_warm(current, *asked)?);
                if throughput.is_none() && on_demand.is_none() {
                    return Ok(None);
                }
            }
            if let Some(request) = on_demand {
                index.on_demand =
                    request.apply(index.on_demand, billing, OnDemandTarget::Index(name), true)?;
                if throughput.is_none() {
                    return Ok(None);
                }
            }
            // An update that changes nothing is refused, never accepted and ignored.
            if billing == BillingMode::PayPerRequest {
                return Err(invalid(format!(
                    "The only Updates for index: {name} when TableThroughputMode is PAY_PER_REQUEST can be to OnDemandThroughput, WarmThroughput"
                )));
            }
            let Some(t) = throughput else {
                return Err(invalid(format!(
                    "ProvisionedThroughput must be specified for index: {name}"
                )));
            };
            check_throughput(t)?;
            if index.throughput.as_ref() == Some(t) {
                return Err(DynamoError::validation(format!(
                    "The provisioned throughput for the index {name} will not change. The requested value equals the current value. Current ReadCapacityUnits provisioned for index {name}: {}. Requested ReadCapacityUnits: {}. Current WriteCapacityUnits provisioned for index {name}: {}. Requested WriteCapacityUnits: {}. Refer to the Amazon DynamoDB Developer Guide for current limits and how to request higher limits.",
                    t.read, t.read, t.write, t.write
                )));
            }
            let now = store.inner.clock.now_ms();
            index.throughput_changes.record(index.throughput, *t, now);
            index.throughput = Some(*t);
            Ok(None)
        }
        GsiUpdate::Delete { name } => {
            if def.lsis.iter().any(|i| &i.name == name) {
                return Err(DynamoError::validation(format!(
                    "Cannot delete an index that is not a GlobalSecondaryIndex: {name}"
                )));
            }
            let Some(pos) = def.gsis.iter().position(|i| &i.name == name) else {
                return Err(index_not_found(name, &def.name));
            };
            let index = def.gsis.remove(pos);
            ctx.stage(Mutation::Put(
                Space::Meta,
                layout::meta_purge_key(index.id),
                Vec::new(),
            ));
            // Attribute definitions no index or key uses any more are dropped, as DynamoDB does.
            let used = |n: &str| {
                def.key.is_key_attribute(n) || def.indexes().any(|i| i.key.is_key_attribute(n))
            };
            let keep: Vec<(String, ScalarType)> = def
                .attribute_definitions
                .iter()
                .filter(|(n, _)| used(n))
                .cloned()
                .collect();
            def.attribute_definitions = keep;
            Ok(None)
        }
    }
}

/// Writes the entries of a new index for every existing item of the table; returns their number and size.
fn backfill_index(
    ctx: &mut WriteCtx,
    def: &TableDef,
    index: &IndexDef,
) -> Result<(i64, i64), DynamoError> {
    let (mut count, mut bytes) = (0i64, 0i64);
    for_each_item(ctx, def.id, |ctx, _, item| {
        if let Some(entry) = index.project(&def.key, &item) {
            count += 1;
            bytes += eddy_model::item_size(&entry) as i64;
            let key = def.index_entry_key(index, &entry);
            ctx.stage(Mutation::Put(Space::Indexes, key, encode_item(&entry)));
        }
    })?;
    Ok((count, bytes))
}

/// Replaces the TTL entries of a table after its TTL setting changed.
fn rebuild_ttl_entries(
    ctx: &mut WriteCtx,
    old: &TableDef,
    new: &TableDef,
) -> Result<(), DynamoError> {
    let old_table = Table {
        def: old.clone(),
        stats: Arc::default(),
    };
    let new_table = Table {
        def: new.clone(),
        stats: Arc::default(),
    };
    for_each_item(ctx, new.id, |ctx, _, item| {
        if let Some(exp) = crate::items::ttl_expiry(&old_table, &item) {
            ctx.stage(Mutation::Delete(
                Space::Indexes,
                old.ttl_entry_key(exp, &item),
            ));
        }
        if let Some(exp) = crate::items::ttl_expiry(&new_table, &item) {
            ctx.stage(Mutation::Put(
                Space::Indexes,
                new.ttl_entry_key(exp, &item),
                Vec::new(),
            ));
        }
    })
}

/// Visits every item of a table in pages (inside a writer job).
fn for_each_item(
    ctx: &mut WriteCtx,
    table_id: u64,
    mut visit: impl FnMut(&mut WriteCtx, Vec<u8>, eddy_model::AttributeMap),
) -> Result<(), DynamoError> {
    let prefix = layout::id_prefix(table_id);
    let end = layout::prefix_end(&prefix);
    let mut cursor: Vec<u8> = prefix.to_vec();
    let mut inclusive = true;
    loop {
        let lower = if inclusive {
            std::ops::Bound::Included(cursor.as_slice())
        } else {
            std::ops::Bound::Excluded(cursor.as_slice())
        };
        let upper = match &end {
            Some(e) => std::ops::Bound::Excluded(e.as_slice()),
            None => std::ops::Bound::Unbounded,
        };
        let page = ctx
            .range(Space::Items, lower, upper, false, 512)
            .map_err(|e| DynamoError::Internal(e.to_string()))?;
        let Some((last, _)) = page.last() else {
            return Ok(());
        };
        let next = last.clone();
        for (k, v) in page {
            let item = decode_item(&v).map_err(|e| DynamoError::Internal(e.to_string()))?;
            visit(ctx, k, item);
        }
        cursor = next;
        inclusive = false;
    }
}

/// Removes the data of deleted tables and indexes, a page at a time, in the background.
pub(crate) fn spawn_purger(store: Store) {
    tokio::spawn(async move {
        loop {
            match purge_step(&store).await {
                Ok(true) => continue,
                Ok(false) => tokio::time::sleep(std::time::Duration::from_secs(2)).await,
                Err(e) => {
                    tracing::warn!("purging deleted table data failed: {e}");
                    tokio::time::sleep(std::time::Duration::from_secs(10)).await;
                }
            }
        }
    });
}

/// Deletes up to one page of a deleted table's or index's data; `Ok(true)` if there may be more to do.
async fn purge_step(store: &Store) -> Result<bool, DynamoError> {
    let backend = store.inner.backend.clone();
    let marks = backend
        .range(
            Space::Meta,
            std::ops::Bound::Included(b"purge/"),
            std::ops::Bound::Excluded(b"purge0"),
            false,
            1,
        )
        .map_err(|e| DynamoError::Internal(e.to_string()))?;
    let Some((mark, _)) = marks.into_iter().next() else {
        return Ok(false);
    };
    let Ok(id_bytes) = <[u8; 8]>::try_from(&mark[6..]) else {
        return Ok(false);
    };
    let prefix = layout::id_prefix(u64::from_be_bytes(id_bytes));
    let end = layout::prefix_end(&prefix);
    store
        .inner
        .writer
        .run(move |ctx| {
            let mut removed = 0;
            for space in [Space::Items, Space::Indexes] {
                let upper = match &end {
                    Some(e) => std::ops::Bound::Excluded(e.as_slice()),
                    None => std::ops::Bound::Unbounded,
                };
                let page = ctx
                    .range(
                        space,
                        std::ops::Bound::Included(prefix.as_slice()),
                        upper,
                        false,
                        1000,
                    )
                    .map_err(|e| DynamoError::Internal(e.to_string()))?;
                removed += page.len();
                for (k, _) in page {
                    ctx.stage(Mutation::Delete(space, k));
                }
            }
            if removed == 0 {
                ctx.stage(Mutation::Delete(Space::Meta, mark));
            }
            Ok(true)
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_tables_hash_as_dynamodb_does_and_stored_ones_keep_fnv() {
        let req = CreateTable {
            name: "t1".into(),
            attribute_definitions: vec![("pk".into(), ScalarType::S)],
            key_schema: vec![("pk".into(), "HASH".into())],
            billing_mode: Some(BillingMode::PayPerRequest),
            ..CreateTable::default()
        };
        let def = plan_table(&Scope::new("000000000000", "us-east-1"), &req, 0).expect("plan");
        assert_eq!(def.partition_hash, PartitionHashScheme::Dynamo);
        let mut stored = serde_json::to_value(&def).expect("encode");
        let fields = stored.as_object_mut().expect("object");
        assert!(fields.remove("partition_hash").is_some());
        let old: TableDef = serde_json::from_value(stored).expect("decode");
        assert_eq!(old.partition_hash, PartitionHashScheme::Fnv);
    }
}
