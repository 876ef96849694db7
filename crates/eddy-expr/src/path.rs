//! Document paths (`a.b[2].c`): their resolved form, lookup in an item, DynamoDB's display form in messages
//! (`[a, b, [2], c]`), and the overlap/conflict rule between the paths of one projection or update.

use std::fmt;

use eddy_model::{AttributeMap, AttributeValue};

use crate::error::ExprError;

/// One step of a document path: a map key (or top-level attribute name) or a list index.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PathElement {
    Name(String),
    Index(usize),
}

/// A resolved document path (expression attribute names already substituted). It starts with a name.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DocPath {
    head: String,
    rest: Vec<PathElement>,
}

impl DocPath {
    /// A path naming one top-level attribute.
    pub fn attribute(name: impl Into<String>) -> DocPath {
        DocPath {
            head: name.into(),
            rest: Vec::new(),
        }
    }

    pub(crate) fn new(head: String, rest: Vec<PathElement>) -> DocPath {
        DocPath { head, rest }
    }

    /// The top-level attribute the path starts at.
    pub fn head(&self) -> &str {
        &self.head
    }

    /// The steps after the top-level attribute.
    pub fn rest(&self) -> &[PathElement] {
        &self.rest
    }

    /// Whether the path goes below its top-level attribute.
    pub fn is_nested(&self) -> bool {
        !self.rest.is_empty()
    }

    /// Number of steps, the top-level attribute included.
    pub fn len(&self) -> usize {
        1 + self.rest.len()
    }

    /// Always false: a path has at least its top-level attribute.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Step `i` (0 is the top-level attribute).
    pub(crate) fn element(&self, i: usize) -> Option<PathElementRef<'_>> {
        if i == 0 {
            Some(PathElementRef::Name(&self.head))
        } else {
            self.rest.get(i - 1).map(|e| match e {
                PathElement::Name(n) => PathElementRef::Name(n),
                PathElement::Index(i) => PathElementRef::Index(*i),
            })
        }
    }

    /// The value at this path in `item`, if every step exists.
    pub fn resolve<'a>(&self, item: &'a AttributeMap) -> Option<&'a AttributeValue> {
        let mut current = item.get(&self.head)?;
        for element in &self.rest {
            current = step(current, element)?;
        }
        Some(current)
    }
}

/// A borrowed path step, so that the head and the rest can be walked uniformly.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PathElementRef<'a> {
    Name(&'a str),
    Index(usize),
}

impl PathElementRef<'_> {
    fn same_kind(self, other: PathElementRef<'_>) -> bool {
        matches!(
            (self, other),
            (PathElementRef::Name(_), PathElementRef::Name(_))
                | (PathElementRef::Index(_), PathElementRef::Index(_))
        )
    }
}

/// One step down from `value`; `None` when the step does not exist or does not apply to the value's type.
pub(crate) fn step<'a>(
    value: &'a AttributeValue,
    element: &PathElement,
) -> Option<&'a AttributeValue> {
    match (value, element) {
        (AttributeValue::M(map), PathElement::Name(name)) => map.get(name),
        (AttributeValue::L(list), PathElement::Index(i)) => list.get(*i),
        _ => None,
    }
}

/// DynamoDB's display of a path in messages: `[a, b, [2], c]`.
impl fmt::Display for DocPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}", self.head)?;
        for element in &self.rest {
            match element {
                PathElement::Name(name) => write!(f, ", {name}")?,
                PathElement::Index(i) => write!(f, ", [{i}]")?,
            }
        }
        f.write_str("]")
    }
}

/// How two paths relate, by DynamoDB's rule for paths that must be independent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Relation {
    Independent,
    /// One is a prefix of the other (or they are equal).
    Overlap,
    /// At the first step where they differ, one is a map key and the other a list index.
    Conflict,
}

pub(crate) fn relation(one: &DocPath, two: &DocPath) -> Relation {
    let common = one.len().min(two.len());
    for i in 0..common {
        let (Some(a), Some(b)) = (one.element(i), two.element(i)) else {
            return Relation::Independent;
        };
        if !a.same_kind(b) {
            return Relation::Conflict;
        }
        if a != b {
            return Relation::Independent;
        }
    }
    Relation::Overlap
}

