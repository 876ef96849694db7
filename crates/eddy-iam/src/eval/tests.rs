//! Evaluation cases taken from AWS's documentation — "Policy evaluation logic", "IAM JSON policy elements"
//! (Action, NotAction, Resource, NotResource, Condition), "Condition operators", "Conditions with multiple
//! context keys or values", "Set operators for multivalued context keys", "Policy variables" and "Principal" —
//! most with the documentation's own example policies. Each row says what it shows.

use std::net::IpAddr;

use serde_json::{Value, json};

use super::*;
use crate::policy::{PolicyDocument, PolicyKind};

fn policy(document: &Value) -> PolicyDocument {
    let text = document.to_string();
    let kind = if document.get("Version") == Some(&json!("2012-10-17")) {
        PolicyKind::Managed
    } else {
        PolicyKind::Inline
    };
    match PolicyDocument::parse(&text, kind) {
        Ok(policy) => policy,
        Err(error) => panic!("{text}: {error}"),
    }
}

fn allow(action: Value, resource: Value) -> Value {
    json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": action, "Resource": resource}})
}

fn with_statements(statements: Value) -> Value {
    json!({"Version": "2012-10-17", "Statement": statements})
}

fn req(action: &str, resource: &str) -> AccessRequest {
    AccessRequest::new(action, resource)
}

fn s(text: &str) -> ContextValue {
    ContextValue::string(text)
}

fn ip(text: &str) -> ContextValue {
    match text.parse::<IpAddr>() {
        Ok(ip) => ContextValue::Ip(ip),
        Err(_) => ContextValue::string(text),
    }
}

struct Case {
    shows: &'static str,
    policies: Vec<Value>,
    request: AccessRequest,
    expected: Decision,
}

fn case(
    shows: &'static str,
    policies: Vec<Value>,
    request: AccessRequest,
    expected: Decision,
) -> Case {
    Case {
        shows,
        policies,
        request,
        expected,
    }
}

fn run(cases: Vec<Case>) {
    for case in cases {
        let parsed: Vec<PolicyDocument> = case.policies.iter().map(policy).collect();
        let refs: Vec<&PolicyDocument> = parsed.iter().collect();
        assert_eq!(
            evaluate(&refs, &case.request),
            case.expected,
            "{}",
            case.shows
        );
    }
}

use Decision::{Allow, ExplicitDeny, ImplicitDeny};

const BUCKET: &str = "arn:aws:s3:::amzn-s3-demo-bucket";
const OBJECT: &str = "arn:aws:s3:::amzn-s3-demo-bucket/photo.jpg";

#[test]
fn explicit_deny_wins_then_allow_then_default_deny() {
    let allow_s3 = allow(json!("s3:*"), json!("*"));
    let deny_delete =
        with_statements(json!({"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"}));
    run(vec![
        case(
            "no policy: denied by default",
            vec![],
            req("s3:GetObject", OBJECT),
            ImplicitDeny,
        ),
        case(
            "an allow allows",
            vec![allow_s3.clone()],
            req("s3:GetObject", OBJECT),
            Allow,
        ),
        case(
            "a deny in another policy overrides the allow",
            vec![allow_s3.clone(), deny_delete.clone()],
            req("s3:DeleteBucket", BUCKET),
            ExplicitDeny,
        ),
        case(
            "order of policies does not matter",
            vec![deny_delete.clone(), allow_s3.clone()],
            req("s3:DeleteBucket", BUCKET),
            ExplicitDeny,
        ),
        case(
            "the deny only covers its action",
            vec![allow_s3, deny_delete.clone()],
            req("s3:GetObject", OBJECT),
            Allow,
        ),
        case(
            "a deny alone never allows",
            vec![deny_delete],
            req("s3:GetObject", OBJECT),
            ImplicitDeny,
        ),
        case(
            "deny and allow in one policy",
            vec![with_statements(json!([
                {"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"},
                {"Effect": "Deny", "Action": "dynamodb:DeleteTable", "Resource": "*"}
            ]))],
            req(
                "dynamodb:DeleteTable",
                "arn:aws:dynamodb:us-east-1:123456789012:table/T",
            ),
            ExplicitDeny,
        ),
        case(
            "an allow on another resource does not apply",
            vec![allow(json!("s3:*"), json!(BUCKET))],
            req("s3:GetObject", OBJECT),
            ImplicitDeny,
        ),
    ]);
}

#[test]
fn actions_match_with_wildcards_and_without_case() {
    let access_keys = allow(
        json!("iam:*AccessKey*"),
        json!("arn:aws:iam::123456789012:user/*"),
    );
    let user = "arn:aws:iam::123456789012:user/bob";
    run(vec![
        case(
            "iam:*AccessKey* covers CreateAccessKey",
            vec![access_keys.clone()],
            req("iam:CreateAccessKey", user),
            Allow,
        ),
        case(
            "iam:*AccessKey* covers ListAccessKeys",
            vec![access_keys.clone()],
            req("iam:ListAccessKeys", user),
            Allow,
        ),
        case(
            "iam:*AccessKey* does not cover GetUser",
            vec![access_keys],
            req("iam:GetUser", user),
            ImplicitDeny,
        ),
        case(
            "actions compare without case",
            vec![allow(json!("S3:getobject"), json!("*"))],
            req("s3:GetObject", OBJECT),
            Allow,
        ),
        case(
            "the request's case does not matter either",
            vec![allow(json!("s3:GetObject"), json!("*"))],
            req("S3:GETOBJECT", OBJECT),
            Allow,
        ),
        case(
            "? is one character",
            vec![allow(json!("s3:Get?bject"), json!("*"))],
            req("s3:GetObject", OBJECT),
            Allow,
        ),
        case(
            "a pattern matches the whole action",
            vec![allow(json!("sqs:SendMessage"), json!("*"))],
            req(
                "sqs:SendMessageBatch",
                "arn:aws:sqs:us-east-1:123456789012:q",
            ),
            ImplicitDeny,
        ),
        case(
            "* is every action of every service",
            vec![allow(json!("*"), json!("*"))],
            req(
                "lambda:InvokeFunction",
                "arn:aws:lambda:us-east-1:123456789012:function:f",
            ),
            Allow,
        ),
        case(
            "a list matches any of its actions",
            vec![allow(json!(["sqs:SendMessage", "sns:Publish"]), json!("*"))],
            req("sns:Publish", "arn:aws:sns:us-east-1:123456789012:t"),
            Allow,
        ),
    ]);
}

