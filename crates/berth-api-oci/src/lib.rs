//! The `/v2` API: the OCI Distribution Specification 1.1 and the Docker Registry HTTP API
//! v2 it grew from.
//!
//! A request path is parsed once into an [`endpoint::Endpoint`] (repository names contain
//! `/`, so routing by pattern is not enough), the caller is resolved to an identity and a
//! permit, and a thin handler calls `berth-core`. Errors are mapped to the spec's JSON in one
//! place, [`error::OciError`].

mod access;
mod endpoint;
mod error;
mod handlers;
mod headers;

use std::sync::Arc;

use axum::Router;
use axum::routing::{any, get};
use berth_auth::Authorizer;
use berth_auth::token::TokenKeys;
use berth_core::Registry;
use berth_core::accounts::Accounts;

pub use error::OciError;

/// What the `/v2` handlers need.
pub struct OciState {
    pub registry: Arc<Registry>,
    pub authorizer: Arc<dyn Authorizer>,
    /// Logins of Basic credentials.
    pub accounts: Accounts,
    /// Issues and checks registry tokens.
    pub tokens: TokenKeys,
    /// Whether berth serves HTTPS (the scheme of the token realm in challenges).
    pub tls: bool,
}

/// The `/v2` router.
pub fn router(state: Arc<OciState>) -> Router {
    Router::new()
        .route("/v2", get(handlers::base::ping))
        .route("/v2/", get(handlers::base::ping))
        .route("/v2/_catalog", get(handlers::listing::catalog))
        .route("/v2/{*rest}", any(handlers::dispatch))
        .route("/service/token", get(handlers::token::token))
        .layer(axum::middleware::map_response(headers::api_version))
        .with_state(state)
}
