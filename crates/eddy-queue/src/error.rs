//! SQS's and SNS's errors: one kind per AWS error, with its query-protocol code, the shape name the JSON
//! protocol puts in `__type`, its HTTP status and fault side kept here and nowhere else. The server only encodes.

use std::fmt;

use eddy_model::DynamoError;

/// An AWS error of SQS or SNS.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    // SQS
    QueueDoesNotExist,
    QueueNameExists,
    InvalidAttributeName,
    InvalidAttributeValue,
    InvalidParameterValue,
    MissingParameter,
    InvalidMessageContents,
    ReceiptHandleIsInvalid,
    MessageNotInflight,
    EmptyBatchRequest,
    TooManyEntriesInBatchRequest,
    BatchEntryIdsNotDistinct,
    InvalidBatchEntryId,
    BatchRequestTooLong,
    PurgeQueueInProgress,
    UnsupportedOperation,
    InvalidAddress,
    // SNS
    NotFound,
    InvalidParameter,
    ParameterValueInvalid,
    ResourceNotFound,
    TagLimitExceeded,
    /// A request member failing the model's constraints (`1 validation error detected: …`).
    ValidationError,
    // Both
    InvalidAction,
    InternalError,
}

impl ErrorKind {
    /// The code of the query protocol (`<Code>` of an XML error, and the `x-amzn-query-error` header of SQS's
    /// JSON protocol), which is what SDKs show as the error code.
    pub fn query_code(self) -> &'static str {
        match self {
            ErrorKind::QueueDoesNotExist => "AWS.SimpleQueueService.NonExistentQueue",
            ErrorKind::QueueNameExists => "QueueAlreadyExists",
            ErrorKind::InvalidAttributeName => "InvalidAttributeName",
            ErrorKind::InvalidAttributeValue => "InvalidAttributeValue",
            ErrorKind::InvalidParameterValue => "InvalidParameterValue",
            ErrorKind::MissingParameter => "MissingParameter",
            ErrorKind::InvalidMessageContents => "InvalidMessageContents",
            ErrorKind::ReceiptHandleIsInvalid => "ReceiptHandleIsInvalid",
            ErrorKind::MessageNotInflight => "AWS.SimpleQueueService.MessageNotInflight",
            ErrorKind::EmptyBatchRequest => "AWS.SimpleQueueService.EmptyBatchRequest",
            ErrorKind::TooManyEntriesInBatchRequest => {
                "AWS.SimpleQueueService.TooManyEntriesInBatchRequest"
            }
            ErrorKind::BatchEntryIdsNotDistinct => {
                "AWS.SimpleQueueService.BatchEntryIdsNotDistinct"
            }
            ErrorKind::InvalidBatchEntryId => "AWS.SimpleQueueService.InvalidBatchEntryId",
            ErrorKind::BatchRequestTooLong => "AWS.SimpleQueueService.BatchRequestTooLong",
            ErrorKind::PurgeQueueInProgress => "AWS.SimpleQueueService.PurgeQueueInProgress",
            ErrorKind::UnsupportedOperation => "AWS.SimpleQueueService.UnsupportedOperation",
            ErrorKind::InvalidAddress => "InvalidAddress",
            ErrorKind::NotFound => "NotFound",
            ErrorKind::InvalidParameter => "InvalidParameter",
            ErrorKind::ParameterValueInvalid => "ParameterValueInvalid",
            ErrorKind::ResourceNotFound => "ResourceNotFound",
            ErrorKind::TagLimitExceeded => "TagLimitExceeded",
            ErrorKind::ValidationError => "ValidationError",
            ErrorKind::InvalidAction => "InvalidAction",
            ErrorKind::InternalError => "InternalError",
        }
    }

    /// The shape name of SQS's JSON protocol (`__type: com.amazonaws.sqs#<name>`), from which current SDKs pick
    /// the exception class.
    pub fn json_type(self) -> &'static str {
        match self {
            ErrorKind::QueueDoesNotExist => "QueueDoesNotExist",
            ErrorKind::QueueNameExists => "QueueNameExists",
            ErrorKind::MessageNotInflight => "MessageNotInflight",
            ErrorKind::EmptyBatchRequest => "EmptyBatchRequest",
            ErrorKind::TooManyEntriesInBatchRequest => "TooManyEntriesInBatchRequest",
            ErrorKind::BatchEntryIdsNotDistinct => "BatchEntryIdsNotDistinct",
            ErrorKind::InvalidBatchEntryId => "InvalidBatchEntryId",
            ErrorKind::BatchRequestTooLong => "BatchRequestTooLong",
            ErrorKind::PurgeQueueInProgress => "PurgeQueueInProgress",
            ErrorKind::UnsupportedOperation => "UnsupportedOperation",
            // Not in the model; AWS's JSON names them so (AWS-recorded).
            ErrorKind::InvalidParameterValue => "InvalidParameterValueException",
            ErrorKind::MissingParameter => "MissingRequiredParameterException",
            other => other.query_code(),
        }
    }

    pub fn http_status(self) -> u16 {
        match self {
            ErrorKind::PurgeQueueInProgress => 403,
            ErrorKind::NotFound | ErrorKind::ResourceNotFound => 404,
            ErrorKind::InternalError => 500,
            _ => 400,
        }
    }

    /// `Sender` (the caller's fault) or `Receiver`.
    pub fn fault(self) -> &'static str {
        match self {
            ErrorKind::InternalError => "Receiver",
            _ => "Sender",
        }
    }
}

