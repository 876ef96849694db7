//! Dates as policies and request contexts write them. Date condition operators accept ISO 8601 date-times
//! (`2024-01-01`, `2024-01-01T00:00:00Z`, `2016-12-13T21:20:37.593194+00:00`) and epoch seconds (`1704067200`);
//! `aws:CurrentTime` is an ISO date-time in UTC, `aws:EpochTime` epoch seconds. Everything is reduced to epoch
//! milliseconds, without a date-time dependency.
//!
//! Separately, [`legacy_date_ok`] is IAM's stricter-and-odder acceptance test for the values of `Date*`
//! conditions when a policy is stored: a value that fails it is refused with `The policy failed legacy
//! parsing`.

const MS_PER_DAY: i64 = 86_400_000;

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(month);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Days since 1970-01-01 → (year, month, day).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400;
    (if month <= 2 { year + 1 } else { year }, month, day)
}

/// `2024-01-01T00:00:00Z`, the shape of `aws:CurrentTime`.
pub fn format_iso(epoch_ms: i64) -> String {
    let days = epoch_ms.div_euclid(MS_PER_DAY);
    let secs = epoch_ms.rem_euclid(MS_PER_DAY) / 1000;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// A date as policies write it, in epoch milliseconds: epoch seconds when the text is all digits, an ISO 8601
/// date or date-time otherwise. `None` when it is neither.
pub fn parse_date_ms(text: &str) -> Option<i64> {
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return text.parse::<i64>().ok()?.checked_mul(1000);
    }
    parse_iso_ms(text)
}

fn parse_iso_ms(text: &str) -> Option<i64> {
    let (date, time) = match text.find(['T', 't']) {
        Some(at) => (&text[..at], Some(&text[at + 1..])),
        None => (text, None),
    };
    let days = parse_iso_date(date)?;
    let ms_of_day = match time {
        Some(time) => parse_iso_time(time)?,
        None => 0,
    };
    days.checked_mul(MS_PER_DAY)?.checked_add(ms_of_day)
}

/// `YYYY`, `YYYY-MM` or `YYYY-MM-DD` → days since the epoch.
fn parse_iso_date(date: &str) -> Option<i64> {
    let mut fields = date.split('-');
    let year = digits(fields.next()?)?;
    let month = fields.next().map_or(Some(1), digits)?;
    let day = fields.next().map_or(Some(1), digits)?;
    if fields.next().is_some() || !(1..=12).contains(&month) || day < 1 {
        return None;
    }
    let month = u32::try_from(month).ok()?;
    let day = u32::try_from(day).ok()?;
    if day > days_in_month(year, month) {
        return None;
    }
    Some(days_from_civil(year, month, day))
}

fn days_in_month(year: i64, month: u32) -> u32 {
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// `hh[:mm[:ss[.fff…]]]` followed by `Z`, `±hh`, `±hh:mm`, `±hhmm` or nothing (UTC) → milliseconds from
/// midnight UTC (negative or past a day when the offset carries it over, which the caller's sum handles).
fn parse_iso_time(time: &str) -> Option<i64> {
    let zone_at = time.find(['Z', 'z', '+', '-']).unwrap_or(time.len());
    let (clock, zone) = time.split_at(zone_at);
    Some(parse_clock(clock)? - parse_zone(zone)?)
}

fn parse_clock(clock: &str) -> Option<i64> {
    let mut fields = clock.split(':');
    let hours = digits(fields.next()?)?;
    let minutes = fields.next().map_or(Some(0), digits)?;
    let (seconds, millis) = match fields.next() {
        Some(seconds) => parse_seconds(seconds)?,
        None => (0, 0),
    };
    if fields.next().is_some() || hours > 24 || minutes > 59 || seconds > 60 {
        return None;
    }
    Some(((hours * 60 + minutes) * 60 + seconds) * 1000 + millis)
}

/// `ss` or `ss.fraction` → (seconds, milliseconds), the fraction truncated to milliseconds.
fn parse_seconds(text: &str) -> Option<(i64, i64)> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let seconds = digits(whole)?;
    if !fraction.bytes().all(|b| b.is_ascii_digit()) || (text.contains('.') && fraction.is_empty())
    {
        return None;
    }
    let millis = fraction
        .bytes()
        .chain(std::iter::repeat(b'0'))
        .take(3)
        .fold(0, |acc, b| acc * 10 + i64::from(b - b'0'));
    Some((seconds, millis))
}

