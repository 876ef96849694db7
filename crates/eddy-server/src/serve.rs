//! The listener: accepts TCP connections and serves HTTP/1.1 on each with hyper directly, and shuts down
//! gracefully (no new connections, in-flight requests answered, idle connections closed). AWS JSON 1.0 calls —
//! DynamoDB and DynamoDB Streams, `POST /` with their `X-Amz-Target`, the data plane's hot path — go straight
//! to their handlers when no authentication layer is installed; every other request, and every request when
//! authentication is on, goes through the axum router (`router`). Both paths answer a request identically.
//! A request with an `Origin` header (a browser's) gets AWS's CORS answer: any origin allowed, and preflight
//! `OPTIONS` requests answered here, before authentication.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::header::{
    ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS, ACCESS_CONTROL_ALLOW_ORIGIN,
    ACCESS_CONTROL_EXPOSE_HEADERS, ACCESS_CONTROL_MAX_AGE, ACCESS_CONTROL_REQUEST_HEADERS,
    ACCESS_CONTROL_REQUEST_METHOD, CONNECTION, CONTENT_LENGTH, ORIGIN,
};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode};
use bytes::Bytes;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use hyper::body::{Body as _, Frame, Incoming, SizeHint};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tower_service::Service;

use crate::auth::AuthMode;
use crate::protocol::context::RequestContext;
use crate::{AppState, JSON_API_MAX_BODY, JsonApi, router};

/// What every connection needs to answer requests.
struct App {
    router: Router,
    state: AppState,
    /// AWS JSON 1.0 calls skip the router (no authentication layer to pass).
    direct: bool,
    /// Requests carry the peer address for the router's handlers (`aws:SourceIp` in `iam` mode).
    connect_info: bool,
}

impl App {
    async fn answer(&self, request: Request<Incoming>, peer: SocketAddr) -> Response<Body> {
        if !request.headers().contains_key(ORIGIN) {
            return self.answer_call(request, peer).await;
        }
        // A browser's call: CORS as AWS answers it (any origin).
        if request.method() == Method::OPTIONS {
            return preflight(request.headers());
        }
        let mut response = self.answer_call(request, peer).await;
        let headers = response.headers_mut();
        headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
        headers.insert(
            ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static(EXPOSED_HEADERS),
        );
        response
    }

    async fn answer_call(&self, request: Request<Incoming>, peer: SocketAddr) -> Response<Body> {
        let (parts, body) = request.into_parts();
        if self.direct
            && parts.uri.path() == "/"
            && let Some(api) = JsonApi::of(&parts.headers)
        {
            return self.answer_json(api, &parts, body).await;
        }
        let (body, read_to_end) = ReadToEnd::track(body);
        let mut request = Request::from_parts(parts, Body::new(body));
        if self.connect_info {
            request.extensions_mut().insert(ConnectInfo(peer));
        }
        let mut response = match self.router.clone().call(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        };
        if !read_to_end.load(Ordering::Acquire) {
            closes_connection(&mut response);
        }
        response
    }

    async fn answer_json(&self, api: JsonApi<'_>, parts: &Parts, body: Incoming) -> Response<Body> {
        let body = match Limited::new(body, JSON_API_MAX_BODY).collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(e) if e.is::<LengthLimitError>() => return body_too_large(),
            Err(_) => {
                let mut response =
                    plain(StatusCode::BAD_REQUEST, "failed to read the request body");
                closes_connection(&mut response);
                return response;
            }
        };
        let ctx =
            RequestContext::for_request(&self.state.auth, &parts.headers, parts.uri.query(), None);
        api.answer(&self.state, &ctx, &parts.headers, body).await
    }
}

/// Marks an answer given before its request's body was read to the end: hyper cannot find the next request on
/// such a connection and closes it after the answer, so the answer says so (`Connection: close`) and the client
/// opens a new connection rather than sending its next request into a closing one.
fn closes_connection(response: &mut Response<Body>) {
    response
        .headers_mut()
        .insert(CONNECTION, HeaderValue::from_static("close"));
}

/// A request body that notes when it has been read to its end (an empty body is at its end from the start).
struct ReadToEnd {
    inner: Incoming,
    done: Arc<AtomicBool>,
}

