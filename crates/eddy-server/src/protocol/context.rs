//! Who is calling and where: the (account, region) scope of a request and a request id. With authentication
//! on, the scope is the verified caller's account and the credential scope's region (see `auth`). With it off,
//! both come from the SigV4 credential scope as sent (`Credential=<key>/<date>/<region>/<service>/aws4_request`,
//! header or query-string form) without checking the signature: an access key eddy issued names its own
//! account, a 12-digit access key names the account (as LocalStack does), any other key the default account.

use std::fmt;
use std::net::IpAddr;
use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::http::{HeaderMap, HeaderName, HeaderValue, header};
use eddy_iam::Caller;
use eddy_model::Scope;
use eddy_model::scope::{DEFAULT_ACCOUNT, DEFAULT_REGION};

use crate::auth::{Auth, Identity};

#[derive(Clone, Debug)]
pub struct RequestContext {
    pub scope: Scope,
    pub request_id: RequestId,
    /// The SigV4 credential scope as sent, if any.
    credential: Option<SentCredential>,
    /// The `Host` the client used (DescribeEndpoints answers with it).
    host: Option<HeaderValue>,
    /// The session token sent with the access key, if any.
    session_token: Option<String>,
    /// The verified caller, when authentication is on.
    pub caller: Option<Arc<Caller>>,
    /// Whether the caller's policies are enforced (`--auth iam`).
    pub authorizes: bool,
    pub source_ip: Option<IpAddr>,
    /// The X-Ray `X-Amzn-Trace-Id` header as sent (SQS and SNS carry it into `AWSTraceHeader`).
    trace_header: Option<HeaderValue>,
}

const TRACE_ID: HeaderName = HeaderName::from_static("x-amzn-trace-id");

const SECURITY_TOKEN: HeaderName = HeaderName::from_static("x-amz-security-token");

/// A credential scope, owned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OwnedCredential {
    pub access_key: String,
    pub region: String,
    pub service: String,
}

/// The credential scope of a request's `Authorization` header or `X-Amz-Credential` query parameter.
pub fn credential_of(headers: &HeaderMap, query: Option<&str>) -> Option<OwnedCredential> {
    SentCredential::of(headers, query).map(|c| OwnedCredential {
        access_key: c.access_key().to_string(),
        region: c.region().to_string(),
        service: c.service().to_string(),
    })
}

/// A credential scope as sent, left in the text it came in (the header value is shared, not copied), with
/// where its parts are.
#[derive(Clone, Debug)]
struct SentCredential {
    text: CredentialText,
    parts: CredentialParts,
}

#[derive(Clone, Debug)]
enum CredentialText {
    Header(HeaderValue),
    /// The decoded `X-Amz-Credential` query parameter.
    Query(String),
}

/// Byte ranges of a credential scope's access key, region and service in its text.
#[derive(Clone, Debug, PartialEq, Eq)]
struct CredentialParts {
    access_key: Range<usize>,
    region: Range<usize>,
    service: Range<usize>,
}

impl SentCredential {
    fn of(headers: &HeaderMap, query: Option<&str>) -> Option<SentCredential> {
        let from_header = headers.get(header::AUTHORIZATION).and_then(|value| {
            let parts = credential_in_authorization(value.to_str().ok()?)?;
            Some(SentCredential {
                text: CredentialText::Header(value.clone()),
                parts,
            })
        });
        from_header.or_else(|| {
            let raw = query?
                .split('&')
                .find_map(|pair| pair.strip_prefix("X-Amz-Credential="))?;
            let text = raw.replace("%2F", "/").replace("%2f", "/");
            let parts = credential_parts(&text, 0..text.len())?;
            Some(SentCredential {
                text: CredentialText::Query(text),
                parts,
            })
        })
    }

    fn part(&self, range: &Range<usize>) -> &str {
        let bytes = match &self.text {
            CredentialText::Header(value) => value.as_bytes(),
            CredentialText::Query(text) => text.as_bytes(),
        };
        // The ranges were found in this text, which was valid UTF-8 then, at '/' boundaries.
        bytes
            .get(range.clone())
            .and_then(|b| std::str::from_utf8(b).ok())
            .unwrap_or_default()
    }

    fn access_key(&self) -> &str {
        self.part(&self.parts.access_key)
    }

    fn region(&self) -> &str {
        self.part(&self.parts.region)
    }

    fn service(&self) -> &str {
        self.part(&self.parts.service)
    }
}

