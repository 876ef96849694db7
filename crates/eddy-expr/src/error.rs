//! The errors of parsing and validating one expression, each rendering DynamoDB's exact message text, and the
//! request parameter an expression belongs to (which supplies the `Invalid <Parameter>: ` prefix).

use std::fmt;

use eddy_model::DynamoError;

/// Longest expression DynamoDB accepts, in UTF-8 bytes.
pub const MAX_EXPRESSION_BYTES: usize = 4096;

/// Deepest nesting (parentheses and function calls) eddy parses. DynamoDB documents no such limit, but its limit
/// of 300 operators bounds how deep a meaningful expression nests (`a<b OR (a<b OR (…))` 149 deep passes on AWS,
/// as Alternator's suite finds); eddy stops there so that hostile input cannot exhaust the stack. At this depth
/// parsing and checking take about 5 MB of stack in an unoptimised build and under 1 MB optimised: the server's
/// runtime threads have 16 MiB (crates/eddy/src/main.rs).
pub const MAX_NESTING_DEPTH: usize = 400;

/// Which request parameter an expression came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ExpressionKind {
    Condition,
    Filter,
    KeyCondition,
    Projection,
    Update,
}

impl ExpressionKind {
    /// The request member name, as DynamoDB names it in messages.
    pub fn parameter(self) -> &'static str {
        match self {
            ExpressionKind::Condition => "ConditionExpression",
            ExpressionKind::Filter => "FilterExpression",
            ExpressionKind::KeyCondition => "KeyConditionExpression",
            ExpressionKind::Projection => "ProjectionExpression",
            ExpressionKind::Update => "UpdateExpression",
        }
    }
}

/// Where a function was found that belongs to the other kind of expression.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FunctionPlace {
    Condition,
    Update,
}

impl FunctionPlace {
    fn article_and_name(self) -> &'static str {
        match self {
            FunctionPlace::Condition => "a condition",
            FunctionPlace::Update => "an update",
        }
    }
}

/// Why one expression is invalid. `Display` gives the text that follows `Invalid <Parameter>: `.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExprError {
    Empty,
    TooLarge {
        size: usize,
    },
    TooDeep,
    Syntax {
        token: String,
        near: String,
    },
    RedundantParentheses,
    InvalidFunction(String),
    /// A function of the other kind of expression: `if_not_exists` in a condition, `size` in an update.
    FunctionNotAllowed {
        function: String,
        here: FunctionPlace,
    },
    MisusedFunction(String),
    /// A document path deeper than DynamoDB's 32 levels (the top-level attribute counts as one).
    PathTooDeep(usize),
    ReservedKeyword(String),
    UndefinedName(String),
    UndefinedValue(String),
    OperandCount {
        function: String,
        count: usize,
    },
    NotDistinct {
        operator: String,
        path: String,
    },
    OperandType {
        function: String,
        operand_type: String,
    },
    RequiresPath(String),
    InvalidTypeName(String),
    BetweenTypes {
        lower: String,
        upper: String,
    },
    BetweenOrder {
        lower: String,
        upper: String,
    },
    TooManyInOperands(usize),
    TooManyOperators(usize),
    SectionTwice(&'static str),
    PathOverlap {
        one: String,
        two: String,
    },
    PathConflict {
        one: String,
        two: String,
    },
    UpdateOperandType {
        operator: &'static str,
        operand_type: &'static str,
    },
}

