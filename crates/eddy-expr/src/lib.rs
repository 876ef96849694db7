//! eddy-expr: DynamoDB's expression language — parsing, validation and evaluation of condition, filter,
//! key-condition, projection and update expressions — plus the legacy (pre-expression) request parameters
//! converted into the same trees. [`parse_request`] checks all the expression inputs of one request together,
//! as DynamoDB does, and returns what the store evaluates. Nothing here does I/O.

pub mod condition;
mod cursor;
pub mod error;
pub mod key_condition;
pub mod legacy;
mod lexer;
pub mod path;
pub mod projection;
pub mod request;
mod reserved;
mod subst;
pub mod update;
mod values;

pub use condition::{CompareOp, Condition};
pub use error::{ExprError, ExpressionKind};
pub use key_condition::{KeyCondition, RangeCondition, ResolvedKeyCondition};
pub use legacy::{AttributeValueUpdate, ExpectedAttributeValue, LegacyCondition};
pub use path::{DocPath, PathElement};
pub use projection::Projection;
pub use request::{
    ExpressionInputs, Operation, ParsedExpressions, check_legacy, check_parameter_mix,
    check_scalar_key_paths, invalid_expression_value_message, parse_expressions, parse_request,
};
pub use update::Update;
