//! Wildcards and policy variables, the two ways a policy value stands for more than its own text.
//!
//! `*` matches any run of characters and `?` any one character, in actions (case-insensitively), resources,
//! `StringLike` and `Arn*` values (case-sensitively). In a resource ARN a `*` stays inside its colon-separated
//! segment unless it ends the segment or sits in the last (resource) part — IAM's documented rule ("if the `*`
//! is the last character of a resource ARN segment, it can expand to match beyond the colon boundaries").
//!
//! A policy variable `${key}` (or `${key, 'default'}`) is replaced by the single value of `key` in the request
//! context; `${*}`, `${?}` and `${$}` stand for the literal characters. Replaced text never acts as a wildcard.
//! A variable that cannot be resolved (key absent or multi-valued, no default, malformed) makes the whole
//! statement inapplicable, as IAM documents ("If AWS cannot resolve a variable this might cause the entire
//! statement to be invalid"). Variables only exist in policies of language version 2012-10-17.

/// Looks up the single value a policy variable names; `None` when the key is absent or multi-valued.
pub trait VariableSource {
    fn variable(&self, key: &str) -> Option<String>;
}

/// A policy variable that did not resolve; the statement holding it does not apply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unresolved;

/// One element of a compiled pattern.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Token {
    Literal(char),
    /// `?`
    AnyOne,
    /// `*`; `crosses_colon` is false for a `*` inside a non-final ARN segment.
    AnyRun {
        crosses_colon: bool,
    },
}

/// A piece of a policy value after variable substitution.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Piece<'a> {
    /// Text as written in the policy: `*` and `?` are wildcards there.
    Written(&'a str),
    /// Text a variable produced: every character is literal.
    Substituted(String),
}

/// Splits `value` into written text and substituted variables. With `vars` absent (a 2008-10-17 policy) the
/// whole value is written text.
fn expand<'a>(
    value: &'a str,
    vars: Option<&dyn VariableSource>,
) -> Result<Vec<Piece<'a>>, Unresolved> {
    let Some(vars) = vars else {
        return Ok(vec![Piece::Written(value)]);
    };
    let mut pieces = Vec::new();
    let mut rest = value;
    while let Some(start) = rest.find("${") {
        let Some(len) = rest[start..].find('}') else {
            break;
        };
        if start > 0 {
            pieces.push(Piece::Written(&rest[..start]));
        }
        let inner = &rest[start + 2..start + len];
        pieces.push(Piece::Substituted(resolve(inner, vars)?));
        rest = &rest[start + len + 1..];
    }
    if !rest.is_empty() {
        pieces.push(Piece::Written(rest));
    }
    Ok(pieces)
}

/// The text of one `${…}`: an escaped wildcard, `key`, or `key, 'default'` (a `''` in the default is a
/// quote).
fn resolve(inner: &str, vars: &dyn VariableSource) -> Result<String, Unresolved> {
    if matches!(inner, "*" | "?" | "$") {
        return Ok(inner.to_string());
    }
    let (key, default) = match inner.split_once(',') {
        Some((key, default)) => (key.trim(), Some(parse_default(default.trim())?)),
        None => (inner.trim(), None),
    };
    if key.is_empty() || key.contains(char::is_whitespace) {
        return Err(Unresolved);
    }
    vars.variable(key).or(default).ok_or(Unresolved)
}

fn parse_default(text: &str) -> Result<String, Unresolved> {
    let body = text
        .strip_prefix('\'')
        .and_then(|t| t.strip_suffix('\''))
        .ok_or(Unresolved)?;
    let unescaped = body.replace("''", "'");
    if unescaped.matches('\'').count() * 2 != body.matches('\'').count() {
        return Err(Unresolved);
    }
    Ok(unescaped)
}

/// The value with variables replaced, wildcards kept as written characters: what equality operators compare.
pub fn expand_literal(
    value: &str,
    vars: Option<&dyn VariableSource>,
) -> Result<String, Unresolved> {
    Ok(expand(value, vars)?
        .into_iter()
        .map(|piece| match piece {
            Piece::Written(text) => text.to_string(),
            Piece::Substituted(text) => text,
        })
        .collect())
}

/// The value compiled to wildcard tokens; every `*` may cross colons.
pub fn compile(value: &str, vars: Option<&dyn VariableSource>) -> Result<Vec<Token>, Unresolved> {
    let mut tokens = Vec::with_capacity(value.len());
    for piece in expand(value, vars)? {
        match piece {
            Piece::Written(text) => tokens.extend(text.chars().map(written_token)),
            Piece::Substituted(text) => tokens.extend(text.chars().map(Token::Literal)),
        }
    }
    Ok(tokens)
}

fn written_token(c: char) -> Token {
    match c {
        '*' => Token::AnyRun {
            crosses_colon: true,
        },
        '?' => Token::AnyOne,
        c => Token::Literal(c),
    }
}

