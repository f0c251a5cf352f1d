//! Tag retention as a job (`RETENTION`): one run of a project's policy.

use std::time::Duration;

use async_trait::async_trait;
use berth_core::artifacts::Artifacts;
use berth_core::retention::RetentionObserver;
use berth_meta::MetaStore;
use berth_types::jobs::JobType;
use serde_json::{Map, Value, json};

use super::{JobKind, flag, integer};
use crate::{JobContext, JobError};

pub struct RetentionJob {
    pub artifacts: Artifacts,
    pub meta: MetaStore,
}

struct Observer<'a>(&'a JobContext);

impl RetentionObserver for Observer<'_> {
    fn log(&self, line: &str) {
        self.0.info(line);
        self.0.check_in(line.to_owned());
    }

    fn stop_requested(&self) -> bool {
        self.0.stop_requested()
    }
}

#[async_trait]
impl JobKind for RetentionJob {
    fn job_type(&self) -> JobType {
        JobType::Retention
    }

    /// Harbor retries retention up to three runs; a run again repeats what is left.
    fn max_runs(&self) -> u32 {
        3
    }

    fn timeout(&self) -> Duration {
        Duration::from_secs(24 * 3600)
    }

    fn concurrency(&self) -> i64 {
        2
    }

    /// A run asked for while another of the same policy goes waits behind it.
    fn exclusive(&self) -> bool {
        false
    }

    fn check(&self, params: &Map<String, Value>) -> Result<Map<String, Value>, JobError> {
        let id = integer(params, "policy_id", 0)?;
        if id <= 0 {
            return Err(JobError::Invalid("policy_id is required".into()));
        }
        let mut out = Map::new();
        out.insert("policy_id".into(), json!(id));
        out.insert("dry_run".into(), json!(flag(params, "dry_run", false)?));
        Ok(out)
    }

    async fn run(
        &self,
        ctx: &JobContext,
        params: &Map<String, Value>,
    ) -> Result<Map<String, Value>, JobError> {
        let id = integer(params, "policy_id", 0)?;
        let dry_run = flag(params, "dry_run", false)?;
        ctx.info(&format!(
            "{}retention policy {id} starts",
            if dry_run { "[DRYRUN] " } else { "" }
        ));
        let report = self
            .artifacts
            .run_retention(id, ctx.execution, dry_run, &Observer(ctx))
            .await?;
        let mut out = Map::new();
        match report {
            None => {
                // The policy (or its project) was deleted: its schedule goes too.
                self.meta.delete_schedule(JobType::Retention, id).await?;
            }
            Some(r) => {
                out.insert("repositories".into(), json!(r.repositories));
                out.insert("total".into(), json!(r.total));
                out.insert("retained".into(), json!(r.retained));
                out.insert("deleted".into(), json!(r.deleted));
            }
        }
        Ok(out)
    }
}
