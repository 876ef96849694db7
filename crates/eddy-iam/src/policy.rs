//! Policy documents: the typed form of IAM's JSON policy language, and [`PolicyDocument::parse`], which reads a
//! document the way IAM does when one is stored — the same checks, in the same order, with IAM's
//! `MalformedPolicyDocument` texts ([`PolicyError`]).
//!
//! Three kinds of document are told apart ([`PolicyKind`]): managed policies (`CreatePolicy`,
//! `CreatePolicyVersion`), which must be of language version 2012-10-17; inline identity policies
//! (`PutRolePolicy`, `PutUserPolicy`), which may omit the version; and role trust policies
//! (`CreateRole`, `UpdateAssumeRolePolicy`), which name a `Principal`, allow only STS actions and have no
//! `Resource`. Identity policies must not name a principal.
//!
//! The order of the checks follows IAM as recorded against the real service (moto's table of IAM answers):
//! syntax, version, (identity policies) no principal, legacy parsing (effect case, date values, resource
//! shapes), statement ids, actions present, resource format, action vendors, then the kind-specific rules
//! (identity: resources present; trust: STS actions, no resource, a valid principal). A document is only
//! ever rejected with the first failing check's message. Reading never panics, whatever the input.

mod condition;
mod principal;
mod resource_format;
mod rules;
mod syntax;

use std::fmt;

pub use condition::{Condition, Operator, OperatorKind, SetOperator};
pub use principal::{PrincipalId, PrincipalKind, Principals};

/// What a document is for; it decides which of IAM's rules apply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PolicyKind {
    /// A customer managed policy (`CreatePolicy`, `CreatePolicyVersion`): version 2012-10-17 required.
    Managed,
    /// An inline identity policy (`PutRolePolicy`, `PutUserPolicy`).
    Inline,
    /// A role's trust policy (`CreateRole`, `UpdateAssumeRolePolicy`).
    Trust,
}

impl PolicyKind {
    fn is_identity(self) -> bool {
        !matches!(self, PolicyKind::Trust)
    }
}

/// The policy language version (the document's `Version` element).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PolicyVersion {
    /// `2008-10-17`, also what a document without `Version` is: policy variables are plain text.
    Version2008,
    /// `2012-10-17`: policy variables are replaced.
    Version2012,
}

impl PolicyVersion {
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyVersion::Version2008 => "2008-10-17",
            PolicyVersion::Version2012 => "2012-10-17",
        }
    }

    fn parse(text: &str) -> Option<PolicyVersion> {
        match text {
            "2008-10-17" => Some(PolicyVersion::Version2008),
            "2012-10-17" => Some(PolicyVersion::Version2012),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
}

/// A statement's `Action` or `NotAction`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ActionElement {
    Action(Vec<String>),
    NotAction(Vec<String>),
}

/// A statement's `Resource` or `NotResource`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ResourceElement {
    Resource(Vec<String>),
    NotResource(Vec<String>),
}

/// A statement's `Principal` or `NotPrincipal`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PrincipalElement {
    Principal(Principals),
    NotPrincipal(Principals),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Statement {
    pub sid: Option<String>,
    pub effect: Effect,
    pub action: ActionElement,
    /// Absent in trust policies.
    pub resource: Option<ResourceElement>,
    /// Present in trust policies only.
    pub principal: Option<PrincipalElement>,
    /// All must hold (operators and keys are ANDed; the values of one key are ORed).
    pub conditions: Vec<Condition>,
}

/// A policy document that passed IAM's checks for its [`PolicyKind`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyDocument {
    pub kind: PolicyKind,
    /// `None` when the document has no `Version` element.
    pub version: Option<PolicyVersion>,
    pub id: Option<String>,
    pub statements: Vec<Statement>,
}

impl PolicyDocument {
    /// Reads and checks a policy document (the JSON text; URL-decoding is the caller's job).
    pub fn parse(text: &str, kind: PolicyKind) -> Result<PolicyDocument, PolicyError> {
        let draft = syntax::read(text, kind)?;
        rules::check(&draft, kind)?;
        Ok(rules::build(draft, kind))
    }

    /// The language version in force: a document without `Version` is 2008-10-17.
    pub fn language_version(&self) -> PolicyVersion {
        self.version.unwrap_or(PolicyVersion::Version2008)
    }

    /// Whether `${…}` policy variables are replaced in this document (2012-10-17 only).
    pub fn supports_variables(&self) -> bool {
        self.language_version() == PolicyVersion::Version2012
    }

    /// Whether evaluating the document can read the request context: it has a condition, or a resource
    /// with a policy variable. A document that cannot is evaluated without building the context.
    pub fn reads_context(&self) -> bool {
        let variables = self.supports_variables();
        self.statements.iter().any(|statement| {
            !statement.conditions.is_empty()
                || variables
                    && match &statement.resource {
                        Some(ResourceElement::Resource(p) | ResourceElement::NotResource(p)) => {
                            p.iter().any(|pattern| pattern.contains("${"))
                        }
                        None => false,
                    }
        })
    }

    /// The IAM user and role ARNs a trust policy names as `AWS` principals. IAM refuses a trust policy that
    /// names a user or role that does not exist (`Invalid principal in policy: "AWS":"<arn>"`); checking that
    /// needs the store, so the caller does it with [`PolicyError::invalid_principal`].
    pub fn named_aws_principals(&self) -> impl Iterator<Item = &str> {
        self.statements
            .iter()
            .filter_map(|s| match &s.principal {
                Some(PrincipalElement::Principal(p) | PrincipalElement::NotPrincipal(p)) => Some(p),
                None => None,
            })
            .flat_map(Principals::ids)
            .filter(|id| id.kind == PrincipalKind::Aws && principal::names_user_or_role(&id.value))
            .map(|id| id.value.as_str())
    }
}

