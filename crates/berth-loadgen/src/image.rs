//! Small OCI images (a config, a few layers, a manifest), built before any timed region.

use bytes::Bytes;
use serde_json::json;

use crate::client::{OCI_MANIFEST, Registry};
use crate::content::{Blob, Rng, sha256};

const CONFIG_TYPE: &str = "application/vnd.oci.image.config.v1+json";
const LAYER_TYPE: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
pub const CONFIG_SIZE: usize = 1024;

pub struct Image {
    pub config: Blob,
    pub layers: Vec<Blob>,
    pub manifest: Bytes,
    pub digest: String,
}

impl Image {
    pub fn blobs(&self) -> impl Iterator<Item = &Blob> {
        std::iter::once(&self.config).chain(&self.layers)
    }

    /// Bytes in the image's blobs and manifest.
    pub fn size(&self) -> usize {
        self.blobs().map(Blob::len).sum::<usize>() + self.manifest.len()
    }
}

/// A 1 KiB image config naming `layers` (its diff_ids are the layer digests: registries do
/// not look into layers). `index` makes each config unique.
fn config(index: usize, layers: &[Blob]) -> Blob {
    let diff_ids: Vec<&str> = layers.iter().map(|l| l.digest.as_str()).collect();
    let make = |pad: usize| {
        json!({
            "architecture": "amd64",
            "os": "linux",
            "config": { "Labels": { "bench.index": index.to_string(), "bench.pad": "x".repeat(pad) } },
            "rootfs": { "type": "layers", "diff_ids": diff_ids },
        })
        .to_string()
    };
    let base = make(0).len();
    Blob::new(Bytes::from(make(CONFIG_SIZE.saturating_sub(base))))
}

fn manifest(config: &Blob, layers: &[Blob]) -> Bytes {
    let layers: Vec<_> = layers
        .iter()
        .map(|l| json!({ "mediaType": LAYER_TYPE, "digest": l.digest, "size": l.len() }))
        .collect();
    let m = json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": { "mediaType": CONFIG_TYPE, "digest": config.digest, "size": config.len() },
        "layers": layers,
    });
    Bytes::from(m.to_string())
}

/// `count` distinct images, each with `layers` layers of `layer_size` random bytes. The
/// layers are slices of one shared pool, so memory stays small whatever the count.
pub fn build(rng: &mut Rng, count: usize, layers: usize, layer_size: usize) -> Vec<Image> {
    let pool = rng.bytes(layer_size + count * layers + 8);
    (0..count)
        .map(|i| {
            let layers: Vec<Blob> = (0..layers)
                .map(|j| {
                    let start = i * layers + j;
                    Blob::new(pool.slice(start..start + layer_size))
                })
                .collect();
            let config = config(i, &layers);
            let manifest = manifest(&config, &layers);
            let digest = sha256(&manifest);
            Image {
                config,
                layers,
                manifest,
                digest,
            }
        })
        .collect()
}

/// Pushes `image` to `repo` as tag `tag` the way pushing clients do: for each blob a `HEAD`
/// (when `check` is set) and, if missing, a monolithic upload; then the manifest.
pub async fn push(
    reg: &Registry,
    repo: &str,
    image: &Image,
    tag: &str,
    check: bool,
) -> anyhow::Result<()> {
    for blob in image.blobs() {
        if check && reg.blob_exists(repo, &blob.digest).await? {
            continue;
        }
        reg.upload_monolithic(repo, blob).await?;
    }
    reg.put_manifest(repo, tag, OCI_MANIFEST, image.manifest.clone())
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_are_distinct_and_configs_are_1_kib() {
        let mut rng = Rng::from_clock();
        let images = build(&mut rng, 5, 2, 100);
        for im in &images {
            assert_eq!(im.config.len(), CONFIG_SIZE);
            assert_eq!(im.layers.len(), 2);
            let v: serde_json::Value = serde_json::from_slice(&im.manifest).unwrap();
            assert_eq!(v["layers"][1]["size"], 100);
        }
        let mut digests: Vec<_> = images.iter().map(|i| i.digest.clone()).collect();
        digests.sort();
        digests.dedup();
        assert_eq!(digests.len(), 5);
    }
}
