//! Verification with IAM's keys: the root key of the configuration (checked against AWS's test vector), an
//! unknown key, a wrong secret, temporary credentials and their expiry, and the service a request must be
//! signed for.

use std::sync::Arc;

use axum::http::{HeaderMap, HeaderName, HeaderValue, Method};
use eddy_iam::{Caller, Iam, IamConfig};
use eddy_model::Clock;
use eddy_store::{Store, StoreConfig};

use super::sigv4::{self, AuthError, Authorization, HttpRequest};
use super::wire::{JsonService, QueryService, Wire};
use super::{Auth, AuthMode};

const KEY: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const SUITE_MS: i64 = 1_440_938_160_000;
const DATE: &str = "20150830T123600Z";

async fn auth() -> Auth {
    let clock = Arc::new(Clock::new());
    let store = Store::in_memory(clock.clone(), StoreConfig::default());
    let iam = Iam::open(
        store,
        clock,
        IamConfig {
            root_keys: vec![(KEY.into(), SECRET.into())],
            root_account: "000000000000".into(),
        },
    )
    .await
    .unwrap();
    Auth::new(AuthMode::Sigv4, iam)
}

fn query_wire() -> Wire {
    Wire::Query {
        service: QueryService::Sts,
        op: "GetCallerIdentity".into(),
    }
}

/// Headers of a request signed with `key`/`secret` for `service` at the suite's time.
fn signed(key: &str, secret: &str, service: &str, token: Option<&str>, body: &[u8]) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert("host", HeaderValue::from_static("localhost:4566"));
    headers.insert("x-amz-date", HeaderValue::from_static(DATE));
    let mut names = vec!["host".to_string(), "x-amz-date".to_string()];
    if let Some(token) = token {
        headers.insert(
            "x-amz-security-token",
            HeaderValue::from_str(token).unwrap(),
        );
        names.push("x-amz-security-token".into());
    }
    let auth = Authorization {
        presigned: false,
        access_key: key.into(),
        scope_date: "20150830".into(),
        region: "us-east-1".into(),
        service: service.into(),
        terminator: "aws4_request".into(),
        signed_headers: names.clone(),
        signature: String::new(),
        amz_date: DATE.into(),
        expires_s: None,
        session_token: None,
    };
    let canonical = sigv4::canonical_request(&request(&headers, body), &auth).unwrap();
    let sts = sigv4::string_to_sign(&auth, &canonical);
    let signature = sigv4::signature(
        &sigv4::signing_key(secret, "20150830", "us-east-1", service),
        &sts,
    );
    let value = format!(
        "AWS4-HMAC-SHA256 Credential={key}/20150830/us-east-1/{service}/aws4_request, SignedHeaders={}, Signature={signature}",
        names.join(";")
    );
    headers.insert(
        HeaderName::from_static("authorization"),
        HeaderValue::from_str(&value).unwrap(),
    );
    headers
}

