//! Who is calling and where: the (account, region) scope of a request and a request id. With authentication
//! on, the scope is the verified caller's account and the credential scope's region (see `auth`). With it off,
//! both come from the SigV4 credential scope as sent (`Credential=<key>/<date>/<region>/<service>/aws4_request`,
//! header or query-string form) without checking the signature: an access key eddy issued names its own
//! account, a 12-digit access key names the account (as LocalStack does), any other key the default account.

use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::http::{HeaderMap, HeaderName, header};
use eddy_iam::Caller;
use eddy_model::Scope;
use eddy_model::scope::{DEFAULT_ACCOUNT, DEFAULT_REGION};

use crate::auth::{Auth, Identity};

#[derive(Clone, Debug)]
pub struct RequestContext {
    pub scope: Scope,
    pub request_id: String,
    pub access_key: Option<String>,
    /// The service named in the SigV4 credential scope (`dynamodb`, `sqs`, `sns`, `lambda`, `logs`, `iam`,
    /// `sts`, …): tells query-protocol services apart, since they share `POST /` with an `Action` parameter.
    pub service: Option<String>,
    /// The `Host` the client used (DescribeEndpoints answers with it).
    pub host: Option<String>,
    /// The session token sent with the access key, if any.
    pub session_token: Option<String>,
    /// The verified caller, when authentication is on.
    pub caller: Option<Arc<Caller>>,
    /// Whether the caller's policies are enforced (`--auth iam`).
    pub authorizes: bool,
    pub source_ip: Option<IpAddr>,
}

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
    let header = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let from_query = query.and_then(|q| {
        q.split('&')
            .find_map(|pair| pair.strip_prefix("X-Amz-Credential="))
            .map(|v| v.replace("%2F", "/").replace("%2f", "/"))
    });
    header
        .and_then(credential_from_authorization)
        .or_else(|| from_query.as_deref().and_then(parse_credential))
        .map(|c| OwnedCredential {
            access_key: c.access_key.to_string(),
            region: c.region.to_string(),
            service: c.service.to_string(),
        })
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

/// Parts of a SigV4 credential scope.
#[derive(Debug, PartialEq, Eq)]
pub struct Credential<'a> {
    pub access_key: &'a str,
    pub date: &'a str,
    pub region: &'a str,
    pub service: &'a str,
}

/// Parses `<key>/<date>/<region>/<service>/aws4_request`.
pub fn parse_credential(s: &str) -> Option<Credential<'_>> {
    let mut parts = s.split('/');
    let credential = Credential {
        access_key: parts.next()?,
        date: parts.next()?,
        region: parts.next()?,
        service: parts.next()?,
    };
    (parts.next()? == "aws4_request").then_some(credential)
}

/// The credential of an `Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…` header.
pub fn credential_from_authorization(header: &str) -> Option<Credential<'_>> {
    let rest = header.strip_prefix("AWS4-HMAC-SHA256")?;
    rest.split(',')
        .map(str::trim)
        .find_map(|part| part.strip_prefix("Credential="))
        .and_then(parse_credential)
}

fn account_for_key(key: &str) -> &str {
    if key.len() == 12 && key.bytes().all(|b| b.is_ascii_digit()) {
        key
    } else {
        DEFAULT_ACCOUNT
    }
}

static REQUEST_COUNTER: AtomicU64 = AtomicU64::new(0);

/// A 52-character request id in DynamoDB's alphabet (upper-case letters and digits), unique per process run.
pub fn new_request_id() -> String {
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
    // Every byte comes from the ASCII alphabet above.
    String::from_utf8_lossy(&out).into_owned()
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
        let credential = credential_of(headers, query);
        let (scope, access_key, service) = match credential {
            Some(c) => (
                scope_of(account_for_key(&c.access_key), &c.region),
                Some(c.access_key),
                Some(c.service),
            ),
            None => (scope_of(DEFAULT_ACCOUNT, DEFAULT_REGION), None, None),
        };
        RequestContext {
            scope,
            request_id: new_request_id(),
            access_key,
            service,
            host: headers
                .get(header::HOST)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string),
            session_token: session_token(headers, query),
            caller: None,
            authorizes: false,
            source_ip: None,
        }
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
                if let Some(key) = &ctx.access_key
                    && let Some(account) = auth.account_of_key(key, ctx.session_token.as_deref())
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
        self.access_key
            .as_deref()
            .and_then(|key| iam.lookup_key(key, self.session_token.as_deref()).ok())
            .map(|info| info.caller)
            .unwrap_or_else(|| Caller::Root {
                account: self.scope.account.to_string(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_comes_from_the_credential_scope() {
        let h = "AWS4-HMAC-SHA256 Credential=AKID/20240101/eu-west-1/dynamodb/aws4_request, SignedHeaders=host, Signature=abc";
        let c = credential_from_authorization(h).unwrap();
        assert_eq!(
            (c.access_key, c.region, c.service),
            ("AKID", "eu-west-1", "dynamodb")
        );
        assert!(credential_from_authorization("Bearer x").is_none());
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
}