#[test]
fn resources_match_with_wildcards_and_with_case() {
    let stream =
        "arn:aws:dynamodb:us-east-1:123456789012:table/Orders/stream/2024-01-01T00:00:00.000";
    run(vec![
        case(
            "a path wildcard covers the users under it",
            vec![allow(
                json!("iam:*"),
                json!("arn:aws:iam::123456789012:user/accounting/*"),
            )],
            req(
                "iam:GetUser",
                "arn:aws:iam::123456789012:user/accounting/bob",
            ),
            Allow,
        ),
        case(
            "and no others",
            vec![allow(
                json!("iam:*"),
                json!("arn:aws:iam::123456789012:user/accounting/*"),
            )],
            req(
                "iam:GetUser",
                "arn:aws:iam::123456789012:user/marketing/bob",
            ),
            ImplicitDeny,
        ),
        case(
            "bucket/* covers objects",
            vec![allow(json!("s3:*"), json!(format!("{BUCKET}/*")))],
            req("s3:GetObject", OBJECT),
            Allow,
        ),
        case(
            "bucket/* does not cover the bucket",
            vec![allow(json!("s3:*"), json!(format!("{BUCKET}/*")))],
            req("s3:ListBucket", BUCKET),
            ImplicitDeny,
        ),
        case(
            "resource names compare with case",
            vec![allow(
                json!("iam:*"),
                json!("arn:aws:iam::123456789012:user/Bob"),
            )],
            req("iam:GetUser", "arn:aws:iam::123456789012:user/bob"),
            ImplicitDeny,
        ),
        case(
            "* expands across slashes (the */test/* example)",
            vec![allow(json!("s3:*"), json!(format!("{BUCKET}/*/test/*")))],
            req("s3:GetObject", &format!("{BUCKET}/1/2/test/3/object.jpg")),
            Allow,
        ),
        case(
            "a stream wildcard covers stream labels with colons",
            vec![allow(
                json!("dynamodb:GetRecords"),
                json!("arn:aws:dynamodb:*:*:table/Orders/stream/*"),
            )],
            req("dynamodb:GetRecords", stream),
            Allow,
        ),
        case(
            "another table's streams are not covered",
            vec![allow(
                json!("dynamodb:GetRecords"),
                json!("arn:aws:dynamodb:*:*:table/Order/stream/*"),
            )],
            req("dynamodb:GetRecords", stream),
            ImplicitDeny,
        ),
        case(
            "* inside a segment stays in the segment",
            vec![allow(
                json!("dynamodb:*"),
                json!("arn:aws:dynamodb:us-*-1:123456789012:table/T"),
            )],
            req(
                "dynamodb:GetItem",
                "arn:aws:dynamodb:us-east-1:123456789012:table/T",
            ),
            Allow,
        ),
        case(
            "a request without a resource matches only *",
            vec![allow(json!("dynamodb:ListTables"), json!("*"))],
            req("dynamodb:ListTables", "*"),
            Allow,
        ),
    ]);
}

#[test]
fn not_action_and_not_resource_match_what_they_do_not_list() {
    let all_but_iam =
        with_statements(json!({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}));
    // The documentation's "DenyAllUsersNotUsingMFA" shape, with an allow-everything policy beside it.
    let mfa = with_statements(json!([
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Sid": "DenyAllUsersNotUsingMFA", "Effect": "Deny", "NotAction": "iam:*", "Resource": "*", "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}}
    ]));
    let payroll = with_statements(json!([
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "s3:*", "NotResource": ["arn:aws:s3:::HRBucket/Payroll", "arn:aws:s3:::HRBucket/Payroll/*"]}
    ]));
    let secret_free = with_statements(
        json!({"Effect": "Allow", "Action": "s3:*", "NotResource": "arn:aws:s3:::secrets/*"}),
    );
    run(vec![
        case(
            "NotAction allows what it does not list",
            vec![all_but_iam.clone()],
            req("s3:ListBucket", BUCKET),
            Allow,
        ),
        case(
            "and nothing it lists",
            vec![all_but_iam],
            req("iam:CreateUser", "arn:aws:iam::123456789012:user/x"),
            ImplicitDeny,
        ),
        case(
            "deny without MFA",
            vec![mfa.clone()],
            req("s3:GetObject", OBJECT)
                .with("aws:MultiFactorAuthPresent", ContextValue::Bool(false)),
            ExplicitDeny,
        ),
        case(
            "IAM stays reachable without MFA",
            vec![mfa.clone()],
            req("iam:ListMFADevices", "*")
                .with("aws:MultiFactorAuthPresent", ContextValue::Bool(false)),
            Allow,
        ),
        case(
            "with MFA everything is allowed",
            vec![mfa.clone()],
            req("s3:GetObject", OBJECT)
                .with("aws:MultiFactorAuthPresent", ContextValue::Bool(true)),
            Allow,
        ),
        case(
            "BoolIfExists holds when the key is absent (long-term keys)",
            vec![mfa],
            req("s3:GetObject", OBJECT),
            ExplicitDeny,
        ),
        case(
            "Deny with NotResource spares only the listed resources",
            vec![payroll.clone()],
            req("s3:GetObject", "arn:aws:s3:::HRBucket/Payroll/2024.csv"),
            Allow,
        ),
        case(
            "and denies everything else",
            vec![payroll],
            req("s3:GetObject", "arn:aws:s3:::HRBucket/Other/x"),
            ExplicitDeny,
        ),
        case(
            "Allow with NotResource",
            vec![secret_free.clone()],
            req("s3:GetObject", OBJECT),
            Allow,
        ),
        case(
            "Allow with NotResource excludes the listed",
            vec![secret_free],
            req("s3:GetObject", "arn:aws:s3:::secrets/key"),
            ImplicitDeny,
        ),
    ]);
}

