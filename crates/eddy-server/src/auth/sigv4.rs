//! Signature Version 4 as a server checks it, for every service eddy speaks (S3's variations do not apply):
//! the `Authorization` header form and the query-string (presigned) form are parsed with AWS's complaints, in
//! AWS's order (missing parameters, date format, clock skew, `host` signed, algorithm, credential scope), then
//! the canonical request is rebuilt from what arrived — path normalised and encoded again as SDKs do for
//! non-S3 services, query parameters re-encoded and sorted, signed headers trimmed, the payload hashed — and
//! the signature recomputed with the secret of the access key.
//!
//! Everything here is a pure function of the request, the secret and the time.

use axum::http::HeaderMap;
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// How far a request's date may be from the server clock.
pub const SKEW_MS: i64 = 5 * 60 * 1000;

/// The longest a presigned request may be valid (`X-Amz-Expires`).
pub const MAX_EXPIRES_S: i64 = 604_800;

const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// Why a request's signature is not accepted. The protocol decides how each is written on the wire.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuthError {
    /// Neither an `Authorization` header nor query-string authentication.
    MissingToken,
    /// The signature elements are incomplete or malformed (`IncompleteSignature`).
    Incomplete(String),
    /// The signature is expired, mis-scoped or does not match (`InvalidSignatureException` /
    /// `SignatureDoesNotMatch`).
    Invalid(String),
    /// The access key id is not known (`UnrecognizedClientException` / `InvalidClientTokenId`).
    UnknownKey,
    /// The session token is not valid for the access key id.
    BadToken,
    /// The session token has expired.
    ExpiredToken,
}

impl AuthError {
    pub fn message(&self) -> String {
        match self {
            AuthError::MissingToken => "Request is missing Authentication Token".into(),
            AuthError::Incomplete(m) | AuthError::Invalid(m) => m.clone(),
            AuthError::UnknownKey => {
                "The security token included in the request is invalid.".into()
            }
            AuthError::BadToken => "The security token included in the request is invalid".into(),
            AuthError::ExpiredToken => {
                "The security token included in the request is expired".into()
            }
        }
    }
}

/// The parts of a request that are signed.
pub struct HttpRequest<'a> {
    pub method: &'a str,
    /// The path as it arrived (still percent-encoded).
    pub path: &'a str,
    /// The query string as it arrived.
    pub query: Option<&'a str>,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
}

impl HttpRequest<'_> {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The query parameters, decoded, in arrival order.
    fn query_params(&self) -> Vec<(String, String)> {
        self.query
            .unwrap_or("")
            .split('&')
            .filter(|pair| !pair.is_empty())
            .map(|pair| {
                let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                (percent_decode(k), percent_decode(v))
            })
            .collect()
    }
}

/// A request's signature elements.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Authorization {
    /// Query-string (presigned) form rather than the `Authorization` header.
    pub presigned: bool,
    pub access_key: String,
    /// `YYYYMMDD` of the credential scope.
    pub scope_date: String,
    pub region: String,
    pub service: String,
    /// The credential scope's last element (`aws4_request` when well formed).
    pub terminator: String,
    pub signed_headers: Vec<String>,
    pub signature: String,
    /// `YYYYMMDDTHHMMSSZ`.
    pub amz_date: String,
    /// `X-Amz-Expires` of a presigned request, in seconds.
    pub expires_s: Option<i64>,
    pub session_token: Option<String>,
}

impl Authorization {
    pub fn credential_scope(&self) -> String {
        format!(
            "{}/{}/{}/aws4_request",
            self.scope_date, self.region, self.service
        )
    }
}

/// Reads the signature elements of a request, with AWS's complaints about their form.
pub fn parse(req: &HttpRequest<'_>) -> Result<Authorization, AuthError> {
    if let Some(header) = req.header("authorization") {
        return parse_header(req, header);
    }
    let params = req.query_params();
    let has = |name: &str| params.iter().any(|(k, _)| k == name);
    if has("X-Amz-Algorithm") || has("X-Amz-Credential") || has("X-Amz-Signature") {
        return parse_query(&params);
    }
    Err(AuthError::MissingToken)
}

