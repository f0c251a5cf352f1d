//! Projects of the access model, their metadata and their members.

use std::collections::BTreeMap;

use berth_types::{ProjectId, ProjectName, Role, UserId};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{MetaError, MetaStore, now_ms};

/// A project as stored, with its metadata.
#[derive(Debug, Clone)]
pub struct ProjectRow {
    pub id: ProjectId,
    pub name: String,
    pub owner_id: UserId,
    pub owner_name: String,
    pub created_at: i64,
    pub updated_at: i64,
    /// Harbor's metadata keys, values as strings ("true", "false", ...).
    pub metadata: BTreeMap<String, String>,
    /// Repositories whose names start with `<project>/`.
    pub repo_count: i64,
}

impl ProjectRow {
    pub fn public(&self) -> bool {
        self.metadata.get("public").is_some_and(|v| v == "true")
    }
}

/// Which projects a listing shows.
#[derive(Debug, Clone)]
pub enum ProjectScope {
    /// Every project (system administrators).
    All,
    /// Public projects, and those the user is a member of.
    VisibleTo(UserId),
    /// Public projects only (anonymous callers).
    PublicOnly,
    /// Public projects and these (a robot's namespaces); valid project names only.
    PublicAnd(Vec<berth_types::ProjectName>),
}

/// Filters of a project listing.
#[derive(Debug, Clone, Default)]
pub struct ProjectFilter {
    /// Names containing this (case-insensitively).
    pub name_contains: Option<String>,
    pub public: Option<bool>,
}

const PROJECT_COLUMNS: &str = "p.id, p.name, p.owner_id, u.username, p.created_at, p.updated_at, \
     (SELECT COUNT(*) FROM repositories r WHERE substr(r.name, 1, length(p.name) + 1) = p.name || '/')";

fn project_row(r: &AnyRow) -> ProjectRow {
    ProjectRow {
        id: ProjectId(r.get(0)),
        name: r.get(1),
        owner_id: UserId(r.get(2)),
        owner_name: r.get(3),
        created_at: r.get(4),
        updated_at: r.get(5),
        metadata: BTreeMap::new(),
        repo_count: r.get(6),
    }
}

pub(crate) const PUBLIC_CONDITION: &str = "EXISTS (SELECT 1 FROM project_metadata pmd \
     WHERE pmd.project_id = p.id AND pmd.name = 'public' AND pmd.value = 'true')";

/// The SQL condition on `p` (projects) of the projects a scope may see.
pub(crate) fn scope_condition(scope: ProjectScope) -> Option<String> {
    match scope {
        ProjectScope::All => None,
        ProjectScope::PublicOnly => Some(PUBLIC_CONDITION.to_owned()),
        ProjectScope::VisibleTo(user) => Some(format!(
            "({PUBLIC_CONDITION} OR EXISTS (SELECT 1 FROM project_members pm \
             WHERE pm.project_id = p.id AND pm.entity_type = 'u' AND pm.entity_id = {}))",
            user.0
        )),
        ProjectScope::PublicAnd(names) if names.is_empty() => Some(PUBLIC_CONDITION.to_owned()),
        ProjectScope::PublicAnd(names) => {
            // A ProjectName holds only [a-z0-9._-]: safe between quotes.
            let list: Vec<String> = names.iter().map(|n| format!("'{}'", n.as_str())).collect();
            Some(format!(
                "({PUBLIC_CONDITION} OR p.name IN ({}))",
                list.join(", ")
            ))
        }
    }
}

