//! Condition operators as policies name them: a base operator (`StringEquals`, `DateLessThan`, `Null`, …),
//! optionally qualified by a set operator (`ForAnyValue:` / `ForAllValues:`) in front and `IfExists` behind.
//! This module owns the vocabulary and its spelling; evaluation lives in `eval::condition`.

/// One key of one operator block: `"StringEquals": { "aws:username": ["a", "b"] }` is one condition whose
/// values are ORed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Condition {
    pub operator: Operator,
    /// The context key as written (keys compare without case).
    pub key: String,
    pub values: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Operator {
    pub set: Option<SetOperator>,
    pub kind: OperatorKind,
    pub if_exists: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetOperator {
    /// At least one value of the key must match.
    ForAnyValue,
    /// Every value of the key must match (true when the key is absent or empty).
    ForAllValues,
}

/// The base condition operators IAM knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OperatorKind {
    StringEquals,
    StringNotEquals,
    StringEqualsIgnoreCase,
    StringNotEqualsIgnoreCase,
    StringLike,
    StringNotLike,
    NumericEquals,
    NumericNotEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    DateEquals,
    DateNotEquals,
    DateLessThan,
    DateLessThanEquals,
    DateGreaterThan,
    DateGreaterThanEquals,
    Bool,
    BinaryEquals,
    IpAddress,
    NotIpAddress,
    ArnEquals,
    ArnLike,
    ArnNotEquals,
    ArnNotLike,
    Null,
}

const ALL_KINDS: [OperatorKind; 27] = [
    OperatorKind::StringEquals,
    OperatorKind::StringNotEquals,
    OperatorKind::StringEqualsIgnoreCase,
    OperatorKind::StringNotEqualsIgnoreCase,
    OperatorKind::StringLike,
    OperatorKind::StringNotLike,
    OperatorKind::NumericEquals,
    OperatorKind::NumericNotEquals,
    OperatorKind::NumericLessThan,
    OperatorKind::NumericLessThanEquals,
    OperatorKind::NumericGreaterThan,
    OperatorKind::NumericGreaterThanEquals,
    OperatorKind::DateEquals,
    OperatorKind::DateNotEquals,
    OperatorKind::DateLessThan,
    OperatorKind::DateLessThanEquals,
    OperatorKind::DateGreaterThan,
    OperatorKind::DateGreaterThanEquals,
    OperatorKind::Bool,
    OperatorKind::BinaryEquals,
    OperatorKind::IpAddress,
    OperatorKind::NotIpAddress,
    OperatorKind::ArnEquals,
    OperatorKind::ArnLike,
    OperatorKind::ArnNotEquals,
    OperatorKind::ArnNotLike,
    OperatorKind::Null,
];

