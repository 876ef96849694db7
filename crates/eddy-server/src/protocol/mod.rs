//! AWS wire protocols: request context (scope from SigV4 credentials, request ids), the JSON 1.0 protocol
//! shared by DynamoDB and DynamoDB Streams, and model-driven request validation.

pub mod awsjson;
pub mod context;
pub mod model;
