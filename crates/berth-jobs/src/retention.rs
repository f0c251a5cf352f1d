//! Tag retention's use of the job service: a policy's schedule, its runs, and what each run
//! did per repository. Access follows the policy's project (`tag-retention` in Harbor's
//! matrix), checked by `berth-core` before anything here is read.

use berth_auth::Identity;
use berth_auth::rbac::Verb;
use berth_meta::{ExecutionRow, RetentionTaskRow};
use berth_types::jobs::{ExecutionId, JobType, Trigger};
use berth_types::retention::RetentionPolicy;
use serde_json::json;

use crate::cron::CronSpec;
use crate::{JobError, Jobs};

const RETENTION: JobType = JobType::Retention;

impl Jobs {
    /// Creates a project's policy and its schedule; returns its id.
    pub async fn create_retention(
        &self,
        who: &Identity,
        policy: &RetentionPolicy,
    ) -> Result<i64, JobError> {
        let cron = checked_cron(policy)?;
        let (id, _) = self.inner.artifacts.create_retention(who, policy).await?;
        self.schedule_retention(id, cron.as_ref()).await?;
        Ok(id)
    }

    pub async fn retention(&self, who: &Identity, id: i64) -> Result<RetentionPolicy, JobError> {
        Ok(self
            .inner
            .artifacts
            .retention_for(who, id, Verb::Read)
            .await?)
    }

    /// Replaces a policy and its schedule.
    pub async fn update_retention(
        &self,
        who: &Identity,
        id: i64,
        policy: &RetentionPolicy,
    ) -> Result<(), JobError> {
        let cron = checked_cron(policy)?;
        self.inner
            .artifacts
            .update_retention(who, id, policy)
            .await?;
        self.schedule_retention(id, cron.as_ref()).await
    }

    /// Deletes a policy with its schedule (its past runs stay in the history).
    pub async fn delete_retention(&self, who: &Identity, id: i64) -> Result<(), JobError> {
        self.inner.artifacts.delete_retention(who, id).await?;
        self.inner.meta.delete_schedule(RETENTION, id).await?;
        Ok(())
    }

    async fn schedule_retention(&self, id: i64, cron: Option<&CronSpec>) -> Result<(), JobError> {
        match cron {
            None => {
                self.inner.meta.delete_schedule(RETENTION, id).await?;
            }
            Some(spec) => {
                let next = spec.next_after(chrono::Utc::now().timestamp_millis())?;
                let params = json!({"policy_id": id, "dry_run": false}).to_string();
                self.inner
                    .meta
                    .put_schedule(RETENTION, id, "Custom", spec.as_str(), &params, next)
                    .await?;
            }
        }
        Ok(())
    }

    /// Starts a run of a policy now (a dry run only lists what would go).
    pub async fn run_retention(
        &self,
        who: &Identity,
        id: i64,
        dry_run: bool,
    ) -> Result<ExecutionId, JobError> {
        self.inner
            .artifacts
            .retention_for(who, id, Verb::Operate)
            .await?;
        let params = self.params(RETENTION, &json!({"policy_id": id, "dry_run": dry_run}))?;
        let mut new = self.new_execution(RETENTION, Trigger::Manual, &params)?;
        new.vendor_id = id;
        let run = self
            .inner
            .meta
            .create_execution(&new, false)
            .await?
            .ok_or_else(|| JobError::Conflict("a run of the policy is already going".into()))?;
        self.inner.wake.notify_one();
        Ok(run)
    }

    /// A page of a policy's runs, newest first.
    pub async fn retention_executions(
        &self,
        who: &Identity,
        id: i64,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<ExecutionRow>, i64), JobError> {
        self.inner
            .artifacts
            .retention_for(who, id, Verb::List)
            .await?;
        Ok(self
            .inner
            .meta
            .executions(RETENTION, Some(id), limit, offset)
            .await?)
    }

    /// A run of the policy (404 for a run of another policy).
    async fn retention_execution(&self, id: i64, execution: i64) -> Result<ExecutionRow, JobError> {
        self.inner
            .meta
            .execution(ExecutionId(execution))
            .await?
            .filter(|e| e.vendor_type == RETENTION && e.vendor_id == id)
            .ok_or_else(|| JobError::NotFound(format!("execution {execution} not found")))
    }

    /// Stops a run of a policy.
    pub async fn stop_retention(
        &self,
        who: &Identity,
        id: i64,
        execution: i64,
    ) -> Result<(), JobError> {
        self.inner
            .artifacts
            .retention_for(who, id, Verb::Operate)
            .await?;
        let e = self.retention_execution(id, execution).await?;
        if !e.status.is_final() {
            self.inner.meta.stop_execution(e.id).await?;
        }
        Ok(())
    }

    /// A page of what a run did per repository.
    pub async fn retention_tasks(
        &self,
        who: &Identity,
        id: i64,
        execution: i64,
        limit: i64,
        offset: i64,
    ) -> Result<(ExecutionRow, Vec<RetentionTaskRow>, i64), JobError> {
        self.inner
            .artifacts
            .retention_for(who, id, Verb::List)
            .await?;
        let e = self.retention_execution(id, execution).await?;
        let (rows, total) = self.inner.meta.retention_tasks(e.id, limit, offset).await?;
        Ok((e, rows, total))
    }

    /// The log of what a run did to one repository.
    pub async fn retention_task_log(
        &self,
        who: &Identity,
        id: i64,
        execution: i64,
        task: i64,
    ) -> Result<String, JobError> {
        self.inner
            .artifacts
            .retention_for(who, id, Verb::Read)
            .await?;
        let e = self.retention_execution(id, execution).await?;
        self.inner
            .meta
            .retention_task(task)
            .await?
            .filter(|t| t.execution_id == e.id)
            .map(|t| t.log)
            .ok_or_else(|| JobError::NotFound(format!("task {task} not found")))
    }

    /// The job id of a run's task (what Harbor shows on each repository record).
    pub async fn job_id_of(&self, execution: ExecutionId) -> Result<String, JobError> {
        Ok(self
            .inner
            .meta
            .job_ids_of(execution)
            .await?
            .into_iter()
            .next()
            .unwrap_or_default())
    }
}

/// The policy's checks, and its cron checked as one (`None`: no schedule).
fn checked_cron(policy: &RetentionPolicy) -> Result<Option<CronSpec>, JobError> {
    let cron = policy.validate().map_err(JobError::Invalid)?;
    if cron.is_empty() {
        return Ok(None);
    }
    CronSpec::parse(&cron).map(Some)
}
