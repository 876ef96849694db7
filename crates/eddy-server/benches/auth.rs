//! Micro-benchmark of what `--auth sigv4` and `--auth iam` add to a request: SigV4 verification of a signed
//! PutItem, the IAM actions it needs, and their authorization against an IAM user's policies.
//! Run: cargo bench -p eddy-server --bench auth
use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

use axum::http::{HeaderMap, HeaderValue, Method};
use eddy_iam::{Iam, IamConfig};
use eddy_model::{Clock, Scope};
use eddy_server::auth::sigv4::{self, Authorization, HttpRequest};
use eddy_server::auth::wire::{JsonService, Wire};
use eddy_server::auth::{Auth, AuthMode, actions};
use eddy_store::{Store, StoreConfig};

const BODY: &[u8] = br#"{"TableName":"load","Item":{"pk":{"S":"p12345"},"sk":{"N":"7"},"payload":{"S":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}}}"#;
const DATE: &str = "20260101T000000Z";
const POLICY: &str = r#"{"Version":"2012-10-17","Statement":[
  {"Effect":"Allow","Action":"dynamodb:*","Resource":"arn:aws:dynamodb:*:000000000000:table/load"},
  {"Effect":"Deny","Action":"dynamodb:DeleteTable","Resource":"*"}]}"#;

fn time(label: &str, n: u32, mut f: impl FnMut()) {
    let t = Instant::now();
    for _ in 0..n {
        f();
    }
    println!(
        "{label:<28} {:>7.2} us",
        t.elapsed().as_secs_f64() * 1e6 / f64::from(n)
    );
}

/// The headers of a PutItem signed by `key`/`secret` the way SDKs sign it.
fn signed(key: &str, secret: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert("host", HeaderValue::from_static("127.0.0.1:4566"));
    headers.insert("x-amz-date", HeaderValue::from_static(DATE));
    headers.insert(
        "x-amz-target",
        HeaderValue::from_static("DynamoDB_20120810.PutItem"),
    );
    headers.insert(
        "content-type",
        HeaderValue::from_static("application/x-amz-json-1.0"),
    );
    let names = ["content-type", "host", "x-amz-date", "x-amz-target"];
    let auth = Authorization {
        presigned: false,
        access_key: key.into(),
        scope_date: DATE[..8].into(),
        region: "us-east-1".into(),
        service: "dynamodb".into(),
        terminator: "aws4_request".into(),
        signed_headers: names.iter().map(|s| s.to_string()).collect(),
        signature: String::new(),
        amz_date: DATE.into(),
        expires_s: None,
        session_token: None,
    };
    let canonical = sigv4::canonical_request(&request(&headers), &auth).unwrap();
    let signature = sigv4::signature(
        &sigv4::signing_key(secret, &DATE[..8], "us-east-1", "dynamodb"),
        &sigv4::string_to_sign(&auth, &canonical),
    );
    let value = format!(
        "AWS4-HMAC-SHA256 Credential={key}/{}/us-east-1/dynamodb/aws4_request, SignedHeaders={}, Signature={signature}",
        &DATE[..8],
        names.join(";")
    );
    headers.insert("authorization", HeaderValue::from_str(&value).unwrap());
    headers
}

fn request(headers: &HeaderMap) -> HttpRequest<'_> {
    HttpRequest {
        method: "POST",
        path: "/",
        query: None,
        headers,
        body: BODY,
    }
}

fn main() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let clock = Arc::new(Clock::new());
    let store = Store::in_memory(clock.clone(), StoreConfig::default());
    let (iam, key) = rt.block_on(async {
        let iam = Iam::open(
            store,
            clock,
            IamConfig {
                root_keys: vec![("AKIAROOT".into(), "root-secret".into())],
                root_account: "000000000000".into(),
            },
        )
        .await
        .unwrap();
        iam.create_user("000000000000", "loader", None, Vec::new())
            .await
            .unwrap();
        iam.put_user_policy("000000000000", "loader", "table", POLICY)
            .await
            .unwrap();
        let key = iam
            .create_access_key("000000000000", "loader")
            .await
            .unwrap();
        (iam, key)
    });
    let auth = Auth::new(AuthMode::Iam, iam.clone());
    let headers = signed(&key.access_key_id, &key.secret_access_key);
    let wire = Wire::Json {
        service: JsonService::DynamoDb,
        op: "PutItem".into(),
    };
    let now = sigv4::parse_amz_date(DATE).unwrap();
    let n = 100_000;
    time("verify (SigV4)", n, || {
        black_box(auth.verify(&request(&headers), &wire, now).unwrap());
    });
    let identity = auth.verify(&request(&headers), &wire, now).unwrap();
    let scope = Scope::new("000000000000", "us-east-1");
    let view = actions::RequestView {
        method: &Method::POST,
        path: "/",
        query: None,
        body: BODY,
        params: &[],
        scope: &scope,
        caller: &identity.caller,
        iam: &iam,
    };
    time("required actions", n, || {
        black_box(actions::required(&wire, &view));
    });
    let needed = actions::required(&wire, &view);
    time("authorize (user policy)", n, || {
        for need in &needed {
            iam.authorize(&identity.caller, &need.action, &need.resource, None)
                .unwrap();
        }
    });
}
