//! SendMessage(Batch), ReceiveMessage, DeleteMessage(Batch), ChangeMessageVisibility(Batch).

use std::collections::BTreeMap;

use eddy_queue::{NewMessage, QueueError, ReceiveRequest, SentMessage, check_batch_ids};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::{Call, WireAttribute, attributes_in, attributes_out, decode};

/// Largest total size of a SendMessageBatch's bodies and attributes.
const MAX_BATCH_BYTES: usize = 1_048_576;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SendRequest {
    queue_url: String,
    #[serde(flatten)]
    message: WireMessage,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct WireMessage {
    message_body: String,
    delay_seconds: Option<i64>,
    message_attributes: Option<BTreeMap<String, WireAttribute>>,
    message_system_attributes: Option<BTreeMap<String, WireAttribute>>,
    message_deduplication_id: Option<String>,
    message_group_id: Option<String>,
}

impl WireMessage {
    fn into_message(self, trace_header: Option<&str>) -> Result<NewMessage, QueueError> {
        Ok(NewMessage {
            body: self.message_body,
            delay_seconds: self.delay_seconds,
            attributes: attributes_in(self.message_attributes)?,
            system_attributes: attributes_in(self.message_system_attributes)?,
            message_group_id: self.message_group_id,
            message_deduplication_id: self.message_deduplication_id,
            trace_header: trace_header.map(str::to_string),
        })
    }
}

fn sent_json(sent: &SentMessage, out: &mut Map<String, Value>) {
    out.insert("MD5OfMessageBody".into(), json!(sent.md5_of_body));
    if let Some(md5) = &sent.md5_of_attributes {
        out.insert("MD5OfMessageAttributes".into(), json!(md5));
    }
    if let Some(md5) = &sent.md5_of_system_attributes {
        out.insert("MD5OfMessageSystemAttributes".into(), json!(md5));
    }
    out.insert("MessageId".into(), json!(sent.message_id));
}

pub async fn send(call: &Call<'_>, body: Value) -> Result<Value, QueueError> {
    let req: SendRequest = decode(body)?;
    let (scope, name) = call.queue_of(&req.queue_url)?;
    let message = req.message.into_message(call.ctx.trace_header())?;
    let sent = call
        .queues
        .send_message(&scope, &name, message, &call.sender_id())
        .await?;
    let mut out = Map::new();
    sent_json(&sent, &mut out);
    Ok(Value::Object(out))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SendBatchRequest {
    queue_url: String,
    entries: Vec<SendBatchEntry>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SendBatchEntry {
    id: String,
    #[serde(flatten)]
    message: WireMessage,
}

fn failed(id: &str, e: &QueueError) -> Value {
    json!({
        "Id": id,
        "SenderFault": e.kind.fault() == "Sender",
        "Code": e.kind.query_code(),
        "Message": e.message,
    })
}

pub async fn send_batch(call: &Call<'_>, body: Value) -> Result<Value, QueueError> {
    let req: SendBatchRequest = decode(body)?;
    let (scope, name) = call.queue_of(&req.queue_url)?;
    call.queues.get_queue(&scope, &name)?;
    check_batch_ids(
        req.entries.iter().map(|e| e.id.as_str()),
        "SendMessageBatchRequestEntry",
    )?;
    let total: usize = req
        .entries
        .iter()
        .map(|e| {
            e.message.message_body.len()
                + e.message.message_attributes.as_ref().map_or(0, |a| {
                    a.iter()
                        .map(|(k, v)| {
                            k.len()
                                + v.data_type.as_ref().map_or(0, String::len)
                                + v.string_value.as_ref().map_or(0, String::len)
                                + v.binary_value.as_ref().map_or(0, |b| b.len() * 3 / 4)
                        })
                        .sum()
                })
        })
        .sum();
    if total > MAX_BATCH_BYTES {
        return Err(QueueError::new(
            eddy_queue::ErrorKind::BatchRequestTooLong,
            format!(
                "Batch requests cannot be longer than {MAX_BATCH_BYTES} bytes. You have sent {total} bytes."
            ),
        ));
    }
    let mut ids = Vec::new();
    let mut failures = Vec::new();
    let mut messages = Vec::new();
    for entry in req.entries {
        match entry.message.into_message(call.ctx.trace_header()) {
            Ok(m) => {
                ids.push(entry.id);
                messages.push(m);
            }
            Err(e) => failures.push(failed(&entry.id, &e)),
        }
    }
    let results = call
        .queues
        .send_messages(&scope, &name, messages, &call.sender_id())
        .await?;
    let mut successful = Vec::new();
    for (id, result) in ids.iter().zip(results) {
        match result {
            Ok(sent) => {
                let mut o = Map::new();
                o.insert("Id".into(), json!(id));
                sent_json(&sent, &mut o);
                successful.push(Value::Object(o));
            }
            Err(e) => failures.push(failed(id, &e)),
        }
    }
    Ok(json!({"Successful": successful, "Failed": failures}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ReceiveWire {
    queue_url: String,
    attribute_names: Option<Vec<String>>,
    message_system_attribute_names: Option<Vec<String>>,
    message_attribute_names: Option<Vec<String>>,
    max_number_of_messages: Option<i64>,
    visibility_timeout: Option<i64>,
    wait_time_seconds: Option<i64>,
}

pub async fn receive(call: &Call<'_>, body: Value) -> Result<Value, QueueError> {
    let req: ReceiveWire = decode(body)?;
    let (scope, name) = call.queue_of(&req.queue_url)?;
    let mut system = req.attribute_names.unwrap_or_default();
    system.extend(req.message_system_attribute_names.unwrap_or_default());
    let request = ReceiveRequest {
        max_messages: req.max_number_of_messages,
        visibility_timeout: req.visibility_timeout,
        wait_time_seconds: req.wait_time_seconds,
        system_attribute_names: system,
        message_attribute_names: req.message_attribute_names.unwrap_or_default(),
    };
    // Nothing received: no message list at all, as AWS documents it today (a 2023 recording showed `[]`).
    let received = call.queues.receive_message(&scope, &name, request).await?;
    if received.is_empty() {
        return Ok(Value::Object(Map::new()));
    }
    let messages: Vec<Value> = received
        .into_iter()
        .map(|m| {
            let mut o = Map::new();
            o.insert("MessageId".into(), json!(m.message_id));
            o.insert("ReceiptHandle".into(), json!(m.receipt_handle));
            o.insert("MD5OfBody".into(), json!(m.md5_of_body));
            o.insert("Body".into(), json!(m.body));
            if !m.attributes.is_empty() {
                o.insert("Attributes".into(), json!(m.attributes));
            }
            if let Some(md5) = m.md5_of_message_attributes {
                o.insert("MD5OfMessageAttributes".into(), json!(md5));
                o.insert(
                    "MessageAttributes".into(),
                    attributes_out(&m.message_attributes),
                );
            }
            Value::Object(o)
        })
        .collect();
    Ok(json!({"Messages": messages}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DeleteRequest {
    queue_url: String,
    receipt_handle: String,
}

pub async fn delete(call: &Call<'_>, body: Value) -> Result<Value, QueueError> {
    let req: DeleteRequest = decode(body)?;
    let (scope, name) = call.queue_of(&req.queue_url)?;
    let mut results = call
        .queues
        .delete_messages(&scope, &name, &[req.receipt_handle])
        .await?;
    results.pop().unwrap_or(Ok(()))?;
    Ok(json!({}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DeleteBatchRequest {
    queue_url: String,
    entries: Vec<DeleteBatchEntry>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DeleteBatchEntry {
    id: String,
    receipt_handle: String,
}

pub async fn delete_batch(call: &Call<'_>, body: Value) -> Result<Value, QueueError> {
    let req: DeleteBatchRequest = decode(body)?;
    let (scope, name) = call.queue_of(&req.queue_url)?;
    call.queues.get_queue(&scope, &name)?;
    check_batch_ids(
        req.entries.iter().map(|e| e.id.as_str()),
        "DeleteMessageBatchRequestEntry",
    )?;
    let handles: Vec<String> = req
        .entries
        .iter()
        .map(|e| e.receipt_handle.clone())
        .collect();
    let results = call.queues.delete_messages(&scope, &name, &handles).await?;
    Ok(batch_outcome(
        req.entries.iter().map(|e| e.id.as_str()),
        results,
    ))
}

fn batch_outcome<'a>(
    ids: impl Iterator<Item = &'a str>,
    results: Vec<Result<(), QueueError>>,
) -> Value {
    let mut successful = Vec::new();
    let mut failures = Vec::new();
    for (id, result) in ids.zip(results) {
        match result {
            Ok(()) => successful.push(json!({"Id": id})),
            Err(e) => failures.push(failed(id, &e)),
        }
    }
    json!({"Successful": successful, "Failed": failures})
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct VisibilityRequest {
    queue_url: String,
    receipt_handle: String,
    visibility_timeout: i64,
}

pub async fn change_visibility(call: &Call<'_>, body: Value) -> Result<Value, QueueError> {
    let req: VisibilityRequest = decode(body)?;
    let (scope, name) = call.queue_of(&req.queue_url)?;
    let mut results = call
        .queues
        .change_visibility(
            &scope,
            &name,
            &[(req.receipt_handle, req.visibility_timeout)],
        )
        .await?;
    results.pop().unwrap_or(Ok(()))?;
    Ok(json!({}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct VisibilityBatchRequest {
    queue_url: String,
    entries: Vec<VisibilityBatchEntry>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct VisibilityBatchEntry {
    id: String,
    receipt_handle: String,
    visibility_timeout: Option<i64>,
}

pub async fn change_visibility_batch(call: &Call<'_>, body: Value) -> Result<Value, QueueError> {
    let req: VisibilityBatchRequest = decode(body)?;
    let (scope, name) = call.queue_of(&req.queue_url)?;
    call.queues.get_queue(&scope, &name)?;
    check_batch_ids(
        req.entries.iter().map(|e| e.id.as_str()),
        "ChangeMessageVisibilityBatchRequestEntry",
    )?;
    let entries: Vec<(String, i64)> = req
        .entries
        .iter()
        .map(|e| (e.receipt_handle.clone(), e.visibility_timeout.unwrap_or(0)))
        .collect();
    let results = call
        .queues
        .change_visibility(&scope, &name, &entries)
        .await?;
    Ok(batch_outcome(
        req.entries.iter().map(|e| e.id.as_str()),
        results,
    ))
}
