//! `/search` and `/statistics`.

use std::collections::BTreeMap;

use axum::extract::Query;
use axum::response::Response;
use serde_json::{Value, json};

use super::json;
use super::projects::project_json;
use crate::identity::Caller;
use crate::{ApiError, State};

/// `GET /search?q=`: projects and repositories whose names contain `q`.
pub(crate) async fn search(
    state: State,
    Caller(who): Caller,
    Query(query): Query<BTreeMap<String, String>>,
) -> Result<Response, ApiError> {
    let text = query.get("q").map(|q| q.trim()).unwrap_or_default();
    if text.is_empty() {
        // Harbor's schema declares no error for this: nothing matches nothing.
        return Ok(json(&json!({ "project": [], "repository": [] })));
    }
    let (projects, repos) = state.artifacts.search(&who, text).await?;
    let mut project_items = Vec::with_capacity(projects.len());
    for p in &projects {
        project_items.push(project_json(&state, &who, p).await?);
    }
    let repo_items: Vec<Value> = repos
        .iter()
        .map(|r| {
            json!({
                "project_id": r.row.project_id.0,
                "project_name": r.project_name,
                "project_public": r.project_public,
                "repository_name": r.row.name,
                "pull_count": r.row.pull_count,
                "artifact_count": r.row.artifact_count,
            })
        })
        .collect();
    Ok(json(
        &json!({ "project": project_items, "repository": repo_items }),
    ))
}

/// `GET /statistics`: counts of what the caller may see; totals for administrators.
pub(crate) async fn statistics(state: State, Caller(who): Caller) -> Result<Response, ApiError> {
    let o = state.artifacts.statistics(&who).await?;
    let v = o.visible;
    let mut body = json!({
        "private_project_count": v.private_projects,
        "private_repo_count": v.private_repos,
        "public_project_count": v.public_projects,
        "public_repo_count": v.public_repos,
    });
    if let (Some((all, bytes)), Value::Object(map)) = (o.totals, &mut body) {
        map.insert(
            "total_project_count".into(),
            json!(all.public_projects + all.private_projects),
        );
        map.insert(
            "total_repo_count".into(),
            json!(all.public_repos + all.private_repos),
        );
        map.insert("total_storage_consumption".into(), json!(bytes));
    }
    Ok(json(&body))
}
