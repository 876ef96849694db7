//! Authentication and authorization of AWS API requests, in the mode the server runs in:
//!
//! * `off`: nothing is checked; no layer is installed, so the request path is exactly what it is without
//!   IAM. Access keys eddy issued still place a request in their account.
//! * `sigv4`: every request must carry a valid Signature Version 4 (header or query-string form) made with
//!   a root key from the configuration, a user's access key, or temporary credentials eddy issued; the
//!   date must be within five minutes of the server clock.
//! * `iam`: as `sigv4`, and then the caller's identity policies must allow every action the request
//!   performs (see [`actions`]); root is allowed everything.
//!
//! The layer reads the body once (the signature covers it), verifies, authorizes, and hands the request on
//! with its [`Identity`] in the request's extensions. Derived signing keys are cached per
//! secret, date, region and service, so a request costs two SHA-256 hashes and one HMAC. A request's date is
//! judged by the wall clock (clients sign with theirs), not by the steerable server clock; session expiry and
//! `aws:CurrentTime` follow the server clock.
//!
//! With authentication on, the control API (`/_eddy/*`) takes only requests signed with a root key (any
//! region and service name in the credential scope), except `GET /_eddy/health` and function code downloads.

pub mod actions;
pub mod sigv4;
pub mod wire;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{Response, StatusCode};
use axum::middleware::Next;
use eddy_iam::context::GlobalKeys;
use eddy_iam::{Caller, Iam, KeyError};
use eddy_model::Scope;
use parking_lot::Mutex;

use crate::AppState;
use crate::protocol::context::new_request_id;
use sigv4::{AuthError, HttpRequest};
use wire::Wire;

/// How requests are checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthMode {
    Off,
    Sigv4,
    Iam,
}

impl AuthMode {
    pub fn parse(text: &str) -> Option<AuthMode> {
        match text.to_ascii_lowercase().as_str() {
            "off" => Some(AuthMode::Off),
            "sigv4" => Some(AuthMode::Sigv4),
            "iam" => Some(AuthMode::Iam),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            AuthMode::Off => "off",
            AuthMode::Sigv4 => "sigv4",
            AuthMode::Iam => "iam",
        }
    }
}

/// Signing keys kept before the cache is emptied.
const KEY_CACHE_MAX: usize = 4096;

/// A derived signing key and what it was derived from.
struct CachedKey {
    secret: String,
    date: String,
    region: String,
    service: String,
    key: [u8; 32],
}

/// The authentication state shared by all requests.
pub struct Auth {
    pub mode: AuthMode,
    pub iam: Iam,
    /// Signing keys by access key id (a key signs for a few dates, regions and services at most).
    keys: Mutex<HashMap<String, Vec<CachedKey>>>,
    cached: std::sync::atomic::AtomicUsize,
}

/// Who sent a request whose signature was verified.
#[derive(Clone, Debug)]
pub struct Identity {
    pub caller: Arc<Caller>,
    pub access_key: String,
    /// The region of the credential scope.
    pub region: String,
    /// The service of the credential scope.
    pub service: String,
}

impl Identity {
    pub fn scope(&self) -> Scope {
        Scope::new(self.caller.account(), &self.region)
    }
}

