//! AWS Signature Version 4 header signing, by hand (`hmac` + `sha2`).
//!
//! The canonical request is never materialised: it is streamed into a
//! SHA-256 hasher. The signing key is derived once per UTC day and cached,
//! and the `x-amz-date` string once per second.

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// Lower-case hex of `bytes` appended to `out`.
pub fn hex_into(bytes: &[u8], out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.reserve(bytes.len() * 2);
    for &b in bytes {
        out.push(HEX[(b >> 4) as usize] as char);
        out.push(HEX[(b & 0xf) as usize] as char);
    }
}

pub fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    hex_into(bytes, &mut s);
    s
}

pub fn sha256_hex(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

fn hmac(key: &[u8], msg: &[u8]) -> [u8; 32] {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(msg);
    mac.finalize().into_bytes().into()
}

/// `kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")`.
pub fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> [u8; 32] {
    let k_secret = format!("AWS4{secret}");
    let k_date = hmac(k_secret.as_bytes(), date.as_bytes());
    let k_region = hmac(&k_date, region.as_bytes());
    let k_service = hmac(&k_region, service.as_bytes());
    hmac(&k_service, b"aws4_request")
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// `YYYYMMDDTHHMMSSZ` for a Unix time in seconds.
pub fn amz_date(unix_secs: u64) -> String {
    let days = (unix_secs / 86_400) as i64;
    let rem = unix_secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z",
        rem / 3600,
        (rem / 60) % 60,
        rem % 60
    )
}

/// A request to sign. Header names must be lower-case and sorted by name;
/// values are trimmed by the caller (ours never need folding). `x-amz-date`
/// is not among them: the signer adds it (see [`Signer::date`]).
pub struct SignInput<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: &'a str,
    /// Headers to sign other than `x-amz-date`, sorted by lower-case name.
    pub headers: &'a [(&'a str, &'a str)],
    /// Hex SHA-256 of the payload.
    pub payload_sha256: &'a str,
}

/// A SigV4 signer for one key pair, region and service.
#[derive(Clone)]
pub struct Signer {
    access_key: String,
    secret_key: String,
    region: String,
    service: String,
    /// Cached: UTC day the key is for, the key, and the credential scope.
    day: Option<u64>,
    key: [u8; 32],
    scope: String,
    /// Cached `x-amz-date` and the second it is for.
    date_sec: Option<u64>,
    date: String,
}

impl Signer {
    pub fn new(access_key: &str, secret_key: &str, region: &str, service: &str) -> Self {
        Signer {
            access_key: access_key.to_owned(),
            secret_key: secret_key.to_owned(),
            region: region.to_owned(),
            service: service.to_owned(),
            day: None,
            key: [0; 32],
            scope: String::new(),
            date_sec: None,
            date: String::new(),
        }
    }

    /// Sets the time to sign at: caches the `x-amz-date` value per second,
    /// and re-derives the signing key when the UTC day changes.
    pub fn set_time(&mut self, unix_secs: u64) {
        if self.date_sec != Some(unix_secs) {
            self.date = amz_date(unix_secs);
            self.date_sec = Some(unix_secs);
            let day = unix_secs / 86_400;
            if self.day != Some(day) {
                let ymd = &self.date[..8];
                self.key = signing_key(&self.secret_key, ymd, &self.region, &self.service);
                self.scope = format!("{ymd}/{}/{}/aws4_request", self.region, self.service);
                self.day = Some(day);
            }
        }
    }

    /// The `x-amz-date` header value of the last signature (or [`Signer::set_time`]).
    pub fn date(&self) -> &str {
        &self.date
    }

