//! `/robots`: robot accounts (system level and project level).

use std::collections::BTreeMap;

use crate::models::{Errors, Robot, RobotCreated, RobotSec};
use axum::body::Bytes;
use axum::extract::{Path, Query};
use axum::response::{IntoResponse, Response};
use berth_auth::robot::RobotPermission;
use berth_core::robots::{RobotRequest, RobotUpdate, RobotView};
use berth_types::ProjectId;
use http::{HeaderValue, StatusCode, Uri, header};
use serde::Deserialize;

use super::{empty, json, json_body};
use crate::identity::Caller;
use crate::paging::Paging;
use crate::query::{QValue, parse};
use crate::time::rfc3339_ms;
use crate::{ApiError, State};

/// `Robot` of the swagger file; the secret is never shown again.
fn robot_json(r: &RobotView) -> Robot {
    Robot {
        id: r.row.id,
        name: r.full_name.clone(),
        description: r.row.description.clone(),
        secret: String::new(),
        level: r.row.level.clone(),
        duration: r.row.duration,
        editable: true,
        disable: r.row.disabled,
        expires_at: r.row.expires_at,
        permissions: serde_json::to_value(&r.permissions).unwrap_or_default(),
        creation_time: rfc3339_ms(r.row.created_at),
        update_time: rfc3339_ms(r.row.updated_at),
    }
}

fn robot_id(raw: &str) -> Result<i64, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::bad_request(format!("invalid robot id {raw}")))
}

#[derive(Deserialize)]
struct RobotCreate {
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    secret: Option<String>,
    level: String,
    #[serde(default)]
    disable: bool,
    duration: i64,
    #[serde(default)]
    permissions: Vec<RobotPermission>,
}

/// `POST /robots`: 201 with the robot's full name and its secret, this once.
#[utoipa::path(post, path = "/api/v2.0/robots", tag = "robot", operation_id = "CreateRobot",
    responses((status = 201, body = RobotCreated), (status = 400, body = Errors), (status = 401, body = Errors), (status = 403, body = Errors), (status = 409, body = Errors)))]
pub(crate) async fn create(
    state: State,
    Caller(who): Caller,
    body: Bytes,
) -> Result<Response, ApiError> {
    let req: RobotCreate = json_body(&who, &body)?;
    let (robot, secret) = state
        .accounts
        .create_robot(
            &who,
            RobotRequest {
                name: req.name,
                description: req.description,
                level: req.level,
                disable: req.disable,
                duration: req.duration,
                permissions: req.permissions,
                secret: req.secret,
            },
        )
        .await?;
    let body = RobotCreated {
        id: robot.row.id,
        name: robot.full_name.clone(),
        secret,
        creation_time: rfc3339_ms(robot.row.created_at),
        expires_at: robot.row.expires_at,
    };
    let mut resp = json(&body);
    *resp.status_mut() = StatusCode::CREATED;
    if let Ok(v) = HeaderValue::from_str(&format!("/api/v2.0/robots/{}", robot.row.id)) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    Ok(resp)
}

/// `GET /robots?q=Level=system` (the default) or `q=Level=project,ProjectID=<id>`.
#[utoipa::path(get, path = "/api/v2.0/robots", tag = "robot", operation_id = "ListRobot",
    responses((status = 200, body = Vec<Robot>), (status = 401, body = Errors), (status = 403, body = Errors)))]
pub(crate) async fn list(
    state: State,
    Caller(who): Caller,
    uri: Uri,
    Query(query): Query<BTreeMap<String, String>>,
) -> Result<Response, ApiError> {
    let paging = Paging::from_query(&query)?;
    let mut level = "system".to_owned();
    let mut project = None;
    if let Some(q) = query.get("q") {
        for (key, value) in parse(q)? {
            match (key.to_ascii_lowercase().as_str(), value) {
                ("level", QValue::Exact(v)) => level = v,
                ("projectid" | "project_id", QValue::Exact(v)) => {
                    project = Some(ProjectId(v.parse().map_err(|_| {
                        ApiError::bad_request(format!("invalid ProjectID {v}"))
                    })?));
                }
                _ => {}
            }
        }
    }
    let project =
        match level.as_str() {
            "system" => None,
            "project" => Some(project.ok_or_else(|| {
                ApiError::bad_request("listing project robots needs ProjectID in q")
            })?),
            other => return Err(ApiError::bad_request(format!("invalid level {other}"))),
        };
    let (robots, total) = state
        .accounts
        .list_robots(&who, project, paging.offset(), paging.size)
        .await?;
    Ok(paging.respond(
        &uri,
        total,
        &robots.iter().map(robot_json).collect::<Vec<_>>(),
    ))
}

