//! A minimal Docker Registry v2 / OCI distribution client over plain HTTP/1.1.

use std::time::Duration;

use anyhow::{Context, bail};
use bytes::Bytes;
use reqwest::header::{
    ACCEPT, AUTHORIZATION, CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, HeaderMap, HeaderValue,
    LINK, LOCATION,
};
use reqwest::{Client, Method, Response, StatusCode, Url};

use crate::content::Blob;

pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// What pulling clients send when they ask for a manifest.
pub const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.manifest.v1+json, \
     application/vnd.oci.image.index.v1+json, \
     application/vnd.docker.distribution.manifest.v2+json, \
     application/vnd.docker.distribution.manifest.list.v2+json";
const OCTET_STREAM: &str = "application/octet-stream";
/// Most pages a listing is followed for.
const MAX_PAGES: usize = 100_000;

/// How the client reaches the registry.
#[derive(Clone)]
pub struct Options {
    pub base: String,
    pub auth: Option<HeaderValue>,
    pub timeout: Duration,
    /// Whether the server completes `POST ?digest=` with a body in one request (see
    /// [`Registry::supports_single_post`]); when not, monolithic uploads are POST + PUT.
    pub single_post: bool,
}

/// A handle on one registry; cheap to clone (clones share the connection pool).
#[derive(Clone)]
pub struct Registry {
    pub http: Client,
    base: String,
    single_post: bool,
}

/// How a monolithic upload went through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Monolithic {
    /// `POST ?digest=` with the body: one request.
    SinglePost,
    /// `POST` for a session, then `PUT ?digest=` with the body.
    PostThenPut,
}

impl Registry {
    /// A client with a connection pool (`single_connection` keeps at most one idle
    /// keep-alive connection, for one worker issuing requests one after another).
    pub fn new(opts: &Options, single_connection: bool) -> anyhow::Result<Registry> {
        let mut headers = HeaderMap::new();
        if let Some(auth) = &opts.auth {
            headers.insert(AUTHORIZATION, auth.clone());
        }
        let mut builder = Client::builder()
            .http1_only()
            .no_proxy()
            .tcp_nodelay(true)
            .timeout(opts.timeout)
            .default_headers(headers);
        if single_connection {
            builder = builder.pool_max_idle_per_host(1);
        }
        Ok(Registry {
            http: builder.build()?,
            base: opts.base.trim_end_matches('/').to_owned(),
            single_post: opts.single_post,
        })
    }

    /// `base` followed by `path` (which starts with `/v2/`).
    pub fn url(&self, path: &str) -> anyhow::Result<Url> {
        Url::parse(&format!("{}{path}", self.base)).with_context(|| format!("bad URL for {path}"))
    }

    pub fn blob_url(&self, repo: &str, digest: &str) -> anyhow::Result<Url> {
        self.url(&format!("/v2/{repo}/blobs/{digest}"))
    }

    pub fn manifest_url(&self, repo: &str, reference: &str) -> anyhow::Result<Url> {
        self.url(&format!("/v2/{repo}/manifests/{reference}"))
    }

    /// `GET /v2/`: the API version check. 200 (or 401 when credentials are needed).
    pub async fn ping(&self) -> anyhow::Result<StatusCode> {
        Ok(self.http.get(self.url("/v2/")?).send().await?.status())
    }

    /// `HEAD` of a blob: whether the repository has it.
    pub async fn blob_exists(&self, repo: &str, digest: &str) -> anyhow::Result<bool> {
        let resp = self.http.head(self.blob_url(repo, digest)?).send().await?;
        match resp.status() {
            StatusCode::OK => Ok(true),
            StatusCode::NOT_FOUND => Ok(false),
            _ => Err(failure(resp, "HEAD blob").await),
        }
    }

    /// Uploads a tiny blob with `POST ?digest=` and its body: whether the server completes it
    /// (201) or opens a session instead (202, as Distribution 2.8 does), which is then
    /// cancelled. Untimed; run once per registry.
    pub async fn supports_single_post(&self, repo: &str, blob: &Blob) -> anyhow::Result<bool> {
        let resp = self.post_whole(repo, blob).await?;
        match resp.status() {
            StatusCode::CREATED => Ok(true),
            StatusCode::ACCEPTED => {
                let url = location(&resp)?;
                let _ = self.http.delete(url).send().await;
                Ok(false)
            }
            _ => Err(failure(resp, "POST blob upload").await),
        }
    }

    async fn post_whole(&self, repo: &str, blob: &Blob) -> anyhow::Result<Response> {
        let mut url = self.url(&format!("/v2/{repo}/blobs/uploads/"))?;
        url.query_pairs_mut().append_pair("digest", &blob.digest);
        Ok(self
            .http
            .post(url)
            .header(CONTENT_TYPE, OCTET_STREAM)
            .body(blob.data.clone())
            .send()
            .await?)
    }

    /// `POST` of an empty body: a new upload session, as the URL to send to.
    async fn open_session(&self, repo: &str) -> anyhow::Result<Url> {
        let resp = self
            .http
            .post(self.url(&format!("/v2/{repo}/blobs/uploads/"))?)
            .header(CONTENT_LENGTH, 0)
            .send()
            .await?;
        let resp = expect(resp, StatusCode::ACCEPTED, "POST upload session").await?;
        location(&resp)
    }

