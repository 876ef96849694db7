//! DynamoDB's number type: a decimal with up to 38 significant digits and a magnitude between 1E-130 and
//! 9.99…E+125, kept exactly (never as a float). This module owns parsing with DynamoDB's error texts, the
//! canonical text DynamoDB returns (`"1.50"` is returned as `"1.5"`, `"1E+2"` as `"100"`), ordering, the exact
//! addition and subtraction that `SET a = a + :v` and `ADD` need, and an order-preserving byte encoding for keys.

use std::cmp::Ordering;
use std::fmt;

/// Most significant digits DynamoDB stores.
pub const MAX_DIGITS: usize = 38;
/// Largest decimal exponent (scientific notation) DynamoDB accepts: 9.99…E+125.
const MAX_SCI_EXP: i32 = 125;
/// Smallest decimal exponent (scientific notation) DynamoDB accepts: 1E-130.
const MIN_SCI_EXP: i32 = -130;

/// Which of DynamoDB's two layers of value checks reads a number (and, in `value`, words a set's errors).
/// DynamoDB runs the current layer for PutItem, UpdateItem, DeleteItem, GetItem, BatchGetItem and Query, and
/// the older one for BatchWriteItem, the transactions and Scan (recorded against AWS in four regions, 2026-10).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ValueLayer {
    /// Reads an exponent as a 64-bit integer and range-checks it in full (`1e2147483648` overflows); names an
    /// unconvertible text even when it is empty.
    #[default]
    Current,
    /// Reads numbers as Java's `BigDecimal` does: an exponent beyond 32 bits is not a number, and the magnitude
    /// is computed in 32-bit arithmetic (so `1e2147483647` wraps to an underflow); an empty text is not named.
    Older,
}

/// Why a string is not a DynamoDB number. `Display` gives DynamoDB's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NumberError {
    /// Not a decimal number at all, named in the message (empty strings included, in the current layer).
    NotNumeric(String),
    /// An empty string, as the older layer reports it: without naming it.
    Blank,
    Overflow,
    Underflow,
    TooManyDigits,
}

impl fmt::Display for NumberError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NumberError::Blank => {
                f.write_str("The parameter cannot be converted to a numeric value")
            }
            NumberError::NotNumeric(s) => {
                write!(f, "The parameter cannot be converted to a numeric value: {s}")
            }
            NumberError::Overflow => f.write_str(
                "Number overflow. Attempting to store a number with magnitude larger than supported range",
            ),
            NumberError::Underflow => f.write_str(
                "Number underflow. Attempting to store a number with magnitude smaller than supported range",
            ),
            NumberError::TooManyDigits => {
                f.write_str("Attempting to store more than 38 significant digits in a Number")
            }
        }
    }
}

impl std::error::Error for NumberError {}

/// An exact decimal: `(-1)^negative × 0.d₁d₂…dₙ × 10^exponent`, with `digits` holding d₁…dₙ as values 0–9,
/// no leading or trailing zeros. Zero has no digits (and is never negative). Two equal numbers have equal
/// representations, so the derived `Eq`/`Hash` are numeric equality.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Number {
    negative: bool,
    exponent: i32,
    digits: Box<[u8]>,
}

impl Number {
    pub fn zero() -> Number {
        Number {
            negative: false,
            exponent: 0,
            digits: Box::new([]),
        }
    }

    pub fn is_zero(&self) -> bool {
        self.digits.is_empty()
    }

    pub fn is_negative(&self) -> bool {
        self.negative
    }

    /// Parses with DynamoDB's grammar (Java `BigDecimal`: optional sign, digits with an optional fraction,
    /// optional exponent) and checks its limits, as DynamoDB's current layer of checks does.
    pub fn parse(text: &str) -> Result<Number, NumberError> {
        Self::parse_in(text, ValueLayer::Current)
    }

