//! S3-compatible object storage through OpenDAL.
//!
//! An S3 PUT (or a completed multipart upload) is atomic, so an object is visible whole
//! or not at all; an aborted stream aborts the multipart upload.

use async_trait::async_trait;
use berth_types::{UploadId, UploadPart};
use futures::{StreamExt, TryStreamExt};
use opendal::{Operator, services};

use crate::{BlobError, BlobKey, BlobStore, ByteRange, ByteStream, Check, UploadSession};

/// Size of one part of a multipart upload.
const PART_SIZE: usize = 16 * 1024 * 1024;
/// Largest object one S3 CopyObject may copy.
const MAX_COPY_BYTES: u64 = 5 * 1024 * 1024 * 1024;

/// Where and how to reach the bucket.
#[derive(Debug, Clone, Default)]
pub struct S3Config {
    pub bucket: String,
    pub endpoint: Option<String>,
    pub region: String,
    pub root: Option<String>,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
}

/// Installs the process-wide HTTP client OpenDAL uses (berth builds OpenDAL without its
/// auto-registration, so nothing else does). The first installation wins.
fn install_http_transport() -> Result<(), BlobError> {
    let client = reqwest::Client::builder()
        .connect_timeout(std::time::Duration::from_secs(10))
        .pool_idle_timeout(std::time::Duration::from_secs(60))
        .build()
        .map_err(|e| BlobError::Backend(format!("HTTP client for S3: {e}")))?;
    opendal::HttpTransporter::install_default(
        opendal_http_transport_reqwest::ReqwestTransport::new(client),
    );
    Ok(())
}

/// Blob storage in an S3 bucket.
#[derive(Debug, Clone)]
pub struct S3Store {
    op: Operator,
}

impl S3Store {
    pub fn open(cfg: &S3Config) -> Result<S3Store, BlobError> {
        install_http_transport()?;
        let mut b = services::S3::default()
            .bucket(&cfg.bucket)
            .region(&cfg.region)
            .root(cfg.root.as_deref().unwrap_or("/"));
        if let Some(e) = &cfg.endpoint {
            b = b.endpoint(e);
        }
        if let Some(k) = &cfg.access_key_id {
            b = b.access_key_id(k);
        }
        if let Some(s) = &cfg.secret_access_key {
            b = b.secret_access_key(s);
        }
        let op = Operator::new(b)?.layer(opendal::layers::RetryLayer::new());
        Ok(S3Store { op })
    }
}

impl S3Store {
    /// Streams `body` to `key` (multipart above one part); `check` decides before the
    /// upload completes, so a refused body never becomes visible.
    async fn write_object(
        &self,
        key: &BlobKey,
        mut body: ByteStream,
        check: Check,
    ) -> Result<u64, BlobError> {
        let mut w = self
            .op
            .writer_with(&key.path())
            .chunk(PART_SIZE)
            .concurrent(4)
            .await?;
        let mut len = 0u64;
        while let Some(chunk) = body.next().await {
            let chunk = match chunk {
                Ok(c) => c,
                Err(e) => {
                    let _ = w.abort().await;
                    return Err(BlobError::Input(e));
                }
            };
            len += chunk.len() as u64;
            if let Err(e) = w.write(chunk).await {
                let _ = w.abort().await;
                return Err(e.into());
            }
        }
        if let Err(reason) = check(len) {
            let _ = w.abort().await;
            return Err(BlobError::Rejected(reason));
        }
        w.close().await?;
        Ok(len)
    }

    /// The objects `keys`, one after the other, each opened when the previous one ends.
    fn chained(&self, keys: Vec<BlobKey>) -> ByteStream {
        let store = self.clone();
        let opened = futures::stream::iter(keys)
            .then(move |key| {
                let store = store.clone();
                async move { store.get(&key, None).await }
            })
            .map_err(std::io::Error::other)
            .try_flatten();
        Box::pin(opened)
    }

