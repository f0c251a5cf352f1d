//! The bodies the API answers with, typed: each serializes to the shape of the swagger
//! definition it is named after, and documents itself in the OpenAPI berth serves.

mod accounts;
mod artifacts;
mod jobs;
mod projects;
mod quotas;
mod retention;
mod system;

pub(crate) use accounts::*;
pub(crate) use artifacts::*;
pub(crate) use jobs::*;
pub(crate) use projects::*;
pub(crate) use quotas::*;
pub(crate) use retention::*;
pub(crate) use system::*;