/// Checks that no two of `paths` overlap or conflict. Each path is compared with every earlier one, in order;
/// an overlap anywhere is reported before any conflict, and the first of each kind is the one reported.
pub(crate) fn check_independent(paths: &[DocPath]) -> Result<(), ExprError> {
    let mut conflict = None;
    for (j, two) in paths.iter().enumerate() {
        for one in &paths[..j] {
            match relation(one, two) {
                Relation::Overlap => {
                    return Err(ExprError::PathOverlap {
                        one: one.to_string(),
                        two: two.to_string(),
                    });
                }
                Relation::Conflict if conflict.is_none() => {
                    conflict = Some(ExprError::PathConflict {
                        one: one.to_string(),
                        two: two.to_string(),
                    });
                }
                _ => {}
            }
        }
    }
    conflict.map_or(Ok(()), Err)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(head: &str, rest: &[PathElement]) -> DocPath {
        DocPath::new(head.into(), rest.to_vec())
    }

    fn name(n: &str) -> PathElement {
        PathElement::Name(n.into())
    }

    #[test]
    fn displays_names_raw_and_indexes_bracketed() {
        let p = path("ab", &[name("bc"), PathElement::Index(1), name("a")]);
        assert_eq!(p.to_string(), "[ab, bc, [1], a]");
        assert_eq!(DocPath::attribute("a").to_string(), "[a]");
    }

    #[test]
    fn resolves_nested_maps_and_lists() {
        let item: AttributeMap =
            serde_json::from_str(r#"{"a":{"M":{"b":{"L":[{"S":"x"},{"M":{"c":{"N":"1"}}}]}}}}"#)
                .unwrap();
        let p = path("a", &[name("b"), PathElement::Index(1), name("c")]);
        assert_eq!(
            p.resolve(&item),
            Some(&AttributeValue::N("1".parse().unwrap()))
        );
        assert_eq!(
            path("a", &[name("b"), PathElement::Index(5)]).resolve(&item),
            None
        );
        assert_eq!(path("a", &[PathElement::Index(0)]).resolve(&item), None);
        assert_eq!(path("zz", &[]).resolve(&item), None);
    }

    #[test]
    fn prefix_paths_overlap() {
        let a = DocPath::attribute("a");
        let ab = path("a", &[name("b")]);
        assert_eq!(relation(&a, &ab), Relation::Overlap);
        assert_eq!(relation(&a, &a), Relation::Overlap);
    }

    #[test]
    fn name_against_index_conflicts() {
        let ab = path("a", &[name("b")]);
        let a1 = path("a", &[PathElement::Index(1)]);
        assert_eq!(relation(&ab, &a1), Relation::Conflict);
    }

    #[test]
    fn diverging_paths_are_independent() {
        let ab = path("a", &[name("b")]);
        let ac = path("a", &[name("c")]);
        assert_eq!(relation(&ab, &ac), Relation::Independent);
        assert_eq!(
            relation(&DocPath::attribute("a"), &DocPath::attribute("b")),
            Relation::Independent
        );
    }

    #[test]
    fn overlap_is_reported_before_an_earlier_conflict() {
        let paths = [
            path("d", &[PathElement::Index(1)]),
            path("d", &[name("b")]),
            path("c", &[PathElement::Index(1), name("a")]),
            DocPath::attribute("c"),
        ];
        assert_eq!(
            check_independent(&paths),
            Err(ExprError::PathOverlap {
                one: "[c, [1], a]".into(),
                two: "[c]".into()
            })
        );
    }

    #[test]
    fn conflict_is_reported_when_nothing_overlaps() {
        let paths = [path("a", &[name("c")]), path("a", &[PathElement::Index(1)])];
        assert_eq!(
            check_independent(&paths),
            Err(ExprError::PathConflict {
                one: "[a, c]".into(),
                two: "[a, [1]]".into()
            })
        );
    }
}
