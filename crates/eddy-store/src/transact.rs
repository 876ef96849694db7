//! TransactWriteItems and TransactGetItems. A write transaction runs as one writer job: every action's old
//! item is read and every condition evaluated before anything is staged, so it commits all-or-nothing with one
//! atomic batch (its stream records included). Failures come back as `TransactionCanceledException` with one
//! reason per action in request order. `ClientRequestToken` makes a transaction idempotent for 10 minutes.

use std::collections::HashSet;

use eddy_expr::{Condition, Projection, Update};
use eddy_model::{AttributeMap, CancellationReason, DynamoError, Scope, item_size};

use crate::Store;
use crate::backend::{Mutation, Space};
use crate::capacity::{Capacity, CapacityMode, CapacitySplit, read_units};
use crate::items::{
    Origin, check_update_paths, is_item_schema_mismatch, live_table, read_item, read_item_in,
    stage_change, updated_item, validate_item, validate_key,
};
use crate::layout;
use crate::writer::WriteCtx;

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
    /// The bytes the action carries towards the transaction's 4 MB: a Put's item, the others' key.
    fn size(&self) -> usize {
        match self {
            TransactWriteAction::Put { item, .. } => item_size(item),
            TransactWriteAction::ConditionCheck { key, .. }
            | TransactWriteAction::Delete { key, .. }
            | TransactWriteAction::Update { key, .. } => item_size(key),
        }
    }

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

/// What the replay of an idempotent transaction consumes: a transactional read of each item it names, as
/// DynamoDB re-reads the stored result (2 × ⌈size / 4 KB⌉ per item; paritysuite transactWrite, eu-west-2).
fn replay_capacity(
    store: &Store,
    ctx: &mut WriteCtx,
    scope: &Scope,
    planned: &[Planned],
    mode: CapacityMode,
) -> Result<Vec<Capacity>, DynamoError> {
    let mut consumed = Vec::new();
    for p in planned {
        let table = live_table(store, scope, p.action.table(), p.table_id)?;
        let size = read_item_in(ctx, &p.key)?.as_ref().map_or(0, item_size);
        let units = crate::capacity::IndexUnits {
            table: read_units(size, true),
            ..Default::default()
        };
        if let Some(c) = units.into_capacity(&table.def.name, mode) {
            merge_capacity(
                &mut consumed,
                c.scaled(2.0).in_transaction(CapacitySplit::Read),
            );
        }
    }
    Ok(consumed)
}

fn merge_capacity(list: &mut Vec<Capacity>, c: Capacity) {
    match list.iter_mut().find(|e| e.table_name == c.table_name) {
        Some(existing) => existing.merge(&c),
        None => list.push(c),
    }
}

/// The most item bytes one TransactWriteItems may carry.
const MAX_TRANSACTION_BYTES: usize = 4 * 1024 * 1024;

/// A write action's own checks; its key as an item.
fn check_write_action(
    table: &crate::catalog::Table,
    action: &TransactWriteAction,
) -> Result<AttributeMap, DynamoError> {
    let key_item = match action {
        TransactWriteAction::Put { item, .. } => {
            validate_item(table, item)?;
            table.def.key.extract_key(item)
        }
        TransactWriteAction::ConditionCheck { key, .. }
        | TransactWriteAction::Delete { key, .. }
        | TransactWriteAction::Update { key, .. } => {
            validate_key(table, key)?;
            key.clone()
        }
    };
    let update = match action {
        TransactWriteAction::Update { update, .. } => update.as_ref(),
        _ => None,
    };
    check_update_paths(table, update, action.condition())?;
    Ok(key_item)
}

/// The items of a transaction whose keys do not fit their table. DynamoDB cancels the transaction for them,
/// where other faults refuse the whole request, and names only the first in a `ValidationError` reason: the
/// later ones, and every other action, get `None` (Alternator's suite, run against AWS).
struct ItemMismatches {
    reasons: Vec<Option<String>>,
}

