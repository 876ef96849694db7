//! SigV4 verification against AWS's published test vectors (the Signature Version 4 test suite and the IAM
//! `ListUsers` example of the General Reference), and the complaints about malformed signatures.

use axum::http::{HeaderMap, HeaderName, HeaderValue};

use super::*;

const KEY: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
/// 2015-08-30T12:36:00Z, the test suite's time.
const SUITE_MS: i64 = 1_440_938_160_000;

fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (k, v) in pairs {
        map.append(
            HeaderName::from_bytes(k.as_bytes()).unwrap(),
            HeaderValue::from_str(v).unwrap(),
        );
    }
    map
}

/// Recomputes the signature of a request the way the server does; answers (canonical request, signature).
fn verify(req: &HttpRequest<'_>) -> (String, String, Authorization) {
    let auth = parse(req).unwrap();
    check_clock(&auth, SUITE_MS).unwrap();
    let canonical = canonical_request(req, &auth).unwrap();
    let sts = string_to_sign(&auth, &canonical);
    let key = signing_key(SECRET, &auth.scope_date, &auth.region, &auth.service);
    (canonical, signature(&key, &sts), auth)
}

fn authorization(signed: &str, signature: &str, service: &str) -> String {
    format!(
        "AWS4-HMAC-SHA256 Credential={KEY}/20150830/us-east-1/{service}/aws4_request, SignedHeaders={signed}, Signature={signature}"
    )
}

