//! The credentials an execution environment gets (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
//! `AWS_SESSION_TOKEN`): temporary credentials of a session of the function's execution role, issued by
//! whoever the binary wires in (eddy's IAM). An environment whose credentials are due for renewal is not
//! reused; the next invocation starts a fresh one with new credentials.

use eddy_model::Scope;

/// Temporary credentials for one execution environment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuedCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: String,
    /// Server-clock time (epoch ms) after which the environment is not reused; `None` for never.
    pub refresh_at_ms: Option<i64>,
}

/// Issues credentials for a session of a function's execution role.
pub trait CredentialIssuer: Send + Sync + 'static {
    /// Credentials for `function` (in `scope`) acting as `role_arn`; `None` when the role cannot have a
    /// session (not a role ARN), in which case the environment gets placeholder credentials.
    fn issue(&self, scope: &Scope, role_arn: &str, function: &str) -> Option<IssuedCredentials>;
}
