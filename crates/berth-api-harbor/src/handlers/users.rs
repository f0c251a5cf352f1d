//! `/users`: create, list, the current user.

use std::collections::BTreeMap;

use crate::models::{Errors, Permission, UserResp, UserSearchRespItem};
use axum::body::Bytes;
use axum::extract::Query;
use axum::response::Response;
use berth_core::accounts::UserRequest;
use berth_meta::UserRow;
use http::Uri;
use serde::Deserialize;

use super::{created, json, json_body};
use crate::identity::Caller;
use crate::paging::Paging;
use crate::time::rfc3339_ms;
use crate::{ApiError, State};

/// `UserResp` of the swagger file.
fn user_json(u: &UserRow) -> UserResp {
    UserResp {
        user_id: u.id.0,
        username: u.username.clone(),
        email: u.email.clone(),
        realname: u.realname.clone(),
        comment: u.comment.clone(),
        sysadmin_flag: u.sysadmin,
        admin_role_in_auth: false,
        creation_time: rfc3339_ms(u.created_at),
        update_time: rfc3339_ms(u.updated_at),
    }
}

#[derive(Deserialize)]
struct UserCreationReq {
    username: String,
    email: String,
    realname: String,
    password: String,
    #[serde(default)]
    comment: String,
}

/// `POST /users`.
#[utoipa::path(post, path = "/api/v2.0/users", tag = "user", operation_id = "createUser",
    responses((status = 201), (status = 400, body = Errors), (status = 401, body = Errors), (status = 403, body = Errors), (status = 409, body = Errors)))]
pub(crate) async fn create(
    state: State,
    Caller(who): Caller,
    headers: http::HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    // A sign-up comes from berth's own page: it carries the page's CSRF cookie and token.
    let from_portal = state.csrf.carries_valid_token(&headers);
    let req: UserCreationReq = json_body(&who, &body)?;
    let id = state
        .accounts
        .create_user(
            &who,
            UserRequest {
                username: req.username,
                email: req.email,
                realname: req.realname,
                password: req.password,
                comment: req.comment,
            },
            from_portal,
        )
        .await?;
    Ok(created(format!("/api/v2.0/users/{}", id.0)))
}

/// `GET /users` (system administrators).
#[utoipa::path(get, path = "/api/v2.0/users", tag = "user", operation_id = "listUsers",
    responses((status = 200, body = Vec<UserResp>), (status = 401, body = Errors), (status = 403, body = Errors)))]
pub(crate) async fn list(
    state: State,
    Caller(who): Caller,
    uri: Uri,
    Query(query): Query<BTreeMap<String, String>>,
) -> Result<Response, ApiError> {
    let paging = Paging::from_query(&query)?;
    let (users, total) = state
        .accounts
        .list_users(&who, paging.offset(), paging.size)
        .await?;
    let items: Vec<UserResp> = users.iter().map(user_json).collect();
    Ok(paging.respond(&uri, total, &items))
}

/// `GET /users/current`.
#[utoipa::path(get, path = "/api/v2.0/users/current", tag = "user", operation_id = "getCurrentUserInfo",
    responses((status = 200, body = UserResp), (status = 401, body = Errors)))]
pub(crate) async fn current(state: State, Caller(who): Caller) -> Result<Response, ApiError> {
    let Some(id) = who.user_id() else {
        return Err(ApiError::unauthorized());
    };
    match state.accounts.user(id).await? {
        Some(user) => Ok(json(&user_json(&user))),
        None => Err(ApiError::unauthorized()),
    }
}

fn user_id(raw: &str) -> Result<berth_types::UserId, ApiError> {
    raw.parse().map(berth_types::UserId).map_err(|_| {
        ApiError::new(
            http::StatusCode::NOT_FOUND,
            "NOT_FOUND",
            format!("user {raw} not found"),
        )
    })
}

/// `GET /users/{user_id}` (the user themself, or a system administrator).
#[utoipa::path(get, path = "/api/v2.0/users/{user_id}", tag = "user", operation_id = "getUser",
    params(("user_id" = String, Path)),
    responses((status = 200, body = UserResp), (status = 401, body = Errors), (status = 403, body = Errors), (status = 404, body = Errors)))]
pub(crate) async fn get(
    state: State,
    Caller(who): Caller,
    axum::extract::Path(raw): axum::extract::Path<String>,
) -> Result<Response, ApiError> {
    let id = user_id(&raw)?;
    Ok(json(&user_json(&state.accounts.user_for(&who, id).await?)))
}

#[derive(Deserialize)]
struct UserProfile {
    #[serde(default)]
    email: String,
    #[serde(default)]
    realname: String,
    #[serde(default)]
    comment: String,
}

/// `PUT /users/{user_id}`: email, real name and comment (the user, or an administrator).
#[utoipa::path(put, path = "/api/v2.0/users/{user_id}", tag = "user", operation_id = "updateUserProfile",
    params(("user_id" = String, Path)),
    responses((status = 200), (status = 400, body = Errors), (status = 401, body = Errors), (status = 403, body = Errors), (status = 404, body = Errors), (status = 409, body = Errors)))]
pub(crate) async fn update(
    state: State,
    Caller(who): Caller,
    axum::extract::Path(raw): axum::extract::Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let id = user_id(&raw)?;
    let req: UserProfile = json_body(&who, &body)?;
    state
        .accounts
        .update_profile(&who, id, &req.email, &req.realname, &req.comment)
        .await?;
    Ok(super::empty(http::StatusCode::OK))
}

