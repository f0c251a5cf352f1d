//! What the system endpoints report: storage, health.

use berth_blob::{BlobKey, Capacity};
use berth_types::{Algorithm, Digest};

use crate::{CoreError, Registry};

/// One component's health.
#[derive(Debug, Clone)]
pub struct ComponentHealth {
    pub name: &'static str,
    /// `None` when healthy, else what failed.
    pub error: Option<String>,
}

impl Registry {
    /// The blob backend's name ("filesystem", "s3").
    pub fn storage_kind(&self) -> &'static str {
        self.blobs.kind()
    }

    /// The blob volume's size and free space, where the backend can tell.
    pub async fn storage_capacity(&self) -> Result<Option<Capacity>, CoreError> {
        Ok(self.blobs.capacity().await?)
    }

    /// Asks each component whether it answers: the metadata database and blob storage
    /// (a lookup of a blob that need not exist).
    pub async fn health(&self) -> Vec<ComponentHealth> {
        let database = self.meta.ping().await.err().map(|e| e.to_string());
        let probe = BlobKey::Blob(Digest::of(Algorithm::Sha256, b""));
        let storage = self.blobs.stat(&probe).await.err().map(|e| e.to_string());
        vec![
            ComponentHealth {
                name: "core",
                error: None,
            },
            ComponentHealth {
                name: "database",
                error: database,
            },
            ComponentHealth {
                name: "registry",
                error: storage,
            },
        ]
    }
}
