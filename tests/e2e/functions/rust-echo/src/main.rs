//! Echoes the event with what the handler sees: request id, function name, remaining time, selected
//! environment variables. `{"fail": "message"}` returns an error.

use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::{Value, json};

async fn handler(event: LambdaEvent<Value>) -> Result<Value, Error> {
    let (payload, context) = event.into_parts();
    if let Some(message) = payload.get("fail").and_then(Value::as_str) {
        return Err(message.to_string().into());
    }
    println!("rust handler got {payload}");
    Ok(json!({
        "echo": payload,
        "request_id": context.request_id,
        "function_arn": context.invoked_function_arn,
        "deadline_in_future": context.deadline > 0,
        "function_name": std::env::var("AWS_LAMBDA_FUNCTION_NAME").ok(),
        "greeting": std::env::var("GREETING").ok(),
    }))
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::run(service_fn(handler)).await
}