/// An error of an SQS or SNS operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueueError {
    pub kind: ErrorKind,
    pub message: String,
}

impl QueueError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> QueueError {
        QueueError {
            kind,
            message: message.into(),
        }
    }

    pub fn queue_does_not_exist() -> QueueError {
        QueueError::new(
            ErrorKind::QueueDoesNotExist,
            "The specified queue does not exist.",
        )
    }

    pub fn topic_not_found() -> QueueError {
        QueueError::new(ErrorKind::NotFound, "Topic does not exist")
    }

    pub fn invalid_parameter_value(message: impl Into<String>) -> QueueError {
        QueueError::new(ErrorKind::InvalidParameterValue, message)
    }

    /// SNS's `InvalidParameter`, whose messages all start with "Invalid parameter: ".
    pub fn invalid_parameter(what: impl fmt::Display) -> QueueError {
        QueueError::new(
            ErrorKind::InvalidParameter,
            format!("Invalid parameter: {what}"),
        )
    }

    pub fn missing_parameter(name: &str) -> QueueError {
        QueueError::new(
            ErrorKind::MissingParameter,
            format!("The request must contain the parameter {name}."),
        )
    }

    pub fn internal(message: impl Into<String>) -> QueueError {
        QueueError::new(ErrorKind::InternalError, message)
    }
}

impl fmt::Display for QueueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind.query_code(), self.message)
    }
}

impl std::error::Error for QueueError {}

impl From<DynamoError> for QueueError {
    /// Store failures (the document API reports them as DynamoDB's internal error).
    fn from(e: DynamoError) -> QueueError {
        QueueError::internal(e.to_string())
    }
}

/// Why a message could not be delivered to an on-failure destination (see `Queues::send_to_queue_arn`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DestinationError {
    /// The queue or topic does not exist (or the ARN names no SQS queue / SNS topic).
    DoesNotExist(String),
    /// The destination exists but refused the message (too large, invalid characters, …) or the store failed.
    Failed(String),
}

impl fmt::Display for DestinationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DestinationError::DoesNotExist(m) => write!(f, "destination does not exist: {m}"),
            DestinationError::Failed(m) => write!(f, "delivery failed: {m}"),
        }
    }
}

impl std::error::Error for DestinationError {}
