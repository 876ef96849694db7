//! The operation → action and resource mapping, service by service.

use std::sync::Arc;

use axum::http::Method;
use eddy_iam::service::CreateRole;
use eddy_iam::{Caller, Iam, IamConfig};
use eddy_model::{Clock, Scope};
use eddy_store::{Store, StoreConfig};

use super::*;

const ACCOUNT: &str = "123456789012";

async fn iam() -> Iam {
    let clock = Arc::new(Clock::new());
    let store = Store::in_memory(clock.clone(), StoreConfig::default());
    Iam::open(store, clock, IamConfig::default()).await.unwrap()
}

struct Fixture {
    iam: Iam,
    scope: Scope,
    caller: Caller,
}

impl Fixture {
    async fn new() -> Fixture {
        Fixture {
            iam: iam().await,
            scope: Scope::new(ACCOUNT, "eu-west-1"),
            caller: Caller::User {
                account: ACCOUNT.into(),
                name: "dev".into(),
                path: "/".into(),
                user_id: "AIDAX".into(),
            },
        }
    }

    fn needed(
        &self,
        wire: Wire,
        method: &Method,
        path: &str,
        query: Option<&str>,
        body: &str,
        params: &[(&str, &str)],
    ) -> Vec<(String, String)> {
        let params: Vec<(String, String)> = params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let view = RequestView {
            method,
            path,
            query,
            body: body.as_bytes(),
            params: &params,
            scope: &self.scope,
            caller: &self.caller,
            iam: &self.iam,
        };
        required(&wire, &view)
            .into_iter()
            .map(|n| (n.action, n.resource))
            .collect()
    }

    fn json(&self, service: JsonService, op: &str, body: &str) -> Vec<(String, String)> {
        let wire = Wire::Json {
            service,
            op: op.into(),
        };
        self.needed(wire, &Method::POST, "/", None, body, &[])
    }

    fn query(
        &self,
        service: QueryService,
        op: &str,
        params: &[(&str, &str)],
    ) -> Vec<(String, String)> {
        let wire = Wire::Query {
            service,
            op: op.into(),
        };
        self.needed(wire, &Method::POST, "/", None, "", params)
    }

