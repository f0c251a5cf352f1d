//! [`Jobs`]: what the APIs ask of the job service (system administrators only).

use std::sync::Arc;

use berth_auth::Identity;
use berth_core::accounts::require_sysadmin;
use berth_core::artifacts::Artifacts;
use berth_meta::{ExecutionRow, MetaStore, NewExecution, PoolRow, QueueRow, ScheduleRow};
use berth_types::jobs::{ExecutionId, JobId, JobType, Trigger};
use serde_json::{Map, Value};
use tokio::sync::{Notify, watch};

use crate::cron::CronSpec;
use crate::kinds::{JobKind, Kinds};
use crate::runner::Runner;
use crate::{JobError, JobOptions};

/// The job service of this node; cheap to clone.
#[derive(Clone)]
pub struct Jobs {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) meta: MetaStore,
    pub(crate) artifacts: Artifacts,
    kinds: Kinds,
    options: JobOptions,
    pool_id: String,
    pub(crate) wake: Arc<Notify>,
}

/// What a schedule request asks for.
#[derive(Debug, Clone)]
pub enum ScheduleKind {
    /// Run once, now.
    Manual,
    /// Remove the schedule.
    None,
    /// Run periodically; `cron_type` is how the user chose it (`Hourly`, `Custom`, ...).
    Periodic { cron_type: String, cron: String },
}

impl ScheduleKind {
    /// From Harbor's `ScheduleObj` type and cron.
    pub fn parse(kind: &str, cron: Option<&str>) -> Result<ScheduleKind, JobError> {
        match kind {
            "Manual" => Ok(ScheduleKind::Manual),
            "None" => Ok(ScheduleKind::None),
            "Hourly" | "Daily" | "Weekly" | "Custom" | "Schedule" => {
                let cron = cron.unwrap_or_default().trim();
                CronSpec::parse(cron)?;
                Ok(ScheduleKind::Periodic {
                    cron_type: kind.to_owned(),
                    cron: cron.to_owned(),
                })
            }
            other => Err(JobError::Invalid(format!(
                "invalid schedule type {other:?}: one of Hourly, Daily, Weekly, Custom, Manual, None"
            ))),
        }
    }
}

/// A worker slot of a pool, with the task it runs.
#[derive(Debug, Clone)]
pub struct WorkerView {
    pub id: String,
    pub pool_id: String,
    pub job_name: String,
    pub job_id: String,
    pub start_at: Option<i64>,
    pub check_in: String,
    pub checkin_at: Option<i64>,
}

/// Pools silent for longer than this are not listed.
const POOL_ALIVE_MS: i64 = 60_000;

/// Stops the loops of [`Jobs::spawn`].
pub struct JobsHandle {
    stop: watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl JobsHandle {
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        for t in self.tasks {
            let _ = t.await;
        }
    }
}

impl Jobs {
    pub fn new(meta: MetaStore, artifacts: Artifacts, kinds: Kinds, options: JobOptions) -> Jobs {
        Jobs {
            inner: Arc::new(Inner {
                meta,
                artifacts,
                kinds,
                options,
                pool_id: uuid::Uuid::new_v4().simple().to_string()[..24].to_owned(),
                wake: Arc::new(Notify::new()),
            }),
        }
    }

    /// Starts this node's worker pool and scheduler.
    pub fn spawn(&self) -> JobsHandle {
        let (stop, rx) = watch::channel(false);
        let i = &self.inner;
        let runner = Arc::new(Runner {
            meta: i.meta.clone(),
            kinds: i.kinds.clone(),
            options: i.options.clone(),
            pool_id: i.pool_id.clone(),
            wake: i.wake.clone(),
        });
        let tasks = vec![
            tokio::spawn(runner.run(rx.clone())),
            tokio::spawn(crate::scheduler::run(
                i.meta.clone(),
                i.kinds.clone(),
                i.wake.clone(),
                rx,
            )),
        ];
        JobsHandle { stop, tasks }
    }

    /// Checks that `who` may use the job service (system administrators only).
    pub fn authorize(&self, who: &Identity) -> Result<(), JobError> {
        Ok(require_sysadmin(who)?)
    }

    fn kind(&self, t: JobType) -> Result<&Arc<dyn JobKind>, JobError> {
        self.inner
            .kinds
            .get(t)
            .ok_or_else(|| JobError::NotFound(format!("no job of type {t}")))
    }

    /// Checks parameters of a kind (object or absent).
    pub(crate) fn params(
        &self,
        t: JobType,
        params: &Value,
    ) -> Result<Map<String, Value>, JobError> {
        let map = match params {
            Value::Null => Map::new(),
            Value::Object(m) => m.clone(),
            _ => return Err(JobError::Invalid("parameters must be an object".into())),
        };
        self.kind(t)?.check(&map)
    }

