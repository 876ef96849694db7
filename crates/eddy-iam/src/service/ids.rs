//! Random identifiers in IAM's shapes: `AROA…` role ids, `AIDA…` user ids, `ANPA…` policy ids (21
//! characters), `AKIA…` / `ASIA…` access key ids (20), 40-character secrets, and the server's session key.
//! Randomness comes from version-4 UUIDs (the operating system's generator).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// The alphabet of IAM's unique ids and access key ids.
const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// `n` random bytes.
pub fn random_bytes(n: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(n + 16);
    while out.len() < n {
        out.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
    }
    out.truncate(n);
    out
}

/// `prefix` followed by random characters of IAM's alphabet, `len` characters in all.
pub fn unique_id(prefix: &str, len: usize) -> String {
    let mut out = String::with_capacity(len);
    out.push_str(prefix);
    let count = len.saturating_sub(prefix.len());
    for byte in random_bytes(count) {
        out.push(ALPHABET[(byte & 31) as usize] as char);
    }
    out
}

pub fn role_id() -> String {
    unique_id("AROA", 21)
}

pub fn user_id() -> String {
    unique_id("AIDA", 21)
}

pub fn policy_id() -> String {
    unique_id("ANPA", 21)
}

pub fn access_key_id() -> String {
    unique_id("AKIA", 20)
}

pub fn session_key_id() -> String {
    unique_id("ASIA", 20)
}

/// A 40-character secret access key.
pub fn secret_access_key() -> String {
    let mut text = STANDARD.encode(random_bytes(30));
    text.truncate(40);
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_iams_shapes() {
        let id = role_id();
        assert_eq!(id.len(), 21);
        assert!(id.starts_with("AROA"));
        assert!(id.bytes().all(|b| ALPHABET.contains(&b)));
        assert_eq!(access_key_id().len(), 20);
        assert!(session_key_id().starts_with("ASIA"));
        assert_eq!(secret_access_key().len(), 40);
        assert_ne!(access_key_id(), access_key_id());
        assert_eq!(random_bytes(33).len(), 33);
    }
}
