//! Expression attribute names and values of one request: substitution into parsed expressions, and the record
//! of which placeholders were used (DynamoDB rejects unused ones across all expressions of the request).

use std::collections::{BTreeMap, BTreeSet};

use eddy_model::{AttributeMap, AttributeValue};

use crate::cursor::{RawPath, RawStep};
use crate::error::ExprError;
use crate::path::{DocPath, PathElement};

pub(crate) struct Substitutions<'a> {
    names: Option<&'a BTreeMap<String, String>>,
    values: Option<&'a AttributeMap>,
    used_names: BTreeSet<String>,
    used_values: BTreeSet<String>,
}

impl<'a> Substitutions<'a> {
    pub fn new(
        names: Option<&'a BTreeMap<String, String>>,
        values: Option<&'a AttributeMap>,
    ) -> Substitutions<'a> {
        Substitutions {
            names,
            values,
            used_names: BTreeSet::new(),
            used_values: BTreeSet::new(),
        }
    }

    pub fn name(&self, placeholder: &str) -> Option<&'a str> {
        self.names?.get(placeholder).map(String::as_str)
    }

    pub fn value(&self, placeholder: &str) -> Option<&'a AttributeValue> {
        self.values?.get(placeholder)
    }

    /// The first placeholder of `path` that is not defined.
    pub fn undefined_name<'p>(&self, path: &'p RawPath) -> Option<&'p str> {
        path.names().find(|n| self.name(n).is_none())
    }

    /// Substitutes the names of `path`, recording them as used.
    pub fn path(&mut self, path: &RawPath) -> Result<DocPath, ExprError> {
        let resolved = self.resolve_path(path)?;
        self.used_names.extend(path.names().map(str::to_string));
        Ok(resolved)
    }

    /// Substitutes the names of `path` without recording them.
    pub fn resolve_path(&self, path: &RawPath) -> Result<DocPath, ExprError> {
        let mut elements = Vec::with_capacity(path.steps.len());
        for step in &path.steps {
            elements.push(match step {
                RawStep::Ident(name) => PathElement::Name(name.clone()),
                RawStep::Index(i) => PathElement::Index(*i),
                RawStep::Name(placeholder) => {
                    let name = self
                        .name(placeholder)
                        .ok_or_else(|| ExprError::UndefinedName(placeholder.clone()))?;
                    PathElement::Name(name.to_string())
                }
            });
        }
        let mut iter = elements.into_iter();
        match iter.next() {
            Some(PathElement::Name(head)) => Ok(DocPath::new(head, iter.collect())),
            // The grammars never start a path with an index; keep the function total anyway.
            _ => Err(ExprError::Syntax {
                token: "[".into(),
                near: String::new(),
            }),
        }
    }

    /// The value of `placeholder`, recorded as used.
    pub fn use_value(&mut self, placeholder: &str) -> Result<AttributeValue, ExprError> {
        let value = self
            .value(placeholder)
            .ok_or_else(|| ExprError::UndefinedValue(placeholder.to_string()))?;
        self.used_values.insert(placeholder.to_string());
        Ok(value.clone())
    }

    /// Placeholders in ExpressionAttributeNames that no expression used.
    pub fn unused_names(&self) -> Vec<&'a str> {
        self.names
            .into_iter()
            .flat_map(|m| m.keys())
            .filter(|k| !self.used_names.contains(*k))
            .map(String::as_str)
            .collect()
    }

    /// Placeholders in ExpressionAttributeValues that no expression used.
    pub fn unused_values(&self) -> Vec<&'a str> {
        self.values
            .into_iter()
            .flat_map(|m| m.keys())
            .filter(|k| !self.used_values.contains(*k))
            .map(String::as_str)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substitutes_names_and_tracks_use() {
        let names: BTreeMap<String, String> = [
            ("#a".to_string(), "x.y".to_string()),
            ("#b".to_string(), "b".to_string()),
        ]
        .into();
        let mut subst = Substitutions::new(Some(&names), None);
        let raw = RawPath {
            steps: vec![RawStep::Name("#a".into()), RawStep::Index(1)],
        };
        let path = subst.path(&raw).unwrap();
        assert_eq!(path.head(), "x.y");
        assert_eq!(path.rest(), &[PathElement::Index(1)]);
        assert_eq!(subst.unused_names(), vec!["#b"]);
    }

    #[test]
    fn reports_undefined_placeholders() {
        let mut subst = Substitutions::new(None, None);
        let raw = RawPath {
            steps: vec![RawStep::Name("#x".into())],
        };
        assert_eq!(subst.path(&raw), Err(ExprError::UndefinedName("#x".into())));
        assert_eq!(
            subst.use_value(":v"),
            Err(ExprError::UndefinedValue(":v".into()))
        );
    }
}