    pub(crate) fn new_execution(
        &self,
        t: JobType,
        trigger: Trigger,
        params: &Map<String, Value>,
    ) -> Result<NewExecution, JobError> {
        let kind = self.kind(t)?;
        Ok(NewExecution {
            vendor_type: t,
            vendor_id: -1,
            trigger,
            parameters: Value::Object(params.clone()).to_string(),
            tasks: vec![(
                JobId::generate(),
                kind.max_runs(),
                i64::try_from(kind.timeout().as_millis()).unwrap_or(i64::MAX),
            )],
        })
    }

    /// Starts a run now.
    pub async fn run_now(
        &self,
        who: &Identity,
        t: JobType,
        params: &Value,
    ) -> Result<ExecutionId, JobError> {
        require_sysadmin(who)?;
        let params = self.params(t, params)?;
        let new = self.new_execution(t, Trigger::Manual, &params)?;
        let exclusive = self.kind(t)?.exclusive();
        let id = self
            .inner
            .meta
            .create_execution(&new, exclusive)
            .await?
            .ok_or_else(|| {
                JobError::Conflict(format!("a {t} job is already pending or running"))
            })?;
        self.inner.wake.notify_one();
        Ok(id)
    }

    /// Harbor's schedule request: run now, remove the schedule, or set it. Returns the
    /// execution of a run started now.
    pub async fn set_schedule(
        &self,
        who: &Identity,
        t: JobType,
        schedule: ScheduleKind,
        params: &Value,
    ) -> Result<Option<ExecutionId>, JobError> {
        require_sysadmin(who)?;
        match schedule {
            ScheduleKind::Manual => self.run_now(who, t, params).await.map(Some),
            ScheduleKind::None => {
                self.inner.meta.delete_schedule(t, -1).await?;
                Ok(None)
            }
            ScheduleKind::Periodic { cron_type, cron } => {
                let params = self.params(t, params)?;
                let spec = CronSpec::parse(&cron)?;
                let next = spec.next_after(chrono::Utc::now().timestamp_millis())?;
                self.inner
                    .meta
                    .put_schedule(
                        t,
                        -1,
                        &cron_type,
                        spec.as_str(),
                        &Value::Object(params).to_string(),
                        next,
                    )
                    .await?;
                Ok(None)
            }
        }
    }

    /// The schedule of a system job, if any.
    pub async fn schedule(
        &self,
        who: &Identity,
        t: JobType,
    ) -> Result<Option<ScheduleRow>, JobError> {
        require_sysadmin(who)?;
        Ok(self.inner.meta.schedule(t, -1).await?)
    }

    /// A page of a kind's executions, newest first.
    pub async fn executions(
        &self,
        who: &Identity,
        t: JobType,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<ExecutionRow>, i64), JobError> {
        require_sysadmin(who)?;
        Ok(self.inner.meta.executions(t, None, limit, offset).await?)
    }

    /// One execution of a kind.
    pub async fn execution(
        &self,
        who: &Identity,
        t: JobType,
        id: i64,
    ) -> Result<ExecutionRow, JobError> {
        require_sysadmin(who)?;
        self.inner
            .meta
            .execution(ExecutionId(id))
            .await?
            .filter(|e| e.vendor_type == t)
            .ok_or_else(|| JobError::NotFound(format!("execution {id} not found")))
    }

    /// Asks an execution of a kind to stop.
    pub async fn stop(&self, who: &Identity, t: JobType, id: i64) -> Result<(), JobError> {
        let e = self.execution(who, t, id).await?;
        if !e.status.is_final() {
            self.inner.meta.stop_execution(e.id).await?;
        }
        Ok(())
    }

    /// The log of an execution of a kind.
    pub async fn log(&self, who: &Identity, t: JobType, id: i64) -> Result<String, JobError> {
        let e = self.execution(who, t, id).await?;
        Ok(join_lines(self.inner.meta.execution_log(e.id).await?))
    }

    /// A page of every periodic schedule.
    pub async fn all_schedules(
        &self,
        who: &Identity,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<ScheduleRow>, i64), JobError> {
        require_sysadmin(who)?;
        Ok(self.inner.meta.schedules(limit, offset).await?)
    }

    /// Whether the schedules of a job type (`all`: of every type) are paused.
    pub async fn schedule_paused(&self, who: &Identity, job_type: &str) -> Result<bool, JobError> {
        require_sysadmin(who)?;
        let mut all = true;
        for t in job_types(job_type)? {
            all &= self.inner.meta.queue_paused(t).await?;
        }
        Ok(all)
    }

