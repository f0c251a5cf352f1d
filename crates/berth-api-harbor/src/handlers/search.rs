//! `/search` and `/statistics`.

use std::collections::BTreeMap;

use axum::extract::Query;
use axum::response::Response;

use super::json;
use super::projects::project_json;
use crate::identity::Caller;
use crate::models::{Errors, Search, SearchRepository, Statistic};
use crate::{ApiError, State};

/// Projects and repositories whose names contain `q`.
#[utoipa::path(get, path = "/api/v2.0/search", tag = "search", operation_id = "search",
    params(("q" = String, Query, description = "Part of a project or repository name")),
    responses((status = 200, body = Search), (status = 500, body = Errors)))]
pub(crate) async fn search(
    state: State,
    Caller(who): Caller,
    Query(query): Query<BTreeMap<String, String>>,
) -> Result<Response, ApiError> {
    let text = query.get("q").map(|q| q.trim()).unwrap_or_default();
    if text.is_empty() {
        // Harbor's schema declares no error for this: nothing matches nothing.
        return Ok(json(&Search {
            project: Vec::new(),
            repository: Vec::new(),
        }));
    }
    let (projects, repos) = state.artifacts.search(&who, text).await?;
    let mut project = Vec::with_capacity(projects.len());
    for p in &projects {
        project.push(project_json(&state, &who, p).await?);
    }
    let repository = repos
        .iter()
        .map(|r| SearchRepository {
            project_id: r.row.project_id.0,
            project_name: r.project_name.clone(),
            project_public: r.project_public,
            repository_name: r.row.name.clone(),
            pull_count: r.row.pull_count,
            artifact_count: r.row.artifact_count,
        })
        .collect();
    Ok(json(&Search {
        project,
        repository,
    }))
}

/// Counts of what the caller may see; the totals for system administrators.
#[utoipa::path(get, path = "/api/v2.0/statistics", tag = "statistic", operation_id = "getStatistic",
    responses((status = 200, body = Statistic), (status = 401, body = Errors)))]
pub(crate) async fn statistics(state: State, Caller(who): Caller) -> Result<Response, ApiError> {
    let o = state.artifacts.statistics(&who).await?;
    let v = o.visible;
    Ok(json(&Statistic {
        private_project_count: v.private_projects,
        private_repo_count: v.private_repos,
        public_project_count: v.public_projects,
        public_repo_count: v.public_repos,
        total_project_count: o
            .totals
            .map(|(all, _)| all.public_projects + all.private_projects),
        total_repo_count: o
            .totals
            .map(|(all, _)| all.public_repos + all.private_repos),
        total_storage_consumption: o.totals.map(|(_, bytes)| bytes),
    }))
}