    /// [`Number::parse`] as the given layer of DynamoDB's checks reads numbers.
    pub fn parse_in(text: &str, layer: ValueLayer) -> Result<Number, NumberError> {
        let number = Self::parse_unchecked(text, layer)?;
        number.check_limits()?;
        Ok(number)
    }

    /// The representation: sign, exponent and significant digits (values 0–9) of `0.d₁d₂… × 10^exponent`.
    pub fn parts(&self) -> (bool, i32, &[u8]) {
        (self.negative, self.exponent, &self.digits)
    }

    /// Rebuilds a number from [`Number::parts`]; `None` if the parts are not in normal form.
    pub fn from_parts(negative: bool, exponent: i32, digits: &[u8]) -> Option<Number> {
        let normal = digits.iter().all(|&d| d <= 9)
            && digits.first().is_none_or(|&d| d != 0)
            && digits.last().is_none_or(|&d| d != 0)
            && !(digits.is_empty() && (negative || exponent != 0));
        normal.then(|| Number {
            negative,
            exponent,
            digits: digits.into(),
        })
    }

    /// Builds from an integer (used for counters, sizes, TTL).
    pub fn from_i64(value: i64) -> Number {
        Self::parse_unchecked(&value.to_string(), ValueLayer::Current)
            .unwrap_or_else(|_| Number::zero())
    }

    /// The number as `i64` if it is an integer in range.
    pub fn to_i64(&self) -> Option<i64> {
        if self.is_zero() {
            return Some(0);
        }
        if self.exponent < self.digits.len() as i32 || self.exponent > 19 {
            return None;
        }
        let mut value: i64 = 0;
        for i in 0..self.exponent as usize {
            let d = self.digits.get(i).copied().unwrap_or(0) as i64;
            value = value.checked_mul(10)?.checked_add(d)?;
        }
        Some(if self.negative { -value } else { value })
    }

    /// The number as a float, for comparisons with wall-clock times (TTL) only.
    pub fn to_f64(&self) -> f64 {
        self.canonical().parse().unwrap_or(0.0)
    }

    /// The number a text denotes, its limits unchecked — except a zero's, whose exponent is not kept.
    fn parse_unchecked(text: &str, layer: ValueLayer) -> Result<Number, NumberError> {
        let not_numeric = || match layer {
            ValueLayer::Older if text.is_empty() => NumberError::Blank,
            _ => NumberError::NotNumeric(text.to_string()),
        };
        let bytes = text.as_bytes();
        let mut pos = 0;
        let mut negative = false;
        if let Some(&sign) = bytes.first()
            && (sign == b'-' || sign == b'+')
        {
            negative = sign == b'-';
            pos = 1;
        }
        let mut digits: Vec<u8> = Vec::with_capacity(bytes.len());
        let mut int_digits: i64 = 0;
        let mut seen_digit = false;
        let mut seen_point = false;
        while pos < bytes.len() {
            match bytes[pos] {
                b @ b'0'..=b'9' => {
                    seen_digit = true;
                    digits.push(b - b'0');
                    if !seen_point {
                        int_digits += 1;
                    }
                }
                b'.' if !seen_point => seen_point = true,
                b'e' | b'E' => break,
                _ => return Err(not_numeric()),
            }
            pos += 1;
        }
        if !seen_digit {
            return Err(not_numeric());
        }
        let mut exp_adjust: i64 = 0;
        if pos < bytes.len() {
            // Exponent part.
            pos += 1;
            let mut exp_negative = false;
            if let Some(&sign) = bytes.get(pos)
                && (sign == b'-' || sign == b'+')
            {
                exp_negative = sign == b'-';
                pos += 1;
            }
            if pos >= bytes.len() {
                return Err(not_numeric());
            }
            // Beyond 64 bits (the current layer) or 32 bits (the older layer, as Java's BigDecimal) the text is
            // not a number at all.
            for &b in &bytes[pos..] {
                if !b.is_ascii_digit() {
                    return Err(not_numeric());
                }
                let digit = i64::from(b - b'0');
                exp_adjust = exp_adjust
                    .checked_mul(10)
                    .and_then(|e| e.checked_add(digit))
                    .ok_or_else(not_numeric)?;
            }
            if exp_negative {
                exp_adjust = -exp_adjust;
            }
            if layer == ValueLayer::Older && i32::try_from(exp_adjust).is_err() {
                return Err(not_numeric());
            }
        }
        // Strip leading zeros (each shifts the exponent down) and trailing zeros.
        let leading = digits.iter().take_while(|&&d| d == 0).count();
        let trailing = digits[leading..]
            .iter()
            .rev()
            .take_while(|&&d| d == 0)
            .count();
        let significant = &digits[leading..digits.len() - trailing];
        if significant.is_empty() {
            // A zero keeps the exponent it was written with (as a BigDecimal does), and DynamoDB holds that
            // to the same range as any other number's: `0e126` overflows, `0e-131` underflows.
            let fraction_digits = digits.len() as i64 - int_digits;
            let written = exp_adjust.saturating_sub(fraction_digits);
            if written > i64::from(MAX_SCI_EXP) {
                return Err(NumberError::Overflow);
            }
            if written < i64::from(MIN_SCI_EXP) {
                return Err(NumberError::Underflow);
            }
            return Ok(Number::zero());
        }
        let magnitude = int_digits - leading as i64;
        let exponent = match layer {
            ValueLayer::Current => magnitude.saturating_add(exp_adjust),
            // BigDecimal's 32-bit arithmetic, wrapping as it does.
            ValueLayer::Older => i64::from((magnitude as i32).wrapping_add(exp_adjust as i32)),
        };
        // Anything past ±2·10⁹ is out of range either way; clamping keeps the sign of the fault.
        let exponent = exponent.clamp(-2_000_000_000, 2_000_000_000);
        Ok(Number {
            negative,
            exponent: exponent as i32,
            digits: significant.into(),
        })
    }