fn conditional(action: &str, condition: Value) -> Value {
    with_statements(
        json!({"Effect": "Allow", "Action": action, "Resource": "*", "Condition": condition}),
    )
}

fn guarded_deny(condition: Value) -> Vec<Value> {
    vec![
        allow(json!("*"), json!("*")),
        with_statements(
            json!({"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": condition}),
        ),
    ]
}

#[test]
fn string_operators() {
    let admin = conditional(
        "iam:*AccessKey*",
        json!({"StringEquals": {"aws:PrincipalTag/job-category": "iamuser-admin"}}),
    );
    let ignore_case = conditional(
        "s3:*",
        json!({"StringEqualsIgnoreCase": {"aws:PrincipalTag/dept": "Finance"}}),
    );
    let home = conditional(
        "s3:ListBucket",
        json!({"StringLike": {"s3:prefix": ["", "home/", "home/${aws:username}/*"]}}),
    );
    let not_like = conditional(
        "s3:ListBucket",
        json!({"StringNotLike": {"s3:prefix": "private/*"}}),
    );
    let key = "arn:aws:iam::123456789012:user/bob";
    run(vec![
        case(
            "StringEquals matches the exact value",
            vec![admin.clone()],
            req("iam:CreateAccessKey", key)
                .with("aws:PrincipalTag/job-category", s("iamuser-admin")),
            Allow,
        ),
        case(
            "StringEquals is case-sensitive",
            vec![admin.clone()],
            req("iam:CreateAccessKey", key)
                .with("aws:PrincipalTag/job-category", s("IAMUser-Admin")),
            ImplicitDeny,
        ),
        case(
            "an absent key fails a condition",
            vec![admin],
            req("iam:CreateAccessKey", key),
            ImplicitDeny,
        ),
        case(
            "StringEqualsIgnoreCase ignores case",
            vec![ignore_case],
            req("s3:GetObject", OBJECT).with("aws:PrincipalTag/dept", s("FINANCE")),
            Allow,
        ),
        case(
            "StringLike with a variable: own home",
            vec![home.clone()],
            req("s3:ListBucket", BUCKET)
                .with("aws:username", s("bob"))
                .with("s3:prefix", s("home/bob/docs")),
            Allow,
        ),
        case(
            "StringLike: someone else's home",
            vec![home.clone()],
            req("s3:ListBucket", BUCKET)
                .with("aws:username", s("bob"))
                .with("s3:prefix", s("home/alice/docs")),
            ImplicitDeny,
        ),
        case(
            "StringLike: the empty prefix is listed",
            vec![home.clone()],
            req("s3:ListBucket", BUCKET)
                .with("aws:username", s("bob"))
                .with("s3:prefix", s("")),
            Allow,
        ),
        case(
            "StringLike: home/ itself",
            vec![home],
            req("s3:ListBucket", BUCKET)
                .with("aws:username", s("bob"))
                .with("s3:prefix", s("home/")),
            Allow,
        ),
        case(
            "StringNotLike holds for other values",
            vec![not_like.clone()],
            req("s3:ListBucket", BUCKET).with("s3:prefix", s("public/x")),
            Allow,
        ),
        case(
            "StringNotLike fails on a listed value",
            vec![not_like.clone()],
            req("s3:ListBucket", BUCKET).with("s3:prefix", s("private/x")),
            ImplicitDeny,
        ),
        case(
            "StringNotLike holds on an absent key",
            vec![not_like],
            req("s3:ListBucket", BUCKET),
            Allow,
        ),
        case(
            "condition keys compare without case",
            vec![conditional(
                "s3:*",
                json!({"StringEquals": {"AWS:REQUESTEDREGION": "us-east-1"}}),
            )],
            req("s3:GetObject", OBJECT).with("aws:RequestedRegion", s("us-east-1")),
            Allow,
        ),
    ]);
}

