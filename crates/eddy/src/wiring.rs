//! Adapters that connect the engines. The event-source-mapping engine reaches functions and destinations only
//! through its `Invoker` and `Destinations` traits, and SNS reaches functions through eddy-queue's
//! `FunctionInvoker`; they are implemented here over the Lambda and queue engines. Execution environments get
//! their credentials from IAM through eddy-lambda's `CredentialIssuer`, and mappings check the function's
//! role with IAM through `Invoker::check_role`.

use bytes::Bytes;
use eddy_esm::{BoxFuture, Destinations, Invocation, InvokeFailure, Invoker};
use eddy_iam::Iam;
use eddy_iam::service::LambdaRoleCheck;
use eddy_lambda::{CredentialIssuer, InvocationKind, IssuedCredentials, Lambda, LambdaError};
use eddy_model::Scope;
use eddy_queue::{DestinationError, FunctionInvoker, InvokeFuture, Queues};

/// The qualifier a `FunctionName` parameter carries, if any: `name:q`, `acct:function:name:q`,
/// `arn:aws:lambda:region:acct:function:name:q`.
fn qualifier_of(function: &str) -> Option<&str> {
    let parts: Vec<&str> = function.split(':').collect();
    match parts.as_slice() {
        [_, q] => Some(q),
        [_, "function", _, q] => Some(q),
        ["arn", _, "lambda", _, _, "function", _, q] => Some(q),
        _ => None,
    }
}

/// Functions as the event source mappings see them.
pub struct LambdaInvoker {
    pub lambda: Lambda,
    pub iam: Iam,
    /// Whether a role eddy's IAM does not know fails the checks (authentication on) or skips them.
    pub roles_must_exist: bool,
}

impl LambdaInvoker {
    /// The execution role and name of a function.
    fn role_of(&self, scope: &Scope, function_arn: &str) -> Option<(String, String)> {
        let config = self
            .lambda
            .get_function_configuration(scope, function_arn, None)
            .ok()?;
        Some((
            config.get("Role")?.as_str()?.to_string(),
            config.get("FunctionName")?.as_str()?.to_string(),
        ))
    }
}

impl Invoker for LambdaInvoker {
    fn resolve(&self, scope: &Scope, function: &str) -> Option<String> {
        let arn = self.lambda.function_arn(scope, function).ok()?;
        Some(match qualifier_of(function) {
            Some(q) => format!("{arn}:{q}"),
            None => arn,
        })
    }

    fn invoke(
        &self,
        scope: Scope,
        function_arn: String,
        payload: Vec<u8>,
    ) -> BoxFuture<Result<Invocation, InvokeFailure>> {
        let lambda = self.lambda.clone();
        Box::pin(async move {
            match lambda
                .invoke(
                    &scope,
                    &function_arn,
                    None,
                    Bytes::from(payload),
                    InvocationKind::RequestResponse,
                )
                .await
            {
                Ok(outcome) => Ok(Invocation {
                    request_id: outcome.request_id,
                    status_code: outcome.status_code,
                    function_error: outcome.function_error,
                    payload: outcome.payload.to_vec(),
                    executed_version: outcome.executed_version,
                }),
                Err(e) if e.is_throttle() => Err(InvokeFailure::Throttled(e.message().to_string())),
                Err(LambdaError::ResourceNotFound(m)) => Err(InvokeFailure::NotFound(m)),
                Err(e) => Err(InvokeFailure::Other(format!(
                    "{}: {}",
                    e.code(),
                    e.message()
                ))),
            }
        })
    }

