//! The vocabulary of background jobs: what kind of job, how it was started, where it is.

use std::fmt;

/// Id of one execution (one run of a job kind), Harbor's GC or purge id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ExecutionId(pub i64);

/// Id of one task row of an execution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaskId(pub i64);

/// The job service's id of a task (`/jobservice/jobs/{job_id}`): 32 lowercase hex digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct JobId(String);

impl JobId {
    pub fn generate() -> JobId {
        JobId(uuid::Uuid::new_v4().simple().to_string())
    }

    /// A job id from the outside; `None` unless it has the shape berth gives them.
    pub fn parse(s: &str) -> Option<JobId> {
        (s.len() == 32 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
            .then(|| JobId(s.to_owned()))
    }

    /// A job id read back from the metadata store.
    pub fn from_stored(s: String) -> JobId {
        JobId(s)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A kind of job (Harbor's vendor type and job-service queue).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum JobType {
    GarbageCollection,
    PurgeAuditLog,
    Retention,
}

impl JobType {
    pub const ALL: [JobType; 3] = [
        JobType::GarbageCollection,
        JobType::PurgeAuditLog,
        JobType::Retention,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            JobType::GarbageCollection => "GARBAGE_COLLECTION",
            JobType::PurgeAuditLog => "PURGE_AUDIT_LOG",
            JobType::Retention => "RETENTION",
        }
    }

    pub fn parse(s: &str) -> Option<JobType> {
        JobType::ALL
            .into_iter()
            .find(|t| t.as_str().eq_ignore_ascii_case(s))
    }
}

impl fmt::Display for JobType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Harbor's job statuses, for tasks and for executions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobStatus {
    Pending,
    Running,
    Stopped,
    Error,
    Success,
}

impl JobStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Pending => "Pending",
            JobStatus::Running => "Running",
            JobStatus::Stopped => "Stopped",
            JobStatus::Error => "Error",
            JobStatus::Success => "Success",
        }
    }

    pub fn parse(s: &str) -> Option<JobStatus> {
        [
            JobStatus::Pending,
            JobStatus::Running,
            JobStatus::Stopped,
            JobStatus::Error,
            JobStatus::Success,
        ]
        .into_iter()
        .find(|t| t.as_str() == s)
    }

    /// Whether nothing will change this status any more.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            JobStatus::Stopped | JobStatus::Error | JobStatus::Success
        )
    }

    /// An execution's status from its tasks' (Harbor's rule): anything unfinished makes
    /// it running; otherwise an error, then a stop, wins over success. `None` for no tasks.
    pub fn of_execution(tasks: impl IntoIterator<Item = JobStatus>) -> Option<JobStatus> {
        let (mut any, mut running, mut error, mut stopped) = (false, false, false, false);
        for t in tasks {
            any = true;
            match t {
                JobStatus::Pending | JobStatus::Running => running = true,
                JobStatus::Error => error = true,
                JobStatus::Stopped => stopped = true,
                JobStatus::Success => {}
            }
        }
        if !any {
            return None;
        }
        Some(if running {
            JobStatus::Running
        } else if error {
            JobStatus::Error
        } else if stopped {
            JobStatus::Stopped
        } else {
            JobStatus::Success
        })
    }
}

impl fmt::Display for JobStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What started an execution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Trigger {
    Manual,
    Schedule,
    Event,
}

impl Trigger {
    /// Harbor's stored form: `MANUAL`, `SCHEDULE`, `EVENT`.
    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::Manual => "MANUAL",
            Trigger::Schedule => "SCHEDULE",
            Trigger::Event => "EVENT",
        }
    }

    pub fn parse(s: &str) -> Option<Trigger> {
        [Trigger::Manual, Trigger::Schedule, Trigger::Event]
            .into_iter()
            .find(|t| t.as_str() == s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn execution_status_follows_harbor() {
        use JobStatus::*;
        assert_eq!(JobStatus::of_execution([]), None);
        assert_eq!(JobStatus::of_execution([Success, Pending]), Some(Running));
        assert_eq!(
            JobStatus::of_execution([Success, Error, Stopped]),
            Some(Error)
        );
        assert_eq!(JobStatus::of_execution([Success, Stopped]), Some(Stopped));
        assert_eq!(JobStatus::of_execution([Success, Success]), Some(Success));
    }

    #[test]
    fn job_ids_have_one_shape() {
        let id = JobId::generate();
        assert_eq!(JobId::parse(id.as_str()), Some(id));
        assert_eq!(JobId::parse("../etc"), None);
        assert_eq!(JobId::parse(&"A".repeat(32)), None);
        assert_eq!(
            JobType::parse("garbage_collection"),
            Some(JobType::GarbageCollection)
        );
    }
}