fn parse_header(req: &HttpRequest<'_>, header: &str) -> Result<Authorization, AuthError> {
    let header_trimmed = header.trim();
    if !header_trimmed.starts_with("AWS4-") {
        return Err(AuthError::MissingToken);
    }
    let (algorithm, rest) = header_trimmed
        .split_once(char::is_whitespace)
        .unwrap_or((header_trimmed, ""));
    let mut credential = None;
    let mut signed_headers = None;
    let mut signature = None;
    // Components are separated by commas, spaces, or both: DynamoDB takes `Credential=… SignedHeaders=…
    // Signature=…` as readily as the comma-separated form (Alternator's suite, run against AWS).
    for part in rest
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|p| !p.is_empty())
    {
        let Some((key, value)) = part.split_once('=') else {
            return Err(AuthError::Incomplete(format!(
                "'{part}' not a valid key=value pair (missing equal-sign) in Authorization header: '{header}'."
            )));
        };
        match key.trim() {
            "Credential" => credential = Some(value.trim().to_string()),
            "SignedHeaders" => signed_headers = Some(value.trim().to_string()),
            "Signature" => signature = Some(value.trim().to_string()),
            _ => {}
        }
    }
    let date = req.header("x-amz-date").or_else(|| req.header("date"));
    let mut missing = String::new();
    for (name, value) in [
        ("Credential", &credential),
        ("Signature", &signature),
        ("SignedHeaders", &signed_headers),
    ] {
        if value.as_deref().is_none_or(str::is_empty) {
            missing.push_str(&format!(
                "Authorization header requires '{name}' parameter. "
            ));
        }
    }
    if date.is_none() {
        missing.push_str(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ",
        );
    }
    if !missing.is_empty() {
        return Err(AuthError::Incomplete(format!(
            "{missing}Authorization={header}"
        )));
    }
    finish(
        false,
        algorithm,
        credential.as_deref().unwrap_or(""),
        signed_headers.as_deref().unwrap_or(""),
        signature.unwrap_or_default(),
        date.unwrap_or(""),
        None,
        req.header("x-amz-security-token").map(str::to_string),
    )
}

fn parse_query(params: &[(String, String)]) -> Result<Authorization, AuthError> {
    let get = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let required = [
        "X-Amz-Algorithm",
        "X-Amz-Credential",
        "X-Amz-Signature",
        "X-Amz-SignedHeaders",
        "X-Amz-Date",
    ];
    if required.iter().any(|name| get(name).is_none()) {
        return Err(AuthError::Incomplete(
            "AWS query-string parameters must include 'X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Signature', 'X-Amz-SignedHeaders', 'X-Amz-Date'. Re-examine the query-string parameters.".into(),
        ));
    }
    let expires = match get("X-Amz-Expires") {
        None => None,
        Some(text) => match text.parse::<i64>() {
            Ok(n) if (1..=MAX_EXPIRES_S).contains(&n) => Some(n),
            Ok(n) if n > MAX_EXPIRES_S => {
                return Err(AuthError::Incomplete(format!(
                    "X-Amz-Expires must be less than a week (in seconds) that is {MAX_EXPIRES_S}"
                )));
            }
            _ => {
                return Err(AuthError::Incomplete(
                    "X-Amz-Expires should be a number".into(),
                ));
            }
        },
    };
    finish(
        true,
        get("X-Amz-Algorithm").unwrap_or(""),
        get("X-Amz-Credential").unwrap_or(""),
        get("X-Amz-SignedHeaders").unwrap_or(""),
        get("X-Amz-Signature").unwrap_or("").to_string(),
        get("X-Amz-Date").unwrap_or(""),
        Some(expires.unwrap_or(900)),
        get("X-Amz-Security-Token").map(str::to_string),
    )
}

