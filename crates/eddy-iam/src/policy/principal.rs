//! The `Principal` element of trust policies: `"*"`, or an object of principal types (`AWS`, `Service`,
//! `Federated`, `CanonicalUser`) each with one name or a list. This module reads it from JSON and checks each
//! name's shape; a name IAM would not accept is refused with `Invalid principal in policy: "<TYPE>":"<name>"`.
//!
//! IAM also refuses the ARN of a user or role that does not exist; that needs the store and is left to the
//! caller (see `PolicyDocument::named_aws_principals`). IAM checks service principals against its list of
//! services; eddy accepts any well-formed `<name>.amazonaws.com` (or `.amazonaws.com.cn`, `.amazon.com`).

use serde_json::Value;

use super::PolicyError;
use crate::arn;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PrincipalKind {
    /// An account, IAM user, IAM role, role session or federated user (`"AWS": …`).
    Aws,
    /// An AWS service (`"Service": "lambda.amazonaws.com"`).
    Service,
    /// A web-identity or SAML provider (`"Federated": …`).
    Federated,
    /// An S3 canonical user id; not accepted in role trust policies.
    CanonicalUser,
}

impl PrincipalKind {
    /// The key as policies write it.
    pub fn key(self) -> &'static str {
        match self {
            PrincipalKind::Aws => "AWS",
            PrincipalKind::Service => "Service",
            PrincipalKind::Federated => "Federated",
            PrincipalKind::CanonicalUser => "CanonicalUser",
        }
    }

    fn from_key(key: &str) -> Option<PrincipalKind> {
        [
            PrincipalKind::Aws,
            PrincipalKind::Service,
            PrincipalKind::Federated,
            PrincipalKind::CanonicalUser,
        ]
        .into_iter()
        .find(|kind| kind.key() == key)
    }
}

/// One named principal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrincipalId {
    pub kind: PrincipalKind,
    pub value: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Principals {
    /// `"Principal": "*"`: everyone, signed or not.
    Everyone,
    Listed(Vec<PrincipalId>),
}

impl Principals {
    pub fn ids(&self) -> &[PrincipalId] {
        match self {
            Principals::Everyone => &[],
            Principals::Listed(ids) => ids,
        }
    }
}

/// The element as written, before its names are checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum PrincipalDraft {
    Everyone,
    Named(Vec<(String, Vec<String>)>),
}

/// Reads the JSON of a `Principal`/`NotPrincipal` element; anything but `"*"` or an object of names is a
/// syntax error.
pub(super) fn read(value: &Value) -> Result<PrincipalDraft, PolicyError> {
    match value {
        Value::String(s) if s == "*" => Ok(PrincipalDraft::Everyone),
        Value::Object(map) => map
            .iter()
            .map(|(key, names)| Ok((key.clone(), read_names(names)?)))
            .collect::<Result<_, _>>()
            .map(PrincipalDraft::Named),
        _ => Err(PolicyError::Syntax),
    }
}

fn read_names(value: &Value) -> Result<Vec<String>, PolicyError> {
    match value {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(items) => items
            .iter()
            .map(|item| match item {
                Value::String(s) => Ok(s.clone()),
                _ => Err(PolicyError::Syntax),
            })
            .collect(),
        _ => Err(PolicyError::Syntax),
    }
}

/// Checks every name of a trust policy's principal element.
pub(super) fn validate(draft: &PrincipalDraft) -> Result<Principals, PolicyError> {
    let PrincipalDraft::Named(entries) = draft else {
        return Ok(Principals::Everyone);
    };
    let mut ids = Vec::new();
    for (key, names) in entries {
        let Some(kind) = PrincipalKind::from_key(key) else {
            let first = names.first().map_or("", String::as_str);
            return Err(PolicyError::invalid_principal(key, first));
        };
        for name in names {
            if !name_is_valid(kind, name) {
                return Err(PolicyError::invalid_principal(key, name));
            }
            ids.push(PrincipalId {
                kind,
                value: name.clone(),
            });
        }
    }
    if ids.is_empty() {
        return Err(PolicyError::MissingPrincipal);
    }
    Ok(Principals::Listed(ids))
}

/// The named principals without checking them (identity policies are refused before they get here).
pub(super) fn unchecked(draft: &PrincipalDraft) -> Principals {
    match draft {
        PrincipalDraft::Everyone => Principals::Everyone,
        PrincipalDraft::Named(entries) => Principals::Listed(
            entries
                .iter()
                .filter_map(|(key, names)| Some((PrincipalKind::from_key(key)?, names)))
                .flat_map(|(kind, names)| {
                    names.iter().map(move |value| PrincipalId {
                        kind,
                        value: value.clone(),
                    })
                })
                .collect(),
        ),
    }
}

fn name_is_valid(kind: PrincipalKind, name: &str) -> bool {
    match kind {
        PrincipalKind::Aws => {
            name == "*" || arn::is_account_id(name) || is_principal_arn(name) || is_unique_id(name)
        }
        PrincipalKind::Service => is_service_name(name),
        PrincipalKind::Federated => {
            !name.is_empty() && !name.contains(['*', '?']) && !name.contains(char::is_whitespace)
        }
        PrincipalKind::CanonicalUser => false,
    }
}

