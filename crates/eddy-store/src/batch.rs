//! BatchWriteItem and BatchGetItem. Every request of a batch is validated before anything runs; the writes
//! then run as one writer job, so a batch is never half-applied (DynamoDB promises less: it may return
//! `UnprocessedItems`, which eddy never needs to). BatchGetItem honours the 16 MB response limit by returning
//! the rest as `UnprocessedKeys`.

use std::collections::{BTreeMap, HashSet};

use eddy_expr::Projection;
use eddy_model::{AttributeMap, DynamoError, Scope, item_size};

use crate::Store;
use crate::capacity::{Capacity, CapacityMode, read_units};
use crate::items::{
    Origin, check_item_size, live_table, read_item, read_item_in, stage_blind_write, stage_change,
    validate_item_fits_table, validate_key, writes_blindly,
};

pub enum WriteRequest {
    Put(AttributeMap),
    Delete(AttributeMap),
}

pub struct BatchWriteRequest {
    /// Table name → its requests, in request order.
    pub tables: Vec<(String, Vec<WriteRequest>)>,
    pub capacity: CapacityMode,
}

#[derive(Debug, Default)]
pub struct BatchWriteOutput {
    pub consumed: Vec<Capacity>,
}

pub struct BatchGetTable {
    pub keys: Vec<AttributeMap>,
    pub projection: Option<Projection>,
    pub consistent: bool,
}

pub struct BatchGetRequest {
    pub tables: Vec<(String, BatchGetTable)>,
    pub capacity: CapacityMode,
}

#[derive(Debug, Default)]
pub struct BatchGetOutput {
    pub responses: BTreeMap<String, Vec<AttributeMap>>,
    /// Keys not read because the response reached 16 MB, per table.
    pub unprocessed: BTreeMap<String, Vec<AttributeMap>>,
    pub consumed: Vec<Capacity>,
}

const MAX_BATCH_WRITE: usize = 25;
const MAX_BATCH_GET: usize = 100;
const MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;

fn duplicates() -> DynamoError {
    DynamoError::validation("Provided list of item keys contains duplicates")
}

impl Store {
    pub async fn batch_write_item(
        &self,
        scope: &Scope,
        req: BatchWriteRequest,
    ) -> Result<BatchWriteOutput, DynamoError> {
        let total: usize = req.tables.iter().map(|(_, r)| r.len()).sum();
        if total > MAX_BATCH_WRITE {
            return Err(DynamoError::validation(
                "Too many items requested for the BatchWriteItem call",
            ));
        }
        // Validate everything first; nothing runs if any request is bad. Item sizes are checked before any
        // table is looked up, as DynamoDB does.
        for (_, requests) in &req.tables {
            for request in requests {
                if let WriteRequest::Put(item) = request {
                    check_item_size(item)?;
                }
            }
        }
        let mut planned = Vec::with_capacity(req.tables.len());
        for (name, requests) in req.tables {
            let table = self.table(scope, &name)?;
            let mut seen = HashSet::new();
            let mut writes = Vec::with_capacity(requests.len());
            for request in requests {
                let (key_item, new) = match request {
                    WriteRequest::Put(item) => {
                        // A batch names a put whose key is missing or mistyped as a key mismatch, unlike PutItem.
                        let key_fits = table
                            .def
                            .key
                            .attributes()
                            .all(|a| item.get(&a.name).is_some_and(|v| a.scalar.matches(v)));
                        if !key_fits {
                            return Err(DynamoError::validation(
                                "The provided key element does not match the schema",
                            ));
                        }
                        validate_item_fits_table(&table, &item)?;
                        (table.def.key.extract_key(&item), Some(item))
                    }
                    WriteRequest::Delete(key) => {
                        validate_key(&table, &key)?;
                        (key, None)
                    }
                };
                let key = table.def.item_key(&key_item);
                if !seen.insert(key.clone()) {
                    return Err(duplicates());
                }
                writes.push((key, new));
            }
            planned.push((name, table.def.id, writes));
        }
        let (store, scope, mode) = (self.clone(), scope.clone(), req.capacity);
        self.inner
            .writer
            .run(move |ctx| {
                let mut out = BatchWriteOutput::default();
                let mut tables = Vec::with_capacity(planned.len());
                for (name, id, _) in &planned {
                    tables.push(live_table(&store, &scope, name, *id)?);
                }
                for ((name, _, writes), table) in planned.into_iter().zip(tables) {
                    let mut consumed: Option<Capacity> = None;
                    let blind = writes_blindly(&table);
                    for (key, new) in writes {
                        let units = if blind {
                            stage_blind_write(&store, ctx, &table, &key, new.as_ref())?
                        } else {
                            let old = read_item_in(ctx, &key)?;
                            stage_change(
                                &store,
                                ctx,
                                &table,
                                &key,
                                old.as_ref(),
                                new.as_ref(),
                                Origin::User,
                            )
                        };
                        if let Some(c) = units.into_capacity(&name, mode) {
                            match consumed.as_mut() {
                                Some(total) => total.merge(&c),
                                None => consumed = Some(c),
                            }
                        }
                    }
                    out.consumed.extend(consumed);
                }
                Ok(out)
            })
            .await
    }

    pub fn batch_get_item(
        &self,
        scope: &Scope,
        req: BatchGetRequest,
    ) -> Result<BatchGetOutput, DynamoError> {
        let total: usize = req.tables.iter().map(|(_, t)| t.keys.len()).sum();
        if total > MAX_BATCH_GET {
            return Err(DynamoError::validation(
                "Too many items requested for the BatchGetItem call",
            ));
        }
        // A key repeated as sent is refused before any table is looked up (verified against AWS by extenddb's
        // dual-target tests, 2026); keys that only the schema makes equal are found below.
        for (_, request) in &req.tables {
            let keys = &request.keys;
            if (1..keys.len()).any(|i| keys[..i].contains(&keys[i])) {
                return Err(duplicates());
            }
        }
        let mut planned = Vec::with_capacity(req.tables.len());
        for (name, request) in &req.tables {
            let table = self.table(scope, name)?;
            let mut seen = HashSet::new();
            for key in &request.keys {
                validate_key(&table, key)?;
                if !seen.insert(table.def.item_key(key)) {
                    return Err(duplicates());
                }
            }
            planned.push(table);
        }
        let mut out = BatchGetOutput::default();
        let mut response_bytes = 0usize;
        for ((name, request), table) in req.tables.into_iter().zip(planned) {
            let mut items = Vec::new();
            let mut units = 0.0;
            for key in request.keys {
                if response_bytes >= MAX_RESPONSE_BYTES {
                    out.unprocessed.entry(name.clone()).or_default().push(key);
                    continue;
                }
                let stored = table.def.item_key(&key);
                let item = read_item(self.inner.backend.as_ref(), &stored)?;
                units += read_units(
                    item.as_ref().map(item_size).unwrap_or(0),
                    request.consistent,
                );
                if let Some(item) = item {
                    let item = match &request.projection {
                        Some(p) => p.apply(&item),
                        None => item,
                    };
                    response_bytes += item_size(&item);
                    items.push(item);
                }
            }
            out.consumed
                .extend(Capacity::for_table(&name, units, req.capacity));
            out.responses.insert(name, items);
        }
        Ok(out)
    }
}
