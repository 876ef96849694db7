//! The permission checks Lambda makes at the moments AWS makes them, as small functions the Lambda and
//! event-source-mapping code call with the execution role's policies:
//!
//! * `CreateFunction` / `UpdateFunctionConfiguration`: the role's trust policy must let
//!   `lambda.amazonaws.com` assume it — else `InvalidParameterValueException`
//!   `The role defined for the function cannot be assumed by Lambda.` (also AWS's answer when the role does
//!   not exist);
//! * `CreateEventSourceMapping` / `UpdateEventSourceMapping` on a DynamoDB stream: the role must be allowed
//!   `dynamodb:GetRecords`, `GetShardIterator`, `DescribeStream` and `ListStreams` on the stream — else
//!   `InvalidParameterValueException` `Cannot access stream <arn>. Please ensure the role can perform the
//!   GetRecords, GetShardIterator, DescribeStream, and ListStreams Actions on your stream in IAM.`;
//! * the same calls with an `OnFailure` destination: `sqs:SendMessage` on a queue (`The provided execution
//!   role does not have permissions to call SendMessage on SQS`), `sns:Publish` on a topic (`… call Publish
//!   on SNS`), `s3:PutObject` in a bucket (`… call PutObject on S3`, wording by analogy: unconfirmed).
//!
//! The error types carry the messages; the caller wraps them in its own `InvalidParameterValueException`.

use std::fmt;

use crate::arn;
use crate::eval::{AccessRequest, Principal, RequestContext, allows_assume, evaluate};
use crate::policy::PolicyDocument;

/// The service principal Lambda assumes execution roles as.
pub const LAMBDA_SERVICE_PRINCIPAL: &str = "lambda.amazonaws.com";

/// Lambda's message when it cannot assume a function's role.
pub const ROLE_CANNOT_BE_ASSUMED: &str =
    "The role defined for the function cannot be assumed by Lambda.";

/// The actions Lambda needs on a DynamoDB stream, in the order its message names them.
pub const STREAM_ACTIONS: [&str; 4] = [
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
    "dynamodb:DescribeStream",
    "dynamodb:ListStreams",
];

/// The execution role's trust policy does not let Lambda assume it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RoleNotAssumable;

impl fmt::Display for RoleNotAssumable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(ROLE_CANNOT_BE_ASSUMED)
    }
}

impl std::error::Error for RoleNotAssumable {}

/// `CreateFunction`'s check of the execution role's trust policy.
pub fn check_lambda_can_assume(trust: &PolicyDocument) -> Result<(), RoleNotAssumable> {
    if allows_assume(trust, &Principal::service(LAMBDA_SERVICE_PRINCIPAL)) {
        Ok(())
    } else {
        Err(RoleNotAssumable)
    }
}

/// The role may not perform some of [`STREAM_ACTIONS`] on the stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MissingActions {
    pub stream_arn: String,
    /// The actions denied, in [`STREAM_ACTIONS`] order.
    pub actions: Vec<&'static str>,
}

impl fmt::Display for MissingActions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Cannot access stream {}. Please ensure the role can perform the GetRecords, \
             GetShardIterator, DescribeStream, and ListStreams Actions on your stream in IAM.",
            self.stream_arn
        )
    }
}

impl std::error::Error for MissingActions {}

/// `CreateEventSourceMapping`'s check that the role can read the stream.
pub fn check_stream_access(
    policies: &[&PolicyDocument],
    stream_arn: &str,
) -> Result<(), MissingActions> {
    check_stream_access_in(policies, stream_arn, &RequestContext::new())
}

/// [`check_stream_access`] with the role's request context (its `aws:` keys).
pub fn check_stream_access_in(
    policies: &[&PolicyDocument],
    stream_arn: &str,
    context: &RequestContext,
) -> Result<(), MissingActions> {
    let denied: Vec<&'static str> = STREAM_ACTIONS
        .into_iter()
        .filter(|action| !allowed(policies, action, stream_arn, context))
        .collect();
    if denied.is_empty() {
        Ok(())
    } else {
        Err(MissingActions {
            stream_arn: stream_arn.to_string(),
            actions: denied,
        })
    }
}

fn allowed(
    policies: &[&PolicyDocument],
    action: &str,
    resource: &str,
    context: &RequestContext,
) -> bool {
    let request = AccessRequest::new(action, resource).in_context(context.clone());
    evaluate(policies, &request).is_allowed()
}

/// An `OnFailure` destination of a stream mapping.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Destination {
    Sqs,
    Sns,
    S3,
}

impl Destination {
    /// The kind of destination an ARN names; `None` for other services.
    pub fn from_arn(arn: &str) -> Option<Destination> {
        match arn::service(arn)? {
            "sqs" => Some(Destination::Sqs),
            "sns" => Some(Destination::Sns),
            "s3" => Some(Destination::S3),
            _ => None,
        }
    }

    /// The action Lambda performs on the destination, and the resource it performs it on.
    fn action_and_resource(self, arn: &str) -> (&'static str, String) {
        match self {
            Destination::Sqs => ("sqs:SendMessage", arn.to_string()),
            Destination::Sns => ("sns:Publish", arn.to_string()),
            Destination::S3 => ("s3:PutObject", format!("{arn}/*")),
        }
    }

    /// The API call and service as Lambda's message names them.
    fn call_and_service(self) -> (&'static str, &'static str) {
        match self {
            Destination::Sqs => ("SendMessage", "SQS"),
            Destination::Sns => ("Publish", "SNS"),
            Destination::S3 => ("PutObject", "S3"),
        }
    }
}

/// The role may not write to the `OnFailure` destination.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DestinationDenied {
    pub destination: Destination,
    pub arn: String,
}

impl fmt::Display for DestinationDenied {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (call, service) = self.destination.call_and_service();
        write!(
            f,
            "The provided execution role does not have permissions to call {call} on {service}"
        )
    }
}

impl std::error::Error for DestinationDenied {}

/// `CreateEventSourceMapping`'s check that the role can write to the `OnFailure` destination. A destination
/// of another service passes: which destinations a mapping accepts is the caller's rule.
pub fn check_destination_access(
    policies: &[&PolicyDocument],
    destination_arn: &str,
) -> Result<(), DestinationDenied> {
    check_destination_access_in(policies, destination_arn, &RequestContext::new())
}

/// [`check_destination_access`] with the role's request context.
pub fn check_destination_access_in(
    policies: &[&PolicyDocument],
    destination_arn: &str,
    context: &RequestContext,
) -> Result<(), DestinationDenied> {
    let Some(destination) = Destination::from_arn(destination_arn) else {
        return Ok(());
    };
    let (action, resource) = destination.action_and_resource(destination_arn);
    if allowed(policies, action, &resource, context) {
        Ok(())
    } else {
        Err(DestinationDenied {
            destination,
            arn: destination_arn.to_string(),
        })
    }
}

#[cfg(test)]
mod tests;
