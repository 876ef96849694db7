//! A do-nothing HTTP/1.1 server that answers every request with a fixed
//! DynamoDB-shaped `200 {}`: the ceiling of HTTP on this machine for the
//! same client (`eddy-load --endpoint http://127.0.0.1:4599`).

use std::convert::Infallible;

use bytes::Bytes;
use clap::Parser;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

#[derive(Parser, Debug)]
#[command(name = "eddy-null-server", version)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:4599")]
    listen: String,
    /// Runtime threads (1 = single-threaded runtime).
    #[arg(long, default_value_t = 1)]
    threads: usize,
}

static BODY: &[u8] = b"{}";
static REQUEST_ID: HeaderName = HeaderName::from_static("x-amzn-requestid");
static CRC32: HeaderName = HeaderName::from_static("x-amz-crc32");

async fn answer(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    // Read the request body so the connection stays reusable.
    let _ = req.into_body().collect().await;
    let mut resp = Response::new(Full::new(Bytes::from_static(BODY)));
    let h = resp.headers_mut();
    h.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/x-amz-json-1.0"),
    );
    h.insert(
        REQUEST_ID.clone(),
        HeaderValue::from_static("00000000000000000000000000000000000000000000000000000000"),
    );
    // CRC32 of "{}".
    h.insert(CRC32.clone(), HeaderValue::from_static("2745614147"));
    Ok(resp)
}

async fn serve(listen: String) -> std::io::Result<()> {
    let listener = TcpListener::bind(&listen).await?;
    eprintln!("eddy-null-server listening on {}", listener.local_addr()?);
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(x) => x,
            Err(e) => {
                eprintln!("accept: {e}");
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(async move {
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service_fn(answer))
                .await;
        });
    }
}

fn main() -> std::io::Result<()> {
    let a = Args::parse();
    let rt = if a.threads <= 1 {
        tokio::runtime::Builder::new_current_thread()
    } else {
        let mut b = tokio::runtime::Builder::new_multi_thread();
        b.worker_threads(a.threads);
        b
    }
    .enable_all()
    .build()?;
    rt.block_on(async {
        tokio::select! {
            r = serve(a.listen) => r,
            _ = tokio::signal::ctrl_c() => Ok(()),
        }
    })
}
