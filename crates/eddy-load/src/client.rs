//! One keep-alive HTTP/1.1 connection that sends signed DynamoDB requests.

use std::net::SocketAddr;
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HOST, HeaderName, HeaderValue};
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use crate::sigv4::{SignInput, Signer, sha256_hex};

pub const CONTENT_TYPE_JSON: &str = "application/x-amz-json-1.0";
static X_AMZ_TARGET: HeaderName = HeaderName::from_static("x-amz-target");
static X_AMZ_DATE: HeaderName = HeaderName::from_static("x-amz-date");

/// `http://host[:port][/]` split up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    pub host: String,
    pub port: u16,
    /// The `Host` header: `host:port` as given (port omitted if not given).
    pub authority: String,
}

impl Endpoint {
    pub fn parse(url: &str) -> Result<Endpoint, String> {
        let rest = url
            .strip_prefix("http://")
            .ok_or_else(|| format!("endpoint {url:?}: only http:// endpoints are supported"))?;
        let authority = rest.trim_end_matches('/');
        if authority.is_empty() || authority.contains('/') {
            return Err(format!(
                "endpoint {url:?}: expected http://host[:port] with no path"
            ));
        }
        let bad_port = |p: &str| format!("endpoint {url:?}: bad port {p:?}");
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (h, after) = v6
                .split_once(']')
                .ok_or_else(|| format!("endpoint {url:?}: unclosed ["))?;
            match after.strip_prefix(':') {
                Some(p) => (h, p.parse().map_err(|_| bad_port(p))?),
                None if after.is_empty() => (h, 80),
                None => return Err(bad_port(after)),
            }
        } else {
            match authority.split_once(':') {
                Some((h, p)) => (h, p.parse().map_err(|_| bad_port(p))?),
                None => (authority, 80),
            }
        };
        Ok(Endpoint {
            host: host.to_owned(),
            port,
            authority: authority.to_owned(),
        })
    }

    pub async fn resolve(&self) -> Result<SocketAddr, String> {
        tokio::net::lookup_host((self.host.as_str(), self.port))
            .await
            .map_err(|e| format!("resolving {}: {e}", self.host))?
            .next()
            .ok_or_else(|| format!("{} resolves to no address", self.host))
    }
}

/// Headers that are the same for every request, built once.
#[derive(Clone)]
pub struct Common {
    pub authority: String,
    host: HeaderValue,
    content_type: HeaderValue,
}

impl Common {
    pub fn new(ep: &Endpoint) -> Result<Common, String> {
        Ok(Common {
            authority: ep.authority.clone(),
            host: HeaderValue::from_str(&ep.authority).map_err(|e| e.to_string())?,
            content_type: HeaderValue::from_static(CONTENT_TYPE_JSON),
        })
    }
}

/// Why a request got no HTTP response.
#[derive(Debug)]
pub enum CallError {
    /// The connection failed or was closed; reconnect.
    Connection(String),
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CallError::Connection(e) => write!(f, "connection error: {e}"),
        }
    }
}

pub struct Conn {
    addr: SocketAddr,
    sender: SendRequest<Full<Bytes>>,
    signer: Signer,
    common: Common,
    /// `x-amz-date` header value cached per second.
    date_sec: u64,
    date: HeaderValue,
    /// Connections opened after the first (the server closed one, e.g. a
    /// server that answers `Connection: close`, or after an error).
    pub reconnects: u64,
}

async fn open(addr: SocketAddr) -> Result<SendRequest<Full<Bytes>>, String> {
    let stream = TcpStream::connect(addr)
        .await
        .map_err(|e| format!("connect {addr}: {e}"))?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    let (sender, conn) = http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("handshake with {addr}: {e}"))?;
    tokio::spawn(async move {
        // Ends when the connection closes; errors show up on the requests.
        let _ = conn.await;
    });
    Ok(sender)
}

impl Conn {
    pub async fn connect(addr: SocketAddr, signer: Signer, common: Common) -> Result<Conn, String> {
        Ok(Conn {
            addr,
            sender: open(addr).await?,
            signer,
            common,
            date_sec: u64::MAX,
            date: HeaderValue::from_static(""),
            reconnects: 0,
        })
    }

    /// Replaces the connection with a new one.
    pub async fn reconnect(&mut self) -> Result<(), String> {
        self.sender = open(self.addr).await?;
        self.reconnects += 1;
        Ok(())
    }

