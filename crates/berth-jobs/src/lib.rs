//! berth's job service: durable executions and tasks in the metadata database.
//!
//! A run of anything (GC, audit log purge, retention) is an execution with tasks. Every
//! node runs a worker pool ([`runner`]) that claims due tasks by compare-and-set, renews a
//! lease while a task runs, and records how it ended; a task whose node died is taken back
//! when its lease runs out and runs again (while runs are left) or ends in `Error`. Every
//! node also runs the [`scheduler`], which fires each due schedule once, whatever the
//! number of nodes. [`Jobs`] is what the APIs call.

mod context;
pub mod cron;
mod error;
pub mod kinds;
mod retention;
mod runner;
mod scheduler;
mod service;

use std::time::Duration;

pub use context::{JobContext, Level};
pub use error::JobError;
pub use service::{Jobs, JobsHandle, ScheduleKind, WorkerView};

/// How a node runs jobs.
#[derive(Debug, Clone)]
pub struct JobOptions {
    /// Tasks this node runs at once.
    pub workers: usize,
    /// How long a claimed task stays this node's without a renewal.
    pub lease: Duration,
}