    /// DynamoDB's limits, in the order DynamoDB reports them.
    fn check_limits(&self) -> Result<(), NumberError> {
        if self.is_zero() {
            return Ok(());
        }
        let sci_exp = self.exponent - 1;
        if sci_exp > MAX_SCI_EXP {
            return Err(NumberError::Overflow);
        }
        if sci_exp < MIN_SCI_EXP {
            return Err(NumberError::Underflow);
        }
        if self.digits.len() > MAX_DIGITS {
            return Err(NumberError::TooManyDigits);
        }
        Ok(())
    }

    /// The text DynamoDB returns: plain notation, no exponent, no superfluous zeros.
    pub fn canonical(&self) -> String {
        let mut out = String::with_capacity(self.digits.len() + 4);
        self.write_canonical(&mut out);
        out
    }

    fn write_canonical(&self, out: &mut String) {
        if self.is_zero() {
            out.push('0');
            return;
        }
        if self.negative {
            out.push('-');
        }
        let n = self.digits.len() as i32;
        let e = self.exponent;
        let push_digit = |out: &mut String, d: u8| out.push((b'0' + d) as char);
        if e <= 0 {
            out.push_str("0.");
            for _ in 0..(-e) {
                out.push('0');
            }
            for &d in self.digits.iter() {
                push_digit(out, d);
            }
        } else if e >= n {
            for &d in self.digits.iter() {
                push_digit(out, d);
            }
            for _ in 0..(e - n) {
                out.push('0');
            }
        } else {
            for (i, &d) in self.digits.iter().enumerate() {
                if i as i32 == e {
                    out.push('.');
                }
                push_digit(out, d);
            }
        }
    }

    /// Exact sum, checked against DynamoDB's limits. A sum that needs more than 38 significant digits (`1e50 +
    /// 1`) is reported as an overflow, as DynamoDB words it for arithmetic (Alternator's suite, run against AWS);
    /// a number written with too many digits keeps [`NumberError::TooManyDigits`].
    pub fn checked_add(&self, other: &Number) -> Result<Number, NumberError> {
        let sum = add_exact(self, other);
        sum.check_limits().map_err(|e| match e {
            NumberError::TooManyDigits => NumberError::Overflow,
            other => other,
        })?;
        Ok(sum)
    }

