//! TransactWriteItems and TransactGetItems. A write transaction runs as one writer job: every action's old
//! item is read and every condition evaluated before anything is staged, so it commits all-or-nothing with one
//! atomic batch (its stream records included). Failures come back as `TransactionCanceledException` with one
//! reason per action in request order. `ClientRequestToken` makes a transaction idempotent for 10 minutes.

use std::collections::HashSet;

use eddy_expr::{Condition, Projection, Update};
use eddy_model::{AttributeMap, CancellationReason, DynamoError, Scope, item_size};

use crate::Store;
use crate::backend::{Mutation, Space};
use crate::capacity::{Capacity, CapacityMode, read_units};
use crate::items::{
    Origin, apply_update, check_update_paths, live_table, read_item, read_item_in, stage_change,
    validate_item, validate_key,
};
use crate::layout;

/// How long a client request token is remembered.
const TOKEN_TTL_MS: i64 = 10 * 60 * 1000;

pub enum TransactWriteAction {
    ConditionCheck {
        table: String,
        key: AttributeMap,
        condition: Condition,
        return_old_on_failure: bool,
    },
    Put {
        table: String,
        item: AttributeMap,
        condition: Option<Condition>,
        return_old_on_failure: bool,
    },
    Delete {
        table: String,
        key: AttributeMap,
        condition: Option<Condition>,
        return_old_on_failure: bool,
    },
    Update {
        table: String,
        key: AttributeMap,
        update: Option<Update>,
        condition: Option<Condition>,
        return_old_on_failure: bool,
    },
}

impl TransactWriteAction {
    fn table(&self) -> &str {
        match self {
            TransactWriteAction::ConditionCheck { table, .. }
            | TransactWriteAction::Put { table, .. }
            | TransactWriteAction::Delete { table, .. }
            | TransactWriteAction::Update { table, .. } => table,
        }
    }

    fn condition(&self) -> Option<&Condition> {
        match self {
            TransactWriteAction::ConditionCheck { condition, .. } => Some(condition),
            TransactWriteAction::Put { condition, .. }
            | TransactWriteAction::Delete { condition, .. }
            | TransactWriteAction::Update { condition, .. } => condition.as_ref(),
        }
    }

    fn return_old_on_failure(&self) -> bool {
        match self {
            TransactWriteAction::ConditionCheck {
                return_old_on_failure,
                ..
            }
            | TransactWriteAction::Put {
                return_old_on_failure,
                ..
            }
            | TransactWriteAction::Delete {
                return_old_on_failure,
                ..
            }
            | TransactWriteAction::Update {
                return_old_on_failure,
                ..
            } => *return_old_on_failure,
        }
    }
}

pub struct TransactWriteInput {
    pub actions: Vec<TransactWriteAction>,
    pub client_token: Option<String>,
    /// A digest of the request, to tell a retry from a different request reusing a token.
    pub fingerprint: u64,
    pub capacity: CapacityMode,
}

pub struct TransactGetItem {
    pub table: String,
    pub key: AttributeMap,
    pub projection: Option<Projection>,
}

/// One action after validation: where its item lives and what it does.
struct Planned {
    action: TransactWriteAction,
    table_id: u64,
    key: Vec<u8>,
    key_item: AttributeMap,
}

fn merge_capacity(list: &mut Vec<Capacity>, c: Capacity) {
    match list.iter_mut().find(|e| e.table_name == c.table_name) {
        Some(existing) => existing.merge(&c),
        None => list.push(c),
    }
}