/// Escapes `%`, `_` and `\` for a LIKE pattern with `ESCAPE '\'`.
pub(crate) fn like_escape(s: &str) -> String {
    s.chars()
        .flat_map(|c| match c {
            '%' | '_' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect()
}

impl MetaStore {
    /// Creates a project with its metadata; `owner` becomes its project admin.
    /// [`MetaError::Conflict`] when the name is taken.
    pub async fn create_project(
        &self,
        name: &ProjectName,
        owner: UserId,
        metadata: &BTreeMap<String, String>,
    ) -> Result<ProjectId, MetaError> {
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(
            "INSERT INTO projects (name, owner_id, created_at, updated_at) VALUES ($1, $2, $3, $4) \
             RETURNING id",
        )
        .bind(name.as_str())
        .bind(owner.0)
        .bind(now)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| MetaError::conflict_or(e, "the project name is already used"))?;
        let id: i64 = row.get(0);
        for (key, value) in metadata {
            sqlx::query(
                "INSERT INTO project_metadata (project_id, name, value) VALUES ($1, $2, $3)",
            )
            .bind(id)
            .bind(key)
            .bind(value)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query(
            "INSERT INTO project_members (project_id, entity_type, entity_id, role_id, created_at, \
             updated_at) VALUES ($1, 'u', $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(owner.0)
        .bind(Role::ProjectAdmin.id())
        .bind(now)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(ProjectId(id))
    }

    async fn with_metadata(&self, mut rows: Vec<ProjectRow>) -> Result<Vec<ProjectRow>, MetaError> {
        for row in &mut rows {
            let meta =
                sqlx::query("SELECT name, value FROM project_metadata WHERE project_id = $1")
                    .bind(row.id.0)
                    .fetch_all(&self.read)
                    .await?;
            row.metadata = meta.iter().map(|m| (m.get(0), m.get(1))).collect();
        }
        Ok(rows)
    }

    pub async fn project_by_name(&self, name: &str) -> Result<Option<ProjectRow>, MetaError> {
        self.project_where("p.name = $1", |q| q.bind(name.to_owned()))
            .await
    }

    pub async fn project_by_id(&self, id: ProjectId) -> Result<Option<ProjectRow>, MetaError> {
        self.project_where("p.id = $1", |q| q.bind(id.0)).await
    }

    async fn project_where<'q>(
        &self,
        condition: &str,
        bind: impl FnOnce(
            sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
        ) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    ) -> Result<Option<ProjectRow>, MetaError> {
        let sql = format!(
            "SELECT {PROJECT_COLUMNS} FROM projects p JOIN users u ON u.id = p.owner_id \
             WHERE {condition}"
        );
        let row = bind(sqlx::query(sqlx::AssertSqlSafe(sql)))
            .fetch_optional(&self.read)
            .await?;
        let rows = self
            .with_metadata(row.as_ref().map(project_row).into_iter().collect())
            .await?;
        Ok(rows.into_iter().next())
    }

    /// A page of projects in name order, and how many match in all.
    pub async fn list_projects(
        &self,
        scope: ProjectScope,
        filter: &ProjectFilter,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<ProjectRow>, i64), MetaError> {
        let public = PUBLIC_CONDITION;
        let mut conditions: Vec<String> = scope_condition(scope).into_iter().collect();
        let mut texts: Vec<String> = Vec::new();
        if let Some(part) = &filter.name_contains {
            texts.push(format!("%{}%", like_escape(&part.to_lowercase())));
            conditions.push(format!("LOWER(p.name) LIKE ${} ESCAPE '\\'", texts.len()));
        }
        match filter.public {
            Some(true) => conditions.push(public.to_owned()),
            Some(false) => conditions.push(format!("NOT {public}")),
            None => {}
        }
        let filter_sql = if conditions.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", conditions.join(" AND "))
        };
        let n = texts.len();
        let sql = format!(
            "SELECT {PROJECT_COLUMNS} FROM projects p JOIN users u ON u.id = p.owner_id \
             {filter_sql} ORDER BY p.name LIMIT ${} OFFSET ${}",
            n + 1,
            n + 2
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for t in &texts {
            query = query.bind(t.clone());
        }
        let rows = query.bind(limit).bind(offset).fetch_all(&self.read).await?;
        let count_sql = format!("SELECT COUNT(*) FROM projects p {filter_sql}");
        let mut count = sqlx::query(sqlx::AssertSqlSafe(count_sql));
        for t in &texts {
            count = count.bind(t.clone());
        }
        let total: i64 = count.fetch_one(&self.read).await?.get(0);
        let rows = self
            .with_metadata(rows.iter().map(project_row).collect())
            .await?;
        Ok((rows, total))
    }

    /// Deletes a project that holds no repository. False when it does not exist or is
    /// not empty (checked in the deleting transaction).
    pub async fn delete_empty_project(&self, id: ProjectId) -> Result<bool, MetaError> {
        let done = sqlx::query(
            "DELETE FROM projects WHERE id = $1 AND NOT EXISTS \
             (SELECT 1 FROM repositories r \
             WHERE substr(r.name, 1, length(projects.name) + 1) = projects.name || '/')",
        )
        .bind(id.0)
        .execute(&self.write)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// A project's id and whether it is public: the least authorization needs.
    pub async fn project_access(&self, name: &str) -> Result<Option<(ProjectId, bool)>, MetaError> {
        let row = sqlx::query(
            "SELECT p.id, m.value FROM projects p LEFT JOIN project_metadata m \
             ON m.project_id = p.id AND m.name = 'public' WHERE p.name = $1",
        )
        .bind(name)
        .fetch_optional(&self.read)
        .await?;
        Ok(row.map(|r| {
            let public: Option<String> = r.get(1);
            (ProjectId(r.get(0)), public.as_deref() == Some("true"))
        }))
    }

    /// Sets metadata values of a project (inserting or replacing each key).
    pub async fn set_project_metadata(
        &self,
        project: ProjectId,
        values: &BTreeMap<String, String>,
    ) -> Result<(), MetaError> {
        let mut tx = self.begin_write().await?;
        for (key, value) in values {
            sqlx::query(
                "INSERT INTO project_metadata (project_id, name, value) VALUES ($1, $2, $3) \
                 ON CONFLICT (project_id, name) DO UPDATE SET value = excluded.value",
            )
            .bind(project.0)
            .bind(key)
            .bind(value)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query("UPDATE projects SET updated_at = $1 WHERE id = $2")
            .bind(now_ms())
            .bind(project.0)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Removes one metadata key of a project. False when it was not set.
    pub async fn delete_project_metadata(
        &self,
        project: ProjectId,
        name: &str,
    ) -> Result<bool, MetaError> {
        let done = sqlx::query("DELETE FROM project_metadata WHERE project_id = $1 AND name = $2")
            .bind(project.0)
            .bind(name)
            .execute(&self.write)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// How many members hold each role on a project.
    pub async fn role_counts(&self, project: ProjectId) -> Result<BTreeMap<i64, i64>, MetaError> {
        let rows = sqlx::query(
            "SELECT role_id, COUNT(*) FROM project_members WHERE project_id = $1 GROUP BY role_id",
        )
        .bind(project.0)
        .fetch_all(&self.read)
        .await?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    /// The role a user holds on a project as a direct member.
    pub async fn member_role(
        &self,
        project: ProjectId,
        user: UserId,
    ) -> Result<Option<Role>, MetaError> {
        let row = sqlx::query(
            "SELECT role_id FROM project_members WHERE project_id = $1 AND entity_type = 'u' \
             AND entity_id = $2",
        )
        .bind(project.0)
        .bind(user.0)
        .fetch_optional(&self.read)
        .await?;
        Ok(row.and_then(|r| Role::from_id(r.get(0))))
    }
}
