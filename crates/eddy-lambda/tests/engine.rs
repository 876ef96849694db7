//! The engine end to end, without HTTP: real Node.js and Python processes behind the Runtime API.

use std::io::Write;
use std::sync::Arc;

use base64::Engine;
use bytes::Bytes;
use eddy_lambda::{CreateFunction, InvocationKind, Lambda, LambdaConfig};
use eddy_model::{Clock, Scope};
use eddy_store::{Store, StoreConfig};

fn zip_of(files: &[(&str, &str)]) -> String {
    let mut out = std::io::Cursor::new(Vec::new());
    {
        let mut w = zip::ZipWriter::new(&mut out);
        for (name, content) in files {
            w.start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            w.write_all(content.as_bytes()).unwrap();
        }
        w.finish().unwrap();
    }
    base64::engine::general_purpose::STANDARD.encode(out.into_inner())
}

fn engine() -> Lambda {
    let clock = Arc::new(Clock::new());
    let store = Store::in_memory(clock.clone(), StoreConfig::default());
    let lambda = Lambda::new(store, clock, LambdaConfig::default()).unwrap();
    lambda.start_background();
    lambda
}

fn create(
    name: &str,
    runtime: &str,
    handler: &str,
    files: &[(&str, &str)],
    timeout: i64,
) -> CreateFunction {
    let mut req: CreateFunction = serde_json::from_value(serde_json::json!({
        "FunctionName": name,
        "Runtime": runtime,
        "Role": "arn:aws:iam::000000000000:role/r",
        "Handler": handler,
        "Code": {"ZipFile": zip_of(files)},
        "Timeout": timeout,
    }))
    .unwrap();
    req.timeout = Some(timeout);
    req
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_and_python_handlers_answer_and_fail_like_aws() {
    let lambda = engine();
    let scope = Scope::default();
    lambda
        .create_function(
            &scope,
            create(
                "node-echo",
                "nodejs20.x",
                "index.handler",
                &[(
                    "index.js",
                    "exports.handler = async (e, ctx) => { console.log('hi', e.n); if (e.fail) throw new Error('boom'); return {n: e.n, id: ctx.awsRequestId}; };",
                )],
                3,
            ),
        )
        .await
        .unwrap();
    let out = lambda
        .invoke(
            &scope,
            "node-echo",
            None,
            Bytes::from_static(br#"{"n":1}"#),
            InvocationKind::RequestResponse,
        )
        .await
        .unwrap();
    assert_eq!(out.function_error, None, "{:?}", out);
    let v: serde_json::Value = serde_json::from_slice(&out.payload).unwrap();
    assert_eq!(v["n"], 1);
    assert_eq!(v["id"], out.request_id.as_str());
    let out = lambda
        .invoke(
            &scope,
            "node-echo",
            None,
            Bytes::from_static(br#"{"n":2,"fail":true}"#),
            InvocationKind::RequestResponse,
        )
        .await
        .unwrap();
    assert_eq!(out.function_error.as_deref(), Some("Unhandled"));
    let v: serde_json::Value = serde_json::from_slice(&out.payload).unwrap();
    assert_eq!(v["errorType"], "Error");
    assert_eq!(v["errorMessage"], "boom");
    assert_eq!(lambda.environment_count(), 1, "the environment is reused");

    lambda
        .create_function(
            &scope,
            create(
                "py-slow",
                "python3.12",
                "app.handler",
                &[("app.py", "import time\ndef handler(e, c):\n    print('sleeping')\n    time.sleep(e.get('s', 0))\n    return {'left': c.get_remaining_time_in_millis() > 0}\n")],
                1,
            ),
        )
        .await
        .unwrap();
    let out = lambda
        .invoke(
            &scope,
            "py-slow",
            None,
            Bytes::from_static(b"{}"),
            InvocationKind::RequestResponse,
        )
        .await
        .unwrap();
    assert_eq!(
        out.function_error,
        None,
        "{:?}",
        String::from_utf8_lossy(&out.payload)
    );
    let out = lambda
        .invoke(
            &scope,
            "py-slow",
            None,
            Bytes::from_static(br#"{"s":5}"#),
            InvocationKind::RequestResponse,
        )
        .await
        .unwrap();
    assert_eq!(out.function_error.as_deref(), Some("Unhandled"));
    let text = String::from_utf8_lossy(&out.payload);
    assert!(text.contains("Task timed out after 1.00 seconds"), "{text}");
    lambda.shutdown().await;
}