impl Store {
    pub async fn transact_write_items(
        &self,
        scope: &Scope,
        req: TransactWriteInput,
    ) -> Result<Vec<Capacity>, DynamoError> {
        let mut planned = Vec::with_capacity(req.actions.len());
        let mut seen = HashSet::new();
        for action in req.actions {
            let table = self.table(scope, action.table())?;
            let key_item = match &action {
                TransactWriteAction::Put { item, .. } => {
                    validate_item(&table, item)?;
                    table.def.key.extract_key(item)
                }
                TransactWriteAction::ConditionCheck { key, .. }
                | TransactWriteAction::Delete { key, .. }
                | TransactWriteAction::Update { key, .. } => {
                    validate_key(&table, key)?;
                    key.clone()
                }
            };
            let update = match &action {
                TransactWriteAction::Update { update, .. } => update.as_ref(),
                _ => None,
            };
            check_update_paths(&table, update, action.condition())?;
            let key = table.def.item_key(&key_item);
            if !seen.insert(key.clone()) {
                return Err(DynamoError::validation(
                    "Transaction request cannot include multiple operations on one item",
                ));
            }
            planned.push(Planned {
                action,
                table_id: table.def.id,
                key,
                key_item,
            });
        }
        let (store, scope) = (self.clone(), scope.clone());
        let now = self.inner.clock.now_ms();
        let (token, fingerprint, mode) = (req.client_token, req.fingerprint, req.capacity);
        self.inner
            .writer
            .run(move |ctx| {
                let token_key = token.as_ref().map(|t| layout::meta_token_key(&scope.account, &scope.region, t));
                if let Some(key) = &token_key
                    && let Some(seen) = ctx.get(Space::Meta, key).map_err(|e| DynamoError::Internal(e.to_string()))? {
                        let recorded = <[u8; 16]>::try_from(seen.as_slice()).ok();
                        if let Some(rec) = recorded {
                            let (fp, at) = (u64::from_be_bytes(rec[..8].try_into().unwrap_or_default()), i64::from_be_bytes(rec[8..].try_into().unwrap_or_default()));
                            if now - at < TOKEN_TTL_MS {
                                if fp != fingerprint {
                                    return Err(DynamoError::IdempotentParameterMismatch(
                                        "The request uses the same client token as a previous, but non-identical request".into(),
                                    ));
                                }
                                return Ok(Vec::new());
                            }
                        }
                    }
                let mut tables = Vec::with_capacity(planned.len());
                for p in &planned {
                    tables.push(live_table(&store, &scope, p.action.table(), p.table_id)?);
                }
                // Phase one: read and check everything.
                let mut reasons = Vec::with_capacity(planned.len());
                let mut outcomes = Vec::with_capacity(planned.len());
                let mut failed = false;
                for (p, table) in planned.iter().zip(&tables) {
                    let old = read_item_in(ctx, &p.key)?;
                    if !p.action.condition().is_none_or(|c| c.evaluate(old.as_ref())) {
                        failed = true;
                        reasons.push(CancellationReason {
                            code: "ConditionalCheckFailed".into(),
                            message: Some("The conditional request failed".into()),
                            item: if p.action.return_old_on_failure() { old.clone() } else { None },
                        });
                        outcomes.push((old, None));
                        continue;
                    }
                    let new = match &p.action {
                        TransactWriteAction::ConditionCheck { .. } => old.clone(),
                        TransactWriteAction::Put { item, .. } => Some(item.clone()),
                        TransactWriteAction::Delete { .. } => None,
                        TransactWriteAction::Update { update, .. } => {
                            match apply_update(table, old.as_ref(), &p.key_item, update.as_ref()) {
                                Ok(new) => Some(new),
                                Err(e) => {
                                    failed = true;
                                    reasons.push(CancellationReason {
                                        code: "ValidationError".into(),
                                        message: e.message(),
                                        item: None,
                                    });
                                    outcomes.push((old, None));
                                    continue;
                                }
                            }
                        }
                    };
                    reasons.push(CancellationReason::none());
                    outcomes.push((old, new));
                }
                if failed {
                    return Err(DynamoError::TransactionCanceled { reasons });
                }
                // Phase two: stage every change in one batch.
                let mut consumed = Vec::new();
                for ((p, table), (old, new)) in planned.iter().zip(&tables).zip(outcomes) {
                    let units = if matches!(p.action, TransactWriteAction::ConditionCheck { .. }) {
                        crate::capacity::IndexUnits {
                            table: read_units(old.as_ref().map(item_size).unwrap_or(0), true),
                            ..Default::default()
                        }
                    } else {
                        stage_change(&store, ctx, table, &p.key, old.as_ref(), new.as_ref(), Origin::User)
                    };
                    if let Some(c) = units.into_capacity(&table.def.name, mode) {
                        merge_capacity(&mut consumed, c.scaled(2.0));
                    }
                }
                if let Some(key) = token_key {
                    let mut value = fingerprint.to_be_bytes().to_vec();
                    value.extend_from_slice(&now.to_be_bytes());
                    ctx.stage(Mutation::Put(Space::Meta, key, value));
                }
                Ok(consumed)
            })
            .await
    }

    pub fn transact_get_items(
        &self,
        scope: &Scope,
        gets: Vec<TransactGetItem>,
        mode: CapacityMode,
    ) -> Result<(Vec<Option<AttributeMap>>, Vec<Capacity>), DynamoError> {
        let mut tables = Vec::with_capacity(gets.len());
        for get in &gets {
            let table = self.table(scope, &get.table)?;
            validate_key(&table, &get.key)?;
            tables.push(table);
        }
        let mut items = Vec::with_capacity(gets.len());
        let mut consumed = Vec::new();
        for (get, table) in gets.into_iter().zip(tables) {
            let key = table.def.item_key(&get.key);
            let item = read_item(self.inner.backend.as_ref(), &key)?;
            let units = read_units(item.as_ref().map(item_size).unwrap_or(0), true) * 2.0;
            if let Some(c) = Capacity::for_table(&table.def.name, units, mode) {
                merge_capacity(&mut consumed, c);
            }
            items.push(item.map(|i| match &get.projection {
                Some(p) => p.apply(&i),
                None => i,
            }));
        }
        Ok((items, consumed))
    }
}
