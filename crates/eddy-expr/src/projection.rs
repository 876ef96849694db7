//! Projection expressions and `AttributesToGet`: which attributes (or parts of them) a read returns, and how
//! the projected item is built. Nested paths rebuild the nesting; list elements picked by index are returned
//! compacted, in index order (as DynamoDB does).

use std::collections::{BTreeMap, BTreeSet};

use eddy_model::{AttributeMap, AttributeValue};

use crate::cursor::{Cursor, RawPath};
use crate::error::ExprError;
use crate::lexer::{Punct, Tokens};
use crate::path::{DocPath, PathElement, check_independent};
use crate::subst::Substitutions;

/// The paths a read returns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Projection {
    paths: Vec<DocPath>,
}

/// Parses and checks a projection expression: reserved words, then undefined names, then overlapping and
/// conflicting paths.
pub(crate) fn parse_projection(
    tokens: &Tokens<'_>,
    subst: &mut Substitutions<'_>,
) -> Result<Projection, ExprError> {
    let mut cursor = Cursor::new(tokens, &[]);
    let mut raw: Vec<RawPath> = vec![cursor.path()?];
    while cursor.eat_punct(Punct::Comma) {
        raw.push(cursor.path()?);
    }
    if !cursor.at_end() {
        return Err(cursor.error());
    }
    if let Some(word) = raw.iter().find_map(RawPath::reserved_word) {
        return Err(ExprError::ReservedKeyword(word.to_string()));
    }
    let paths = raw
        .iter()
        .map(|p| subst.path(p))
        .collect::<Result<Vec<_>, _>>()?;
    check_independent(&paths)?;
    Ok(Projection { paths })
}

impl Projection {
    /// A projection of the given top-level attributes (`AttributesToGet`); duplicates are the caller's to reject.
    pub fn attributes<I: IntoIterator<Item = S>, S: Into<String>>(names: I) -> Projection {
        Projection {
            paths: names.into_iter().map(DocPath::attribute).collect(),
        }
    }

    /// A projection of arbitrary paths (e.g. those an update touched, for `UPDATED_OLD`/`UPDATED_NEW`).
    pub fn from_paths(paths: Vec<DocPath>) -> Projection {
        Projection { paths }
    }

    pub fn paths(&self) -> &[DocPath] {
        &self.paths
    }

    /// The top-level attributes the projection needs (an index projection must cover them).
    pub fn top_level_names(&self) -> BTreeSet<String> {
        self.paths.iter().map(|p| p.head().to_string()).collect()
    }

    /// Top-level attributes the projection reaches into with `.` or `[]` (refused on key attributes).
    pub fn nested_path_heads(&self) -> BTreeSet<String> {
        self.paths
            .iter()
            .filter(|p| p.is_nested())
            .map(|p| p.head().to_string())
            .collect()
    }

    /// The projected item: every path that exists in `item`, nested as in the item.
    pub fn apply(&self, item: &AttributeMap) -> AttributeMap {
        let mut root = Tree::Map(BTreeMap::new());
        for path in &self.paths {
            if let Some(value) = path.resolve(item) {
                root.insert(path, value);
            }
        }
        match root.into_value() {
            AttributeValue::M(map) => map,
            _ => AttributeMap::new(),
        }
    }
}

/// The projected item under construction: list elements keyed by their original index until the end.
enum Tree {
    Leaf(AttributeValue),
    Map(BTreeMap<String, Tree>),
    List(BTreeMap<usize, Tree>),
}

impl Tree {
    fn insert(&mut self, path: &DocPath, value: &AttributeValue) {
        let steps: Vec<PathElement> = std::iter::once(PathElement::Name(path.head().to_string()))
            .chain(path.rest().iter().cloned())
            .collect();
        let mut node = self;
        for (i, step) in steps.iter().enumerate() {
            let last = i + 1 == steps.len();
            let next = match step {
                PathElement::Name(name) => node.map_entry(name.clone()),
                PathElement::Index(index) => node.list_entry(*index),
            };
            let Some(next) = next else { return };
            if last {
                *next = Tree::Leaf(value.clone());
                return;
            }
            if matches!(next, Tree::Leaf(_)) {
                *next = match steps.get(i + 1) {
                    Some(PathElement::Index(_)) => Tree::List(BTreeMap::new()),
                    _ => Tree::Map(BTreeMap::new()),
                };
            }
            node = next;
        }
    }

    fn map_entry(&mut self, name: String) -> Option<&mut Tree> {
        match self {
            Tree::Map(map) => Some(map.entry(name).or_insert(Tree::Leaf(AttributeValue::Null))),
            _ => None,
        }
    }

    fn list_entry(&mut self, index: usize) -> Option<&mut Tree> {
        match self {
            Tree::List(list) => Some(
                list.entry(index)
                    .or_insert(Tree::Leaf(AttributeValue::Null)),
            ),
            _ => None,
        }
    }

