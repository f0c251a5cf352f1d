//! The worker pool of one node: claims due tasks from the database, runs them under a lease
//! it renews, and records how each run ended.

use std::sync::Arc;
use std::time::Duration;

use berth_meta::{ClaimedTask, Heartbeat, MetaStore, PoolRow, TaskEnd};
use serde_json::{Map, Value};
use tokio::sync::{Notify, Semaphore, watch};

use crate::context::{Level, log_line};
use crate::kinds::{JobKind, Kinds};
use crate::{JobContext, JobError, JobOptions};

/// Finished executions kept per job type.
const KEEP_EXECUTIONS: i64 = 50;
/// How long a job asked to stop may take to reach a safe point before it is dropped.
const STOP_GRACE: Duration = Duration::from_secs(30);

pub(crate) struct Runner {
    pub meta: MetaStore,
    pub kinds: Kinds,
    pub options: JobOptions,
    pub pool_id: String,
    pub wake: Arc<Notify>,
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// The wait before run `run + 1` of a task that failed: 10 s, doubling, at most 10 min.
fn backoff(run: u32) -> Duration {
    Duration::from_secs(
        10u64
            .saturating_mul(1 << run.saturating_sub(1).min(6))
            .min(600),
    )
}

impl Runner {
    pub async fn run(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) {
        let slots = Arc::new(Semaphore::new(self.options.workers));
        let started = now_ms();
        let mut last_beat = 0;
        let mut last_reap = 0;
        let lease_ms = i64::try_from(self.options.lease.as_millis()).unwrap_or(30_000);
        loop {
            if *shutdown.borrow() {
                break;
            }
            let now = now_ms();
            if now - last_beat >= 10_000 {
                last_beat = now;
                self.beat(started, now).await;
            }
            if now - last_reap >= (lease_ms / 3).max(500) {
                last_reap = now;
                let line = log_line(
                    Level::Warning,
                    "the worker running this task stopped renewing its lease",
                );
                match self.meta.reap_tasks(now + 1_000, &line).await {
                    Ok(0) => {}
                    Ok(n) => tracing::warn!(tasks = n, "took back tasks whose worker stopped"),
                    Err(e) => tracing::warn!(error = %e, "checking job leases failed"),
                }
            }
            while let Ok(permit) = slots.clone().try_acquire_owned() {
                let kinds = &self.kinds;
                // Each claim holds the lease under its own token (`<pool>:<claim>`), so a run
                // this node lost and claimed again never renews or ends the other's.
                let owner = format!("{}:{}", self.pool_id, uuid::Uuid::new_v4().simple());
                let claimed = self
                    .meta
                    .claim_task(&owner, lease_ms, |t| {
                        kinds.get(t).map_or(0, |k| k.concurrency())
                    })
                    .await;
                match claimed {
                    Ok(Some(task)) => {
                        let Some(kind) = self.kinds.get(task.vendor_type).cloned() else {
                            break;
                        };
                        let me = self.clone();
                        tokio::spawn(async move {
                            me.run_task(kind, task, owner).await;
                            drop(permit);
                        });
                    }
                    Ok(None) => break,
                    Err(e) => {
                        tracing::warn!(error = %e, "claiming a job failed");
                        break;
                    }
                }
            }
            tokio::select! {
                () = tokio::time::sleep(Duration::from_secs(1)) => {}
                () = self.wake.notified() => {}
                _ = shutdown.changed() => {}
            }
        }
        if let Err(e) = self.meta.drop_pool(&self.pool_id).await {
            tracing::warn!(error = %e, "removing the worker pool failed");
        }
    }

    async fn beat(&self, started: i64, now: i64) {
        let pool = PoolRow {
            id: self.pool_id.clone(),
            host: hostname(),
            pid: i64::from(std::process::id()),
            concurrency: i64::try_from(self.options.workers).unwrap_or(1),
            start_at: started,
            heartbeat_at: now,
        };
        if let Err(e) = self.meta.beat_pool(&pool).await {
            tracing::warn!(error = %e, "recording the worker pool failed");
        }
    }

