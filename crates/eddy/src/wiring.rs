//! Adapters that connect the engines: the event-source-mapping engine reaches functions and destinations
//! only through its `Invoker` and `Destinations` traits, implemented here over the other engines.

use eddy_esm::{BoxFuture, Destinations, Invocation, InvokeFailure, Invoker};
use eddy_model::Scope;

/// Stands in for the Lambda engine until one is wired: no function exists.
pub struct NoFunctions;

impl Invoker for NoFunctions {
    fn resolve(&self, _scope: &Scope, _function: &str) -> Option<String> {
        None
    }

    fn invoke(
        &self,
        _scope: Scope,
        function_arn: String,
        _payload: Vec<u8>,
    ) -> BoxFuture<Result<Invocation, InvokeFailure>> {
        Box::pin(async move {
            Err(InvokeFailure::NotFound(format!(
                "Function not found: {function_arn}"
            )))
        })
    }
}

/// Stands in for SQS and SNS until they are wired: no destination exists.
pub struct NoDestinations;

impl Destinations for NoDestinations {
    fn check(&self, _scope: &Scope, arn: &str) -> Result<(), String> {
        Err(format!("The destination {arn} does not exist."))
    }

    fn deliver(&self, _scope: Scope, arn: String, _body: String) -> BoxFuture<Result<(), String>> {
        Box::pin(async move { Err(format!("The destination {arn} does not exist.")) })
    }
}
