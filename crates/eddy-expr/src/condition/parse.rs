//! The grammar of condition, filter and key-condition expressions, producing a syntax tree that is not yet
//! checked for meaning (unknown functions, undefined placeholders and the like are found by `check`).
//!
//! Precedence is NOT > AND > OR. Parenthesised groups may hold a condition or an operand; a group that directly
//! holds another group is remembered so that DynamoDB's "redundant parentheses" error can be raised. A syntax
//! error names the first token that cannot continue a valid expression.

use crate::cursor::{Cursor, RawPath};
use crate::error::ExprError;
use crate::lexer::{Kind, Punct, Tokens};

pub(crate) const KEYWORDS: &[&str] = &["AND", "OR", "NOT", "BETWEEN", "IN"];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompareOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CompareOp {
    pub fn symbol(self) -> &'static str {
        match self {
            CompareOp::Eq => "=",
            CompareOp::Ne => "<>",
            CompareOp::Lt => "<",
            CompareOp::Le => "<=",
            CompareOp::Gt => ">",
            CompareOp::Ge => ">=",
        }
    }

    fn from_punct(punct: Punct) -> Option<CompareOp> {
        Some(match punct {
            Punct::Eq => CompareOp::Eq,
            Punct::Ne => CompareOp::Ne,
            Punct::Lt => CompareOp::Lt,
            Punct::Le => CompareOp::Le,
            Punct::Gt => CompareOp::Gt,
            Punct::Ge => CompareOp::Ge,
            _ => return None,
        })
    }
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Raw {
    Or(Vec<Raw>),
    And(Vec<Raw>),
    /// `negate` is false when an even number of NOTs preceded the operand.
    Not {
        inner: Box<Raw>,
        negate: bool,
    },
    Compare {
        op: CompareOp,
        left: Box<Raw>,
        right: Box<Raw>,
    },
    Between {
        subject: Box<Raw>,
        low: Box<Raw>,
        high: Box<Raw>,
    },
    In {
        subject: Box<Raw>,
        list: Vec<Raw>,
    },
    Paren(Box<Raw>),
    Func {
        name: String,
        args: Vec<Raw>,
    },
    Path(RawPath),
    Value(String),
}

impl Raw {
    /// The node inside any number of grouping parentheses.
    pub fn unparen(&self) -> &Raw {
        let mut node = self;
        while let Raw::Paren(inner) = node {
            node = inner;
        }
        node
    }
}

/// What a parsed piece can be used as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shape {
    Path,
    Value,
    /// A function call: usable as a condition or an operand (misuse is a semantic error, found later).
    Function,
    /// A condition; `marker` is the token at which using it as an operand becomes a syntax error.
    Condition {
        marker: usize,
    },
}

impl Shape {
    fn is_condition(self) -> bool {
        matches!(self, Shape::Condition { .. } | Shape::Function)
    }
}

/// A parsed condition expression and whether it contained redundant parentheses.
pub(crate) struct Parsed {
    pub root: Raw,
    pub redundant_parens: bool,
}

pub(crate) fn parse(tokens: &Tokens<'_>) -> Result<Parsed, ExprError> {
    let mut parser = Parser {
        cursor: Cursor::new(tokens, KEYWORDS),
        redundant_parens: false,
    };
    let (root, shape) = parser.logical()?;
    parser.require_condition(shape)?;
    if !parser.cursor.at_end() {
        return Err(parser.cursor.error());
    }
    Ok(Parsed {
        root,
        redundant_parens: parser.redundant_parens,
    })
}

struct Parser<'t, 'a> {
    cursor: Cursor<'t, 'a>,
    redundant_parens: bool,
}

// The recursion is kept to three functions per nesting level (logical → negation → operand → logical), as each
// level costs stack.
impl Parser<'_, '_> {
    /// A piece used where a condition is needed must be one; otherwise the token after it is unexpected.
    fn require_condition(&self, shape: Shape) -> Result<(), ExprError> {
        if shape.is_condition() {
            Ok(())
        } else {
            Err(self.cursor.error())
        }
    }

    fn require_operand(&self, shape: Shape) -> Result<(), ExprError> {
        match shape {
            Shape::Condition { marker } => Err(self.cursor.error_at(marker)),
            _ => Ok(()),
        }
    }

    /// Negations joined by AND and OR, AND binding tighter: an OR of ANDs.
    fn logical(&mut self) -> Result<(Raw, Shape), ExprError> {
        let (first, mut shape) = self.negation()?;
        let marker = match shape {
            Shape::Condition { marker } => marker,
            _ => self.cursor.pos(),
        };
        let mut groups: Vec<Vec<Raw>> = vec![vec![first]];
        loop {
            let or = self.cursor.at_keyword("OR");
            if !or && !self.cursor.at_keyword("AND") {
                break;
            }
            self.require_condition(shape)?;
            self.cursor.advance();
            self.cursor.count_operator()?;
            let (term, term_shape) = self.negation()?;
            self.require_condition(term_shape)?;
            shape = term_shape;
            match groups.last_mut() {
                Some(group) if !or => group.push(term),
                _ => groups.push(vec![term]),
            }
        }
        if groups.len() == 1 && groups[0].len() == 1 {
            let only = groups.pop().and_then(|mut g| g.pop());
            return only
                .map(|node| (node, shape))
                .ok_or_else(|| self.cursor.error());
        }
        let mut ors: Vec<Raw> = groups
            .into_iter()
            .map(|mut group| {
                if group.len() == 1 {
                    group.remove(0)
                } else {
                    Raw::And(group)
                }
            })
            .collect();
        let node = if ors.len() == 1 {
            ors.remove(0)
        } else {
            Raw::Or(ors)
        };
        Ok((node, Shape::Condition { marker }))
    }

