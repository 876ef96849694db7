//! The IAM service over an in-memory store: entity lifecycles with IAM's errors, durability (reopening the
//! same store), authorization of users and role sessions, session tokens, AssumeRole and Lambda's role checks.

use std::sync::Arc;

use eddy_model::Clock;
use eddy_store::{Store, StoreConfig};

use super::*;
use crate::eval::Decision;

const ACCOUNT: &str = "000000000000";

const LAMBDA_TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

const STREAM: &str =
    "arn:aws:dynamodb:us-east-1:000000000000:table/Orders/stream/2024-01-01T00:00:00.000";

fn inline(actions: &[&str], resource: &str) -> String {
    let actions: Vec<String> = actions.iter().map(|a| format!("\"{a}\"")).collect();
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":[{}],"Resource":"{resource}"}}]}}"#,
        actions.join(",")
    )
}

fn config() -> IamConfig {
    IamConfig {
        root_keys: vec![("ROOTKEY".into(), "rootsecret".into())],
        root_account: ACCOUNT.into(),
    }
}

async fn open() -> (Iam, Store) {
    let clock = Arc::new(Clock::new());
    let store = Store::in_memory(clock.clone(), StoreConfig::default());
    let iam = Iam::open(store.clone(), clock, config()).await.unwrap();
    (iam, store)
}

