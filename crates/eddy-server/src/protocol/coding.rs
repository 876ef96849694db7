//! Content codings of DynamoDB's JSON calls, as DynamoDB handles them (ScyllaDB's Alternator suite, which runs
//! against AWS, records each rule): a request body may come gzip-compressed (`Content-Encoding: gzip`, several
//! gzip members in a row allowed; anything else, or a body that does not decode, is an internal error and
//! nothing runs), and an answer over 4 KiB is compressed with gzip or deflate (zlib) when `Accept-Encoding`
//! prefers one, its `x-amz-crc32` then covering the compressed bytes.

use std::io::{Read, Write};

use axum::body::Body;
use axum::http::header::{ACCEPT_ENCODING, CONTENT_ENCODING, CONTENT_LENGTH};
use axum::http::{HeaderMap, HeaderValue, Response};
use bytes::Bytes;
use flate2::Compression;
use flate2::read::MultiGzDecoder;
use flate2::write::{GzEncoder, ZlibEncoder};
use http_body_util::BodyExt;

/// Answers up to this many bytes go uncompressed, whatever the client accepts.
pub const COMPRESSION_THRESHOLD: usize = 4096;

/// A coding eddy can compress an answer with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Coding {
    Gzip,
    Deflate,
}

impl Coding {
    fn name(self) -> &'static str {
        match self {
            Coding::Gzip => "gzip",
            Coding::Deflate => "deflate",
        }
    }
}

/// Why a request body could not be decoded.
#[derive(Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// A `Content-Encoding` other than gzip.
    UnknownCoding,
    /// Not valid gzip.
    Corrupt,
    /// Decompresses to more than eddy reads.
    TooLarge,
}

/// The body as the handler reads it: decompressed when `Content-Encoding` says gzip (`identity`, or no header,
/// leaves it as sent). At most `limit` bytes are inflated.
pub fn decoded_body(headers: &HeaderMap, body: Bytes, limit: usize) -> Result<Bytes, DecodeError> {
    let Some(coding) = headers.get(CONTENT_ENCODING) else {
        return Ok(body);
    };
    let coding = coding
        .to_str()
        .map_err(|_| DecodeError::UnknownCoding)?
        .trim();
    if coding.eq_ignore_ascii_case("identity") {
        return Ok(body);
    }
    if !coding.eq_ignore_ascii_case("gzip") {
        return Err(DecodeError::UnknownCoding);
    }
    if body.is_empty() {
        return Err(DecodeError::Corrupt);
    }
    let mut out = Vec::new();
    MultiGzDecoder::new(&body[..])
        .take(limit as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|_| DecodeError::Corrupt)?;
    if out.len() > limit {
        return Err(DecodeError::TooLarge);
    }
    Ok(Bytes::from(out))
}

/// The coding DynamoDB picks for an answer from the request's (last) `Accept-Encoding`: the supported coding
/// with the highest quality above zero, an explicitly named one before one `*` stands for, the earlier named
/// before the later, gzip before deflate under `*`. Names are matched without case; an entry's first `q`
/// counts, capped at 1, and one that does not parse counts as 1; `identity` and unknown codings never win.
pub fn accepted_coding(headers: &HeaderMap) -> Option<Coding> {
    let header = headers
        .get_all(ACCEPT_ENCODING)
        .iter()
        .next_back()?
        .to_str()
        .ok()?;
    let mut wildcard: Option<f64> = None;
    // (quality, position of the first naming) of each coding named explicitly.
    let mut named: [Option<(f64, usize)>; 2] = [None, None];
    for (position, entry) in header.split(',').map(str::trim).enumerate() {
        if entry.is_empty() {
            continue;
        }
        let mut parts = entry.split(';');
        let name = parts.next().unwrap_or_default().trim();
        let quality = parts.find_map(quality_param).unwrap_or(1.0);
        let slot = if name == "*" {
            wildcard = Some(wildcard.map_or(quality, |q| q.max(quality)));
            continue;
        } else if name.eq_ignore_ascii_case("gzip") {
            &mut named[0]
        } else if name.eq_ignore_ascii_case("deflate") {
            &mut named[1]
        } else {
            continue;
        };
        *slot = Some(match *slot {
            Some((q, first)) => (q.max(quality), first),
            None => (quality, position),
        });
    }
    // Rank: quality, then explicit before wildcard, then earlier position; gzip first among equals.
    let candidates = [Coding::Gzip, Coding::Deflate]
        .into_iter()
        .zip(named)
        .filter_map(|(coding, named)| match (named, wildcard) {
            (Some((q, position)), _) => Some((coding, q, 0, position)),
            (None, Some(q)) => Some((coding, q, 1, usize::MAX)),
            (None, None) => None,
        })
        .filter(|(_, q, _, _)| *q > 0.0);
    candidates
        .max_by(|a, b| {
            a.1.total_cmp(&b.1)
                .then(b.2.cmp(&a.2))
                .then(b.3.cmp(&a.3))
                .then((b.0 as u8).cmp(&(a.0 as u8)))
        })
        .map(|(coding, ..)| coding)
}

/// The quality of a `q=…` parameter (`None` for any other parameter).
fn quality_param(param: &str) -> Option<f64> {
    let (key, value) = param.split_once('=')?;
    if key.trim() != "q" {
        return None;
    }
    Some(value.trim().parse::<f64>().map_or(1.0, |q| q.min(1.0)))
}