    /// The role must read the stream and write to the on-failure destination; a role eddy's IAM does not
    /// know is checked only when authentication is on (see docs/security.md).
    fn check_role(
        &self,
        scope: &Scope,
        function_arn: &str,
        source_arn: &str,
        on_failure: Option<&str>,
    ) -> Result<(), String> {
        let Some((role, function)) = self.role_of(scope, function_arn) else {
            return Ok(());
        };
        if !self.roles_must_exist && self.iam.lambda_role_check(&role) == LambdaRoleCheck::Missing {
            return Ok(());
        }
        self.iam
            .check_stream_access(&role, &function, source_arn)
            .map_err(|e| e.to_string())?;
        if let Some(destination) = on_failure {
            self.iam
                .check_destination_access(&role, &function, destination)
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    }
}

/// Execution environments' credentials: sessions of the function's role.
pub struct FunctionCredentials {
    pub iam: Iam,
    /// How long the credentials are valid.
    pub valid_ms: i64,
    /// Whether environments are renewed before their credentials expire (only matters when requests are
    /// verified).
    pub renew: bool,
}

impl CredentialIssuer for FunctionCredentials {
    fn issue(&self, scope: &Scope, role_arn: &str, function: &str) -> Option<IssuedCredentials> {
        let session =
            self.iam
                .function_credentials(&scope.account, role_arn, function, self.valid_ms)?;
        Some(IssuedCredentials {
            access_key_id: session.access_key_id,
            secret_access_key: session.secret_access_key,
            session_token: session.session_token,
            refresh_at_ms: self.renew.then(|| session.expiration_ms - 15 * 60 * 1000),
        })
    }
}

/// SNS → Lambda subscriptions: asynchronous (`Event`) invocations.
pub struct LambdaEvents(pub Lambda);

impl FunctionInvoker for LambdaEvents {
    fn invoke_event<'a>(
        &'a self,
        scope: &'a Scope,
        function_arn: &'a str,
        payload: Vec<u8>,
    ) -> InvokeFuture<'a> {
        Box::pin(async move {
            self.0
                .invoke(
                    scope,
                    function_arn,
                    None,
                    Bytes::from(payload),
                    InvocationKind::Event,
                )
                .await
                .map(|_| ())
                .map_err(|e| format!("{}: {}", e.code(), e.message()))
        })
    }
}

/// On-failure destinations: SQS queues and SNS topics.
pub struct QueueDestinations(pub Queues);

/// The (account, region) an ARN names.
fn arn_scope(arn: &str) -> Option<(&str, &str)> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    match parts.as_slice() {
        ["arn", _, _, region, account, _] => Some((region, account)),
        _ => None,
    }
}

impl Destinations for QueueDestinations {
    fn check(&self, scope: &Scope, arn: &str) -> Result<(), String> {
        let in_scope =
            arn_scope(arn).is_some_and(|(r, a)| r == &*scope.region && a == &*scope.account);
        let exists = if arn.starts_with("arn:aws:sqs:") {
            self.0.queue_exists(arn)
        } else {
            self.0.topic_exists(arn)
        };
        if in_scope && exists {
            Ok(())
        } else {
            Err(format!(
                "The destination {arn} does not exist or is not in the mapping's account and region."
            ))
        }
    }

    fn deliver(&self, scope: Scope, arn: String, body: String) -> BoxFuture<Result<(), String>> {
        self.send(scope, arn, body, eddy_queue::Attributes::new())
    }
}

impl QueueDestinations {
    /// Sends `body` with message attributes to the SQS queue or SNS topic `arn`.
    fn send(
        &self,
        scope: Scope,
        arn: String,
        body: String,
        attributes: eddy_queue::Attributes,
    ) -> BoxFuture<Result<(), String>> {
        let queues = self.0.clone();
        Box::pin(async move {
            let sent = if arn.starts_with("arn:aws:sqs:") {
                queues
                    .send_to_queue_arn_with(&scope, &arn, body, attributes)
                    .await
            } else {
                queues
                    .publish_to_topic_arn_with(&scope, &arn, body, None, attributes)
                    .await
            };
            sent.map(|_| ()).map_err(|e| match e {
                DestinationError::DoesNotExist(m) | DestinationError::Failed(m) => m,
            })
        })
    }
}

/// Asynchronous invocations' on-success and on-failure destinations: the same queues and topics.
impl eddy_lambda::event_config::AsyncDestinations for QueueDestinations {
    fn exists(&self, scope: &Scope, arn: &str) -> bool {
        Destinations::check(self, scope, arn).is_ok()
    }

    fn deliver(
        &self,
        scope: Scope,
        arn: String,
        body: String,
        attributes: Vec<(String, String, String)>,
    ) -> BoxFuture<Result<(), String>> {
        let attributes = attributes
            .into_iter()
            .map(|(name, data_type, value)| {
                let value = eddy_queue::AttributeValue {
                    data_type,
                    string_value: Some(value),
                    binary_value: None,
                };
                (name, value)
            })
            .collect();
        self.send(scope, arn, body, attributes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qualifiers_are_found_in_every_name_form() {
        assert_eq!(qualifier_of("f"), None);
        assert_eq!(qualifier_of("f:live"), Some("live"));
        assert_eq!(qualifier_of("123456789012:function:f"), None);
        assert_eq!(qualifier_of("123456789012:function:f:2"), Some("2"));
        assert_eq!(
            qualifier_of("arn:aws:lambda:us-east-1:123456789012:function:f"),
            None
        );
        assert_eq!(
            qualifier_of("arn:aws:lambda:us-east-1:123456789012:function:f:live"),
            Some("live")
        );
    }
}
