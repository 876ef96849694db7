//! What a request asks IAM for: each operation mapped to its IAM action(s) and the ARN of the resource(s) it
//! acts on, as AWS's Service Authorization Reference lists them for the operations eddy serves.
//!
//! * DynamoDB: `dynamodb:<Operation>` on the table (`…:table/<name>`, `…/index/<name>` for a query or scan
//!   of an index); the batch operations on every table they touch; `TransactWriteItems` and
//!   `TransactGetItems` as the item actions they perform (`PutItem`, `UpdateItem`, `DeleteItem`,
//!   `ConditionCheckItem`, `GetItem`); account-wide operations on `*`.
//! * DynamoDB Streams: `dynamodb:DescribeStream`, `GetShardIterator`, `GetRecords` on the stream;
//!   `ListStreams` on the table's streams (`…:table/<name>/stream/*`) or `*`.
//! * SQS: `sqs:<Operation>` on the queue, the batch operations as their single forms; `ListQueues` on `*`.
//! * SNS: `sns:<Operation>` on the topic (a subscription's topic for subscription operations).
//! * Lambda: `lambda:<Operation>` on the function (qualified when the request is), `Invoke` as
//!   `lambda:InvokeFunction`, `iam:PassRole` on the role for `CreateFunction` and a role change; event source
//!   mappings on `…:event-source-mapping:<UUID>` (`*` for create and list).
//! * CloudWatch Logs: `logs:<Operation>` on the log group (`…:log-group:<name>:*`) or stream.
//! * IAM: `iam:<Operation>` on the role, user or policy; lists on `*`.
//! * STS: nothing — `GetCallerIdentity` needs no permission and `AssumeRole` is judged by the operation
//!   itself (trust policy, then the caller's policies).
//!
//! The action is also given as the service writes it in its `AccessDenied` message: SNS writes `SNS:Publish`,
//! SQS the action in lower case (`sqs:sendmessage`).

use std::collections::BTreeMap;

use axum::http::Method;
use eddy_iam::Caller;
use eddy_iam::Iam;
use eddy_model::Scope;
use serde::Deserialize;
use serde::de::IgnoredAny;

use super::wire::{JsonService, QueryService, Wire};

/// One permission a request needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Needed {
    /// The IAM action (`dynamodb:PutItem`).
    pub action: String,
    /// The resource's ARN, or `*`.
    pub resource: String,
}

impl Needed {
    fn new(action: impl Into<String>, resource: impl Into<String>) -> Needed {
        Needed {
            action: action.into(),
            resource: resource.into(),
        }
    }

    /// The action as the service writes it in an `AccessDenied` message.
    pub fn written_for(&self, wire: &Wire) -> String {
        match wire {
            Wire::Query {
                service: QueryService::Sns,
                ..
            } => self.action.replacen("sns:", "SNS:", 1),
            Wire::Query {
                service: QueryService::Sqs,
                ..
            }
            | Wire::SqsJson { .. } => self.action.to_ascii_lowercase(),
            _ => self.action.clone(),
        }
    }
}

/// What the mapping needs to know of a request besides its protocol.
pub struct RequestView<'a> {
    pub method: &'a Method,
    pub path: &'a str,
    pub query: Option<&'a str>,
    pub body: &'a [u8],
    /// Query-protocol parameters (query string and form body).
    pub params: &'a [(String, String)],
    pub scope: &'a Scope,
    pub caller: &'a Caller,
    pub iam: &'a Iam,
}

impl RequestView<'_> {
    fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The permissions a request needs.