    fn request(&mut self, target: &HeaderValue, body: Bytes) -> Request<Full<Bytes>> {
        let payload = sha256_hex(&body);
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let headers = [
            ("content-type", CONTENT_TYPE_JSON),
            ("host", self.common.authority.as_str()),
            ("x-amz-target", target.to_str().unwrap_or("")),
        ];
        let auth = self.signer.authorization(
            now,
            &SignInput {
                method: "POST",
                path: "/",
                query: "",
                headers: &headers,
                payload_sha256: &payload,
            },
        );
        if self.date_sec != now {
            self.date = HeaderValue::from_str(self.signer.date()).expect("ASCII date");
            self.date_sec = now;
        }
        let mut req = Request::new(Full::new(body));
        *req.method_mut() = Method::POST;
        *req.uri_mut() = hyper::Uri::from_static("/");
        let h = req.headers_mut();
        h.insert(HOST, self.common.host.clone());
        h.insert(CONTENT_TYPE, self.common.content_type.clone());
        h.insert(X_AMZ_TARGET.clone(), target.clone());
        h.insert(X_AMZ_DATE.clone(), self.date.clone());
        h.insert(
            AUTHORIZATION,
            HeaderValue::try_from(auth).expect("ASCII authorization"),
        );
        req
    }

    /// Signs and sends one request, and reads the whole response body.
    /// `target` is e.g. `DynamoDB_20120810.PutItem`. A connection that the
    /// server closed is replaced first (and the request resent if it had not
    /// gone out), which is not an error.
    pub async fn call(
        &mut self,
        target: &HeaderValue,
        body: Bytes,
    ) -> Result<(StatusCode, Bytes), CallError> {
        let conn_err = |e: String| CallError::Connection(e);
        let mut req = self.request(target, body);
        let mut attempt = 0;
        let resp = loop {
            attempt += 1;
            if self.sender.is_closed() || self.sender.ready().await.is_err() {
                self.reconnect().await.map_err(conn_err)?;
            }
            match self.sender.try_send_request(req).await {
                Ok(resp) => break resp,
                Err(mut e) => match e.take_message() {
                    // Not sent: the connection was closing under us.
                    Some(r) if attempt < 3 => {
                        req = r;
                        self.reconnect().await.map_err(conn_err)?;
                    }
                    _ => return Err(conn_err(e.into_error().to_string())),
                },
            }
        };
        let status = resp.status();
        let body = resp
            .into_body()
            .collect()
            .await
            .map_err(|e| conn_err(e.to_string()))?
            .to_bytes();
        Ok((status, body))
    }
}

/// The error type of a DynamoDB error body: the part of `__type` after `#`
/// (`com.amazonaws.dynamodb.v20120810#ValidationException` → `ValidationException`),
/// or `HTTP <status>` when the body has none.
pub fn error_type(status: StatusCode, body: &[u8]) -> String {
    if let Ok(serde_json::Value::Object(m)) = serde_json::from_slice::<serde_json::Value>(body)
        && let Some(t) = m.get("__type").and_then(|t| t.as_str())
    {
        let short = t.rsplit('#').next().unwrap_or(t);
        if !short.is_empty() {
            return short.to_owned();
        }
    }
    format!("HTTP {}", status.as_u16())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints() {
        let e = Endpoint::parse("http://127.0.0.1:4566").unwrap();
        assert_eq!((e.host.as_str(), e.port), ("127.0.0.1", 4566));
        assert_eq!(e.authority, "127.0.0.1:4566");
        let e = Endpoint::parse("http://localhost/").unwrap();
        assert_eq!((e.host.as_str(), e.port), ("localhost", 80));
        assert_eq!(e.authority, "localhost");
        let e = Endpoint::parse("http://[::1]:8000").unwrap();
        assert_eq!((e.host.as_str(), e.port), ("::1", 8000));
        assert_eq!(Endpoint::parse("http://[::1]").unwrap().port, 80);
        assert!(Endpoint::parse("https://x").is_err());
        assert!(Endpoint::parse("http://x:y").is_err());
        assert!(Endpoint::parse("http://x/a").is_err());
        assert!(Endpoint::parse("http://").is_err());
    }

    #[test]
    fn error_types() {
        let s = StatusCode::BAD_REQUEST;
        assert_eq!(
            error_type(
                s,
                br#"{"__type":"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException","message":"x"}"#
            ),
            "ResourceNotFoundException"
        );
        assert_eq!(
            error_type(s, br#"{"__type":"ValidationException"}"#),
            "ValidationException"
        );
        assert_eq!(error_type(s, b"<html>"), "HTTP 400");
        assert_eq!(
            error_type(StatusCode::INTERNAL_SERVER_ERROR, b"{}"),
            "HTTP 500"
        );
    }
}
