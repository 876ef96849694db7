//! Request validation driven by AWS's own service models. `tools/gen_models.py` extracts each operation's input
//! shapes with their constraints from botocore into `models/<service>.json`; this module walks a request body
//! against them exactly as AWS's front end does: JSON type errors first (`SerializationException`), then every
//! constraint violation, reported together as "N validation errors detected: …" with AWS's wording and member
//! paths (`keySchema.1.member.attributeName`). Operations then only check what the model cannot express.

mod checked;
mod precheck;

use std::collections::HashMap;
use std::sync::OnceLock;

use eddy_model::DynamoError;
use regex::Regex;
use serde::Deserialize;
use serde_json::Value;

/// At most this many constraint violations are listed, as AWS does.
const MAX_REPORTED: usize = 10;

#[derive(Deserialize)]
struct RawShape {
    t: String,
    min: Option<f64>,
    max: Option<f64>,
    p: Option<String>,
    e: Option<Vec<String>>,
    m: Option<Vec<RawMember>>,
    r: Option<Vec<String>>,
    i: Option<String>,
    k: Option<String>,
    v: Option<String>,
    /// Query protocol: a list member's name, a map's key and value names.
    #[serde(rename = "in")]
    item_name: Option<String>,
    kn: Option<String>,
    vn: Option<String>,
}

/// `[name, shape, JSON name]`, and for query-protocol services `[…, query/XML name, flattened]`.
#[derive(Deserialize)]
struct RawMember(
    String,
    String,
    Option<String>,
    #[serde(default)] Option<String>,
    #[serde(default)] Option<bool>,
);

#[derive(Deserialize)]
struct RawModel {
    operations: HashMap<String, String>,
    shapes: HashMap<String, RawShape>,
    /// Query-protocol services: operation → (output shape, result wrapper element).
    #[serde(default)]
    outputs: HashMap<String, (String, String)>,
}

pub(crate) enum Kind {
    Structure {
        members: Vec<Member>,
        required: Vec<String>,
    },
    List {
        item: usize,
        /// The element name of an item in the query protocol and XML (`member` when absent).
        item_name: Option<String>,
    },
    Map {
        key: usize,
        value: usize,
        key_name: String,
        value_name: String,
    },
    String {
        pattern: Option<(String, OnceLock<Option<Regex>>)>,
        enumeration: Option<Vec<String>>,
    },
    Integer {
        java: &'static str,
    },
    Double,
    Boolean,
    Blob,
    Timestamp,
    Opaque,
}

impl Kind {
    /// A value with no members of its own (a string, number, boolean, blob or timestamp).
    fn is_scalar(&self) -> bool {
        !matches!(
            self,
            Kind::Structure { .. } | Kind::List { .. } | Kind::Map { .. } | Kind::Opaque
        )
    }
}

pub(crate) struct Member {
    pub(crate) name: String,
    wire: String,
    pub(crate) shape: usize,
    /// The member's name in the query protocol and in XML.
    pub(crate) query_name: String,
    /// Flattened lists and maps repeat their entries without a wrapper element.
    pub(crate) flattened: bool,
    /// Whether the structure requires this member.
    required: bool,
}

pub(crate) struct Shape {
    name: String,
    pub(crate) kind: Kind,
    min: Option<f64>,
    max: Option<f64>,
}

/// One service's validation model (and, for query-protocol services, what the query and XML codecs need).
pub struct ServiceModel {
    operations: HashMap<String, usize>,
    pub(crate) shapes: Vec<Shape>,
    /// Operation → (output shape, result wrapper).
    pub(crate) outputs: HashMap<String, (usize, String)>,
    /// The Java package of the service's request classes, which its SerializationExceptions name.
    java_package: Option<&'static str>,
    /// The structure the full walk checks an opaque `AttributeValue` against (DynamoDB only).
    attribute_value: Option<usize>,
    /// Whether a request's constraint errors are listed member by member in the order of AWS's Java front end
    /// (see [`ServiceModel::with_java_member_order`]) rather than the model's.
    java_member_order: bool,
    /// Whether a collection's scalar elements breaking their own constraints are reported once for the whole
    /// list or map with `Member must not be null` among those constraints, as Lambda's front end does (see
    /// [`ServiceModel::with_whole_collection_constraints`]).
    whole_collection_constraints: bool,
}

/// The operations that refuse a request without `TableName` in their own sentence, before any other check
/// (dynalite's AWS-checked tests; CreateTable recorded again by the paritysuite in 2026).
const TABLE_NAME_REQUIRED: [&str; 5] = [
    "CreateTable",
    "DeleteTable",
    "DescribeTable",
    "DescribeTimeToLive",
    "UpdateTable",
];

/// How the older framework reports an unknown `ReturnValues` (after the echoed value).
const RETURN_VALUES_ENUM_FAULT: &str = "' at 'returnValues' failed to satisfy constraint: Member must satisfy enum value set: [ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW]";
/// How the newer framework reports it, without the value and with AWS's spelling.
const GENERIC_RETURN_VALUES_FAULT: &str = "Failed to satisfy constraint: Member must satisfy enum value set: [ALL_OLD, UPDATED_OLD, ALL_NEW, UPDATE_NEW, NONE]";

/// How a malformed table name among BatchWriteItem's `RequestItems` is reported (after the echoed map).
const BATCH_WRITE_TABLE_NAME_FAULT: &str =
    "' at 'requestItems' failed to satisfy constraint: Map keys must satisfy constraint";

/// The constraints AWS's newer validation framework checks for an operation (recorded against AWS, 2026-10): it
/// runs before the older one, stops at its first error and words it without the value, naming the member as the
/// model spells it (`Value at 'Limit' failed to satisfy constraint: …`). DynamoDB is moving its checks to it one
/// operation at a time; these are the ones every region but one had moved.
fn newer_framework_error(op: &str, body: &Value) -> Option<String> {
    let failed = |path: &str, constraint: &str| {
        Some(format!(
            "Value at '{path}' failed to satisfy constraint: Member must have {constraint}"
        ))
    };
    match op {
        "Query" => match body.get("Limit").and_then(Value::as_f64) {
            Some(limit) if limit < 1.0 => failed("Limit", "value greater than or equal to 1"),
            _ => None,
        },
        "BatchGetItem" => {
            let tables = body.get("RequestItems")?.as_object()?;
            if tables.is_empty() {
                return failed("RequestItems", "length greater than or equal to 1");
            }
            tables.iter().find_map(|(table, request)| {
                let keys = request.get("Keys")?.as_array()?;
                let path = format!("RequestItems.{table}.member.Keys");
                if keys.is_empty() {
                    failed(&path, "length greater than or equal to 1")
                } else if keys.len() > 100 {
                    failed(&path, "length less than or equal to 100")
                } else {
                    None
                }
            })
        }
        _ => None,
    }
}