    /// Any number of NOTs, then an operand, possibly compared (`=`, BETWEEN, IN) with further operands.
    fn negation(&mut self) -> Result<(Raw, Shape), ExprError> {
        let not_marker = self.cursor.pos();
        let mut count = 0usize;
        while self.cursor.eat_keyword("NOT") {
            self.cursor.count_operator()?;
            count += 1;
        }
        let (subject, shape) = self.operand()?;
        let marker = self.cursor.pos();
        let comparator = self.cursor.peek().and_then(|t| match t.kind {
            Kind::Punct(p) => CompareOp::from_punct(p),
            _ => None,
        });
        let (node, shape) = if let Some(op) = comparator {
            self.require_operand(shape)?;
            self.cursor.advance();
            self.cursor.count_operator()?;
            let right = self.operand_only()?;
            let node = Raw::Compare {
                op,
                left: Box::new(subject),
                right: Box::new(right),
            };
            (node, Shape::Condition { marker })
        } else if self.cursor.at_keyword("BETWEEN") {
            self.require_operand(shape)?;
            self.cursor.advance();
            self.cursor.count_operator()?;
            let low = self.operand_only()?;
            if !self.cursor.eat_keyword("AND") {
                return Err(self.cursor.error());
            }
            let high = self.operand_only()?;
            let node = Raw::Between {
                subject: Box::new(subject),
                low: Box::new(low),
                high: Box::new(high),
            };
            (node, Shape::Condition { marker })
        } else if self.cursor.at_keyword("IN") {
            self.require_operand(shape)?;
            self.cursor.advance();
            self.cursor.count_operator()?;
            self.cursor.expect_punct(Punct::LParen)?;
            let list = self.operand_list()?;
            self.cursor.expect_punct(Punct::RParen)?;
            (
                Raw::In {
                    subject: Box::new(subject),
                    list,
                },
                Shape::Condition { marker },
            )
        } else {
            (subject, shape)
        };
        if count == 0 {
            return Ok((node, shape));
        }
        self.require_condition(shape)?;
        let node = Raw::Not {
            inner: Box::new(node),
            negate: count % 2 == 1,
        };
        Ok((node, Shape::Condition { marker: not_marker }))
    }

    /// An operand that must not be a condition.
    fn operand_only(&mut self) -> Result<Raw, ExprError> {
        let (node, shape) = self.operand()?;
        self.require_operand(shape)?;
        Ok(node)
    }

    fn operand_list(&mut self) -> Result<Vec<Raw>, ExprError> {
        let mut list = vec![self.operand_only()?];
        while self.cursor.eat_punct(Punct::Comma) {
            list.push(self.operand_only()?);
        }
        Ok(list)
    }

    /// A parenthesised group, a function call, a value or a path; a group holding a path may continue as a path
    /// (`(a.b).c[1]`).
    fn operand(&mut self) -> Result<(Raw, Shape), ExprError> {
        let (atom, shape) = if self.cursor.eat_punct(Punct::LParen) {
            self.cursor.enter()?;
            let (inner, shape) = self.logical()?;
            self.cursor.expect_punct(Punct::RParen)?;
            self.cursor.leave();
            if matches!(inner, Raw::Paren(_)) {
                self.redundant_parens = true;
            }
            (Raw::Paren(Box::new(inner)), shape)
        } else if let Some(token) = self.cursor.peek().filter(|t| t.kind == Kind::Value) {
            self.cursor.advance();
            return Ok((Raw::Value(token.text.to_string()), Shape::Value));
        } else if let Some(name) = self
            .cursor
            .peek_ident()
            .filter(|_| self.cursor.next_is_punct(Punct::LParen))
        {
            self.cursor.advance();
            self.cursor.advance();
            self.cursor.enter()?;
            let mut args = Vec::new();
            loop {
                let (arg, arg_shape) = self.operand()?;
                self.require_operand(arg_shape)?;
                args.push(arg);
                if !self.cursor.eat_punct(Punct::Comma) {
                    break;
                }
            }
            self.cursor.expect_punct(Punct::RParen)?;
            self.cursor.leave();
            return Ok((
                Raw::Func {
                    name: name.to_string(),
                    args,
                },
                Shape::Function,
            ));
        } else {
            let step = self.cursor.path_step().ok_or_else(|| self.cursor.error())?;
            (Raw::Path(RawPath { steps: vec![step] }), Shape::Path)
        };
        let continues = self.cursor.at_punct(Punct::Dot) || self.cursor.at_punct(Punct::LBracket);
        if !continues {
            return Ok((atom, shape));
        }
        let mut path = match (shape, atom.unparen()) {
            (Shape::Path, Raw::Path(path)) => path.clone(),
            _ => return Err(self.cursor.error()),
        };
        self.cursor.path_tail(&mut path)?;
        Ok((Raw::Path(path), Shape::Path))
    }
}
