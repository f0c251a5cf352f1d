//! Fires due schedules. Every node runs this loop; a schedule's next time moves forward by
//! compare-and-set in the transaction that creates the run, so each due time runs once.

use std::sync::Arc;
use std::time::Duration;

use berth_meta::{MetaStore, NewExecution, ScheduleRow};
use berth_types::jobs::{JobId, Trigger};
use tokio::sync::{Notify, watch};

use crate::cron::CronSpec;
use crate::kinds::Kinds;

pub(crate) async fn run(
    meta: MetaStore,
    kinds: Kinds,
    wake: Arc<Notify>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        if *shutdown.borrow() {
            return;
        }
        let now = chrono::Utc::now().timestamp_millis();
        match meta.due_schedules(now).await {
            Ok(due) => {
                for s in due {
                    if fire(&meta, &kinds, &s, now).await {
                        wake.notify_one();
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "reading due schedules failed"),
        }
        tokio::select! {
            () = tokio::time::sleep(Duration::from_secs(1)) => {}
            _ = shutdown.changed() => {}
        }
    }
}

async fn fire(meta: &MetaStore, kinds: &Kinds, s: &ScheduleRow, now: i64) -> bool {
    let Some(kind) = kinds.get(s.vendor_type) else {
        return false;
    };
    let next = match CronSpec::parse(&s.cron).and_then(|c| c.next_after(now)) {
        Ok(next) => next,
        Err(e) => {
            tracing::warn!(schedule = s.id, error = %e, "a stored schedule does not parse");
            return false;
        }
    };
    let run = NewExecution {
        vendor_type: s.vendor_type,
        vendor_id: s.vendor_id,
        trigger: Trigger::Schedule,
        parameters: s.parameters.clone(),
        tasks: vec![(
            JobId::generate(),
            kind.max_runs(),
            i64::try_from(kind.timeout().as_millis()).unwrap_or(i64::MAX),
        )],
    };
    match meta.fire_schedule(s, next, &run, kind.exclusive()).await {
        Ok(Some(id)) => {
            tracing::info!(schedule = s.id, execution = id.0, kind = %s.vendor_type, "schedule fired");
            true
        }
        Ok(None) => false,
        Err(e) => {
            tracing::warn!(schedule = s.id, error = %e, "firing a schedule failed");
            false
        }
    }
}
