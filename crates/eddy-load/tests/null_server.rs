//! The do-nothing server of the benchmarks, run as a process: it answers every request with `200 {}`, and with
//! `--fsync-dir` only after the request's body is in its journal.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

/// A running `eddy-null-server`, killed when dropped.
struct NullServer {
    child: Child,
    addr: String,
}

impl NullServer {
    fn start(extra: &[&str]) -> NullServer {
        let mut child = Command::new(env!("CARGO_BIN_EXE_eddy-null-server"))
            .args(["--listen", "127.0.0.1:0"])
            .args(extra)
            .stderr(Stdio::piped())
            .spawn()
            .expect("start eddy-null-server");
        let stderr = child.stderr.take().expect("stderr");
        let mut line = String::new();
        BufReader::new(stderr)
            .read_line(&mut line)
            .expect("ready line");
        let addr = line
            .trim()
            .rsplit(' ')
            .next()
            .expect("address in the ready line")
            .to_string();
        NullServer { child, addr }
    }

    /// Sends one PutItem-shaped POST and returns the whole response.
    fn post(&self, body: &str) -> String {
        let mut stream = TcpStream::connect(&self.addr).expect("connect");
        write!(
            stream,
            "POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: DynamoDB_20120810.PutItem\r\n\
             Content-Type: application/x-amz-json-1.0\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .expect("send");
        let mut response = String::new();
        stream.read_to_string(&mut response).expect("read");
        response
    }
}

impl Drop for NullServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn answers_every_request_with_an_empty_object() {
    let server = NullServer::start(&[]);
    let response = server.post(r#"{"TableName":"t"}"#);
    assert!(response.starts_with("HTTP/1.1 200 OK"), "{response}");
    assert!(response.contains("x-amz-crc32: 2745614147"), "{response}");
    assert!(response.ends_with("\r\n\r\n{}"), "{response}");
}

#[test]
fn with_fsync_dir_the_body_is_in_the_journal_when_the_answer_comes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let dir_arg = dir.path().to_str().expect("utf-8 path");
    let server = NullServer::start(&[
        "--fsync-dir",
        dir_arg,
        "--hold-while-busy",
        "--commit-delay-us",
        "500",
    ]);
    let first = r#"{"TableName":"t","Item":{"pk":{"S":"one"}}}"#;
    let second = r#"{"TableName":"t","Item":{"pk":{"S":"two"}}}"#;
    assert!(server.post(first).starts_with("HTTP/1.1 200 OK"));
    assert!(server.post(second).starts_with("HTTP/1.1 200 OK"));
    let journal = std::fs::read(dir.path().join("null-journal")).expect("journal");
    // The journal is a zero-filled ring; the bodies are at its start, one after the other.
    let expected = format!("{first}{second}");
    assert_eq!(&journal[..expected.len()], expected.as_bytes());
    assert_eq!(journal[expected.len()], 0);
    assert_eq!(journal.len(), 64 * 1024 * 1024);
}

#[test]
fn hold_while_busy_needs_a_fsync_dir() {
    let out = Command::new(env!("CARGO_BIN_EXE_eddy-null-server"))
        .args(["--listen", "127.0.0.1:0", "--hold-while-busy"])
        .output()
        .expect("run eddy-null-server");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--fsync-dir"), "{stderr}");
}
