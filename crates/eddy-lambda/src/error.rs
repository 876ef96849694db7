//! The errors of the Lambda API, each with AWS's error code, HTTP status and message. Encoding them on the wire
//! (`x-amzn-ErrorType` header, `{"Type":"User","message":…}` body) happens in eddy-server; everything that
//! decides *which* error it is lives here, so the event-source-mapping engine sees exactly what an SDK would.

use std::fmt;

/// Why an invocation was throttled (`Reason` of `TooManyRequestsException`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThrottleReason {
    /// The function's reserved concurrency (possibly 0) is in use.
    ReservedFunctionConcurrentInvocationLimitExceeded,
    /// The account's unreserved concurrency is in use.
    ConcurrentInvocationLimitExceeded,
}

impl ThrottleReason {
    pub fn as_str(self) -> &'static str {
        match self {
            ThrottleReason::ReservedFunctionConcurrentInvocationLimitExceeded => {
                "ReservedFunctionConcurrentInvocationLimitExceeded"
            }
            ThrottleReason::ConcurrentInvocationLimitExceeded => {
                "ConcurrentInvocationLimitExceeded"
            }
        }
    }
}

/// An error of the Lambda API (control plane or invoke). An invocation whose *function* failed is not an
/// error: it is an [`crate::InvokeOutcome`] with `function_error` set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LambdaError {
    /// 404: the function, version or alias does not exist.
    ResourceNotFound(String),
    /// 409: the resource exists already, or is in a state that does not allow the operation.
    ResourceConflict(String),
    /// 400: a parameter's value is not acceptable (AWS's catch-all for semantic checks).
    InvalidParameterValue(String),
    /// 400: an `InvalidParameterValueException` Lambda sends without `Type` (AWS-recorded: an alias that routes
    /// from `$LATEST`).
    InvalidParameterValueUntyped(String),
    /// 400: a request member failed the model's constraints (`1 validation error detected: …`).
    Validation(String),
    /// 429: throttled by concurrency.
    TooManyRequests {
        reason: ThrottleReason,
        message: String,
    },
    /// 413: the invoke payload is over the limit.
    RequestTooLarge(String),
    /// 413: a control-plane request or its zip is over the limit (`RequestEntityTooLargeException`).
    EntityTooLarge(String),
    /// 400: the invoke payload is not JSON.
    InvalidRequestContent(String),
    /// 403: the caller may not act on the resource (a function of another account).
    AccessDenied(String),
    /// 412: `RevisionId` does not match.
    PreconditionFailed(String),
    /// 400: the zip file cannot be used (`InvalidParameterValueException` on AWS too, kept apart for clarity).
    CodeStorageExceeded(String),
    /// 500: something inside eddy failed.
    Service(String),
}

/// What the event-source-mapping engine and other in-process callers receive from [`crate::Lambda::invoke`].
pub type InvokeError = LambdaError;

impl LambdaError {
    /// AWS's error code (`x-amzn-ErrorType`).
    pub fn code(&self) -> &'static str {
        match self {
            LambdaError::ResourceNotFound(_) => "ResourceNotFoundException",
            LambdaError::ResourceConflict(_) => "ResourceConflictException",
            LambdaError::InvalidParameterValue(_)
            | LambdaError::InvalidParameterValueUntyped(_) => "InvalidParameterValueException",
            LambdaError::Validation(_) => "ValidationException",
            LambdaError::TooManyRequests { .. } => "TooManyRequestsException",
            LambdaError::RequestTooLarge(_) => "RequestTooLargeException",
            LambdaError::EntityTooLarge(_) => "RequestEntityTooLargeException",
            LambdaError::InvalidRequestContent(_) => "InvalidRequestContentException",
            LambdaError::AccessDenied(_) => "AccessDeniedException",
            LambdaError::PreconditionFailed(_) => "PreconditionFailedException",
            LambdaError::CodeStorageExceeded(_) => "CodeStorageExceededException",
            LambdaError::Service(_) => "ServiceException",
        }
    }

    pub fn http_status(&self) -> u16 {
        match self {
            LambdaError::ResourceNotFound(_) => 404,
            LambdaError::ResourceConflict(_) => 409,
            LambdaError::TooManyRequests { .. } => 429,
            LambdaError::RequestTooLarge(_) | LambdaError::EntityTooLarge(_) => 413,
            LambdaError::PreconditionFailed(_) => 412,
            LambdaError::AccessDenied(_) => 403,
            LambdaError::Service(_) => 500,
            _ => 400,
        }
    }

    pub fn message(&self) -> &str {
        match self {
            LambdaError::ResourceNotFound(m)
            | LambdaError::ResourceConflict(m)
            | LambdaError::InvalidParameterValue(m)
            | LambdaError::InvalidParameterValueUntyped(m)
            | LambdaError::Validation(m)
            | LambdaError::RequestTooLarge(m)
            | LambdaError::EntityTooLarge(m)
            | LambdaError::InvalidRequestContent(m)
            | LambdaError::PreconditionFailed(m)
            | LambdaError::AccessDenied(m)
            | LambdaError::CodeStorageExceeded(m)
            | LambdaError::Service(m) => m,
            LambdaError::TooManyRequests { message, .. } => message,
        }
    }

    /// The `Type` member of the body (`User` for the caller's faults, `Service` for eddy's); absent on
    /// `ValidationException`.
    pub fn fault_type(&self) -> Option<&'static str> {
        match self {
            LambdaError::Validation(_) | LambdaError::InvalidParameterValueUntyped(_) => None,
            LambdaError::Service(_) => Some("Service"),
            _ => Some("User"),
        }
    }

    /// Whether the message member is spelled `Message` (ResourceNotFoundException) or `message` (the rest).
    pub fn capitalised_message(&self) -> bool {
        matches!(self, LambdaError::ResourceNotFound(_))
    }

    /// A throttle (the caller may retry later; the event-source-mapping engine does not spend retry budget).
    pub fn is_throttle(&self) -> bool {
        matches!(self, LambdaError::TooManyRequests { .. })
    }

    pub(crate) fn throttled(reason: ThrottleReason) -> LambdaError {
        LambdaError::TooManyRequests {
            reason,
            message: "Rate Exceeded.".to_string(),
        }
    }

    pub(crate) fn internal(e: impl fmt::Display) -> LambdaError {
        LambdaError::Service(e.to_string())
    }
}

impl fmt::Display for LambdaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code(), self.message())
    }
}

impl std::error::Error for LambdaError {}

impl From<eddy_model::DynamoError> for LambdaError {
    fn from(e: eddy_model::DynamoError) -> LambdaError {
        LambdaError::Service(e.to_string())
    }
}
