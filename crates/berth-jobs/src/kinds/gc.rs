//! Garbage collection as a job (`GARBAGE_COLLECTION`): Harbor's parameters around
//! [`Artifacts::collect_garbage`].

use std::time::Duration;

use async_trait::async_trait;
use berth_core::artifacts::Artifacts;
use berth_core::gc::{GcObserver, GcOptions};
use berth_types::jobs::JobType;
use serde_json::{Map, Value, json};

use super::{JobKind, flag, integer};
use crate::{JobContext, JobError};

pub struct GcJob {
    pub artifacts: Artifacts,
    /// The grace window (`BERTH_GC_TIME_WINDOW_HOURS`).
    pub window: Duration,
    /// Age of an abandoned upload session (`BERTH_UPLOAD_MAX_AGE_HOURS`).
    pub upload_max_age: Duration,
}

struct Observer<'a>(&'a JobContext);

impl GcObserver for Observer<'_> {
    fn log(&self, line: &str) {
        self.0.info(line);
    }

    fn progress(&self, done: u64, total: u64) {
        self.0.check_in(format!("{done}/{total} blobs swept"));
    }

    fn stop_requested(&self) -> bool {
        self.0.stop_requested()
    }
}

#[async_trait]
impl JobKind for GcJob {
    fn job_type(&self) -> JobType {
        JobType::GarbageCollection
    }

    /// Harbor runs GC once, without retry.
    fn max_runs(&self) -> u32 {
        1
    }

    fn timeout(&self) -> Duration {
        Duration::from_secs(24 * 3600)
    }

    fn check(&self, params: &Map<String, Value>) -> Result<Map<String, Value>, JobError> {
        let workers = match params.get("workers") {
            Some(Value::Number(n)) if n.as_i64().is_some_and(|w| (1..=10).contains(&w)) => {
                n.as_i64().unwrap_or(1)
            }
            None | Some(Value::Null) => 1,
            Some(Value::Number(_)) => {
                return Err(JobError::Invalid(
                    "Invalid number of workers: it must be between 1 and 10".into(),
                ));
            }
            Some(_) => return Err(JobError::Invalid("workers must be an integer".into())),
        };
        let hours = self.window.as_secs() / 3600;
        let mut out = Map::new();
        out.insert(
            "delete_untagged".into(),
            json!(flag(params, "delete_untagged", true)?),
        );
        out.insert("dry_run".into(), json!(flag(params, "dry_run", false)?));
        out.insert("workers".into(), json!(workers));
        out.insert("time_window".into(), json!(hours));
        Ok(out)
    }

    async fn run(
        &self,
        ctx: &JobContext,
        params: &Map<String, Value>,
    ) -> Result<Map<String, Value>, JobError> {
        let opts = GcOptions {
            dry_run: flag(params, "dry_run", false)?,
            delete_untagged: flag(params, "delete_untagged", true)?,
            workers: usize::try_from(integer(params, "workers", 1)?.clamp(1, 10)).unwrap_or(1),
            window: self.window,
            upload_max_age: self.upload_max_age,
        };
        ctx.info(&format!(
            "{}garbage collection starts: delete untagged {}, {} workers, time window {} hours",
            if opts.dry_run { "[DRYRUN] " } else { "" },
            opts.delete_untagged,
            opts.workers,
            self.window.as_secs() / 3600
        ));
        let report = self
            .artifacts
            .collect_garbage(&opts, &Observer(ctx))
            .await?;
        let mut out = Map::new();
        out.insert("freed_space".into(), json!(report.freed_space));
        out.insert("purged_blobs".into(), json!(report.purged_blobs));
        out.insert("purged_manifests".into(), json!(report.purged_manifests));
        out.insert("purged_uploads".into(), json!(report.purged_uploads));
        Ok(out)
    }
}