fn request<'a>(headers: &'a HeaderMap, body: &'a [u8]) -> HttpRequest<'a> {
    HttpRequest {
        method: "POST",
        path: "/",
        query: None,
        headers,
        body,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_root_key_verifies_aws_test_vector() {
    let auth = auth().await;
    let h: HeaderMap = [
        ("host", "example.amazonaws.com"),
        ("x-amz-date", DATE),
        (
            "authorization",
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
        ),
    ]
    .into_iter()
    .map(|(k, v)| {
        (
            HeaderName::from_static(k),
            HeaderValue::from_str(v).unwrap(),
        )
    })
    .collect();
    let req = HttpRequest {
        method: "GET",
        path: "/",
        query: None,
        headers: &h,
        body: b"",
    };
    let identity = auth.verify(&req, &query_wire(), SUITE_MS).unwrap();
    assert_eq!(
        *identity.caller,
        Caller::Root {
            account: "000000000000".into()
        }
    );
    assert_eq!(identity.scope().region.as_ref(), "us-east-1");
    // Five minutes and one second later the same request is a replay outside the window.
    assert!(matches!(
        auth.verify(&req, &query_wire(), SUITE_MS + 301_000),
        Err(AuthError::Invalid(m)) if m.starts_with("Signature expired: 20150830T123600Z")
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_keys_and_wrong_secrets_are_refused() {
    let auth = auth().await;
    let h = signed("AKIANOSUCHKEY0000000", "x", "sts", None, b"");
    assert_eq!(
        auth.verify(&request(&h, b""), &query_wire(), SUITE_MS)
            .unwrap_err(),
        AuthError::UnknownKey
    );
    let h = signed(KEY, "not the secret", "sts", None, b"");
    let err = auth
        .verify(&request(&h, b""), &query_wire(), SUITE_MS)
        .unwrap_err();
    assert!(
        err.message()
            .contains("The Canonical String for this request should have been"),
        "{err:?}"
    );
    let h = signed(KEY, SECRET, "sts", None, b"{}");
    assert!(
        auth.verify(&request(&h, b"{\"tampered\":1}"), &query_wire(), SUITE_MS)
            .is_err(),
        "the body is signed"
    );
    assert!(
        auth.verify(&request(&h, b"{}"), &query_wire(), SUITE_MS)
            .is_ok()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_services_must_be_signed_for_their_own_name() {
    let auth = auth().await;
    let h = signed(KEY, SECRET, "sqs", None, b"");
    let wire = Wire::Json {
        service: JsonService::DynamoDb,
        op: "ListTables".into(),
    };
    assert_eq!(
        auth.verify(&request(&h, b""), &wire, SUITE_MS)
            .unwrap_err()
            .message(),
        "Credential should be scoped to correct service: 'dynamodb'. "
    );
    let h = signed(KEY, SECRET, "dynamodb", None, b"");
    assert!(auth.verify(&request(&h, b""), &wire, SUITE_MS).is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_credentials_verify_until_they_expire() {
    let auth = auth().await;
    let session = auth
        .iam
        .issue_session("000000000000", "reader", "AROAX", "fn", 60_000);
    let h = signed(
        &session.access_key_id,
        &session.secret_access_key,
        "sts",
        Some(&session.session_token),
        b"",
    );
    let identity = auth
        .verify(&request(&h, b""), &query_wire(), SUITE_MS)
        .unwrap();
    assert_eq!(
        identity.caller.arn(),
        "arn:aws:sts::000000000000:assumed-role/reader/fn"
    );
    let no_token = signed(
        &session.access_key_id,
        &session.secret_access_key,
        "sts",
        None,
        b"",
    );
    assert_eq!(
        auth.verify(&request(&no_token, b""), &query_wire(), SUITE_MS)
            .unwrap_err(),
        AuthError::UnknownKey
    );
    let forged = signed(
        &session.access_key_id,
        &session.secret_access_key,
        "sts",
        Some("EDDY1.Zm9v.YmFy"),
        b"",
    );
    assert_eq!(
        auth.verify(&request(&forged, b""), &query_wire(), SUITE_MS)
            .unwrap_err(),
        AuthError::BadToken
    );
    auth.iam.clock().advance_ms(60_000);
    assert_eq!(
        auth.verify(&request(&h, b""), &query_wire(), SUITE_MS)
            .unwrap_err(),
        AuthError::ExpiredToken
    );
}

#[test]
fn wires_are_told_apart_and_signed_for_their_service() {
    let uri = "/".parse().unwrap();
    let mut h = HeaderMap::new();
    h.insert(
        "x-amz-target",
        HeaderValue::from_static("DynamoDBStreams_20120810.GetRecords"),
    );
    let wire = Wire::of(&Method::POST, &uri, &h, None, None).unwrap();
    assert_eq!(wire.signing_name(), "dynamodb");
    h.insert(
        "x-amz-target",
        HeaderValue::from_static("Logs_20140328.GetLogEvents"),
    );
    assert_eq!(
        Wire::of(&Method::POST, &uri, &h, None, None)
            .unwrap()
            .signing_name(),
        "logs"
    );
    let form = vec![("Action".to_string(), "GetCallerIdentity".to_string())];
    let wire = Wire::of(&Method::POST, &uri, &HeaderMap::new(), None, Some(&form)).unwrap();
    assert_eq!(
        wire,
        Wire::Query {
            service: QueryService::Sts,
            op: "GetCallerIdentity".into()
        }
    );
    let form = vec![("Action".to_string(), "CreateRole".to_string())];
    assert_eq!(
        Wire::of(&Method::POST, &uri, &HeaderMap::new(), None, Some(&form))
            .unwrap()
            .signing_name(),
        "iam"
    );
    let lambda = "/2015-03-31/functions/f/invocations".parse().unwrap();
    assert_eq!(
        Wire::of(&Method::POST, &lambda, &HeaderMap::new(), None, None),
        Some(Wire::Lambda)
    );
    let esm = "/2015-03-31/event-source-mappings/".parse().unwrap();
    assert_eq!(
        Wire::of(&Method::GET, &esm, &HeaderMap::new(), None, None),
        Some(Wire::Lambda)
    );
    let other = "/favicon.ico".parse().unwrap();
    assert_eq!(
        Wire::of(&Method::GET, &other, &HeaderMap::new(), None, None),
        None
    );
}

#[test]
fn modes_parse_from_their_names() {
    assert_eq!(AuthMode::parse("IAM"), Some(AuthMode::Iam));
    assert_eq!(AuthMode::parse("sigv4"), Some(AuthMode::Sigv4));
    assert_eq!(AuthMode::parse("off").map(AuthMode::as_str), Some("off"));
    assert_eq!(AuthMode::parse("on"), None);
}