/// `response` compressed with `coding` when its body is over [`COMPRESSION_THRESHOLD`], with
/// `Content-Encoding` set and `x-amz-crc32` over the compressed bytes.
pub async fn compressed(response: Response<Body>, coding: Coding) -> Response<Body> {
    use axum::body::HttpBody as _;
    let small = response
        .body()
        .size_hint()
        .exact()
        .is_some_and(|n| n as usize <= COMPRESSION_THRESHOLD);
    if small {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(collected) = body.collect().await else {
        return Response::from_parts(parts, Body::empty());
    };
    let bytes = collected.to_bytes();
    if bytes.len() <= COMPRESSION_THRESHOLD {
        return Response::from_parts(parts, Body::from(bytes));
    }
    let Ok(packed) = compress(&bytes, coding) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    parts
        .headers
        .insert(CONTENT_ENCODING, HeaderValue::from_static(coding.name()));
    parts.headers.remove(CONTENT_LENGTH);
    parts.headers.insert(
        super::awsjson::CRC32,
        HeaderValue::from(crc32fast::hash(&packed)),
    );
    Response::from_parts(parts, Body::from(packed))
}

fn compress(bytes: &[u8], coding: Coding) -> std::io::Result<Vec<u8>> {
    let out = Vec::with_capacity(bytes.len() / 4);
    match coding {
        Coding::Gzip => {
            let mut encoder = GzEncoder::new(out, Compression::fast());
            encoder.write_all(bytes)?;
            encoder.finish()
        }
        Coding::Deflate => {
            let mut encoder = ZlibEncoder::new(out, Compression::fast());
            encoder.write_all(bytes)?;
            encoder.finish()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chosen(accept: &str) -> Option<&'static str> {
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT_ENCODING, HeaderValue::from_str(accept).unwrap());
        accepted_coding(&headers).map(Coding::name)
    }

    /// Every case Alternator's suite checks against DynamoDB.
    #[test]
    fn accept_encoding_is_read_as_dynamodb_reads_it() {
        for (accept, expected) in [
            ("identity", None),
            ("", None),
            ("br", None),
            ("zstd", None),
            ("compress", None),
            ("x-gzip", None),
            ("gzip", Some("gzip")),
            ("deflate", Some("deflate")),
            ("gzip, deflate", Some("gzip")),
            ("br, identity, deflate, gzip", Some("deflate")),
            ("GZIP, identity", Some("gzip")),
            ("dog, gzip ,, cat", Some("gzip")),
            ("gzip;q=0.8, deflate;q=0.5", Some("gzip")),
            (
                "br, gzip;q=0, deflate; q = 0.5 , identity;q=0",
                Some("deflate"),
            ),
            ("*", Some("gzip")),
            ("*, deflate;q=0.5", Some("gzip")),
            ("*, deflate", Some("deflate")),
            ("*, identity", Some("gzip")),
            ("*, gzip;q=0.5", Some("deflate")),
            ("gzip ;q=0", None),
            ("identity;q=0", None),
            ("*;q=0", None),
            ("*;q=0.5,identity", Some("gzip")),
            ("gzip;q=0.5,identity;q=0.8", Some("gzip")),
            ("br;q=0.8,identity;q=0.5,*;q=0", None),
            ("\"gzip\"", None),
            ("gzip br", None),
            ("gzip:q=1", None),
            ("deflate;q=0.5, gzip;q=31", Some("gzip")),
            ("gzip;q=31,deflate;q=51", Some("gzip")),
            ("deflate;q=0.5, gzip;q=0.2", Some("deflate")),
            ("deflate;q=0.5, gzip;q=1;q=0.2", Some("gzip")),
            ("deflate;q=0.5,gzip;q=0.", Some("deflate")),
            ("deflate;q=0.5,gzip;q=0.x", Some("gzip")),
            ("deflate;q=-0.5,gzip;q=0.2", Some("gzip")),
            ("gzip;nq=1;q=0 ", None),
            ("gzip;q=0, gzip;q=1, gzip;q=0", Some("gzip")),
            ("br,identity;q=0.5,gzip;q=0.0001", Some("gzip")),
        ] {
            assert_eq!(chosen(accept), expected, "{accept:?}");
        }
    }

    #[test]
    fn gzip_bodies_decode_and_other_codings_do_not() {
        let gz = |text: &[u8]| {
            let mut e = GzEncoder::new(Vec::new(), Compression::fast());
            e.write_all(text).unwrap();
            e.finish().unwrap()
        };
        let with = |coding: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(CONTENT_ENCODING, HeaderValue::from_str(coding).unwrap());
            headers
        };
        let mut two = gz(b"{\"a\":");
        two.extend(gz(b"1}"));
        assert_eq!(
            decoded_body(&with("gzip"), Bytes::from(two), 100).unwrap(),
            Bytes::from_static(b"{\"a\":1}")
        );
        let plain = Bytes::from_static(b"{}");
        assert_eq!(
            decoded_body(&HeaderMap::new(), plain.clone(), 100),
            Ok(plain.clone())
        );
        assert_eq!(
            decoded_body(&with("identity"), plain.clone(), 100),
            Ok(plain.clone())
        );
        assert_eq!(
            decoded_body(&with("gzip"), plain.clone(), 100),
            Err(DecodeError::Corrupt)
        );
        assert_eq!(
            decoded_body(&with("gzip"), Bytes::new(), 100),
            Err(DecodeError::Corrupt)
        );
        assert_eq!(
            decoded_body(&with("garbage"), plain, 100),
            Err(DecodeError::UnknownCoding)
        );
        let mut cut = gz(b"{\"a\":1}");
        cut.pop();
        assert_eq!(
            decoded_body(&with("gzip"), Bytes::from(cut), 100),
            Err(DecodeError::Corrupt)
        );
        assert_eq!(
            decoded_body(&with("gzip"), Bytes::from(gz(&[b' '; 101])), 100),
            Err(DecodeError::TooLarge)
        );
    }
}