/// The value compiled as a resource ARN: a `*` in one of the first five segments that does not end its
/// segment cannot match a colon.
pub fn compile_resource(
    value: &str,
    vars: Option<&dyn VariableSource>,
) -> Result<Vec<Token>, Unresolved> {
    let mut tokens = compile(value, vars)?;
    let mut colons = 0;
    for at in 0..tokens.len() {
        match tokens[at] {
            Token::Literal(':') => colons += 1,
            Token::AnyRun { .. } => {
                let ends_segment = matches!(tokens.get(at + 1), None | Some(Token::Literal(':')));
                tokens[at] = Token::AnyRun {
                    crosses_colon: colons >= 5 || ends_segment,
                };
            }
            _ => {}
        }
    }
    Ok(tokens)
}

/// Whether `tokens` match the whole of `text`. Literal tokens at either end are compared directly (a policy's
/// ARNs are mostly literal text around a `*` or two); what remains runs as an NFA, so the cost is at most
/// O(pattern × text) whatever the wildcards.
pub fn matches(tokens: &[Token], text: &str, fold_case: bool) -> bool {
    let (mut tokens, mut text) = (tokens, text);
    while let Some((Token::Literal(l), rest)) = tokens.split_first() {
        let mut chars = text.chars();
        match chars.next() {
            Some(c) if same_char(*l, c, fold_case) => (tokens, text) = (rest, chars.as_str()),
            _ => return false,
        }
    }
    while let Some((Token::Literal(l), rest)) = tokens.split_last() {
        let mut chars = text.chars();
        match chars.next_back() {
            Some(c) if same_char(*l, c, fold_case) => (tokens, text) = (rest, chars.as_str()),
            _ => return false,
        }
    }
    match tokens {
        [] => text.is_empty(),
        [Token::AnyRun { crosses_colon }] => *crosses_colon || !text.contains(':'),
        _ => run_nfa(tokens, text, fold_case),
    }
}

fn run_nfa(tokens: &[Token], text: &str, fold_case: bool) -> bool {
    let mut states = vec![false; tokens.len() + 1];
    let mut next = vec![false; tokens.len() + 1];
    states[0] = true;
    close_over_runs(tokens, &mut states);
    for c in text.chars() {
        next.fill(false);
        for (at, token) in tokens.iter().enumerate() {
            if !states[at] {
                continue;
            }
            match *token {
                Token::Literal(l) if same_char(l, c, fold_case) => next[at + 1] = true,
                Token::Literal(_) => {}
                Token::AnyOne => next[at + 1] = true,
                Token::AnyRun { crosses_colon } => {
                    if crosses_colon || c != ':' {
                        next[at] = true;
                    }
                }
            }
        }
        close_over_runs(tokens, &mut next);
        if !next.contains(&true) {
            return false;
        }
        std::mem::swap(&mut states, &mut next);
    }
    states[tokens.len()]
}

/// A `*` may match nothing: whoever stands before it also stands after it.
fn close_over_runs(tokens: &[Token], states: &mut [bool]) {
    for (at, token) in tokens.iter().enumerate() {
        if states[at] && matches!(token, Token::AnyRun { .. }) {
            states[at + 1] = true;
        }
    }
}

fn same_char(a: char, b: char, fold_case: bool) -> bool {
    a == b || (fold_case && a.to_lowercase().eq(b.to_lowercase()))
}