impl ItemMismatches {
    fn new(items: usize) -> ItemMismatches {
        ItemMismatches {
            reasons: vec![None; items],
        }
    }

    /// An item's check: its value if it passed, `None` if it is a mismatch (kept for the cancellation), the
    /// error if it refuses the whole request.
    fn sort<T>(
        &mut self,
        position: usize,
        checked: Result<T, DynamoError>,
    ) -> Result<Option<T>, DynamoError> {
        match checked {
            Ok(value) => Ok(Some(value)),
            Err(e) if is_item_schema_mismatch(&e) => {
                if self.reasons.iter().all(Option::is_none) {
                    self.reasons[position] = e.message();
                }
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    fn cancel_if_any(self) -> Result<(), DynamoError> {
        if self.reasons.iter().all(Option::is_none) {
            return Ok(());
        }
        let reasons = self
            .reasons
            .into_iter()
            .map(|reason| match reason {
                Some(message) => CancellationReason {
                    code: "ValidationError".into(),
                    message: Some(message),
                    item: None,
                },
                None => CancellationReason::none(),
            })
            .collect();
        Err(DynamoError::TransactionCanceled { reasons })
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
        let mut mismatches = ItemMismatches::new(req.actions.len());
        let total_size: usize = req.actions.iter().map(TransactWriteAction::size).sum();
        if total_size > MAX_TRANSACTION_BYTES {
            return Err(DynamoError::validation(
                "Transaction request total item size exceeds the maximum allowed size of 4 MB",
            ));
        }
        for (position, action) in req.actions.into_iter().enumerate() {
            let table = self.table(scope, action.table())?;
            let checked = check_write_action(&table, &action);
            let Some(key_item) = mismatches.sort(position, checked)? else {
                continue;
            };
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
        mismatches.cancel_if_any()?;
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
                                return replay_capacity(&store, ctx, &scope, &planned, mode);
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
                            match updated_item(table, old.as_ref(), &p.key_item, update.as_ref()) {
                                Ok(new) => new,
                                Err(e) => {
                                    failed = true;
                                    reasons.push(CancellationReason {
                                        code: "ValidationError".into(),
                                        message: update_reason(e),
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
                        merge_capacity(&mut consumed, c.scaled(2.0).in_transaction(CapacitySplit::Write));
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
        let mut mismatches = ItemMismatches::new(gets.len());
        let mut seen = HashSet::new();
        for (position, get) in gets.iter().enumerate() {
            let table = self.table(scope, &get.table)?;
            if mismatches
                .sort(position, validate_key(&table, &get.key))?
                .is_some()
                && !seen.insert(table.def.item_key(&get.key))
            {
                return Err(DynamoError::validation(
                    "Transaction request cannot include multiple operations on one item",
                ));
            }
            tables.push(table);
        }
        mismatches.cancel_if_any()?;
        let mut items = Vec::with_capacity(gets.len());
        let mut consumed = Vec::new();
        for (get, table) in gets.into_iter().zip(tables) {
            let key = table.def.item_key(&get.key);
            let item = read_item(self.inner.backend.as_ref(), &key)?;
            let units = read_units(item.as_ref().map(item_size).unwrap_or(0), true) * 2.0;
            if let Some(c) = Capacity::for_table(&table.def.name, units, mode) {
                merge_capacity(&mut consumed, c.in_transaction(CapacitySplit::Read));
            }
            items.push(item.map(|i| match &get.projection {
                Some(p) => p.apply(&i),
                None => i,
            }));
        }
        Ok((items, consumed))
    }
}

/// An update's fault as its cancellation reason words it: too deep a result in DynamoDB's short form (AWS, 2026-10).
fn update_reason(error: DynamoError) -> Option<String> {
    match error.message() {
        Some(message) if message == crate::items::NESTING_MESSAGE => {
            Some("Nesting Levels have exceeded supported limits".into())
        }
        other => other,
    }
}
