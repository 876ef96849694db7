//! DynamoDB's errors: one enum, with the wire code, `__type` namespace and HTTP status of each kind kept here
//! and nowhere else. Engine code returns these; the server only encodes them.

use std::fmt;

use crate::value::AttributeMap;

/// One entry of `TransactionCanceledException.CancellationReasons`.
#[derive(Clone, Debug, PartialEq)]
pub struct CancellationReason {
    /// `None`, `ConditionalCheckFailed`, `ValidationError`, `TransactionConflict`, `ItemCollectionSizeLimitExceeded`, …
    pub code: String,
    pub message: Option<String>,
    /// The item, with `ReturnValuesOnConditionCheckFailure: ALL_OLD`.
    pub item: Option<AttributeMap>,
}

impl CancellationReason {
    pub fn none() -> CancellationReason {
        CancellationReason {
            code: "None".into(),
            message: None,
            item: None,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum DynamoError {
    Validation(String),
    Serialization(String),
    ResourceNotFound(String),
    ResourceInUse(String),
    ConditionalCheckFailed { item: Option<AttributeMap> },
    TransactionCanceled { reasons: Vec<CancellationReason> },
    TransactionConflict(String),
    TransactionInProgress(String),
    IdempotentParameterMismatch(String),
    LimitExceeded(String),
    ItemCollectionSizeLimitExceeded(String),
    UnknownOperation,
    MissingAction,
    AccessDenied(String),
    UnrecognizedClient(String),
    // Streams
    ExpiredIterator(String),
    TrimmedDataAccess(String),
    Internal(String),
}

impl DynamoError {
    pub fn validation(message: impl Into<String>) -> DynamoError {
        DynamoError::Validation(message.into())
    }

    /// The short error code (what SDKs expose as the error code).
    pub fn code(&self) -> &'static str {
        match self {
            DynamoError::Validation(_) => "ValidationException",
            DynamoError::Serialization(_) => "SerializationException",
            DynamoError::ResourceNotFound(_) => "ResourceNotFoundException",
            DynamoError::ResourceInUse(_) => "ResourceInUseException",
            DynamoError::ConditionalCheckFailed { .. } => "ConditionalCheckFailedException",
            DynamoError::TransactionCanceled { .. } => "TransactionCanceledException",
            DynamoError::TransactionConflict(_) => "TransactionConflictException",
            DynamoError::TransactionInProgress(_) => "TransactionInProgressException",
            DynamoError::IdempotentParameterMismatch(_) => "IdempotentParameterMismatchException",
            DynamoError::LimitExceeded(_) => "LimitExceededException",
            DynamoError::ItemCollectionSizeLimitExceeded(_) => {
                "ItemCollectionSizeLimitExceededException"
            }
            DynamoError::UnknownOperation => "UnknownOperationException",
            DynamoError::MissingAction => "MissingAction",
            DynamoError::AccessDenied(_) => "AccessDeniedException",
            DynamoError::UnrecognizedClient(_) => "UnrecognizedClientException",
            DynamoError::ExpiredIterator(_) => "ExpiredIteratorException",
            DynamoError::TrimmedDataAccess(_) => "TrimmedDataAccessException",
            DynamoError::Internal(_) => "InternalServerError",
        }
    }

    /// The `__type` value: the code qualified by the namespace DynamoDB uses for it.
    pub fn wire_type(&self) -> String {
        let namespace = match self {
            DynamoError::Validation(_) => "com.amazon.coral.validate",
            DynamoError::Serialization(_)
            | DynamoError::UnknownOperation
            | DynamoError::MissingAction
            | DynamoError::AccessDenied(_)
            | DynamoError::UnrecognizedClient(_) => "com.amazon.coral.service",
            _ => "com.amazonaws.dynamodb.v20120810",
        };
        format!("{namespace}#{}", self.code())
    }

    pub fn http_status(&self) -> u16 {
        match self {
            DynamoError::Internal(_) => 500,
            DynamoError::UnknownOperation | DynamoError::MissingAction => 400,
            _ => 400,
        }
    }

    /// The message, or `None` for errors DynamoDB sends without one.
    pub fn message(&self) -> Option<String> {
        Some(match self {
            DynamoError::Validation(m)
            | DynamoError::Serialization(m)
            | DynamoError::ResourceNotFound(m)
            | DynamoError::ResourceInUse(m)
            | DynamoError::TransactionConflict(m)
            | DynamoError::TransactionInProgress(m)
            | DynamoError::IdempotentParameterMismatch(m)
            | DynamoError::LimitExceeded(m)
            | DynamoError::ItemCollectionSizeLimitExceeded(m)
            | DynamoError::AccessDenied(m)
            | DynamoError::UnrecognizedClient(m)
            | DynamoError::ExpiredIterator(m)
            | DynamoError::TrimmedDataAccess(m)
            | DynamoError::Internal(m) => m.clone(),
            DynamoError::ConditionalCheckFailed { .. } => "The conditional request failed".into(),
            DynamoError::TransactionCanceled { reasons } => {
                let codes: Vec<&str> = reasons.iter().map(|r| r.code.as_str()).collect();
                format!(
                    "Transaction cancelled, please refer cancellation reasons for specific reasons [{}]",
                    codes.join(", ")
                )
            }
            DynamoError::UnknownOperation | DynamoError::MissingAction => return None,
        })
    }

    /// Whether the message member is spelled `Message` (coral service errors) rather than `message`. A
    /// ConditionalCheckFailedException carrying the `Item` had `Message` too in LocalStack's recording of 2024;
    /// moto's tests, re-verified against AWS in August 2026, find `message`.
    pub fn capitalised_message(&self) -> bool {
        matches!(
            self,
            DynamoError::Serialization(_) | DynamoError::TransactionCanceled { .. }
        )
    }
}

impl fmt::Display for DynamoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.message() {
            Some(m) => write!(f, "{}: {m}", self.code()),
            None => f.write_str(self.code()),
        }
    }
}

impl std::error::Error for DynamoError {}

pub type DynamoResult<T> = Result<T, DynamoError>;