    fn lambda(
        &self,
        method: Method,
        path: &str,
        query: Option<&str>,
        body: &str,
    ) -> Vec<(String, String)> {
        self.needed(Wire::Lambda, &method, path, query, body, &[])
    }
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(a, r)| (a.to_string(), r.to_string()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dynamodb_operations_act_on_tables_and_indexes() {
    let f = Fixture::new().await;
    let table = "arn:aws:dynamodb:eu-west-1:123456789012:table/Orders";
    assert_eq!(
        f.json(
            JsonService::DynamoDb,
            "PutItem",
            r#"{"TableName":"Orders","Item":{}}"#
        ),
        pairs(&[("dynamodb:PutItem", table)])
    );
    assert_eq!(
        f.json(
            JsonService::DynamoDb,
            "Query",
            r#"{"TableName":"Orders","IndexName":"byDate"}"#
        ),
        pairs(&[(
            "dynamodb:Query",
            "arn:aws:dynamodb:eu-west-1:123456789012:table/Orders/index/byDate"
        )])
    );
    assert_eq!(
        f.json(JsonService::DynamoDb, "ListTables", "{}"),
        pairs(&[("dynamodb:ListTables", "*")])
    );
    let batch = f.json(
        JsonService::DynamoDb,
        "BatchWriteItem",
        r#"{"RequestItems":{"A":[],"B":[]}}"#,
    );
    assert_eq!(batch.len(), 2);
    assert!(batch.iter().all(|(a, _)| a == "dynamodb:BatchWriteItem"));
    assert_eq!(
        f.json(
            JsonService::DynamoDb,
            "TransactWriteItems",
            r#"{"TransactItems":[{"Put":{"TableName":"A","Item":{}}},{"ConditionCheck":{"TableName":"B"}},{"Delete":{"TableName":"A"}}]}"#
        ),
        pairs(&[
            ("dynamodb:PutItem", "arn:aws:dynamodb:eu-west-1:123456789012:table/A"),
            ("dynamodb:ConditionCheckItem", "arn:aws:dynamodb:eu-west-1:123456789012:table/B"),
            ("dynamodb:DeleteItem", "arn:aws:dynamodb:eu-west-1:123456789012:table/A"),
        ])
    );
    assert_eq!(
        f.json(JsonService::DynamoDb, "GetItem", "not json"),
        pairs(&[("dynamodb:GetItem", "*")]),
        "an unreadable body still needs the action (and then fails validation)"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stream_operations_act_on_streams() {
    let f = Fixture::new().await;
    let stream =
        "arn:aws:dynamodb:eu-west-1:123456789012:table/Orders/stream/2024-01-01T00:00:00.000";
    assert_eq!(
        f.json(
            JsonService::Streams,
            "GetRecords",
            &format!(r#"{{"ShardIterator":"{stream}|1|abc"}}"#)
        ),
        pairs(&[("dynamodb:GetRecords", stream)])
    );
    assert_eq!(
        f.json(
            JsonService::Streams,
            "DescribeStream",
            &format!(r#"{{"StreamArn":"{stream}"}}"#)
        ),
        pairs(&[("dynamodb:DescribeStream", stream)])
    );
    assert_eq!(
        f.json(
            JsonService::Streams,
            "ListStreams",
            r#"{"TableName":"Orders"}"#
        ),
        pairs(&[(
            "dynamodb:ListStreams",
            "arn:aws:dynamodb:eu-west-1:123456789012:table/Orders/stream/*"
        )])
    );
    assert_eq!(
        f.json(
            JsonService::Logs,
            "GetLogEvents",
            r#"{"logGroupName":"/aws/lambda/f","logStreamName":"s"}"#
        ),
        pairs(&[(
            "logs:GetLogEvents",
            "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/f:log-stream:s"
        )])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queue_and_topic_operations_name_their_resources() {
    let f = Fixture::new().await;
    let queue = "arn:aws:sqs:eu-west-1:123456789012:jobs";
    let sqs_json = Wire::SqsJson {
        op: "SendMessageBatch".into(),
    };
    assert_eq!(
        f.needed(
            sqs_json.clone(),
            &Method::POST,
            "/",
            None,
            r#"{"QueueUrl":"http://localhost:4566/123456789012/jobs","Entries":[]}"#,
            &[]
        ),
        pairs(&[("sqs:SendMessage", queue)])
    );
    let needed = Needed::new("sqs:SendMessage", queue);
    assert_eq!(needed.written_for(&sqs_json), "sqs:sendmessage");
    assert_eq!(
        f.query(QueryService::Sqs, "CreateQueue", &[("QueueName", "jobs")]),
        pairs(&[("sqs:CreateQueue", queue)])
    );
    let posted_to_queue = f.needed(
        Wire::Query {
            service: QueryService::Sqs,
            op: "ReceiveMessage".into(),
        },
        &Method::POST,
        "/123456789012/jobs",
        None,
        "",
        &[],
    );
    assert_eq!(posted_to_queue, pairs(&[("sqs:ReceiveMessage", queue)]));
    let topic = "arn:aws:sns:eu-west-1:123456789012:alerts";
    assert_eq!(
        f.query(QueryService::Sns, "Publish", &[("TopicArn", topic)]),
        pairs(&[("sns:Publish", topic)])
    );
    assert_eq!(
        f.query(
            QueryService::Sns,
            "Unsubscribe",
            &[("SubscriptionArn", &format!("{topic}:0a1b2c"))]
        ),
        pairs(&[("sns:Unsubscribe", topic)])
    );
    assert_eq!(
        f.query(QueryService::Sns, "CreateTopic", &[("Name", "alerts")]),
        pairs(&[("sns:CreateTopic", topic)])
    );
    let sns = Wire::Query {
        service: QueryService::Sns,
        op: "Publish".into(),
    };
    assert_eq!(
        Needed::new("sns:Publish", topic).written_for(&sns),
        "SNS:Publish"
    );
    assert!(f.query(QueryService::Sts, "AssumeRole", &[]).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lambda_operations_act_on_functions_and_pass_roles() {
    let f = Fixture::new().await;
    let function = "arn:aws:lambda:eu-west-1:123456789012:function:f";
    assert_eq!(
        f.lambda(
            Method::POST,
            "/2015-03-31/functions/f/invocations",
            None,
            "{}"
        ),
        pairs(&[("lambda:InvokeFunction", function)])
    );
    assert_eq!(
        f.lambda(
            Method::POST,
            "/2015-03-31/functions/f%3Alive/invocations",
            None,
            ""
        ),
        pairs(&[("lambda:InvokeFunction", &format!("{function}:live"))])
    );
    assert_eq!(
        f.lambda(
            Method::GET,
            "/2015-03-31/functions/f",
            Some("Qualifier=3"),
            ""
        ),
        pairs(&[("lambda:GetFunction", &format!("{function}:3"))])
    );
    assert_eq!(
        f.lambda(
            Method::POST,
            "/2015-03-31/functions",
            None,
            r#"{"FunctionName":"f","Role":"arn:aws:iam::123456789012:role/r"}"#
        ),
        pairs(&[
            ("lambda:CreateFunction", function),
            ("iam:PassRole", "arn:aws:iam::123456789012:role/r"),
        ])
    );
    assert_eq!(
        f.lambda(Method::GET, "/2015-03-31/functions/", None, ""),
        pairs(&[("lambda:ListFunctions", "*")])
    );
    assert_eq!(
        f.lambda(
            Method::POST,
            "/2015-03-31/event-source-mappings/",
            None,
            "{}"
        ),
        pairs(&[("lambda:CreateEventSourceMapping", "*")])
    );
    assert_eq!(
        f.lambda(
            Method::PUT,
            "/2015-03-31/event-source-mappings/u-1",
            None,
            "{}"
        ),
        pairs(&[(
            "lambda:UpdateEventSourceMapping",
            "arn:aws:lambda:eu-west-1:123456789012:event-source-mapping:u-1"
        )])
    );
    assert_eq!(
        f.lambda(
            Method::DELETE,
            "/2017-03-31/tags/arn%3Aaws%3Alambda%3Aeu-west-1%3A123456789012%3Afunction%3Ag",
            Some("tagKeys=a"),
            ""
        ),
        pairs(&[(
            "lambda:UntagResource",
            "arn:aws:lambda:eu-west-1:123456789012:function:g"
        )])
    );
    assert_eq!(
        function_arn(&f.scope, "123456789012:function:g", None),
        "arn:aws:lambda:eu-west-1:123456789012:function:g"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn iam_operations_act_on_roles_users_and_policies() {
    let f = Fixture::new().await;
    f.iam
        .create_role(
            ACCOUNT,
            CreateRole {
                name: "svc".into(),
                path: Some("/apps/".into()),
                trust: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#.into(),
                ..CreateRole::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        f.query(QueryService::Iam, "PutRolePolicy", &[("RoleName", "svc")]),
        pairs(&[(
            "iam:PutRolePolicy",
            "arn:aws:iam::123456789012:role/apps/svc"
        )])
    );
    assert_eq!(
        f.query(QueryService::Iam, "CreateRole", &[("RoleName", "new")]),
        pairs(&[("iam:CreateRole", "arn:aws:iam::123456789012:role/new")])
    );
    assert_eq!(
        f.query(
            QueryService::Iam,
            "CreatePolicy",
            &[("PolicyName", "p"), ("Path", "/x/")]
        ),
        pairs(&[("iam:CreatePolicy", "arn:aws:iam::123456789012:policy/x/p")])
    );
    assert_eq!(
        f.query(QueryService::Iam, "CreateAccessKey", &[]),
        pairs(&[("iam:CreateAccessKey", "arn:aws:iam::123456789012:user/dev")])
    );
    assert_eq!(
        f.query(QueryService::Iam, "ListRoles", &[]),
        pairs(&[("iam:ListRoles", "*")])
    );
}
