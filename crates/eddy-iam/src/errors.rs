//! IAM's and STS's errors: one enum, with the wire code, the HTTP status and the query protocol's fault
//! (`Sender`/`Receiver`) of each kind kept here and nowhere else. Engine code returns these; the server only
//! encodes them in the `<ErrorResponse><Error><Type/><Code/><Message/></Error>` shape.
//!
//! The message constructors below carry IAM's texts for the entities this crate's callers manage (roles,
//! users, policies, access keys). Most are IAM's as quoted in recorded responses (moto's mirror of IAM,
//! public error reports, LocalStack's AWS-recorded snapshots); `user_exists`, `must_delete_access_keys` and
//! `policy_still_attached` are eddy's best knowledge of IAM's current texts; `Cannot exceed quota for …` is
//! AWS-recorded (LocalStack's snapshots, public error reports).

use std::fmt;

use crate::policy::PolicyError;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IamError {
    /// 400. The policy document is not valid; the message is one of [`PolicyError`]'s texts.
    MalformedPolicyDocument(String),
    /// 404. The named role, user, policy, version or access key does not exist.
    NoSuchEntity(String),
    /// 409.
    EntityAlreadyExists(String),
    /// 409. A quota (policy size, attached policies, access keys per user, …) would be exceeded.
    LimitExceeded(String),
    /// 400. A request parameter failed its constraint (`1 validation error detected: …`).
    ValidationError(String),
    /// 409. The entity still has attached or inline policies, access keys, versions, …
    DeleteConflict(String),
    /// 400.
    InvalidInput(String),
    /// 400. The entity is AWS-owned (an AWS managed policy) and cannot be changed.
    UnmodifiableEntity(String),
    /// 400.
    PolicyNotAttachable(String),
    /// 409.
    ConcurrentModification(String),
    /// 500.
    ServiceFailure(String),
    /// The caller's policies do not allow the action (403). IAM and STS say `AccessDenied`, where the
    /// JSON services say `AccessDeniedException`.
    AccessDenied(String),
    /// 403. The access key id is not known.
    InvalidClientTokenId(String),
    /// 403. The signature does not match.
    SignatureDoesNotMatch(String),
}

/// Who is to blame, as the query protocol's `<Type>` element says it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    Sender,
    Receiver,
}

impl Fault {
    pub fn as_str(self) -> &'static str {
        match self {
            Fault::Sender => "Sender",
            Fault::Receiver => "Receiver",
        }
    }
}