/// The session token of a request (header or query-string form).
fn session_token(headers: &HeaderMap, query: Option<&str>) -> Option<String> {
    headers
        .get(SECURITY_TOKEN)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or_else(|| {
            query.and_then(|q| {
                q.split('&')
                    .find_map(|pair| pair.strip_prefix("X-Amz-Security-Token="))
                    .map(|v| crate::lambda::wire::percent_decode(v, false))
            })
        })
}

/// Where the parts of a credential scope `<key>/<date>/<region>/<service>/aws4_request` are, within `range`
/// of `text`.
fn credential_parts(text: &str, range: Range<usize>) -> Option<CredentialParts> {
    let bytes = text.as_bytes();
    let mut bounds = [0usize; 5];
    let mut start = range.start;
    for slot in &mut bounds {
        if start > range.end {
            return None;
        }
        let end = bytes[start..range.end]
            .iter()
            .position(|&b| b == b'/')
            .map_or(range.end, |p| start + p);
        *slot = end;
        start = end + 1;
    }
    let [key_end, date_end, region_end, service_end, last_end] = bounds;
    (&bytes[service_end + 1..last_end] == b"aws4_request").then(|| CredentialParts {
        access_key: range.start..key_end,
        region: date_end + 1..region_end,
        service: region_end + 1..service_end,
    })
}

/// Where the credential scope's parts are in an
/// `Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…` header.
fn credential_in_authorization(header: &str) -> Option<CredentialParts> {
    const SCHEME: &str = "AWS4-HMAC-SHA256";
    const CREDENTIAL: &[u8] = b"Credential=";
    if !header.starts_with(SCHEME) {
        return None;
    }
    let bytes = header.as_bytes();
    let mut start = SCHEME.len();
    // The comma-separated parameters, each trimmed; the first that is `Credential=…` counts.
    loop {
        let end = bytes[start..]
            .iter()
            .position(|&b| b == b',')
            .map_or(bytes.len(), |p| start + p);
        let part = trim(bytes, start..end);
        if bytes[part.clone()].starts_with(CREDENTIAL) {
            return credential_parts(header, part.start + CREDENTIAL.len()..part.end);
        }
        if end == bytes.len() {
            return None;
        }
        start = end + 1;
    }
}

/// A range without its leading and trailing whitespace.
fn trim(bytes: &[u8], mut range: Range<usize>) -> Range<usize> {
    while range.start < range.end && bytes[range.start].is_ascii_whitespace() {
        range.start += 1;
    }
    while range.end > range.start && bytes[range.end - 1].is_ascii_whitespace() {
        range.end -= 1;
    }
    range
}

fn account_for_key(key: &str) -> &str {
    if key.len() == 12 && key.bytes().all(|b| b.is_ascii_digit()) {
        key
    } else {
        DEFAULT_ACCOUNT
    }
}

static REQUEST_COUNTER: AtomicU64 = AtomicU64::new(0);

/// A request id: DynamoDB's 52 characters (upper-case letters and digits, unique per process run), or the
/// lower-case UUID the other services (Lambda, SQS, SNS, IAM, STS, CloudWatch Logs) answer with.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct RequestId {
    bytes: [u8; 52],
    len: u8,
}