/// The newer framework's checks of the single-item writes, which it makes once their required members are all
/// there (without them the older framework lists every fault: UpdateItem with no `Key` joins an empty
/// `TableName` and both bad enums, member by member). Recorded in us-east-1 (paritysuite registry, 2026-10-07:
/// every region but eu-south-2 and me-central-1): PutItem's empty `TableName` and UpdateItem's unknown
/// `ReturnValues` (reported alone, ahead of a bad `ReturnConsumedCapacity`; PutItem and DeleteItem list theirs
/// among their other faults, see [`ServiceModel::as_aws_lists_them`]). The value set is AWS's, misspelling
/// included.
fn newer_single_item_error(op: &str, body: &Value) -> Option<&'static str> {
    const EMPTY_TABLE_NAME: &str = "Value at 'TableName' failed to satisfy constraint: Member must have length greater than or equal to 1";
    const KNOWN_RETURN_VALUES: [&str; 5] =
        ["NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"];
    let empty_table_name = body.get("TableName").and_then(Value::as_str) == Some("");
    let unknown_return_values = body
        .get("ReturnValues")
        .and_then(Value::as_str)
        .is_some_and(|rv| !KNOWN_RETURN_VALUES.contains(&rv));
    match op {
        "PutItem" | "UpdateItem" if empty_table_name => Some(EMPTY_TABLE_NAME),
        "UpdateItem" if unknown_return_values => Some(GENERIC_RETURN_VALUES_FAULT),
        _ => None,
    }
}

/// The newer framework's check of an unknown `ConditionalOperator` beside two or more legacy conditions, made
/// once the request's required members are there: bare for Query (recorded in us-east-1 and eu-west-2,
/// 2026-10-09, ahead of an unknown `Select`) and Scan (taken to be the same), in the envelope for the single-item
/// writes (their `Expected`, "the newer `[ALL, OR]` form" of the deepRequests captures). The value set is AWS's.
fn newer_conditional_operator_error(op: &str, body: &Value) -> Option<String> {
    const UNKNOWN: &str =
        "Failed to satisfy constraint: Member must satisfy enum value set: [ALL, OR]";
    let operator = body.get("ConditionalOperator")?.as_str()?;
    if matches!(operator, "AND" | "OR") {
        return None;
    }
    let (conditions, enveloped) = match op {
        "Query" => ("QueryFilter", false),
        "Scan" => ("ScanFilter", false),
        "PutItem" | "UpdateItem" | "DeleteItem" => ("Expected", true),
        _ => return None,
    };
    let count = body.get(conditions)?.as_object()?.len();
    (count >= 2).then(|| {
        if enveloped {
            format!("1 validation error detected: {UNKNOWN}")
        } else {
            UNKNOWN.to_string()
        }
    })
}

/// How DynamoDB reads a request body: as it reads most, or as it reads one nested past its JSON reader's
/// limit (an attribute value nested about 62 levels or more), with the older framework only.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Reading {
    Current,
    Deep,
}