    /// Writes the concatenation of `parts` to `dest`.
    async fn concatenate(&self, parts: &[BlobKey], dest: &BlobKey) -> Result<(), BlobError> {
        if let [single] = parts {
            // Server-side copy (one CopyObject, at most 5 GiB); the caller deletes the part.
            let size = self.op.stat(&single.path()).await?.content_length();
            if size <= MAX_COPY_BYTES {
                self.op.copy(&single.path(), &dest.path()).await?;
                return Ok(());
            }
        }
        let body = self.chained(parts.to_vec());
        match self.write_object(dest, body, Box::new(|_| Ok(()))).await {
            Err(BlobError::Input(e)) => Err(BlobError::Backend(format!("reading parts: {e}"))),
            other => other.map(|_| ()),
        }
    }
}

fn part_key(upload: &UploadId, part: &UploadPart) -> BlobKey {
    BlobKey::upload_part(upload, part.name.clone())
}

/// Parts are objects of their own with unique names, so writers need no lock: racing
/// chunks each write their own object, and the metadata records only one of them.
struct S3UploadSession {
    store: S3Store,
    upload: UploadId,
}

#[async_trait]
impl UploadSession for S3UploadSession {
    async fn write(&mut self, offset: u64, body: ByteStream) -> Result<UploadPart, BlobError> {
        let rand = uuid::Uuid::new_v4().simple().to_string();
        let name = format!("p{offset}-{}", &rand[..12]);
        let key = BlobKey::upload_part(&self.upload, name.clone());
        let size = self
            .store
            .write_object(&key, body, Box::new(|_| Ok(())))
            .await?;
        Ok(UploadPart { name, offset, size })
    }

    async fn discard(&mut self, part: &UploadPart) -> Result<(), BlobError> {
        self.store.delete(&part_key(&self.upload, part)).await
    }

    async fn read(&mut self, parts: &[UploadPart]) -> Result<ByteStream, BlobError> {
        let keys: Vec<BlobKey> = parts.iter().map(|p| part_key(&self.upload, p)).collect();
        // A missing part is reported before reading starts, as not found.
        for key in &keys {
            if self.store.stat(key).await?.is_none() {
                return Err(BlobError::NotFound);
            }
        }
        Ok(self.store.chained(keys))
    }

    async fn compose(&mut self, parts: &[UploadPart], dest: &BlobKey) -> Result<(), BlobError> {
        // Content is addressed: a blob that is already there is this content.
        if self.store.stat(dest).await?.is_some() {
            return Ok(());
        }
        let keys: Vec<BlobKey> = parts.iter().map(|p| part_key(&self.upload, p)).collect();
        self.store.concatenate(&keys, dest).await
    }
}

#[async_trait]
impl BlobStore for S3Store {
    async fn put_checked(
        &self,
        key: &BlobKey,
        body: ByteStream,
        check: Check,
    ) -> Result<u64, BlobError> {
        self.write_object(key, body, check).await
    }

    async fn get(&self, key: &BlobKey, range: Option<ByteRange>) -> Result<ByteStream, BlobError> {
        let path = key.path();
        let size = self.op.stat(&path).await?.content_length();
        let (start, end) = match range {
            Some(r) if r.start.checked_add(r.len).is_none_or(|end| end > size) => {
                return Err(BlobError::RangeNotSatisfiable);
            }
            Some(r) => (r.start, r.start + r.len),
            None => (0, size),
        };
        let reader = self.op.reader_with(&path).chunk(8 * 1024 * 1024).await?;
        let stream = reader.into_bytes_stream(start..end).await?;
        Ok(Box::pin(stream))
    }

    async fn stat(&self, key: &BlobKey) -> Result<Option<u64>, BlobError> {
        match self.op.stat(&key.path()).await {
            Ok(m) => Ok(Some(m.content_length())),
            Err(e) if e.kind() == opendal::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    async fn delete(&self, key: &BlobKey) -> Result<(), BlobError> {
        Ok(self.op.delete(&key.path()).await?)
    }

    async fn open_upload(&self, upload: &UploadId) -> Result<Box<dyn UploadSession>, BlobError> {
        Ok(Box::new(S3UploadSession {
            store: self.clone(),
            upload: upload.clone(),
        }))
    }

    async fn delete_upload(&self, upload: &UploadId) -> Result<(), BlobError> {
        let prefix = format!("uploads/{upload}/");
        let entries = self.op.list(&prefix).await?;
        for e in entries {
            if !e.path().ends_with('/') {
                self.op.delete(e.path()).await?;
            }
        }
        Ok(())
    }

    fn kind(&self) -> &'static str {
        "s3"
    }
}
