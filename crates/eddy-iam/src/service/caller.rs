//! Who signed a request: the account's root (the configured root keys), an IAM user (one of its access keys),
//! or a role session (temporary credentials from `AssumeRole` or a function's execution environment). The
//! caller's ARN and unique id are what `GetCallerIdentity` answers and what `AccessDenied` messages name.

/// The principal behind a request's access key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Caller {
    /// The account itself: allowed everything, as the root user is on AWS.
    Root { account: String },
    User {
        account: String,
        name: String,
        path: String,
        user_id: String,
    },
    /// A session of a role: `arn:aws:sts::<account>:assumed-role/<role>/<session>`.
    Session {
        account: String,
        role_name: String,
        /// The unique id of the role the session was issued for; a role deleted and created again under
        /// the same name has another id, and the old sessions get none of its permissions.
        role_id: String,
        session: String,
    },
}

impl Caller {
    pub fn account(&self) -> &str {
        match self {
            Caller::Root { account }
            | Caller::User { account, .. }
            | Caller::Session { account, .. } => account,
        }
    }

    /// The caller's ARN, as `GetCallerIdentity` and `AccessDenied` messages give it.
    pub fn arn(&self) -> String {
        match self {
            Caller::Root { account } => format!("arn:aws:iam::{account}:root"),
            Caller::User {
                account,
                name,
                path,
                ..
            } => format!("arn:aws:iam::{account}:user{path}{name}"),
            Caller::Session {
                account,
                role_name,
                session,
                ..
            } => format!("arn:aws:sts::{account}:assumed-role/{role_name}/{session}"),
        }
    }

    /// `GetCallerIdentity`'s `UserId`: the account id for root, the user's unique id, `<role id>:<session>`.
    pub fn user_id(&self) -> String {
        match self {
            Caller::Root { account } => account.clone(),
            Caller::User { user_id, .. } => user_id.clone(),
            Caller::Session {
                role_id, session, ..
            } => format!("{role_id}:{session}"),
        }
    }

    pub fn is_root(&self) -> bool {
        matches!(self, Caller::Root { .. })
    }

    /// The `aws:` keys the caller implies, with `aws:userid` filled in.
    pub fn global_keys(&self) -> crate::context::GlobalKeys {
        let mut keys = crate::context::GlobalKeys::for_caller(&self.arn());
        keys.userid = Some(self.user_id());
        keys
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callers_have_aws_arns_and_user_ids() {
        let root = Caller::Root {
            account: "123456789012".into(),
        };
        assert_eq!(root.arn(), "arn:aws:iam::123456789012:root");
        assert_eq!(root.user_id(), "123456789012");
        let user = Caller::User {
            account: "123456789012".into(),
            name: "bob".into(),
            path: "/ops/".into(),
            user_id: "AIDAEXAMPLE".into(),
        };
        assert_eq!(user.arn(), "arn:aws:iam::123456789012:user/ops/bob");
        let session = Caller::Session {
            account: "123456789012".into(),
            role_name: "reader".into(),
            role_id: "AROAEXAMPLE".into(),
            session: "fn".into(),
        };
        assert_eq!(
            session.arn(),
            "arn:aws:sts::123456789012:assumed-role/reader/fn"
        );
        assert_eq!(session.user_id(), "AROAEXAMPLE:fn");
        assert_eq!(
            session.global_keys().principal_arn.as_deref(),
            Some("arn:aws:iam::123456789012:role/reader")
        );
        assert_eq!(
            session.global_keys().userid.as_deref(),
            Some("AROAEXAMPLE:fn")
        );
    }
}
