//! The parsing cursor shared by the expression grammars (a position over the significant tokens, keyword and
//! punctuation matching, the nesting guard), and the document-path syntax all grammars share.

use crate::error::{ExprError, MAX_NESTING_DEPTH};
use crate::lexer::{Kind, Punct, Token, Tokens};
use crate::reserved::is_reserved;

/// The most operators DynamoDB takes in one expression (its documented limit; Alternator's suite, run against
/// AWS, finds parentheses uncounted).
pub const MAX_OPERATORS: usize = 300;

/// The deepest document path DynamoDB takes in an expression, in steps (attribute names and list indexes).
pub const MAX_PATH_LEVELS: usize = 32;

/// One step of a path as written: a literal name, an expression attribute name (`#n`), or a list index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum RawStep {
    Ident(String),
    Name(String),
    Index(usize),
}

/// A path as written, before expression attribute names are substituted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RawPath {
    pub steps: Vec<RawStep>,
}

impl RawPath {
    /// The first literal step that is a reserved word, as written.
    pub fn reserved_word(&self) -> Option<&str> {
        self.steps.iter().find_map(|s| match s {
            RawStep::Ident(name) if is_reserved(name) => Some(name.as_str()),
            _ => None,
        })
    }

    /// The expression attribute names the path uses, in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.steps.iter().filter_map(|s| match s {
            RawStep::Name(name) => Some(name.as_str()),
            _ => None,
        })
    }
}

pub(crate) struct Cursor<'t, 'a> {
    tokens: &'t Tokens<'a>,
    pos: usize,
    depth: usize,
    operators: usize,
    keywords: &'static [&'static str],
}