/// Why IAM refuses a policy document. `Display` gives IAM's `MalformedPolicyDocument` message, character for
/// character.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PolicyError {
    /// Not a JSON object of policy grammar (unknown elements, wrong types, an empty statement list, an
    /// unknown condition operator with a non-empty block, …).
    Syntax,
    /// A trust policy that is not JSON at all.
    InvalidJson,
    /// A managed policy whose version is not 2012-10-17 (or that has none).
    VersionTooOld,
    /// An `Effect` of the wrong case, a date IAM's legacy parser refuses, a resource with too few segments.
    LegacyParsing,
    /// An identity policy with `Principal` or `NotPrincipal`.
    PrincipalNotAllowed,
    SidNotAlphanumeric,
    DuplicateSid,
    MissingActions,
    MissingResources,
    /// `Resource <r> must be in ARN format or "*".`
    ResourceNotArn(String),
    /// `Partition "<p>" is not valid for resource "<arn>".`, the ARN rebuilt as IAM rebuilds it.
    InvalidPartition {
        partition: String,
        resource: String,
    },
    ResourceVendorNotQualified,
    IamResourceWithRegion(String),
    S3ResourceWithRegion(String),
    IamResourcePath,
    ActionWithoutVendor,
    ActionWithManyColons,
    InvalidVendor(String),
    /// A trust policy statement with `Resource` or `NotResource`.
    ProhibitedResource,
    /// A trust policy statement without `Principal` or `NotPrincipal`.
    MissingPrincipal,
    /// A trust policy statement with an action that is not one of STS's role-assumption actions.
    TrustPolicyActions,
    /// The same, when every action is an STS one.
    TrustPolicyStsActions,
    /// `Invalid principal in policy: "<KEY>":"<value>"`; IAM writes the key in capitals.
    InvalidPrincipal {
        key: String,
        value: String,
    },
}

impl PolicyError {
    /// `Invalid principal in policy: "AWS":"<value>"` and its kin; `key` as written in the policy.
    pub fn invalid_principal(key: &str, value: &str) -> PolicyError {
        PolicyError::InvalidPrincipal {
            key: key.to_string(),
            value: value.to_string(),
        }
    }
}

/// Where an IAM resource path may begin, in IAM's order (it lists them in the message).
const IAM_RESOURCE_PATHS: [&str; 13] = [
    "user/",
    "federated-user/",
    "role/",
    "group/",
    "instance-profile/",
    "mfa/",
    "server-certificate/",
    "policy/",
    "sms-mfa/",
    "saml-provider/",
    "oidc-provider/",
    "report/",
    "access-report/",
];

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PolicyError::Syntax => f.write_str("Syntax errors in policy."),
            PolicyError::InvalidJson => f.write_str("This policy contains invalid Json"),
            PolicyError::VersionTooOld => {
                f.write_str("Policy document must be version 2012-10-17 or greater.")
            }
            PolicyError::LegacyParsing => f.write_str("The policy failed legacy parsing"),
            PolicyError::PrincipalNotAllowed => {
                f.write_str("Policy document should not specify a principal.")
            }
            PolicyError::SidNotAlphanumeric => f.write_str(
                "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the \
                 regular expression [0-9A-Za-z]*",
            ),
            PolicyError::DuplicateSid => {
                f.write_str("Statement IDs (SID) in a single policy must be unique.")
            }
            PolicyError::MissingActions => f.write_str("Policy statement must contain actions."),
            PolicyError::MissingResources => {
                f.write_str("Policy statement must contain resources.")
            }
            PolicyError::ResourceNotArn(r) => {
                write!(f, "Resource {r} must be in ARN format or \"*\".")
            }
            PolicyError::InvalidPartition {
                partition,
                resource,
            } => write!(
                f,
                "Partition \"{partition}\" is not valid for resource \"{resource}\"."
            ),
            PolicyError::ResourceVendorNotQualified => {
                f.write_str("Resource vendor must be fully qualified and cannot contain regexes.")
            }
            PolicyError::IamResourceWithRegion(r) => {
                write!(f, "IAM resource {r} cannot contain region information.")
            }
            PolicyError::S3ResourceWithRegion(r) => {
                write!(f, "Resource {r} can not contain region information.")
            }
            PolicyError::IamResourcePath => write!(
                f,
                "IAM resource path must either be \"*\" or start with {}.",
                IAM_RESOURCE_PATHS.join(", ")
            ),
            PolicyError::ActionWithoutVendor => f.write_str(
                "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.",
            ),
            PolicyError::ActionWithManyColons => {
                f.write_str("Actions/Condition can contain only one colon.")
            }
            PolicyError::InvalidVendor(v) => write!(f, "Vendor {v} is not valid"),
            PolicyError::ProhibitedResource => f.write_str("Has prohibited field Resource"),
            PolicyError::MissingPrincipal => f.write_str("Missing required field Principal"),
            PolicyError::TrustPolicyActions => f.write_str(
                "Trust Policy statement actions can only be sts:AssumeRole, \
                 sts:AssumeRoleWithSAML,  and sts:AssumeRoleWithWebIdentity",
            ),
            PolicyError::TrustPolicyStsActions => {
                f.write_str("AssumeRole policy may only specify STS AssumeRole actions.")
            }
            PolicyError::InvalidPrincipal { key, value } => write!(
                f,
                "Invalid principal in policy: \"{}\":\"{value}\"",
                key.to_uppercase()
            ),
        }
    }
}

impl std::error::Error for PolicyError {}

#[cfg(test)]
mod tests;