pub fn required(wire: &Wire, req: &RequestView<'_>) -> Vec<Needed> {
    match wire {
        Wire::Json {
            service: JsonService::DynamoDb,
            op,
        } => dynamodb(op, req),
        Wire::Json {
            service: JsonService::Streams,
            op,
        } => streams(op, req),
        Wire::Json {
            service: JsonService::Logs,
            op,
        } => logs(op, req),
        Wire::SqsJson { op } => {
            let body: SqsTargets = serde_json::from_slice(req.body).unwrap_or_default();
            sqs(
                op,
                body.queue_url.as_deref(),
                body.queue_name.as_deref(),
                req,
            )
        }
        Wire::Query { service, op } => match service {
            QueryService::Sqs => {
                let url = req
                    .param("QueueUrl")
                    .map(str::to_string)
                    .or_else(|| queue_url_of_path(req.path));
                sqs(op, url.as_deref(), req.param("QueueName"), req)
            }
            QueryService::Sns => sns(op, req),
            QueryService::Iam => iam(op, req),
            QueryService::Sts => Vec::new(),
        },
        Wire::Lambda => lambda(req),
        // Root only, checked by the layer.
        Wire::Control => Vec::new(),
    }
}

// --- DynamoDB ----------------------------------------------------------------------------------------------

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct DynamoTargets {
    table_name: Option<String>,
    index_name: Option<String>,
    resource_arn: Option<String>,
    stream_arn: Option<String>,
    shard_iterator: Option<String>,
    request_items: Option<BTreeMap<String, IgnoredAny>>,
    transact_items: Option<Vec<TransactItem>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct TransactItem {
    put: Option<TableOnly>,
    update: Option<TableOnly>,
    delete: Option<TableOnly>,
    condition_check: Option<TableOnly>,
    get: Option<TableOnly>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct TableOnly {
    table_name: String,
}

fn table_arn(scope: &Scope, table: &str) -> String {
    if table.starts_with("arn:") {
        table.to_string()
    } else {
        scope.table_arn(table)
    }
}

fn dynamodb(op: &str, req: &RequestView<'_>) -> Vec<Needed> {
    let body: DynamoTargets = serde_json::from_slice(req.body).unwrap_or_default();
    let action = format!("dynamodb:{op}");
    let scope = req.scope;
    match op {
        "BatchGetItem" | "BatchWriteItem" => body
            .request_items
            .unwrap_or_default()
            .keys()
            .map(|t| Needed::new(&action, table_arn(scope, t)))
            .collect(),
        "TransactWriteItems" | "TransactGetItems" => body
            .transact_items
            .unwrap_or_default()
            .iter()
            .filter_map(|item| {
                let pick = [
                    (&item.put, "PutItem"),
                    (&item.update, "UpdateItem"),
                    (&item.delete, "DeleteItem"),
                    (&item.condition_check, "ConditionCheckItem"),
                    (&item.get, "GetItem"),
                ];
                pick.into_iter().find_map(|(t, a)| {
                    t.as_ref().map(|t| {
                        Needed::new(format!("dynamodb:{a}"), table_arn(scope, &t.table_name))
                    })
                })
            })
            .collect(),
        "TagResource" | "UntagResource" | "ListTagsOfResource" => vec![Needed::new(
            action,
            body.resource_arn.unwrap_or_else(|| "*".into()),
        )],
        _ => {
            let resource = match (&body.table_name, &body.index_name) {
                (Some(t), Some(i)) if !t.starts_with("arn:") => scope.index_arn(t, i),
                (Some(t), _) => table_arn(scope, t),
                (None, _) => "*".into(),
            };
            vec![Needed::new(action, resource)]
        }
    }
}

fn streams(op: &str, req: &RequestView<'_>) -> Vec<Needed> {
    let body: DynamoTargets = serde_json::from_slice(req.body).unwrap_or_default();
    let resource = match op {
        "GetRecords" => body
            .shard_iterator
            .as_deref()
            .and_then(|i| i.split('|').next())
            .filter(|arn| arn.starts_with("arn:"))
            .map(str::to_string),
        "ListStreams" => body
            .table_name
            .map(|t| format!("{}/stream/*", table_arn(req.scope, &t))),
        _ => body.stream_arn,
    };
    vec![Needed::new(
        format!("dynamodb:{op}"),
        resource.unwrap_or_else(|| "*".into()),
    )]
}

// --- CloudWatch Logs ---------------------------------------------------------------------------------------

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct LogTargets {
    log_group_name: Option<String>,
    log_stream_name: Option<String>,
}

fn logs(op: &str, req: &RequestView<'_>) -> Vec<Needed> {
    let body: LogTargets = serde_json::from_slice(req.body).unwrap_or_default();
    let group = |g: &str| {
        format!(
            "arn:aws:logs:{}:{}:log-group:{g}",
            req.scope.region, req.scope.account
        )
    };
    let resource = match (&body.log_group_name, &body.log_stream_name) {
        (Some(g), Some(s)) if op == "GetLogEvents" => format!("{}:log-stream:{s}", group(g)),
        (Some(g), _) => format!("{}:*", group(g)),
        (None, _) => "*".into(),
    };
    vec![Needed::new(format!("logs:{op}"), resource)]
}

// --- SQS ---------------------------------------------------------------------------------------------------

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct SqsTargets {
    queue_url: Option<String>,
    queue_name: Option<String>,
}

/// `/<account>/<name>` as the URL of the queue it names (a query request posted to a queue's URL).
fn queue_url_of_path(path: &str) -> Option<String> {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    (segments.len() == 2).then(|| format!("http://localhost/{}/{}", segments[0], segments[1]))
}

/// The ARN of the queue a URL names (`<scheme>://<host>/<account>/<name>`).
fn queue_arn(url: &str, scope: &Scope) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let (host, path) = rest.split_once('/')?;
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let [account, name] = segments.as_slice() else {
        return None;
    };
    let host = host.split(':').next().unwrap_or(host);
    let region = host
        .strip_prefix("sqs.")
        .and_then(|h| h.strip_suffix(".amazonaws.com"))
        .unwrap_or(&scope.region);
    Some(format!("arn:aws:sqs:{region}:{account}:{name}"))
}

fn sqs(op: &str, url: Option<&str>, name: Option<&str>, req: &RequestView<'_>) -> Vec<Needed> {
    let action = match op {
        "SendMessageBatch" => "SendMessage",
        "DeleteMessageBatch" => "DeleteMessage",
        "ChangeMessageVisibilityBatch" => "ChangeMessageVisibility",
        other => other,
    };
    let scope = req.scope;
    let resource = url
        .and_then(|u| queue_arn(u, scope))
        .or_else(|| name.map(|n| format!("arn:aws:sqs:{}:{}:{n}", scope.region, scope.account)))
        .unwrap_or_else(|| "*".into());
    vec![Needed::new(format!("sqs:{action}"), resource)]
}

// --- SNS ---------------------------------------------------------------------------------------------------

fn sns(op: &str, req: &RequestView<'_>) -> Vec<Needed> {
    let scope = req.scope;
    let resource = req
        .param("TopicArn")
        .or_else(|| req.param("TargetArn"))
        .or_else(|| req.param("ResourceArn"))
        .map(str::to_string)
        .or_else(|| {
            // A subscription ARN is its topic's ARN and an id.
            req.param("SubscriptionArn")
                .and_then(|s| s.rsplit_once(':'))
                .map(|(topic, _)| topic.to_string())
        })
        .or_else(|| {
            (op == "CreateTopic")
                .then(|| req.param("Name"))
                .flatten()
                .map(|n| format!("arn:aws:sns:{}:{}:{n}", scope.region, scope.account))
        })
        .unwrap_or_else(|| "*".into());
    vec![Needed::new(format!("sns:{op}"), resource)]
}

// --- IAM ---------------------------------------------------------------------------------------------------

fn iam(op: &str, req: &RequestView<'_>) -> Vec<Needed> {
    let account = req.scope.account.as_ref();
    let action = format!("iam:{op}");
    let resource = if let Some(role) = req.param("RoleName") {
        req.iam
            .get_role(account, role)
            .map(|r| r.arn())
            .unwrap_or_else(|_| eddy_iam::service::role_arn(account, "/", role))
    } else if let Some(user) = req.param("UserName") {
        req.iam
            .get_user(account, user)
            .map(|u| u.arn())
            .unwrap_or_else(|_| format!("arn:aws:iam::{account}:user/{user}"))
    } else if let Some(arn) = req.param("PolicyArn") {
        arn.to_string()
    } else if op == "CreatePolicy" {
        let path = req.param("Path").unwrap_or("/");
        let name = req.param("PolicyName").unwrap_or("");
        eddy_iam::service::policy_arn(account, path, name)
    } else if matches!(
        op,
        "GetUser" | "CreateAccessKey" | "ListAccessKeys" | "DeleteAccessKey"
    ) {
        // Without `UserName` these act on the caller.
        req.caller.arn()
    } else {
        "*".into()
    };
    vec![Needed::new(action, resource)]
}

// --- Lambda ------------------------------------------------------------------------------------------------

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct LambdaTargets {
    function_name: Option<String>,
    role: Option<String>,
}

/// The ARN a `FunctionName` (name, `name:qualifier`, partial or full ARN) stands for.
fn function_arn(scope: &Scope, function: &str, qualifier: Option<&str>) -> String {
    let base = if function.starts_with("arn:") {
        function.to_string()
    } else {
        let parts: Vec<&str> = function.split(':').collect();
        match parts.as_slice() {
            [account, "function", rest @ ..] => format!(
                "arn:aws:lambda:{}:{account}:function:{}",
                scope.region,
                rest.join(":")
            ),
            _ => format!(
                "arn:aws:lambda:{}:{}:function:{function}",
                scope.region, scope.account
            ),
        }
    };
    match qualifier {
        Some(q) if !q.is_empty() => format!("{base}:{q}"),
        _ => base,
    }
}

fn lambda(req: &RequestView<'_>) -> Vec<Needed> {
    let scope = req.scope;
    let path = req.path.trim_end_matches('/');
    if let Some(rest) = path.strip_prefix("/2015-03-31/event-source-mappings") {
        let uuid = rest.trim_start_matches('/');
        let (action, resource) = match (req.method.as_str(), uuid.is_empty()) {
            ("POST", true) => ("CreateEventSourceMapping", "*".to_string()),
            (_, true) => ("ListEventSourceMappings", "*".to_string()),
            (method, false) => (
                match method {
                    "PUT" => "UpdateEventSourceMapping",
                    "DELETE" => "DeleteEventSourceMapping",
                    _ => "GetEventSourceMapping",
                },
                format!(
                    "arn:aws:lambda:{}:{}:event-source-mapping:{uuid}",
                    scope.region, scope.account
                ),
            ),
        };
        return vec![Needed::new(format!("lambda:{action}"), resource)];
    }
    if let Some(arn) = path.strip_prefix("/2017-03-31/tags/") {
        let action = match req.method.as_str() {
            "POST" => "TagResource",
            "DELETE" => "UntagResource",
            _ => "ListTags",
        };
        let resource = crate::lambda::wire::percent_decode(arn, false);
        return vec![Needed::new(format!("lambda:{action}"), resource)];
    }
    let Some((op, labels)) = crate::lambda::route_of(req.method, req.path) else {
        return Vec::new();
    };
    let body: LambdaTargets = if op == "Invoke" {
        LambdaTargets::default()
    } else {
        serde_json::from_slice(req.body).unwrap_or_default()
    };
    let qualifier = crate::lambda::wire::query_pairs(req.query)
        .into_iter()
        .find(|(k, _)| k == "Qualifier")
        .map(|(_, v)| v);
    let function = labels
        .get("FunctionName")
        .cloned()
        .or(body.function_name.clone());
    let resource = match (op, function) {
        ("ListFunctions" | "GetAccountSettings", _) | (_, None) => "*".to_string(),
        (_, Some(f)) => function_arn(scope, &f, qualifier.as_deref()),
    };
    let action = if op == "Invoke" { "InvokeFunction" } else { op };
    let mut needed = vec![Needed::new(format!("lambda:{action}"), resource)];
    if let Some(role) = body
        .role
        .filter(|_| matches!(op, "CreateFunction" | "UpdateFunctionConfiguration"))
    {
        needed.push(Needed::new("iam:PassRole", role));
    }
    needed
}

#[cfg(test)]
mod tests;
