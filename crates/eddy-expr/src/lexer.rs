//! Tokenisation of expression text, shared by all expression kinds, and the `Syntax error; token: …, near: …`
//! message built from the token stream.
//!
//! Whitespace is kept as tokens because DynamoDB's `near` context quotes it: the context is the offending token
//! with one significant token on each side, plus the whitespace between them (a rule taken from moto, whose
//! messages were checked against DynamoDB, e.g. `SET path = VALUE 1` → `token: "1", near: "VALUE 1"`).
//! Identifiers start with an ASCII letter; any character that starts no token (`_`, `!`, `ü`, …) is a token
//! of its own that no grammar accepts.

use crate::error::{ExprError, MAX_EXPRESSION_BYTES};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Punct {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    Dot,
    Plus,
    Minus,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `[A-Za-z][A-Za-z0-9_]*`: an attribute name, a function name or a keyword.
    Ident,
    /// `[0-9]+`: only valid as a list index.
    Number,
    /// `#[A-Za-z0-9_]*`: an expression attribute name.
    Name,
    /// `:[A-Za-z0-9_]*`: an expression attribute value.
    Value,
    Punct(Punct),
    Space,
    /// A character no token starts with.
    Invalid,
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct Token<'a> {
    pub kind: Kind,
    pub text: &'a str,
}

/// The tokens of one expression; parsers address the significant (non-whitespace) ones by position.
pub(crate) struct Tokens<'a> {
    all: Vec<Token<'a>>,
    significant: Vec<usize>,
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

/// Length in bytes of the run at the start of `rest` whose characters satisfy `pred`.
fn run_len(rest: &str, pred: impl Fn(char) -> bool) -> usize {
    rest.char_indices()
        .find(|&(_, c)| !pred(c))
        .map_or(rest.len(), |(i, _)| i)
}

fn punct_at(rest: &str) -> Option<(Punct, usize)> {
    let two = rest.get(..2);
    let p = match two {
        Some("<>") => return Some((Punct::Ne, 2)),
        Some("<=") => return Some((Punct::Le, 2)),
        Some(">=") => return Some((Punct::Ge, 2)),
        _ => rest.chars().next()?,
    };
    let punct = match p {
        '=' => Punct::Eq,
        '<' => Punct::Lt,
        '>' => Punct::Gt,
        '(' => Punct::LParen,
        ')' => Punct::RParen,
        '[' => Punct::LBracket,
        ']' => Punct::RBracket,
        ',' => Punct::Comma,
        '.' => Punct::Dot,
        '+' => Punct::Plus,
        '-' => Punct::Minus,
        _ => return None,
    };
    Some((punct, 1))
}

fn next_token(rest: &str) -> Option<(Kind, usize)> {
    let first = rest.chars().next()?;
    Some(if is_space(first) {
        (Kind::Space, run_len(rest, is_space))
    } else if first.is_ascii_alphabetic() {
        (Kind::Ident, run_len(rest, is_word_char))
    } else if first.is_ascii_digit() {
        (Kind::Number, run_len(rest, |c| c.is_ascii_digit()))
    } else if first == '#' {
        (Kind::Name, 1 + run_len(&rest[1..], is_word_char))
    } else if first == ':' {
        (Kind::Value, 1 + run_len(&rest[1..], is_word_char))
    } else if let Some((punct, len)) = punct_at(rest) {
        (Kind::Punct(punct), len)
    } else {
        (Kind::Invalid, first.len_utf8())
    })
}

/// The tokens of an expression, after DynamoDB's checks that it is neither empty (whitespace only counts as
/// empty) nor longer than 4 KB.
pub(crate) fn expression_tokens(text: &str) -> Result<Tokens<'_>, ExprError> {
    if text.chars().all(is_space) {
        return Err(ExprError::Empty);
    }
    if text.len() > MAX_EXPRESSION_BYTES {
        return Err(ExprError::TooLarge { size: text.len() });
    }
    Ok(Tokens::lex(text))
}

impl<'a> Tokens<'a> {
    pub fn lex(text: &'a str) -> Tokens<'a> {
        let mut all = Vec::new();
        let mut rest = text;
        while let Some((kind, len)) = next_token(rest) {
            let (token, tail) = rest.split_at(len);
            all.push(Token { kind, text: token });
            rest = tail;
        }
        let significant = all
            .iter()
            .enumerate()
            .filter(|(_, t)| t.kind != Kind::Space)
            .map(|(i, _)| i)
            .collect();
        Tokens { all, significant }
    }

    /// Number of significant tokens; position `len()` is the end of input.
    pub fn len(&self) -> usize {
        self.significant.len()
    }

    /// The significant token at `pos`, or `None` at the end of input.
    pub fn get(&self, pos: usize) -> Option<Token<'a>> {
        self.significant.get(pos).map(|&i| self.all[i])
    }

