//! The audit log: every operation, recorded off the request path.
//!
//! Requests hand records to a background task through a bounded channel and never wait for
//! the database; the task writes them in batches (one transaction per batch, at least every
//! `FLUSH_EVERY`). A killed process loses at most the records of the last batch window;
//! a full channel drops records and says so in the log rather than slow requests down.

use std::time::Duration;

use berth_auth::Identity;
use berth_meta::{AuditRecord, MetaStore};
use tokio::sync::mpsc;

const QUEUE: usize = 50_000;
const BATCH: usize = 5_000;
const FLUSH_EVERY: Duration = Duration::from_millis(200);

/// What an operation did, in Harbor's audit vocabulary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Create,
    Update,
    Delete,
    Pull,
    Login,
}

impl Operation {
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Create => "create",
            Operation::Update => "update",
            Operation::Delete => "delete",
            Operation::Pull => "pull",
            Operation::Login => "login",
        }
    }
}

/// Hands audit records to the writer task; cheap to clone.
#[derive(Clone)]
pub struct Audit {
    tx: mpsc::Sender<AuditRecord>,
}

impl Audit {
    /// Starts the writer task on `meta`; it ends when every `Audit` handle is dropped,
    /// after writing what it holds.
    pub fn start(meta: MetaStore) -> (Audit, tokio::task::JoinHandle<()>) {
        let (tx, rx) = mpsc::channel(QUEUE);
        let task = tokio::spawn(write_batches(meta, rx));
        (Audit { tx }, task)
    }

    /// Records an operation. `project` names the project the resource belongs to.
    pub fn record(
        &self,
        who: &Identity,
        operation: Operation,
        resource_type: &str,
        resource: &str,
        project: Option<&str>,
        success: bool,
    ) {
        let record = AuditRecord {
            id: 0,
            project: project.map(str::to_owned),
            username: who.name().to_owned(),
            operation: operation.as_str().to_owned(),
            resource_type: resource_type.to_owned(),
            resource: resource.to_owned(),
            description: format!("{} {resource_type} {resource}", operation.as_str()),
            success,
            op_time: now_ms(),
        };
        self.send(record);
    }

    /// Records a login that failed (the name as given, which may not be a user).
    pub fn failed_login(&self, username: &str) {
        self.send(AuditRecord {
            id: 0,
            project: None,
            username: username.chars().take(255).collect(),
            operation: Operation::Login.as_str().to_owned(),
            resource_type: "user".to_owned(),
            resource: username.chars().take(255).collect(),
            description: "login failed".to_owned(),
            success: false,
            op_time: now_ms(),
        });
    }

    fn send(&self, mut record: AuditRecord) {
        // Text from requests may hold characters a database refuses (PostgreSQL: NUL).
        for field in [
            &mut record.username,
            &mut record.resource,
            &mut record.description,
        ] {
            if field.chars().any(char::is_control) {
                *field = field.chars().filter(|c| !c.is_control()).collect();
            }
        }
        if self.tx.try_send(record).is_err() {
            tracing::warn!("audit log queue is full or closed: a record was dropped");
        }
    }
}

/// The current time in Unix milliseconds.
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Pulls of one artifact by one caller within a batch window become one record that says how
/// many there were (a busy registry pulls thousands of times a second; the log keeps every
/// pull counted without a row each).
fn coalesce_pulls(batch: &mut Vec<AuditRecord>) {
    let pull = Operation::Pull.as_str();
    let mut counts: std::collections::HashMap<(String, String, String), (usize, u64)> =
        std::collections::HashMap::new();
    let mut kept = Vec::with_capacity(batch.len());
    for r in batch.drain(..) {
        if r.operation != pull {
            kept.push(r);
            continue;
        }
        let key = (
            r.username.clone(),
            r.resource_type.clone(),
            r.resource.clone(),
        );
        match counts.get_mut(&key) {
            Some((_, n)) => *n += 1,
            None => {
                counts.insert(key, (kept.len(), 1));
                kept.push(r);
            }
        }
    }
    for (index, n) in counts.into_values() {
        if n > 1 {
            let r = &mut kept[index];
            r.description = format!("{} ({n} times)", r.description);
        }
    }
    *batch = kept;
}