impl ServiceModel {
    /// Parses a generated model. The models are compiled into the binary, so a failure is a build defect.
    pub fn parse(json: &str) -> ServiceModel {
        let raw: RawModel = match serde_json::from_str(json) {
            Ok(raw) => raw,
            Err(e) => panic!("embedded service model is invalid: {e}"),
        };
        let names: Vec<String> = raw.shapes.keys().cloned().collect();
        let index: HashMap<&str, usize> = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.as_str(), i))
            .collect();
        let id = |n: &str| index.get(n).copied().unwrap_or(0);
        let shapes = names
            .iter()
            .map(|name| {
                let s = &raw.shapes[name];
                let kind = match s.t.as_str() {
                    "structure" => Kind::Structure {
                        members: s
                            .m
                            .iter()
                            .flatten()
                            .map(|RawMember(m, shape, loc, query, flat)| Member {
                                name: m.clone(),
                                wire: loc.clone().unwrap_or_else(|| m.clone()),
                                shape: id(shape),
                                query_name: query.clone().unwrap_or_else(|| m.clone()),
                                flattened: flat.unwrap_or(false),
                                required: s.r.iter().flatten().any(|r| r == m),
                            })
                            .collect(),
                        required: s.r.clone().unwrap_or_default(),
                    },
                    "list" => Kind::List {
                        item: id(s.i.as_deref().unwrap_or("")),
                        item_name: s.item_name.clone(),
                    },
                    "map" => Kind::Map {
                        key: id(s.k.as_deref().unwrap_or("")),
                        value: id(s.v.as_deref().unwrap_or("")),
                        key_name: s.kn.clone().unwrap_or_else(|| "key".into()),
                        value_name: s.vn.clone().unwrap_or_else(|| "value".into()),
                    },
                    "string" => Kind::String {
                        pattern: s.p.clone().map(|p| (p, OnceLock::new())),
                        enumeration: s.e.clone(),
                    },
                    "integer" => Kind::Integer { java: "Integer" },
                    "long" => Kind::Integer { java: "Long" },
                    "double" | "float" => Kind::Double,
                    "boolean" => Kind::Boolean,
                    "blob" => Kind::Blob,
                    "timestamp" => Kind::Timestamp,
                    _ => Kind::Opaque,
                };
                Shape {
                    name: name.clone(),
                    kind,
                    min: s.min,
                    max: s.max,
                }
            })
            .collect();
        let operations = raw
            .operations
            .iter()
            .map(|(op, input)| (op.clone(), id(input)))
            .collect();
        let outputs = raw
            .outputs
            .iter()
            .map(|(op, (shape, wrapper))| (op.clone(), (id(shape), wrapper.clone())))
            .collect();
        let mut model = ServiceModel {
            operations,
            shapes,
            outputs,
            java_package: None,
            attribute_value: None,
            java_member_order: false,
            whole_collection_constraints: false,
        };
        model.attribute_value = model.add_attribute_value_shapes();
        model
    }

    /// DynamoDB's `AttributeValue` is opaque to the fast decoders (the typed request reads it), but the full walk
    /// checks its JSON types like any structure's, so that a wrong type anywhere in an item is the parser's
    /// SerializationException. This adds the structure it walks (nothing else refers to it) and returns its id.
    fn add_attribute_value_shapes(&mut self) -> Option<usize> {
        self.shapes
            .iter()
            .position(|s| s.name == "AttributeValue" && matches!(s.kind, Kind::Opaque))?;
        let string = self.push_shape(
            "String",
            Kind::String {
                pattern: None,
                enumeration: None,
            },
        );
        let blob = self.push_shape("Blob", Kind::Blob);
        let boolean = self.push_shape("Boolean", Kind::Boolean);
        let list_of = |item| Kind::List {
            item,
            item_name: None,
        };
        let strings = self.push_shape("StringList", list_of(string));
        let blobs = self.push_shape("BlobList", list_of(blob));
        // The structure refers to its own list and map, which are added first and point at where it will be.
        let value = self.shapes.len() + 2;
        let list = self.push_shape("ListAttributeValue", list_of(value));
        let map = self.push_shape(
            "MapAttributeValue",
            Kind::Map {
                key: string,
                value,
                key_name: "key".into(),
                value_name: "value".into(),
            },
        );
        let member = |name: &str, shape: usize| Member {
            name: name.to_string(),
            wire: name.to_string(),
            shape,
            query_name: name.to_string(),
            flattened: false,
            required: false,
        };
        let members = vec![
            member("S", string),
            member("N", string),
            member("B", blob),
            member("SS", strings),
            member("NS", strings),
            member("BS", blobs),
            member("M", map),
            member("L", list),
            member("NULL", boolean),
            member("BOOL", boolean),
        ];
        let id = self.push_shape(
            "AttributeValue",
            Kind::Structure {
                members,
                required: Vec::new(),
            },
        );
        debug_assert_eq!(id, value);
        Some(id)
    }

    /// Adds a shape without constraints; returns its id.
    fn push_shape(&mut self, name: &str, kind: Kind) -> usize {
        self.shapes.push(Shape {
            name: name.to_string(),
            kind,
            min: None,
            max: None,
        });
        self.shapes.len() - 1
    }

    /// Orders every enumeration as DynamoDB lists it in `Member must satisfy enum value set: [...]`: the
    /// iteration order of the Java hash set the service keeps the values in — by `String.hashCode() & 31`,
    /// and within one bucket the value later in the model first. Every such message of DynamoDB's on record
    /// agrees (`[B, N, S]`, `[SPECIFIC_ATTRIBUTES, COUNT, ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES]`,
    /// `[OLD_IMAGE, KEYS_ONLY, NEW_AND_OLD_IMAGES, NEW_IMAGE]`, the thirteen comparison operators, …).
    /// Lists a request's constraint errors as DynamoDB does: member by member, in the iteration order of the
    /// Java `HashMap` its front end keeps the members in (checked against AWS's multi-error answers, 2026-10:
    /// UpdateItem's `returnConsumedCapacity; tableName; returnValues; key`, CreateTable's global indexes before
    /// its local ones, TransactWriteItems' `clientRequestToken` before `returnConsumedCapacity`).
    fn with_java_member_order(mut self) -> ServiceModel {
        self.java_member_order = true;
        self
    }

    /// Lambda's front end reports a list whose scalar members break their constraints once, for the list
    /// (`Value '[X86_64]' at 'architectures' failed to satisfy constraint: Member must satisfy constraint: [Member
    /// must satisfy enum value set: [x86_64, arm64], Member must not be null]`), and lists `Member must not be
    /// null` among a map's key and value constraints too (AWS-recorded, CreateFunction and CreateAlias).
    pub fn with_whole_collection_constraints(mut self) -> ServiceModel {
        self.whole_collection_constraints = true;
        self
    }

    fn with_java_enum_order(mut self) -> ServiceModel {
        for shape in &mut self.shapes {
            if let Kind::String {
                enumeration: Some(values),
                ..
            } = &mut shape.kind
            {
                *values = java_hash_set_order(values);
            }
        }
        self
    }

    /// Leaves the checks of tags to the handlers, as DynamoDB does: a tag without a key or a value, and a tag
    /// key that is empty, are refused with `The Tag Key provided is invalid, Key: …` (or `… Tag Value …`), not
    /// as constraint violations of the model.
    fn with_tags_checked_by_handlers(mut self) -> ServiceModel {
        for shape in &mut self.shapes {
            match shape.name.as_str() {
                "Tag" => {
                    if let Kind::Structure { members, required } = &mut shape.kind {
                        for member in members.iter_mut() {
                            member.required = false;
                        }
                        required.clear();
                    }
                }
                "TagKeyString" => {
                    shape.min = None;
                    shape.max = None;
                }
                "TagValueString" => shape.max = None,
                _ => {}
            }
        }
        self
    }

    /// CreateTable's `KeySchema` and `AttributeDefinitions` are optional in today's model, but DynamoDB still
    /// refuses a request without them as a missing member (`Value null at 'attributeDefinitions' failed to
    /// satisfy constraint: Member must not be null`; ack-api-quirks, recorded against AWS 2026-10-08).
    fn with_create_table_keys_required(mut self) -> ServiceModel {
        let Some(&shape) = self.operations.get("CreateTable") else {
            return self;
        };
        if let Kind::Structure { members, required } = &mut self.shapes[shape].kind {
            for member in members.iter_mut() {
                if matches!(member.name.as_str(), "KeySchema" | "AttributeDefinitions") {
                    member.required = true;
                    if !required.contains(&member.name) {
                        required.push(member.name.clone());
                    }
                }
            }
        }
        self
    }

    /// Leaves `TableClass` to the handlers, as DynamoDB does: an unknown class is refused in its own words
    /// (`Invalid table-class parameter provided. …`), not as an enumeration constraint.
    fn with_table_class_checked_by_handlers(mut self) -> ServiceModel {
        for shape in &mut self.shapes {
            if shape.name == "TableClass"
                && let Kind::String { enumeration, .. } = &mut shape.kind
            {
                *enumeration = None;
            }
        }
        self
    }

    /// Names the Java package of the service's classes (for the `Unrecognized collection type` errors).
    fn with_java_package(mut self, package: &'static str) -> ServiceModel {
        self.java_package = Some(package);
        self
    }

    /// The values of the enumeration shape called `shape`, in the model's order.
    pub fn enumeration(&self, shape: &str) -> Option<&[String]> {
        self.shapes
            .iter()
            .find(|s| s.name == shape)
            .and_then(|s| match &s.kind {
                Kind::String {
                    enumeration: Some(values),
                    ..
                } => Some(values.as_slice()),
                _ => None,
            })
    }

    pub fn has_operation(&self, op: &str) -> bool {
        self.operations.contains_key(op)
    }

    /// The input shape of an operation.
    pub(crate) fn input(&self, op: &str) -> Option<usize> {
        self.operations.get(op).copied()
    }

    /// The first required top-level member missing from a request body (SQS and SNS name it in their own
    /// errors rather than in a list of constraint violations).
    pub fn missing_required(&self, op: &str, body: &Value) -> Option<String> {
        let shape = self.input(op)?;
        let Kind::Structure { members, required } = &self.shapes[shape].kind else {
            return None;
        };
        members
            .iter()
            .filter(|m| required.contains(&m.name))
            .find(|m| body.get(&m.wire).is_none_or(Value::is_null))
            .map(|m| m.name.clone())
    }

    /// Validates an operation's request body. The body must be a JSON object (or null for "no members").
    pub fn validate(&self, op: &str, body: &Value) -> Result<(), DynamoError> {
        self.validate_as(op, body, Reading::Current)
    }

    /// Validates a request body as DynamoDB reads it (see [`Reading`]).
    pub fn validate_as(&self, op: &str, body: &Value, reading: Reading) -> Result<(), DynamoError> {
        let Some(&shape) = self.operations.get(op) else {
            return Ok(());
        };
        if TABLE_NAME_REQUIRED.contains(&op) && body.get("TableName").is_none_or(Value::is_null) {
            return Err(DynamoError::validation(
                "The parameter 'TableName' is required but was not present in the request",
            ));
        }
        if let Some(error) = self.newer_framework_fault(op, body, reading) {
            return Err(DynamoError::Validation(error));
        }
        // BatchWriteItem has not moved to the newer framework in us-east-1: an empty map gets its own sentence.
        if op == "BatchWriteItem"
            && body
                .get("RequestItems")
                .and_then(Value::as_object)
                .is_some_and(serde_json::Map::is_empty)
        {
            return Err(DynamoError::validation(
                "The requestItems parameter is required for BatchWriteItem",
            ));
        }
        let mut errors = Vec::new();
        match (&self.shapes[shape].kind, body) {
            (Kind::Structure { members, required }, Value::Object(obj))
                if self.java_member_order =>
            {
                self.walk_members_in_java_order(members, required, obj, &mut errors)?
            }
            _ => self.walk(shape, body, &Path::ROOT, Slot::Field, &mut errors)?,
        }
        if errors.is_empty() {
            return Ok(());
        }
        self.as_aws_lists_them(op, body, reading, &mut errors);
        let n = errors.len();
        Err(DynamoError::Validation(format!(
            "{n} validation error{} detected: {}",
            if n > 1 { "s" } else { "" },
            errors.join("; ")
        )))
    }

    /// The fault the newer framework reports alone, ahead of the older framework's list: its constraints of
    /// some operations, and its checks of the single-item writes and legacy conditions once the request's
    /// required members are there (a deep body is read with the older framework only).
    fn newer_framework_fault(&self, op: &str, body: &Value, reading: Reading) -> Option<String> {
        if let Some(error) = newer_framework_error(op, body) {
            return Some(format!("1 validation error detected: {error}"));
        }
        if reading == Reading::Deep || self.missing_required(op, body).is_some() {
            return None;
        }
        newer_single_item_error(op, body)
            .map(|error| format!("1 validation error detected: {error}"))
            .or_else(|| newer_conditional_operator_error(op, body))
    }

    /// The older framework's faults as AWS lists them where it departs from the plain walk: BatchWriteItem
    /// checks its table names only once its other constraints hold, so a malformed name gives way to them
    /// (us-east-1 and eu-west-2, 2026-10-09; BatchGetItem joins them); PutItem and DeleteItem, with their
    /// required members there, word an unknown `ReturnValues` in the newer generic form among their other
    /// faults (PutItem in eu-west-2, 2026-06: it "names returnConsumedCapacity and ReturnItemCollectionMetrics
    /// explicitly and reports the ReturnValues enum violation generically"; DeleteItem lists it beside a bad
    /// `ReturnConsumedCapacity`, and alone it is "the newer generic form", deepRequests 2026-10-09).
    fn as_aws_lists_them(
        &self,
        op: &str,
        body: &Value,
        reading: Reading,
        errors: &mut Vec<String>,
    ) {
        match op {
            "BatchWriteItem" if errors.len() > 1 => {
                errors.retain(|e| !e.contains(BATCH_WRITE_TABLE_NAME_FAULT));
            }
            "PutItem" | "DeleteItem"
                if reading == Reading::Current && self.missing_required(op, body).is_none() =>
            {
                for error in errors.iter_mut() {
                    if error.contains(RETURN_VALUES_ENUM_FAULT) {
                        *error = GENERIC_RETURN_VALUES_FAULT.to_string();
                    }
                }
            }
            _ => {}
        }
    }

    /// A structure's member: present and walked, or absent (and reported if required).
    fn walk_member(
        &self,
        member: &Member,
        required: &[String],
        obj: &serde_json::Map<String, Value>,
        path: &Path<'_>,
        errors: &mut Vec<String>,
    ) -> Result<(), DynamoError> {
        let child = obj.get(&member.wire).unwrap_or(&Value::Null);
        let child_path = Path {
            parent: Some(path),
            step: Step::Member(&member.name),
        };
        if child.is_null() {
            if required.contains(&member.name) {
                report(
                    errors,
                    format!(
                        "Value null at '{child_path}' failed to satisfy constraint: Member must not be null"
                    ),
                );
            }
            return Ok(());
        }
        self.walk(member.shape, child, &child_path, Slot::Field, errors)
    }

    /// A request's members walked one by one, their errors then listed in the order AWS's Java front end keeps
    /// its members in: a `HashMap` keyed by the members' (lower camel case) names.
    fn walk_members_in_java_order(
        &self,
        members: &[Member],
        required: &[String],
        obj: &serde_json::Map<String, Value>,
        errors: &mut Vec<String>,
    ) -> Result<(), DynamoError> {
        let mut groups = Vec::new();
        for member in members {
            let mut found = Vec::new();
            self.walk_member(member, required, obj, &Path::ROOT, &mut found)?;
            if !found.is_empty() {
                let bucket = java_hash_map_bucket(&lower_first(&member.name), members.len());
                groups.push((bucket, found));
            }
        }
        groups.sort_by_key(|(bucket, _)| *bucket);
        errors.extend(
            groups
                .into_iter()
                .flat_map(|(_, found)| found)
                .take(MAX_REPORTED),
        );
        Ok(())
    }

    fn walk(
        &self,
        shape_id: usize,
        value: &Value,
        path: &Path<'_>,
        slot: Slot,
        errors: &mut Vec<String>,
    ) -> Result<(), DynamoError> {
        let shape = &self.shapes[shape_id];
        if value.is_null() {
            return Ok(());
        }
        if let Some(message) = self.type_mismatch(shape_id, value, slot) {
            return Err(serialization(&message));
        }
        if slot.reports_own_constraints() {
            self.check_own_constraints(shape, value, path, errors);
        }
        match &shape.kind {
            Kind::Opaque => match self.attribute_value {
                Some(id) if shape.name == "AttributeValue" => {
                    self.walk(id, value, path, slot, errors)
                }
                _ => Ok(()),
            },
            Kind::Structure { members, required } => {
                let Value::Object(obj) = value else {
                    return Ok(());
                };
                for member in members {
                    self.walk_member(member, required, obj, path, errors)?;
                }
                Ok(())
            }
            Kind::List {
                item: item_shape, ..
            } => {
                let Value::Array(items) = value else {
                    return Ok(());
                };
                let whole_list =
                    self.whole_collection_constraints && self.shapes[*item_shape].kind.is_scalar();
                let slot = if whole_list {
                    Slot::MapEntry
                } else {
                    Slot::Element
                };
                for (i, item) in items.iter().enumerate() {
                    self.walk(
                        *item_shape,
                        item,
                        &Path {
                            parent: Some(path),
                            step: Step::Item(i + 1),
                        },
                        slot,
                        errors,
                    )?;
                }
                if whole_list
                    && items
                        .iter()
                        .any(|item| self.breaks_own_constraints(*item_shape, item))
                {
                    let constraints = self.element_constraints(&self.shapes[*item_shape]);
                    report(
                        errors,
                        format!(
                            "Value '{}' at '{path}' failed to satisfy constraint: Member must satisfy constraint: [{}]",
                            self.java_repr(shape, value),
                            constraints.join(", ")
                        ),
                    );
                }
                Ok(())
            }
            Kind::Map {
                key,
                value: value_shape,
                ..
            } => {
                let Value::Object(obj) = value else {
                    return Ok(());
                };
                // A key or value breaking its own constraints is reported once, for the whole map, as AWS does.
                let (mut bad_key, mut bad_value, mut bad_table_name) = (false, false, false);
                for (k, v) in obj {
                    let broken = self.breaks_own_constraints(*key, &Value::String(k.clone()));
                    bad_table_name |=
                        broken && self.shapes[*key].name == "TableArn" && !k.starts_with("arn:");
                    let k = Value::String(k.clone());
                    bad_key |= broken;
                    bad_value |= self.breaks_own_constraints(*value_shape, v);
                    let Value::String(name) = &k else { continue };
                    self.walk(
                        *key,
                        &k,
                        &Path {
                            parent: Some(path),
                            step: Step::MapKey(name),
                        },
                        Slot::MapEntry,
                        errors,
                    )?;
                    self.walk(
                        *value_shape,
                        v,
                        &Path {
                            parent: Some(path),
                            step: Step::MapValue(name),
                        },
                        Slot::MapEntry,
                        errors,
                    )?;
                }
                for (bad, part, part_shape) in [
                    (bad_key, "Map keys", *key),
                    (bad_value, "Map value", *value_shape),
                ] {
                    if bad {
                        // A table name among keys that also take ARNs is held to the name's rules, and named so.
                        let constraints = if part == "Map keys" && bad_table_name {
                            TABLE_NAME_CONSTRAINTS.map(String::from).to_vec()
                        } else {
                            self.element_constraints(&self.shapes[part_shape])
                        };
                        // BatchGetItem has moved to the newer framework, which echoes the map as JSON.
                        let echo = if shape.name == "BatchGetRequestMap" {
                            self.json_repr(shape, value)
                        } else {
                            self.java_repr(shape, value)
                        };
                        report(
                            errors,
                            format!(
                                "Value '{echo}' at '{path}' failed to satisfy constraint: {part} must satisfy constraint: [{}]",
                                constraints.join(", ")
                            ),
                        );
                    }
                }
                Ok(())
            }
            Kind::String { .. } | Kind::Integer { .. } | Kind::Double | Kind::Boolean => Ok(()),
            Kind::Blob => match value {
                Value::String(text) => eddy_model::value::decode_blob(text)
                    .map(|_| ())
                    .map_err(|m| serialization(&m)),
                _ => Ok(()),
            },
            Kind::Timestamp => match value {
                Value::Number(_) | Value::String(_) => Ok(()),
                _ => Err(serialization("Unexpected value type in payload")),
            },
        }
    }

    /// The SerializationException for a JSON value of the wrong kind for its shape, in the words of DynamoDB's
    /// (Java) request parser. `slot` tells a structure given as a member from one given as a list or map element.
    fn type_mismatch(&self, shape_id: usize, value: &Value, slot: Slot) -> Option<String> {
        let shape = &self.shapes[shape_id];
        let token = JsonToken::of(value);
        let cannot_convert = |java: &str| format!("{} cannot be converted to {java}", token.name());
        let unrecognized_collection = || match self.java_type(shape_id) {
            Some(java) if java.starts_with("java.util.") => {
                format!("Unrecognized collection type {java}")
            }
            Some(java) => format!("Unrecognized collection type class {java}"),
            None => "Start of list found where not expected".to_string(),
        };
        const STRUCTURE_UNEXPECTED: &str = "Start of structure or map found where not expected";
        let message = match (&shape.kind, token) {
            (Kind::Opaque | Kind::Timestamp, _) => return None,
            (_, JsonToken::Null) => return None,
            (Kind::Structure { .. }, JsonToken::Object) => return None,
            (Kind::Structure { .. }, JsonToken::Array) => unrecognized_collection(),
            (Kind::Structure { .. }, _) => match slot {
                Slot::Field => "Unexpected field type".to_string(),
                Slot::Element | Slot::MapEntry => "Unexpected value type in payload".to_string(),
            },
            (Kind::List { .. }, JsonToken::Array) => return None,
            (Kind::List { .. }, JsonToken::Object) => STRUCTURE_UNEXPECTED.to_string(),
            (Kind::List { .. }, _) => "Unexpected field type".to_string(),
            (Kind::Map { .. }, JsonToken::Object) => return None,
            (Kind::Map { .. }, JsonToken::Array) => unrecognized_collection(),
            (Kind::Map { .. }, _) => "Unexpected field type".to_string(),
            (_, JsonToken::Array) => unrecognized_collection(),
            (_, JsonToken::Object) => STRUCTURE_UNEXPECTED.to_string(),
            (Kind::String { .. }, JsonToken::String) => return None,
            (Kind::String { .. }, _) => cannot_convert("String"),
            (Kind::Integer { .. } | Kind::Double, JsonToken::Number | JsonToken::Decimal) => {
                return None;
            }
            (Kind::Integer { java }, _) => cannot_convert(java),
            (Kind::Double, _) => cannot_convert("Double"),
            (Kind::Boolean, JsonToken::True | JsonToken::False) => return None,
            (Kind::Boolean, JsonToken::String) => {
                "Unexpected token received from parser".to_string()
            }
            (Kind::Boolean, _) => cannot_convert("Boolean"),
            (Kind::Blob, JsonToken::String) => return None,
            (Kind::Blob, _) => "only base-64-encoded strings are convertible to bytes".to_string(),
        };
        Some(message)
    }

    /// The Java type DynamoDB's parser reads a shape into, when the service's package is known.
    fn java_type(&self, shape_id: usize) -> Option<String> {
        let shape = &self.shapes[shape_id];
        Some(match &shape.kind {
            Kind::String { .. } => "java.lang.String".to_string(),
            Kind::Integer { java } => format!("java.lang.{java}"),
            Kind::Double => "java.lang.Double".to_string(),
            Kind::Boolean => "java.lang.Boolean".to_string(),
            Kind::Blob => "java.nio.ByteBuffer".to_string(),
            Kind::Structure { .. } => format!("{}.{}", self.java_package?, shape.name),
            Kind::List { item, .. } => format!("java.util.List<{}>", self.java_type(*item)?),
            Kind::Map { value, .. } => {
                format!(
                    "java.util.Map<java.lang.String, {}>",
                    self.java_type(*value)?
                )
            }
            Kind::Opaque if shape.name == "AttributeValue" => {
                return self.java_type(self.attribute_value?);
            }
            Kind::Timestamp | Kind::Opaque => return None,
        })
    }

    /// Reports the constraints a value breaks on its own: length, pattern, enumeration, range.
    fn check_own_constraints(
        &self,
        shape: &Shape,
        value: &Value,
        path: &Path<'_>,
        errors: &mut Vec<String>,
    ) {
        match (&shape.kind, value) {
            (Kind::List { .. }, Value::Array(items)) => {
                self.check_length(shape, items.len(), value, path, errors);
            }
            (Kind::Map { .. }, Value::Object(obj)) => {
                self.check_length(shape, obj.len(), value, path, errors);
            }
            (Kind::String { .. }, Value::String(s))
                if shape.name == "TableArn" && !s.is_empty() && !s.starts_with("arn:") =>
            {
                // DynamoDB's `TableName` members take a name or an ARN; a name is held to the name's rules.
                check_table_name(s, path, errors);
            }
            (
                Kind::String {
                    pattern,
                    enumeration,
                },
                Value::String(s),
            ) => {
                self.check_length(shape, s.chars().count(), value, path, errors);
                if let Some(pattern @ (source, _)) = pattern
                    && !pattern_matches(pattern, s)
                {
                    report(
                        errors,
                        format!(
                            "Value '{s}' at '{path}' failed to satisfy constraint: Member must satisfy regular expression pattern: {source}"
                        ),
                    );
                }
                if let Some(values) = enumeration
                    && !values.iter().any(|v| v == s)
                {
                    report(
                        errors,
                        format!(
                            "Value '{s}' at '{path}' failed to satisfy constraint: Member must satisfy enum value set: [{}]",
                            values.join(", ")
                        ),
                    );
                }
            }
            (Kind::Integer { .. }, Value::Number(n)) => {
                let n = n.as_f64().unwrap_or(0.0).floor();
                if let Some(min) = shape.min
                    && n < min
                {
                    report(
                        errors,
                        format!(
                            "Value '{}' at '{path}' failed to satisfy constraint: Member must have value greater than or equal to {}",
                            fmt_num(n),
                            fmt_num(min)
                        ),
                    );
                }
                if let Some(max) = shape.max
                    && n > max
                {
                    report(
                        errors,
                        format!(
                            "Value '{}' at '{path}' failed to satisfy constraint: Member must have value less than or equal to {}",
                            fmt_num(n),
                            fmt_num(max)
                        ),
                    );
                }
            }
            _ => {}
        }
    }

    fn breaks_own_constraints(&self, shape_id: usize, value: &Value) -> bool {
        let mut broken = Vec::new();
        self.check_own_constraints(&self.shapes[shape_id], value, &Path::ROOT, &mut broken);
        !broken.is_empty()
    }

    /// The constraints of a collection's elements as the collection's fault lists them: the shape's own, and for
    /// Lambda `Member must not be null` after them.
    fn element_constraints(&self, shape: &Shape) -> Vec<String> {
        let mut out = self.constraint_descriptions(shape);
        if self.whole_collection_constraints {
            out.push("Member must not be null".to_string());
        }
        out
    }

    /// Every constraint of a shape, as AWS lists them for a map's keys or values: maximum, minimum, pattern,
    /// enumeration.
    fn constraint_descriptions(&self, shape: &Shape) -> Vec<String> {
        let measure = match shape.kind {
            Kind::Integer { .. } => "value",
            _ => "length",
        };
        let mut out = Vec::new();
        if let Some(max) = shape.max {
            out.push(format!(
                "Member must have {measure} less than or equal to {}",
                fmt_num(max)
            ));
        }
        if let Some(min) = shape.min {
            out.push(format!(
                "Member must have {measure} greater than or equal to {}",
                fmt_num(min)
            ));
        }
        if let Kind::String {
            pattern,
            enumeration,
        } = &shape.kind
        {
            if let Some((source, _)) = pattern {
                out.push(format!(
                    "Member must satisfy regular expression pattern: {source}"
                ));
            }
            if let Some(values) = enumeration {
                out.push(format!(
                    "Member must satisfy enum value set: [{}]",
                    values.join(", ")
                ));
            }
        }
        out
    }

    fn check_length(
        &self,
        shape: &Shape,
        len: usize,
        value: &Value,
        path: &Path<'_>,
        errors: &mut Vec<String>,
    ) {
        let len = len as f64;
        if let Some(min) = shape.min
            && len < min
        {
            report(
                errors,
                format!(
                    "Value '{}' at '{path}' failed to satisfy constraint: Member must have length greater than or equal to {}",
                    self.java_repr(shape, value),
                    fmt_num(min)
                ),
            );
        }
        if let Some(max) = shape.max
            && len > max
        {
            report(
                errors,
                format!(
                    "Value '{}' at '{path}' failed to satisfy constraint: Member must have length less than or equal to {}",
                    self.java_repr(shape, value),
                    fmt_num(max)
                ),
            );
        }
    }

    /// How AWS's Java front end prints a value in a constraint message: strings bare, lists as `[a, b]`, maps
    /// as `{k=v}`, structures as `ShapeName(member=value, …)`.
    fn java_repr(&self, shape: &Shape, value: &Value) -> String {
        match (&shape.kind, value) {
            (_, Value::String(s)) => s.clone(),
            (Kind::List { item, .. }, Value::Array(items)) => {
                let parts: Vec<String> = items
                    .iter()
                    .map(|v| self.java_repr(&self.shapes[*item], v))
                    .collect();
                format!("[{}]", parts.join(", "))
            }
            (Kind::Map { value: vs, .. }, Value::Object(obj)) => {
                let parts: Vec<String> = obj
                    .iter()
                    .map(|(k, v)| format!("{k}={}", self.java_repr(&self.shapes[*vs], v)))
                    .collect();
                format!("{{{}}}", parts.join(", "))
            }
            (Kind::Structure { members, .. }, Value::Object(obj)) => {
                let parts: Vec<String> = members
                    .iter()
                    .filter_map(|m| {
                        obj.get(&m.wire).filter(|v| !v.is_null()).map(|v| {
                            format!(
                                "{}={}",
                                lower_first(&m.name),
                                self.java_repr(&self.shapes[m.shape], v)
                            )
                        })
                    })
                    .collect();
                format!("{}({})", shape.name, parts.join(", "))
            }
            (_, other) => other.to_string(),
        }
    }
}