    /// The syntax error DynamoDB reports when the parser cannot accept the significant token at `pos`.
    pub fn syntax_error(&self, pos: usize) -> ExprError {
        let index = self.significant.get(pos).copied().unwrap_or(self.all.len());
        let mut near = String::new();
        if index >= 1 {
            let prev = self.all[index - 1];
            if prev.kind == Kind::Space && index >= 2 {
                near.push_str(self.all[index - 2].text);
            }
            near.push_str(prev.text);
        }
        let token = match self.all.get(index) {
            Some(t) => {
                near.push_str(t.text);
                if let Some(next) = self.all.get(index + 1) {
                    near.push_str(next.text);
                    if next.kind == Kind::Space
                        && let Some(after) = self.all.get(index + 2)
                    {
                        near.push_str(after.text);
                    }
                }
                t.text.to_string()
            }
            None => "<EOF>".to_string(),
        };
        ExprError::Syntax { token, near }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(Kind, &str)> {
        Tokens::lex(text)
            .all
            .iter()
            .map(|t| (t.kind, t.text))
            .collect()
    }

    fn near(text: &str, pos: usize) -> String {
        Tokens::lex(text).syntax_error(pos).to_string()
    }

    #[test]
    fn splits_words_placeholders_numbers_and_operators() {
        assert_eq!(
            kinds("a.b[12] <> #n1 AND :v_2"),
            vec![
                (Kind::Ident, "a"),
                (Kind::Punct(Punct::Dot), "."),
                (Kind::Ident, "b"),
                (Kind::Punct(Punct::LBracket), "["),
                (Kind::Number, "12"),
                (Kind::Punct(Punct::RBracket), "]"),
                (Kind::Space, " "),
                (Kind::Punct(Punct::Ne), "<>"),
                (Kind::Space, " "),
                (Kind::Name, "#n1"),
                (Kind::Space, " "),
                (Kind::Ident, "AND"),
                (Kind::Space, " "),
                (Kind::Value, ":v_2"),
            ]
        );
    }

    #[test]
    fn two_character_comparators_are_single_tokens() {
        assert_eq!(
            kinds("<=>=<"),
            vec![
                (Kind::Punct(Punct::Le), "<="),
                (Kind::Punct(Punct::Ge), ">="),
                (Kind::Punct(Punct::Lt), "<"),
            ]
        );
    }

    #[test]
    fn unknown_characters_are_single_invalid_tokens() {
        assert_eq!(
            kinds("_a ü!"),
            vec![
                (Kind::Invalid, "_"),
                (Kind::Ident, "a"),
                (Kind::Space, " "),
                (Kind::Invalid, "ü"),
                (Kind::Invalid, "!"),
            ]
        );
    }

    #[test]
    fn near_includes_whitespace_before_the_offending_token() {
        // SET path = VALUE 1: the offending token is "1".
        assert_eq!(
            near("SET path = VALUE 1", 4),
            "Syntax error; token: \"1\", near: \"VALUE 1\""
        );
    }

    #[test]
    fn near_includes_the_following_token() {
        // … if_not_exists(x, 0): the offending token is "0".
        assert_eq!(
            near("SET a = if_not_exists(x, 0)", 7),
            "Syntax error; token: \"0\", near: \", 0)\""
        );
    }

    #[test]
    fn near_at_end_of_input_quotes_the_tail() {
        assert_eq!(
            near("SET a = ", 3),
            "Syntax error; token: \"<EOF>\", near: \"= \""
        );
        assert_eq!(
            near("SET", 1),
            "Syntax error; token: \"<EOF>\", near: \"SET\""
        );
        assert_eq!(near("", 0), "Syntax error; token: \"<EOF>\", near: \"\"");
    }

    #[test]
    fn empty_and_blank_expressions_are_empty() {
        assert_eq!(expression_tokens("").err(), Some(ExprError::Empty));
        assert_eq!(expression_tokens(" \n\t").err(), Some(ExprError::Empty));
    }

    #[test]
    fn expressions_over_4_kb_are_too_large() {
        let long = format!("a = :v{}", " ".repeat(4091));
        assert_eq!(
            expression_tokens(&long).err(),
            Some(ExprError::TooLarge { size: 4096 + 1 })
        );
        assert!(expression_tokens(&long[..4096]).is_ok());
    }

    #[test]
    fn near_at_start_has_no_left_context() {
        assert_eq!(near("= a", 0), "Syntax error; token: \"=\", near: \"= a\"");
    }
}