async fn write_batches(meta: MetaStore, mut rx: mpsc::Receiver<AuditRecord>) {
    let mut batch = Vec::with_capacity(BATCH);
    loop {
        let Some(first) = rx.recv().await else { break };
        batch.push(first);
        let deadline = tokio::time::Instant::now() + FLUSH_EVERY;
        while batch.len() < BATCH {
            match tokio::time::timeout_at(deadline, rx.recv()).await {
                Ok(Some(r)) => batch.push(r),
                Ok(None) | Err(_) => break,
            }
        }
        coalesce_pulls(&mut batch);
        if let Err(e) = meta.insert_audit(&batch).await {
            // One bad record must not take the batch with it: write them one by one.
            tracing::warn!(error = %e, records = batch.len(), "audit batch failed; writing records singly");
            for record in &batch {
                if let Err(e) = meta.insert_audit(std::slice::from_ref(record)).await {
                    tracing::error!(error = %e, "writing an audit record failed");
                }
            }
        }
        batch.clear();
    }
}

impl crate::accounts::Accounts {
    /// Audit records the caller may read: everything for system administrators, the
    /// records of the projects they administer (`log:list`) for other users.
    pub async fn audit_logs(
        &self,
        who: &Identity,
        mut filter: berth_meta::AuditFilter,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<AuditRecord>, i64), crate::CoreError> {
        match who {
            Identity::User { sysadmin: true, .. } => {}
            Identity::User { id, .. } => {
                filter.projects = Some(self.meta().member_projects(*id).await?);
            }
            Identity::Robot { .. } => return Err(crate::CoreError::Forbidden),
            _ => return Err(crate::CoreError::Unauthenticated),
        }
        Ok(self.meta().search_audit(&filter, offset, limit).await?)
    }

    /// Audit records of one project (project admins and system administrators).
    pub async fn project_logs(
        &self,
        who: &Identity,
        key: &crate::accounts::ProjectKey,
        mut filter: berth_meta::AuditFilter,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<AuditRecord>, i64), crate::CoreError> {
        use berth_auth::rbac::{ProjectResource, Verb};
        let row = self
            .project_for(who, key, ProjectResource::Log, Verb::List)
            .await?;
        filter.projects = Some(vec![row.name]);
        Ok(self.meta().search_audit(&filter, offset, limit).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(operation: Operation, user: &str, resource: &str) -> AuditRecord {
        AuditRecord {
            id: 0,
            project: Some("p".into()),
            username: user.into(),
            operation: operation.as_str().into(),
            resource_type: "artifact".into(),
            resource: resource.into(),
            description: format!("{} artifact {resource}", operation.as_str()),
            success: true,
            op_time: 1,
        }
    }

    #[test]
    fn pulls_of_one_artifact_by_one_caller_are_counted_in_one_record() {
        let mut batch = vec![
            record(Operation::Pull, "a", "p/x:1"),
            record(Operation::Create, "a", "p/x:1"),
            record(Operation::Pull, "a", "p/x:1"),
            record(Operation::Pull, "b", "p/x:1"),
            record(Operation::Pull, "a", "p/x:1"),
        ];
        coalesce_pulls(&mut batch);
        let shown: Vec<(&str, &str, &str)> = batch
            .iter()
            .map(|r| {
                (
                    r.operation.as_str(),
                    r.username.as_str(),
                    r.description.as_str(),
                )
            })
            .collect();
        assert_eq!(
            shown,
            vec![
                ("pull", "a", "pull artifact p/x:1 (3 times)"),
                ("create", "a", "create artifact p/x:1"),
                ("pull", "b", "pull artifact p/x:1"),
            ]
        );
    }
}
