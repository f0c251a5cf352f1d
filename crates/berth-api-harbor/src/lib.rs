//! Harbor's REST API v2.0, the contract Harbor's clients and tools speak
//! (`harbor-swagger.yaml`): thin handlers over `berth-core`, Harbor's conventions for
//! paging, errors and identities in one place each.

mod error;
mod handlers;
mod identity;
mod paging;
mod query;
mod time;

use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use berth_core::Registry;
use berth_core::accounts::Accounts;
use berth_core::artifacts::Artifacts;

pub use error::ApiError;

/// What the Harbor API handlers need.
pub struct HarborState {
    pub accounts: Accounts,
    pub artifacts: Artifacts,
    pub registry: Arc<Registry>,
    /// The URL clients reach berth at, when configured (else taken from each request).
    pub external_url: Option<String>,
    /// Whether berth serves TLS itself.
    pub tls: bool,
}

pub(crate) type State = axum::extract::State<Arc<HarborState>>;

/// The base path of Harbor's API.
pub const API: &str = "/api/v2.0";

/// The `/api` router.
pub fn router(state: Arc<HarborState>) -> Router {
    use handlers::{
        artifacts, audit, configurations, icons, labels, members, projects, repositories, robots,
        search, system, tags, users,
    };
    let repo = |rest: &str| {
        format!("{API}/projects/{{project_name_or_id}}/repositories/{{repository_name}}{rest}")
    };
    let artifact = |rest: &str| repo(&format!("/artifacts/{{reference}}{rest}"));
    // Full paths rather than a nested router, so handlers see the request's whole URI (paging
    // links are built from it).
    let at = |path: &str| format!("{API}{path}");
    Router::new()
        .route("/api/version", get(handlers::version))
        .route(&at("/ping"), get(handlers::ping))
        .route(&at("/health"), get(system::health))
        .route(&at("/systeminfo"), get(system::info))
        .route(&at("/systeminfo/volumes"), get(system::volumes))
        .route(&at("/systeminfo/getcert"), get(system::getcert))
        .route(
            &at("/configurations"),
            get(configurations::get).put(configurations::put),
        )
        .route(&at("/users"), get(users::list).post(users::create))
        .route(&at("/users/current"), get(users::current))
        .route(&at("/users/search"), get(users::search))
        .route(&at("/users/current/permissions"), get(users::permissions))
        .route(&at("/users/{user_id}"), get(users::get))
        .route(
            &at("/users/{user_id}/password"),
            axum::routing::put(users::password),
        )
        .route(
            &at("/users/{user_id}/sysadmin"),
            axum::routing::put(users::sysadmin),
        )
        .route(
            &at("/projects"),
            get(projects::list)
                .post(projects::create)
                .head(projects::head),
        )
        .route(
            &at("/projects/{project_name_or_id}"),
            get(projects::get)
                .put(projects::update)
                .delete(projects::delete),
        )
        .route(
            &at("/projects/{project_name_or_id}/_deletable"),
            get(projects::deletable),
        )
        .route(
            &at("/projects/{project_name_or_id}/summary"),
            get(projects::summary),
        )
        .route(
            &at("/projects/{project_name_or_id}/metadatas"),
            get(projects::metadatas),
        )
        .route(
            &at("/projects/{project_name_or_id}/members"),
            get(members::list).post(members::create),
        )
        .route(
            &at("/projects/{project_name_or_id}/members/{mid}"),
            get(members::get)
                .put(members::update)
                .delete(members::delete),
        )
        .route(&at("/robots"), get(robots::list).post(robots::create))
        .route(
            &at("/robots/{robot_id}"),
            get(robots::get)
                .put(robots::update)
                .patch(robots::refresh)
                .delete(robots::delete),
        )
        .route(&at("/search"), get(search::search))
        .route(&at("/icons/{digest}"), get(icons::get))
        .route(&at("/statistics"), get(search::statistics))
        .route(&at("/repositories"), get(repositories::list_all))
        .route(
            &at("/projects/{project_name_or_id}/repositories"),
            get(repositories::list),
        )
        .route(
            &repo(""),
            get(repositories::get)
                .put(repositories::update)
                .delete(repositories::delete),
        )
        .route(
            &repo("/artifacts"),
            get(artifacts::list).post(artifacts::copy),
        )
        .route(
            &at("/projects/{project_name_or_id}/artifacts"),
            get(artifacts::list_project),
        )
        .route(&artifact(""), get(artifacts::get).delete(artifacts::delete))
        .route(&artifact("/additions/{addition}"), get(artifacts::addition))
        .route(&artifact("/tags"), get(tags::list).post(tags::create))
        .route(
            &artifact("/tags/{tag_name}"),
            axum::routing::delete(tags::delete),
        )
        .route(&artifact("/labels"), axum::routing::post(labels::attach))
        .route(
            &artifact("/labels/{label_id}"),
            axum::routing::delete(labels::detach),
        )
        .route(&at("/labels"), get(labels::list).post(labels::create))
        .route(
            &at("/labels/{label_id}"),
            get(labels::get).put(labels::update).delete(labels::delete),
        )
        .route(&at("/audit-logs"), get(audit::list))
        .route(&at("/auditlog-exts"), get(audit::list_ext))
        .route(
            &at("/projects/{project_name_or_id}/logs"),
            get(audit::project),
        )
        .route(&at("/{*rest}"), axum::routing::any(handlers::not_found))
        .layer(axum::middleware::from_fn(handlers::request_id))
        .with_state(state)
}