#[test]
fn get_vanilla() {
    let sig = "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";
    let h = headers(&[
        ("host", "example.amazonaws.com"),
        ("x-amz-date", "20150830T123600Z"),
        (
            "authorization",
            &authorization("host;x-amz-date", sig, "service"),
        ),
    ]);
    let req = HttpRequest {
        method: "GET",
        path: "/",
        query: None,
        headers: &h,
        body: b"",
    };
    let (canonical, signature, auth) = verify(&req);
    assert_eq!(
        canonical,
        "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    assert_eq!(signature, sig);
    assert!(same_signature(&signature, &auth.signature));
    assert_eq!(auth.access_key, KEY);
    assert_eq!(auth.service, "service");
}

#[test]
fn get_vanilla_query_order_key_case() {
    let sig = "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500";
    let h = headers(&[
        ("host", "example.amazonaws.com"),
        ("x-amz-date", "20150830T123600Z"),
        (
            "authorization",
            &authorization("host;x-amz-date", sig, "service"),
        ),
    ]);
    let req = HttpRequest {
        method: "GET",
        path: "/",
        query: Some("Param2=value2&Param1=value1"),
        headers: &h,
        body: b"",
    };
    let (canonical, signature, _) = verify(&req);
    assert!(
        canonical.contains("\nParam1=value1&Param2=value2\n"),
        "{canonical}"
    );
    assert_eq!(signature, sig);
}

#[test]
fn post_x_www_form_urlencoded() {
    let sig = "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a";
    let h = headers(&[
        ("content-type", "application/x-www-form-urlencoded"),
        ("host", "example.amazonaws.com"),
        ("x-amz-date", "20150830T123600Z"),
        (
            "authorization",
            &authorization("content-type;host;x-amz-date", sig, "service"),
        ),
    ]);
    let req = HttpRequest {
        method: "POST",
        path: "/",
        query: None,
        headers: &h,
        body: b"Param1=value1",
    };
    assert_eq!(verify(&req).1, sig);
}

#[test]
fn iam_list_users_example_of_the_general_reference() {
    let sig = "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7";
    let h = headers(&[
        (
            "content-type",
            "application/x-www-form-urlencoded; charset=utf-8",
        ),
        ("host", "iam.amazonaws.com"),
        ("x-amz-date", "20150830T123600Z"),
        (
            "authorization",
            &authorization("content-type;host;x-amz-date", sig, "iam"),
        ),
    ]);
    let req = HttpRequest {
        method: "GET",
        path: "/",
        query: Some("Action=ListUsers&Version=2010-05-08"),
        headers: &h,
        body: b"",
    };
    let (canonical, signature, auth) = verify(&req);
    assert_eq!(
        hex(&Sha256::digest(canonical.as_bytes())),
        "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59"
    );
    assert_eq!(signature, sig);
    assert_eq!(
        hex(&signing_key(SECRET, "20150830", "us-east-1", "iam")),
        "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9"
    );
    assert_eq!(
        auth.credential_scope(),
        "20150830/us-east-1/iam/aws4_request"
    );
}

#[test]
fn presigned_requests_sign_everything_but_the_signature() {
    let h = headers(&[("host", "example.amazonaws.com")]);
    let query = "Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fsts%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=abc";
    let req = HttpRequest {
        method: "GET",
        path: "/",
        query: Some(query),
        headers: &h,
        body: b"",
    };
    let auth = parse(&req).unwrap();
    assert!(auth.presigned);
    assert_eq!(auth.expires_s, Some(60));
    assert_eq!(auth.signature, "abc");
    let canonical = canonical_request(&req, &auth).unwrap();
    assert!(!canonical.contains("X-Amz-Signature"));
    assert!(
        canonical
            .contains("X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fsts%2Faws4_request")
    );
    assert!(check_clock(&auth, SUITE_MS + 60_000).is_ok());
    assert_eq!(
        check_clock(&auth, SUITE_MS + 61_000),
        Err(AuthError::Invalid(
            "Signature expired: 20150830T123600Z is now earlier than 20150830T123601Z (20150830T123701Z - 60 sec.)".into()
        ))
    );
}

#[test]
fn paths_are_normalised_and_encoded_again() {
    assert_eq!(
        canonical_uri("/2015-03-31/functions/my-fn%3Alive/invocations"),
        "/2015-03-31/functions/my-fn%253Alive/invocations"
    );
    assert_eq!(canonical_uri(""), "/");
    assert_eq!(canonical_uri("/a/./b/../c//d/"), "/a/c/d/");
    assert_eq!(
        canonical_uri("/123456789012/my queue"),
        "/123456789012/my%20queue"
    );
    assert_eq!(uri_encode("a b+c/~", true), "a%20b%2Bc%2F~");
}

#[test]
fn clock_skew_is_five_minutes_either_way() {
    let h = headers(&[
        ("host", "h"),
        ("x-amz-date", "20150830T123600Z"),
        (
            "authorization",
            &authorization("host;x-amz-date", "x", "dynamodb"),
        ),
    ]);
    let req = HttpRequest {
        method: "POST",
        path: "/",
        query: None,
        headers: &h,
        body: b"",
    };
    let auth = parse(&req).unwrap();
    assert!(check_clock(&auth, SUITE_MS + SKEW_MS).is_ok());
    assert!(check_clock(&auth, SUITE_MS - SKEW_MS).is_ok());
    assert_eq!(
        check_clock(&auth, SUITE_MS + 10 * 60_000)
            .unwrap_err()
            .message(),
        "Signature expired: 20150830T123600Z is now earlier than 20150830T124100Z (20150830T124600Z - 5 min.)"
    );
    assert_eq!(
        check_clock(&auth, SUITE_MS - 10 * 60_000)
            .unwrap_err()
            .message(),
        "Signature not yet current: 20150830T123600Z is still later than 20150830T123100Z (20150830T122600Z + 5 min.)"
    );
    assert_eq!(check_service(&auth, "dynamodb"), Ok(()));
    assert_eq!(
        check_service(&auth, "sqs").unwrap_err().message(),
        "Credential should be scoped to correct service: 'sqs'. "
    );
}

fn parse_header(value: &str, date: Option<&str>) -> Result<Authorization, AuthError> {
    let mut pairs = vec![("host", "h"), ("authorization", value)];
    if let Some(d) = date {
        pairs.push(("x-amz-date", d));
    }
    let h = headers(&pairs);
    parse(&HttpRequest {
        method: "POST",
        path: "/",
        query: None,
        headers: &h,
        body: b"",
    })
}

#[test]
fn malformed_authorization_headers_get_aws_complaints() {
    let date = Some("20150830T123600Z");
    assert_eq!(
        parse_header("Bearer abc", date),
        Err(AuthError::MissingToken)
    );
    let h = HeaderMap::new();
    let bare = HttpRequest {
        method: "GET",
        path: "/",
        query: Some("a=b"),
        headers: &h,
        body: b"",
    };
    assert_eq!(parse(&bare), Err(AuthError::MissingToken));
    assert_eq!(
        parse_header("AWS4-HMAC-SHA256 Signature=b", None)
            .unwrap_err()
            .message(),
        "Authorization header requires 'Credential' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=AWS4-HMAC-SHA256 Signature=b"
    );
    assert_eq!(
        parse_header("AWS4-HMAC-SHA256 Credential", date)
            .unwrap_err()
            .message(),
        "'Credential' not a valid key=value pair (missing equal-sign) in Authorization header: 'AWS4-HMAC-SHA256 Credential'."
    );
    let good = "Credential=AKID/20150830/us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=ab";
    assert_eq!(
        parse_header(&format!("AWS4-HMAC-SHA256 {good}"), Some("201")).unwrap_err(),
        AuthError::Incomplete(
            "Date must be in ISO-8601 'basic format'. Got '201'. See http://en.wikipedia.org/wiki/ISO_8601".into()
        )
    );
    assert_eq!(
        parse_header(&format!("AWS4-HMAC-SHA25 {good}"), date)
            .unwrap_err()
            .message(),
        "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA25' (only AWS4-HMAC-SHA256 for now). "
    );
    assert_eq!(
        parse_header(
            "AWS4-HMAC-SHA256 Credential=a/b/c/d, SignedHeaders=host, Signature=x",
            date
        )
        .unwrap_err()
        .message(),
        "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'a/b/c/d'"
    );
    // The scope is checked after the clock, by its own step.
    let scoped = parse_header(
        "AWS4-HMAC-SHA256 Credential=a/b/c/d/e, SignedHeaders=host, Signature=x",
        date,
    )
    .unwrap();
    assert_eq!(
        check_scope(&scoped).unwrap_err().message(),
        "Credential should be scoped with a valid terminator: 'aws4_request', not 'e'. Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: 'b' != '20150830', from '20150830T123600Z'."
    );
    // Components may be separated by spaces alone, or by commas alone.
    for header in [
        "AWS4-HMAC-SHA256 Credential=a/20150830/r/s/aws4_request SignedHeaders=host Signature=x",
        "AWS4-HMAC-SHA256 Credential=a/20150830/r/s/aws4_request,SignedHeaders=host,Signature=x",
    ] {
        let auth = parse_header(header, date).unwrap();
        assert_eq!((auth.signature.as_str(), auth.region.as_str()), ("x", "r"));
        assert!(check_scope(&auth).is_ok());
    }
    assert_eq!(
        parse_header(
            "AWS4-HMAC-SHA256 Credential=a/20150830/r/s/aws4_request, SignedHeaders=x-amz-date, Signature=x",
            date
        )
        .unwrap_err()
        .message(),
        "'Host' must be a 'SignedHeader' in the AWS Authorization."
    );
}

#[test]
fn a_declared_payload_hash_must_match_the_body() {
    let h = headers(&[
        ("host", "h"),
        ("x-amz-date", "20150830T123600Z"),
        ("x-amz-content-sha256", EMPTY_SHA256),
        (
            "authorization",
            &authorization("host;x-amz-date", "x", "lambda"),
        ),
    ]);
    let req = HttpRequest {
        method: "POST",
        path: "/",
        query: None,
        headers: &h,
        body: b"{}",
    };
    let auth = parse(&req).unwrap();
    assert!(matches!(
        canonical_request(&req, &auth),
        Err(AuthError::Invalid(_))
    ));
}

#[test]
fn amz_dates_round_trip() {
    assert_eq!(parse_amz_date("20150830T123600Z"), Some(SUITE_MS));
    assert_eq!(format_amz_date(SUITE_MS), "20150830T123600Z");
    assert_eq!(parse_amz_date("2015-08-30T12:36:00Z"), None);
    assert_eq!(parse_amz_date("20151330T123600Z"), None);
    assert_eq!(parse_amz_date("2015083OT123600Z"), None);
    assert_eq!(parse_amz_date("２０１５0830T123600Z"), None);
}
