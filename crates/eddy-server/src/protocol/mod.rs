//! AWS wire protocols: request context (scope from SigV4 credentials, request ids), the JSON 1.0 protocol
//! shared by DynamoDB, DynamoDB Streams and SQS, the query protocol with its XML answers (SQS, SNS; IAM and STS
//! later), and model-driven request validation.

pub mod awsjson;
pub mod coding;
pub mod context;
pub mod model;
pub mod query;
pub mod xml;