impl ReadToEnd {
    fn track(inner: Incoming) -> (ReadToEnd, Arc<AtomicBool>) {
        let done = Arc::new(AtomicBool::new(inner.is_end_stream()));
        let body = ReadToEnd {
            inner,
            done: done.clone(),
        };
        (body, done)
    }
}

impl hyper::body::Body for ReadToEnd {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        if matches!(polled, Poll::Ready(None)) || self.inner.is_end_stream() {
            self.done.store(true, Ordering::Release);
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// The response headers a browser may read, as AWS exposes them.
const EXPOSED_HEADERS: &str =
    "x-amzn-RequestId,x-amzn-ErrorType,x-amz-request-id,x-amz-id-2,x-amzn-ErrorMessage,Date";

/// The answer to a CORS preflight: every origin, and the method and headers the browser asked for.
fn preflight(headers: &HeaderMap) -> Response<Body> {
    let mut response = Response::new(Body::empty());
    let out = response.headers_mut();
    out.insert(ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    for (asked, allowed) in [
        (ACCESS_CONTROL_REQUEST_HEADERS, ACCESS_CONTROL_ALLOW_HEADERS),
        (ACCESS_CONTROL_REQUEST_METHOD, ACCESS_CONTROL_ALLOW_METHODS),
    ] {
        if let Some(value) = headers.get(asked) {
            out.insert(allowed, value.clone());
        }
    }
    out.insert(
        ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static(EXPOSED_HEADERS),
    );
    out.insert(ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("172800"));
    out.insert(CONTENT_LENGTH, HeaderValue::from_static("0"));
    response
}

/// The answer to a body over its limit: `413`, and the connection closes (the rest of the body is not read).
pub(crate) fn body_too_large() -> Response<Body> {
    let mut response = plain(StatusCode::PAYLOAD_TOO_LARGE, "request body too large");
    closes_connection(&mut response);
    response
}

fn plain(status: StatusCode, text: &'static str) -> Response<Body> {
    let mut response = Response::new(Body::from(text));
    *response.status_mut() = status;
    response
}

/// Serves `state` on `listener` until `shutdown` completes, then waits for open connections to finish their
/// requests.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let app = Arc::new(App {
        router: router(state.clone()),
        direct: state.auth.mode == AuthMode::Off,
        connect_info: state.auth.mode == AuthMode::Iam,
        state,
    });
    // Connections watch `stop` to begin their graceful shutdown; each holds a `done` receiver until it ends.
    let (stop, stopping) = watch::channel(false);
    let (done, connection_done) = watch::channel(());
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    pause_after_accept_error(&e).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        tokio::spawn(serve_connection(
            app.clone(),
            stream,
            peer,
            stopping.clone(),
            connection_done.clone(),
        ));
    }
    drop(listener);
    let _ = stop.send(true);
    drop(connection_done);
    done.closed().await;
    Ok(())
}

/// Errors of one connection attempt (the peer gave up) are skipped; others (out of descriptors, …) are
/// waited out so that the accept loop does not spin.
async fn pause_after_accept_error(e: &std::io::Error) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        e.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset
    ) {
        return;
    }
    tracing::error!("accepting a connection failed: {e}");
    tokio::time::sleep(Duration::from_millis(100)).await;
}

async fn serve_connection(
    app: Arc<App>,
    stream: TcpStream,
    peer: SocketAddr,
    mut stopping: watch::Receiver<bool>,
    _done: watch::Receiver<()>,
) {
    // Requests and replies are small and strictly alternate: send each reply at once.
    let _ = stream.set_nodelay(true);
    let service = service_fn(move |request: Request<Incoming>| {
        let app = app.clone();
        async move { Ok::<_, Infallible>(app.answer(request, peer).await) }
    });
    let connection = http1::Builder::new().serve_connection(TokioIo::new(stream), service);
    let mut connection = std::pin::pin!(connection);
    tokio::select! {
        result = connection.as_mut() => {
            if let Err(e) = result {
                tracing::debug!("connection from {peer}: {e}");
            }
            return;
        }
        _ = stopping.wait_for(|stop| *stop) => {}
    }
    connection.as_mut().graceful_shutdown();
    if let Err(e) = connection.await {
        tracing::debug!("connection from {peer}: {e}");
    }
}
