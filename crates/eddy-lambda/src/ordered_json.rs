//! JSON text with keys in a given order. Lambda writes some documents — a resource policy's statements, a
//! destination record — in an order of its own that clients may show or compare, while `serde_json`'s maps sort
//! their keys; these documents are written with these two functions instead.

use serde_json::Value;

/// A JSON string literal.
pub(crate) fn text(value: &str) -> String {
    Value::from(value).to_string()
}

/// A JSON object from keys and already-encoded values, in the order given.
pub(crate) fn object(entries: &[(&str, String)]) -> String {
    let fields: Vec<String> = entries
        .iter()
        .map(|(key, value)| format!("{}:{value}", text(key)))
        .collect();
    format!("{{{}}}", fields.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_keep_the_order_given() {
        let inner = object(&[("b", text("x\"y")), ("a", "1".into())]);
        assert_eq!(object(&[("z", inner)]), r#"{"z":{"b":"x\"y","a":1}}"#);
    }
}
