//! DynamoDB Streams (being built): stream identity and lifecycle on the table, and change capture.
use eddy_model::DynamoError;

use crate::Store;
use crate::catalog::TableDef;
use crate::writer::WriteCtx;

/// `StreamSpecification` of CreateTable / UpdateTable.
#[derive(Clone, Debug)]
pub struct StreamSpecification {
    pub enabled: bool,
    pub view_type: Option<String>,
}

pub(crate) fn check_create_spec(_spec: &StreamSpecification) -> Result<(), DynamoError> {
    Ok(())
}

pub(crate) fn enable(
    _store: &Store,
    _ctx: &mut WriteCtx,
    _def: &mut TableDef,
    _spec: &StreamSpecification,
) -> Result<(), DynamoError> {
    Ok(())
}

pub(crate) fn update(
    _store: &Store,
    _ctx: &mut WriteCtx,
    _def: &mut TableDef,
    _spec: &StreamSpecification,
) -> Result<(), DynamoError> {
    Ok(())
}

pub(crate) fn on_table_deleted(
    _store: &Store,
    _ctx: &mut WriteCtx,
    _def: &TableDef,
) -> Result<(), DynamoError> {
    Ok(())
}