#[allow(clippy::too_many_arguments)]
fn finish(
    presigned: bool,
    algorithm: &str,
    credential: &str,
    signed_headers: &str,
    signature: String,
    date: &str,
    expires_s: Option<i64>,
    session_token: Option<String>,
) -> Result<Authorization, AuthError> {
    if parse_amz_date(date).is_none() {
        return Err(AuthError::Incomplete(format!(
            "Date must be in ISO-8601 'basic format'. Got '{date}'. See http://en.wikipedia.org/wiki/ISO_8601"
        )));
    }
    let signed: Vec<String> = signed_headers
        .split(';')
        .map(|h| h.trim().to_ascii_lowercase())
        .filter(|h| !h.is_empty())
        .collect();
    Ok(Authorization {
        presigned,
        access_key: String::new(),
        scope_date: String::new(),
        region: String::new(),
        service: String::new(),
        terminator: String::new(),
        signed_headers: signed,
        signature,
        amz_date: date.to_string(),
        expires_s,
        session_token,
    })
    .and_then(|auth| check_form(auth, algorithm, credential))
}

/// The checks that follow the date's: `host` signed, the algorithm, the credential's shape (its scope is
/// checked later, by [`check_scope`]).
fn check_form(
    mut auth: Authorization,
    algorithm: &str,
    credential: &str,
) -> Result<Authorization, AuthError> {
    if !auth.signed_headers.iter().any(|h| h == "host") {
        return Err(AuthError::Invalid(
            "'Host' must be a 'SignedHeader' in the AWS Authorization.".into(),
        ));
    }
    if algorithm != ALGORITHM {
        return Err(AuthError::Incomplete(format!(
            "Unsupported AWS 'algorithm': '{algorithm}' (only AWS4-HMAC-SHA256 for now). "
        )));
    }
    let parts: Vec<&str> = credential.trim_end_matches('/').split('/').collect();
    let [key, date, region, service, terminator] = parts.as_slice() else {
        return Err(AuthError::Incomplete(format!(
            "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '{credential}'"
        )));
    };
    auth.access_key = key.to_string();
    auth.scope_date = date.to_string();
    auth.region = region.to_string();
    auth.service = service.to_string();
    auth.terminator = terminator.to_string();
    Ok(auth)
}

/// The credential scope's region, terminator and date, checked after the request's clock: DynamoDB answers
/// `Signature expired` for an old request whose scope is wrong too (Alternator's suite, run against AWS).
pub fn check_scope(auth: &Authorization) -> Result<(), AuthError> {
    let mut complaints = String::new();
    if auth.region.is_empty() {
        complaints.push_str(&format!(
            "Credential should be scoped to a valid region, not '{}'. ",
            auth.region
        ));
    }
    if auth.terminator != "aws4_request" {
        complaints.push_str(&format!(
            "Credential should be scoped with a valid terminator: 'aws4_request', not '{}'. ",
            auth.terminator
        ));
    }
    let day = auth.amz_date.get(..8).unwrap_or("");
    if auth.scope_date != day {
        complaints.push_str(&format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{}' != '{day}', from '{}'.",
            auth.scope_date, auth.amz_date
        ));
    }
    if complaints.is_empty() {
        Ok(())
    } else {
        Err(AuthError::Invalid(complaints.trim_end().to_string()))
    }
}

/// `Credential should be scoped to correct service: '<service>'. ` when a request for one service was
/// signed for another.
pub fn check_service(auth: &Authorization, expected: &str) -> Result<(), AuthError> {
    if auth.service == expected {
        Ok(())
    } else {
        Err(AuthError::Invalid(format!(
            "Credential should be scoped to correct service: '{expected}'. "
        )))
    }
}

