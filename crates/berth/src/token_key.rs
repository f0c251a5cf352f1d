//! The key that signs registry tokens: 32 random bytes, hex, in a file only its owner reads.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use anyhow::Context;

/// Reads the key, creating the file with a new random key when it does not exist.
pub fn load_or_create(path: &Path) -> anyhow::Result<Vec<u8>> {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let key = hex::decode(text.trim())
                .with_context(|| format!("token key file {} is not hex", path.display()))?;
            anyhow::ensure!(
                key.len() >= 32,
                "token key in {} is too short",
                path.display()
            );
            Ok(key)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut key = Vec::with_capacity(32);
            key.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
            key.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(path)
                .with_context(|| format!("creating token key file {}", path.display()))?;
            file.write_all(hex::encode(&key).as_bytes())?;
            file.sync_all()?;
            Ok(key)
        }
        Err(e) => Err(e).with_context(|| format!("reading token key file {}", path.display())),
    }
}
