//! Digest computation while bytes stream, and the per-node cache of upload hash states.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use berth_blob::ByteStream;
use berth_types::{DigestHasher, UploadId};
use futures::StreamExt;

/// Wraps `body` so that every chunk also feeds `hasher`.
pub(crate) fn hashing(body: ByteStream, hasher: Arc<Mutex<DigestHasher>>) -> ByteStream {
    Box::pin(body.map(move |chunk| {
        if let Ok(bytes) = &chunk {
            hasher
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .update(bytes);
        }
        chunk
    }))
}

/// Takes the hasher back out of its shared cell once the stream is done.
pub(crate) fn take(hasher: Arc<Mutex<DigestHasher>>) -> DigestHasher {
    match Arc::try_unwrap(hasher) {
        Ok(m) => m.into_inner().unwrap_or_else(PoisonError::into_inner),
        Err(shared) => shared
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone(),
    }
}

/// SHA-256 states of upload sessions in progress on this node, keyed by session and valid
/// only at the recorded offset. A miss is never an error: the content is then hashed again
/// from storage (after a restart, or when chunks of one session reach different nodes).
#[derive(Default)]
pub(crate) struct HashCache {
    states: Mutex<HashMap<UploadId, (u64, DigestHasher)>>,
}

const MAX_ENTRIES: usize = 10_000;

impl HashCache {
    /// The state after exactly `offset` bytes, if this node has it.
    pub(crate) fn at(&self, id: &UploadId, offset: u64) -> Option<DigestHasher> {
        let states = self.states.lock().unwrap_or_else(PoisonError::into_inner);
        states
            .get(id)
            .filter(|(at, _)| *at == offset)
            .map(|(_, h)| h.clone())
    }

    pub(crate) fn store(&self, id: &UploadId, offset: u64, hasher: DigestHasher) {
        let mut states = self.states.lock().unwrap_or_else(PoisonError::into_inner);
        if states.len() >= MAX_ENTRIES && !states.contains_key(id) {
            // Forget everything rather than grow without bound; misses only cost a re-hash.
            states.clear();
        }
        states.insert(id.clone(), (offset, hasher));
    }

    pub(crate) fn forget(&self, id: &UploadId) {
        self.states
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(id);
    }
}