/// The request's date against the server clock: within five minutes either way for the header form;
/// for the query-string form, not before the date (less the skew) and not after its expiry.
pub fn check_clock(auth: &Authorization, now_ms: i64) -> Result<(), AuthError> {
    let signed_ms = parse_amz_date(&auth.amz_date).unwrap_or(0);
    let presigned_for = auth.expires_s.filter(|_| auth.presigned);
    let earliest_ms = match presigned_for {
        Some(expires) => now_ms - expires * 1000,
        None => now_ms - SKEW_MS,
    };
    if signed_ms < earliest_ms {
        let window = match presigned_for {
            Some(expires) => format!("{expires} sec."),
            None => "5 min.".to_string(),
        };
        return Err(AuthError::Invalid(format!(
            "Signature expired: {} is now earlier than {} ({} - {window})",
            auth.amz_date,
            format_amz_date(earliest_ms),
            format_amz_date(now_ms)
        )));
    }
    if signed_ms > now_ms + SKEW_MS {
        return Err(AuthError::Invalid(format!(
            "Signature not yet current: {} is still later than {} ({} + 5 min.)",
            auth.amz_date,
            format_amz_date(now_ms + SKEW_MS),
            format_amz_date(now_ms)
        )));
    }
    Ok(())
}

/// The canonical request of SigV4 for what arrived.
pub fn canonical_request(req: &HttpRequest<'_>, auth: &Authorization) -> Result<String, AuthError> {
    let mut out = String::with_capacity(256 + req.path.len());
    out.push_str(req.method);
    out.push('\n');
    out.push_str(&canonical_uri(req.path));
    out.push('\n');
    out.push_str(&canonical_query(req, auth.presigned));
    out.push('\n');
    for name in &auth.signed_headers {
        out.push_str(name);
        out.push(':');
        push_header_value(&mut out, req.headers, name);
        out.push('\n');
    }
    out.push('\n');
    out.push_str(&auth.signed_headers.join(";"));
    out.push('\n');
    out.push_str(&payload_hash(req)?);
    Ok(out)
}

/// `AWS4-HMAC-SHA256\n<date>\n<scope>\n<hex sha256 of the canonical request>`
pub fn string_to_sign(auth: &Authorization, canonical: &str) -> String {
    format!(
        "{ALGORITHM}\n{}\n{}\n{}",
        auth.amz_date,
        auth.credential_scope(),
        hex(&Sha256::digest(canonical.as_bytes()))
    )
}

/// `kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")`.
pub fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> [u8; 32] {
    let k_date = hmac(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let k_region = hmac(&k_date, region.as_bytes());
    let k_service = hmac(&k_region, service.as_bytes());
    hmac(&k_service, b"aws4_request")
}

/// The hex signature of a string to sign.
pub fn signature(key: &[u8; 32], string_to_sign: &str) -> String {
    hex(&hmac(key, string_to_sign.as_bytes()))
}

/// Compares two signatures without stopping at the first difference.
pub fn same_signature(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The message of a signature mismatch, with the canonical request and string to sign the server used.
pub fn mismatch_message(canonical: &str, string_to_sign: &str) -> String {
    format!(
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.\n\nThe Canonical String for this request should have been\n'{canonical}'\n\nThe String-to-Sign should have been\n'{string_to_sign}'\n"
    )
}

fn hmac(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut mac = match HmacSha256::new_from_slice(key) {
        Ok(mac) => mac,
        // HMAC takes keys of any length.
        Err(_) => return [0; 32],
    };
    mac.update(message);
    mac.finalize().into_bytes().into()
}

fn hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(HEX[(b >> 4) as usize] as char);
        out.push(HEX[(b & 0xf) as usize] as char);
    }
    out
}

/// The path with dot segments and empty segments removed (as SDKs normalise it before signing), then
/// percent-encoded again, `/` kept.
fn canonical_uri(path: &str) -> String {
    if path == "/" {
        return "/".into();
    }
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    let mut normalized = String::from("/");
    normalized.push_str(&segments.join("/"));
    if path.ends_with('/') && !segments.is_empty() {
        normalized.push('/');
    }
    uri_encode(&normalized, false)
}