impl IamError {
    /// The error code (`<Code>`), what SDKs expose as the error code.
    pub fn code(&self) -> &'static str {
        match self {
            IamError::MalformedPolicyDocument(_) => "MalformedPolicyDocument",
            IamError::NoSuchEntity(_) => "NoSuchEntity",
            IamError::EntityAlreadyExists(_) => "EntityAlreadyExists",
            IamError::LimitExceeded(_) => "LimitExceeded",
            IamError::ValidationError(_) => "ValidationError",
            IamError::DeleteConflict(_) => "DeleteConflict",
            IamError::InvalidInput(_) => "InvalidInput",
            IamError::UnmodifiableEntity(_) => "UnmodifiableEntity",
            IamError::PolicyNotAttachable(_) => "PolicyNotAttachable",
            IamError::ConcurrentModification(_) => "ConcurrentModification",
            IamError::ServiceFailure(_) => "ServiceFailure",
            IamError::AccessDenied(_) => "AccessDenied",
            IamError::InvalidClientTokenId(_) => "InvalidClientTokenId",
            IamError::SignatureDoesNotMatch(_) => "SignatureDoesNotMatch",
        }
    }

    /// The HTTP status, as IAM's API reference lists it for each error.
    pub fn status(&self) -> u16 {
        match self {
            IamError::NoSuchEntity(_) => 404,
            IamError::EntityAlreadyExists(_)
            | IamError::LimitExceeded(_)
            | IamError::DeleteConflict(_)
            | IamError::ConcurrentModification(_) => 409,
            IamError::AccessDenied(_)
            | IamError::InvalidClientTokenId(_)
            | IamError::SignatureDoesNotMatch(_) => 403,
            IamError::ServiceFailure(_) => 500,
            IamError::MalformedPolicyDocument(_)
            | IamError::ValidationError(_)
            | IamError::InvalidInput(_)
            | IamError::UnmodifiableEntity(_)
            | IamError::PolicyNotAttachable(_) => 400,
        }
    }

    pub fn fault(&self) -> Fault {
        if self.status() >= 500 {
            Fault::Receiver
        } else {
            Fault::Sender
        }
    }

    pub fn message(&self) -> &str {
        match self {
            IamError::MalformedPolicyDocument(m)
            | IamError::NoSuchEntity(m)
            | IamError::EntityAlreadyExists(m)
            | IamError::LimitExceeded(m)
            | IamError::ValidationError(m)
            | IamError::DeleteConflict(m)
            | IamError::InvalidInput(m)
            | IamError::UnmodifiableEntity(m)
            | IamError::PolicyNotAttachable(m)
            | IamError::ConcurrentModification(m)
            | IamError::ServiceFailure(m)
            | IamError::AccessDenied(m)
            | IamError::InvalidClientTokenId(m)
            | IamError::SignatureDoesNotMatch(m) => m,
        }
    }

    // --- NoSuchEntity ---

    /// `The role with name <name> cannot be found.`
    pub fn no_such_role(name: &str) -> IamError {
        IamError::NoSuchEntity(format!("The role with name {name} cannot be found."))
    }

    /// `The user with name <name> cannot be found.`
    pub fn no_such_user(name: &str) -> IamError {
        IamError::NoSuchEntity(format!("The user with name {name} cannot be found."))
    }

    /// `The role policy with name <name> cannot be found.`
    pub fn no_such_role_policy(name: &str) -> IamError {
        IamError::NoSuchEntity(format!("The role policy with name {name} cannot be found."))
    }

    /// `The user policy with name <name> cannot be found.`
    pub fn no_such_user_policy(name: &str) -> IamError {
        IamError::NoSuchEntity(format!("The user policy with name {name} cannot be found."))
    }

    /// `Policy <arn> was not found.` (GetPolicy, DeletePolicy)
    pub fn no_such_policy(arn: &str) -> IamError {
        IamError::NoSuchEntity(format!("Policy {arn} was not found."))
    }

    /// `Policy <arn> does not exist or is not attachable.` (AttachRolePolicy, AttachUserPolicy)
    pub fn policy_not_attachable(arn: &str) -> IamError {
        IamError::NoSuchEntity(format!("Policy {arn} does not exist or is not attachable."))
    }

    /// `Policy <arn> version <v> does not exist or is not attachable.` (GetPolicyVersion)
    pub fn no_such_policy_version(arn: &str, version_id: &str) -> IamError {
        IamError::NoSuchEntity(format!(
            "Policy {arn} version {version_id} does not exist or is not attachable."
        ))
    }

    /// `The Access Key with id <id> cannot be found` (IAM writes no final period here).
    pub fn no_such_access_key(access_key_id: &str) -> IamError {
        IamError::NoSuchEntity(format!(
            "The Access Key with id {access_key_id} cannot be found"
        ))
    }

    // --- EntityAlreadyExists ---

    /// `Role with name <name> already exists.`
    pub fn role_exists(name: &str) -> IamError {
        IamError::EntityAlreadyExists(format!("Role with name {name} already exists."))
    }

    /// `User with name <name> already exists.`
    pub fn user_exists(name: &str) -> IamError {
        IamError::EntityAlreadyExists(format!("User with name {name} already exists."))
    }

    /// `A policy called <name> already exists. Duplicate names are not allowed.`
    pub fn policy_exists(name: &str) -> IamError {
        IamError::EntityAlreadyExists(format!(
            "A policy called {name} already exists. Duplicate names are not allowed."
        ))
    }

    // --- DeleteConflict ---

    /// DeleteRole / DeleteUser with managed policies still attached.
    pub fn must_detach_policies() -> IamError {
        IamError::DeleteConflict("Cannot delete entity, must detach all policies first.".into())
    }

    /// DeleteRole / DeleteUser with inline policies left.
    pub fn must_delete_inline_policies() -> IamError {
        IamError::DeleteConflict("Cannot delete entity, must delete policies first.".into())
    }

    /// DeleteUser with access keys left.
    pub fn must_delete_access_keys() -> IamError {
        IamError::DeleteConflict("Cannot delete entity, must delete access keys first.".into())
    }

    /// DeletePolicy while the policy is attached to a user, group or role.
    pub fn policy_still_attached() -> IamError {
        IamError::DeleteConflict("Cannot delete a policy attached to entities.".into())
    }

    // --- LimitExceeded ---

    /// `Cannot exceed quota for <quota>: <limit>`, IAM's text for a named account quota
    /// (`PolicySize`, `ACLSizePerRole`, `PoliciesPerRole`, `AccessKeysPerUser`, …).
    pub fn quota_exceeded(quota: &str, limit: usize) -> IamError {
        IamError::LimitExceeded(format!("Cannot exceed quota for {quota}: {limit}"))
    }

    /// The aggregate size of a role's inline policies is over [`INLINE_ROLE_POLICIES_MAX`].
    pub fn role_inline_policies_too_large(role: &str) -> IamError {
        IamError::LimitExceeded(format!(
            "Maximum policy size of {INLINE_ROLE_POLICIES_MAX} bytes exceeded for role {role}"
        ))
    }

    /// The aggregate size of a user's inline policies is over [`INLINE_USER_POLICIES_MAX`].
    pub fn user_inline_policies_too_large(user: &str) -> IamError {
        IamError::LimitExceeded(format!(
            "Maximum policy size of {INLINE_USER_POLICIES_MAX} bytes exceeded for user {user}"
        ))
    }
}

