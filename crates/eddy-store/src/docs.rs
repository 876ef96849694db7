//! Durable documents for the other engines (Lambda functions, queues and their messages, event source
//! mappings and their checkpoints): small values under `(namespace, key)` in the same store as tables and
//! streams, written through the same group-commit writer. A change set commits atomically and is durable when
//! the call returns, so an engine's state survives `kill -9` exactly like an item does.

use std::ops::Bound;

use eddy_model::DynamoError;

use crate::Store;
use crate::backend::{Mutation, Space};

/// One change of a document change set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DocChange {
    Put {
        namespace: String,
        key: String,
        value: Vec<u8>,
    },
    Delete {
        namespace: String,
        key: String,
    },
}

impl DocChange {
    pub fn put(namespace: &str, key: &str, value: impl Into<Vec<u8>>) -> DocChange {
        DocChange::Put {
            namespace: namespace.to_string(),
            key: key.to_string(),
            value: value.into(),
        }
    }

    pub fn delete(namespace: &str, key: &str) -> DocChange {
        DocChange::Delete {
            namespace: namespace.to_string(),
            key: key.to_string(),
        }
    }
}

/// A namespace must not contain `/`, so `doc/<namespace>/` prefixes never overlap.
fn doc_key(namespace: &str, key: &str) -> Result<Vec<u8>, DynamoError> {
    if namespace.is_empty() || namespace.contains('/') {
        return Err(DynamoError::Internal(format!(
            "invalid document namespace {namespace:?}"
        )));
    }
    Ok(format!("doc/{namespace}/{key}").into_bytes())
}

fn internal(e: impl std::fmt::Display) -> DynamoError {
    DynamoError::Internal(e.to_string())
}

impl Store {
    /// Reads one document.
    pub fn get_doc(&self, namespace: &str, key: &str) -> Result<Option<Vec<u8>>, DynamoError> {
        self.inner
            .backend
            .get(Space::Meta, &doc_key(namespace, key)?)
            .map_err(internal)
    }

    /// Documents of a namespace whose key starts with `prefix`, in key order, after `after` (exclusive) if
    /// given, at most `limit`.
    pub fn list_docs(
        &self,
        namespace: &str,
        prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<(String, Vec<u8>)>, DynamoError> {
        let start = doc_key(namespace, prefix)?;
        let end = crate::layout::prefix_end(&start);
        let lower = match after {
            Some(a) => Bound::Excluded(doc_key(namespace, a)?),
            None => Bound::Included(start.clone()),
        };
        let lower_ref = match &lower {
            Bound::Included(k) => Bound::Included(k.as_slice()),
            Bound::Excluded(k) => Bound::Excluded(k.as_slice()),
            Bound::Unbounded => Bound::Unbounded,
        };
        let upper = end
            .as_deref()
            .map(Bound::Excluded)
            .unwrap_or(Bound::Unbounded);
        let skip = format!("doc/{namespace}/").len();
        let rows = self
            .inner
            .backend
            .range(Space::Meta, lower_ref, upper, false, limit)
            .map_err(internal)?;
        Ok(rows
            .into_iter()
            .filter(|(k, _)| k.starts_with(&start))
            .map(|(k, v)| (String::from_utf8_lossy(&k[skip..]).into_owned(), v))
            .collect())
    }

    /// Applies a change set atomically; returns once it is durable.
    pub async fn write_docs(&self, changes: Vec<DocChange>) -> Result<(), DynamoError> {
        let mut mutations = Vec::with_capacity(changes.len());
        for change in changes {
            mutations.push(match change {
                DocChange::Put {
                    namespace,
                    key,
                    value,
                } => Mutation::Put(Space::Meta, doc_key(&namespace, &key)?, value),
                DocChange::Delete { namespace, key } => {
                    Mutation::Delete(Space::Meta, doc_key(&namespace, &key)?)
                }
            });
        }
        self.inner
            .writer
            .run(move |ctx| {
                for m in mutations {
                    ctx.stage(m);
                }
                Ok(())
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use eddy_model::Clock;

    use super::*;
    use crate::StoreConfig;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn documents_are_written_listed_and_deleted() {
        let store = Store::in_memory(Arc::new(Clock::new()), StoreConfig::default());
        store
            .write_docs(vec![
                DocChange::put("functions", "a/1", b"one".to_vec()),
                DocChange::put("functions", "a/2", b"two".to_vec()),
                DocChange::put("functions", "b/1", b"three".to_vec()),
                DocChange::put("queues", "a/1", b"other".to_vec()),
            ])
            .await
            .unwrap();
        assert_eq!(
            store.get_doc("functions", "a/2").unwrap(),
            Some(b"two".to_vec())
        );
        let listed: Vec<String> = store
            .list_docs("functions", "a/", None, 10)
            .unwrap()
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(listed, vec!["a/1", "a/2"]);
        let after: Vec<String> = store
            .list_docs("functions", "", Some("a/1"), 10)
            .unwrap()
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(after, vec!["a/2", "b/1"]);
        store
            .write_docs(vec![DocChange::delete("functions", "a/1")])
            .await
            .unwrap();
        assert_eq!(store.get_doc("functions", "a/1").unwrap(), None);
        assert!(store.get_doc("bad/ns", "x").is_err());
    }
}