/// The zone suffix → its offset east of UTC in milliseconds.
fn parse_zone(zone: &str) -> Option<i64> {
    let (sign, rest) = match zone.as_bytes().first() {
        None => return Some(0),
        Some(b'Z' | b'z') if zone.len() == 1 => return Some(0),
        Some(b'+') => (1, &zone[1..]),
        Some(b'-') => (-1, &zone[1..]),
        _ => return None,
    };
    let (hours, minutes) = match rest.split_once(':') {
        Some((h, m)) => (h, m),
        None if rest.len() == 4 && rest.is_char_boundary(2) => rest.split_at(2),
        None => (rest, "00"),
    };
    if hours.len() != 2 || minutes.len() != 2 {
        return None;
    }
    let (hours, minutes) = (digits(hours)?, digits(minutes)?);
    if hours > 23 || minutes > 59 {
        return None;
    }
    Some(sign * (hours * 60 + minutes) * 60_000)
}

/// One or more ASCII digits as a number.
fn digits(text: &str) -> Option<i64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// IAM's legacy acceptance test for one value of a `Date*` condition. A value with a `T` or a `-` is read as
/// an ISO date-time with IAM's ranges (years −292275054 to 292278993, fractions of up to nine digits, zone
/// hours of exactly two digits); anything else must be epoch seconds between 0 and 2⁶³−1.
pub fn legacy_date_ok(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    if lower.contains('t') || lower.contains('-') {
        legacy_iso_ok(&lower)
    } else {
        signed_int(&lower).is_some_and(|n| n >= 0)
    }
}

fn legacy_iso_ok(value: &str) -> bool {
    let (date, time) = value.split_once('t').unwrap_or((value, ""));
    legacy_date_part_ok(date) && legacy_time_part_ok(time)
}

fn legacy_date_part_ok(date: &str) -> bool {
    let (negative, rest) = match date.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, date),
    };
    let fields: Vec<&str> = rest.split('-').collect();
    let year = fields.first().and_then(|y| signed_int(y));
    let year_ok = year
        .map(|y| if negative { -y } else { y })
        .is_some_and(|y| (-292_275_054..=292_278_993).contains(&y));
    let in_range = |at: usize, max: i64| {
        fields
            .get(at)
            .is_none_or(|f| signed_int(f).is_some_and(|n| (1..=max).contains(&n)))
    };
    year_ok && in_range(1, 12) && in_range(2, 31) && fields.len() < 4
}

fn legacy_time_part_ok(time: &str) -> bool {
    let fields: Vec<&str> = time.split(':').collect();
    let in_range = |text: &str, max: i64| signed_int(text).is_some_and(|n| (0..=max).contains(&n));
    let hours_ok = fields
        .first()
        .is_none_or(|h| h.is_empty() || in_range(h, 23));
    let minutes_ok = fields.get(1).is_none_or(|m| in_range(m, 59));
    let seconds_ok = fields.get(2).is_none_or(|s| legacy_seconds_ok(s));
    hours_ok && minutes_ok && seconds_ok
}

/// The third field of a legacy time: `ss[.fraction]` then `z`, `+hh` or (an eddy allowance) `-hh`.
fn legacy_seconds_ok(field: &str) -> bool {
    let seconds = if let Some((seconds, after)) = field.split_once('z') {
        if !after.is_empty() {
            return false;
        }
        seconds
    } else if let Some((seconds, zone)) = field.split_once(['+', '-']) {
        if !legacy_zone_ok(zone) {
            return false;
        }
        seconds
    } else {
        field
    };
    let (whole, fraction) = match seconds.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (seconds, None),
    };
    let whole_ok = signed_int(whole).is_some_and(|n| (0..=59).contains(&n));
    let fraction_ok =
        fraction.is_none_or(|f| signed_int(f).is_some_and(|n| (0..=999_999_999).contains(&n)));
    whole_ok && fraction_ok
}