    async fn run_task(&self, kind: Arc<dyn JobKind>, task: ClaimedTask, owner: String) {
        let ctx = JobContext::new(task.execution_id, task.job_id.clone(), task.run);
        let params: Map<String, Value> = serde_json::from_str(&task.parameters).unwrap_or_default();
        ctx.info(&format!(
            "{} run {} of {} starts on {}",
            task.vendor_type, task.run, task.max_runs, self.pool_id
        ));
        tracing::info!(job = %task.job_id, kind = %task.vendor_type, run = task.run, "job starts");
        let timeout = Duration::from_millis(u64::try_from(task.timeout_ms).unwrap_or(0));
        let outcome = tokio::select! {
            r = tokio::time::timeout(timeout, kind.run(&ctx, &params)) => match r {
                Ok(r) => Outcome::Done(r),
                Err(_) => Outcome::TimedOut,
            },
            a = self.keep_lease(&task, &owner, &ctx) => a,
        };
        let now = now_ms();
        let retry_at =
            |run: u32| (run < task.max_runs).then(|| now + backoff(run).as_millis() as i64);
        let (end, results) = match outcome {
            Outcome::Done(Ok(results)) if ctx.stop_requested() => (TaskEnd::Stopped, Some(results)),
            Outcome::Done(Ok(results)) => (TaskEnd::Success, Some(results)),
            Outcome::Done(Err(JobError::Stopped)) | Outcome::StopTimedOut => {
                (TaskEnd::Stopped, None)
            }
            // A run asked to stop is not run again, however it ended.
            Outcome::Done(Err(_)) | Outcome::TimedOut if ctx.stop_requested() => {
                (TaskEnd::Stopped, None)
            }
            Outcome::Done(Err(e)) => (
                TaskEnd::Failed {
                    message: e.to_string(),
                    retry_at: retry_at(task.run),
                },
                None,
            ),
            Outcome::TimedOut => (
                TaskEnd::Failed {
                    message: format!("timed out after {} s", timeout.as_secs()),
                    retry_at: retry_at(task.run),
                },
                None,
            ),
            Outcome::Lost => {
                tracing::warn!(job = %task.job_id, "lost the lease of a running job; left it");
                return;
            }
        };
        let summary = match &end {
            TaskEnd::Success => log_line(Level::Info, "the job succeeded"),
            TaskEnd::Stopped => log_line(Level::Info, "the job stopped on request"),
            TaskEnd::Failed {
                message,
                retry_at: Some(_),
            } => log_line(
                Level::Error,
                &format!("the job failed: {message}; it will run again"),
            ),
            TaskEnd::Failed { message, .. } => {
                log_line(Level::Error, &format!("the job failed: {message}"))
            }
        };
        let mut lines = ctx.take_lines();
        if ctx.dropped_lines() > 0 {
            lines.push(log_line(
                Level::Warning,
                &format!(
                    "{} more lines were logged and not kept (a run keeps {})",
                    ctx.dropped_lines(),
                    crate::context::MAX_LOG_LINES
                ),
            ));
        }
        lines.push(summary);
        let results = results.map(|r| Value::Object(r).to_string());
        for attempt in 0..5 {
            match self
                .meta
                .end_task(task.id, &owner, &end, results.as_deref(), &lines)
                .await
            {
                Ok(_) => break,
                Err(e) => {
                    tracing::warn!(error = %e, attempt, "recording the end of a job failed");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
        tracing::info!(job = %task.job_id, kind = %task.vendor_type, "job ended");
        if let Err(e) = self
            .meta
            .sweep_executions(task.vendor_type, task.vendor_id, KEEP_EXECUTIONS)
            .await
        {
            tracing::warn!(error = %e, "sweeping old executions failed");
        }
    }

    /// Renews the lease until the job ends (this future is dropped then); returns only when
    /// the job must be abandoned: a stop it did not honour in time, or a lease it no longer
    /// holds (taken back, or not renewed for so long that another node may take it).
    async fn keep_lease(&self, task: &ClaimedTask, owner: &str, ctx: &JobContext) -> Outcome {
        let lease_ms = i64::try_from(self.options.lease.as_millis()).unwrap_or(30_000);
        let every = (self.options.lease / 3).max(Duration::from_millis(200));
        let mut stop_since: Option<tokio::time::Instant> = None;
        let mut renewed = tokio::time::Instant::now();
        loop {
            tokio::time::sleep(every).await;
            let lines = ctx.take_lines();
            match self
                .meta
                .renew_task(task.id, owner, lease_ms, &ctx.current_check_in(), &lines)
                .await
            {
                Ok(Heartbeat::Renewed) => renewed = tokio::time::Instant::now(),
                Ok(Heartbeat::StopRequested) => {
                    renewed = tokio::time::Instant::now();
                    ctx.request_stop();
                    let since = *stop_since.get_or_insert_with(tokio::time::Instant::now);
                    if since.elapsed() > STOP_GRACE {
                        return Outcome::StopTimedOut;
                    }
                }
                Ok(Heartbeat::Lost) => {
                    ctx.request_stop();
                    return Outcome::Lost;
                }
                Err(e) => {
                    ctx.put_back(lines);
                    tracing::warn!(error = %e, "renewing a job's lease failed");
                    // Past two thirds of the lease without a renewal another node may take
                    // the task soon: this run gives it up rather than run beside it.
                    if renewed.elapsed() > self.options.lease * 2 / 3 {
                        ctx.request_stop();
                        return Outcome::Lost;
                    }
                }
            }
        }
    }
}

enum Outcome {
    Done(Result<Map<String, Value>, JobError>),
    TimedOut,
    StopTimedOut,
    Lost,
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_else(|_| "localhost".into())
}
