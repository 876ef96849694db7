//! Consumed capacity as DynamoDB computes it: a write costs one unit per started KB of the larger of the old
//! and new item (at least one), a read one unit per started 4 KB of everything read in the operation (half for
//! eventually consistent reads), index writes are charged per index, and transactions cost double.

use std::collections::BTreeMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum CapacityMode {
    #[default]
    None,
    Total,
    Indexes,
}

impl CapacityMode {
    pub fn parse(s: &str) -> Option<CapacityMode> {
        Some(match s {
            "NONE" => CapacityMode::None,
            "TOTAL" => CapacityMode::Total,
            "INDEXES" => CapacityMode::Indexes,
            _ => return None,
        })
    }
}

/// One `ConsumedCapacity` entry.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Capacity {
    pub table_name: String,
    pub total: f64,
    /// Present with `INDEXES`: the table's own share and each index's.
    pub table: Option<f64>,
    pub gsis: BTreeMap<String, f64>,
    pub lsis: BTreeMap<String, f64>,
    /// Whether the entry also names its units as read or write units (`ReadCapacityUnits` /
    /// `WriteCapacityUnits`): DynamoDB does so for transactions only.
    pub split: CapacitySplit,
}

/// How a `ConsumedCapacity` entry names its units besides `CapacityUnits`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum CapacitySplit {
    /// `CapacityUnits` alone (every operation but the transactions).
    #[default]
    None,
    /// Also `ReadCapacityUnits` (TransactGetItems).
    Read,
    /// Also `WriteCapacityUnits` (TransactWriteItems).
    Write,
}

impl Capacity {
    pub fn for_table(table: &str, units: f64, mode: CapacityMode) -> Option<Capacity> {
        match mode {
            CapacityMode::None => None,
            CapacityMode::Total => Some(Capacity {
                table_name: table.into(),
                total: units,
                ..Default::default()
            }),
            CapacityMode::Indexes => Some(Capacity {
                table_name: table.into(),
                total: units,
                table: Some(units),
                ..Default::default()
            }),
        }
    }

    /// Adds another entry of the same table (batch and transaction operations report one entry per table).
    pub fn merge(&mut self, other: &Capacity) {
        self.total += other.total;
        if let Some(t) = other.table {
            self.table = Some(self.table.unwrap_or(0.0) + t);
        }
        for (k, v) in &other.gsis {
            *self.gsis.entry(k.clone()).or_default() += v;
        }
        for (k, v) in &other.lsis {
            *self.lsis.entry(k.clone()).or_default() += v;
        }
    }

    /// The entry as a transaction reports it: its units named as read or write units too.
    pub fn in_transaction(mut self, split: CapacitySplit) -> Capacity {
        self.split = split;
        self
    }

    pub fn scaled(mut self, factor: f64) -> Capacity {
        self.total *= factor;
        self.table = self.table.map(|t| t * factor);
        self.gsis.values_mut().for_each(|v| *v *= factor);
        self.lsis.values_mut().for_each(|v| *v *= factor);
        self
    }
}

/// Write units of one item of `size` bytes.
pub fn write_units(size: usize) -> f64 {
    size.div_ceil(1024).max(1) as f64
}

/// Read units of `size` bytes read in one operation.
pub fn read_units(size: usize, consistent: bool) -> f64 {
    let units = size.div_ceil(4096).max(1) as f64;
    if consistent { units } else { units / 2.0 }
}

/// Units a write consumed on the table and on each index it touched.
#[derive(Clone, Debug, Default)]
pub struct IndexUnits {
    pub table: f64,
    pub gsis: Vec<(String, f64)>,
    pub lsis: Vec<(String, f64)>,
}

impl IndexUnits {
    pub fn into_capacity(self, table: &str, mode: CapacityMode) -> Option<Capacity> {
        let index_total: f64 = self
            .gsis
            .iter()
            .chain(self.lsis.iter())
            .map(|(_, u)| u)
            .sum();
        let total = self.table + index_total;
        match mode {
            CapacityMode::None => None,
            CapacityMode::Total => Some(Capacity {
                table_name: table.into(),
                total,
                ..Default::default()
            }),
            CapacityMode::Indexes => Some(Capacity {
                table_name: table.into(),
                total,
                table: Some(self.table),
                gsis: self.gsis.into_iter().collect(),
                lsis: self.lsis.into_iter().collect(),
                split: CapacitySplit::None,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_round_up_per_kb_and_4kb() {
        assert_eq!(write_units(0), 1.0);
        assert_eq!(write_units(1024), 1.0);
        assert_eq!(write_units(1025), 2.0);
        assert_eq!(read_units(4096, true), 1.0);
        assert_eq!(read_units(4097, true), 2.0);
        assert_eq!(read_units(100, false), 0.5);
    }
}