    /// A whole blob with its body sent once: `POST ?digest=` with the body where the server
    /// supports it, else `POST` for a session and `PUT <location>?digest=` with the body.
    pub async fn upload_monolithic(&self, repo: &str, blob: &Blob) -> anyhow::Result<Monolithic> {
        let mut url = if self.single_post {
            let resp = self.post_whole(repo, blob).await?;
            match resp.status() {
                StatusCode::CREATED => return Ok(Monolithic::SinglePost),
                // Not expected after the probe; the body is sent again below.
                StatusCode::ACCEPTED => location(&resp)?,
                _ => return Err(failure(resp, "POST blob upload").await),
            }
        } else {
            self.open_session(repo).await?
        };
        url.query_pairs_mut().append_pair("digest", &blob.digest);
        let resp = self
            .http
            .put(url)
            .header(CONTENT_TYPE, OCTET_STREAM)
            .body(blob.data.clone())
            .send()
            .await?;
        expect(resp, StatusCode::CREATED, "PUT blob upload").await?;
        Ok(Monolithic::PostThenPut)
    }

    /// A blob in chunks: `POST` a session, `PATCH` each chunk with its `Content-Range`,
    /// `PUT ?digest=` with no body.
    pub async fn upload_chunked(
        &self,
        repo: &str,
        blob: &Blob,
        chunk: usize,
    ) -> anyhow::Result<()> {
        let mut url = self.open_session(repo).await?;
        let len = blob.len();
        let mut offset = 0;
        while offset < len {
            let end = (offset + chunk.max(1)).min(len);
            let resp = self
                .http
                .patch(url)
                .header(CONTENT_TYPE, OCTET_STREAM)
                .header(CONTENT_RANGE, format!("{offset}-{}", end - 1))
                .body(blob.data.slice(offset..end))
                .send()
                .await?;
            let resp = expect(resp, StatusCode::ACCEPTED, "PATCH chunk").await?;
            url = location(&resp)?;
            offset = end;
        }
        url.query_pairs_mut().append_pair("digest", &blob.digest);
        let resp = self.http.put(url).header(CONTENT_LENGTH, 0).send().await?;
        expect(resp, StatusCode::CREATED, "PUT upload complete").await?;
        Ok(())
    }

    /// A plain GET, answer unchecked.
    pub async fn get(&self, url: Url) -> anyhow::Result<Response> {
        Ok(self.http.get(url).send().await?)
    }

    /// `PUT /v2/<repo>/manifests/<reference>`.
    pub async fn put_manifest(
        &self,
        repo: &str,
        reference: &str,
        media_type: &str,
        body: Bytes,
    ) -> anyhow::Result<()> {
        let resp = self
            .http
            .put(self.manifest_url(repo, reference)?)
            .header(CONTENT_TYPE, media_type)
            .body(body)
            .send()
            .await?;
        expect(resp, StatusCode::CREATED, "PUT manifest").await?;
        Ok(())
    }

    /// Sends `method url` (with the manifest `Accept` when `accept`), expects 200 and reads
    /// the body to its end without keeping it. Returns how many body bytes came.
    pub async fn fetch_to_end(
        &self,
        method: Method,
        url: Url,
        accept: bool,
    ) -> anyhow::Result<u64> {
        let mut req = self.http.request(method, url);
        if accept {
            req = req.header(ACCEPT, HeaderValue::from_static(MANIFEST_ACCEPT));
        }
        let mut resp = expect(req.send().await?, StatusCode::OK, "GET").await?;
        let mut n = 0u64;
        while let Some(chunk) = resp.chunk().await? {
            n += chunk.len() as u64;
        }
        Ok(n)
    }

    /// A listing (`tags/list`, `_catalog`) from `first`, following `Link: <...>; rel="next"`
    /// to the end. Returns each page's body, unparsed.
    pub async fn list_pages(&self, first: Url) -> anyhow::Result<Vec<Bytes>> {
        let mut pages = Vec::new();
        let mut next = Some(first);
        while let Some(url) = next.take() {
            if pages.len() >= MAX_PAGES {
                bail!("listing has more than {MAX_PAGES} pages");
            }
            let resp = expect(self.http.get(url).send().await?, StatusCode::OK, "list").await?;
            next = next_link(&resp)?;
            pages.push(resp.bytes().await?);
        }
        Ok(pages)
    }
}

/// The `Location` of a response, resolved against the request URL.
fn location(resp: &Response) -> anyhow::Result<Url> {
    let raw = resp
        .headers()
        .get(LOCATION)
        .context("response has no Location")?
        .to_str()?;
    Ok(resp.url().join(raw)?)
}

/// The target of `Link: <...>; rel="next"`, if any.
fn next_link(resp: &Response) -> anyhow::Result<Option<Url>> {
    let Some(link) = resp.headers().get(LINK) else {
        return Ok(None);
    };
    let link = link.to_str()?;
    if !link.contains("rel=\"next\"") && !link.contains("rel=next") {
        return Ok(None);
    }
    let (Some(start), Some(end)) = (link.find('<'), link.find('>')) else {
        bail!("malformed Link header: {link}");
    };
    Ok(Some(resp.url().join(&link[start + 1..end])?))
}

async fn expect(resp: Response, status: StatusCode, what: &str) -> anyhow::Result<Response> {
    if resp.status() == status {
        Ok(resp)
    } else {
        Err(failure(resp, what).await)
    }
}

/// An error naming the request, the status and the start of the body.
async fn failure(resp: Response, what: &str) -> anyhow::Error {
    let status = resp.status();
    let url = resp.url().clone();
    let body = resp.text().await.unwrap_or_default();
    let body: String = body.chars().take(300).collect();
    anyhow::anyhow!("{what} {url}: unexpected {status}: {body}")
}
