//! Random content and digests. Content is generated once, before any timed region, and
//! handed out as `Bytes` slices so that no request allocates or copies a body.

use bytes::{Bytes, BytesMut};
use sha2::{Digest as _, Sha256};

/// A small, fast, non-cryptographic generator (SplitMix64): enough for incompressible
/// test data and unique names.
pub struct Rng(u64);

impl Rng {
    /// Seeded from the clock and the process id, so that two runs never share content.
    pub fn from_clock() -> Rng {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        Rng(nanos ^ (u64::from(std::process::id()) << 32))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// `len` random bytes in one allocation.
    pub fn bytes(&mut self, len: usize) -> Bytes {
        let mut buf = BytesMut::zeroed(len);
        let mut words = buf.chunks_exact_mut(8);
        for w in &mut words {
            w.copy_from_slice(&self.next_u64().to_le_bytes());
        }
        let tail = words.into_remainder();
        let last = self.next_u64().to_le_bytes();
        let n = tail.len();
        tail.copy_from_slice(&last[..n]);
        buf.freeze()
    }

    /// Eight lowercase hex digits, for names.
    pub fn id(&mut self) -> String {
        format!("{:08x}", self.next_u64() as u32)
    }
}

/// `sha256:<hex>` of `data`.
pub fn sha256(data: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(data)))
}

/// A blob ready to send: its content and its precomputed digest.
#[derive(Clone)]
pub struct Blob {
    pub data: Bytes,
    pub digest: String,
}

impl Blob {
    pub fn new(data: Bytes) -> Blob {
        let digest = sha256(&data);
        Blob { data, digest }
    }

    pub fn len(&self) -> usize {
        self.data.len()
    }
}

/// `count` distinct blobs of `size` bytes cut from `pool` at offsets `first, first+stride, ...`
/// (zero-copy slices; distinct offsets give distinct content for random data).
pub fn slices(pool: &Bytes, size: usize, first: usize, count: usize, stride: usize) -> Vec<Blob> {
    (0..count)
        .map(|i| {
            let start = first + i * stride;
            Blob::new(pool.slice(start..start + size))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_have_the_length_asked_and_differ() {
        let mut rng = Rng(1);
        let a = rng.bytes(13);
        let b = rng.bytes(13);
        assert_eq!(a.len(), 13);
        assert_ne!(a, b);
    }

    #[test]
    fn sha256_of_empty() {
        assert_eq!(
            sha256(b""),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn slices_are_distinct() {
        let mut rng = Rng(7);
        let pool = rng.bytes(4096);
        let blobs = slices(&pool, 1024, 0, 8, 3);
        let mut digests: Vec<_> = blobs.iter().map(|b| b.digest.clone()).collect();
        digests.sort();
        digests.dedup();
        assert_eq!(digests.len(), 8);
    }
}
