//! The registry's use cases, written once for every storage and database backend.
//!
//! [`Registry`] owns the rules of the distribution spec: digests are verified while bytes
//! stream, a manifest is accepted only when the blobs it needs are in its repository,
//! upload sessions advance by compare-and-set so concurrent or replayed chunks cannot
//! corrupt them. Each operation takes a [`berth_auth::Permit`], so nothing here runs for a
//! request that was not authorized.

mod access;
pub mod accounts;
pub mod artifacts;
pub mod audit;
mod backfill;
mod blobs;
mod error;
pub mod gc;
mod hashing;
pub mod immutability;
mod listing;
mod logins;
mod manifests;
pub mod members;
mod project_metadata;
mod pulls;
pub mod quotas;
mod registry;
pub mod retention;
pub mod robots;
pub mod sessions;
pub mod settings;
pub mod system;
mod tag_cache;
mod throttle;
mod ttl_cache;
mod uploads;
mod users;

pub use blobs::{BlobRead, RangeRequest};
pub use error::CoreError;
pub use listing::Page;
pub use manifests::PushedManifest;
pub use registry::{Registry, RegistryOptions};
pub use uploads::{ContentRange, UploadState};