#[test]
fn several_values_are_ored_and_several_keys_anded() {
    let regions = conditional(
        "ec2:*",
        json!({"StringEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]}}),
    );
    let not_regions = guarded_deny(
        json!({"StringNotEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]}}),
    );
    let both = conditional(
        "ec2:*",
        json!({
            "StringEquals": {"aws:RequestedRegion": "us-east-1", "aws:PrincipalTag/team": "web"},
            "Bool": {"aws:SecureTransport": "true"}
        }),
    );
    let instance = "arn:aws:ec2:us-east-1:123456789012:instance/i-1";
    let full = || {
        req("ec2:StartInstances", instance)
            .with("aws:RequestedRegion", s("us-east-1"))
            .with("aws:PrincipalTag/team", s("web"))
            .with("aws:SecureTransport", ContextValue::Bool(true))
    };
    run(vec![
        case(
            "values of one key: any may match",
            vec![regions.clone()],
            req("ec2:StartInstances", instance).with("aws:RequestedRegion", s("eu-west-1")),
            Allow,
        ),
        case(
            "values of one key: none matched",
            vec![regions],
            req("ec2:StartInstances", instance).with("aws:RequestedRegion", s("ap-south-1")),
            ImplicitDeny,
        ),
        case(
            "negated values are NORed: outside the list the deny applies",
            not_regions.clone(),
            req("ec2:StartInstances", instance).with("aws:RequestedRegion", s("ap-south-1")),
            ExplicitDeny,
        ),
        case(
            "negated values are NORed: in the list the deny does not",
            not_regions.clone(),
            req("ec2:StartInstances", instance).with("aws:RequestedRegion", s("eu-west-1")),
            Allow,
        ),
        case(
            "a negated operator holds on an absent key",
            not_regions,
            req("ec2:StartInstances", instance),
            ExplicitDeny,
        ),
        case(
            "all keys and operators hold",
            vec![both.clone()],
            full(),
            Allow,
        ),
        case(
            "one key failing fails the statement",
            vec![both.clone()],
            full().with("aws:PrincipalTag/team", s("db")),
            ImplicitDeny,
        ),
        case(
            "one operator failing fails the statement",
            vec![both],
            full().with("aws:SecureTransport", ContextValue::Bool(false)),
            ImplicitDeny,
        ),
    ]);
}

#[test]
fn numeric_date_and_bool_operators() {
    let max_keys = conditional(
        "s3:ListBucket",
        json!({"NumericLessThanEquals": {"s3:max-keys": "10"}}),
    );
    let window = conditional(
        "ec2:*",
        json!({
            "DateGreaterThan": {"aws:CurrentTime": "2020-04-01T00:00:00Z"},
            "DateLessThan": {"aws:CurrentTime": "2020-06-30T23:59:59Z"}
        }),
    );
    let https_only = guarded_deny(json!({"Bool": {"aws:SecureTransport": "false"}}));
    let at = |iso: &str| {
        crate::time::parse_date_ms(iso).map_or(ContextValue::Date(0), ContextValue::Date)
    };
    let instance = "arn:aws:ec2:us-east-1:123456789012:instance/i-1";
    run(vec![
        case(
            "NumericLessThanEquals: at the limit",
            vec![max_keys.clone()],
            req("s3:ListBucket", BUCKET).with("s3:max-keys", s("10")),
            Allow,
        ),
        case(
            "NumericLessThanEquals: over the limit",
            vec![max_keys.clone()],
            req("s3:ListBucket", BUCKET).with("s3:max-keys", s("11")),
            ImplicitDeny,
        ),
        case(
            "a non-number never matches",
            vec![max_keys.clone()],
            req("s3:ListBucket", BUCKET).with("s3:max-keys", s("ten")),
            ImplicitDeny,
        ),
        case(
            "typed numbers compare too",
            vec![max_keys],
            req("s3:ListBucket", BUCKET).with("s3:max-keys", ContextValue::Number(3)),
            Allow,
        ),
        case(
            "inside the date window",
            vec![window.clone()],
            req("ec2:RunInstances", instance).with("aws:CurrentTime", at("2020-05-15T12:00:00Z")),
            Allow,
        ),
        case(
            "after the date window",
            vec![window.clone()],
            req("ec2:RunInstances", instance).with("aws:CurrentTime", at("2020-07-01T00:00:00Z")),
            ImplicitDeny,
        ),
        case(
            "dates given as ISO text in the context",
            vec![window.clone()],
            req("ec2:RunInstances", instance)
                .with("aws:CurrentTime", s("2020-05-15T12:00:00+02:00")),
            Allow,
        ),
        case(
            "epoch seconds compare with ISO dates",
            vec![window],
            req("ec2:RunInstances", instance)
                .with("aws:CurrentTime", ContextValue::Number(1_589_544_000)),
            Allow,
        ),
        case(
            "DateEquals with epoch seconds",
            vec![conditional(
                "ec2:*",
                json!({"DateEquals": {"aws:EpochTime": "1589544000"}}),
            )],
            req("ec2:RunInstances", instance).with("aws:EpochTime", at("2020-05-15T12:00:00Z")),
            Allow,
        ),
        case(
            "Bool: insecure transport denied",
            https_only.clone(),
            req("s3:GetObject", OBJECT).with("aws:SecureTransport", ContextValue::Bool(false)),
            ExplicitDeny,
        ),
        case(
            "Bool: TLS allowed",
            https_only.clone(),
            req("s3:GetObject", OBJECT).with("aws:SecureTransport", ContextValue::Bool(true)),
            Allow,
        ),
        case(
            "Bool: compares without case, as text",
            https_only.clone(),
            req("s3:GetObject", OBJECT).with("aws:SecureTransport", s("FALSE")),
            ExplicitDeny,
        ),
        case(
            "Bool on an absent key does not hold",
            https_only,
            req("s3:GetObject", OBJECT),
            Allow,
        ),
    ]);
}

#[test]
fn ip_arn_binary_and_null_operators() {
    let from_office = conditional(
        "*",
        json!({"IpAddress": {"aws:SourceIp": ["192.0.2.0/24", "203.0.113.0/24", "2001:DB8:1234:5678::/64"]}}),
    );
    let outside_office = guarded_deny(json!({"NotIpAddress": {"aws:SourceIp": "192.0.2.0/24"}}));
    let from_topic = conditional(
        "sqs:SendMessage",
        json!({"ArnLike": {"aws:SourceArn": "arn:aws:sns:us-east-2:123456789012:*"}}),
    );
    let arn_equals = conditional(
        "sqs:SendMessage",
        json!({"ArnEquals": {"aws:SourceArn": "arn:aws:sns:*:123456789012:topic-?"}}),
    );
    let not_from = guarded_deny(
        json!({"ArnNotEquals": {"aws:PrincipalArn": "arn:aws:iam::123456789012:role/admin"}}),
    );
    let temporary_only = guarded_deny(json!({"Null": {"aws:TokenIssueTime": "true"}}));
    let binary = conditional(
        "kms:*",
        json!({"BinaryEquals": {"kms:Token": "QmluYXJ5VmFsdWU="}}),
    );
    let queue = "arn:aws:sqs:us-east-2:123456789012:q";
    run(vec![
        case(
            "IpAddress: inside a listed block",
            vec![from_office.clone()],
            req("s3:GetObject", OBJECT).with("aws:SourceIp", ip("203.0.113.5")),
            Allow,
        ),
        case(
            "IpAddress: outside every block",
            vec![from_office.clone()],
            req("s3:GetObject", OBJECT).with("aws:SourceIp", ip("198.51.100.1")),
            ImplicitDeny,
        ),
        case(
            "IpAddress: IPv6 block",
            vec![from_office.clone()],
            req("s3:GetObject", OBJECT).with("aws:SourceIp", ip("2001:db8:1234:5678::42")),
            Allow,
        ),
        case(
            "IpAddress: address given as text",
            vec![from_office],
            req("s3:GetObject", OBJECT).with("aws:SourceIp", s("192.0.2.9")),
            Allow,
        ),
        case(
            "NotIpAddress: outside, the deny applies",
            outside_office.clone(),
            req("s3:GetObject", OBJECT).with("aws:SourceIp", ip("10.0.0.1")),
            ExplicitDeny,
        ),
        case(
            "NotIpAddress: inside, it does not",
            outside_office.clone(),
            req("s3:GetObject", OBJECT).with("aws:SourceIp", ip("192.0.2.3")),
            Allow,
        ),
        case(
            "NotIpAddress holds without aws:SourceIp",
            outside_office,
            req("s3:GetObject", OBJECT),
            ExplicitDeny,
        ),
        case(
            "ArnLike: the topic's account and region",
            vec![from_topic.clone()],
            req("sqs:SendMessage", queue).with(
                "aws:SourceArn",
                s("arn:aws:sns:us-east-2:123456789012:alerts"),
            ),
            Allow,
        ),
        case(
            "ArnLike: another account",
            vec![from_topic.clone()],
            req("sqs:SendMessage", queue).with(
                "aws:SourceArn",
                s("arn:aws:sns:us-east-2:999999999999:alerts"),
            ),
            ImplicitDeny,
        ),
        case(
            "ArnLike: not an ARN",
            vec![from_topic],
            req("sqs:SendMessage", queue).with("aws:SourceArn", s("alerts")),
            ImplicitDeny,
        ),
        case(
            "ArnEquals takes wildcards too, field by field",
            vec![arn_equals.clone()],
            req("sqs:SendMessage", queue).with(
                "aws:SourceArn",
                s("arn:aws:sns:eu-west-1:123456789012:topic-a"),
            ),
            Allow,
        ),
        case(
            "a field wildcard does not run into the next field",
            vec![arn_equals],
            req("sqs:SendMessage", queue).with(
                "aws:SourceArn",
                s("arn:aws:sns:eu:west:123456789012:topic-a"),
            ),
            ImplicitDeny,
        ),
        case(
            "ArnNotEquals: someone else is denied",
            not_from.clone(),
            req("s3:GetObject", OBJECT)
                .with("aws:PrincipalArn", s("arn:aws:iam::123456789012:role/dev")),
            ExplicitDeny,
        ),
        case(
            "ArnNotEquals: the named role is not",
            not_from,
            req("s3:GetObject", OBJECT).with(
                "aws:PrincipalArn",
                s("arn:aws:iam::123456789012:role/admin"),
            ),
            Allow,
        ),
        case(
            "Null true: long-term credentials are denied",
            temporary_only.clone(),
            req("s3:GetObject", OBJECT),
            ExplicitDeny,
        ),
        case(
            "Null true: temporary credentials are not",
            temporary_only,
            req("s3:GetObject", OBJECT).with("aws:TokenIssueTime", s("2024-01-01T00:00:00Z")),
            Allow,
        ),
        case(
            "Null false: the key must be present",
            vec![conditional(
                "s3:*",
                json!({"Null": {"aws:TokenIssueTime": "false"}}),
            )],
            req("s3:GetObject", OBJECT).with("aws:TokenIssueTime", s("x")),
            Allow,
        ),
        case(
            "BinaryEquals compares base64",
            vec![binary.clone()],
            req("kms:Decrypt", "*")
                .with("kms:Token", ContextValue::Binary(b"BinaryValue".to_vec())),
            Allow,
        ),
        case(
            "BinaryEquals: other bytes",
            vec![binary],
            req("kms:Decrypt", "*").with("kms:Token", ContextValue::Binary(b"Other".to_vec())),
            ImplicitDeny,
        ),
    ]);
}

#[test]
fn if_exists_and_set_operators() {
    // The documentation's IfExists example: instance types are checked only where the action has them.
    let instance_types = conditional(
        "ec2:*",
        json!({"StringLikeIfExists": {"ec2:InstanceType": ["t1.*", "t2.*", "m3.*"]}}),
    );
    // The documentation's ForAllValues / ForAnyValue examples on aws:TagKeys.
    let only_these_tags = conditional(
        "ec2:CreateTags",
        json!({"ForAllValues:StringEquals": {"aws:TagKeys": ["environment", "cost-center"]}}),
    );
    let any_of_these = conditional(
        "ec2:CreateTags",
        json!({"ForAnyValue:StringEquals": {"aws:TagKeys": ["environment", "cost-center"]}}),
    );
    let no_forbidden = conditional(
        "ec2:CreateTags",
        json!({"ForAllValues:StringNotEquals": {"aws:TagKeys": ["owner"]}}),
    );
    let some_unlisted = conditional(
        "ec2:CreateTags",
        json!({"ForAnyValue:StringNotLike": {"aws:TagKeys": ["env*"]}}),
    );
    let must_exist = conditional(
        "ec2:CreateTags",
        json!({"ForAllValues:StringEquals": {"aws:TagKeys": ["environment"]}, "Null": {"aws:TagKeys": "false"}}),
    );
    let instance = "arn:aws:ec2:us-east-1:123456789012:instance/i-1";
    let tags = |keys: &[&str]| {
        req("ec2:CreateTags", instance)
            .with_values("aws:TagKeys", keys.iter().map(|k| s(k)).collect())
    };
    run(vec![
        case(
            "IfExists: absent key holds",
            vec![instance_types.clone()],
            req("ec2:StopInstances", instance),
            Allow,
        ),
        case(
            "IfExists: present and matching",
            vec![instance_types.clone()],
            req("ec2:RunInstances", instance).with("ec2:InstanceType", s("t2.micro")),
            Allow,
        ),
        case(
            "IfExists: present and not matching",
            vec![instance_types],
            req("ec2:RunInstances", instance).with("ec2:InstanceType", s("m4.large")),
            ImplicitDeny,
        ),
        case(
            "ForAllValues: a subset of the allowed keys",
            vec![only_these_tags.clone()],
            tags(&["environment"]),
            Allow,
        ),
        case(
            "ForAllValues: exactly the allowed keys",
            vec![only_these_tags.clone()],
            tags(&["environment", "cost-center"]),
            Allow,
        ),
        case(
            "ForAllValues: one key too many",
            vec![only_these_tags.clone()],
            tags(&["environment", "owner"]),
            ImplicitDeny,
        ),
        case(
            "ForAllValues holds on an absent key",
            vec![only_these_tags.clone()],
            req("ec2:CreateTags", instance),
            Allow,
        ),
        case(
            "ForAllValues holds on an empty set",
            vec![only_these_tags],
            tags(&[]),
            Allow,
        ),
        case(
            "ForAllValues with Null false requires keys",
            vec![must_exist.clone()],
            req("ec2:CreateTags", instance),
            ImplicitDeny,
        ),
        case(
            "ForAllValues with Null false and keys",
            vec![must_exist],
            tags(&["environment"]),
            Allow,
        ),
        case(
            "ForAnyValue: one listed key is enough",
            vec![any_of_these.clone()],
            tags(&["owner", "cost-center"]),
            Allow,
        ),
        case(
            "ForAnyValue: no listed key",
            vec![any_of_these.clone()],
            tags(&["owner"]),
            ImplicitDeny,
        ),
        case(
            "ForAnyValue fails on an absent key",
            vec![any_of_these],
            req("ec2:CreateTags", instance),
            ImplicitDeny,
        ),
        case(
            "ForAllValues:StringNotEquals: no forbidden key",
            vec![no_forbidden.clone()],
            tags(&["environment", "team"]),
            Allow,
        ),
        case(
            "ForAllValues:StringNotEquals: a forbidden key",
            vec![no_forbidden],
            tags(&["environment", "owner"]),
            ImplicitDeny,
        ),
        case(
            "ForAnyValue:StringNotLike: some key unlisted",
            vec![some_unlisted.clone()],
            tags(&["environment", "team"]),
            Allow,
        ),
        case(
            "ForAnyValue:StringNotLike: every key listed",
            vec![some_unlisted],
            tags(&["environment", "envelope"]),
            ImplicitDeny,
        ),
        case(
            "ForAnyValue:…IfExists holds on an absent key",
            vec![conditional(
                "ec2:*",
                json!({"ForAnyValue:StringEqualsIfExists": {"aws:TagKeys": "x"}}),
            )],
            req("ec2:CreateTags", instance),
            Allow,
        ),
    ]);
}

#[test]
fn policy_variables_in_resources_and_conditions() {
    let own_user = allow(
        json!("iam:*AccessKey*"),
        json!("arn:aws:iam::*:user/${aws:username}"),
    );
    let own_user_2008 = json!({"Version": "2008-10-17", "Statement": {"Effect": "Allow", "Action": "iam:*", "Resource": "arn:aws:iam::*:user/${aws:username}"}});
    let guest_default = allow(
        json!("s3:*"),
        json!("arn:aws:s3:::b/${aws:username, 'guest'}/*"),
    );
    let deny_others = vec![
        allow(json!("s3:*"), json!("*")),
        with_statements(
            json!({"Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::b/${aws:username}/*"}),
        ),
    ];
    let tagged_volume = conditional(
        "ec2:AttachVolume",
        json!({"StringEquals": {"ec2:ResourceTag/VolumeUser": "${aws:username}"}}),
    );
    let literal_star = allow(json!("s3:*"), json!("arn:aws:s3:::b/${*}"));
    let bob = "arn:aws:iam::123456789012:user/bob";
    run(vec![
        case(
            "a user's own ARN",
            vec![own_user.clone()],
            req("iam:CreateAccessKey", bob).with("aws:username", s("bob")),
            Allow,
        ),
        case(
            "another user's ARN",
            vec![own_user.clone()],
            req(
                "iam:CreateAccessKey",
                "arn:aws:iam::123456789012:user/alice",
            )
            .with("aws:username", s("bob")),
            ImplicitDeny,
        ),
        case(
            "an unresolvable variable voids the statement",
            vec![own_user],
            req("iam:CreateAccessKey", bob),
            ImplicitDeny,
        ),
        case(
            "a 2008 policy keeps ${…} as text",
            vec![own_user_2008.clone()],
            req("iam:GetUser", bob).with("aws:username", s("bob")),
            ImplicitDeny,
        ),
        case(
            "a 2008 policy matches the literal text",
            vec![own_user_2008],
            req("iam:GetUser", "arn:aws:iam::1:user/${aws:username}"),
            Allow,
        ),
        case(
            "a default stands in for an absent key",
            vec![guest_default.clone()],
            req("s3:GetObject", "arn:aws:s3:::b/guest/x"),
            Allow,
        ),
        case(
            "the key wins over the default",
            vec![guest_default],
            req("s3:GetObject", "arn:aws:s3:::b/guest/x").with("aws:username", s("bob")),
            ImplicitDeny,
        ),
        case(
            "a deny with a resolved variable applies",
            deny_others.clone(),
            req("s3:GetObject", "arn:aws:s3:::b/bob/x").with("aws:username", s("bob")),
            ExplicitDeny,
        ),
        case(
            "a deny with an unresolvable variable does not",
            deny_others,
            req("s3:GetObject", "arn:aws:s3:::b/bob/x"),
            Allow,
        ),
        case(
            "a variable in a condition value",
            vec![tagged_volume.clone()],
            req("ec2:AttachVolume", "*")
                .with("aws:username", s("bob"))
                .with("ec2:ResourceTag/VolumeUser", s("bob")),
            Allow,
        ),
        case(
            "a variable in a condition value, other owner",
            vec![tagged_volume.clone()],
            req("ec2:AttachVolume", "*")
                .with("aws:username", s("bob"))
                .with("ec2:ResourceTag/VolumeUser", s("alice")),
            ImplicitDeny,
        ),
        case(
            "multi-valued keys do not resolve",
            vec![tagged_volume],
            req("ec2:AttachVolume", "*")
                .with_values("aws:username", vec![s("bob"), s("eve")])
                .with("ec2:ResourceTag/VolumeUser", s("bob")),
            ImplicitDeny,
        ),
        case(
            "${*} is a literal star",
            vec![literal_star.clone()],
            req("s3:GetObject", "arn:aws:s3:::b/*"),
            Allow,
        ),
        case(
            "${*} is not a wildcard",
            vec![literal_star],
            req("s3:GetObject", "arn:aws:s3:::b/x"),
            ImplicitDeny,
        ),
        case(
            "substituted text is not a wildcard",
            vec![allow(json!("s3:*"), json!("arn:aws:s3:::b/${aws:userid}"))],
            req("s3:GetObject", "arn:aws:s3:::b/anything").with("aws:userid", s("*")),
            ImplicitDeny,
        ),
    ]);
}

#[test]
fn global_keys_drive_conditions() {
    let context = crate::context::GlobalKeys {
        now_ms: crate::time::parse_date_ms("2020-05-15T12:00:00Z"),
        source_ip: "203.0.113.5".parse().ok(),
        secure_transport: Some(true),
        requested_region: Some("us-east-1".into()),
        ..crate::context::GlobalKeys::for_caller("arn:aws:iam::123456789012:user/bob")
    }
    .into_context();
    let policy = with_statements(
        json!({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/${aws:username}/*", "Condition": {
            "IpAddress": {"aws:SourceIp": "203.0.113.0/24"},
            "Bool": {"aws:SecureTransport": "true"},
            "DateLessThan": {"aws:CurrentTime": "2021-01-01T00:00:00Z"},
            "StringEquals": {"aws:PrincipalAccount": "123456789012", "aws:RequestedRegion": "us-east-1", "aws:PrincipalType": "User"}
        }}),
    );
    run(vec![case(
        "all the global keys at once",
        vec![policy],
        req("s3:GetObject", "arn:aws:s3:::b/bob/x").in_context(context),
        Allow,
    )]);
}

// --- Trust policies ---

fn trust(statements: Value) -> PolicyDocument {
    let text = json!({"Version": "2012-10-17", "Statement": statements}).to_string();
    match PolicyDocument::parse(&text, PolicyKind::Trust) {
        Ok(policy) => policy,
        Err(error) => panic!("{text}: {error}"),
    }
}

fn trusting(principal: Value) -> PolicyDocument {
    trust(json!({"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}))
}

#[test]
fn trust_policies_name_who_may_assume_the_role() {
    let lambda = Principal::service("lambda.amazonaws.com");
    let bob = Principal::aws("arn:aws:iam::123456789012:user/bob");
    let stranger = Principal::aws("arn:aws:iam::999999999999:user/eve");
    let session = Principal::aws("arn:aws:sts::123456789012:assumed-role/deployer/ci-42");
    let cases = [
        (
            "the Lambda service",
            trusting(json!({"Service": "lambda.amazonaws.com"})),
            &lambda,
            true,
        ),
        (
            "service principals compare without case",
            trusting(json!({"Service": "Lambda.amazonaws.com"})),
            &lambda,
            true,
        ),
        (
            "another service is not trusted",
            trusting(json!({"Service": "ec2.amazonaws.com"})),
            &lambda,
            false,
        ),
        (
            "a service list",
            trusting(json!({"Service": ["ec2.amazonaws.com", "lambda.amazonaws.com"]})),
            &lambda,
            true,
        ),
        (
            "an account id trusts its principals",
            trusting(json!({"AWS": "123456789012"})),
            &bob,
            true,
        ),
        (
            "an account root ARN trusts its principals",
            trusting(json!({"AWS": "arn:aws:iam::123456789012:root"})),
            &bob,
            true,
        ),
        (
            "but not another account's",
            trusting(json!({"AWS": "arn:aws:iam::123456789012:root"})),
            &stranger,
            false,
        ),
        (
            "a user ARN trusts that user",
            trusting(json!({"AWS": "arn:aws:iam::123456789012:user/bob"})),
            &bob,
            true,
        ),
        (
            "a user ARN does not trust a service",
            trusting(json!({"AWS": "arn:aws:iam::123456789012:user/bob"})),
            &lambda,
            false,
        ),
        (
            "a role ARN trusts the role's sessions",
            trusting(json!({"AWS": "arn:aws:iam::123456789012:role/ops/deployer"})),
            &session,
            true,
        ),
        (
            "another role's sessions are not trusted",
            trusting(json!({"AWS": "arn:aws:iam::123456789012:role/deployer2"})),
            &session,
            false,
        ),
        (
            "\"*\" trusts everyone",
            trusting(json!("*")),
            &stranger,
            true,
        ),
        (
            "{\"AWS\": \"*\"} trusts everyone",
            trusting(json!({"AWS": "*"})),
            &lambda,
            true,
        ),
        (
            "anonymous callers are only trusted by *",
            trusting(json!({"AWS": "123456789012"})),
            &Principal::Anonymous,
            false,
        ),
    ];
    for (shows, policy, principal, expected) in cases {
        assert_eq!(allows_assume(&policy, principal), expected, "{shows}");
    }
    let web_identity = trust(
        json!({"Effect": "Allow", "Principal": {"Federated": "cognito-identity.amazonaws.com"}, "Action": "sts:AssumeRoleWithWebIdentity"}),
    );
    let provider = Principal::Federated("cognito-identity.amazonaws.com".into());
    let decide = |action| evaluate_trust(&web_identity, &provider, action, &RequestContext::new());
    assert_eq!(
        decide("sts:AssumeRoleWithWebIdentity"),
        Allow,
        "a federated provider, for its action"
    );
    assert_eq!(decide("sts:AssumeRole"), ImplicitDeny, "and for no other");
}

#[test]
fn trust_decisions_follow_the_evaluation_rules() {
    let lambda = Principal::service("lambda.amazonaws.com");
    let bob = Principal::aws("arn:aws:iam::123456789012:user/bob");
    let eve = Principal::aws("arn:aws:iam::123456789012:user/eve");
    let no_context = RequestContext::new();
    let deny_eve = trust(json!([
        {"Effect": "Allow", "Principal": {"AWS": "123456789012"}, "Action": "sts:AssumeRole"},
        {"Effect": "Deny", "Principal": {"AWS": "arn:aws:iam::123456789012:user/eve"}, "Action": "sts:AssumeRole"}
    ]));
    assert_eq!(
        evaluate_trust(&deny_eve, &eve, "sts:AssumeRole", &no_context),
        ExplicitDeny
    );
    assert_eq!(
        evaluate_trust(&deny_eve, &bob, "sts:AssumeRole", &no_context),
        Allow
    );
    let not_principal = trust(json!([
        {"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"},
        {"Effect": "Deny", "NotPrincipal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ]));
    assert!(allows_assume(&not_principal, &lambda));
    assert!(!allows_assume(&not_principal, &bob));
    let tagging = trust(
        json!({"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:TagSession"}),
    );
    assert!(
        !allows_assume(&tagging, &lambda),
        "sts:TagSession alone does not allow sts:AssumeRole"
    );
    assert_eq!(
        evaluate_trust(&tagging, &lambda, "sts:TagSession", &no_context),
        Allow
    );
    let external_id = trust(
        json!({"Effect": "Allow", "Principal": {"AWS": "210987654321"}, "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"sts:ExternalId": "Unique-ID-1"}}}),
    );
    let partner = Principal::aws("arn:aws:iam::210987654321:role/partner");
    assert!(!allows_assume(&external_id, &partner), "no external id");
    let with_id: RequestContext = [("sts:ExternalId".to_string(), vec![s("Unique-ID-1")])].into();
    assert_eq!(
        evaluate_trust(&external_id, &partner, "sts:AssumeRole", &with_id),
        Allow
    );
    let own_account = trust(
        json!({"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"aws:PrincipalServiceName": "lambda.amazonaws.com"}}}),
    );
    assert!(
        allows_assume(&own_account, &lambda),
        "the principal's own keys are in the context"
    );
}

#[test]
fn identity_evaluation_ignores_trust_policies() {
    let lambda_trust = trusting(json!({"Service": "lambda.amazonaws.com"}));
    assert_eq!(
        evaluate(&[&lambda_trust], &req("sts:AssumeRole", "*")),
        ImplicitDeny
    );
}
