//! XML answers of the AWS query protocol. An operation's result is the same JSON document the JSON protocol
//! would answer; it is written as XML guided by the operation's output shape, the way botocore's query parser
//! reads it back:
//!
//! ```text
//! <?xml version="1.0"?>
//! <OpResponse xmlns="…"><OpResult>…members…</OpResult>
//!   <ResponseMetadata><RequestId>…</RequestId></ResponseMetadata></OpResponse>
//! ```
//!
//! Lists are `<Name><member>…</member></Name>` (or repeated `<ItemName>` when flattened), maps
//! `<Name><entry><key>…</key><value>…</value></entry></Name>` (or repeated `<Name><Key>…</Key><Value>…</Value></Name>`
//! when flattened). Errors are `<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>`.

use axum::body::Body;
use axum::http::{HeaderValue, Response, StatusCode};
use serde_json::Value;

use super::model::{Kind, ServiceModel};

pub const CONTENT_TYPE: &str = "text/xml";

/// Escapes text for element content. `\r` is escaped too, or XML parsers would turn it into `\n`.
pub fn escape(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\r' => out.push_str("&#xD;"),
            c => out.push(c),
        }
    }
}

fn element(name: &str, text: &str, out: &mut String) {
    out.push('<');
    out.push_str(name);
    out.push('>');
    escape(text, out);
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        other => other.to_string(),
    }
}

struct Writer<'a> {
    model: &'a ServiceModel,
    out: String,
}

impl Writer<'_> {
    fn open(&mut self, name: &str) {
        self.out.push('<');
        self.out.push_str(name);
        self.out.push('>');
    }

    fn close(&mut self, name: &str) {
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
    }

    /// The members of a structure value, without an enclosing element.
    fn members(&mut self, shape: usize, value: &Value) {
        let Kind::Structure { members, .. } = &self.model.shapes[shape].kind else {
            return;
        };
        let Some(obj) = value.as_object() else {
            return;
        };
        for member in members {
            let Some(v) = obj.get(&member.name).filter(|v| !v.is_null()) else {
                continue;
            };
            match (&self.model.shapes[member.shape].kind, member.flattened) {
                (Kind::List { item, item_name }, true) => {
                    let name = item_name.as_deref().unwrap_or(&member.query_name);
                    for entry in v.as_array().into_iter().flatten() {
                        self.value(*item, entry, name);
                    }
                }
                (
                    Kind::Map {
                        value: value_shape,
                        key_name,
                        value_name,
                        ..
                    },
                    true,
                ) => {
                    for (k, entry) in v.as_object().into_iter().flatten() {
                        self.open(&member.query_name);
                        element(key_name, k, &mut self.out);
                        self.value(*value_shape, entry, value_name);
                        self.close(&member.query_name);
                    }
                }
                _ => self.value(member.shape, v, &member.query_name),
            }
        }
    }

    fn value(&mut self, shape: usize, value: &Value, name: &str) {
        match &self.model.shapes[shape].kind {
            Kind::Structure { .. } => {
                self.open(name);
                self.members(shape, value);
                self.close(name);
            }
            Kind::List { item, item_name } => {
                self.open(name);
                let item_tag = item_name.as_deref().unwrap_or("member");
                for entry in value.as_array().into_iter().flatten() {
                    self.value(*item, entry, item_tag);
                }
                self.close(name);
            }
            Kind::Map {
                value: value_shape,
                key_name,
                value_name,
                ..
            } => {
                self.open(name);
                for (k, entry) in value.as_object().into_iter().flatten() {
                    self.open("entry");
                    element(key_name, k, &mut self.out);
                    self.value(*value_shape, entry, value_name);
                    self.close("entry");
                }
                self.close(name);
            }
            _ => element(name, &scalar_text(value), &mut self.out),
        }
    }
}

