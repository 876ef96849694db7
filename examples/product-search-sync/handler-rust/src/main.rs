//! product-opensearch-sync in Rust: keeps the OpenSearch index `products` in step with the DynamoDB table
//! `products`, exactly as the Node.js handler does. Every INSERT and MODIFY (re)indexes the item's new image
//! under its productId, every REMOVE deletes that document, in one `POST /_bulk` per batch; each record whose
//! operation the index refuses is reported by its SequenceNumber (`ReportBatchItemFailures`), so Lambda retries
//! from the first failed record. A bulk request refused as a whole (index unreachable or overloaded) fails the
//! invocation, so Lambda retries the batch (bisecting it when asked).
//!
//! The index is reached at `OPENSEARCH_ENDPOINT` (plain `http://`; this handler has no TLS client, so put it
//! next to an OpenSearch without TLS, or add one, e.g. reqwest with rustls, for `https://`).

use std::collections::HashMap;

use aws_lambda_events::event::dynamodb::{Event, EventRecord};
use aws_lambda_events::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use base64::Engine;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_dynamo::AttributeValue;
use serde_json::{json, Map, Number, Value};

const KEY: &str = "productId";

/// The bulk API of one OpenSearch endpoint.
struct OpenSearch {
    client: Client<HttpConnector, Full<Bytes>>,
    bulk_url: String,
    index: String,
}

impl OpenSearch {
    fn from_env() -> Result<OpenSearch, Error> {
        let endpoint =
            std::env::var("OPENSEARCH_ENDPOINT").map_err(|_| "OPENSEARCH_ENDPOINT is not set")?;
        if !endpoint.starts_with("http://") {
            return Err(
                format!("OPENSEARCH_ENDPOINT must be an http:// URL, not {endpoint}").into(),
            );
        }
        Ok(OpenSearch {
            client: Client::builder(TokioExecutor::new()).build_http(),
            bulk_url: format!("{}/_bulk", endpoint.trim_end_matches('/')),
            index: std::env::var("OPENSEARCH_INDEX").unwrap_or_else(|_| "products".into()),
        })
    }

    /// Sends NDJSON to `_bulk`; returns its `items`. Any answer but 200 is an error, named by its status and
    /// OpenSearch's error type ("429 rejected_execution_exception").
    async fn bulk(&self, body: String) -> Result<Vec<Value>, Error> {
        let request = hyper::Request::post(&self.bulk_url)
            .header("content-type", "application/x-ndjson")
            .body(Full::new(Bytes::from(body)))?;
        let response = self.client.request(request).await?;
        let status = response.status();
        let bytes = response.into_body().collect().await?.to_bytes();
        if status != hyper::StatusCode::OK {
            let answer: Value = serde_json::from_slice(&bytes).unwrap_or_default();
            let kind = answer["error"]["type"].as_str().map_or_else(
                || String::from_utf8_lossy(&bytes).into_owned(),
                str::to_string,
            );
            return Err(format!("{} {kind}", status.as_u16()).into());
        }
        let mut answer: Value = serde_json::from_slice(&bytes)?;
        match answer.get_mut("items").map(Value::take) {
            Some(Value::Array(items)) => Ok(items),
            _ => Err("bulk answer without items".into()),
        }
    }
}

/// A DynamoDB attribute as the JSON OpenSearch stores: numbers as numbers, sets as arrays, binaries as base64,
/// maps and lists as objects and arrays.
fn to_json(value: &AttributeValue) -> Value {
    match value {
        AttributeValue::S(s) => Value::String(s.clone()),
        AttributeValue::N(n) => number(n),
        AttributeValue::Bool(b) => Value::Bool(*b),
        AttributeValue::Null(_) => Value::Null,
        AttributeValue::B(b) => Value::String(base64::engine::general_purpose::STANDARD.encode(b)),
        AttributeValue::M(m) => document(m),
        AttributeValue::L(l) => Value::Array(l.iter().map(to_json).collect()),
        AttributeValue::Ss(s) => Value::Array(s.iter().cloned().map(Value::String).collect()),
        AttributeValue::Ns(n) => Value::Array(n.iter().map(|n| number(n)).collect()),
        AttributeValue::Bs(b) => Value::Array(
            b.iter()
                .map(|b| Value::String(base64::engine::general_purpose::STANDARD.encode(b)))
                .collect(),
        ),
    }
}