impl ServiceModel {
    /// How AWS's newer validation framework echoes a value: compact JSON, a structure's members in model order.
    fn json_repr(&self, shape: &Shape, value: &Value) -> String {
        match (&shape.kind, value) {
            (Kind::List { item, .. }, Value::Array(items)) => {
                let parts: Vec<String> = items
                    .iter()
                    .map(|v| self.json_repr(&self.shapes[*item], v))
                    .collect();
                format!("[{}]", parts.join(","))
            }
            (Kind::Map { value: vs, .. }, Value::Object(obj)) => {
                let parts: Vec<String> = obj
                    .iter()
                    .map(|(k, v)| {
                        format!(
                            "{}:{}",
                            Value::from(k.as_str()),
                            self.json_repr(&self.shapes[*vs], v)
                        )
                    })
                    .collect();
                format!("{{{}}}", parts.join(","))
            }
            (Kind::Structure { members, .. }, Value::Object(obj)) => {
                let parts: Vec<String> = members
                    .iter()
                    .filter_map(|m| {
                        let v = obj.get(&m.wire).filter(|v| !v.is_null())?;
                        Some(format!(
                            "{}:{}",
                            Value::from(m.wire.as_str()),
                            self.json_repr(&self.shapes[m.shape], v)
                        ))
                    })
                    .collect();
                format!("{{{}}}", parts.join(","))
            }
            (_, other) => other.to_string(),
        }
    }
}

