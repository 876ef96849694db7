//! Temporary credentials that need no storage: a session token carries what it stands for (access key id,
//! account, role, role id, session name, expiry) and an HMAC-SHA256 of it under the server's session key; the
//! secret access key is derived from the access key id under the same key. A token therefore verifies after a
//! restart (the session key is durable) and cannot be forged or altered without the key.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// What a session token stands for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionClaims {
    pub access_key_id: String,
    pub account: String,
    pub role_name: String,
    pub role_id: String,
    pub session: String,
    /// Epoch milliseconds, by the server clock.
    pub expires_ms: i64,
}

/// Version tag at the start of every token.
const PREFIX: &str = "EDDY1.";

fn mac(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    // HMAC accepts keys of any length, so `new_from_slice` cannot fail here.
    let mut mac = match HmacSha256::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => return Vec::new(),
    };
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().to_vec()
}

/// The secret access key of a temporary access key id.
pub fn derive_secret(key: &[u8], access_key_id: &str) -> String {
    let mut text = STANDARD.encode(mac(key, &[b"secret\n", access_key_id.as_bytes()]));
    text.truncate(40);
    text
}

impl SessionClaims {
    fn payload(&self) -> String {
        format!(
            "{}\n{}\n{}\n{}\n{}\n{}",
            self.access_key_id,
            self.account,
            self.role_name,
            self.role_id,
            self.session,
            self.expires_ms
        )
    }

    /// The session token: `EDDY1.<payload>.<mac>`, both parts base64url.
    pub fn seal(&self, key: &[u8]) -> String {
        let payload = self.payload();
        let tag = mac(key, &[b"token\n", payload.as_bytes()]);
        format!(
            "{PREFIX}{}.{}",
            URL_SAFE_NO_PAD.encode(payload.as_bytes()),
            URL_SAFE_NO_PAD.encode(tag)
        )
    }

    /// Reads a token; `None` unless it is well formed and its MAC is the server's.
    pub fn open(key: &[u8], token: &str) -> Option<SessionClaims> {
        let (payload_b64, tag_b64) = token.strip_prefix(PREFIX)?.split_once('.')?;
        let payload = URL_SAFE_NO_PAD.decode(payload_b64).ok()?;
        let tag = URL_SAFE_NO_PAD.decode(tag_b64).ok()?;
        let mut check = HmacSha256::new_from_slice(key).ok()?;
        check.update(b"token\n");
        check.update(&payload);
        check.verify_slice(&tag).ok()?;
        Self::parse(payload)
    }

    /// Reads a well-formed token without checking its MAC: only for placing a request in an account when
    /// nothing is verified (`--auth off`), where a forged token gains nothing a 12-digit access key does
    /// not already give.
    pub fn peek(token: &str) -> Option<SessionClaims> {
        let (payload_b64, _) = token.strip_prefix(PREFIX)?.split_once('.')?;
        Self::parse(URL_SAFE_NO_PAD.decode(payload_b64).ok()?)
    }

    fn parse(payload: Vec<u8>) -> Option<SessionClaims> {
        let text = String::from_utf8(payload).ok()?;
        let mut fields = text.split('\n');
        let claims = SessionClaims {
            access_key_id: fields.next()?.to_string(),
            account: fields.next()?.to_string(),
            role_name: fields.next()?.to_string(),
            role_id: fields.next()?.to_string(),
            session: fields.next()?.to_string(),
            expires_ms: fields.next()?.parse().ok()?,
        };
        fields.next().is_none().then_some(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims() -> SessionClaims {
        SessionClaims {
            access_key_id: "ASIAEXAMPLE123456789".into(),
            account: "123456789012".into(),
            role_name: "reader".into(),
            role_id: "AROAEXAMPLE".into(),
            session: "my-function".into(),
            expires_ms: 1_700_000_000_000,
        }
    }

    #[test]
    fn tokens_round_trip_under_the_same_key_only() {
        let key = b"0123456789abcdef0123456789abcdef";
        let token = claims().seal(key);
        assert_eq!(SessionClaims::open(key, &token), Some(claims()));
        assert_eq!(SessionClaims::open(b"another key", &token), None);
        let mut tampered = token.clone();
        tampered.insert(8, 'x');
        assert_eq!(SessionClaims::open(key, &tampered), None);
        for junk in ["", "EDDY1.", "EDDY1.a.b", "FwoGZXIvYXdzE", "EDDY1.!!!.???"] {
            assert_eq!(SessionClaims::open(key, junk), None, "{junk}");
            assert_eq!(SessionClaims::peek(junk), None, "{junk}");
        }
    }

    #[test]
    fn peeking_reads_the_claims_without_the_key() {
        let token = claims().seal(b"0123456789abcdef0123456789abcdef");
        assert_eq!(SessionClaims::peek(&token), Some(claims()));
    }

    #[test]
    fn secrets_are_derived_per_key_id() {
        let key = b"k";
        let a = derive_secret(key, "ASIAAAAAAAAAAAAAAAAA");
        assert_eq!(a.len(), 40);
        assert_eq!(a, derive_secret(key, "ASIAAAAAAAAAAAAAAAAA"));
        assert_ne!(a, derive_secret(key, "ASIABBBBBBBBBBBBBBBB"));
        assert_ne!(a, derive_secret(b"other", "ASIAAAAAAAAAAAAAAAAA"));
    }
}