    fn into_value(self) -> AttributeValue {
        match self {
            Tree::Leaf(value) => value,
            Tree::Map(map) => {
                AttributeValue::M(map.into_iter().map(|(k, t)| (k, t.into_value())).collect())
            }
            Tree::List(list) => {
                AttributeValue::L(list.into_values().map(Tree::into_value).collect())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lexer::expression_tokens;

    fn names(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn parse(text: &str, names: &BTreeMap<String, String>) -> Result<Projection, String> {
        let tokens = expression_tokens(text).map_err(|e| e.to_string())?;
        let mut subst = Substitutions::new(Some(names), None);
        parse_projection(&tokens, &mut subst).map_err(|e| e.to_string())
    }

    fn item(json: &str) -> AttributeMap {
        serde_json::from_str(json).unwrap()
    }

    fn project(text: &str, json: &str) -> String {
        let projection = parse(text, &names(&[("#n", "name"), ("#d", "a.b")])).unwrap();
        serde_json::to_string(&projection.apply(&item(json))).unwrap()
    }

    #[test]
    fn projects_top_level_attributes() {
        assert_eq!(
            project("a, c", r#"{"a":{"S":"x"},"b":{"N":"1"},"c":{"BOOL":true}}"#),
            r#"{"a":{"S":"x"},"c":{"BOOL":true}}"#
        );
    }

    #[test]
    fn missing_paths_are_omitted() {
        assert_eq!(
            project("a, zz, a2.b", r#"{"a":{"S":"x"},"a2":{"S":"y"}}"#),
            r#"{"a":{"S":"x"}}"#
        );
    }

    #[test]
    fn nested_map_paths_rebuild_the_nesting() {
        assert_eq!(
            project(
                "m.x, m.y.z",
                r#"{"m":{"M":{"x":{"N":"1"},"y":{"M":{"z":{"S":"q"},"w":{"S":"r"}}},"v":{"S":"s"}}}}"#
            ),
            r#"{"m":{"M":{"x":{"N":"1"},"y":{"M":{"z":{"S":"q"}}}}}}"#
        );
    }

    #[test]
    fn list_elements_are_compacted_in_index_order() {
        assert_eq!(
            project(
                "l[3], l[1], l[7]",
                r#"{"l":{"L":[{"S":"a"},{"S":"b"},{"S":"c"},{"S":"d"}]}}"#
            ),
            r#"{"l":{"L":[{"S":"b"},{"S":"d"}]}}"#
        );
    }

    #[test]
    fn elements_of_the_same_list_element_merge() {
        assert_eq!(
            project(
                "l[0].x, l[0].y",
                r#"{"l":{"L":[{"M":{"x":{"N":"1"},"y":{"N":"2"},"z":{"N":"3"}}}]}}"#
            ),
            r#"{"l":{"L":[{"M":{"x":{"N":"1"},"y":{"N":"2"}}}]}}"#
        );
    }

    #[test]
    fn expression_attribute_names_substitute_whole_steps() {
        assert_eq!(
            project(
                "#n, #d",
                r#"{"name":{"S":"x"},"a.b":{"S":"y"},"a":{"M":{"b":{"S":"z"}}}}"#
            ),
            r#"{"a.b":{"S":"y"},"name":{"S":"x"}}"#
        );
    }

    #[test]
    fn top_level_names_lists_heads() {
        let p = parse("a.b, c[1], a.d", &names(&[])).unwrap();
        assert_eq!(
            p.top_level_names().into_iter().collect::<Vec<_>>(),
            vec!["a", "c"]
        );
    }

    #[test]
    fn overlapping_paths_are_rejected() {
        assert_eq!(
            parse("a, a.b", &names(&[])).unwrap_err(),
            "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a, b]"
        );
        assert_eq!(
            parse("a, a", &names(&[])).unwrap_err(),
            "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a]"
        );
    }

    #[test]
    fn conflicting_paths_are_rejected() {
        assert_eq!(
            parse("a.b, a[0]", &names(&[])).unwrap_err(),
            "Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [a, b], path two: [a, [0]]"
        );
    }

    #[test]
    fn reserved_words_come_before_undefined_names() {
        assert_eq!(
            parse("#x, a.Size", &names(&[])).unwrap_err(),
            "Attribute name is a reserved keyword; reserved keyword: Size"
        );
        assert_eq!(
            parse("a, #x", &names(&[])).unwrap_err(),
            "An expression attribute name used in the document path is not defined; attribute name: #x"
        );
    }

    #[test]
    fn syntax_errors_name_the_token() {
        assert_eq!(
            parse("a b", &names(&[])).unwrap_err(),
            "Syntax error; token: \"b\", near: \"a b\""
        );
        assert_eq!(
            parse("a,", &names(&[])).unwrap_err(),
            "Syntax error; token: \"<EOF>\", near: \",\""
        );
        assert_eq!(
            parse("l[a]", &names(&[])).unwrap_err(),
            "Syntax error; token: \"a\", near: \"[a]\""
        );
        assert_eq!(
            parse("a = :v", &names(&[])).unwrap_err(),
            "Syntax error; token: \"=\", near: \"a = :v\""
        );
    }
}