impl OperatorKind {
    pub fn name(self) -> &'static str {
        match self {
            OperatorKind::StringEquals => "StringEquals",
            OperatorKind::StringNotEquals => "StringNotEquals",
            OperatorKind::StringEqualsIgnoreCase => "StringEqualsIgnoreCase",
            OperatorKind::StringNotEqualsIgnoreCase => "StringNotEqualsIgnoreCase",
            OperatorKind::StringLike => "StringLike",
            OperatorKind::StringNotLike => "StringNotLike",
            OperatorKind::NumericEquals => "NumericEquals",
            OperatorKind::NumericNotEquals => "NumericNotEquals",
            OperatorKind::NumericLessThan => "NumericLessThan",
            OperatorKind::NumericLessThanEquals => "NumericLessThanEquals",
            OperatorKind::NumericGreaterThan => "NumericGreaterThan",
            OperatorKind::NumericGreaterThanEquals => "NumericGreaterThanEquals",
            OperatorKind::DateEquals => "DateEquals",
            OperatorKind::DateNotEquals => "DateNotEquals",
            OperatorKind::DateLessThan => "DateLessThan",
            OperatorKind::DateLessThanEquals => "DateLessThanEquals",
            OperatorKind::DateGreaterThan => "DateGreaterThan",
            OperatorKind::DateGreaterThanEquals => "DateGreaterThanEquals",
            OperatorKind::Bool => "Bool",
            OperatorKind::BinaryEquals => "BinaryEquals",
            OperatorKind::IpAddress => "IpAddress",
            OperatorKind::NotIpAddress => "NotIpAddress",
            OperatorKind::ArnEquals => "ArnEquals",
            OperatorKind::ArnLike => "ArnLike",
            OperatorKind::ArnNotEquals => "ArnNotEquals",
            OperatorKind::ArnNotLike => "ArnNotLike",
            OperatorKind::Null => "Null",
        }
    }

    /// The operator of that exact name (names are case-sensitive).
    pub fn from_name(name: &str) -> Option<OperatorKind> {
        ALL_KINDS.into_iter().find(|kind| kind.name() == name)
    }

    /// The negated operators match when no value matches, and hold when the key is absent.
    pub fn is_negated(self) -> bool {
        matches!(
            self,
            OperatorKind::StringNotEquals
                | OperatorKind::StringNotEqualsIgnoreCase
                | OperatorKind::StringNotLike
                | OperatorKind::NumericNotEquals
                | OperatorKind::DateNotEquals
                | OperatorKind::NotIpAddress
                | OperatorKind::ArnNotEquals
                | OperatorKind::ArnNotLike
        )
    }

    pub fn is_date(self) -> bool {
        self.name().starts_with("Date")
    }

    /// Whether `${…}` in this operator's values is a policy variable (IAM: string, ARN and Bool operators).
    pub fn takes_variables(self) -> bool {
        let name = self.name();
        name.starts_with("String") || name.starts_with("Arn") || self == OperatorKind::Bool
    }
}

impl Operator {
    /// Reads an operator name: an optional `ForAnyValue:`/`ForAllValues:` prefix, a base operator, an optional
    /// `IfExists` suffix. `None` when the base is not one IAM knows.
    pub fn parse(text: &str) -> Option<Operator> {
        let (set, rest) = if let Some(rest) = text.strip_prefix("ForAnyValue:") {
            (Some(SetOperator::ForAnyValue), rest)
        } else if let Some(rest) = text.strip_prefix("ForAllValues:") {
            (Some(SetOperator::ForAllValues), rest)
        } else {
            (None, text)
        };
        let (base, if_exists) = match rest.strip_suffix("IfExists") {
            Some(base) => (base, true),
            None => (rest, false),
        };
        let kind = OperatorKind::from_name(base)?;
        Some(Operator {
            set,
            kind,
            if_exists,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_qualified_operator_names() {
        assert_eq!(
            Operator::parse("ForAnyValue:StringEqualsIfExists"),
            Some(Operator {
                set: Some(SetOperator::ForAnyValue),
                kind: OperatorKind::StringEquals,
                if_exists: true
            })
        );
        assert_eq!(
            Operator::parse("BoolIfExists").map(|o| (o.kind, o.if_exists)),
            Some((OperatorKind::Bool, true))
        );
        assert_eq!(
            Operator::parse("ForAllValues:NullIfExists").map(|o| o.kind),
            Some(OperatorKind::Null)
        );
    }

    #[test]
    fn refuses_unknown_or_misspelt_operators() {
        for name in [
            "StringEqualz",
            "stringequals",
            "ForAnyValue::StringEqualsIfExists",
            "ForAnyValue:ForAllValues:StringEquals",
            "StringEqualsIfExistsIfExists",
            "",
            "x",
        ] {
            assert_eq!(Operator::parse(name), None, "{name}");
        }
    }

    #[test]
    fn every_operator_name_round_trips() {
        for kind in ALL_KINDS {
            assert_eq!(OperatorKind::from_name(kind.name()), Some(kind));
        }
        assert!(OperatorKind::NotIpAddress.is_negated());
        assert!(!OperatorKind::Null.is_negated());
        assert!(OperatorKind::DateGreaterThanEquals.is_date());
        assert!(OperatorKind::ArnLike.takes_variables());
        assert!(!OperatorKind::NumericEquals.takes_variables());
    }
}
