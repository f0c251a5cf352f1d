//! The jobs berth runs, one module each.

mod gc;
mod purge_audit;
mod retention;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use berth_types::jobs::JobType;
use serde_json::{Map, Value};

pub use gc::GcJob;
pub use purge_audit::PurgeAuditJob;
pub use retention::RetentionJob;

use crate::{JobContext, JobError};

/// One kind of job.
#[async_trait]
pub trait JobKind: Send + Sync {
    fn job_type(&self) -> JobType;
    /// Runs allowed before a failure is final (Harbor's per-job maximum).
    fn max_runs(&self) -> u32;
    /// How long one run may take.
    fn timeout(&self) -> Duration;
    /// Tasks of this kind running at once, across every node.
    fn concurrency(&self) -> i64 {
        1
    }
    /// Whether a new execution waits for none of the kind to be pending or running.
    fn exclusive(&self) -> bool {
        true
    }
    /// Checks a run's parameters and fills in defaults; the result is what is stored and
    /// what [`JobKind::run`] gets.
    fn check(&self, params: &Map<String, Value>) -> Result<Map<String, Value>, JobError>;
    /// Runs once; returns what the run reports (merged into the execution's parameters
    /// as Harbor shows them).
    async fn run(
        &self,
        ctx: &JobContext,
        params: &Map<String, Value>,
    ) -> Result<Map<String, Value>, JobError>;
}

/// The job kinds a node runs, by type.
#[derive(Clone, Default)]
pub struct Kinds(HashMap<JobType, Arc<dyn JobKind>>);

impl Kinds {
    pub fn with(mut self, kind: impl JobKind + 'static) -> Kinds {
        self.0.insert(kind.job_type(), Arc::new(kind));
        self
    }

    pub fn get(&self, t: JobType) -> Option<&Arc<dyn JobKind>> {
        self.0.get(&t)
    }
}

/// A boolean parameter (absent: `default`).
pub(crate) fn flag(
    params: &Map<String, Value>,
    key: &str,
    default: bool,
) -> Result<bool, JobError> {
    match params.get(key) {
        None | Some(Value::Null) => Ok(default),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(JobError::Invalid(format!("{key} must be true or false"))),
    }
}

/// An integer parameter (absent: `default`).
pub(crate) fn integer(
    params: &Map<String, Value>,
    key: &str,
    default: i64,
) -> Result<i64, JobError> {
    match params.get(key) {
        None | Some(Value::Null) => Ok(default),
        Some(v) => v
            .as_i64()
            .ok_or_else(|| JobError::Invalid(format!("{key} must be an integer"))),
    }
}
