//! CreateTable: parse → `Store::create_table` → `{"TableDescription": …}`.

use super::Input;
use axum::body::Body;
use axum::http::Response;
use eddy_model::{DynamoError, ScalarType};
use eddy_store::{
    BillingMode, CreateTable, IndexSpec, OnDemandRequest, Store, StreamSpecification, Throughput,
    WarmRequest,
};
use serde::Deserialize;
use serde_json::{Value, json};

use super::wire::{TableReply, table_description, table_name};
use crate::protocol::awsjson;
use crate::protocol::context::RequestContext;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AttributeDefinition {
    pub attribute_name: String,
    pub attribute_type: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeySchemaElement {
    pub attribute_name: String,
    pub key_type: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ProvisionedThroughput {
    pub read_capacity_units: i64,
    pub write_capacity_units: i64,
}

impl From<&ProvisionedThroughput> for Throughput {
    fn from(p: &ProvisionedThroughput) -> Throughput {
        Throughput {
            read: p.read_capacity_units,
            write: p.write_capacity_units,
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct WireOnDemandThroughput {
    pub max_read_request_units: Option<i64>,
    pub max_write_request_units: Option<i64>,
}

/// An `OnDemandThroughput`; `{}` asks for nothing (DynamoDB drops it).
pub fn on_demand(wire: Option<&WireOnDemandThroughput>) -> Option<OnDemandRequest> {
    let wire = wire?;
    let request = OnDemandRequest {
        max_read: wire.max_read_request_units,
        max_write: wire.max_write_request_units,
    };
    (request != OnDemandRequest::default()).then_some(request)
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Projection {
    pub projection_type: Option<String>,
    pub non_key_attributes: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SecondaryIndex {
    pub index_name: String,
    pub key_schema: Vec<KeySchemaElement>,
    pub projection: Projection,
    pub provisioned_throughput: Option<ProvisionedThroughput>,
    pub on_demand_throughput: Option<WireOnDemandThroughput>,
    pub warm_throughput: Option<WireWarmThroughput>,
}

impl From<&SecondaryIndex> for IndexSpec {
    fn from(i: &SecondaryIndex) -> IndexSpec {
        IndexSpec {
            name: i.index_name.clone(),
            key_schema: key_pairs(&i.key_schema),
            projection_type: i.projection.projection_type.clone(),
            non_key_attributes: i.projection.non_key_attributes.clone(),
            throughput: i.provisioned_throughput.as_ref().map(Throughput::from),
            on_demand: on_demand(i.on_demand_throughput.as_ref()),
            warm: i.warm_throughput.as_ref().map(WarmRequest::from),
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct WireStreamSpecification {
    pub stream_enabled: bool,
    pub stream_view_type: Option<String>,
}

impl From<&WireStreamSpecification> for StreamSpecification {
    fn from(s: &WireStreamSpecification) -> StreamSpecification {
        StreamSpecification {
            enabled: s.stream_enabled,
            view_type: s.stream_view_type.clone(),
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Tag {
    key: Option<String>,
    value: Option<String>,
}

impl Tag {
    /// The key and value, as DynamoDB checks them (in its handler, not as constraints of the model).
    pub fn checked(self) -> Result<(String, String), DynamoError> {
        let key = checked_tag_key(self.key)?;
        let value = match self.value {
            Some(value) if is_tag_text(&value, 256) => value,
            Some(value) => {
                return Err(DynamoError::validation(format!(
                    "The Tag Value provided is invalid, Value: {value}"
                )));
            }
            None => {
                return Err(DynamoError::validation(
                    "The Tag Value provided is invalid, Value: null",
                ));
            }
        };
        Ok((key, value))
    }
}

/// The most tags a table carries.
pub const MAX_TAGS: usize = 50;

/// Tag text as AWS allows it: at most `max` characters, each a letter, digit, white space or one of `_.:/=+-@`.
fn is_tag_text(text: &str, max: usize) -> bool {
    text.chars().count() <= max
        && text
            .chars()
            .all(|c| c.is_alphanumeric() || c.is_whitespace() || "_.:/=+-@".contains(c))
}

/// A tag key: present, 1 to 128 allowed characters, not in the `aws:` name space.
pub fn checked_tag_key(key: Option<String>) -> Result<String, DynamoError> {
    let Some(key) = key else {
        return Err(DynamoError::validation(
            "The Tag Key provided is invalid, Key: null",
        ));
    };
    if key.is_empty() || !is_tag_text(&key, 128) {
        return Err(DynamoError::validation(format!(
            "The Tag Key provided is invalid, Key: {key}"
        )));
    }
    if key.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("aws:")) {
        return Err(DynamoError::validation(format!(
            "Tag Key cannot be prefixed with aws:, Key: {key}"
        )));
    }
    Ok(key)
}

/// Every tag of a request, checked: each tag, then repeated keys, then their number.
/// A `TableClass` as DynamoDB checks it: in the handler, with its own words, not as a model constraint
/// (Alternator's suite, run against AWS; the value is case-sensitive).
pub fn checked_table_class(class: Option<String>) -> Result<Option<String>, DynamoError> {
    match class.as_deref() {
        None | Some("STANDARD" | "STANDARD_INFREQUENT_ACCESS") => Ok(class),
        Some(_) => Err(DynamoError::validation(
            "Invalid table-class parameter provided. Please try again with a valid table-class value: [STANDARD, STANDARD_INFREQUENT_ACCESS].",
        )),
    }
}

pub fn checked_tags(tags: Vec<Tag>) -> Result<Vec<(String, String)>, DynamoError> {
    let tags = tags
        .into_iter()
        .map(Tag::checked)
        .collect::<Result<Vec<_>, _>>()?;
    for (i, (key, _)) in tags.iter().enumerate() {
        if tags[..i].iter().any(|(earlier, _)| earlier == key) {
            return Err(DynamoError::validation(format!(
                "Duplicate Tag Keys provided as input: Duplicate Tag Key found {key}"
            )));
        }
    }
    if tags.len() > MAX_TAGS {
        return Err(too_many_tags());
    }
    Ok(tags)
}

pub fn too_many_tags() -> DynamoError {
    DynamoError::validation("Number of Tags exceed the current limit for the provided ResourceArn")
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    table_name: String,
    #[serde(default)]
    attribute_definitions: Vec<AttributeDefinition>,
    #[serde(default)]
    key_schema: Vec<KeySchemaElement>,
    billing_mode: Option<String>,
    provisioned_throughput: Option<ProvisionedThroughput>,
    global_secondary_indexes: Option<Vec<SecondaryIndex>>,
    local_secondary_indexes: Option<Vec<SecondaryIndex>>,
    stream_specification: Option<WireStreamSpecification>,
    #[serde(default)]
    tags: Vec<Tag>,
    deletion_protection_enabled: Option<bool>,
    table_class: Option<String>,
    #[serde(rename = "SSESpecification")]
    sse_specification: Option<Value>,
    on_demand_throughput: Option<WireOnDemandThroughput>,
    warm_throughput: Option<WireWarmThroughput>,
    resource_policy: Option<String>,
}

/// A `WarmThroughput` (of a table or an index) on the wire.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct WireWarmThroughput {
    read_units_per_second: Option<i64>,
    write_units_per_second: Option<i64>,
}

impl From<&WireWarmThroughput> for WarmRequest {
    fn from(w: &WireWarmThroughput) -> WarmRequest {
        WarmRequest {
            read: w.read_units_per_second,
            write: w.write_units_per_second,
        }
    }
}

pub fn key_pairs(elements: &[KeySchemaElement]) -> Vec<(String, String)> {
    elements
        .iter()
        .map(|e| (e.attribute_name.clone(), e.key_type.clone()))
        .collect()
}

pub fn definitions(defs: &[AttributeDefinition]) -> Vec<(String, ScalarType)> {
    defs.iter()
        .map(|d| {
            (
                d.attribute_name.clone(),
                ScalarType::parse(&d.attribute_type).unwrap_or(ScalarType::S),
            )
        })
        .collect()
}

pub fn billing_mode(raw: Option<&str>) -> Option<BillingMode> {
    raw.map(|b| {
        if b == "PAY_PER_REQUEST" {
            BillingMode::PayPerRequest
        } else {
            BillingMode::Provisioned
        }
    })
}

/// Parameters eddy does not implement are refused rather than ignored.
pub fn refuse_unsupported(name: &str, present: bool) -> Result<(), DynamoError> {
    if present {
        return Err(DynamoError::validation(format!(
            "eddy does not support the {name} parameter"
        )));
    }
    Ok(())
}

pub async fn handle(
    store: &Store,
    ctx: &RequestContext,
    body: Input<'_>,
) -> Result<Response<Body>, DynamoError> {
    let req: Request = body.decode()?;
    let name = table_name(&ctx.scope, &req.table_name, "tableName")?;
    refuse_unsupported("ResourcePolicy", req.resource_policy.is_some())?;
    if let Some(sse) = &req.sse_specification
        && sse.get("Enabled").and_then(Value::as_bool) == Some(true)
    {
        refuse_unsupported("SSESpecification", true)?;
    }
    let create = CreateTable {
        name,
        attribute_definitions: definitions(&req.attribute_definitions),
        key_schema: key_pairs(&req.key_schema),
        billing_mode: billing_mode(req.billing_mode.as_deref()),
        throughput: req.provisioned_throughput.as_ref().map(Throughput::from),
        gsis: req
            .global_secondary_indexes
            .as_ref()
            .map(|v| v.iter().map(IndexSpec::from).collect()),
        lsis: req
            .local_secondary_indexes
            .as_ref()
            .map(|v| v.iter().map(IndexSpec::from).collect()),
        tags: checked_tags(req.tags)?,
        deletion_protection: req.deletion_protection_enabled,
        table_class: checked_table_class(req.table_class)?,
        on_demand: on_demand(req.on_demand_throughput.as_ref()),
        stream: req
            .stream_specification
            .as_ref()
            .map(StreamSpecification::from),
        warm: req.warm_throughput.as_ref().map(WarmRequest::from),
    };
    let table = store.create_table(&ctx.scope, create).await?;
    Ok(awsjson::ok(
        &ctx.request_id,
        &json!({"TableDescription": table_description(&table, TableReply::Created, store.clock().now_ms())}),
    ))
}
