//! The `aws:` global condition keys that mean something on one machine, built into a request context from
//! what the server knows about a request: the clock, the caller, the connection. Keys that need AWS
//! Organizations, VPCs, MFA devices or tags are not produced; a policy testing them sees them absent, which
//! IAM's rules (negated operators and `…IfExists` hold, others fail) make predictable.

use std::net::IpAddr;

use crate::arn;
use crate::eval::{ContextValue, RequestContext};

/// What the server knows about one request. Every field is optional; absent ones produce no key.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GlobalKeys {
    /// `aws:CurrentTime` (ISO date-time) and `aws:EpochTime` (seconds), from the server clock.
    pub now_ms: Option<i64>,
    /// `aws:PrincipalArn`: the caller's user or root ARN; for a role session, the role's ARN.
    pub principal_arn: Option<String>,
    /// `aws:PrincipalAccount`.
    pub principal_account: Option<String>,
    /// `aws:PrincipalType`: `Account`, `User`, `AssumedRole`, `FederatedUser` or `Anonymous`.
    pub principal_type: Option<String>,
    /// `aws:username` (IAM users only).
    pub username: Option<String>,
    /// `aws:userid`: the unique id of a user, `<role id>:<session>` for a role session.
    pub userid: Option<String>,
    /// `aws:SourceIp`.
    pub source_ip: Option<IpAddr>,
    /// `aws:SecureTransport`: whether the request came over TLS.
    pub secure_transport: Option<bool>,
    /// `aws:RequestedRegion`: the region of the SigV4 credential scope.
    pub requested_region: Option<String>,
}

impl GlobalKeys {
    /// The keys an IAM user, role session or account root implies, read from its ARN:
    /// `aws:PrincipalArn`, `aws:PrincipalAccount`, `aws:PrincipalType` and, for a user, `aws:username`.
    pub fn for_caller(caller_arn: &str) -> GlobalKeys {
        let Some(fields) = arn::fields(caller_arn) else {
            return GlobalKeys::default();
        };
        let resource = fields[5];
        let (principal_type, username) = if resource == "root" {
            (Some("Account"), None)
        } else if let Some(path) = resource.strip_prefix("user/") {
            (Some("User"), path.rsplit('/').next())
        } else if resource.starts_with("assumed-role/") {
            (Some("AssumedRole"), None)
        } else if resource.starts_with("federated-user/") {
            (Some("FederatedUser"), None)
        } else {
            (None, None)
        };
        GlobalKeys {
            principal_arn: Some(principal_arn(caller_arn)),
            principal_account: Some(fields[4].to_string()),
            principal_type: principal_type.map(str::to_string),
            username: username.map(str::to_string),
            ..GlobalKeys::default()
        }
    }

    pub fn into_context(self) -> RequestContext {
        let mut context = RequestContext::new();
        let mut put = |key: &str, value: ContextValue| {
            context.insert(key.to_string(), vec![value]);
        };
        if let Some(ms) = self.now_ms {
            put("aws:CurrentTime", ContextValue::Date(ms));
            put("aws:EpochTime", ContextValue::Number(ms.div_euclid(1000)));
        }
        let strings = [
            ("aws:PrincipalArn", self.principal_arn),
            ("aws:PrincipalAccount", self.principal_account),
            ("aws:PrincipalType", self.principal_type),
            ("aws:username", self.username),
            ("aws:userid", self.userid),
            ("aws:RequestedRegion", self.requested_region),
        ];
        for (key, value) in strings {
            if let Some(value) = value {
                put(key, ContextValue::String(value));
            }
        }
        if let Some(ip) = self.source_ip {
            put("aws:SourceIp", ContextValue::Ip(ip));
        }
        if let Some(secure) = self.secure_transport {
            put("aws:SecureTransport", ContextValue::Bool(secure));
        }
        context
    }
}

/// The value of `aws:PrincipalArn` for a caller: its own ARN, except that a role session
/// (`arn:aws:sts::<account>:assumed-role/<role>/<session>`) is represented by its role
/// (`arn:aws:iam::<account>:role/<role>`; the role's path is not in the session ARN, so a caller that knows
/// it should set [`GlobalKeys::principal_arn`] itself).
pub fn principal_arn(caller_arn: &str) -> String {
    let Some([_, partition, "sts", _, account, resource]) = arn::fields(caller_arn) else {
        return caller_arn.to_string();
    };
    match resource
        .strip_prefix("assumed-role/")
        .and_then(|rest| rest.split('/').next())
    {
        Some(role) => format!("arn:{partition}:iam::{account}:role/{role}"),
        None => caller_arn.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_arn_implies_its_name_account_and_type() {
        let keys = GlobalKeys::for_caller("arn:aws:iam::123456789012:user/division/bob");
        assert_eq!(keys.username.as_deref(), Some("bob"));
        assert_eq!(keys.principal_account.as_deref(), Some("123456789012"));
        assert_eq!(keys.principal_type.as_deref(), Some("User"));
        let session = GlobalKeys::for_caller("arn:aws:sts::123456789012:assumed-role/r/s");
        assert_eq!(session.principal_type.as_deref(), Some("AssumedRole"));
        assert_eq!(session.username, None);
        assert_eq!(
            session.principal_arn.as_deref(),
            Some("arn:aws:iam::123456789012:role/r"),
            "a session's aws:PrincipalArn is its role"
        );
        let root = GlobalKeys::for_caller("arn:aws:iam::123456789012:root");
        assert_eq!(root.principal_type.as_deref(), Some("Account"));
        let role = GlobalKeys::for_caller("arn:aws:iam::123456789012:role/r");
        assert_eq!(role.principal_type, None, "a role ARN is not a caller");
        assert_eq!(GlobalKeys::for_caller("nonsense"), GlobalKeys::default());
    }

    #[test]
    fn builds_typed_context_values() {
        let context = GlobalKeys {
            now_ms: Some(1_704_067_200_500),
            source_ip: "203.0.113.9".parse().ok(),
            secure_transport: Some(false),
            requested_region: Some("us-east-1".into()),
            ..GlobalKeys::default()
        }
        .into_context();
        assert_eq!(
            context.get("aws:EpochTime"),
            Some(&vec![ContextValue::Number(1_704_067_200)])
        );
        assert_eq!(
            context.get("aws:CurrentTime").map(|v| v[0].text()),
            Some("2024-01-01T00:00:00Z".to_string())
        );
        assert_eq!(
            context.get("aws:SecureTransport"),
            Some(&vec![ContextValue::Bool(false)])
        );
        assert!(context.contains_key("aws:SourceIp"));
        assert!(!context.contains_key("aws:username"));
    }
}
