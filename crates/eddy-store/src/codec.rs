//! The binary encoding of items at rest: compact, fast to decode, and independent of the JSON wire form.
//! Layout: an item is a varint attribute count, then (varint name length, name, value) per attribute; a value
//! is a one-byte tag and its payload. Numbers are stored as (sign, exponent, digits), so decoding never parses
//! text. The format is part of the on-disk layout: extend it only with new tags.

use eddy_model::{AttributeMap, AttributeValue, Number};

const TAG_S: u8 = 1;
const TAG_N: u8 = 2;
const TAG_B: u8 = 3;
const TAG_SS: u8 = 4;
const TAG_NS: u8 = 5;
const TAG_BS: u8 = 6;
const TAG_M: u8 = 7;
const TAG_L: u8 = 8;
const TAG_NULL: u8 = 9;
const TAG_TRUE: u8 = 10;
const TAG_FALSE: u8 = 11;

#[derive(Debug, thiserror::Error)]
#[error("corrupt item encoding")]
pub struct CorruptItem;

pub fn encode_item(item: &AttributeMap) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    write_map(item, &mut out);
    out
}

pub fn decode_item(bytes: &[u8]) -> Result<AttributeMap, CorruptItem> {
    read_whole(bytes, Reader::map)
}

/// The size DynamoDB counts for the stored item `bytes` (what `item_size` gives for the decoded item), read
/// straight from the encoding without decoding it.
pub fn encoded_item_size(bytes: &[u8]) -> Result<usize, CorruptItem> {
    read_whole(bytes, Reader::map_size)
}

/// Reads `bytes` with `read`, which must consume all of them.
fn read_whole<'a, T>(
    bytes: &'a [u8],
    read: impl FnOnce(&mut Reader<'a>) -> Result<T, CorruptItem>,
) -> Result<T, CorruptItem> {
    let mut reader = Reader { bytes, pos: 0 };
    let out = read(&mut reader)?;
    if reader.pos != bytes.len() {
        return Err(CorruptItem);
    }
    Ok(out)
}

fn write_varint(mut v: u64, out: &mut Vec<u8>) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn write_bytes(b: &[u8], out: &mut Vec<u8>) {
    write_varint(b.len() as u64, out);
    out.extend_from_slice(b);
}

fn write_number(n: &Number, out: &mut Vec<u8>) {
    let (negative, exponent, digits) = n.parts();
    out.push(negative as u8);
    write_varint(zigzag(exponent), out);
    write_bytes(digits, out);
}

fn zigzag(v: i32) -> u64 {
    ((v << 1) ^ (v >> 31)) as u32 as u64
}

fn unzigzag(v: u64) -> i32 {
    let v = v as u32;
    ((v >> 1) as i32) ^ -((v & 1) as i32)
}

fn write_map(map: &AttributeMap, out: &mut Vec<u8>) {
    write_varint(map.len() as u64, out);
    for (name, value) in map {
        write_bytes(name.as_bytes(), out);
        write_value(value, out);
    }
}

