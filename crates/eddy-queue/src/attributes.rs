//! Message attributes, shared by SQS and SNS: their validation and the MD5 digests SQS returns
//! (`MD5OfMessageBody`, `MD5OfMessageAttributes`, `MD5OfMessageSystemAttributes`), computed exactly as AWS does
//! so that SDKs that verify them (the Java, .NET and Go SDKs do) accept eddy's answers.

use std::collections::BTreeMap;

use md5::{Digest, Md5};
use serde::{Deserialize, Serialize};

use crate::error::QueueError;

/// One message attribute value: `DataType` is `String`, `Number` or `Binary`, optionally with a custom label
/// (`String.json`, `Number.int`, …).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttributeValue {
    pub data_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub string_value: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub binary_value: Option<Vec<u8>>,
}

impl AttributeValue {
    pub fn string(value: &str) -> AttributeValue {
        AttributeValue {
            data_type: "String".into(),
            string_value: Some(value.to_string()),
            binary_value: None,
        }
    }

    /// `String`, `Number` or `Binary`: the type without its custom label.
    pub fn base_type(&self) -> &str {
        self.data_type.split('.').next().unwrap_or(&self.data_type)
    }

    /// Bytes counted against the message size limit: name, type and value.
    pub fn size(&self, name: &str) -> usize {
        name.len()
            + self.data_type.len()
            + self.string_value.as_ref().map_or(0, String::len)
            + self.binary_value.as_ref().map_or(0, Vec::len)
    }
}

pub type Attributes = BTreeMap<String, AttributeValue>;

/// Hex MD5 of a message body.
pub fn md5_hex(bytes: &[u8]) -> String {
    hex(&Md5::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[(b >> 4) as usize] as char);
        out.push(DIGITS[(b & 15) as usize] as char);
    }
    out
}

/// SQS's digest of message attributes: for each attribute in name order, the name, the data type and the value,
/// each as a 4-byte big-endian length and its bytes, with a transport byte (1 = string, 2 = binary) before the
/// value. `None` when there are no attributes (AWS then omits the member).
pub fn md5_of_attributes(attributes: &Attributes) -> Option<String> {
    if attributes.is_empty() {
        return None;
    }
    fn field(md5: &mut Md5, bytes: &[u8]) {
        md5.update((bytes.len() as u32).to_be_bytes());
        md5.update(bytes);
    }
    let mut md5 = Md5::new();
    for (name, value) in attributes {
        field(&mut md5, name.as_bytes());
        field(&mut md5, value.data_type.as_bytes());
        if value.base_type() == "Binary" {
            md5.update([2u8]);
            field(&mut md5, value.binary_value.as_deref().unwrap_or_default());
        } else {
            md5.update([1u8]);
            field(
                &mut md5,
                value.string_value.as_deref().unwrap_or_default().as_bytes(),
            );
        }
    }
    Some(hex(&md5.finalize()))
}

/// What kind of message the attributes belong to, for the wording of errors.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Service {
    Sqs,
    Sns,
}

/// Why SNS refuses an attribute name, in its words (AWS-recorded).
fn sns_name_fault(name: &str) -> String {
    if name.len() >= 256 {
        return "Length of message attribute name must be less than 256 bytes.".into();
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_alphanumeric() || matches!(c, '_' | '-' | '.')))
    {
        return format!(
            "Invalid non-alphanumeric character '#x{:X}' was found in the message attribute name. Can only include alphanumeric characters, hyphens, underscores, or dots.",
            c as u32
        );
    }
    if name.starts_with('.') {
        return "Invalid message attribute name starting with character '.' was found.".into();
    }
    if name.ends_with('.') {
        return "Invalid message attribute name ending with character '.' was found.".into();
    }
    if name.contains("..") {
        return "Message attribute name can not have successive '.' character.".into();
    }
    format!("The message attribute name '{name}' is invalid.")
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 256
        // Letters and digits beyond ASCII too (AWS-recorded: `attr.1øßä` is accepted).
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '-' || c == '.')
        && !name.starts_with('.')
        && !name.ends_with('.')
        && !name.contains("..")
        && !name.to_ascii_lowercase().starts_with("aws.")
        && !name.to_ascii_lowercase().starts_with("amazon.")
}