/// Query parameters decoded, encoded the SigV4 way, sorted by name and value; `X-Amz-Signature` left out of
/// a presigned request.
fn canonical_query(req: &HttpRequest<'_>, presigned: bool) -> String {
    let mut pairs: Vec<(String, String)> = req
        .query_params()
        .into_iter()
        .filter(|(k, _)| !(presigned && k == "X-Amz-Signature"))
        .map(|(k, v)| (uri_encode(&k, true), uri_encode(&v, true)))
        .collect();
    pairs.sort();
    let parts: Vec<String> = pairs.into_iter().map(|(k, v)| format!("{k}={v}")).collect();
    parts.join("&")
}

/// All values of a header, trimmed, inner runs of whitespace made one space, joined by `,`, appended to
/// `out`.
fn push_header_value(out: &mut String, headers: &HeaderMap, name: &str) {
    for (i, value) in headers.get_all(name).iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let text = String::from_utf8_lossy(value.as_bytes());
        for (j, word) in text.split_whitespace().enumerate() {
            if j > 0 {
                out.push(' ');
            }
            out.push_str(word);
        }
    }
}

/// The payload's hash: `X-Amz-Content-Sha256` when sent (it must match the body), else the body's.
fn payload_hash(req: &HttpRequest<'_>) -> Result<String, AuthError> {
    let computed = if req.body.is_empty() {
        EMPTY_SHA256.to_string()
    } else {
        hex(&Sha256::digest(req.body))
    };
    match req.header("x-amz-content-sha256") {
        Some("UNSIGNED-PAYLOAD") => Ok("UNSIGNED-PAYLOAD".into()),
        Some(declared) if !declared.eq_ignore_ascii_case(&computed) => Err(AuthError::Invalid(
            "The provided 'x-amz-content-sha256' header does not match what was computed.".into(),
        )),
        Some(declared) => Ok(declared.to_string()),
        None => Ok(computed),
    }
}

/// Percent-encodes everything but `A-Z a-z 0-9 - _ . ~` (and `/` unless `slash` is set).
pub fn uri_encode(text: &str, slash: bool) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b'/' if !slash => out.push('/'),
            _ => {
                out.push('%');
                out.push(HEX[usize::from(b >> 4)] as char);
                out.push(HEX[usize::from(b & 0xf)] as char);
            }
        }
    }
    out
}

/// Decodes `%XX` escapes; other bytes (`+` included) stay as they are.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex_at = |j: usize| bytes.get(j).and_then(|b| (*b as char).to_digit(16));
        if bytes[i] == b'%'
            && let (Some(h), Some(l)) = (hex_at(i + 1), hex_at(i + 2))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Epoch milliseconds of `YYYYMMDDTHHMMSSZ`.
pub fn parse_amz_date(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let digits = |range: std::ops::Range<usize>| -> Option<i64> {
        let s = text.get(range)?;
        s.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| s.parse().ok())?
    };
    let (year, month, day) = (digits(0..4)?, digits(4..6)?, digits(6..8)?);
    let (hour, minute, second) = (digits(9..11)?, digits(11..13)?, digits(13..15)?);
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let days = days_from_civil(year, month, day);
    Some(((days * 24 + hour) * 60 + minute) * 60_000 + second * 1000)
}

/// `YYYYMMDDTHHMMSSZ` of epoch milliseconds.
pub fn format_amz_date(epoch_ms: i64) -> String {
    let label = eddy_model::time::stream_label(epoch_ms);
    // `YYYY-MM-DDTHH:MM:SS.mmm` → `YYYYMMDDTHHMMSSZ`
    let compact: String = label
        .chars()
        .take(19)
        .filter(|c| *c != '-' && *c != ':')
        .collect();
    format!("{compact}Z")
}

fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = if month > 2 { month - 3 } else { month + 9 };
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests;