/// `DELETE /users/{user_id}` (system administrators; not themselves, not `admin`).
#[utoipa::path(delete, path = "/api/v2.0/users/{user_id}", tag = "user", operation_id = "deleteUser",
    params(("user_id" = String, Path)),
    responses((status = 200), (status = 401, body = Errors), (status = 403, body = Errors), (status = 404, body = Errors)))]
pub(crate) async fn delete(
    state: State,
    Caller(who): Caller,
    axum::extract::Path(raw): axum::extract::Path<String>,
) -> Result<Response, ApiError> {
    let id = user_id(&raw)?;
    state.accounts.delete_user(&who, id).await?;
    Ok(super::empty(http::StatusCode::OK))
}

#[derive(Deserialize)]
struct PasswordReq {
    #[serde(default)]
    old_password: Option<String>,
    new_password: String,
}

/// `PUT /users/{user_id}/password`.
#[utoipa::path(put, path = "/api/v2.0/users/{user_id}/password", tag = "user", operation_id = "updateUserPassword",
    params(("user_id" = String, Path)),
    responses((status = 200), (status = 400, body = Errors), (status = 401, body = Errors), (status = 403, body = Errors), (status = 404, body = Errors)))]
pub(crate) async fn password(
    state: State,
    Caller(who): Caller,
    axum::extract::Path(raw): axum::extract::Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let id = user_id(&raw)?;
    let req: PasswordReq = json_body(&who, &body)?;
    state
        .accounts
        .change_password(&who, id, req.old_password.as_deref(), &req.new_password)
        .await?;
    Ok(super::empty(http::StatusCode::OK))
}

#[derive(Deserialize)]
struct SysadminReq {
    sysadmin_flag: bool,
}

/// `PUT /users/{user_id}/sysadmin`.
#[utoipa::path(put, path = "/api/v2.0/users/{user_id}/sysadmin", tag = "user", operation_id = "setUserSysAdmin",
    params(("user_id" = String, Path)),
    responses((status = 200), (status = 401, body = Errors), (status = 403, body = Errors), (status = 404, body = Errors)))]
pub(crate) async fn sysadmin(
    state: State,
    Caller(who): Caller,
    axum::extract::Path(raw): axum::extract::Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let id = user_id(&raw)?;
    let req: SysadminReq = json_body(&who, &body)?;
    state
        .accounts
        .set_sysadmin(&who, id, req.sysadmin_flag)
        .await?;
    Ok(super::empty(http::StatusCode::OK))
}

/// `GET /users/search?username=`: names for any authenticated caller.
#[utoipa::path(get, path = "/api/v2.0/users/search", tag = "user", operation_id = "searchUsers",
    responses((status = 200, body = Vec<UserSearchRespItem>), (status = 401, body = Errors)))]
pub(crate) async fn search(
    state: State,
    Caller(who): Caller,
    uri: Uri,
    Query(query): Query<BTreeMap<String, String>>,
) -> Result<Response, ApiError> {
    let paging = Paging::from_query(&query)?;
    let Some(part) = query.get("username").filter(|u| !u.is_empty()) else {
        return Err(ApiError::bad_request("username is required"));
    };
    let found = state.accounts.search_users(&who, part, 1000).await?;
    let total = found.len() as i64;
    let items: Vec<UserSearchRespItem> = found
        .iter()
        .skip(paging.offset() as usize)
        .take(paging.size as usize)
        .map(|u| UserSearchRespItem {
            user_id: u.id.0,
            username: u.username.clone(),
        })
        .collect();
    Ok(paging.respond(&uri, total, &items))
}

/// `GET /users/current/permissions?scope=/project/<id>&relative=true`: what the caller
/// holds. Resources are relative to the scope with `relative`, else prefixed with it.
#[utoipa::path(get, path = "/api/v2.0/users/current/permissions", tag = "user", operation_id = "getCurrentUserPermissions",
    responses((status = 200, body = Vec<Permission>), (status = 401, body = Errors)))]
pub(crate) async fn permissions(
    state: State,
    Caller(who): Caller,
    Query(query): Query<BTreeMap<String, String>>,
) -> Result<Response, ApiError> {
    if !who.is_account() {
        return Err(ApiError::unauthorized());
    }
    let scope = query.get("scope").map(String::as_str).unwrap_or("");
    let relative = query.get("relative").is_some_and(|v| v == "true");
    let Some(id) = scope
        .strip_prefix("/project/")
        .and_then(|rest| rest.parse::<i64>().ok())
    else {
        // System scope: what this registry grants at system level so far.
        let items: Vec<Permission> = if who.is_sysadmin() {
            ["catalog", "project", "user", "audit-log", "robot"]
                .iter()
                .map(|r| Permission {
                    resource: if relative {
                        (*r).to_owned()
                    } else {
                        format!("/system/{r}")
                    },
                    action: "*".into(),
                })
                .collect()
        } else {
            vec![Permission {
                resource: if relative {
                    "project".to_owned()
                } else {
                    "/system/project".to_owned()
                },
                action: "create".into(),
            }]
        };
        return Ok(json(&items));
    };
    let grants = state
        .accounts
        .project_permissions(&who, berth_types::ProjectId(id))
        .await?;
    let items: Vec<Permission> = grants
        .into_iter()
        .map(|(resource, action)| {
            let resource = match (relative, resource) {
                (true, r) => r.to_owned(),
                (false, "project") => scope.to_owned(),
                (false, r) => format!("{scope}/{r}"),
            };
            Permission {
                resource,
                action: action.to_owned(),
            }
        })
        .collect();
    Ok(json(&items))
}
