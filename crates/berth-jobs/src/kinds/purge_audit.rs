//! Audit log purge as a job (`PURGE_AUDIT_LOG`): deletes records older than the retention,
//! of the event types asked for.

use std::time::Duration;

use async_trait::async_trait;
use berth_meta::MetaStore;
use berth_types::jobs::JobType;
use serde_json::{Map, Value, json};

use super::{JobKind, flag, integer};
use crate::{JobContext, JobError};

pub struct PurgeAuditJob {
    pub meta: MetaStore,
}

/// The longest retention accepted: about 30 years, in hours.
const MAX_RETENTION_HOURS: i64 = 30 * 365 * 24;

#[async_trait]
impl JobKind for PurgeAuditJob {
    fn job_type(&self) -> JobType {
        JobType::PurgeAuditLog
    }

    fn max_runs(&self) -> u32 {
        1
    }

    fn timeout(&self) -> Duration {
        Duration::from_secs(6 * 3600)
    }

    /// A second purge asked for waits behind the first (Harbor's API has no conflict here).
    fn exclusive(&self) -> bool {
        false
    }

    fn check(&self, params: &Map<String, Value>) -> Result<Map<String, Value>, JobError> {
        let hours = integer(params, "audit_retention_hour", 0)?;
        if !(-1..=MAX_RETENTION_HOURS).contains(&hours) {
            return Err(JobError::Invalid(format!(
                "audit_retention_hour must be between -1 and {MAX_RETENTION_HOURS}"
            )));
        }
        let events = match params.get("include_event_types") {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(s)) => s.clone(),
            Some(_) => {
                return Err(JobError::Invalid(
                    "include_event_types must be a comma-separated string".into(),
                ));
            }
        };
        let mut out = Map::new();
        out.insert("audit_retention_hour".into(), json!(hours));
        out.insert("include_event_types".into(), json!(events));
        out.insert("dry_run".into(), json!(flag(params, "dry_run", false)?));
        Ok(out)
    }

    async fn run(
        &self,
        ctx: &JobContext,
        params: &Map<String, Value>,
    ) -> Result<Map<String, Value>, JobError> {
        let hours = integer(params, "audit_retention_hour", 0)?;
        let dry_run = flag(params, "dry_run", false)?;
        let prefix = if dry_run { "[DRYRUN] " } else { "" };
        let mut out = Map::new();
        if hours <= 0 {
            ctx.info(&format!(
                "{prefix}audit_retention_hour is {hours}: nothing to purge"
            ));
            out.insert("purged".into(), json!(0));
            return Ok(out);
        }
        let events: Vec<String> = params
            .get("include_event_types")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .split(',')
            .map(|e| e.trim().to_ascii_lowercase())
            .filter(|e| !e.is_empty())
            .collect();
        let before = chrono::Utc::now().timestamp_millis() - hours * 3600 * 1000;
        ctx.info(&format!(
            "{prefix}purging audit logs older than {hours} hours{}",
            if events.is_empty() {
                String::new()
            } else {
                format!(" of the event types {}", events.join(","))
            }
        ));
        let events = (!events.is_empty()).then_some(events.as_slice());
        let purged = self.meta.purge_audit(before, events, dry_run).await?;
        ctx.info(&format!("{prefix}Purged {purged} rows of audit logs"));
        out.insert("purged".into(), json!(purged));
        Ok(out)
    }
}