/// `GET /robots/{robot_id}`.
#[utoipa::path(get, path = "/api/v2.0/robots/{robot_id}", tag = "robot", operation_id = "GetRobotByID",
    params(("robot_id" = String, Path)),
    responses((status = 200, body = Robot), (status = 401, body = Errors), (status = 403, body = Errors), (status = 404, body = Errors)))]
pub(crate) async fn get(
    state: State,
    Caller(who): Caller,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let id = robot_id(&raw)?;
    Ok(json(&robot_json(&state.accounts.robot(&who, id).await?)))
}

#[derive(Deserialize)]
struct RobotPut {
    name: String,
    #[serde(default)]
    description: String,
    level: String,
    #[serde(default)]
    disable: bool,
    duration: i64,
    #[serde(default)]
    permissions: Vec<RobotPermission>,
}

/// `PUT /robots/{robot_id}`.
#[utoipa::path(put, path = "/api/v2.0/robots/{robot_id}", tag = "robot", operation_id = "UpdateRobot",
    params(("robot_id" = String, Path)),
    responses((status = 200), (status = 400, body = Errors), (status = 401, body = Errors), (status = 403, body = Errors), (status = 404, body = Errors)))]
pub(crate) async fn update(
    state: State,
    Caller(who): Caller,
    Path(raw): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let id = robot_id(&raw)?;
    let req: RobotPut = json_body(&who, &body)?;
    state
        .accounts
        .update_robot(
            &who,
            id,
            RobotUpdate {
                name: req.name,
                level: req.level,
                description: req.description,
                disable: req.disable,
                duration: req.duration,
                permissions: req.permissions,
            },
        )
        .await?;
    Ok(empty(StatusCode::OK))
}

/// The body of a secret refresh: a chosen secret, or none for a generated one.
#[derive(Deserialize)]
struct SecretRequest {
    #[serde(default)]
    secret: Option<String>,
}

/// `PATCH /robots/{robot_id}`: a new secret.
#[utoipa::path(patch, path = "/api/v2.0/robots/{robot_id}", tag = "robot", operation_id = "RefreshSec",
    params(("robot_id" = String, Path)),
    responses((status = 200, body = RobotSec), (status = 400, body = Errors), (status = 401, body = Errors), (status = 403, body = Errors), (status = 404, body = Errors)))]
pub(crate) async fn refresh(
    state: State,
    Caller(who): Caller,
    Path(raw): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let id = robot_id(&raw)?;
    let req: SecretRequest = if body.is_empty() {
        SecretRequest { secret: None }
    } else {
        json_body(&who, &body)?
    };
    let shown = state
        .accounts
        .refresh_robot_secret(&who, id, req.secret.filter(|s| !s.is_empty()))
        .await?;
    Ok(json(&RobotSec {
        secret: shown.unwrap_or_default(),
    })
    .into_response())
}

/// `DELETE /robots/{robot_id}`.
#[utoipa::path(delete, path = "/api/v2.0/robots/{robot_id}", tag = "robot", operation_id = "DeleteRobot",
    params(("robot_id" = String, Path)),
    responses((status = 200), (status = 401, body = Errors), (status = 403, body = Errors), (status = 404, body = Errors)))]
pub(crate) async fn delete(
    state: State,
    Caller(who): Caller,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let id = robot_id(&raw)?;
    state.accounts.delete_robot(&who, id).await?;
    Ok(empty(StatusCode::OK))
}
