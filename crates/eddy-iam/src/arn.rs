//! ARN text as IAM reads it: `arn:<partition>:<service>:<region>:<account>:<resource>`, split at the first five
//! colons (the resource part may hold more), plus the shapes of account ids and the partitions that exist.

/// The partitions AWS has.
const PARTITIONS: [&str; 8] = [
    "aws",
    "aws-cn",
    "aws-us-gov",
    "aws-iso",
    "aws-iso-b",
    "aws-iso-e",
    "aws-iso-f",
    "aws-eusc",
];

pub fn is_partition(text: &str) -> bool {
    PARTITIONS.contains(&text)
}

/// Twelve digits.
pub fn is_account_id(text: &str) -> bool {
    text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit())
}

/// Splits an ARN at its first five colons: the six fields, or `None` with fewer.
pub fn fields(arn: &str) -> Option<[&str; 6]> {
    let mut parts = arn.splitn(6, ':');
    let mut fields = [""; 6];
    for field in &mut fields {
        *field = parts.next()?;
    }
    Some(fields)
}

/// The service of an ARN (`sqs`, `sns`, `dynamodb`, …).
pub fn service(arn: &str) -> Option<&str> {
    fields(arn).map(|f| f[2])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_at_the_first_five_colons() {
        assert_eq!(
            fields("arn:aws:dynamodb:r:1:table/T/stream/00:00"),
            Some(["arn", "aws", "dynamodb", "r", "1", "table/T/stream/00:00"])
        );
        assert_eq!(
            fields("arn:aws:s3:::b"),
            Some(["arn", "aws", "s3", "", "", "b"])
        );
        assert_eq!(fields("arn:aws:s3"), None);
        assert_eq!(service("arn:aws:sqs:us-east-1:123456789012:q"), Some("sqs"));
    }

    #[test]
    fn knows_accounts_and_partitions() {
        assert!(is_account_id("123456789012"));
        assert!(!is_account_id("12345678901a"));
        assert!(!is_account_id("1234567890123"));
        assert!(is_partition("aws-us-gov"));
        assert!(!is_partition("error"));
    }
}
