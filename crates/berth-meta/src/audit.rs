//! The audit log.

use sqlx::Row;

use crate::{MetaError, MetaStore};

/// One audit record.
#[derive(Debug, Clone)]
pub struct AuditRecord {
    pub id: i64,
    /// The project the resource belongs to, by name; `None` for system resources.
    pub project: Option<String>,
    pub username: String,
    pub operation: String,
    pub resource_type: String,
    pub resource: String,
    pub description: String,
    pub success: bool,
    /// Unix milliseconds.
    pub op_time: i64,
}

/// Filters of an audit log search; every one set must match.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Only records of these projects (`None`: every record).
    pub projects: Option<Vec<String>>,
    pub username: Option<String>,
    pub operation: Option<String>,
    pub resource_type: Option<String>,
    pub resource: Option<String>,
    /// Resources containing this.
    pub resource_contains: Option<String>,
    /// Unix milliseconds, inclusive.
    pub from: Option<i64>,
    pub to: Option<i64>,
}

impl MetaStore {
    /// Writes records in one transaction, many rows per statement.
    pub async fn insert_audit(&self, records: &[AuditRecord]) -> Result<(), MetaError> {
        const ROWS_PER_STATEMENT: usize = 100;
        let mut tx = self.begin_write().await?;
        for chunk in records.chunks(ROWS_PER_STATEMENT) {
            let values: Vec<String> = (0..chunk.len())
                .map(|i| {
                    let b = i * 8;
                    format!(
                        "(${}, ${}, ${}, ${}, ${}, ${}, ${}, ${})",
                        b + 1,
                        b + 2,
                        b + 3,
                        b + 4,
                        b + 5,
                        b + 6,
                        b + 7,
                        b + 8
                    )
                })
                .collect();
            let sql = format!(
                "INSERT INTO audit_logs (project, username, operation, resource_type, resource, \
                 description, success, op_time) VALUES {}",
                values.join(", ")
            );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for r in chunk {
                query = query
                    .bind(r.project.clone())
                    .bind(r.username.clone())
                    .bind(r.operation.clone())
                    .bind(r.resource_type.clone())
                    .bind(r.resource.clone())
                    .bind(r.description.clone())
                    .bind(i64::from(r.success))
                    .bind(r.op_time);
            }
            query.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// A page of matching records, newest first, and how many match in all.
    pub async fn search_audit(
        &self,
        filter: &AuditFilter,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<AuditRecord>, i64), MetaError> {
        let mut conditions: Vec<String> = Vec::new();
        let mut texts: Vec<String> = Vec::new();
        let mut numbers: Vec<i64> = Vec::new();
        if let Some(projects) = &filter.projects {
            if projects.is_empty() {
                return Ok((Vec::new(), 0));
            }
            let mut marks = Vec::new();
            for p in projects {
                texts.push(p.clone());
                marks.push(format!("${}", texts.len()));
            }
            conditions.push(format!("project IN ({})", marks.join(",")));
        }
        for (column, value) in [
            ("username", &filter.username),
            ("operation", &filter.operation),
            ("resource_type", &filter.resource_type),
            ("resource", &filter.resource),
        ] {
            if let Some(v) = value {
                texts.push(v.clone());
                conditions.push(format!("{column} = ${}", texts.len()));
            }
        }
        if let Some(part) = &filter.resource_contains {
            texts.push(format!(
                "%{}%",
                part.to_lowercase().replace(['%', '_', '\\'], "")
            ));
            conditions.push(format!("LOWER(resource) LIKE ${}", texts.len()));
        }
        let base = texts.len();
        for (op, value) in [(">=", filter.from), ("<=", filter.to)] {
            if let Some(v) = value {
                numbers.push(v);
                conditions.push(format!("op_time {op} ${}", base + numbers.len()));
            }
        }
        let filter_sql = if conditions.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", conditions.join(" AND "))
        };
        let n = texts.len() + numbers.len();
        let sql = format!(
            "SELECT id, project, username, operation, resource_type, resource, description, \
             success, op_time FROM audit_logs {filter_sql} ORDER BY op_time DESC, id DESC \
             LIMIT ${} OFFSET ${}",
            n + 1,
            n + 2
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for t in &texts {
            query = query.bind(t.clone());
        }
        for v in &numbers {
            query = query.bind(*v);
        }
        let rows = query.bind(limit).bind(offset).fetch_all(&self.read).await?;
        let mut count = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) FROM audit_logs {filter_sql}"
        )));
        for t in &texts {
            count = count.bind(t.clone());
        }
        for v in &numbers {
            count = count.bind(*v);
        }
        let total: i64 = count.fetch_one(&self.read).await?.get(0);
        let records = rows
            .iter()
            .map(|r| AuditRecord {
                id: r.get(0),
                project: r.get(1),
                username: r.get(2),
                operation: r.get(3),
                resource_type: r.get(4),
                resource: r.get(5),
                description: r.get(6),
                success: r.get::<i64, _>(7) != 0,
                op_time: r.get(8),
            })
            .collect();
        Ok((records, total))
    }

    /// Names of the projects a user is a project admin of (who holds `log:list` there).
    pub async fn member_projects(
        &self,
        user: berth_types::UserId,
    ) -> Result<Vec<String>, MetaError> {
        let rows = sqlx::query(
            "SELECT p.name FROM project_members pm JOIN projects p ON p.id = pm.project_id \
             WHERE pm.entity_type = 'u' AND pm.entity_id = $1 AND pm.role_id = 1",
        )
        .bind(user.0)
        .fetch_all(&self.read)
        .await?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }
}

impl MetaStore {
    /// Deletes (or, dry, counts) audit records older than `before` (Unix milliseconds)
    /// whose event (`<operation>_<resource type>`, Harbor's event names) is one of
    /// `events`, or any event when `events` is `None`. Deletes in batches, so a large purge
    /// never holds the write lock for long. Returns how many.
    pub async fn purge_audit(
        &self,
        before: i64,
        events: Option<&[String]>,
        dry_run: bool,
    ) -> Result<u64, MetaError> {
        const BATCH: i64 = 10_000;
        let mut filter = String::from("op_time < $1");
        if let Some(events) = events {
            if events.is_empty() {
                return Ok(0);
            }
            let marks: Vec<String> = (0..events.len()).map(|i| format!("${}", i + 2)).collect();
            filter.push_str(&format!(
                " AND (operation || '_' || resource_type) IN ({})",
                marks.join(", ")
            ));
        }
        let events = events.unwrap_or_default();
        if dry_run {
            let sql = format!("SELECT COUNT(*) FROM audit_logs WHERE {filter}");
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(before);
            for e in events {
                q = q.bind(e);
            }
            let n: i64 = q.fetch_one(&self.read).await?.get(0);
            return Ok(u64::try_from(n).unwrap_or(0));
        }
        let limit = format!("${}", events.len() + 2);
        let sql = format!(
            "DELETE FROM audit_logs WHERE id IN \
             (SELECT id FROM audit_logs WHERE {filter} ORDER BY id LIMIT {limit})"
        );
        let mut purged = 0;
        loop {
            let mut tx = self.begin_write().await?;
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone())).bind(before);
            for e in events {
                q = q.bind(e);
            }
            let done = q.bind(BATCH).execute(&mut *tx).await?;
            tx.commit().await?;
            purged += done.rows_affected();
            if done.rows_affected() < BATCH as u64 {
                return Ok(purged);
            }
        }
    }
}