fn write_value(value: &AttributeValue, out: &mut Vec<u8>) {
    match value {
        AttributeValue::S(s) => {
            out.push(TAG_S);
            write_bytes(s.as_bytes(), out);
        }
        AttributeValue::N(n) => {
            out.push(TAG_N);
            write_number(n, out);
        }
        AttributeValue::B(b) => {
            out.push(TAG_B);
            write_bytes(b, out);
        }
        AttributeValue::Ss(v) => {
            out.push(TAG_SS);
            write_varint(v.len() as u64, out);
            v.iter().for_each(|s| write_bytes(s.as_bytes(), out));
        }
        AttributeValue::Ns(v) => {
            out.push(TAG_NS);
            write_varint(v.len() as u64, out);
            v.iter().for_each(|n| write_number(n, out));
        }
        AttributeValue::Bs(v) => {
            out.push(TAG_BS);
            write_varint(v.len() as u64, out);
            v.iter().for_each(|b| write_bytes(b, out));
        }
        AttributeValue::M(m) => {
            out.push(TAG_M);
            write_map(m, out);
        }
        AttributeValue::L(l) => {
            out.push(TAG_L);
            write_varint(l.len() as u64, out);
            l.iter().for_each(|v| write_value(v, out));
        }
        AttributeValue::Null => out.push(TAG_NULL),
        AttributeValue::Bool(true) => out.push(TAG_TRUE),
        AttributeValue::Bool(false) => out.push(TAG_FALSE),
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn byte(&mut self) -> Result<u8, CorruptItem> {
        let b = *self.bytes.get(self.pos).ok_or(CorruptItem)?;
        self.pos += 1;
        Ok(b)
    }

    fn varint(&mut self) -> Result<u64, CorruptItem> {
        let mut v: u64 = 0;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            v |= ((b & 0x7f) as u64) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(CorruptItem)
    }

    fn len(&mut self) -> Result<usize, CorruptItem> {
        // Every element and every byte takes at least one byte, so no honest length exceeds what is left.
        let n = self.varint()? as usize;
        if n > self.bytes.len().saturating_sub(self.pos) {
            return Err(CorruptItem);
        }
        Ok(n)
    }

    fn slice(&mut self) -> Result<&'a [u8], CorruptItem> {
        let n = self.len()?;
        let end = self.pos.checked_add(n).ok_or(CorruptItem)?;
        let s = self.bytes.get(self.pos..end).ok_or(CorruptItem)?;
        self.pos = end;
        Ok(s)
    }

    fn string(&mut self) -> Result<String, CorruptItem> {
        String::from_utf8(self.slice()?.to_vec()).map_err(|_| CorruptItem)
    }

    fn number(&mut self) -> Result<Number, CorruptItem> {
        let negative = self.byte()? != 0;
        let exponent = unzigzag(self.varint()?);
        let digits = self.slice()?;
        Number::from_parts(negative, exponent, digits).ok_or(CorruptItem)
    }

    fn map(&mut self) -> Result<AttributeMap, CorruptItem> {
        let n = self.len()?;
        let mut map = AttributeMap::new();
        for _ in 0..n {
            let name = self.string()?;
            let value = self.value()?;
            map.insert(name, value);
        }
        Ok(map)
    }

    /// `item_size` of the map at the reader, which it skips.
    fn map_size(&mut self) -> Result<usize, CorruptItem> {
        let n = self.len()?;
        self.entries_size(n)
    }

    /// `item_size` of the `n` map entries at the reader, which it skips. Names must be UTF-8, as in `map`.
    fn entries_size(&mut self, n: usize) -> Result<usize, CorruptItem> {
        let mut size = 0;
        for _ in 0..n {
            let name = self.slice()?;
            std::str::from_utf8(name).map_err(|_| CorruptItem)?;
            size += name.len() + self.value_size()?;
        }
        Ok(size)
    }

    /// `dynamo_size` of the value at the reader, which it skips.
    fn value_size(&mut self) -> Result<usize, CorruptItem> {
        Ok(match self.byte()? {
            TAG_S | TAG_B => self.slice()?.len(),
            TAG_N => self.number_size()?,
            TAG_SS | TAG_BS => {
                let n = self.len()?;
                let mut size = 0;
                for _ in 0..n {
                    size += self.slice()?.len();
                }
                size
            }
            TAG_NS => {
                let n = self.len()?;
                let mut size = 0;
                for _ in 0..n {
                    size += self.number_size()?;
                }
                size
            }
            TAG_M => {
                let n = self.len()?;
                3 + n + self.entries_size(n)?
            }
            TAG_L => {
                let n = self.len()?;
                let mut size = 3 + n;
                for _ in 0..n {
                    size += self.value_size()?;
                }
                size
            }
            TAG_NULL | TAG_TRUE | TAG_FALSE => 1,
            _ => return Err(CorruptItem),
        })
    }

    fn number_size(&mut self) -> Result<usize, CorruptItem> {
        let negative = self.byte()? != 0;
        let exponent = unzigzag(self.varint()?);
        let digits = self.slice()?.len();
        Ok(Number::dynamo_size_of_parts(negative, exponent, digits))
    }

    fn value(&mut self) -> Result<AttributeValue, CorruptItem> {
        Ok(match self.byte()? {
            TAG_S => AttributeValue::S(self.string()?),
            TAG_N => AttributeValue::N(self.number()?),
            TAG_B => AttributeValue::B(self.slice()?.to_vec()),
            TAG_SS => {
                let n = self.len()?;
                AttributeValue::Ss((0..n).map(|_| self.string()).collect::<Result<_, _>>()?)
            }
            TAG_NS => {
                let n = self.len()?;
                AttributeValue::Ns((0..n).map(|_| self.number()).collect::<Result<_, _>>()?)
            }
            TAG_BS => {
                let n = self.len()?;
                AttributeValue::Bs(
                    (0..n)
                        .map(|_| self.slice().map(<[u8]>::to_vec))
                        .collect::<Result<_, _>>()?,
                )
            }
            TAG_M => AttributeValue::M(self.map()?),
            TAG_L => {
                let n = self.len()?;
                AttributeValue::L((0..n).map(|_| self.value()).collect::<Result<_, _>>()?)
            }
            TAG_NULL => AttributeValue::Null,
            TAG_TRUE => AttributeValue::Bool(true),
            TAG_FALSE => AttributeValue::Bool(false),
            _ => return Err(CorruptItem),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_nested_items() {
        let item: AttributeMap = serde_json::from_str(
            r#"{"pk":{"S":"a"},"n":{"N":"-12.5e-3"},"b":{"B":"AAEC"},"ss":{"SS":["x","y"]},"ns":{"NS":["1","-2"]},
               "bs":{"BS":["AA=="]},"m":{"M":{"l":{"L":[{"NULL":true},{"BOOL":true},{"BOOL":false},{"S":""}]}}}}"#,
        )
        .unwrap();
        let bytes = encode_item(&item);
        assert_eq!(decode_item(&bytes).unwrap(), item);
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for bytes in [&b""[..], &[1, 1], &[1, 0xff, 0xff], &[5, 1, 3, 0x61, 99]] {
            assert!(decode_item(bytes).is_err());
            assert!(encoded_item_size(bytes).is_err());
        }
    }

    #[test]
    fn the_size_read_from_the_encoding_is_the_item_size() {
        let items = [
            r#"{"pk":{"S":"a"}}"#,
            r#"{"pk":{"S":"key-1"},"payload":{"S":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"},"n":{"N":"0"}}"#,
            r#"{"n1":{"N":"-12.5e-3"},"n2":{"N":"12345678901234567890123456789012345678"},"n3":{"N":"-0.001"},
               "n4":{"N":"10"},"n5":{"N":"1e125"},"n6":{"N":"-1E-130"},"n7":{"N":"5"},"n8":{"N":"55"}}"#,
            r#"{"b":{"B":"AAEC"},"e":{"B":""},"s":{"S":""},"ss":{"SS":["x","yy"]},"ns":{"NS":["1","-2.25","100"]},
               "bs":{"BS":["AA==","AAEC"]}}"#,
            r#"{"m":{"M":{"l":{"L":[{"NULL":true},{"BOOL":true},{"BOOL":false},{"S":""},{"M":{}},{"L":[]}]},
               "deep":{"M":{"x":{"M":{"y":{"N":"-7"}}}}}}},"empty":{"M":{}}}"#,
            r#"{"ünï":{"S":"çödé"},"l":{"L":[{"N":"1"},{"SS":["a"]},{"M":{"k":{"BOOL":false}}}]}}"#,
        ];
        for text in items {
            let item: AttributeMap = serde_json::from_str(text).unwrap();
            let bytes = encode_item(&item);
            assert_eq!(
                encoded_item_size(&bytes).unwrap(),
                eddy_model::item_size(&item),
                "{text}"
            );
        }
    }
}