    /// The `Authorization` header value for `req` made at `unix_secs`; send
    /// [`Signer::date`] as its `x-amz-date` header.
    pub fn authorization(&mut self, unix_secs: u64, req: &SignInput<'_>) -> String {
        const DATE: &str = "x-amz-date";
        self.set_time(unix_secs);
        // Where x-amz-date goes among the sorted headers.
        let at = req.headers.partition_point(|(name, _)| *name < DATE);
        let date = self.date.as_str();
        let headers = req.headers[..at]
            .iter()
            .copied()
            .chain(std::iter::once((DATE, date)))
            .chain(req.headers[at..].iter().copied());

        let mut h = Sha256::new();
        h.update(req.method.as_bytes());
        h.update(b"\n");
        h.update(req.path.as_bytes());
        h.update(b"\n");
        h.update(req.query.as_bytes());
        h.update(b"\n");
        let mut signed_headers = String::with_capacity(64);
        for (i, (name, value)) in headers.enumerate() {
            debug_assert!(name.bytes().all(|b| !b.is_ascii_uppercase()));
            h.update(name.as_bytes());
            h.update(b":");
            h.update(value.as_bytes());
            h.update(b"\n");
            if i > 0 {
                signed_headers.push(';');
            }
            signed_headers.push_str(name);
        }
        h.update(b"\n");
        h.update(signed_headers.as_bytes());
        h.update(b"\n");
        h.update(req.payload_sha256.as_bytes());
        let creq_hash = h.finalize();

        let mut mac = HmacSha256::new_from_slice(&self.key).expect("any key length");
        mac.update(ALGORITHM.as_bytes());
        mac.update(b"\n");
        mac.update(self.date.as_bytes());
        mac.update(b"\n");
        mac.update(self.scope.as_bytes());
        mac.update(b"\n");
        let mut creq_hex = String::with_capacity(64);
        hex_into(&creq_hash, &mut creq_hex);
        mac.update(creq_hex.as_bytes());
        let sig = mac.finalize().into_bytes();

        let mut out = String::with_capacity(
            64 + self.access_key.len() + self.scope.len() + signed_headers.len() + 64,
        );
        out.push_str(ALGORITHM);
        out.push_str(" Credential=");
        out.push_str(&self.access_key);
        out.push('/');
        out.push_str(&self.scope);
        out.push_str(", SignedHeaders=");
        out.push_str(&signed_headers);
        out.push_str(", Signature=");
        hex_into(&sig, &mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const AKID: &str = "AKIDEXAMPLE";
    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    /// 2015-08-30T12:36:00Z, the date of AWS's SigV4 test suite.
    const SUITE_TIME: u64 = 1_440_938_160;
    const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    #[test]
    fn empty_payload_hash() {
        assert_eq!(sha256_hex(b""), EMPTY_SHA256);
    }

    #[test]
    fn dates() {
        assert_eq!(amz_date(0), "19700101T000000Z");
        assert_eq!(amz_date(SUITE_TIME), "20150830T123600Z");
        assert_eq!(amz_date(1_709_251_199), "20240229T235959Z");
        assert_eq!(amz_date(1_709_251_200), "20240301T000000Z");
        assert_eq!(amz_date(951_782_400), "20000229T000000Z");
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
    }

    /// The "deriving the signing key" example of AWS's SigV4 documentation (IAM, 2012-02-15).
    #[test]
    fn signing_key_doc_example() {
        let k = signing_key(SECRET, "20120215", "us-east-1", "iam");
        assert_eq!(
            hex(&k),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"
        );
    }

    fn suite_case(method: &str) -> String {
        let mut s = Signer::new(AKID, SECRET, "us-east-1", "service");
        let headers = [("host", "example.amazonaws.com")];
        let auth = s.authorization(
            SUITE_TIME,
            &SignInput {
                method,
                path: "/",
                query: "",
                headers: &headers,
                payload_sha256: EMPTY_SHA256,
            },
        );
        assert_eq!(s.date(), "20150830T123600Z");
        auth
    }

    /// `get-vanilla` of AWS's SigV4 test suite.
    #[test]
    fn suite_get_vanilla() {
        assert_eq!(
            suite_case("GET"),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
             SignedHeaders=host;x-amz-date, \
             Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
        );
    }

    /// `post-vanilla` of AWS's SigV4 test suite.
    #[test]
    fn suite_post_vanilla() {
        assert_eq!(
            suite_case("POST"),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
             SignedHeaders=host;x-amz-date, \
             Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"
        );
    }

    /// A DynamoDB-shaped request as this tool sends it; the expected value was
    /// computed with botocore's `SigV4Auth` (an independent implementation).
    #[test]
    fn dynamodb_put_matches_botocore() {
        let body = br#"{"TableName":"load","Item":{"pk":{"S":"p1"},"sk":{"N":"2"}}}"#;
        let t = 1_709_251_199; // 2024-02-29T23:59:59Z
        let mut s = Signer::new("test", "test", "us-east-1", "dynamodb");
        let payload = sha256_hex(body);
        assert_eq!(
            payload,
            "32e662b14665786ecc2bd739ae941c705fe6cdc27f0d8adfb1dc52c1d3f21b9c"
        );
        let headers = [
            ("content-type", "application/x-amz-json-1.0"),
            ("host", "127.0.0.1:4566"),
            ("x-amz-target", "DynamoDB_20120810.PutItem"),
        ];
        let auth = s.authorization(
            t,
            &SignInput {
                method: "POST",
                path: "/",
                query: "",
                headers: &headers,
                payload_sha256: &payload,
            },
        );
        assert_eq!(
            auth,
            "AWS4-HMAC-SHA256 Credential=test/20240229/us-east-1/dynamodb/aws4_request, \
             SignedHeaders=content-type;host;x-amz-date;x-amz-target, \
             Signature=c3fd16799195c8525c1701d8add742eaff3a34f7add6ed8ead156324cfe5fca4"
        );
    }

    #[test]
    fn key_and_scope_follow_the_day() {
        let mut s = Signer::new(AKID, SECRET, "us-east-1", "service");
        s.set_time(SUITE_TIME);
        assert_eq!(s.scope, "20150830/us-east-1/service/aws4_request");
        let k1 = s.key;
        s.set_time(SUITE_TIME + 86_400);
        assert_eq!(s.date(), "20150831T123600Z");
        assert_eq!(s.scope, "20150831/us-east-1/service/aws4_request");
        assert_ne!(k1, s.key);
        assert_eq!(
            s.key,
            signing_key(SECRET, "20150831", "us-east-1", "service")
        );
    }
}