/// A table name's constraints, as DynamoDB lists them for the keys of a map of tables.
const TABLE_NAME_CONSTRAINTS: [&str; 3] = [
    "Member must have length less than or equal to 255",
    "Member must have length greater than or equal to 3",
    "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
];

/// Whether a DynamoDB table name keeps the name's rules: 3 to 255 of `[a-zA-Z0-9_.-]`.
fn is_table_name(name: &str) -> bool {
    table_name_errors(name, "").is_empty()
}

/// The constraint violations of a table name given where a name or an ARN is accepted (3 to 255 of
/// `[a-zA-Z0-9_.-]`), worded for the member at `path`. Nothing is allocated for a good name.
pub(crate) fn table_name_errors(name: &str, path: impl std::fmt::Display) -> Vec<String> {
    let mut errors = Vec::new();
    let len = name.chars().count();
    if len < 3 {
        errors.push(format!(
            "Value '{name}' at '{path}' failed to satisfy constraint: Member must have length greater than or equal to 3"
        ));
    }
    if len > 255 {
        errors.push(format!(
            "Value '{name}' at '{path}' failed to satisfy constraint: Member must have length less than or equal to 255"
        ));
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'-')
    {
        errors.push(format!(
            "Value '{name}' at '{path}' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"
        ));
    }
    errors
}