/// Characters (whitespace not counted) a managed policy document may have: quota `PolicySize`.
pub const MANAGED_POLICY_MAX: usize = 6144;
/// Characters (whitespace not counted) a role's trust policy may have by default: quota `ACLSizePerRole`.
pub const TRUST_POLICY_MAX: usize = 2048;
/// Characters (whitespace not counted) of all the inline policies of one role together.
pub const INLINE_ROLE_POLICIES_MAX: usize = 10240;
/// Characters (whitespace not counted) of all the inline policies of one user together.
pub const INLINE_USER_POLICIES_MAX: usize = 2048;

/// The size IAM counts against its policy quotas: the characters of the document that are not whitespace.
pub fn policy_size(document: &str) -> usize {
    document.chars().filter(|c| !c.is_whitespace()).count()
}

impl fmt::Display for IamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code(), self.message())
    }
}

impl std::error::Error for IamError {}

impl From<PolicyError> for IamError {
    fn from(error: PolicyError) -> IamError {
        IamError::MalformedPolicyDocument(error.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_statuses_follow_iams_api_reference() {
        let cases = [
            (
                IamError::MalformedPolicyDocument(String::new()),
                "MalformedPolicyDocument",
                400,
            ),
            (IamError::no_such_role("r"), "NoSuchEntity", 404),
            (IamError::role_exists("r"), "EntityAlreadyExists", 409),
            (
                IamError::quota_exceeded("PolicySize", 6144),
                "LimitExceeded",
                409,
            ),
            (
                IamError::ValidationError(String::new()),
                "ValidationError",
                400,
            ),
            (IamError::must_detach_policies(), "DeleteConflict", 409),
            (IamError::InvalidInput(String::new()), "InvalidInput", 400),
            (
                IamError::UnmodifiableEntity(String::new()),
                "UnmodifiableEntity",
                400,
            ),
            (
                IamError::ConcurrentModification(String::new()),
                "ConcurrentModification",
                409,
            ),
            (
                IamError::ServiceFailure(String::new()),
                "ServiceFailure",
                500,
            ),
            (IamError::AccessDenied(String::new()), "AccessDenied", 403),
        ];
        for (error, code, status) in cases {
            assert_eq!(error.code(), code);
            assert_eq!(error.status(), status, "{code}");
        }
        assert_eq!(
            IamError::ServiceFailure(String::new()).fault(),
            Fault::Receiver
        );
        assert_eq!(IamError::no_such_user("u").fault().as_str(), "Sender");
    }

    #[test]
    fn entity_messages_name_the_entity() {
        assert_eq!(
            IamError::no_such_role("lambda-role").message(),
            "The role with name lambda-role cannot be found."
        );
        assert_eq!(
            IamError::policy_not_attachable("arn:aws:iam::aws:policy/Nope").message(),
            "Policy arn:aws:iam::aws:policy/Nope does not exist or is not attachable."
        );
        assert_eq!(
            IamError::quota_exceeded("PolicySize", MANAGED_POLICY_MAX).message(),
            "Cannot exceed quota for PolicySize: 6144"
        );
        assert_eq!(
            IamError::role_inline_policies_too_large("r").message(),
            "Maximum policy size of 10240 bytes exceeded for role r"
        );
    }

    #[test]
    fn policy_size_ignores_whitespace() {
        assert_eq!(policy_size("{ \"a\" :\n\t1 }"), 7);
    }
}
