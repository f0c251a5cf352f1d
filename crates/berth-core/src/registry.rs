use std::sync::Arc;

use berth_auth::{Action, Permit};
use berth_blob::BlobStore;
use berth_meta::MetaStore;
use berth_types::RepoName;

use crate::CoreError;
use crate::hashing::HashCache;
use crate::tag_cache::TagCache;

/// Limits and switches of the registry core.
#[derive(Debug, Clone)]
pub struct RegistryOptions {
    /// Largest manifest accepted, in bytes.
    pub max_manifest_bytes: usize,
}

impl Default for RegistryOptions {
    fn default() -> Self {
        RegistryOptions {
            max_manifest_bytes: berth_types::manifest::MAX_MANIFEST_BYTES,
        }
    }
}

/// The registry: metadata plus blob storage, and the rules that keep them consistent.
pub struct Registry {
    pub(crate) meta: MetaStore,
    pub(crate) audit: crate::audit::Audit,
    pub(crate) blobs: Arc<dyn BlobStore>,
    pub(crate) hashes: HashCache,
    pub(crate) tag_cache: TagCache,
    pub(crate) options: RegistryOptions,
    pub(crate) pulls: crate::pulls::PullLog,
}

impl Registry {
    pub fn new(
        meta: MetaStore,
        blobs: Arc<dyn BlobStore>,
        options: RegistryOptions,
        audit: crate::audit::Audit,
    ) -> Registry {
        Registry {
            meta,
            audit,
            blobs,
            hashes: HashCache::default(),
            tag_cache: TagCache::default(),
            options,
            pulls: crate::pulls::PullLog::default(),
        }
    }

    pub fn options(&self) -> &RegistryOptions {
        &self.options
    }
}

/// Refuses a permit that does not cover `action` on `repo`: a second line of defence behind
/// the API's authorization, which must already have asked for exactly this.
pub(crate) fn check(permit: &Permit, repo: &RepoName, action: Action) -> Result<(), CoreError> {
    if permit.covers(repo, action) {
        Ok(())
    } else {
        Err(CoreError::Denied)
    }
}
