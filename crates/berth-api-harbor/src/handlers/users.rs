//! `/users`: create, list, the current user.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::Query;
use axum::response::Response;
use berth_core::accounts::UserRequest;
use berth_meta::UserRow;
use http::{HeaderMap, Uri};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{created, json, json_body};
use crate::identity::identify;
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
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let who = identify(&state.accounts, &headers).await?;
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
    headers: HeaderMap,
    uri: Uri,
    Query(query): Query<BTreeMap<String, String>>,
) -> Result<Response, ApiError> {
    let who = identify(&state.accounts, &headers).await?;
    let paging = Paging::from_query(&query)?;
    let (users, total) = state
        .accounts
        .list_users(&who, paging.offset(), paging.size)
        .await?;
    let items: Vec<Value> = users.iter().map(user_json).collect();
    Ok(paging.respond(&uri, total, Value::Array(items)))
}

/// `GET /users/current`.
pub(crate) async fn current(state: State, headers: HeaderMap) -> Result<Response, ApiError> {
    let who = identify(&state.accounts, &headers).await?;
    let Some(id) = who.user_id() else {
        return Err(ApiError::unauthorized());
    };
    match state.accounts.user(id).await? {
        Some(user) => Ok(json(&user_json(&user))),
        None => Err(ApiError::unauthorized()),
    }
}