fn check_table_name(name: &str, path: &Path<'_>, errors: &mut Vec<String>) {
    for message in table_name_errors(name, path) {
        report(errors, message);
    }
}

fn report(errors: &mut Vec<String>, message: String) {
    if errors.len() < MAX_REPORTED {
        errors.push(message);
    }
}

/// Whether a string matches a model pattern (compiled on first use; a pattern Rust's regex cannot compile
/// checks nothing).
fn pattern_matches((source, compiled): &(String, OnceLock<Option<Regex>>), s: &str) -> bool {
    let re = compiled.get_or_init(|| Regex::new(&format!("^(?:{source})$")).ok());
    re.as_ref().is_none_or(|re| re.is_match(s))
}

fn fmt_num(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e18 {
        format!("{}", n as i64)
    } else {
        n.to_string()
    }
}

/// A member path (`keySchema.1.member.attributeName`), built on the stack while walking and only rendered into
/// text when a message needs it.
pub struct Path<'a> {
    parent: Option<&'a Path<'a>>,
    step: Step<'a>,
}

enum Step<'a> {
    Root,
    Member(&'a str),
    Item(usize),
    MapKey(&'a str),
    MapValue(&'a str),
}

impl Path<'_> {
    const ROOT: Path<'static> = Path {
        parent: None,
        step: Step::Root,
    };
}

