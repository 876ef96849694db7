//! The shape IAM requires of `Resource`/`NotResource` values when it stores a policy: `*`, or something
//! ARN-like whose partition is real, whose vendor is spelled out, and — for IAM and S3 — without a region and
//! (IAM) with a known resource path. Two of IAM's stages meet here:
//!
//! * the shape messages (`Resource x must be in ARN format or "*".`, `Partition "p" is not valid for resource
//!   "…".`, …), which IAM notes as it goes and only reports after the statement-id and action checks;
//! * legacy parsing of each statement's resources (a value with fewer than five colons may not contain `::`,
//!   and its vendor may not be empty), which fails at once with `The policy failed legacy parsing` — but is
//!   skipped once a shape message has been noted.
//!
//! Resource elements are visited `Resource` first (all statements), then `NotResource`; within a list the
//! values go in descending order and the last shape message noted is the one reported. Odd, but it is what
//! reproduces IAM's recorded answers (moto's table), e.g. that
//! `["arn:error:s3:::example_bucket", "arn:error:s3::example_bucket"]` is reported for the partition of the
//! first value rather than failing legacy parsing on the second.

use super::syntax::{DraftStatement, Listed, Negation};
use super::{IAM_RESOURCE_PATHS, PolicyError};
use crate::arn::is_partition;

/// Runs both stages over all statements: `Err(LegacyParsing)` at once, else the shape message to report
/// later, if any.
pub(super) fn check(statements: &[DraftStatement]) -> Result<Option<PolicyError>, PolicyError> {
    let mut noted = None;
    for negation in [Negation::Plain, Negation::Not] {
        let elements = statements
            .iter()
            .filter_map(|s| s.resource.as_ref())
            .filter(|listed| listed.negation == negation);
        for listed in elements {
            let values = values_in_check_order(listed);
            for value in &values {
                if let Some(error) = shape_error(value) {
                    noted = Some(error);
                }
            }
            if noted.is_none() && !values.iter().all(|v| legacy_ok(v)) {
                return Err(PolicyError::LegacyParsing);
            }
        }
    }
    Ok(noted)
}

fn values_in_check_order(listed: &Listed) -> Vec<&str> {
    if !listed.written_as_list {
        return listed.items.iter().map(String::as_str).collect();
    }
    let mut values: Vec<&str> = listed
        .items
        .iter()
        .map(String::as_str)
        .filter(|v| !v.is_empty())
        .collect();
    values.sort_unstable_by(|a, b| b.cmp(a));
    values
}

/// Legacy parsing of one resource value.
fn legacy_ok(value: &str) -> bool {
    if value == "*" {
        return true;
    }
    let colons = value.matches(':').count();
    let vendor_present = value.split(':').nth(2).is_some_and(|v| !v.is_empty());
    (colons >= 5 || !value.contains("::")) && vendor_present
}

/// The shape message for one resource value, if it has one.
fn shape_error(value: &str) -> Option<PolicyError> {
    if value == "*" {
        return None;
    }
    let Some((_, after_prefix)) = value.split_once(':') else {
        return Some(PolicyError::ResourceNotArn(value.to_string()));
    };
    let (partition, rest) = match after_prefix.split_once(':') {
        Some((partition, rest)) => (partition, Some(rest)),
        None => (after_prefix, None),
    };
    if partition != "*" && !is_partition(partition) {
        return Some(PolicyError::InvalidPartition {
            partition: partition.to_string(),
            resource: rebuilt_arn(partition, rest.unwrap_or("")),
        });
    }
    let Some(rest) = rest else {
        return Some(PolicyError::ResourceVendorNotQualified);
    };
    service_rule_error(value, rest)
}

/// IAM's rebuilt ARN for a bad partition: the fields after it, `*` for each missing one.
fn rebuilt_arn(partition: &str, remaining: &str) -> String {
    let fields: Vec<&str> = remaining.split(':').collect();
    let field = |at: usize| fields.get(at).copied().unwrap_or("*");
    let first = if fields.len() > 1 || !field(0).is_empty() {
        field(0)
    } else {
        "*"
    };
    let last = if fields.len() > 3 {
        fields[3..].join(":")
    } else {
        "*".to_string()
    };
    format!("arn:{partition}:{first}:{}:{}:{last}", field(1), field(2))
}

/// The IAM and S3 rules: no region, and for IAM a resource path IAM knows. `rest` is the value after
/// `arn:<partition>:`.
fn service_rule_error(value: &str, rest: &str) -> Option<PolicyError> {
    let (service, after_service) = rest.split_once(':')?;
    let has_region = !after_service.starts_with(':');
    let resource_path = after_service.splitn(3, ':').nth(2).unwrap_or("");
    match service {
        "iam" if has_region => Some(PolicyError::IamResourceWithRegion(value.to_string())),
        "iam" if !is_iam_resource_path(resource_path) => Some(PolicyError::IamResourcePath),
        "s3" if has_region && !resource_path.starts_with("accesspoint/") => {
            Some(PolicyError::S3ResourceWithRegion(value.to_string()))
        }
        _ => None,
    }
}

fn is_iam_resource_path(path: &str) -> bool {
    path.starts_with('*') || IAM_RESOURCE_PATHS.iter().any(|p| path.starts_with(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rebuilds_arns_the_way_iam_does() {
        assert_eq!(rebuilt_arn("bsdfdsafsad", ""), "arn:bsdfdsafsad:*:*:*:*");
        assert_eq!(rebuilt_arn("b", "cadfsdf"), "arn:b:cadfsdf:*:*:*");
        assert_eq!(rebuilt_arn("b", "c:d:e:f:g:h"), "arn:b:c:d:e:f:g:h");
        assert_eq!(
            rebuilt_arn("s3", "::example_bucket"),
            "arn:s3:::example_bucket:*"
        );
    }

    #[test]
    fn legacy_parsing_wants_five_colons_around_a_double_colon_and_a_vendor() {
        assert!(legacy_ok("arn:aws:s3:::bucket"));
        assert!(legacy_ok("arn:aws:fdsasf"));
        assert!(!legacy_ok("arn:aws:s3::bucket"));
        assert!(!legacy_ok("arn:aws::fdsasf"));
        assert!(!legacy_ok("arn:aws::::example_bucket"));
    }

    #[test]
    fn iam_resources_need_a_known_path_and_no_region() {
        assert_eq!(
            shape_error("arn:aws:iam::123456789012:user/${aws:username}"),
            None
        );
        assert_eq!(shape_error("arn:aws:iam::*:*"), None);
        assert_eq!(
            shape_error("arn:aws:iam:::example_bucket"),
            Some(PolicyError::IamResourcePath)
        );
        assert_eq!(
            shape_error("arn:aws:iam:us-east-1::user/x"),
            Some(PolicyError::IamResourceWithRegion(
                "arn:aws:iam:us-east-1::user/x".into()
            ))
        );
        assert_eq!(
            shape_error("arn:aws:s3:us-east-1:123456789012:accesspoint/ap"),
            None
        );
    }
}
