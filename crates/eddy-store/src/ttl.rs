//! Time to Live. Items whose TTL attribute (a number of epoch seconds) is at or before the server clock are
//! deleted through the ordinary write path, marked as service deletes so their stream records carry DynamoDB's
//! `userIdentity`. Expiry times are indexed (see `layout`), so a sweep reads only what is due, never the table.
//! As on AWS, an expiry more than five years in the past is ignored.

use std::ops::Bound;
use std::time::Duration;

use eddy_model::DynamoError;

use crate::Store;
use crate::backend::Space;
use crate::items::{Origin, live_table, read_item_in, stage_change, ttl_expiry};
use crate::layout;

const FIVE_YEARS_SECS: i64 = 5 * 365 * 24 * 3600;
/// TTL deletes per writer job, so a large expiry wave never stalls user writes for long.
const SWEEP_CHUNK: usize = 100;

pub(crate) fn spawn_sweeper(store: Store) {
    let interval = Duration::from_millis(store.inner.config.ttl_sweep_interval_ms.max(10));
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(interval).await;
            if let Err(e) = store.sweep_ttl().await {
                tracing::warn!("TTL sweep failed: {e}");
            }
        }
    });
}

impl Store {
    /// Deletes every item whose TTL is due by the server clock now; returns how many were deleted.
    pub async fn sweep_ttl(&self) -> Result<usize, DynamoError> {
        let now_secs = self.inner.clock.now_ms().div_euclid(1000);
        let tables: Vec<_> = self
            .inner
            .catalog
            .read()
            .all()
            .filter(|t| t.def.ttl_attribute().is_some())
            .cloned()
            .collect();
        let mut deleted = 0;
        for table in tables {
            loop {
                let n = self.sweep_chunk(&table, now_secs).await?;
                deleted += n.deleted;
                if n.scanned < SWEEP_CHUNK {
                    break;
                }
            }
        }
        Ok(deleted)
    }

    async fn sweep_chunk(
        &self,
        table: &crate::catalog::Table,
        now_secs: i64,
    ) -> Result<SweepCount, DynamoError> {
        let lower = layout::ttl_prefix(table.def.id, now_secs - FIVE_YEARS_SECS);
        let upper = layout::ttl_prefix(table.def.id, now_secs + 1);
        let due = self
            .inner
            .backend
            .range(
                Space::Indexes,
                Bound::Included(&lower),
                Bound::Excluded(&upper),
                false,
                SWEEP_CHUNK,
            )
            .map_err(|e| DynamoError::Internal(e.to_string()))?;
        let scanned = due.len();
        let (store, scope, name, id) = (
            self.clone(),
            table.def.scope(),
            table.def.name.clone(),
            table.def.id,
        );
        let deleted = self
            .inner
            .writer
            .run(move |ctx| {
                let table = live_table(&store, &scope, &name, id)?;
                let mut deleted = 0;
                for (entry_key, _) in due {
                    let Some(key) = layout::item_key_of_ttl_entry(id, &entry_key) else {
                        ctx.stage(crate::backend::Mutation::Delete(Space::Indexes, entry_key));
                        continue;
                    };
                    let Some(old) = read_item_in(ctx, &key)? else {
                        ctx.stage(crate::backend::Mutation::Delete(Space::Indexes, entry_key));
                        continue;
                    };
                    // The item may have changed since the entry was read; only delete what is still due.
                    if ttl_expiry(&table, &old)
                        .is_some_and(|e| e <= now_secs && e > now_secs - FIVE_YEARS_SECS)
                    {
                        stage_change(
                            &store,
                            ctx,
                            &table,
                            &key,
                            Some(&old),
                            None,
                            Origin::TimeToLive,
                        );
                        deleted += 1;
                    }
                }
                Ok(deleted)
            })
            .await?;
        Ok(SweepCount { scanned, deleted })
    }
}

struct SweepCount {
    scanned: usize,
    deleted: usize,
}
