//! `/users`: create, list, the current user.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::Query;
use axum::response::Response;
use berth_core::accounts::UserRequest;
use berth_meta::UserRow;
use http::Uri;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{created, json, json_body};
use crate::identity::Caller;
use crate::paging::Paging;
use crate::time::rfc3339_ms;
use crate::{ApiError, State};

/// `UserResp` of the swagger file.
fn user_json(u: &UserRow) -> Value {
    json!({
        "user_id": u.id.0,
        "username": u.username,
        "email": u.email,
        "realname": u.realname,
        "comment": u.comment,
        "sysadmin_flag": u.sysadmin,
        "admin_role_in_auth": false,
        "creation_time": rfc3339_ms(u.created_at),
        "update_time": rfc3339_ms(u.updated_at),
    })
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
pub(crate) async fn create(
    state: State,
    Caller(who): Caller,
    body: Bytes,
) -> Result<Response, ApiError> {
    let req: UserCreationReq = json_body(&body)?;
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
        )
        .await?;
    Ok(created(format!("/api/v2.0/users/{}", id.0)))
}

/// `GET /users` (system administrators).
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
    let items: Vec<Value> = users.iter().map(user_json).collect();
    Ok(paging.respond(&uri, total, Value::Array(items)))
}

/// `GET /users/current`.
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
pub(crate) async fn get(
    state: State,
    Caller(who): Caller,
    axum::extract::Path(raw): axum::extract::Path<String>,
) -> Result<Response, ApiError> {
    let id = user_id(&raw)?;
    Ok(json(&user_json(&state.accounts.user_for(&who, id).await?)))
}

#[derive(Deserialize)]
struct PasswordReq {
    #[serde(default)]
    old_password: Option<String>,
    new_password: String,
}

/// `PUT /users/{user_id}/password`.
pub(crate) async fn password(
    state: State,
    Caller(who): Caller,
    axum::extract::Path(raw): axum::extract::Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let id = user_id(&raw)?;
    let req: PasswordReq = json_body(&body)?;
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
pub(crate) async fn sysadmin(
    state: State,
    Caller(who): Caller,
    axum::extract::Path(raw): axum::extract::Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let id = user_id(&raw)?;
    let req: SysadminReq = json_body(&body)?;
    state
        .accounts
        .set_sysadmin(&who, id, req.sysadmin_flag)
        .await?;
    Ok(super::empty(http::StatusCode::OK))
}

/// `GET /users/search?username=`: names for any authenticated caller.
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
    let items: Vec<Value> = found
        .iter()
        .skip(paging.offset() as usize)
        .take(paging.size as usize)
        .map(|u| json!({ "user_id": u.id.0, "username": u.username }))
        .collect();
    Ok(paging.respond(&uri, total, Value::Array(items)))
}

/// `GET /users/current/permissions?scope=/project/<id>&relative=true`: what the caller
/// holds. Resources are relative to the scope with `relative`, else prefixed with it.
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
        let items: Vec<Value> = if who.is_sysadmin() {
            ["catalog", "project", "user", "audit-log", "robot"]
                .iter()
                .map(|r| json!({ "resource": if relative { (*r).to_owned() } else { format!("/system/{r}") }, "action": "*" }))
                .collect()
        } else {
            vec![
                json!({ "resource": if relative { "project".to_owned() } else { "/system/project".to_owned() }, "action": "create" }),
            ]
        };
        return Ok(json(&Value::Array(items)));
    };
    let grants = state
        .accounts
        .project_permissions(&who, berth_types::ProjectId(id))
        .await?;
    let items: Vec<Value> = grants
        .into_iter()
        .map(|(resource, action)| {
            let resource = match (relative, resource) {
                (true, r) => r.to_owned(),
                (false, "project") => scope.to_owned(),
                (false, r) => format!("{scope}/{r}"),
            };
            json!({ "resource": resource, "action": action })
        })
        .collect();
    Ok(json(&Value::Array(items)))
}