    /// Exact difference, checked against DynamoDB's limits.
    pub fn checked_sub(&self, other: &Number) -> Result<Number, NumberError> {
        self.checked_add(&other.negated())
    }

    pub fn negated(&self) -> Number {
        let mut n = self.clone();
        if !n.is_zero() {
            n.negative = !n.negative;
        }
        n
    }

    /// Appends an encoding whose bytewise order is numeric order and which is self-delimiting (never a
    /// prefix of another number's encoding), so it can be a component of a composite key.
    pub fn encode_ordered(&self, out: &mut Vec<u8>) {
        if self.is_zero() {
            out.push(0x02);
            return;
        }
        let start = out.len();
        out.push(if self.negative { 0x01 } else { 0x03 });
        // Bias the exponent so that its big-endian bytes sort numerically.
        let biased = (self.exponent as i64 + (1i64 << 31)) as u32;
        out.extend_from_slice(&biased.to_be_bytes());
        out.extend(self.digits.iter().map(|d| d + 1));
        out.push(0x00);
        if self.negative {
            for b in &mut out[start + 1..] {
                *b = !*b;
            }
        }
    }

    /// Size in bytes as DynamoDB counts it towards the item size: its base-100 storage, one byte per pair of
    /// significant digits (pairs aligned on the decimal point), one for the exponent, one more if negative.
    pub fn dynamo_size(&self) -> usize {
        Number::dynamo_size_of_parts(self.negative, self.exponent, self.digits.len())
    }

    /// [`Number::dynamo_size`] of the number with these [`Number::parts`] (`digits` significant digits).
    pub fn dynamo_size_of_parts(negative: bool, exponent: i32, digits: usize) -> usize {
        if digits == 0 {
            return 1;
        }
        let sci_exp = exponent - 1;
        let unaligned = digits % 2 == 1 || sci_exp % 2 != 0;
        1 + digits.div_ceil(2) + usize::from(!unaligned) + usize::from(negative)
    }

    fn cmp_magnitude(&self, other: &Number) -> Ordering {
        match (self.is_zero(), other.is_zero()) {
            (true, true) => return Ordering::Equal,
            (true, false) => return Ordering::Less,
            (false, true) => return Ordering::Greater,
            _ => {}
        }
        self.exponent
            .cmp(&other.exponent)
            .then_with(|| self.digits.cmp(&other.digits))
    }
}

/// Exact addition of two decimals, no limit checks.
fn add_exact(a: &Number, b: &Number) -> Number {
    if a.is_zero() {
        return b.clone();
    }
    if b.is_zero() {
        return a.clone();
    }
    // Align both on a common lowest exponent: value = int × 10^low, int as a little-endian digit vector.
    let low = (a.exponent - a.digits.len() as i32).min(b.exponent - b.digits.len() as i32);
    let high = a.exponent.max(b.exponent);
    let width = (high - low) as usize + 1;
    let spread = |n: &Number| -> Vec<i32> {
        let mut v = vec![0i32; width];
        let shift = (n.exponent - n.digits.len() as i32 - low) as usize;
        for (i, &d) in n.digits.iter().rev().enumerate() {
            v[shift + i] = d as i32;
        }
        v
    };
    let (va, vb) = (spread(a), spread(b));
    let (big, small, negative) = if a.negative == b.negative {
        (va, vb, a.negative)
    } else if a.cmp_magnitude(b) == Ordering::Less {
        (vb, va, b.negative)
    } else {
        (va, vb, a.negative)
    };
    let subtract = a.negative != b.negative;
    let mut result = vec![0i32; width];
    let mut carry = 0;
    for i in 0..width {
        let mut d = if subtract {
            big[i] - small[i] + carry
        } else {
            big[i] + small[i] + carry
        };
        carry = 0;
        if d < 0 {
            d += 10;
            carry = -1;
        } else if d >= 10 {
            d -= 10;
            carry = 1;
        }
        result[i] = d;
    }
    // Result digits, most significant first, as text "digits × 10^low" re-parsed through the normaliser.
    let mut text = String::with_capacity(width + 8);
    if negative {
        text.push('-');
    }
    for &d in result.iter().rev() {
        text.push((b'0' + d as u8) as char);
    }
    text.push_str(&format!("E{low}"));
    Number::parse_unchecked(&text, ValueLayer::Current).unwrap_or_else(|_| Number::zero())
}