impl Auth {
    pub fn new(mode: AuthMode, iam: Iam) -> Auth {
        Auth {
            mode,
            iam,
            keys: Mutex::new(HashMap::new()),
            cached: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    /// The account of an access key eddy knows (a root key, a user's key, a session's), for placing
    /// requests when authentication is off. Only keys shaped like eddy's are looked up.
    pub fn account_of_key(&self, access_key: &str, token: Option<&str>) -> Option<String> {
        let ours = access_key.len() == 20
            && (access_key.starts_with("AKIA") || access_key.starts_with("ASIA"));
        if ours || self.mode != AuthMode::Off {
            self.iam.account_of_key(access_key, token)
        } else {
            None
        }
    }

    /// The signing key of an access key's secret for a date, region and service, derived once and cached
    /// (looking it up allocates nothing).
    fn signing_key(
        &self,
        access_key: &str,
        secret: &str,
        date: &str,
        region: &str,
        service: &str,
    ) -> [u8; 32] {
        use std::sync::atomic::Ordering;
        let same = |c: &CachedKey| {
            c.date == date && c.region == region && c.service == service && c.secret == secret
        };
        if let Some(found) = self
            .keys
            .lock()
            .get(access_key)
            .and_then(|entries| entries.iter().find(|c| same(c)))
        {
            return found.key;
        }
        let key = sigv4::signing_key(secret, date, region, service);
        let mut keys = self.keys.lock();
        if self.cached.load(Ordering::Relaxed) >= KEY_CACHE_MAX {
            keys.clear();
            self.cached.store(0, Ordering::Relaxed);
        }
        keys.entry(access_key.to_string())
            .or_default()
            .push(CachedKey {
                secret: secret.to_string(),
                date: date.to_string(),
                region: region.to_string(),
                service: service.to_string(),
                key,
            });
        self.cached.fetch_add(1, Ordering::Relaxed);
        key
    }

    /// Verifies a request's signature; answers who signed it.
    pub fn verify(
        &self,
        req: &HttpRequest<'_>,
        wire: &Wire,
        now_ms: i64,
    ) -> Result<Identity, AuthError> {
        let auth = sigv4::parse(req)?;
        sigv4::check_clock(&auth, now_ms)?;
        sigv4::check_scope(&auth)?;
        // A query request is routed by the service it was signed for; the control API takes any.
        if !matches!(wire, Wire::Query { .. } | Wire::Control) {
            sigv4::check_service(&auth, wire.signing_name())?;
        }
        let info = self
            .iam
            .lookup_key(&auth.access_key, auth.session_token.as_deref())
            .map_err(|e| match e {
                KeyError::Unknown => AuthError::UnknownKey,
                KeyError::InvalidToken => AuthError::BadToken,
                KeyError::Expired => AuthError::ExpiredToken,
            })?;
        let canonical = sigv4::canonical_request(req, &auth)?;
        let string_to_sign = sigv4::string_to_sign(&auth, &canonical);
        let key = self.signing_key(
            &auth.access_key,
            &info.secret,
            &auth.scope_date,
            &auth.region,
            &auth.service,
        );
        if !sigv4::same_signature(&sigv4::signature(&key, &string_to_sign), &auth.signature) {
            return Err(AuthError::Invalid(sigv4::mismatch_message(
                &canonical,
                &string_to_sign,
            )));
        }
        Ok(Identity {
            caller: Arc::new(info.caller),
            access_key: auth.access_key,
            region: auth.region,
            service: auth.service,
        })
    }
}

/// The control API paths that stay open when authentication is on: the health check (readiness probes) and
/// function code downloads (GetFunction's `Code.Location`, which on AWS is a presigned URL fetched unsigned).
fn is_open_control_path(path: &str) -> bool {
    path == "/_eddy/health" || path.starts_with("/_eddy/lambda/code/")
}

/// The layer installed when authentication is on.
pub async fn layer(State(state): State<AppState>, request: Request, next: Next) -> Response<Body> {
    if is_open_control_path(request.uri().path()) {
        return next.run(request).await;
    }
    let (mut parts, body) = request.into_parts();
    let bytes = match axum::body::to_bytes(body, crate::MAX_BODY).await {
        Ok(bytes) => bytes,
        Err(_) => {
            let mut response = Response::new(Body::from("request body too large"));
            *response.status_mut() = StatusCode::PAYLOAD_TOO_LARGE;
            return response;
        }
    };
    let params = crate::query_params(&parts.method, &parts.uri, &parts.headers, &bytes);
    let wire = if parts.uri.path().starts_with("/_eddy/") {
        Some(Wire::Control)
    } else {
        let signed_for = signed_service(&parts.headers, parts.uri.query());
        Wire::of(
            &parts.method,
            &parts.uri,
            &parts.headers,
            signed_for.as_deref(),
            params.as_deref(),
        )
    };
    let Some(wire) = wire else {
        return next
            .run(Request::from_parts(parts, Body::from(bytes)))
            .await;
    };
    let req = HttpRequest {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: parts.uri.query(),
        headers: &parts.headers,
        body: &bytes,
    };
    // Clients sign with their own clocks: the date is judged by the wall clock, not the server clock
    // (which tests pause and advance).
    let identity = match state.auth.verify(&req, &wire, eddy_model::clock::wall_ms()) {
        Ok(identity) => identity,
        Err(e) => return wire::auth_error(&wire, &e, &new_request_id()),
    };
    let refusal = if wire == Wire::Control {
        (!identity.caller.is_root()).then(|| {
            wire::access_denied(
                &wire,
                &format!(
                    "{} may not use the control API (/_eddy): sign with the root keys",
                    identity.caller.arn()
                ),
                &new_request_id(),
            )
        })
    } else if state.auth.mode == AuthMode::Iam {
        authorize(&state, &parts, &bytes, params.as_deref(), &wire, &identity)
    } else {
        None
    };
    if let Some(response) = refusal {
        return response;
    }
    parts.extensions.insert(identity);
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// `iam` mode: every permission the request needs must be allowed by the caller's policies; the answer is
/// the refusal, if any.
fn authorize(
    state: &AppState,
    parts: &axum::http::request::Parts,
    body: &[u8],
    params: Option<&[(String, String)]>,
    wire: &Wire,
    identity: &Identity,
) -> Option<Response<Body>> {
    let source_ip = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let scope = identity.scope();
    let view = actions::RequestView {
        method: &parts.method,
        path: parts.uri.path(),
        query: parts.uri.query(),
        body,
        params: params.unwrap_or(&[]),
        scope: &scope,
        caller: &identity.caller,
        iam: &state.auth.iam,
    };
    for needed in actions::required(wire, &view) {
        let keys = GlobalKeys {
            source_ip,
            secure_transport: Some(false),
            requested_region: Some(identity.region.clone()),
            ..GlobalKeys::default()
        };
        if let Err(reason) = state.auth.iam.authorize(
            &identity.caller,
            &needed.action,
            &needed.resource,
            Some(keys),
        ) {
            let message = reason.message(
                &identity.caller.arn(),
                &needed.written_for(wire),
                &needed.resource,
            );
            return Some(wire::access_denied(wire, &message, &new_request_id()));
        }
    }
    None
}

/// The service named in a request's credential scope, if it has one.
fn signed_service(headers: &axum::http::HeaderMap, query: Option<&str>) -> Option<String> {
    crate::protocol::context::credential_of(headers, query).map(|c| c.service)
}

#[cfg(test)]
mod tests;
