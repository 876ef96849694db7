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
        ServiceModel {
            operations,
            shapes,
            outputs,
        }
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
        let Some(&shape) = self.operations.get(op) else {
            return Ok(());
        };
        let mut errors = Vec::new();
        self.walk(shape, body, &Path::ROOT, &mut errors)?;
        if errors.is_empty() {
            return Ok(());
        }
        let n = errors.len();
        Err(DynamoError::Validation(format!(
            "{n} validation error{} detected: {}",
            if n > 1 { "s" } else { "" },
            errors.join("; ")
        )))
    }

    fn walk(
        &self,
        shape_id: usize,
        value: &Value,
        path: &Path<'_>,
        errors: &mut Vec<String>,
    ) -> Result<(), DynamoError> {
        let shape = &self.shapes[shape_id];
        if value.is_null() {
            return Ok(());
        }
        match &shape.kind {
            Kind::Opaque => Ok(()),
            Kind::Structure { members, required } => {
                let obj = expect_object(value)?;
                for member in members {
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
                        continue;
                    }
                    self.walk(member.shape, child, &child_path, errors)?;
                }
                Ok(())
            }
            Kind::List {
                item: item_shape, ..
            } => {
                let items = match value {
                    Value::Array(a) => a,
                    Value::Object(_) => {
                        return Err(serialization(
                            "Start of structure or map found where not expected",
                        ));
                    }
                    _ => return Err(serialization("Expected list or null")),
                };
                self.check_length(shape, items.len(), value, path, errors);
                for (i, item) in items.iter().enumerate() {
                    self.walk(
                        *item_shape,
                        item,
                        &Path {
                            parent: Some(path),
                            step: Step::Item(i + 1),
                        },
                        errors,
                    )?;
                }
                Ok(())
            }
            Kind::Map {
                key,
                value: value_shape,
                ..
            } => {
                let obj = match value {
                    Value::Object(o) => o,
                    Value::Array(_) => {
                        return Err(serialization("Start of list found where not expected"));
                    }
                    _ => return Err(serialization("Expected map or null")),
                };
                self.check_length(shape, obj.len(), value, path, errors);
                for (k, v) in obj {
                    self.walk(
                        *key,
                        &Value::String(k.clone()),
                        &Path {
                            parent: Some(path),
                            step: Step::MapKey(k),
                        },
                        errors,
                    )?;
                    self.walk(
                        *value_shape,
                        v,
                        &Path {
                            parent: Some(path),
                            step: Step::MapValue(k),
                        },
                        errors,
                    )?;
                }
                Ok(())
            }
            Kind::String {
                pattern,
                enumeration,
            } => {
                let s = expect_scalar(value, "String")?;
                self.check_length(shape, s.chars().count(), value, path, errors);
                if let Some(pattern @ (source, _)) = pattern
                    && !pattern_matches(pattern, s)
                {
                    report(
                        errors,
                        format!(
                            "Value '{}' at '{path}' failed to satisfy constraint: Member must satisfy regular expression pattern: {source}",
                            s
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
                Ok(())
            }
            Kind::Integer { java } => {
                let n = match value {
                    Value::Number(n) => n.as_f64().unwrap_or(0.0).floor(),
                    Value::String(_) => {
                        return Err(serialization(&format!(
                            "STRING_VALUE cannot be converted to {java}"
                        )));
                    }
                    Value::Bool(_) => {
                        return Err(serialization(&format!(
                            "BOOLEAN_VALUE cannot be converted to {java}"
                        )));
                    }
                    Value::Array(_) => {
                        return Err(serialization("Start of list found where not expected"));
                    }
                    _ => {
                        return Err(serialization(
                            "Start of structure or map found where not expected",
                        ));
                    }
                };
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
                Ok(())
            }
            Kind::Double => match value {
                Value::Number(_) => Ok(()),
                Value::String(_) => {
                    Err(serialization("STRING_VALUE cannot be converted to Double"))
                }
                _ => Err(serialization("Unexpected value type in payload")),
            },
            Kind::Boolean => match value {
                Value::Bool(_) => Ok(()),
                Value::String(_) => {
                    Err(serialization("STRING_VALUE cannot be converted to Boolean"))
                }
                Value::Number(_) => {
                    Err(serialization("NUMBER_VALUE cannot be converted to Boolean"))
                }
                Value::Array(_) => Err(serialization("Start of list found where not expected")),
                _ => Err(serialization(
                    "Start of structure or map found where not expected",
                )),
            },
            Kind::Blob => {
                let s = expect_scalar(value, "Blob")?;
                eddy_model::value::decode_blob(s)
                    .map(|_| ())
                    .map_err(|m| serialization(&m))
            }
            Kind::Timestamp => match value {
                Value::Number(_) | Value::String(_) => Ok(()),
                _ => Err(serialization("Unexpected value type in payload")),
            },
        }
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

fn expect_object(value: &Value) -> Result<&serde_json::Map<String, Value>, DynamoError> {
    match value {
        Value::Object(o) => Ok(o),
        Value::Array(_) => Err(serialization("Start of list found where not expected")),
        _ => Err(serialization("Unexpected value type in payload")),
    }
}

fn expect_scalar<'a>(value: &'a Value, java: &str) -> Result<&'a str, DynamoError> {
    match value {
        Value::String(s) => Ok(s),
        Value::Number(_) => Err(serialization(&format!(
            "NUMBER_VALUE cannot be converted to {java}"
        ))),
        Value::Bool(_) => Err(serialization(&format!(
            "BOOLEAN_VALUE cannot be converted to {java}"
        ))),
        Value::Array(_) => Err(serialization("Start of list found where not expected")),
        _ => Err(serialization(
            "Start of structure or map found where not expected",
        )),
    }
}

/// The DynamoDB model, parsed on first use.
pub fn dynamodb() -> &'static ServiceModel {
    static MODEL: OnceLock<ServiceModel> = OnceLock::new();
    MODEL.get_or_init(|| ServiceModel::parse(include_str!("../../models/dynamodb.json")))
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
    MODEL.get_or_init(|| ServiceModel::parse(include_str!("../../models/dynamodbstreams.json")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(op: &str, body: &str) -> Result<(), DynamoError> {
        dynamodb().validate(op, &serde_json::from_str(body).unwrap())
    }

    #[test]
    fn missing_required_members_are_reported_together() {
        let err = check("CreateTable", "{}").unwrap_err();
        assert!(matches!(err, DynamoError::Validation(_)));
        let msg = err.message().unwrap();
        assert!(
            msg.contains(
                "Value null at 'tableName' failed to satisfy constraint: Member must not be null"
            ),
            "{msg}"
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