async fn lambda_role(iam: &Iam, name: &str) -> Arc<Role> {
    iam.create_role(
        ACCOUNT,
        CreateRole {
            name: name.into(),
            trust: LAMBDA_TRUST.into(),
            ..CreateRole::default()
        },
    )
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_are_created_listed_and_deleted_with_iams_errors() {
    let (iam, _) = open().await;
    let role = lambda_role(&iam, "Reader").await;
    assert_eq!(role.arn(), "arn:aws:iam::000000000000:role/Reader");
    assert!(role.stored.role_id.starts_with("AROA"));
    let again = iam
        .create_role(
            ACCOUNT,
            CreateRole {
                name: "reader".into(),
                trust: LAMBDA_TRUST.into(),
                ..CreateRole::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(again.code(), "EntityAlreadyExists", "names ignore case");
    let bad = iam
        .create_role(
            ACCOUNT,
            CreateRole {
                name: "bad".into(),
                trust: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Principal":{"Service":"lambda.amazonaws.com"}}]}"#.into(),
                ..CreateRole::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(bad.code(), "MalformedPolicyDocument");
    let ghost = iam
        .create_role(
            ACCOUNT,
            CreateRole {
                name: "ghost".into(),
                trust: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"AWS":"arn:aws:iam::000000000000:user/nobody"}}]}"#.into(),
                ..CreateRole::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(
        ghost.message(),
        r#"Invalid principal in policy: "AWS":"arn:aws:iam::000000000000:user/nobody""#
    );
    iam.put_role_policy(ACCOUNT, "Reader", "streams", &inline(&["dynamodb:*"], "*"))
        .await
        .unwrap();
    iam.attach_role_policy(
        ACCOUNT,
        "Reader",
        "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
    )
    .await
    .unwrap();
    let missing = iam
        .attach_role_policy(ACCOUNT, "Reader", "arn:aws:iam::aws:policy/Nope")
        .await
        .unwrap_err();
    assert_eq!(
        missing.message(),
        "Policy arn:aws:iam::aws:policy/Nope does not exist or is not attachable."
    );
    let conflict = iam.delete_role(ACCOUNT, "Reader").await.unwrap_err();
    assert_eq!(
        conflict.message(),
        "Cannot delete entity, must detach all policies first."
    );
    iam.detach_role_policy(
        ACCOUNT,
        "Reader",
        "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
    )
    .await
    .unwrap();
    assert_eq!(
        iam.delete_role(ACCOUNT, "Reader")
            .await
            .unwrap_err()
            .message(),
        "Cannot delete entity, must delete policies first."
    );
    iam.delete_role_policy(ACCOUNT, "Reader", "streams")
        .await
        .unwrap();
    iam.delete_role(ACCOUNT, "Reader").await.unwrap();
    assert_eq!(
        iam.get_role(ACCOUNT, "Reader").unwrap_err().message(),
        "The role with name Reader cannot be found."
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_are_paged_by_marker() {
    let (iam, _) = open().await;
    for name in ["c", "a", "b"] {
        lambda_role(&iam, name).await;
    }
    let first = iam.list_roles(ACCOUNT, None, None, Some(2)).unwrap();
    let names: Vec<&str> = first.items.iter().map(|r| r.stored.name.as_str()).collect();
    assert_eq!(names, ["a", "b"]);
    let rest = iam
        .list_roles(ACCOUNT, None, first.marker.as_deref(), Some(2))
        .unwrap();
    assert_eq!(rest.items.len(), 1);
    assert_eq!(rest.marker, None);
    assert_eq!(
        iam.list_roles("111111111111", None, None, None)
            .unwrap()
            .items
            .len(),
        0
    );
    assert!(iam.list_roles(ACCOUNT, None, Some("!!"), None).is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn everything_survives_reopening_the_store() {
    let (iam, store) = open().await;
    lambda_role(&iam, "r").await;
    let policy = iam
        .create_policy(
            ACCOUNT,
            "streams",
            Some("/app/"),
            &inline(&["dynamodb:GetRecords"], "*"),
            None,
            Vec::new(),
        )
        .await
        .unwrap();
    assert_eq!(policy.arn, "arn:aws:iam::000000000000:policy/app/streams");
    iam.attach_role_policy(ACCOUNT, "r", &policy.arn)
        .await
        .unwrap();
    iam.create_user(ACCOUNT, "bob", None, Vec::new())
        .await
        .unwrap();
    let key = iam.create_access_key(ACCOUNT, "bob").await.unwrap();
    let session = iam
        .function_credentials(ACCOUNT, "arn:aws:iam::000000000000:role/r", "fn", 60_000)
        .unwrap();

    let reopened = Iam::open(store, Arc::new(Clock::new()), config())
        .await
        .unwrap();
    let role = reopened.get_role(ACCOUNT, "r").unwrap();
    assert_eq!(role.stored.attached, vec![policy.arn.clone()]);
    assert_eq!(
        reopened
            .get_policy(ACCOUNT, &policy.arn)
            .unwrap()
            .attachment_count,
        1
    );
    let info = reopened.lookup_key(&key.access_key_id, None).unwrap();
    assert_eq!(info.secret, key.secret_access_key);
    assert_eq!(info.caller.arn(), "arn:aws:iam::000000000000:user/bob");
    let info = reopened
        .lookup_key(&session.access_key_id, Some(&session.session_token))
        .unwrap();
    assert_eq!(
        info.secret, session.secret_access_key,
        "the session key is durable"
    );
    assert_eq!(
        info.caller.arn(),
        "arn:aws:sts::000000000000:assumed-role/r/fn"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_resolve_to_their_principals_and_expire() {
    let (iam, _) = open().await;
    assert_eq!(
        iam.lookup_key("ROOTKEY", None).unwrap().caller,
        Caller::Root {
            account: ACCOUNT.into()
        }
    );
    assert_eq!(
        iam.lookup_key("AKIANOSUCHKEY0000000", None),
        Err(KeyError::Unknown)
    );
    assert_eq!(
        iam.lookup_key("ROOTKEY", Some("token")),
        Err(KeyError::InvalidToken)
    );
    let session = iam.issue_session(ACCOUNT, "r", "", "s", 1_000);
    assert_eq!(
        iam.lookup_key(&session.access_key_id, None),
        Err(KeyError::Unknown)
    );
    assert_eq!(
        iam.lookup_key("ASIAOTHEROTHEROTHER1", Some(&session.session_token)),
        Err(KeyError::InvalidToken)
    );
    assert_eq!(
        iam.account_of_key(&session.access_key_id, Some(&session.session_token)),
        Some(ACCOUNT.to_string())
    );
    iam.clock().advance_ms(1_000);
    assert_eq!(
        iam.lookup_key(&session.access_key_id, Some(&session.session_token)),
        Err(KeyError::Expired)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_are_allowed_what_their_role_allows_at_the_time() {
    let (iam, _) = open().await;
    lambda_role(&iam, "writer").await;
    let caller = iam
        .function_credentials(
            ACCOUNT,
            "arn:aws:iam::000000000000:role/writer",
            "fn",
            60_000,
        )
        .unwrap()
        .caller;
    let table = "arn:aws:dynamodb:us-east-1:000000000000:table/Orders";
    assert_eq!(
        iam.authorize(&caller, "dynamodb:PutItem", table, None),
        Err(DenyReason::Implicit)
    );
    iam.put_role_policy(
        ACCOUNT,
        "writer",
        "w",
        &inline(&["dynamodb:PutItem"], table),
    )
    .await
    .unwrap();
    assert_eq!(
        iam.authorize(&caller, "dynamodb:PutItem", table, None),
        Ok(())
    );
    assert_eq!(
        iam.authorize(&caller, "dynamodb:DeleteItem", table, None),
        Err(DenyReason::Implicit)
    );
    let deny = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"dynamodb:*","Resource":"*"}]}"#;
    iam.put_role_policy(ACCOUNT, "writer", "deny", deny)
        .await
        .unwrap();
    assert_eq!(
        iam.authorize(&caller, "dynamodb:PutItem", table, None),
        Err(DenyReason::Explicit)
    );
    let root = Caller::Root {
        account: ACCOUNT.into(),
    };
    assert_eq!(
        iam.evaluate(&root, "iam:DeleteRole", "*", None),
        Decision::Allow
    );
    assert_eq!(
        DenyReason::Implicit.message(&caller.arn(), "dynamodb:PutItem", table),
        "User: arn:aws:sts::000000000000:assumed-role/writer/fn is not authorized to perform: dynamodb:PutItem on resource: arn:aws:dynamodb:us-east-1:000000000000:table/Orders because no identity-based policy allows the dynamodb:PutItem action"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recreated_role_does_not_empower_old_sessions() {
    let (iam, _) = open().await;
    lambda_role(&iam, "r").await;
    let old = iam
        .function_credentials(ACCOUNT, "arn:aws:iam::000000000000:role/r", "fn", 60_000)
        .unwrap()
        .caller;
    iam.delete_role(ACCOUNT, "r").await.unwrap();
    lambda_role(&iam, "r").await;
    iam.put_role_policy(ACCOUNT, "r", "all", &inline(&["*"], "*"))
        .await
        .unwrap();
    assert!(iam.authorize(&old, "s3:GetObject", "*", None).is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_get_inline_and_attached_policies() {
    let (iam, _) = open().await;
    iam.create_user(ACCOUNT, "alice", Some("/ops/"), Vec::new())
        .await
        .unwrap();
    let key = iam.create_access_key(ACCOUNT, "alice").await.unwrap();
    let caller = iam.lookup_key(&key.access_key_id, None).unwrap().caller;
    assert_eq!(caller.arn(), "arn:aws:iam::000000000000:user/ops/alice");
    assert!(
        iam.authorize(&caller, "sqs:SendMessage", "*", None)
            .is_err()
    );
    iam.attach_user_policy(
        ACCOUNT,
        "alice",
        "arn:aws:iam::aws:policy/AdministratorAccess",
    )
    .await
    .unwrap();
    assert!(iam.authorize(&caller, "sqs:SendMessage", "*", None).is_ok());
    iam.create_access_key(ACCOUNT, "alice").await.unwrap();
    assert_eq!(
        iam.create_access_key(ACCOUNT, "alice")
            .await
            .unwrap_err()
            .code(),
        "LimitExceeded"
    );
    assert_eq!(
        iam.delete_user(ACCOUNT, "alice")
            .await
            .unwrap_err()
            .message(),
        "Cannot delete entity, must delete access keys first."
    );
    assert_eq!(
        iam.delete_access_key(ACCOUNT, "alice", "AKIANOPE")
            .await
            .unwrap_err()
            .message(),
        "The Access Key with id AKIANOPE cannot be found"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conditions_and_variables_read_the_requests_keys() {
    let (iam, _) = open().await;
    iam.create_user(ACCOUNT, "bob", None, Vec::new())
        .await
        .unwrap();
    let key = iam.create_access_key(ACCOUNT, "bob").await.unwrap();
    let bob = iam.lookup_key(&key.access_key_id, None).unwrap().caller;
    // A variable: each user may read the table named after them.
    let own_table = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"dynamodb:GetItem",
        "Resource":"arn:aws:dynamodb:*:*:table/${aws:username}"}]}"#;
    iam.put_user_policy(ACCOUNT, "bob", "own", own_table)
        .await
        .unwrap();
    let table = |name: &str| format!("arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/{name}");
    assert!(
        iam.authorize(&bob, "dynamodb:GetItem", &table("bob"), None)
            .is_ok()
    );
    assert!(
        iam.authorize(&bob, "dynamodb:GetItem", &table("alice"), None)
            .is_err()
    );
    // A condition on a key the server supplies: writes only in one region.
    let one_region = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"dynamodb:PutItem",
        "Resource":"*","Condition":{"StringEquals":{"aws:RequestedRegion":"eu-west-1"}}}]}"#;
    iam.put_user_policy(ACCOUNT, "bob", "region", one_region)
        .await
        .unwrap();
    let in_region = |region: &str| {
        Some(crate::context::GlobalKeys {
            requested_region: Some(region.into()),
            ..Default::default()
        })
    };
    assert!(
        iam.authorize(
            &bob,
            "dynamodb:PutItem",
            &table("t"),
            in_region("eu-west-1")
        )
        .is_ok()
    );
    assert!(
        iam.authorize(
            &bob,
            "dynamodb:PutItem",
            &table("t"),
            in_region("us-east-1")
        )
        .is_err()
    );
    assert!(
        iam.authorize(&bob, "dynamodb:PutItem", &table("t"), None)
            .is_err(),
        "an absent key fails StringEquals"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn policy_versions_change_what_attached_roles_may_do() {
    let (iam, _) = open().await;
    lambda_role(&iam, "r").await;
    let caller = iam
        .function_credentials(ACCOUNT, "arn:aws:iam::000000000000:role/r", "fn", 60_000)
        .unwrap()
        .caller;
    let policy = iam
        .create_policy(
            ACCOUNT,
            "p",
            None,
            &inline(&["sqs:SendMessage"], "*"),
            None,
            Vec::new(),
        )
        .await
        .unwrap();
    iam.attach_role_policy(ACCOUNT, "r", &policy.arn)
        .await
        .unwrap();
    assert!(iam.authorize(&caller, "sns:Publish", "*", None).is_err());
    let v2 = iam
        .create_policy_version(ACCOUNT, &policy.arn, &inline(&["sns:Publish"], "*"), true)
        .await
        .unwrap();
    assert_eq!((v2.version_id.as_str(), v2.is_default), ("v2", true));
    assert!(iam.authorize(&caller, "sns:Publish", "*", None).is_ok());
    assert!(
        iam.authorize(&caller, "sqs:SendMessage", "*", None)
            .is_err()
    );
    assert_eq!(
        iam.delete_policy_version(ACCOUNT, &policy.arn, "v2")
            .await
            .unwrap_err()
            .message(),
        "Cannot delete the default version of a policy."
    );
    let versions = iam
        .list_policy_versions(ACCOUNT, &policy.arn, None, None)
        .unwrap();
    let ids: Vec<&str> = versions
        .items
        .iter()
        .map(|v| v.version_id.as_str())
        .collect();
    assert_eq!(ids, ["v2", "v1"]);
    assert_eq!(
        iam.delete_policy(ACCOUNT, &policy.arn)
            .await
            .unwrap_err()
            .code(),
        "DeleteConflict"
    );
    assert_eq!(
        iam.get_policy_version(ACCOUNT, &policy.arn, "v9")
            .unwrap_err()
            .code(),
        "NoSuchEntity"
    );
    let aws = "arn:aws:iam::aws:policy/AdministratorAccess";
    assert_eq!(
        iam.delete_policy(ACCOUNT, aws).await.unwrap_err().code(),
        "UnmodifiableEntity"
    );
    assert!(
        iam.get_policy_version(ACCOUNT, aws, "v1")
            .unwrap()
            .is_default
    );
    let aws_only = iam
        .list_policies(ACCOUNT, PolicyScope::Aws, false, None, None, None)
        .unwrap();
    assert_eq!(aws_only.items.len(), crate::managed::ALL.len());
    let local = iam
        .list_policies(ACCOUNT, PolicyScope::Local, true, None, None, None)
        .unwrap();
    assert_eq!(local.items.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn assume_role_follows_the_trust_policy() {
    let (iam, _) = open().await;
    iam.create_user(ACCOUNT, "dev", None, Vec::new())
        .await
        .unwrap();
    let dev = iam
        .lookup_key(
            &iam.create_access_key(ACCOUNT, "dev")
                .await
                .unwrap()
                .access_key_id,
            None,
        )
        .unwrap()
        .caller;
    let named = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:user/dev"},"Action":"sts:AssumeRole"}]}"#;
    let account_wide = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:root"},"Action":"sts:AssumeRole"}]}"#;
    for (name, trust) in [("named", named), ("wide", account_wide)] {
        iam.create_role(
            ACCOUNT,
            CreateRole {
                name: name.into(),
                trust: trust.into(),
                ..CreateRole::default()
            },
        )
        .await
        .unwrap();
    }
    let named_arn = "arn:aws:iam::000000000000:role/named";
    let wide_arn = "arn:aws:iam::000000000000:role/wide";
    let creds = iam
        .assume_role(&dev, named_arn, "s1", None, true)
        .await
        .unwrap();
    assert_eq!(
        creds.caller.arn(),
        "arn:aws:sts::000000000000:assumed-role/named/s1"
    );
    assert!(creds.expiration_ms > iam.clock().now_ms());
    // Account-wide trust: the user's own policies must allow it when authorization is on.
    assert!(
        iam.assume_role(&dev, wide_arn, "s", None, false)
            .await
            .is_ok()
    );
    let denied = iam
        .assume_role(&dev, wide_arn, "s", None, true)
        .await
        .unwrap_err();
    assert_eq!(
        denied.message(),
        "User: arn:aws:iam::000000000000:user/dev is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::000000000000:role/wide"
    );
    iam.put_user_policy(
        ACCOUNT,
        "dev",
        "assume",
        &inline(&["sts:AssumeRole"], wide_arn),
    )
    .await
    .unwrap();
    assert!(
        iam.assume_role(&dev, wide_arn, "s", None, true)
            .await
            .is_ok()
    );
    // Lambda's role trusts only lambda.amazonaws.com.
    lambda_role(&iam, "fn-role").await;
    let fn_role = "arn:aws:iam::000000000000:role/fn-role";
    assert_eq!(
        iam.assume_role(&dev, fn_role, "s", None, false)
            .await
            .unwrap_err()
            .code(),
        "AccessDenied"
    );
    assert_eq!(
        iam.assume_role(&dev, named_arn, "s", Some(7200), false)
            .await
            .unwrap_err()
            .code(),
        "ValidationError"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lambdas_role_checks_use_the_stored_role() {
    let (iam, _) = open().await;
    let arn = "arn:aws:iam::000000000000:role/consumer";
    assert_eq!(iam.lambda_role_check(arn), LambdaRoleCheck::Missing);
    lambda_role(&iam, "consumer").await;
    assert_eq!(iam.lambda_role_check(arn), LambdaRoleCheck::Assumable);
    assert_eq!(
        iam.lambda_role_check("arn:aws:iam::000000000000:role/other/consumer"),
        LambdaRoleCheck::Missing,
        "the path is part of the ARN"
    );
    let missing = iam.check_stream_access(arn, "fn", STREAM).unwrap_err();
    assert_eq!(missing.actions.len(), 4);
    iam.put_role_policy(
        ACCOUNT,
        "consumer",
        "streams",
        &inline(
            &[
                "dynamodb:GetRecords",
                "dynamodb:GetShardIterator",
                "dynamodb:DescribeStream",
            ],
            STREAM,
        ),
    )
    .await
    .unwrap();
    assert_eq!(
        iam.check_stream_access(arn, "fn", STREAM)
            .unwrap_err()
            .actions,
        vec!["dynamodb:ListStreams"]
    );
    iam.attach_role_policy(
        ACCOUNT,
        "consumer",
        "arn:aws:iam::aws:policy/service-role/AWSLambdaDynamoDBExecutionRole",
    )
    .await
    .unwrap();
    assert_eq!(iam.check_stream_access(arn, "fn", STREAM), Ok(()));
    let queue = "arn:aws:sqs:us-east-1:000000000000:dlq";
    assert!(iam.check_destination_access(arn, "fn", queue).is_err());
    iam.put_role_policy(
        ACCOUNT,
        "consumer",
        "dlq",
        &inline(&["sqs:SendMessage"], queue),
    )
    .await
    .unwrap();
    assert_eq!(iam.check_destination_access(arn, "fn", queue), Ok(()));
    let untrusting = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    iam.update_assume_role_policy(ACCOUNT, "consumer", untrusting)
        .await
        .unwrap();
    assert_eq!(iam.lambda_role_check(arn), LambdaRoleCheck::NotAssumable);
}