impl RequestId {
    pub fn new() -> RequestId {
        // 32 of DynamoDB's 36 characters, so each character is 5 bits of a mixed 64-bit word.
        const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        // Mixed into every id so that ids differ between runs; computed once (getpid is a system call).
        static PROCESS_SALT: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
        let salt = *PROCESS_SALT.get_or_init(|| {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(0);
            nanos ^ ((std::process::id() as u64) << 32)
        });
        let seed = REQUEST_COUNTER.fetch_add(1, Ordering::Relaxed);
        let mut out = [0u8; 52];
        for (word, chunk) in out.chunks_mut(12).enumerate() {
            // splitmix64 of (counter, word): distinct counters give distinct first words, so ids never repeat.
            let mut x = seed
                .wrapping_add(salt)
                .wrapping_add((word as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
            if word > 0 {
                x = x.rotate_left(17) ^ salt;
            }
            x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            x ^= x >> 31;
            for (i, c) in chunk.iter_mut().enumerate() {
                *c = ALPHABET[((x >> (i * 5)) & 31) as usize];
            }
        }
        RequestId {
            bytes: out,
            len: 52,
        }
    }

    /// A random UUID, as the services other than DynamoDB write their request ids.
    pub fn uuid() -> RequestId {
        let mut bytes = [0u8; 52];
        uuid::Uuid::new_v4()
            .hyphenated()
            .encode_lower(&mut bytes[..36]);
        RequestId { bytes, len: 36 }
    }

    pub fn as_str(&self) -> &str {
        // Every byte is ASCII: the alphabet above or a UUID's.
        std::str::from_utf8(&self.bytes[..self.len as usize]).unwrap_or_default()
    }
}

impl Default for RequestId {
    fn default() -> Self {
        RequestId::new()
    }
}

impl std::ops::Deref for RequestId {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

/// A fresh request id, as a string.
pub fn new_request_id() -> String {
    RequestId::new().to_string()
}

/// The scope of an (account, region), shared with the previous request's scope on this thread when they are
/// the same (the common case), so that most requests allocate no scope of their own.
fn scope_of(account: &str, region: &str) -> Scope {
    thread_local! {
        static LAST: std::cell::RefCell<Option<Scope>> = const { std::cell::RefCell::new(None) };
    }
    LAST.with(|last| {
        let mut last = last.borrow_mut();
        match &*last {
            Some(scope) if &*scope.account == account && &*scope.region == region => scope.clone(),
            _ => {
                let scope = Scope::new(account, region);
                *last = Some(scope.clone());
                scope
            }
        }
    })
}

impl RequestContext {
    /// The context of a request whose signature is not checked: the scope as its credential names it.
    pub fn from_headers(headers: &HeaderMap, query: Option<&str>) -> RequestContext {
        let credential = SentCredential::of(headers, query);
        let scope = match &credential {
            Some(c) => scope_of(account_for_key(c.access_key()), c.region()),
            None => scope_of(DEFAULT_ACCOUNT, DEFAULT_REGION),
        };
        RequestContext {
            scope,
            request_id: RequestId::new(),
            credential,
            host: headers.get(header::HOST).cloned(),
            session_token: session_token(headers, query),
            caller: None,
            authorizes: false,
            source_ip: None,
            trace_header: None,
        }
    }

    /// Keeps the X-Ray header for the services that carry it (SQS, SNS); DynamoDB's requests skip the lookup.
    pub fn keep_trace_header(&mut self, headers: &HeaderMap) {
        self.trace_header = headers.get(TRACE_ID).cloned();
    }

    /// The X-Ray trace header the caller sent, if any.
    pub fn trace_header(&self) -> Option<&str> {
        self.trace_header.as_ref().and_then(|h| h.to_str().ok())
    }

    /// The access key of the credential the request was signed with (signature checked or not).
    pub fn access_key(&self) -> Option<&str> {
        self.credential.as_ref().map(SentCredential::access_key)
    }

    /// The service named in the SigV4 credential scope (`dynamodb`, `sqs`, `sns`, `lambda`, `logs`, `iam`,
    /// `sts`, …): tells query-protocol services apart, since they share `POST /` with an `Action` parameter.
    pub fn service(&self) -> Option<&str> {
        self.credential.as_ref().map(SentCredential::service)
    }

    /// The `Host` the client used.
    pub fn host(&self) -> Option<&str> {
        self.host.as_ref().and_then(|h| h.to_str().ok())
    }

    /// The session token sent with the access key, if any.
    pub fn session_token(&self) -> Option<&str> {
        self.session_token.as_deref()
    }

    /// The context of a request as the server sees it: the verified identity when authentication is on,
    /// else the credential as sent, with keys eddy issued placed in their own account.
    pub fn for_request(
        auth: &Auth,
        headers: &HeaderMap,
        query: Option<&str>,
        identity: Option<&Identity>,
    ) -> RequestContext {
        let mut ctx = RequestContext::from_headers(headers, query);
        match identity {
            Some(identity) => {
                ctx.scope = identity.scope();
                ctx.caller = Some(identity.caller.clone());
                ctx.authorizes = auth.mode == crate::auth::AuthMode::Iam;
            }
            None => {
                if let Some(key) = ctx.access_key()
                    && let Some(account) = auth.account_of_key(key, ctx.session_token())
                {
                    ctx.scope = Scope::new(&account, &ctx.scope.region);
                }
            }
        }
        ctx
    }

    /// The caller: the verified one; with authentication off, whoever the access key belongs to if eddy
    /// knows it, else the root of the request's account.
    pub fn caller(&self, iam: &eddy_iam::Iam) -> Caller {
        if let Some(caller) = &self.caller {
            return (**caller).clone();
        }
        self.access_key()
            .and_then(|key| iam.lookup_key(key, self.session_token()).ok())
            .map(|info| info.caller)
            .unwrap_or_else(|| Caller::Root {
                account: self.scope.account.to_string(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header_credential(value: &str) -> Option<(String, String, String)> {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, HeaderValue::from_str(value).ok()?);
        credential_of(&headers, None).map(|c| (c.access_key, c.region, c.service))
    }

    fn owned(key: &str, region: &str, service: &str) -> Option<(String, String, String)> {
        Some((key.into(), region.into(), service.into()))
    }

    #[test]
    fn region_comes_from_the_credential_scope() {
        let h = "AWS4-HMAC-SHA256 Credential=AKID/20240101/eu-west-1/dynamodb/aws4_request, SignedHeaders=host, Signature=abc";
        assert_eq!(header_credential(h), owned("AKID", "eu-west-1", "dynamodb"));
        // The parameters in another order, and spacing as clients send it.
        let h = "AWS4-HMAC-SHA256 SignedHeaders=host,Credential=K/d/us-west-2/sqs/aws4_request ,Signature=abc";
        assert_eq!(header_credential(h), owned("K", "us-west-2", "sqs"));
        // Parts beyond the fifth are ignored, as before; fewer, or another terminator, are no credential.
        let h = "AWS4-HMAC-SHA256 Credential=K/d/r/s/aws4_request/x, Signature=abc";
        assert_eq!(header_credential(h), owned("K", "r", "s"));
        for bad in [
            "Bearer x",
            "AWS4-HMAC-SHA256 Credential=K/d/r/s, Signature=abc",
            "AWS4-HMAC-SHA256 Credential=K/d/r/s/aws4_requests",
            "AWS4-HMAC-SHA256 SignedHeaders=host, Signature=abc",
            "AWS4-HMAC-SHA256 XCredential=K/d/r/s/aws4_request",
            "AWS4-HMAC-SHA256",
        ] {
            assert_eq!(header_credential(bad), None, "{bad}");
        }
        let query =
            "Action=X&X-Amz-Credential=K%2Fd%2Feu-north-1%2Fsns%2Faws4_request&X-Amz-Date=1";
        let c = credential_of(&HeaderMap::new(), Some(query))
            .map(|c| (c.access_key, c.region, c.service));
        assert_eq!(c, owned("K", "eu-north-1", "sns"));
    }

    #[test]
    fn the_context_borrows_the_credential_and_host_it_was_sent() {
        let mut headers = HeaderMap::new();
        let h = "AWS4-HMAC-SHA256 Credential=123456789012/20240101/eu-west-1/dynamodb/aws4_request, SignedHeaders=host, Signature=abc";
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static(h));
        headers.insert(header::HOST, HeaderValue::from_static("localhost:4566"));
        let ctx = RequestContext::from_headers(&headers, None);
        assert_eq!(ctx.access_key(), Some("123456789012"));
        assert_eq!(ctx.service(), Some("dynamodb"));
        assert_eq!(ctx.host(), Some("localhost:4566"));
        assert_eq!(
            (&*ctx.scope.account, &*ctx.scope.region),
            ("123456789012", "eu-west-1")
        );
        let anonymous = RequestContext::from_headers(&HeaderMap::new(), None);
        assert_eq!(
            (
                anonymous.access_key(),
                anonymous.service(),
                anonymous.host()
            ),
            (None, None, None)
        );
        assert_eq!(&*anonymous.scope.region, DEFAULT_REGION);
    }

    #[test]
    fn twelve_digit_keys_name_the_account() {
        assert_eq!(account_for_key("123456789012"), "123456789012");
        assert_eq!(account_for_key("test"), DEFAULT_ACCOUNT);
    }

    #[test]
    fn request_ids_look_like_dynamodb_ids() {
        let a = new_request_id();
        let b = new_request_id();
        assert_eq!(a.len(), 52);
        assert_ne!(a, b);
        let many: std::collections::HashSet<String> =
            (0..10_000).map(|_| new_request_id()).collect();
        assert_eq!(many.len(), 10_000);
        assert!(
            a.bytes()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        );
    }

    #[test]
    fn other_services_request_ids_are_uuids() {
        let id = RequestId::uuid();
        assert_eq!(id.len(), 36);
        assert!(uuid::Uuid::parse_str(id.as_str()).is_ok());
        assert_eq!(id.as_str(), id.as_str().to_lowercase());
        assert_ne!(RequestId::uuid(), id);
    }
}