/// Splits an ARN-shaped token list at its first five colons: the six ARN fields, or `None` with fewer.
pub fn arn_fields(tokens: &[Token]) -> Option<Vec<&[Token]>> {
    let mut fields = Vec::with_capacity(6);
    let mut start = 0;
    for (at, token) in tokens.iter().enumerate() {
        if fields.len() < 5 && *token == Token::Literal(':') {
            fields.push(&tokens[start..at]);
            start = at + 1;
        }
    }
    fields.push(&tokens[start..]);
    (fields.len() == 6).then_some(fields)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    struct Vars(HashMap<&'static str, &'static str>);

    impl VariableSource for Vars {
        fn variable(&self, key: &str) -> Option<String> {
            self.0.get(key).map(|v| v.to_string())
        }
    }

    fn vars() -> Vars {
        Vars(HashMap::from([
            ("aws:username", "bob"),
            ("aws:userid", "AIDA*"),
        ]))
    }

    fn glob(pattern: &str, text: &str) -> bool {
        compile(pattern, None).is_ok_and(|t| matches(&t, text, false))
    }

    fn resource(pattern: &str, text: &str) -> bool {
        compile_resource(pattern, Some(&vars())).is_ok_and(|t| matches(&t, text, false))
    }

    #[test]
    fn wildcards_match_runs_and_single_characters() {
        assert!(glob("*", ""));
        assert!(glob("*", "anything:at/all"));
        assert!(glob("a*c", "abbbc"));
        assert!(glob("a*c", "ac"));
        assert!(!glob("a*c", "acb"));
        assert!(glob("a?c", "abc"));
        assert!(!glob("a?c", "ac"));
        assert!(glob("**?*", "x"));
        assert!(!glob("**?*", ""));
        assert!(!glob("abc", "ABC"));
        assert!(
            compile("S3:Get*", None).is_ok_and(|t| matches(&t, "s3:getobject", true)),
            "actions compare without case"
        );
    }

    #[test]
    fn literal_ends_are_matched_as_the_nfa_would() {
        // Every pattern of up to four tokens over a small alphabet against every text of up to four
        // characters: the direct comparison of literal ends agrees with the NFA alone.
        let pattern_chars = ['a', 'B', ':', '*', '?'];
        let text_chars = ['a', 'b', 'B', ':'];
        let strings = |alphabet: &[char], max: usize| {
            let mut out = vec![String::new()];
            let mut level = vec![String::new()];
            for _ in 0..max {
                level = level
                    .iter()
                    .flat_map(|s| alphabet.iter().map(move |c| format!("{s}{c}")))
                    .collect();
                out.extend(level.iter().cloned());
            }
            out
        };
        let texts = strings(&text_chars, 4);
        for pattern in strings(&pattern_chars, 4) {
            for tokens in [compile(&pattern, None), compile_resource(&pattern, None)] {
                let tokens = tokens.unwrap_or_default();
                for text in &texts {
                    for fold_case in [false, true] {
                        assert_eq!(
                            matches(&tokens, text, fold_case),
                            run_nfa(&tokens, text, fold_case),
                            "{pattern:?} against {text:?}, fold_case {fold_case}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn pathological_patterns_stay_linear() {
        let pattern = "*a".repeat(200);
        let text = "a".repeat(5000) + "b";
        assert!(!glob(&pattern, &text));
    }

    #[test]
    fn resource_stars_stay_in_their_segment_unless_they_end_it() {
        let stream =
            "arn:aws:dynamodb:us-east-1:123456789012:table/T/stream/2024-01-01T00:00:00.000";
        assert!(resource("arn:aws:dynamodb:*:*:table/T/stream/*", stream));
        assert!(
            resource("arn:aws:dynamodb:us-east-1:*", stream),
            "a segment-final * runs on"
        );
        assert!(resource("*", stream));
        assert!(!resource(
            "arn:aws:dynamodb:us-*1:123456789012:table/T/stream/*",
            "arn:aws:dynamodb:us-x:y1:123456789012:table/T/stream/x"
        ));
        assert!(resource(
            "arn:aws:dynamodb:us-*1:123456789012:table/*",
            "arn:aws:dynamodb:us-east-1:123456789012:table/T"
        ));
        assert!(
            resource("arn:aws:s3:::bucket/*/x", "arn:aws:s3:::bucket/a:b/c/x"),
            "the resource part is free"
        );
    }

    #[test]
    fn variables_are_replaced_and_never_act_as_wildcards() {
        assert!(resource(
            "arn:aws:iam::1:user/${aws:username}",
            "arn:aws:iam::1:user/bob"
        ));
        assert!(!resource(
            "arn:aws:iam::1:user/${aws:username}",
            "arn:aws:iam::1:user/alice"
        ));
        assert!(resource(
            "arn:aws:s3:::b/${aws:userid}/x",
            "arn:aws:s3:::b/AIDA*/x"
        ));
        assert!(!resource(
            "arn:aws:s3:::b/${aws:userid}/x",
            "arn:aws:s3:::b/AIDAXYZ/x"
        ));
        assert!(resource("arn:aws:s3:::b/${*}", "arn:aws:s3:::b/*"));
        assert!(!resource("arn:aws:s3:::b/${*}", "arn:aws:s3:::b/x"));
        assert_eq!(
            expand_literal("${aws:username}-${?}-${$}", Some(&vars())),
            Ok("bob-?-$".to_string())
        );
    }

    #[test]
    fn defaults_apply_when_the_key_is_absent() {
        let v = vars();
        assert_eq!(
            expand_literal("${aws:nope, 'guest'}", Some(&v)),
            Ok("guest".into())
        );
        assert_eq!(
            expand_literal("${ aws:username , 'guest' }", Some(&v)),
            Ok("bob".into())
        );
        assert_eq!(
            expand_literal("${aws:nope, 'it''s'}", Some(&v)),
            Ok("it's".into())
        );
        assert_eq!(expand_literal("${aws:nope}", Some(&v)), Err(Unresolved));
        assert_eq!(
            expand_literal("${aws:nope, guest}", Some(&v)),
            Err(Unresolved)
        );
        assert_eq!(expand_literal("${}", Some(&v)), Err(Unresolved));
        assert_eq!(
            expand_literal("${aws:username", Some(&v)),
            Ok("${aws:username".into())
        );
    }

    #[test]
    fn without_variable_support_the_text_is_literal() {
        assert_eq!(
            expand_literal("${aws:username}", None),
            Ok("${aws:username}".into())
        );
    }

    #[test]
    fn arn_fields_split_at_the_first_five_colons() {
        let tokens = compile("arn:aws:s3:::b", None).unwrap_or_default();
        assert_eq!(arn_fields(&tokens).map(|f| f.len()), Some(6));
    }
}
