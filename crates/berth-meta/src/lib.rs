//! The metadata store: the source of truth for what the registry holds.
//!
//! Repositories, manifests (with their bytes), tags, which blobs each repository may use,
//! which blobs and manifests each manifest names, subjects for the referrers API, and blob
//! upload sessions; users, projects and project members. Nothing outside this crate writes
//! SQL.
//!
//! One query layer serves both SQLite and PostgreSQL: queries go through `sqlx::Any`, use
//! numbered `$N` parameters (which both accept), and store only integers, text and bytes
//! (times are Unix milliseconds). Each backend has its own migrations.
//!
//! SQLite allows one writer at a time, so for SQLite every write transaction goes through a
//! pool of a single connection; reads use a separate pool and run concurrently (WAL mode).

mod artifacts;
mod audit;
mod backfill;
mod blobs;
mod connect;
mod error;
mod gc;
mod immutable;
mod jobs;
mod labels;
mod manifests;
mod members;
mod projects;
mod quotas;
mod repo_listing;
mod repos;
mod retention;
mod robots;
mod sessions;
mod settings;
mod statistics;
mod tags;
mod uploads;
mod users;

pub use artifacts::{ArtifactFilter, ArtifactOrder, ArtifactRow, ArtifactScope, TagFilter, TagRow};
pub use audit::{AuditFilter, AuditRecord};
pub use backfill::{ArtifactFacts, BareManifest};
pub use connect::{Backend, MetaStore};
pub use error::MetaError;
pub use gc::{GcBlob, GcSnapshot, PIN_LIFETIME_MS, PinId, UntaggedArtifact};
pub use jobs::{
    ClaimedTask, ExecutionRow, Heartbeat, NewExecution, PoolRow, QueueRow, ScheduleRow, TaskEnd,
    TaskRow,
};
pub use labels::{LabelFields, LabelRow};
pub use manifests::{ManifestRow, NewManifest, ReferrerRow};
pub use members::MemberRow;
pub use projects::{ProjectFilter, ProjectRow, ProjectScope};
pub use quotas::{QuotaOrder, QuotaRow};
pub use repo_listing::{RepositoryFilter, RepositoryRow};
pub use retention::{RetentionRow, RetentionTaskRow};
pub use robots::{NewRobot, RobotRow};
pub use statistics::Statistics;
pub use uploads::UploadRow;
pub use users::{NewUser, UserRow};

/// Splits a comma-joined list from `string_agg` (NULL when empty) into names.
pub(crate) fn split_names(joined: Option<String>) -> Vec<String> {
    joined
        .filter(|j| !j.is_empty())
        .map(|j| j.split(',').map(str::to_owned).collect())
        .unwrap_or_default()
}

/// The current time in Unix milliseconds, the unit of every timestamp column.
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