fn legacy_zone_ok(zone: &str) -> bool {
    let (hours, minutes) = match zone.split_once(':') {
        Some((h, m)) => (h, Some(m)),
        None => (zone, None),
    };
    let two_digits_upto = |text: &str, max: i64| {
        text.len() == 2 && signed_int(text).is_some_and(|n| (0..=max).contains(&n))
    };
    two_digits_upto(hours, 23) && minutes.is_none_or(|m| two_digits_upto(m, 59))
}

/// An optionally signed run of ASCII digits.
fn signed_int(text: &str) -> Option<i64> {
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    if unsigned.is_empty() || !unsigned.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_iso_dates_and_epoch_seconds() {
        assert_eq!(parse_date_ms("0"), Some(0));
        assert_eq!(parse_date_ms("1704067200"), Some(1_704_067_200_000));
        assert_eq!(
            parse_date_ms("2024-01-01T00:00:00Z"),
            Some(1_704_067_200_000)
        );
        assert_eq!(parse_date_ms("2024-01-01"), Some(1_704_067_200_000));
        assert_eq!(
            parse_date_ms("2024-01-01T01:00:00+01:00"),
            Some(1_704_067_200_000)
        );
        assert_eq!(
            parse_date_ms("2023-12-31T19:00:00-05:00"),
            Some(1_704_067_200_000)
        );
        assert_eq!(
            parse_date_ms("2024-01-01T00:00:00.25Z"),
            Some(1_704_067_200_250)
        );
        assert_eq!(
            parse_date_ms("2016-12-13T21:20:37.593194+00:00"),
            Some(1_481_664_037_593)
        );
        assert_eq!(parse_date_ms("2000-02-29T12:30Z"), Some(951_827_400_000));
        assert_eq!(
            parse_date_ms("2024-01-01T00:30:00+0030"),
            Some(1_704_067_200_000)
        );
    }

    #[test]
    fn refuses_what_is_not_a_date() {
        for text in [
            "",
            "tomorrow",
            "2024-13-01",
            "2024-02-30",
            "2024-01-01T25:00:00Z",
            "2024-01-01T00:00:00+1",
            "2024-01-01T00:00:00.Z",
            "2024-01-01T00:00:00Q",
            "99999999999999999999",
            "-5",
            "2024-01-01T00:00:00+aé1",
            "2024-01-01T00:00:00+é",
            "2024-01-01Té",
            "é",
        ] {
            assert_eq!(parse_date_ms(text), None, "{text}");
        }
    }

    #[test]
    fn formats_current_time_like_aws() {
        assert_eq!(format_iso(1_704_067_200_999), "2024-01-01T00:00:00Z");
        assert_eq!(format_iso(951_827_400_000), "2000-02-29T12:30:00Z");
        assert_eq!(format_iso(0), "1970-01-01T00:00:00Z");
    }

    #[test]
    fn legacy_date_check_matches_iams_recorded_answers() {
        // Accepted by IAM (recorded in moto's test table, taken from AWS).
        for ok in [
            "2017-07-01T00:00:00Z",
            "2019-07-01T13:20:15Z",
            "2016-12-13T21:20:37.593194+00:00",
            "2016-12-13t2:00:00.593194+23",
            "01T",
            "-292275054",
            "1704067200",
        ] {
            assert!(legacy_date_ok(ok), "{ok}");
        }
        // Refused with `The policy failed legacy parsing`.
        for bad in [
            "sdfdsf",
            "234-13",
            "2016-12-13t2:00:00.593194+1",
            "2016-12-13t2:00:00.1999999999+10:59",
            "9223372036854775808",
        ] {
            assert!(!legacy_date_ok(bad), "{bad}");
        }
    }
}