impl fmt::Display for ExprError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExprError::Empty => f.write_str("The expression can not be empty;"),
            ExprError::TooLarge { size } => write!(
                f,
                "Expression size has exceeded the maximum allowed size; expression size: {size}"
            ),
            ExprError::TooDeep => write!(
                f,
                "The expression is nested too deeply; maximum nesting depth: {MAX_NESTING_DEPTH}"
            ),
            ExprError::Syntax { token, near } => {
                write!(f, "Syntax error; token: \"{token}\", near: \"{near}\"")
            }
            ExprError::RedundantParentheses => {
                f.write_str("The expression has redundant parentheses;")
            }
            ExprError::InvalidFunction(name) => {
                write!(f, "Invalid function name; function: {name}")
            }
            ExprError::FunctionNotAllowed { function, here } => write!(
                f,
                "The function is not allowed in {} expression; function: {function}",
                here.article_and_name()
            ),
            ExprError::PathTooDeep(levels) => write!(
                f,
                "The document path has too many nesting levels; nesting levels: {levels}"
            ),
            ExprError::MisusedFunction(name) => write!(
                f,
                "The function is not allowed to be used this way in an expression; function: {name}"
            ),
            ExprError::ReservedKeyword(name) => {
                write!(
                    f,
                    "Attribute name is a reserved keyword; reserved keyword: {name}"
                )
            }
            ExprError::UndefinedName(name) => write!(
                f,
                "An expression attribute name used in the document path is not defined; attribute name: {name}"
            ),
            ExprError::UndefinedValue(name) => write!(
                f,
                "An expression attribute value used in expression is not defined; attribute value: {name}"
            ),
            ExprError::OperandCount { function, count } => write!(
                f,
                "Incorrect number of operands for operator or function; operator or function: {function}, number of operands: {count}"
            ),
            ExprError::NotDistinct { operator, path } => write!(
                f,
                "The first operand must be distinct from the remaining operands for this operator or function; operator: {operator}, first operand: {path}"
            ),
            ExprError::OperandType {
                function,
                operand_type,
            } => write!(
                f,
                "Incorrect operand type for operator or function; operator or function: {function}, operand type: {operand_type}"
            ),
            ExprError::RequiresPath(name) => write!(
                f,
                "Operator or function requires a document path; operator or function: {name}"
            ),
            ExprError::InvalidTypeName(name) => write!(
                f,
                "Invalid attribute type name found; type: {name}, valid types: {{B,NULL,SS,BOOL,L,BS,N,NS,S,M}}"
            ),
            ExprError::BetweenTypes { lower, upper } => write!(
                f,
                "The BETWEEN operator requires same data type for lower and upper bounds; lower bound operand: AttributeValue: {lower}, upper bound operand: AttributeValue: {upper}"
            ),
            ExprError::BetweenOrder { lower, upper } => write!(
                f,
                "The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {lower}, upper bound operand: AttributeValue: {upper}"
            ),
            ExprError::TooManyInOperands(count) => write!(
                f,
                "The IN operator is provided with too many operands; number of operands: {count}"
            ),
            ExprError::TooManyOperators(count) => write!(
                f,
                "The expression contains too many operators; operator count: {count}"
            ),
            ExprError::SectionTwice(section) => write!(
                f,
                "The \"{section}\" section can only be used once in an update expression;"
            ),
            ExprError::PathOverlap { one, two } => write!(
                f,
                "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: {one}, path two: {two}"
            ),
            ExprError::PathConflict { one, two } => write!(
                f,
                "Two document paths conflict with each other; must remove or rewrite one of these paths; path one: {one}, path two: {two}"
            ),
            // Current DynamoDB appends the allowed type set (seen in real responses, e.g. `operator: DELETE,
            // operand type: STRING, typeSet: ALLOWED_FOR_DELETE_OPERAND`); dynalite's older tests lack it.
            ExprError::UpdateOperandType {
                operator,
                operand_type,
            } => write!(
                f,
                "Incorrect operand type for operator or function; operator: {operator}, operand type: {operand_type}, typeSet: ALLOWED_FOR_{operator}_OPERAND"
            ),
        }
    }
}

impl std::error::Error for ExprError {}

impl ExprError {
    /// The `ValidationException` DynamoDB returns for this error in the given parameter.
    pub fn into_dynamo(self, kind: ExpressionKind) -> DynamoError {
        // Only condition and filter expressions name their size when too large (verified against AWS by
        // extenddb's and the conformance suite's tests, 2026).
        if let ExprError::TooLarge { .. } = self
            && !matches!(kind, ExpressionKind::Condition | ExpressionKind::Filter)
        {
            return DynamoError::Validation(format!(
                "Invalid {}: Expression size has exceeded the maximum allowed size;",
                kind.parameter()
            ));
        }
        DynamoError::Validation(format!("Invalid {}: {self}", kind.parameter()))
    }
}

/// Shorthand for a `ValidationException` with the given message.
pub(crate) fn validation(message: impl Into<String>) -> DynamoError {
    DynamoError::Validation(message.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(err: DynamoError) -> String {
        err.message().unwrap_or_default()
    }

    #[test]
    fn prefixes_the_parameter_name() {
        assert_eq!(
            message(ExprError::Empty.into_dynamo(ExpressionKind::Update)),
            "Invalid UpdateExpression: The expression can not be empty;"
        );
        assert_eq!(
            message(ExprError::RedundantParentheses.into_dynamo(ExpressionKind::Filter)),
            "Invalid FilterExpression: The expression has redundant parentheses;"
        );
    }

    #[test]
    fn syntax_errors_quote_token_and_context() {
        let err = ExprError::Syntax {
            token: "<EOF>".into(),
            near: "= ".into(),
        };
        assert_eq!(
            message(err.into_dynamo(ExpressionKind::KeyCondition)),
            "Invalid KeyConditionExpression: Syntax error; token: \"<EOF>\", near: \"= \""
        );
    }

    #[test]
    fn size_limit_message_carries_the_size_for_conditions_and_filters_only() {
        let too_large = || ExprError::TooLarge { size: 5872 };
        for kind in [ExpressionKind::Condition, ExpressionKind::Filter] {
            assert!(message(too_large().into_dynamo(kind)).ends_with(
                ": Expression size has exceeded the maximum allowed size; expression size: 5872"
            ));
        }
        for (kind, name) in [
            (ExpressionKind::KeyCondition, "KeyConditionExpression"),
            (ExpressionKind::Projection, "ProjectionExpression"),
            (ExpressionKind::Update, "UpdateExpression"),
        ] {
            assert_eq!(
                message(too_large().into_dynamo(kind)),
                format!("Invalid {name}: Expression size has exceeded the maximum allowed size;")
            );
        }
    }
}
