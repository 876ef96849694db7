//! The control sub-commands (`eddy clock …`, `eddy ttl-sweep`, `eddy streams …`): thin clients of a running
//! eddy's control API (docs/control-api.md), so shell scripts and test setups can steer time and trigger
//! background work without composing HTTP requests. Each prints the API's JSON answer.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use clap::{Args, Subcommand};
use serde_json::{Value, json};

/// Where the running eddy is.
#[derive(Args, Clone)]
pub struct Target {
    /// The running eddy's endpoint.
    #[arg(
        long,
        global = true,
        env = "EDDY_ENDPOINT",
        default_value = "http://127.0.0.1:4566"
    )]
    pub endpoint: String,
}

#[derive(Subcommand, Clone)]
pub enum ClockCommand {
    /// Print the server clock (`{"now": <epoch ms>, "paused": bool}`).
    Show,
    /// Stop the server clock.
    Pause,
    /// Let the server clock run again from where it stands.
    Resume,
    /// Move the server clock forward (e.g. `90s`, `30m`, `24h`, `7d`).
    Advance {
        #[arg(value_parser = crate::parse_duration)]
        by: Duration,
    },
}

#[derive(Subcommand, Clone)]
pub enum StreamsCommand {
    /// Close every open shard of a stream and open children in its place.
    Rollover {
        /// The stream's ARN.
        stream_arn: String,
        /// Child shards per closed shard (1–16).
        #[arg(long, default_value_t = 1)]
        children: u32,
    },
    /// Delete the stream records older than the retention period now.
    Trim,
}

/// A control request: method, path and JSON body.
pub struct Call {
    method: &'static str,
    path: &'static str,
    body: Option<Value>,
}

impl ClockCommand {
    pub fn call(&self) -> Call {
        let post = |body: Value| Call {
            method: "POST",
            path: "/_eddy/clock",
            body: Some(body),
        };
        match self {
            ClockCommand::Show => Call {
                method: "GET",
                path: "/_eddy/clock",
                body: None,
            },
            ClockCommand::Pause => post(json!({ "paused": true })),
            ClockCommand::Resume => post(json!({ "paused": false })),
            ClockCommand::Advance { by } => {
                post(json!({ "advanceMs": u64::try_from(by.as_millis()).unwrap_or(u64::MAX) }))
            }
        }
    }
}

impl StreamsCommand {
    pub fn call(&self) -> Call {
        match self {
            StreamsCommand::Rollover {
                stream_arn,
                children,
            } => Call {
                method: "POST",
                path: "/_eddy/streams/rollover",
                body: Some(json!({ "StreamArn": stream_arn, "children": children })),
            },
            StreamsCommand::Trim => Call {
                method: "POST",
                path: "/_eddy/streams/trim",
                body: Some(json!({})),
            },
        }
    }
}

/// `eddy ttl-sweep`.
pub fn ttl_sweep() -> Call {
    Call {
        method: "POST",
        path: "/_eddy/ttl/sweep",
        body: Some(json!({})),
    }
}

/// Sends `call` to the eddy at `target` and answers the JSON it returned, or what went wrong.
pub fn run(target: &Target, call: &Call) -> Result<String, String> {
    let address = target
        .endpoint
        .strip_prefix("http://")
        .ok_or_else(|| format!("{}: only http:// endpoints are supported", target.endpoint))?
        .trim_end_matches('/');
    let body = call.body.as_ref().map(Value::to_string).unwrap_or_default();
    let request = format!(
        "{} {} HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        call.method,
        call.path,
        body.len()
    );
    let unreachable = |e: std::io::Error| format!("cannot reach eddy at {}: {e}", target.endpoint);
    let mut stream = TcpStream::connect(address).map_err(unreachable)?;
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .map_err(unreachable)?;
    stream.write_all(request.as_bytes()).map_err(unreachable)?;
    let mut response = String::new();
    stream.read_to_string(&mut response).map_err(unreachable)?;
    let (head, answer) = response
        .split_once("\r\n\r\n")
        .ok_or_else(|| format!("eddy at {} sent no HTTP answer", target.endpoint))?;
    let status = head.split(' ').nth(1).unwrap_or("");
    if status.starts_with('2') {
        Ok(answer.trim().to_string())
    } else if status == "403" {
        Err(format!(
            "eddy refused the call ({}): with --auth on, the control API needs a signature made with the root keys \
             (curl --aws-sigv4, docs/control-api.md)",
            answer.trim()
        ))
    } else {
        Err(format!("the server answered {status}: {}", answer.trim()))
    }
}
