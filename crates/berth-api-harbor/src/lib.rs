//! Harbor's REST API v2.0, the contract Harbor's clients and tools speak
//! (`harbor-swagger.yaml`): thin handlers over `berth-core`, Harbor's conventions for
//! paging, errors and identities in one place each.

mod csrf;
mod error;
mod handlers;
mod identity;
mod models;
mod paging;
mod query;
pub mod read_only;
mod time;

use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use berth_core::Registry;
use berth_core::accounts::Accounts;
use berth_core::artifacts::Artifacts;

pub use csrf::CsrfKey;
pub use error::ApiError;

/// What the Harbor API handlers need.
pub struct HarborState {
    pub accounts: Accounts,
    pub artifacts: Artifacts,
    pub registry: Arc<Registry>,
    /// The job service (GC, audit log purge, schedules).
    pub jobs: berth_jobs::Jobs,
    /// The URL clients reach berth at, when configured (else taken from each request).
    pub external_url: Option<String>,
    /// Whether berth serves TLS itself.
    pub tls: bool,
    /// Derives and checks the portal's CSRF tokens.
    pub csrf: CsrfKey,
}

pub(crate) type State = axum::extract::State<Arc<HarborState>>;

/// The base path of Harbor's API.
pub const API: &str = "/api/v2.0";

/// Where berth serves its OpenAPI document and the Swagger UI that reads it (Harbor's
/// path for the UI).
pub const OPENAPI_PATH: &str = "/api/v2.0/openapi.json";
pub const SWAGGER_UI_PATH: &str = "/devcenter-api-2.0";

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "berth: Harbor API v2.0",
        description = "The Harbor-compatible REST API of berth. Authenticate with HTTP Basic \
            credentials of a user or a robot account."
    ),
    modifiers(&BasicAuth),
    security(("basic" = []))
)]
struct ApiDoc;

/// Declares the Basic credentials every operation accepts.
struct BasicAuth;

impl utoipa::Modify for BasicAuth {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
        let components = api.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "basic",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Basic)),
        );
    }
}

/// The `/api` router, with the OpenAPI document made from the handlers' declarations and
/// the Swagger UI.
pub fn router(state: Arc<HarborState>) -> Router {
    use handlers::{
        artifacts, audit, configurations, gc, icons, immutable, jobservice, labels, members,
        projects, purge_audit, quotas, repositories, retentions, robots, schedules, search, system,
        tags, users,
    };
    use utoipa::OpenApi as _;
    use utoipa_axum::routes;
    // Full paths rather than a nested router, so handlers see the request's whole URI (paging
    // links are built from it). Each `routes!` holds the operations of one path.
    let (api, doc) = utoipa_axum::router::OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(handlers::ping))
        .routes(routes!(system::health))
        .routes(routes!(system::info))
        .routes(routes!(system::volumes))
        .routes(routes!(system::getcert))
        .routes(routes!(configurations::get, configurations::put))
        .routes(routes!(search::search))
        .routes(routes!(search::statistics))
        .routes(routes!(icons::get))
        .routes(routes!(users::list, users::create))
        .routes(routes!(users::current))
        .routes(routes!(users::search))
        .routes(routes!(users::permissions))
        .routes(routes!(users::get, users::update, users::delete))
        .routes(routes!(users::password))
        .routes(routes!(users::sysadmin))
        .routes(routes!(projects::list, projects::create, projects::head))
        .routes(routes!(projects::get, projects::update, projects::delete))
        .routes(routes!(projects::deletable))
        .routes(routes!(projects::summary))
        .routes(routes!(projects::metadatas, projects::add_metadatas))
        .routes(routes!(
            projects::metadata,
            projects::update_metadata,
            projects::delete_metadata
        ))
        .routes(routes!(members::list, members::create))
        .routes(routes!(members::get, members::update, members::delete))
        .routes(routes!(robots::list, robots::create))
        .routes(routes!(
            robots::get,
            robots::update,
            robots::refresh,
            robots::delete
        ))
        .routes(routes!(repositories::list_all))
        .routes(routes!(repositories::list))
        .routes(routes!(
            repositories::get,
            repositories::update,
            repositories::delete
        ))
        .routes(routes!(artifacts::list, artifacts::copy))
        .routes(routes!(artifacts::list_project))
        .routes(routes!(artifacts::get, artifacts::delete))
        .routes(routes!(artifacts::addition))
        .routes(routes!(artifacts::accessories))
        .routes(routes!(tags::list, tags::create))
        .routes(routes!(tags::delete))
        .routes(routes!(labels::attach))
        .routes(routes!(labels::detach))
        .routes(routes!(labels::list, labels::create))
        .routes(routes!(labels::get, labels::update, labels::delete))
        .routes(routes!(immutable::list, immutable::create))
        .routes(routes!(immutable::update, immutable::delete))
        .routes(routes!(audit::list))
        .routes(routes!(audit::list_ext))
        .routes(routes!(audit::project))
        .routes(routes!(quotas::list))
        .routes(routes!(quotas::get, quotas::update))
        .routes(routes!(gc::list))
        .routes(routes!(gc::get, gc::stop))
        .routes(routes!(gc::log))
        .routes(routes!(
            gc::get_schedule,
            gc::create_schedule,
            gc::update_schedule
        ))
        .routes(routes!(purge_audit::list))
        .routes(routes!(purge_audit::get, purge_audit::stop))
        .routes(routes!(purge_audit::log))
        .routes(routes!(
            purge_audit::get_schedule,
            purge_audit::create_schedule,
            purge_audit::update_schedule
        ))
        .routes(routes!(retentions::metadatas))
        .routes(routes!(retentions::create))
        .routes(routes!(
            retentions::get,
            retentions::update,
            retentions::delete
        ))
        .routes(routes!(retentions::run, retentions::executions))
        .routes(routes!(retentions::operate))
        .routes(routes!(retentions::tasks))
        .routes(routes!(retentions::task_log))
        .routes(routes!(schedules::list))
        .routes(routes!(schedules::paused))
        .routes(routes!(jobservice::pools))
        .routes(routes!(jobservice::workers))
        .routes(routes!(jobservice::stop_job))
        .routes(routes!(jobservice::job_log))
        .routes(routes!(jobservice::queues))
        .routes(routes!(jobservice::queue_action))
        .split_for_parts();
    let swagger = utoipa_swagger_ui::SwaggerUi::new(SWAGGER_UI_PATH).url(OPENAPI_PATH, doc);
    let key = state.csrf.clone();
    let secure = state.tls
        || state
            .external_url
            .as_deref()
            .is_some_and(|u| u.starts_with("https://"));
    Router::new()
        .merge(api)
        .route("/c/login", axum::routing::post(handlers::sessions::login))
        .route("/c/log_out", get(handlers::sessions::logout))
        .route(
            "/c/userExists",
            axum::routing::post(handlers::sessions::user_exists),
        )
        .route("/api/version", get(handlers::version))
        // Harbor's clients name the collection with a trailing slash.
        .route(
            &format!("{API}/projects/{{project_name_or_id}}/metadatas/"),
            get(projects::metadatas).post(projects::add_metadatas),
        )
        .route(
            &format!("{API}/{{*rest}}"),
            axum::routing::any(handlers::not_found),
        )
        .layer(axum::middleware::from_fn(move |req, next| {
            csrf::protect(key.clone(), secure, req, next)
        }))
        .layer(axum::middleware::from_fn(handlers::request_id))
        .with_state(state)
        .merge(swagger)
}