impl std::fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let at_root = match self.parent {
            Some(parent) => {
                parent.fmt(f)?;
                matches!(parent.step, Step::Root)
            }
            None => true,
        };
        match self.step {
            Step::Root => Ok(()),
            Step::Member(name) if at_root => f.write_str(&lower_first(name)),
            Step::Member(name) => write!(f, ".{}", lower_first(name)),
            Step::Item(i) => write!(f, ".{i}.member"),
            Step::MapKey(k) => write!(f, ".{k}.key"),
            Step::MapValue(k) => write!(f, ".{k}.member"),
        }
    }
}

pub fn lower_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().collect::<String>() + chars.as_str(),
        None => String::new(),
    }
}

fn serialization(message: &str) -> DynamoError {
    DynamoError::Serialization(message.to_string())
}

/// Where a value sits: as a structure's member, or as an element of a list or map.
#[derive(Clone, Copy)]
enum Slot {
    Field,
    Element,
    /// A map's key or value (or, for Lambda, a list's scalar element): its own constraints are reported for the
    /// whole collection.
    MapEntry,
}

impl Slot {
    fn reports_own_constraints(self) -> bool {
        !matches!(self, Slot::MapEntry)
    }
}

/// The kind of JSON token a value starts with, as the Java parser names them.
#[derive(Clone, Copy)]
enum JsonToken {
    Null,
    True,
    False,
    Number,
    Decimal,
    String,
    Array,
    Object,
}

impl JsonToken {
    fn of(value: &Value) -> JsonToken {
        match value {
            Value::Null => JsonToken::Null,
            Value::Bool(true) => JsonToken::True,
            Value::Bool(false) => JsonToken::False,
            Value::Number(n) if n.is_f64() => JsonToken::Decimal,
            Value::Number(_) => JsonToken::Number,
            Value::String(_) => JsonToken::String,
            Value::Array(_) => JsonToken::Array,
            Value::Object(_) => JsonToken::Object,
        }
    }

    fn name(self) -> &'static str {
        match self {
            JsonToken::Null => "NULL_VALUE",
            JsonToken::True => "TRUE_VALUE",
            JsonToken::False => "FALSE_VALUE",
            JsonToken::Number => "NUMBER_VALUE",
            JsonToken::Decimal => "DECIMAL_VALUE",
            JsonToken::String => "STRING_VALUE",
            JsonToken::Array => "START_ARRAY",
            JsonToken::Object => "START_OBJECT",
        }
    }
}

/// Java's `String.hashCode()`: 31·h + c over the UTF-16 code units.
fn java_string_hash(s: &str) -> u32 {
    s.encode_utf16().fold(0u32, |h, unit| {
        h.wrapping_mul(31).wrapping_add(u32::from(unit))
    })
}

/// The bucket of a `HashMap<String, _>` holding `entries` entries that `key` falls in: Java's spread of the
/// string hash, masked by the table size (16, doubled while the map is more than three-quarters full).
fn java_hash_map_bucket(key: &str, entries: usize) -> u32 {
    let mut buckets = 16;
    while entries * 4 > buckets * 3 {
        buckets *= 2;
    }
    let h = java_string_hash(key);
    (h ^ (h >> 16)) & (buckets as u32 - 1)
}

/// `values` in the order DynamoDB's messages list them (see [`ServiceModel::with_java_enum_order`]).
fn java_hash_set_order(values: &[String]) -> Vec<String> {
    let mut ordered: Vec<(usize, &String)> = values.iter().enumerate().collect();
    ordered.sort_by_key(|&(index, value)| (java_string_hash(value) & 31, std::cmp::Reverse(index)));
    ordered
        .into_iter()
        .map(|(_, value)| value.clone())
        .collect()
}

/// The DynamoDB model, parsed on first use.
pub fn dynamodb() -> &'static ServiceModel {
    static MODEL: OnceLock<ServiceModel> = OnceLock::new();
    MODEL.get_or_init(|| {
        ServiceModel::parse(include_str!("../../models/dynamodb.json"))
            .with_java_package("com.amazonaws.dynamodb.v20120810")
            .with_java_enum_order()
            .with_java_member_order()
            .with_tags_checked_by_handlers()
            .with_table_class_checked_by_handlers()
            .with_create_table_keys_required()
    })
}

