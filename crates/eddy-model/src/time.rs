//! Calendar formatting of epoch milliseconds (UTC), without a date-time dependency: the stream label format
//! `YYYY-MM-DDTHH:MM:SS.mmm` and ISO-8601 timestamps with a zone.

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
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

/// `2015-05-20T20:51:10.252` (UTC, no zone suffix), the format of DynamoDB stream labels.
pub fn stream_label(epoch_ms: i64) -> String {
    let days = epoch_ms.div_euclid(86_400_000);
    let ms_of_day = epoch_ms.rem_euclid(86_400_000);
    let (y, m, d) = civil_from_days(days);
    let (h, min, s, ms) = (
        ms_of_day / 3_600_000,
        ms_of_day / 60_000 % 60,
        ms_of_day / 1000 % 60,
        ms_of_day % 1000,
    );
    format!("{y:04}-{m:02}-{d:02}T{h:02}:{min:02}:{s:02}.{ms:03}")
}

/// `2015-05-20T20:51:10.252Z`
pub fn iso8601(epoch_ms: i64) -> String {
    format!("{}Z", stream_label(epoch_ms))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_aws_stream_labels() {
        assert_eq!(stream_label(1_432_155_070_252), "2015-05-20T20:51:10.252");
        assert_eq!(stream_label(0), "1970-01-01T00:00:00.000");
        assert_eq!(iso8601(951_782_400_000), "2000-02-29T00:00:00.000Z");
    }
}
