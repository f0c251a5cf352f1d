//! Harbor's REST API v2.0, the contract Harbor's clients and tools speak
//! (`harbor-swagger.yaml`): thin handlers over `berth-core`, Harbor's conventions for
//! paging, errors and identities in one place each.

mod csrf;
mod error;
mod handlers;
mod identity;
mod models;
mod operations;
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

/// The `/api` router, with the OpenAPI document made from the handlers' declarations (on
/// its first request) and the Swagger UI.
pub fn router(state: Arc<HarborState>) -> Router {
    use handlers::projects;
    // Full paths rather than a nested router, so handlers see the request's whole URI (paging
    // links are built from it).
    let api = operations::route(Router::new());
    let swagger = utoipa_swagger_ui::SwaggerUi::new(SWAGGER_UI_PATH)
        .config(utoipa_swagger_ui::Config::from(OPENAPI_PATH));
    let document = Router::new().route(OPENAPI_PATH, get(operations::serve_document));
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
        .merge(document)
        .merge(swagger)
}