/// `AIDA…`, `AROA…` and kin: the 21-character unique ids IAM puts in place of a deleted principal's ARN.
fn is_unique_id(text: &str) -> bool {
    text.len() == 21
        && text.starts_with('A')
        && text
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// An account root, IAM user or role, role session or federated user, without wildcards.
fn is_principal_arn(text: &str) -> bool {
    let Some([arn, partition, service, region, account, resource]) = arn::fields(text) else {
        return false;
    };
    let scoped_right =
        arn::is_partition(partition) && region.is_empty() && arn::is_account_id(account);
    if arn != "arn" || !scoped_right {
        return false;
    }
    if text.contains(['*', '?']) {
        return false;
    }
    match service {
        "iam" => resource == "root" || has_named_tail(resource, &["user/", "role/"]),
        "sts" => {
            has_named_tail(resource, &["federated-user/"])
                || resource
                    .strip_prefix("assumed-role/")
                    .and_then(|rest| rest.split_once('/'))
                    .is_some_and(|(role, session)| !role.is_empty() && !session.is_empty())
        }
        _ => false,
    }
}

fn has_named_tail(resource: &str, prefixes: &[&str]) -> bool {
    prefixes.iter().any(|prefix| {
        resource
            .strip_prefix(prefix)
            .is_some_and(|rest| !rest.is_empty() && !rest.ends_with('/'))
    })
}

/// Whether an `AWS` principal names an IAM user or role (which IAM requires to exist).
pub(crate) fn names_user_or_role(text: &str) -> bool {
    arn::fields(text).is_some_and(|fields| {
        fields[2] == "iam" && (fields[5].starts_with("user/") || fields[5].starts_with("role/"))
    })
}

fn is_service_name(name: &str) -> bool {
    let host = [".amazonaws.com.cn", ".amazonaws.com", ".amazon.com"]
        .iter()
        .find_map(|suffix| name.strip_suffix(suffix));
    host.is_some_and(|host| {
        !host.is_empty()
            && !host.starts_with(['.', '-'])
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(key: &str, name: &str) -> PrincipalDraft {
        PrincipalDraft::Named(vec![(key.to_string(), vec![name.to_string()])])
    }

    #[test]
    fn accepts_the_principals_aws_documents() {
        for (key, name) in [
            ("Service", "lambda.amazonaws.com"),
            ("Service", "ecs-tasks.amazonaws.com"),
            ("Service", "states.cn-north-1.amazonaws.com.cn"),
            ("AWS", "*"),
            ("AWS", "123456789012"),
            ("AWS", "arn:aws:iam::123456789012:root"),
            ("AWS", "arn:aws:iam::123456789012:user/division/bob"),
            ("AWS", "arn:aws:iam::123456789012:role/service-role/lambda"),
            (
                "AWS",
                "arn:aws:sts::123456789012:assumed-role/lambda/session-1",
            ),
            ("AWS", "arn:aws-cn:iam::123456789012:root"),
            ("AWS", "AROAEXAMPLEEXAMPLE123"),
            ("Federated", "cognito-identity.amazonaws.com"),
            ("Federated", "arn:aws:iam::123456789012:saml-provider/okta"),
        ] {
            assert!(validate(&named(key, name)).is_ok(), "{key} {name}");
        }
    }

    #[test]
    fn refuses_names_iam_refuses_in_iams_words() {
        for (key, name, message) in [
            (
                "Service",
                "",
                r#"Invalid principal in policy: "SERVICE":"""#,
            ),
            (
                "Service",
                "amazonaws.com",
                r#"Invalid principal in policy: "SERVICE":"amazonaws.com""#,
            ),
            (
                "Service",
                "lambda",
                r#"Invalid principal in policy: "SERVICE":"lambda""#,
            ),
            (
                "Service",
                "*",
                r#"Invalid principal in policy: "SERVICE":"*""#,
            ),
            (
                "AWS",
                "arn:aws:iam::123456789012:role/*",
                r#"Invalid principal in policy: "AWS":"arn:aws:iam::123456789012:role/*""#,
            ),
            (
                "AWS",
                "12345",
                r#"Invalid principal in policy: "AWS":"12345""#,
            ),
            (
                "AWS",
                "arn:aws:iam::123456789012:group/admins",
                r#"Invalid principal in policy: "AWS":"arn:aws:iam::123456789012:group/admins""#,
            ),
            (
                "CanonicalUser",
                "79a59df900b949e55d96a1e698fbaced",
                r#"Invalid principal in policy: "CANONICALUSER":"79a59df900b949e55d96a1e698fbaced""#,
            ),
            (
                "Users",
                "bob",
                r#"Invalid principal in policy: "USERS":"bob""#,
            ),
        ] {
            let error = validate(&named(key, name)).err().map(|e| e.to_string());
            assert_eq!(error.as_deref(), Some(message));
        }
    }

    #[test]
    fn an_empty_principal_object_is_missing() {
        assert_eq!(
            validate(&PrincipalDraft::Named(vec![])),
            Err(PolicyError::MissingPrincipal)
        );
    }

    #[test]
    fn reads_star_objects_and_lists_only() {
        assert_eq!(
            read(&Value::String("*".into())),
            Ok(PrincipalDraft::Everyone)
        );
        assert_eq!(
            read(&Value::String("lambda.amazonaws.com".into())),
            Err(PolicyError::Syntax)
        );
        assert_eq!(
            read(&serde_json::json!({"Service": ["a.amazonaws.com", 1]})),
            Err(PolicyError::Syntax)
        );
    }

    #[test]
    fn tells_users_and_roles_from_other_aws_principals() {
        assert!(names_user_or_role("arn:aws:iam::123456789012:role/r"));
        assert!(names_user_or_role("arn:aws:iam::123456789012:user/u"));
        assert!(!names_user_or_role("arn:aws:iam::123456789012:root"));
        assert!(!names_user_or_role("123456789012"));
    }
}
