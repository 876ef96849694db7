//! How SNS reaches Lambda. The Lambda engine lives in another crate (above this one in the dependency order
//! only through the binary's wiring), so SNS → Lambda subscriptions go through this narrow trait, which the
//! binary implements over the Lambda engine's asynchronous invoke. Without an invoker, Lambda subscriptions are
//! refused.

use std::future::Future;
use std::pin::Pin;

use eddy_model::Scope;

/// The future an invoker returns: `Ok` once the event is accepted for asynchronous invocation (as Lambda's
/// `Invoke` with `InvocationType=Event` answers 202), `Err` with a reason otherwise.
pub type InvokeFuture<'a> = Pin<Box<dyn Future<Output = Result<(), String>> + Send + 'a>>;

/// Invokes Lambda functions asynchronously with an event. Object-safe, so the engine holds an
/// `Arc<dyn FunctionInvoker>`.
pub trait FunctionInvoker: Send + Sync {
    /// Queues one asynchronous invocation of `function_arn` (a function ARN, optionally qualified with a version
    /// or alias) with `payload` (a JSON document). `scope` is the account and region of the caller (the topic's).
    fn invoke_event<'a>(
        &'a self,
        scope: &'a Scope,
        function_arn: &'a str,
        payload: Vec<u8>,
    ) -> InvokeFuture<'a>;
}
