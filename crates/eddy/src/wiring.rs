//! Adapters that connect the engines. The event-source-mapping engine reaches functions and destinations only
//! through its `Invoker` and `Destinations` traits, and SNS reaches functions through eddy-queue's
//! `FunctionInvoker`; they are implemented here over the Lambda and queue engines.

use bytes::Bytes;
use eddy_esm::{BoxFuture, Destinations, Invocation, InvokeFailure, Invoker};
use eddy_lambda::{InvocationKind, Lambda, LambdaError};
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
pub struct LambdaInvoker(pub Lambda);

impl Invoker for LambdaInvoker {
    fn resolve(&self, scope: &Scope, function: &str) -> Option<String> {
        let arn = self.0.function_arn(scope, function).ok()?;
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
        let lambda = self.0.clone();
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
        let queues = self.0.clone();
        Box::pin(async move {
            let sent = if arn.starts_with("arn:aws:sqs:") {
                queues.send_to_queue_arn(&scope, &arn, body).await
            } else {
                queues.publish_to_topic_arn(&scope, &arn, body, None).await
            };
            sent.map(|_| ()).map_err(|e| match e {
                DestinationError::DoesNotExist(m) | DestinationError::Failed(m) => m,
            })
        })
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