/// Validates user message attributes as SQS (`InvalidParameterValue`) or SNS (`InvalidParameter…`) does.
pub fn validate(attributes: &Attributes, service: Service) -> Result<(), QueueError> {
    let invalid = |message: String| match service {
        Service::Sqs => QueueError::invalid_parameter_value(message),
        Service::Sns => QueueError::new(crate::error::ErrorKind::ParameterValueInvalid, message),
    };
    if service == Service::Sqs && attributes.len() > 10 {
        return Err(invalid(format!(
            "Number of message attributes [{}] exceeds the allowed maximum [10].",
            attributes.len()
        )));
    }
    for (name, value) in attributes {
        // SNS's names are under 256 bytes, SQS's up to 256.
        if !valid_name(name) || (service == Service::Sns && name.len() >= 256) {
            return Err(invalid(match service {
                Service::Sqs => format!(
                    "The message attribute name '{name}' is invalid. Attribute name can contain A-Z, a-z, 0-9, underscore (_), hyphen (-), and period (.) characters."
                ),
                Service::Sns => sns_name_fault(name),
            }));
        }
        if value.data_type.is_empty() {
            return Err(invalid(format!(
                "The message attribute '{name}' must contain non-empty message attribute type."
            )));
        }
        let base = value.base_type();
        // A custom label may follow the type after a dot, but not be empty (`String.`; AWS-recorded).
        let empty_label = value.data_type.len() == base.len() + 1;
        if !matches!(base, "String" | "Number" | "Binary") || empty_label {
            return Err(invalid(format!(
                "The message attribute '{name}' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String."
            )));
        }
        let (own_field, other_field) = match base {
            "Binary" => (
                value.binary_value.as_ref().is_some_and(|b| !b.is_empty()),
                value.string_value.is_some(),
            ),
            _ => (
                value.string_value.as_ref().is_some_and(|s| !s.is_empty()),
                value.binary_value.is_some(),
            ),
        };
        // SNS names the field a type must use when only the other one is given (AWS-recorded).
        if service == Service::Sns && !own_field && other_field {
            let field = if base == "Binary" { "Binary" } else { "String" };
            return Err(invalid(format!(
                "The message attribute '{name}' with type '{base}' must use field '{field}'."
            )));
        }
        let has_value = own_field;
        if !has_value {
            return Err(invalid(match service {
                // AWS-recorded.
                Service::Sqs => format!(
                    "Message (user) attribute '{name}' must contain a non-empty value of type '{}'.",
                    value.data_type
                ),
                Service::Sns => format!(
                    "The message attribute '{name}' must contain non-empty message attribute value for message attribute type '{}'.",
                    value.data_type
                ),
            }));
        }
        if base == "Number" {
            let text = value.string_value.as_deref().unwrap_or("");
            if !is_number(text) {
                return Err(invalid(format!(
                    "Can't cast the value of message (user) attribute '{name}' to a number."
                )));
            }
        }
        if base != "Binary"
            && let Some(c) = value.string_value.as_deref().and_then(first_invalid_char)
        {
            return Err(invalid(format!(
                "Invalid binary character '#x{:X}' was found in the message attribute '{name}', the set of allowed characters is #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF",
                c as u32
            )));
        }
    }
    Ok(())
}

/// A decimal number as SQS accepts for `Number` attributes (up to 38 significant digits, exponent allowed).
fn is_number(text: &str) -> bool {
    let t = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (mantissa, exponent) = match t.find(['e', 'E']) {
        Some(i) => (&t[..i], Some(&t[i + 1..])),
        None => (t, None),
    };
    let mut parts = mantissa.splitn(2, '.');
    let int = parts.next().unwrap_or("");
    let frac = parts.next().unwrap_or("");
    let digits = int.len() + frac.len();
    if digits == 0
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return false;
    }
    if let Some(e) = exponent {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        if e.is_empty() || !e.bytes().all(|b| b.is_ascii_digit()) {
            return false;
        }
    }
    let all = format!("{int}{frac}");
    all.trim_start_matches('0').trim_end_matches('0').len() <= 38
}

/// The first character outside what SQS accepts in a message: #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to
/// #xFFFD | #x10000 to #x10FFFF.
pub fn first_invalid_char(text: &str) -> Option<char> {
    text.chars().find(|&c| {
        let c = c as u32;
        !(c == 0x9
            || c == 0xA
            || c == 0xD
            || (0x20..=0xD7FF).contains(&c)
            || (0xE000..=0xFFFD).contains(&c)
            || (0x10000..=0x10FFFF).contains(&c))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_digest_is_plain_md5() {
        assert_eq!(md5_hex(b"hello"), "5d41402abc4b2a76b9719d911017c592");
    }

    #[test]
    fn attribute_digest_matches_aws() {
        // The digest SQS returns for {"attr": String "value"} (length-prefixed name, type, transport byte 1,
        // value), as computed by the AWS SDKs' checksum handlers.
        let mut attrs = Attributes::new();
        attrs.insert("attr".into(), AttributeValue::string("value"));
        let mut md5 = Md5::new();
        md5.update(4u32.to_be_bytes());
        md5.update(b"attr");
        md5.update(6u32.to_be_bytes());
        md5.update(b"String");
        md5.update([1u8]);
        md5.update(5u32.to_be_bytes());
        md5.update(b"value");
        assert_eq!(md5_of_attributes(&attrs), Some(hex(&md5.finalize())));
        assert_eq!(md5_of_attributes(&Attributes::new()), None);
    }

    #[test]
    fn numbers_and_names_are_checked() {
        assert!(is_number("12"));
        assert!(is_number("-1.5e10"));
        assert!(!is_number("abc"));
        assert!(!is_number(""));
        assert!(valid_name("a.b-c_d"));
        assert!(!valid_name("AWS.x"));
        assert!(!valid_name("a..b"));
        assert_eq!(first_invalid_char("ok\u{0}"), Some('\u{0}'));
    }
}
