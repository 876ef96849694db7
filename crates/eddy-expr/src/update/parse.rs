//! The grammar of update expressions: `SET`, `REMOVE`, `ADD` and `DELETE` sections (keywords in any case), each
//! a comma-separated list of actions. A `SET` value is an operand or `operand + operand` / `operand - operand`;
//! operands are paths, `:values` and function calls, optionally parenthesised. Meaning is checked later.

use crate::cursor::{Cursor, RawPath};
use crate::error::ExprError;
use crate::lexer::{Kind, Punct, Tokens};

pub(crate) const KEYWORDS: &[&str] = &["SET", "REMOVE", "ADD", "DELETE"];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Section {
    Set,
    Remove,
    Add,
    Delete,
}

impl Section {
    pub fn name(self) -> &'static str {
        match self {
            Section::Set => "SET",
            Section::Remove => "REMOVE",
            Section::Add => "ADD",
            Section::Delete => "DELETE",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ArithOp {
    Plus,
    Minus,
}

impl ArithOp {
    pub fn symbol(self) -> &'static str {
        match self {
            ArithOp::Plus => "+",
            ArithOp::Minus => "-",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum RawValue {
    Path(RawPath),
    Value(String),
    Func {
        name: String,
        args: Vec<RawValue>,
    },
    Arith {
        op: ArithOp,
        left: Box<RawValue>,
        right: Box<RawValue>,
        op_pos: usize,
    },
    Paren(Box<RawValue>),
}

impl RawValue {
    pub fn unparen(&self) -> &RawValue {
        let mut node = self;
        while let RawValue::Paren(inner) = node {
            node = inner;
        }
        node
    }
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum RawAction {
    Set { path: RawPath, value: RawValue },
    Remove { path: RawPath },
    Add { path: RawPath, value: String },
    Delete { path: RawPath, value: String },
}

impl RawAction {
    pub fn path(&self) -> &RawPath {
        match self {
            RawAction::Set { path, .. }
            | RawAction::Remove { path }
            | RawAction::Add { path, .. }
            | RawAction::Delete { path, .. } => path,
        }
    }
}

pub(crate) struct ParsedUpdate {
    /// The sections in order of appearance, each with its actions.
    pub sections: Vec<(Section, Vec<RawAction>)>,
}

pub(crate) fn parse(tokens: &Tokens<'_>) -> Result<ParsedUpdate, ExprError> {
    let mut parser = Parser {
        cursor: Cursor::new(tokens, KEYWORDS),
    };
    let mut sections = vec![parser.section()?];
    while !parser.cursor.at_end() {
        sections.push(parser.section()?);
    }
    Ok(ParsedUpdate { sections })
}

struct Parser<'t, 'a> {
    cursor: Cursor<'t, 'a>,
}

impl Parser<'_, '_> {
    fn section(&mut self) -> Result<(Section, Vec<RawAction>), ExprError> {
        let section = [Section::Set, Section::Remove, Section::Add, Section::Delete]
            .into_iter()
            .find(|s| self.cursor.at_keyword(s.name()))
            .ok_or_else(|| self.cursor.error())?;
        self.cursor.advance();
        let mut actions = vec![self.action(section)?];
        while self.cursor.eat_punct(Punct::Comma) {
            actions.push(self.action(section)?);
        }
        Ok((section, actions))
    }

    fn action(&mut self, section: Section) -> Result<RawAction, ExprError> {
        let path = self.cursor.path()?;
        Ok(match section {
            Section::Set => {
                self.cursor.expect_punct(Punct::Eq)?;
                RawAction::Set {
                    path,
                    value: self.value_expr()?,
                }
            }
            Section::Remove => RawAction::Remove { path },
            Section::Add => RawAction::Add {
                path,
                value: self.placeholder()?,
            },
            Section::Delete => RawAction::Delete {
                path,
                value: self.placeholder()?,
            },
        })
    }

    fn placeholder(&mut self) -> Result<String, ExprError> {
        match self.cursor.peek() {
            Some(token) if token.kind == Kind::Value => {
                self.cursor.advance();
                Ok(token.text.to_string())
            }
            _ => Err(self.cursor.error()),
        }
    }

    /// `term [(+|-) term]`; arithmetic does not nest.
    fn value_expr(&mut self) -> Result<RawValue, ExprError> {
        let left = self.term()?;
        let op = if self.cursor.at_punct(Punct::Plus) {
            ArithOp::Plus
        } else if self.cursor.at_punct(Punct::Minus) {
            ArithOp::Minus
        } else {
            return Ok(left);
        };
        let op_pos = self.cursor.pos();
        if arith_position(&left).is_some() {
            return Err(self.cursor.error());
        }
        self.cursor.advance();
        self.cursor.count_operator()?;
        let right = self.term()?;
        if let Some(pos) = arith_position(&right) {
            return Err(self.cursor.error_at(pos));
        }
        Ok(RawValue::Arith {
            op,
            left: Box::new(left),
            right: Box::new(right),
            op_pos,
        })
    }

    /// An operand, or a parenthesised value.
    fn term(&mut self) -> Result<RawValue, ExprError> {
        if !self.cursor.eat_punct(Punct::LParen) {
            return self.operand();
        }
        self.cursor.enter()?;
        let inner = self.value_expr()?;
        self.cursor.expect_punct(Punct::RParen)?;
        self.cursor.leave();
        Ok(RawValue::Paren(Box::new(inner)))
    }

    fn operand(&mut self) -> Result<RawValue, ExprError> {
        if let Some(token) = self.cursor.peek()
            && token.kind == Kind::Value
        {
            self.cursor.advance();
            return Ok(RawValue::Value(token.text.to_string()));
        }
        if let Some(name) = self.cursor.peek_ident()
            && self.cursor.next_is_punct(Punct::LParen)
        {
            self.cursor.advance();
            self.cursor.advance();
            return self.call(name.to_string());
        }
        Ok(RawValue::Path(self.cursor.path()?))
    }

    fn call(&mut self, name: String) -> Result<RawValue, ExprError> {
        self.cursor.enter()?;
        let mut args = vec![self.argument()?];
        while self.cursor.eat_punct(Punct::Comma) {
            args.push(self.argument()?);
        }
        self.cursor.expect_punct(Punct::RParen)?;
        self.cursor.leave();
        Ok(RawValue::Func { name, args })
    }

    fn argument(&mut self) -> Result<RawValue, ExprError> {
        let value = self.term()?;
        match arith_position(&value) {
            Some(pos) => Err(self.cursor.error_at(pos)),
            None => Ok(value),
        }
    }
}

/// The position of the operator of an arithmetic value (through parentheses), which cannot be an operand.
fn arith_position(value: &RawValue) -> Option<usize> {
    match value.unparen() {
        RawValue::Arith { op_pos, .. } => Some(*op_pos),
        _ => None,
    }
}