/// The XML document answering `op` with `result` (the operation's JSON output).
pub fn render_result(
    model: &ServiceModel,
    op: &str,
    result: &Value,
    request_id: &str,
    namespace: &str,
) -> String {
    let mut w = Writer {
        model,
        out: String::with_capacity(256),
    };
    w.out.push_str("<?xml version=\"1.0\"?>");
    w.out
        .push_str(&format!("<{op}Response xmlns=\"{namespace}\">"));
    if let Some((shape, wrapper)) = model.outputs.get(op) {
        w.open(wrapper);
        w.members(*shape, result);
        w.close(wrapper);
    }
    w.out.push_str("<ResponseMetadata>");
    element("RequestId", request_id, &mut w.out);
    w.out.push_str("</ResponseMetadata>");
    w.close(&format!("{op}Response"));
    w.out
}

/// The XML document of an error.
/// An `ErrorResponse`. SQS's errors carry an empty `<Detail/>`; SNS's, IAM's and STS's do not (AWS-recorded:
/// botocore would show `Detail: None`).
pub fn render_error(
    fault: &str,
    code: &str,
    message: &str,
    request_id: &str,
    namespace: &str,
) -> String {
    let detail = namespace.contains("queue.amazonaws.com");
    let mut out = String::with_capacity(256);
    out.push_str(&format!(
        "<?xml version=\"1.0\"?><ErrorResponse xmlns=\"{namespace}\"><Error>"
    ));
    element("Type", fault, &mut out);
    element("Code", code, &mut out);
    element("Message", message, &mut out);
    if detail {
        out.push_str("<Detail/>");
    }
    out.push_str("</Error>");
    element("RequestId", request_id, &mut out);
    out.push_str("</ErrorResponse>");
    out
}

/// An HTTP response carrying an XML document.
pub fn response(status: u16, request_id: &str, document: String) -> Response<Body> {
    let mut response = Response::new(Body::from(document));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    let headers = response.headers_mut();
    headers.insert("content-type", HeaderValue::from_static(CONTENT_TYPE));
    if let Ok(v) = HeaderValue::from_str(request_id) {
        headers.insert("x-amzn-requestid", v);
    }
    response
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::protocol::model;

    #[test]
    fn sqs_results_use_flattened_query_names() {
        let result = json!({"Messages": [{
            "MessageId": "m1", "ReceiptHandle": "r", "MD5OfBody": "x", "Body": "a<b",
            "Attributes": {"SenderId": "s"},
            "MessageAttributes": {"color": {"DataType": "String", "StringValue": "blue"}}
        }]});
        let xml = render_result(model::sqs(), "ReceiveMessage", &result, "rid", "ns");
        assert!(
            xml.contains("<ReceiveMessageResult><Message><MessageId>m1</MessageId>"),
            "{xml}"
        );
        assert!(xml.contains("<Body>a&lt;b</Body>"), "{xml}");
        assert!(
            xml.contains("<Attribute><Name>SenderId</Name><Value>s</Value></Attribute>"),
            "{xml}"
        );
        assert!(xml.contains("<MessageAttribute><Name>color</Name><Value><StringValue>blue</StringValue><DataType>String</DataType></Value></MessageAttribute>"), "{xml}");
        assert!(xml.ends_with("<ResponseMetadata><RequestId>rid</RequestId></ResponseMetadata></ReceiveMessageResponse>"));
    }

    #[test]
    fn sns_results_use_member_lists_and_entry_maps() {
        let xml = render_result(
            model::sns(),
            "ListTopics",
            &json!({"Topics": [{"TopicArn": "a"}, {"TopicArn": "b"}]}),
            "rid",
            "ns",
        );
        assert!(xml.contains("<ListTopicsResult><Topics><member><TopicArn>a</TopicArn></member><member><TopicArn>b</TopicArn></member></Topics></ListTopicsResult>"), "{xml}");
        let xml = render_result(
            model::sns(),
            "GetTopicAttributes",
            &json!({"Attributes": {"Owner": "1"}}),
            "rid",
            "ns",
        );
        assert!(
            xml.contains(
                "<Attributes><entry><key>Owner</key><value>1</value></entry></Attributes>"
            ),
            "{xml}"
        );
        let xml = render_result(model::sns(), "DeleteTopic", &json!({}), "rid", "ns");
        assert_eq!(
            xml,
            "<?xml version=\"1.0\"?><DeleteTopicResponse xmlns=\"ns\"><ResponseMetadata><RequestId>rid</RequestId></ResponseMetadata></DeleteTopicResponse>"
        );
    }
}