    /// The worker pools alive now.
    pub async fn pools(&self, who: &Identity) -> Result<Vec<PoolRow>, JobError> {
        require_sysadmin(who)?;
        let since = chrono::Utc::now().timestamp_millis() - POOL_ALIVE_MS;
        Ok(self.inner.meta.pools(since).await?)
    }

    /// The workers of a pool (`all`: of every pool) and what each runs.
    pub async fn workers(
        &self,
        who: &Identity,
        pool_id: &str,
    ) -> Result<Vec<WorkerView>, JobError> {
        let pools: Vec<PoolRow> = self
            .pools(who)
            .await?
            .into_iter()
            .filter(|p| pool_id == "all" || p.id == pool_id)
            .collect();
        if pools.is_empty() {
            return Err(JobError::NotFound(format!(
                "worker pool {pool_id} not found"
            )));
        }
        let running = self.inner.meta.running_tasks().await?;
        let mut out = Vec::new();
        for p in pools {
            let mut mine = running.iter().filter(|t| {
                // A claim's owner is `<pool>:<claim>`.
                t.owner
                    .as_deref()
                    .and_then(|o| o.split_once(':'))
                    .is_some_and(|(pool, _)| pool == p.id)
            });
            for i in 0..p.concurrency.max(1) {
                let task = mine.next();
                out.push(WorkerView {
                    id: format!("{}-{i}", p.id),
                    pool_id: p.id.clone(),
                    job_name: task.map(|t| t.vendor_type.to_string()).unwrap_or_default(),
                    job_id: task.map(|t| t.job_id.to_string()).unwrap_or_default(),
                    start_at: task.and_then(|t| t.start_time),
                    check_in: task.map(|t| t.check_in.clone()).unwrap_or_default(),
                    checkin_at: task.map(|t| t.update_time),
                });
            }
        }
        Ok(out)
    }

    fn job_id(raw: &str) -> Result<JobId, JobError> {
        JobId::parse(raw).ok_or_else(|| JobError::NotFound(format!("job {raw} not found")))
    }

    /// Stops one job (task) by its job-service id.
    pub async fn stop_job(&self, who: &Identity, job_id: &str) -> Result<(), JobError> {
        require_sysadmin(who)?;
        let id = Self::job_id(job_id)?;
        if !self.inner.meta.stop_task(&id).await? {
            return Err(JobError::NotFound(format!("job {job_id} not found")));
        }
        Ok(())
    }

    /// The log of one job (task).
    pub async fn job_log(&self, who: &Identity, job_id: &str) -> Result<String, JobError> {
        require_sysadmin(who)?;
        let id = Self::job_id(job_id)?;
        let task = self
            .inner
            .meta
            .task_by_job_id(&id)
            .await?
            .ok_or_else(|| JobError::NotFound(format!("job {job_id} not found")))?;
        Ok(join_lines(self.inner.meta.task_log(task.id).await?))
    }

    /// Every job type's queue.
    pub async fn queues(&self, who: &Identity) -> Result<Vec<QueueRow>, JobError> {
        require_sysadmin(who)?;
        Ok(self.inner.meta.queues().await?)
    }

    /// `stop` (every unfinished job of the type), `pause` or `resume` a queue (`all`: every
    /// queue).
    pub async fn queue_action(
        &self,
        who: &Identity,
        job_type: &str,
        action: &str,
    ) -> Result<(), JobError> {
        require_sysadmin(who)?;
        let types = job_types(job_type)?;
        for t in types {
            match action {
                "stop" => self.inner.meta.stop_tasks_of_type(t).await?,
                "pause" => self.inner.meta.set_queue_paused(t, true).await?,
                "resume" => self.inner.meta.set_queue_paused(t, false).await?,
                other => {
                    return Err(JobError::Unsupported(format!(
                        "unsupported action {other:?}: stop, pause or resume"
                    )));
                }
            }
        }
        self.inner.wake.notify_one();
        Ok(())
    }
}

fn job_types(job_type: &str) -> Result<Vec<JobType>, JobError> {
    if job_type.eq_ignore_ascii_case("all") {
        return Ok(JobType::ALL.to_vec());
    }
    JobType::parse(job_type)
        .map(|t| vec![t])
        .ok_or_else(|| JobError::NotFound(format!("unknown job type {job_type}")))
}

fn join_lines(lines: Vec<String>) -> String {
    let mut text = lines.join("\n");
    if !text.is_empty() {
        text.push('\n');
    }
    text
}