/// A DynamoDB number (a decimal string): an integer when it is one that fits 64 bits, else a double.
fn number(n: &str) -> Value {
    if let Ok(i) = n.parse::<i64>() {
        return Value::Number(i.into());
    }
    if let Ok(u) = n.parse::<u64>() {
        return Value::Number(u.into());
    }
    n.parse::<f64>()
        .ok()
        .and_then(Number::from_f64)
        .map_or_else(|| Value::String(n.to_string()), Value::Number)
}

fn document(item: &HashMap<String, AttributeValue>) -> Value {
    Value::Object(
        item.iter()
            .map(|(k, v)| (k.clone(), to_json(v)))
            .collect::<Map<_, _>>(),
    )
}

fn sequence_number(record: &EventRecord) -> String {
    record.change.sequence_number.clone().unwrap_or_default()
}

/// The bulk lines for one record, or None for an event that changes nothing in the index.
fn operation(index: &str, record: &EventRecord) -> Result<Option<String>, String> {
    let id = match record.change.keys.inner().get(KEY) {
        Some(AttributeValue::S(id)) => id.clone(),
        Some(AttributeValue::N(id)) => id.clone(),
        _ => return Err(format!("the record has no {KEY} key")),
    };
    match record.event_name.as_str() {
        "INSERT" | "MODIFY" => Ok(Some(format!(
            "{}\n{}\n",
            json!({"index": {"_index": index, "_id": id}}),
            document(record.change.new_image.inner())
        ))),
        "REMOVE" => Ok(Some(format!(
            "{}\n",
            json!({"delete": {"_index": index, "_id": id}})
        ))),
        _ => Ok(None),
    }
}

async fn handler(
    search: &OpenSearch,
    event: LambdaEvent<Event>,
) -> Result<DynamoDbEventResponse, Error> {
    let records = event.payload.records;
    let mut failed: Vec<&EventRecord> = Vec::new();
    let mut sent: Vec<&EventRecord> = Vec::new();
    let mut body = String::new();
    for record in &records {
        match operation(&search.index, record) {
            Ok(Some(lines)) => {
                body.push_str(&lines);
                sent.push(record);
            }
            Ok(None) => {}
            Err(e) => {
                eprintln!("Failed to prepare record {}: {e}", sequence_number(record));
                failed.push(record);
            }
        }
    }
    let batch = match (records.first(), records.last()) {
        (Some(first), Some(last)) => format!(
            "batch of {} records, SequenceNumber {}..{}",
            records.len(),
            sequence_number(first),
            sequence_number(last)
        ),
        _ => "empty batch".to_string(),
    };
    if !sent.is_empty() {
        // A refused request is an error of the whole invocation: Lambda retries (and bisects) the batch.
        let items = match search.bulk(body).await {
            Ok(items) => items,
            Err(e) => {
                let message: String = e.to_string().chars().take(80).collect();
                eprintln!("{batch}: the index refused the bulk request: {message}");
                return Err(e);
            }
        };
        for (record, item) in sent.iter().zip(&items) {
            let Some((action, outcome)) = item.as_object().and_then(|o| o.iter().next()) else {
                failed.push(record);
                continue;
            };
            let status = outcome.get("status").and_then(Value::as_u64).unwrap_or(0);
            // Deleting a document that is not there is success: a retried REMOVE may find it gone already.
            let ok = (200..300).contains(&status) || (action == "delete" && status == 404);
            if !ok {
                let error = &outcome["error"];
                eprintln!(
                    "Failed to sync product {} ({}, SequenceNumber {}): {status} {}: {}",
                    outcome["_id"].as_str().unwrap_or("?"),
                    record.event_name,
                    sequence_number(record),
                    error["type"].as_str().unwrap_or("?"),
                    error["reason"].as_str().unwrap_or("?"),
                );
                failed.push(record);
            }
        }
        // Fewer answers than operations: the missing ones did not happen.
        for record in sent.iter().skip(items.len()) {
            failed.push(record);
        }
    }
    println!(
        "{batch}: {} synced, {} failed",
        records.len() - failed.len(),
        failed.len()
    );
    // Lambda resumes from the lowest SequenceNumber reported; every later record of the batch comes again.
    let mut response = DynamoDbEventResponse::default();
    response.batch_item_failures = failed
        .iter()
        .map(|record| {
            let mut failure = DynamoDbBatchItemFailure::default();
            failure.item_identifier = Some(sequence_number(record));
            failure
        })
        .collect();
    Ok(response)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let search = OpenSearch::from_env()?;
    let search = &search;
    lambda_runtime::run(service_fn(move |event| handler(search, event))).await
}
