//! eddy-model: the vocabulary every other eddy crate speaks — DynamoDB attribute values and numbers, key
//! schemas and their order-preserving encodings, resource scopes and ARNs, the steerable server clock, and the
//! DynamoDB error enum with its wire codes. Nothing here does I/O.

pub mod clock;
pub mod error;
pub mod key;
pub mod number;
pub mod scope;
pub mod time;
pub mod value;

pub use clock::Clock;
pub use error::{CancellationReason, DynamoError};
pub use key::{KeyAttribute, KeySchema, ScalarType};
pub use number::{Number, NumberError, ValueLayer};
pub use scope::Scope;
pub use value::{AttributeMap, AttributeValue, ValueType, item_size};
