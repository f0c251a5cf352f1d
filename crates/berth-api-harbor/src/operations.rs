//! The API's operations, listed once and used twice: at start-up to route requests (from each
//! operation's path and methods alone), and on the first request for the OpenAPI document to
//! describe them. Building the document describes every operation and schema; doing that only
//! when someone asks keeps it out of the memory and the start-up of a server nobody browses.

use std::sync::{Arc, OnceLock};

use axum::Router;
use axum::response::{IntoResponse, Response};
use http::header;
use utoipa::OpenApi as _;

use crate::handlers::{
    self, artifacts, audit, configurations, gc, icons, immutable, jobservice, labels, members,
    projects, purge_audit, quotas, repositories, retentions, robots, schedules, search, system,
    tags, users,
};
use crate::{ApiDoc, HarborState};

/// Calls `$then!` with every operation, grouped by path (each group is one path's operations).
macro_rules! with_operations {
    ($then:ident) => {
        $then! {
            [handlers::ping]
            [system::health]
            [system::info]
            [system::volumes]
            [system::getcert]
            [configurations::get, configurations::put]
            [search::search]
            [search::statistics]
            [icons::get]
            [users::list, users::create]
            [users::current]
            [users::search]
            [users::permissions]
            [users::get, users::update, users::delete]
            [users::password]
            [users::sysadmin]
            [projects::list, projects::create, projects::head]
            [projects::get, projects::update, projects::delete]
            [projects::deletable]
            [projects::summary]
            [projects::metadatas, projects::add_metadatas]
            [projects::metadata, projects::update_metadata, projects::delete_metadata]
            [members::list, members::create]
            [members::get, members::update, members::delete]
            [robots::list, robots::create]
            [robots::get, robots::update, robots::refresh, robots::delete]
            [repositories::list_all]
            [repositories::list]
            [repositories::get, repositories::update, repositories::delete]
            [artifacts::list, artifacts::copy]
            [artifacts::list_project]
            [artifacts::get, artifacts::delete]
            [artifacts::addition]
            [artifacts::accessories]
            [tags::list, tags::create]
            [tags::delete]
            [labels::attach]
            [labels::detach]
            [labels::list, labels::create]
            [labels::get, labels::update, labels::delete]
            [immutable::list, immutable::create]
            [immutable::update, immutable::delete]
            [audit::list]
            [audit::list_ext]
            [audit::project]
            [quotas::list]
            [quotas::get, quotas::update]
            [gc::list]
            [gc::get, gc::stop]
            [gc::log]
            [gc::get_schedule, gc::create_schedule, gc::update_schedule]
            [purge_audit::list]
            [purge_audit::get, purge_audit::stop]
            [purge_audit::log]
            [purge_audit::get_schedule, purge_audit::create_schedule, purge_audit::update_schedule]
            [retentions::metadatas]
            [retentions::create]
            [retentions::get, retentions::update, retentions::delete]
            [retentions::run, retentions::executions]
            [retentions::operate]
            [retentions::tasks]
            [retentions::task_log]
            [schedules::list]
            [schedules::paused]
            [jobservice::pools]
            [jobservice::workers]
            [jobservice::stop_job]
            [jobservice::job_log]
            [jobservice::queues]
            [jobservice::queue_action]
        }
    };
}

/// Routes each path's operations by the methods and path their declarations give.
macro_rules! route_operations {
    ($router:ident; $( [ $pm:ident :: $pop:ident $(, $module:ident :: $op:ident )* ] )*) => {{
        use utoipa::Path as _;
        use utoipa_axum::PathItemExt as _;
        let mut router = $router;
        $(
            let path = pastey::paste! { <$pm::[<__path_ $pop>]>::path() };
            let methods = axum::routing::MethodRouter::new();
            let methods = route_operations!(@methods methods $pm :: $pop);
            $(
                // A group is one path's operations.
                debug_assert_eq!(pastey::paste! { <$module::[<__path_ $op>]>::path() }, path);
                let methods = route_operations!(@methods methods $module :: $op);
            )*
            router = router.route(&path, methods);
        )*
        router
    }};
    (@methods $methods:ident $module:ident :: $op:ident) => {
        pastey::paste! {
            <$module::[<__path_ $op>]>::methods()
                .iter()
                .fold($methods, |m, method| m.on(method.to_method_filter(), $module::$op))
        }
    };
}

/// Describes every operation in the OpenAPI document.
macro_rules! document_operations {
    ($( [ $( $module:ident :: $op:ident ),+ ] )*) => {{
        use utoipa_axum::routes;
        let doc = utoipa_axum::router::OpenApiRouter::<Arc<HarborState>>::with_openapi(
            ApiDoc::openapi(),
        );
        $( let doc = doc.routes(routes!($( $module::$op ),+)); )*
        doc.into_openapi()
    }};
}

/// Adds every operation of the API to `router`.
pub(crate) fn route(router: Router<Arc<HarborState>>) -> Router<Arc<HarborState>> {
    macro_rules! into_router {
        ($($groups:tt)*) => { route_operations!(router; $($groups)*) };
    }
    with_operations!(into_router)
}

/// The OpenAPI document of every operation.
pub(crate) fn document() -> utoipa::openapi::OpenApi {
    with_operations!(document_operations)
}

/// `GET` of the OpenAPI document, made on the first request and kept as JSON.
pub(crate) async fn serve_document() -> Response {
    static JSON: OnceLock<Result<Vec<u8>, String>> = OnceLock::new();
    let json = JSON.get_or_init(|| serde_json::to_vec(&document()).map_err(|e| e.to_string()));
    match json {
        Ok(body) => ([(header::CONTENT_TYPE, "application/json")], body.clone()).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "could not serialize the OpenAPI document");
            let status = http::StatusCode::INTERNAL_SERVER_ERROR;
            crate::ApiError::new(status, "UNKNOWN", "internal server error").into_response()
        }
    }
}
