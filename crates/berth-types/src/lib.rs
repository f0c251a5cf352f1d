//! Domain types of berth.
//!
//! Everything here is pure: parsing and validation of the names, references, digests and
//! manifests that cross the registry's edge. A value of one of these types is valid by
//! construction, so code further in never re-checks it and never sees a raw string where a
//! digest or a repository name is meant.

mod account;
pub mod artifact;
mod digest;
mod error;
mod hasher;
pub mod immutability;
pub mod jobs;
pub mod manifest;
pub mod media_type;
mod name;
mod reference;
pub mod retention;
pub mod settings;
mod upload;

pub use account::{
    PASSWORD_POLICY, Password, ProjectId, ProjectName, Role, UserId, Username, valid_realname,
};
pub use digest::{Algorithm, Digest};
pub use error::ParseError;
pub use hasher::DigestHasher;
pub use name::RepoName;
pub use reference::{Reference, Tag};
pub use upload::{UploadId, UploadPart};

/// Numeric id of a repository row in the metadata store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RepoId(pub i64);

/// Numeric id of a manifest row in the metadata store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ManifestId(pub i64);