/// The DynamoDB model without the walk's check of `AttributeValue` JSON types (what the fast decoders check).
#[cfg(test)]
pub(crate) fn dynamodb_with_opaque_attribute_values() -> ServiceModel {
    let mut model = ServiceModel::parse(include_str!("../../models/dynamodb.json"))
        .with_java_enum_order()
        .with_tags_checked_by_handlers();
    model.attribute_value = None;
    model
}

/// The SQS model (JSON protocol, with the query protocol's names), parsed on first use.
pub fn sqs() -> &'static ServiceModel {
    static MODEL: OnceLock<ServiceModel> = OnceLock::new();
    MODEL.get_or_init(|| ServiceModel::parse(include_str!("../../models/sqs.json")))
}

/// The SNS model (query protocol), parsed on first use.
pub fn sns() -> &'static ServiceModel {
    static MODEL: OnceLock<ServiceModel> = OnceLock::new();
    MODEL.get_or_init(|| ServiceModel::parse(include_str!("../../models/sns.json")))
}

/// The IAM model (query protocol; the operations eddy implements), parsed on first use.
pub fn iam() -> &'static ServiceModel {
    static MODEL: OnceLock<ServiceModel> = OnceLock::new();
    MODEL.get_or_init(|| ServiceModel::parse(include_str!("../../models/iam.json")))
}

/// The STS model (query protocol; the operations eddy implements), parsed on first use.
pub fn sts() -> &'static ServiceModel {
    static MODEL: OnceLock<ServiceModel> = OnceLock::new();
    MODEL.get_or_init(|| ServiceModel::parse(include_str!("../../models/sts.json")))
}

/// The DynamoDB Streams model, parsed on first use.
pub fn dynamodb_streams() -> &'static ServiceModel {
    static MODEL: OnceLock<ServiceModel> = OnceLock::new();
    MODEL.get_or_init(|| {
        ServiceModel::parse(include_str!("../../models/dynamodbstreams.json"))
            .with_java_enum_order()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The values of a model enumeration, in message order.
    fn enumeration(model: &ServiceModel, shape: &str) -> Vec<String> {
        let Some(shape) = model.shapes.iter().find(|s| s.name == shape) else {
            panic!("no shape {shape}")
        };
        match &shape.kind {
            Kind::String {
                enumeration: Some(values),
                ..
            } => values.clone(),
            _ => panic!("{} is no enumeration", shape.name),
        }
    }

    #[test]
    fn enumerations_are_listed_in_dynamodbs_order() {
        // Each as DynamoDB's own messages list it.
        let cases: &[(&str, &[&str])] = &[
            ("ScalarAttributeType", &["B", "N", "S"]),
            (
                "Select",
                &[
                    "SPECIFIC_ATTRIBUTES",
                    "COUNT",
                    "ALL_ATTRIBUTES",
                    "ALL_PROJECTED_ATTRIBUTES",
                ],
            ),
            ("ReturnConsumedCapacity", &["INDEXES", "TOTAL", "NONE"]),
            ("ConditionalOperator", &["OR", "AND"]),
            (
                "ReturnValue",
                &["ALL_NEW", "UPDATED_OLD", "ALL_OLD", "NONE", "UPDATED_NEW"],
            ),
            ("ReturnItemCollectionMetrics", &["SIZE", "NONE"]),
            ("BillingMode", &["PROVISIONED", "PAY_PER_REQUEST"]),
            (
                "StreamViewType",
                &["OLD_IMAGE", "KEYS_ONLY", "NEW_AND_OLD_IMAGES", "NEW_IMAGE"],
            ),
            ("ContributorInsightsAction", &["ENABLE", "DISABLE"]),
            (
                "ContributorInsightsMode",
                &["THROTTLED_KEYS", "ACCESSED_AND_THROTTLED_KEYS"],
            ),
            (
                "ComparisonOperator",
                &[
                    "IN",
                    "NULL",
                    "BETWEEN",
                    "LT",
                    "NOT_CONTAINS",
                    "EQ",
                    "GT",
                    "NOT_NULL",
                    "NE",
                    "LE",
                    "BEGINS_WITH",
                    "GE",
                    "CONTAINS",
                ],
            ),
        ];
        for (shape, expected) in cases {
            assert_eq!(enumeration(dynamodb(), shape), *expected, "{shape}");
        }
    }

    fn check(op: &str, body: &str) -> Result<(), DynamoError> {
        dynamodb().validate(op, &serde_json::from_str(body).unwrap())
    }

    #[test]
    fn missing_required_members_are_reported_together() {
        let err = check("PutItem", "{}").unwrap_err();
        assert!(matches!(err, DynamoError::Validation(_)));
        let msg = err.message().unwrap();
        assert!(
            msg.starts_with("2 validation errors detected: ")
                && msg.contains(
                    "Value null at 'tableName' failed to satisfy constraint: Member must not be null"
                ),
            "{msg}"
        );
        // The control-plane calls name a missing TableName in their own sentence first.
        assert_eq!(
            check("CreateTable", "{}").unwrap_err().message().as_deref(),
            Some("The parameter 'TableName' is required but was not present in the request")
        );
    }

    #[test]
    fn the_newer_framework_words_its_constraints_without_the_value() {
        let message = |op, body| check(op, body).unwrap_err().message().unwrap().to_string();
        assert_eq!(
            message("Query", r#"{"TableName":"t12","Limit":0}"#),
            "1 validation error detected: Value at 'Limit' failed to satisfy constraint: Member must have value greater than or equal to 1"
        );
        assert_eq!(
            message("BatchGetItem", r#"{"RequestItems":{}}"#),
            "1 validation error detected: Value at 'RequestItems' failed to satisfy constraint: Member must have length greater than or equal to 1"
        );
        assert_eq!(
            message("BatchGetItem", r#"{"RequestItems":{"tbl":{"Keys":[]}}}"#),
            "1 validation error detected: Value at 'RequestItems.tbl.member.Keys' failed to satisfy constraint: Member must have length greater than or equal to 1"
        );
    }

    #[test]
    fn constraint_messages_use_aws_wording() {
        let msg = check("Scan", r#"{"TableName":"t12","Limit":0}"#)
            .unwrap_err()
            .message()
            .unwrap();
        assert_eq!(
            msg,
            "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1"
        );
        let msg = check("CreateTable", r#"{"TableName":"abc","KeySchema":[{"AttributeName":"a","KeyType":"BAD"}],"AttributeDefinitions":[]}"#)
            .unwrap_err()
            .message()
            .unwrap();
        assert!(msg.contains("Value 'BAD' at 'keySchema.1.member.keyType' failed to satisfy constraint: Member must satisfy enum value set: [HASH, RANGE]"), "{msg}");
    }

    #[test]
    fn json_type_errors_are_serialization_exceptions() {
        let err = check("DescribeTable", r#"{"TableName":5}"#).unwrap_err();
        assert_eq!(
            err,
            DynamoError::Serialization("NUMBER_VALUE cannot be converted to String".into())
        );
        let err = check("Scan", r#"{"TableName":"abc","Limit":"x"}"#).unwrap_err();
        assert_eq!(
            err,
            DynamoError::Serialization("STRING_VALUE cannot be converted to Integer".into())
        );
    }
}
