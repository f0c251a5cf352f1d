//! `/projects/{project_name_or_id}/members`: list, add, look up, change the role, remove.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, Query};
use axum::response::Response;
use berth_core::members::MemberUser;
use berth_meta::MemberRow;
use berth_types::UserId;
use http::{HeaderMap, StatusCode, Uri};
use serde::Deserialize;
use serde_json::Value;

use crate::models::{Errors, ProjectMemberEntity};

use super::projects::project_key;
use super::{created, empty, json, json_body};
use crate::identity::Caller;
use crate::paging::Paging;
use crate::{ApiError, State};

/// `ProjectMemberEntity` of the swagger file.
fn member_json(m: &MemberRow) -> ProjectMemberEntity {
    ProjectMemberEntity {
        id: m.id,
        project_id: m.project_id.0,
        entity_name: m.entity_name.clone(),
        role_name: m.role.name().to_owned(),
        role_id: m.role.id(),
        entity_id: m.entity_id,
        entity_type: m.entity_type.clone(),
    }
}

fn member_id(raw: &str) -> Result<i64, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::bad_request(format!("invalid member id {raw}")))
}

#[derive(Deserialize)]
struct UserEntity {
    user_id: Option<i64>,
    username: Option<String>,
}

#[derive(Deserialize)]
struct ProjectMember {
    role_id: i64,
    member_user: Option<UserEntity>,
    member_group: Option<Value>,
}

#[derive(Deserialize)]
struct RoleRequest {
    role_id: i64,
}

/// `GET /projects/{p}/members`.
#[utoipa::path(get, path = "/api/v2.0/projects/{project_name_or_id}/members", tag = "member", operation_id = "listProjectMembers",
    params(("project_name_or_id" = String, Path)),
    responses((status = 200, body = Vec<ProjectMemberEntity>), (status = 401, body = Errors), (status = 403, body = Errors), (status = 404, body = Errors)))]
pub(crate) async fn list(
    state: State,
    Caller(who): Caller,
    headers: HeaderMap,
    uri: Uri,
    Path(project): Path<String>,
    Query(query): Query<BTreeMap<String, String>>,
) -> Result<Response, ApiError> {
    let paging = Paging::from_query(&query)?;
    let name = query
        .get("entityname")
        .map(String::as_str)
        .filter(|n| !n.is_empty());
    let (rows, total) = state
        .accounts
        .list_members(
            &who,
            &project_key(&project, &headers),
            name,
            paging.offset(),
            paging.size,
        )
        .await?;
    Ok(paging.respond(
        &uri,
        total,
        &rows.iter().map(member_json).collect::<Vec<_>>(),
    ))
}

/// `POST /projects/{p}/members`.
#[utoipa::path(post, path = "/api/v2.0/projects/{project_name_or_id}/members", tag = "member", operation_id = "createProjectMember",
    params(("project_name_or_id" = String, Path)),
    responses((status = 201), (status = 400, body = Errors), (status = 401, body = Errors), (status = 403, body = Errors), (status = 404, body = Errors), (status = 409, body = Errors)))]
pub(crate) async fn create(
    state: State,
    Caller(who): Caller,
    headers: HeaderMap,
    Path(project): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let req: ProjectMember = json_body(&who, &body)?;
    if req.member_group.is_some() {
        return Err(ApiError::bad_request(
            "group members need LDAP or OIDC groups, which this registry does not have yet",
        ));
    }
    let user = match req.member_user {
        Some(UserEntity {
            user_id: Some(id), ..
        }) if id > 0 => MemberUser::Id(UserId(id)),
        Some(UserEntity {
            username: Some(name),
            ..
        }) if !name.is_empty() => MemberUser::Name(name),
        _ => {
            return Err(ApiError::bad_request(
                "member_user needs a user_id or a username",
            ));
        }
    };
    let id = state
        .accounts
        .add_member(&who, &project_key(&project, &headers), &user, req.role_id)
        .await?;
    Ok(created(format!(
        "/api/v2.0/projects/{project}/members/{id}"
    )))
}

/// `GET /projects/{p}/members/{mid}`.
#[utoipa::path(get, path = "/api/v2.0/projects/{project_name_or_id}/members/{mid}", tag = "member", operation_id = "getProjectMember",
    params(("project_name_or_id" = String, Path), ("mid" = String, Path)),
    responses((status = 200, body = ProjectMemberEntity), (status = 401, body = Errors), (status = 403, body = Errors), (status = 404, body = Errors)))]
pub(crate) async fn get(
    state: State,
    Caller(who): Caller,
    headers: HeaderMap,
    Path((project, mid)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let id = member_id(&mid)?;
    let member = state
        .accounts
        .member(&who, &project_key(&project, &headers), id)
        .await?;
    Ok(json(&member_json(&member)))
}

/// `PUT /projects/{p}/members/{mid}`.
#[utoipa::path(put, path = "/api/v2.0/projects/{project_name_or_id}/members/{mid}", tag = "member", operation_id = "updateProjectMember",
    params(("project_name_or_id" = String, Path), ("mid" = String, Path)),
    responses((status = 200), (status = 400, body = Errors), (status = 401, body = Errors), (status = 403, body = Errors), (status = 404, body = Errors)))]
pub(crate) async fn update(
    state: State,
    Caller(who): Caller,
    headers: HeaderMap,
    Path((project, mid)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let id = member_id(&mid)?;
    let req: RoleRequest = json_body(&who, &body)?;
    state
        .accounts
        .set_member_role(&who, &project_key(&project, &headers), id, req.role_id)
        .await?;
    Ok(empty(StatusCode::OK))
}

/// `DELETE /projects/{p}/members/{mid}`.
#[utoipa::path(delete, path = "/api/v2.0/projects/{project_name_or_id}/members/{mid}", tag = "member", operation_id = "deleteProjectMember",
    params(("project_name_or_id" = String, Path), ("mid" = String, Path)),
    responses((status = 200), (status = 401, body = Errors), (status = 403, body = Errors), (status = 404, body = Errors)))]
pub(crate) async fn delete(
    state: State,
    Caller(who): Caller,
    headers: HeaderMap,
    Path((project, mid)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let id = member_id(&mid)?;
    state
        .accounts
        .delete_member(&who, &project_key(&project, &headers), id)
        .await?;
    Ok(empty(StatusCode::OK))
}
