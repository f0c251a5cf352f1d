//! Turns `BERTH_STORAGE_URL` into a blob store.

use std::sync::Arc;

use anyhow::Context;
use berth_blob::{BlobStore, FsStore, S3Config, S3Store};

/// `s3://BUCKET[/ROOT]?endpoint=URL&region=R`, or a directory (optionally `file://`).
pub fn open(url: &str, fsync: bool) -> anyhow::Result<Arc<dyn BlobStore>> {
    if let Some(rest) = url.strip_prefix("s3://") {
        let (location, query) = rest.split_once('?').unwrap_or((rest, ""));
        let (bucket, root) = location.split_once('/').unwrap_or((location, ""));
        anyhow::ensure!(!bucket.is_empty(), "storage URL {url:?} names no bucket");
        let mut cfg = S3Config {
            bucket: bucket.to_owned(),
            region: "us-east-1".to_owned(),
            root: (!root.is_empty()).then(|| format!("/{root}")),
            access_key_id: std::env::var("AWS_ACCESS_KEY_ID").ok(),
            secret_access_key: std::env::var("AWS_SECRET_ACCESS_KEY").ok(),
            ..S3Config::default()
        };
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            match k {
                "endpoint" => cfg.endpoint = Some(v.to_owned()),
                "region" => cfg.region = v.to_owned(),
                other => anyhow::bail!("unknown storage URL parameter {other:?}"),
            }
        }
        Ok(Arc::new(S3Store::open(&cfg).context("opening S3 storage")?))
    } else {
        let dir = url.strip_prefix("file://").unwrap_or(url);
        Ok(Arc::new(FsStore::open(dir, fsync).with_context(|| {
            format!("opening blob directory {dir}")
        })?))
    }
}