impl<'t, 'a> Cursor<'t, 'a> {
    /// A cursor at the first token; `keywords` are the words of this grammar that are never identifiers.
    pub fn new(tokens: &'t Tokens<'a>, keywords: &'static [&'static str]) -> Cursor<'t, 'a> {
        Cursor {
            tokens,
            pos: 0,
            depth: 0,
            operators: 0,
            keywords,
        }
    }

    pub fn pos(&self) -> usize {
        self.pos
    }

    pub fn peek(&self) -> Option<Token<'a>> {
        self.tokens.get(self.pos)
    }

    pub fn at_end(&self) -> bool {
        self.pos >= self.tokens.len()
    }

    pub fn advance(&mut self) {
        self.pos += 1;
    }

    /// The syntax error for the token under the cursor.
    pub fn error(&self) -> ExprError {
        self.tokens.syntax_error(self.pos)
    }

    pub fn error_at(&self, pos: usize) -> ExprError {
        self.tokens.syntax_error(pos)
    }

    /// Whether the token after the one under the cursor is `punct`.
    pub fn next_is_punct(&self, punct: Punct) -> bool {
        self.tokens
            .get(self.pos + 1)
            .is_some_and(|t| t.kind == Kind::Punct(punct))
    }

    pub fn at_punct(&self, punct: Punct) -> bool {
        self.peek().is_some_and(|t| t.kind == Kind::Punct(punct))
    }

    pub fn eat_punct(&mut self, punct: Punct) -> bool {
        let found = self.at_punct(punct);
        if found {
            self.advance();
        }
        found
    }

    pub fn expect_punct(&mut self, punct: Punct) -> Result<(), ExprError> {
        if self.eat_punct(punct) {
            Ok(())
        } else {
            Err(self.error())
        }
    }

    /// Whether the token under the cursor is the keyword `word` (any case).
    pub fn at_keyword(&self, word: &str) -> bool {
        self.peek()
            .is_some_and(|t| t.kind == Kind::Ident && t.text.eq_ignore_ascii_case(word))
    }

    pub fn eat_keyword(&mut self, word: &str) -> bool {
        let found = self.at_keyword(word);
        if found {
            self.advance();
        }
        found
    }

    /// The identifier under the cursor, if it is one and not a keyword of this grammar.
    pub fn peek_ident(&self) -> Option<&'a str> {
        let token = self.peek()?;
        let is_keyword = self
            .keywords
            .iter()
            .any(|k| token.text.eq_ignore_ascii_case(k));
        (token.kind == Kind::Ident && !is_keyword).then_some(token.text)
    }

    /// Counts one operator (a comparison, AND, OR, NOT, BETWEEN, IN, `+`, `-`; not a function or a
    /// parenthesis); DynamoDB refuses the expression at the 301st, naming that count.
    pub fn count_operator(&mut self) -> Result<(), ExprError> {
        self.operators += 1;
        if self.operators > MAX_OPERATORS {
            Err(ExprError::TooManyOperators(self.operators))
        } else {
            Ok(())
        }
    }

    /// Enters one level of nesting, failing when the expression is nested too deeply.
    pub fn enter(&mut self) -> Result<(), ExprError> {
        self.depth += 1;
        if self.depth > MAX_NESTING_DEPTH {
            Err(ExprError::TooDeep)
        } else {
            Ok(())
        }
    }

    pub fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    /// A path element that can start a path or follow a dot: an identifier or an expression attribute name.
    pub fn path_step(&mut self) -> Option<RawStep> {
        if let Some(ident) = self.peek_ident() {
            self.advance();
            return Some(RawStep::Ident(ident.to_string()));
        }
        let token = self.peek()?;
        if token.kind == Kind::Name {
            self.advance();
            return Some(RawStep::Name(token.text.to_string()));
        }
        None
    }

    /// A whole path: a first step, then any number of `.step` and `[index]`.
    pub fn path(&mut self) -> Result<RawPath, ExprError> {
        let first = self.path_step().ok_or_else(|| self.error())?;
        let mut path = RawPath { steps: vec![first] };
        self.path_tail(&mut path)?;
        Ok(path)
    }

    /// Continues `path` with `.step` and `[index]` while they follow; a path of more than
    /// [`MAX_PATH_LEVELS`] steps is refused once it ends.
    pub fn path_tail(&mut self, path: &mut RawPath) -> Result<(), ExprError> {
        loop {
            if self.eat_punct(Punct::Dot) {
                let step = self.path_step().ok_or_else(|| self.error())?;
                path.steps.push(step);
            } else if self.eat_punct(Punct::LBracket) {
                let index = self.list_index()?;
                self.expect_punct(Punct::RBracket)?;
                path.steps.push(RawStep::Index(index));
            } else if path.steps.len() > MAX_PATH_LEVELS {
                return Err(ExprError::PathTooDeep(path.steps.len()));
            } else {
                return Ok(());
            }
        }
    }

    fn list_index(&mut self) -> Result<usize, ExprError> {
        let token = self.peek().ok_or_else(|| self.error())?;
        if token.kind != Kind::Number {
            return Err(self.error());
        }
        let index = token.text.parse::<usize>().map_err(|_| self.error())?;
        self.advance();
        Ok(index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_path(text: &str) -> Result<RawPath, ExprError> {
        let tokens = Tokens::lex(text);
        let mut cursor = Cursor::new(&tokens, &["AND"]);
        let path = cursor.path()?;
        if cursor.at_end() {
            Ok(path)
        } else {
            Err(cursor.error())
        }
    }

    #[test]
    fn parses_nested_paths_with_names_and_indexes() {
        let path = parse_path("a . #b [ 2 ][10].c").unwrap();
        assert_eq!(
            path.steps,
            vec![
                RawStep::Ident("a".into()),
                RawStep::Name("#b".into()),
                RawStep::Index(2),
                RawStep::Index(10),
                RawStep::Ident("c".into()),
            ]
        );
    }

    #[test]
    fn rejects_malformed_paths_at_the_offending_token() {
        let syntax = |text: &str| match parse_path(text) {
            Err(ExprError::Syntax { token, .. }) => token,
            other => panic!("{other:?}"),
        };
        assert_eq!(syntax("a..b"), ".");
        assert_eq!(syntax("a[b]"), "b");
        assert_eq!(syntax("a[4.5]"), ".");
        assert_eq!(syntax("a."), "<EOF>");
        assert_eq!(syntax("a.:v"), ":v");
        assert_eq!(syntax("AND"), "AND");
        assert_eq!(
            syntax("a[99999999999999999999999]"),
            "99999999999999999999999"
        );
    }

    #[test]
    fn finds_the_first_reserved_literal_step() {
        let path = parse_path("a.#b.Views.status").unwrap();
        assert_eq!(path.reserved_word(), Some("Views"));
        assert_eq!(path.names().collect::<Vec<_>>(), vec!["#b"]);
    }

    #[test]
    fn nesting_guard_fails_past_the_limit() {
        let tokens = Tokens::lex("");
        let mut cursor = Cursor::new(&tokens, &[]);
        for _ in 0..MAX_NESTING_DEPTH {
            cursor.enter().unwrap();
        }
        assert_eq!(cursor.enter(), Err(ExprError::TooDeep));
    }
}