impl Ord for Number {
    fn cmp(&self, other: &Number) -> Ordering {
        match (self.negative, other.negative) {
            (false, true) => Ordering::Greater,
            (true, false) => Ordering::Less,
            (false, false) => self.cmp_magnitude(other),
            (true, true) => other.cmp_magnitude(self),
        }
    }
}

impl PartialOrd for Number {
    fn partial_cmp(&self, other: &Number) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::new();
        self.write_canonical(&mut s);
        f.write_str(&s)
    }
}

impl fmt::Debug for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Number({self})")
    }
}

impl std::str::FromStr for Number {
    type Err = NumberError;
    fn from_str(s: &str) -> Result<Number, NumberError> {
        Number::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Number {
        Number::parse(s).unwrap()
    }

    #[test]
    fn a_zero_keeps_its_written_exponent_in_range_and_huge_exponents_are_not_numbers() {
        // As DynamoDB answers (conformance results recorded against AWS, 2026).
        assert_eq!(Number::parse("0e126"), Err(NumberError::Overflow));
        assert_eq!(Number::parse("0e-131"), Err(NumberError::Underflow));
        assert_eq!(Number::parse("0.0e-130"), Err(NumberError::Underflow));
        assert_eq!(n("0e125").canonical(), "0");
        assert_eq!(n("0.00e-128").canonical(), "0");
        assert_eq!(
            Number::parse("1e9223372036854775808").map_err(|e| e.to_string()),
            Err(
                "The parameter cannot be converted to a numeric value: 1e9223372036854775808"
                    .into()
            )
        );
        assert_eq!(Number::parse("1e2147483647"), Err(NumberError::Overflow));
    }

    #[test]
    fn each_layer_reads_exponents_and_empty_texts_its_own_way() {
        // As DynamoDB's two layers answer (valueLayers and numberExponent results, four regions, 2026-10).
        let (current, older) = (ValueLayer::Current, ValueLayer::Older);
        for (text, want) in [
            ("1e2147483647", NumberError::Overflow),
            ("1e2147483648", NumberError::Overflow),
            ("1e99999999999", NumberError::Overflow),
            ("-1e99999999999", NumberError::Overflow),
            ("1e-99999999999", NumberError::Underflow),
            ("1e-2147483648", NumberError::Underflow),
            ("", NumberError::NotNumeric(String::new())),
        ] {
            assert_eq!(Number::parse_in(text, current), Err(want), "{text}");
        }
        for (text, want) in [
            ("1e2147483647", NumberError::Underflow),
            ("1e2147483646", NumberError::Overflow),
            (
                "1e2147483648",
                NumberError::NotNumeric("1e2147483648".into()),
            ),
            ("", NumberError::Blank),
            ("1e126", NumberError::Overflow),
        ] {
            assert_eq!(Number::parse_in(text, older), Err(want), "{text}");
        }
        // Exponents at the edge of 64 bits never overflow the arithmetic.
        assert_eq!(
            Number::parse_in("0.00e-9223372036854775807", current),
            Err(NumberError::Underflow)
        );
        assert_eq!(
            Number::parse_in("12.5e-9223372036854775807", current),
            Err(NumberError::Underflow)
        );
        assert_eq!(
            Number::parse_in("12.5e9223372036854775807", current),
            Err(NumberError::Overflow)
        );
        assert_eq!(
            NumberError::NotNumeric(String::new()).to_string(),
            "The parameter cannot be converted to a numeric value: "
        );
        assert_eq!(
            NumberError::Blank.to_string(),
            "The parameter cannot be converted to a numeric value"
        );
    }

    #[test]
    fn canonical_text_matches_dynamodb() {
        for (input, out) in [
            ("1.50", "1.5"),
            ("1E+2", "100"),
            ("1e2", "100"),
            ("-0", "0"),
            ("0.000", "0"),
            ("1e-5", "0.00001"),
            ("007", "7"),
            ("-12.340", "-12.34"),
            (".5", "0.5"),
            ("5.", "5"),
            ("+3", "3"),
            ("123.456e1", "1234.56"),
        ] {
            assert_eq!(n(input).canonical(), out, "{input}");
        }
    }

    #[test]
    fn rejects_non_numbers_and_limits() {
        for bad in [
            "", "abc", "1.2.3", "e5", "1e", "--1", "1 ", "0x10", "NaN", "Infinity",
        ] {
            assert!(
                matches!(Number::parse(bad), Err(NumberError::NotNumeric(_))),
                "{bad}"
            );
        }
        assert_eq!(Number::parse("1e126"), Err(NumberError::Overflow));
        assert!(Number::parse("9.9999999999999999999999999999999999999e125").is_ok());
        assert_eq!(Number::parse("1e-131"), Err(NumberError::Underflow));
        assert!(Number::parse("1e-130").is_ok());
        assert_eq!(
            Number::parse("1234567890123456789012345678901234567890"),
            Err(NumberError::TooManyDigits)
        );
        assert!(Number::parse("12345678901234567890123456789012345678").is_ok());
        assert_eq!(
            NumberError::NotNumeric("x".into()).to_string(),
            "The parameter cannot be converted to a numeric value: x"
        );
    }

    #[test]
    fn ordering_is_numeric() {
        let sorted = [
            "-1e10", "-100", "-1.5", "-1", "-0.001", "0", "1e-100", "0.5", "1", "1.05", "2", "10",
            "1e20",
        ];
        for w in sorted.windows(2) {
            assert!(n(w[0]) < n(w[1]), "{} < {}", w[0], w[1]);
            let (mut a, mut b) = (Vec::new(), Vec::new());
            n(w[0]).encode_ordered(&mut a);
            n(w[1]).encode_ordered(&mut b);
            assert!(a < b, "encoded {} < {}", w[0], w[1]);
        }
        assert_eq!(n("1.0"), n("1"));
    }

    #[test]
    fn exact_arithmetic() {
        assert_eq!(n("0.1").checked_add(&n("0.2")).unwrap().canonical(), "0.3");
        assert_eq!(n("5").checked_sub(&n("7")).unwrap().canonical(), "-2");
        assert_eq!(n("-5").checked_add(&n("5")).unwrap().canonical(), "0");
        assert_eq!(n("999").checked_add(&n("1")).unwrap().canonical(), "1000");
        assert_eq!(
            n("1e20").checked_add(&n("-1")).unwrap().canonical(),
            "99999999999999999999"
        );
        // DynamoDB words a sum beyond 38 digits as an overflow.
        assert_eq!(
            n("1e30").checked_add(&n("1e-10")),
            Err(NumberError::Overflow)
        );
        assert_eq!(
            n("9.9999999999999999999999999999999999999e125").checked_add(&n("1e125")),
            Err(NumberError::Overflow)
        );
    }

    #[test]
    fn integers_round_trip() {
        assert_eq!(n("1700000000").to_i64(), Some(1_700_000_000));
        assert_eq!(n("-42").to_i64(), Some(-42));
        assert_eq!(n("1.5").to_i64(), None);
        assert_eq!(Number::from_i64(-17).canonical(), "-17");
    }
}
