//! Request bodies, formatted straight into a reused buffer.
//!
//! Key `i` in `0..keys` is the item `pk = "p{i / rows}"`, `sk = i % rows`:
//! each partition holds `rows` items, so a Query returns up to `rows` items.

use bytes::{BufMut, BytesMut};
use serde_json::json;

use crate::mix::Op;

#[derive(Clone, Debug)]
pub struct Workload {
    /// `{"TableName":"<table>"` — every body starts with it.
    head: String,
    /// The `payload` attribute's value (`item_size` ASCII characters); each put replaces its first
    /// characters with the put's version, so that every put changes its item.
    payload: String,
    pub keys: u64,
    pub rows: u64,
    /// The StreamViewType of the table `--create-table` creates, if it should have a stream.
    pub stream_view_type: Option<String>,
}

/// `n` as decimal into `buf`.
#[inline]
pub fn put_u64(buf: &mut BytesMut, mut n: u64) {
    let mut tmp = [0u8; 20];
    let mut i = tmp.len();
    loop {
        i -= 1;
        tmp[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    buf.put_slice(&tmp[i..]);
}

impl Workload {
    /// `table` is JSON-escaped here; `keys` and `rows` are at least 1.
    pub fn new(table: &str, item_size: usize, keys: u64, rows: u64) -> Self {
        let head = format!("{{\"TableName\":{}", json!(table));
        // Printable, varied but deterministic, nothing that JSON must escape.
        const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        let payload = (0..item_size)
            .map(|i| ALPHABET[(i * 7 + i / ALPHABET.len()) % ALPHABET.len()] as char)
            .collect();
        Workload {
            head,
            payload,
            keys: keys.max(1),
            rows: rows.max(1),
            stream_view_type: None,
        }
    }

    /// The table `--create-table` creates gets a stream of this view type.
    pub fn with_stream(self, stream_view_type: Option<String>) -> Self {
        Workload {
            stream_view_type,
            ..self
        }
    }

    /// Number of partitions (distinct `pk`s).
    pub fn partitions(&self) -> u64 {
        self.keys.div_ceil(self.rows)
    }

    fn put_key(&self, buf: &mut BytesMut, key: u64) {
        buf.put_slice(br#""pk":{"S":"p"#);
        put_u64(buf, key / self.rows);
        buf.put_slice(br#""},"sk":{"N":""#);
        put_u64(buf, key % self.rows);
        buf.put_slice(br#""}"#);
    }

    /// The payload with its first (up to 16) characters replaced by `version` in hex: puts of one key
    /// with different versions write different items (a put that leaves an item as it was is cheaper for
    /// servers that notice, and is not what a benchmark of writes should measure).
    fn put_payload(&self, buf: &mut BytesMut, version: u64) {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let digits = self.payload.len().min(16);
        for i in (0..digits).rev() {
            buf.put_u8(HEX[((version >> (i * 4)) & 15) as usize]);
        }
        buf.put_slice(&self.payload.as_bytes()[digits..]);
    }

    /// Appends the body of `op` on key `key % keys` (for Query: on the
    /// partition of that key) to `buf`; a put writes payload `version`.
    pub fn write_body(&self, op: Op, key: u64, version: u64, buf: &mut BytesMut) {
        let key = key % self.keys;
        buf.put_slice(self.head.as_bytes());
        match op {
            Op::Put => {
                buf.put_slice(br#","Item":{"#);
                self.put_key(buf, key);
                buf.put_slice(br#","payload":{"S":""#);
                self.put_payload(buf, version);
                buf.put_slice(br#""}}}"#);
            }
            Op::Get => {
                buf.put_slice(br#","Key":{"#);
                self.put_key(buf, key);
                buf.put_slice(b"}}");
            }
            Op::Query => {
                buf.put_slice(
                    br#","KeyConditionExpression":"pk = :p","ExpressionAttributeValues":{":p":{"S":"p"#,
                );
                put_u64(buf, key / self.rows);
                buf.put_slice(br#""}}}"#);
            }
        }
    }

    pub fn describe_table_body(&self) -> String {
        format!("{}}}", self.head)
    }

    pub fn create_table_body(&self) -> String {
        let stream = match &self.stream_view_type {
            Some(view) => format!(
                r#","StreamSpecification":{{"StreamEnabled":true,"StreamViewType":{}}}"#,
                json!(view)
            ),
            None => String::new(),
        };
        format!(
            "{},{}{stream}}}",
            self.head,
            concat!(
                r#""AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},"#,
                r#"{"AttributeName":"sk","AttributeType":"N"}],"#,
                r#""KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},"#,
                r#"{"AttributeName":"sk","KeyType":"RANGE"}],"#,
                r#""BillingMode":"PAY_PER_REQUEST""#
            )
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn body(w: &Workload, op: Op, key: u64) -> Value {
        let mut buf = BytesMut::new();
        w.write_body(op, key, 0, &mut buf);
        serde_json::from_slice(&buf).expect("valid JSON")
    }

    #[test]
    fn numbers() {
        for n in [0u64, 7, 10, 99, 12345, u64::MAX] {
            let mut b = BytesMut::new();
            put_u64(&mut b, n);
            assert_eq!(&b[..], n.to_string().as_bytes());
        }
    }

    #[test]
    fn bodies_are_valid_dynamodb_json() {
        let w = Workload::new("lo\"ad", 100, 1000, 10);
        assert_eq!(w.partitions(), 100);
        let put = body(&w, Op::Put, 1234);
        assert_eq!(put["TableName"], "lo\"ad");
        assert_eq!(put["Item"]["pk"]["S"], "p23");
        assert_eq!(put["Item"]["sk"]["N"], "4");
        assert_eq!(put["Item"]["payload"]["S"].as_str().unwrap().len(), 100);

        let get = body(&w, Op::Get, 57);
        assert_eq!(get["Key"], json!({"pk": {"S": "p5"}, "sk": {"N": "7"}}));

        let q = body(&w, Op::Query, 57);
        assert_eq!(q["KeyConditionExpression"], "pk = :p");
        assert_eq!(q["ExpressionAttributeValues"][":p"]["S"], "p5");

        let d: Value = serde_json::from_str(&w.describe_table_body()).unwrap();
        assert_eq!(d, json!({"TableName": "lo\"ad"}));
        let c: Value = serde_json::from_str(&w.create_table_body()).unwrap();
        assert_eq!(c["KeySchema"][1]["KeyType"], "RANGE");
        assert_eq!(c["BillingMode"], "PAY_PER_REQUEST");
        assert!(c.get("StreamSpecification").is_none());
        let mut streamed = w.clone();
        streamed.stream_view_type = Some("NEW_AND_OLD_IMAGES".into());
        let c: Value = serde_json::from_str(&streamed.create_table_body()).unwrap();
        assert_eq!(
            c["StreamSpecification"],
            json!({"StreamEnabled": true, "StreamViewType": "NEW_AND_OLD_IMAGES"})
        );
    }

    #[test]
    fn every_version_is_a_different_payload_of_the_same_length() {
        let w = Workload::new("t", 100, 10, 1);
        let payload = |version| {
            let mut buf = BytesMut::new();
            w.write_body(Op::Put, 3, version, &mut buf);
            let put: Value = serde_json::from_slice(&buf).expect("valid JSON");
            put["Item"]["payload"]["S"]
                .as_str()
                .expect("a string")
                .to_string()
        };
        let (a, b) = (payload(1), payload(0xfedc_ba98_7654_3210));
        assert_eq!((a.len(), b.len()), (100, 100));
        assert_ne!(a, b);
        assert!(b.starts_with("fedcba9876543210"));
        assert_eq!(a[16..], b[16..], "only the version part differs");
        let short = Workload::new("t", 3, 10, 1);
        let mut buf = BytesMut::new();
        short.write_body(Op::Put, 0, 0xabc, &mut buf);
        assert!(buf.ends_with(br#""payload":{"S":"abc"}}}"#));
    }

    #[test]
    fn buffer_is_appended_and_reusable() {
        let w = Workload::new("t", 0, 5, 1);
        let mut buf = BytesMut::with_capacity(256);
        w.write_body(Op::Get, 3, 0, &mut buf);
        let first = buf.split().freeze();
        assert_eq!(
            &first[..],
            br#"{"TableName":"t","Key":{"pk":{"S":"p3"},"sk":{"N":"0"}}}"#
        );
        w.write_body(Op::Put, 9, 0, &mut buf); // 9 % 5 = 4
        assert_eq!(
            &buf[..],
            br#"{"TableName":"t","Item":{"pk":{"S":"p4"},"sk":{"N":"0"},"payload":{"S":""}}}"#
        );
    }
}
