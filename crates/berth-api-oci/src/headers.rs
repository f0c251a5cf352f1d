//! Header names and the parsing of the `Range` family of headers.

use axum::response::Response;
use berth_core::{ContentRange, RangeRequest};
use http::{HeaderMap, HeaderValue};

pub const DOCKER_CONTENT_DIGEST: &str = "docker-content-digest";
pub const DOCKER_UPLOAD_UUID: &str = "docker-upload-uuid";
pub const OCI_SUBJECT: &str = "oci-subject";
pub const OCI_FILTERS_APPLIED: &str = "oci-filters-applied";
pub const API_VERSION: &str = "docker-distribution-api-version";

/// Adds `Docker-Distribution-API-Version` to every `/v2` response.
pub async fn api_version(mut res: Response) -> Response {
    res.headers_mut()
        .insert(API_VERSION, HeaderValue::from_static("registry/2.0"));
    res
}

/// The `Range` value that reports an upload's progress: `0-<last byte>`.
pub fn progress(size: u64) -> String {
    format!("0-{}", size.saturating_sub(1))
}

/// Parses a chunk's `Content-Range: <start>-<end>` (a `bytes ` prefix is tolerated).
/// `Ok(None)` when absent.
pub fn content_range(headers: &HeaderMap) -> Result<Option<ContentRange>, ()> {
    let Some(v) = headers.get(http::header::CONTENT_RANGE) else {
        return Ok(None);
    };
    let s = v.to_str().map_err(|_| ())?.trim();
    let s = s.strip_prefix("bytes ").unwrap_or(s);
    let s = s.split('/').next().unwrap_or(s);
    let (a, b) = s.split_once('-').ok_or(())?;
    let start = a.trim().parse().map_err(|_| ())?;
    let end = b.trim().parse().map_err(|_| ())?;
    Ok(Some(ContentRange { start, end }))
}

/// Parses a blob GET's `Range: bytes=<start>-[<end>]` or `bytes=-<n>`. Multiple ranges
/// are not supported and read as absent, so the whole blob is served, as RFC 9110 allows.
pub fn byte_range(headers: &HeaderMap) -> Option<RangeRequest> {
    let s = headers.get(http::header::RANGE)?.to_str().ok()?;
    let spec = s.trim().strip_prefix("bytes=")?;
    if spec.contains(',') {
        return None;
    }
    let (a, b) = spec.split_once('-')?;
    if a.trim().is_empty() {
        return b.trim().parse().ok().map(RangeRequest::Suffix);
    }
    let start = a.trim().parse().ok()?;
    let end = if b.trim().is_empty() {
        None
    } else {
        Some(b.trim().parse().ok()?)
    };
    Some(RangeRequest::From { start, end })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(name: http::HeaderName, v: &'static str) -> HeaderMap {
        let mut m = HeaderMap::new();
        m.insert(name, HeaderValue::from_static(v));
        m
    }

    #[test]
    fn parses_content_range() {
        let r = content_range(&h(http::header::CONTENT_RANGE, "0-99")).expect("ok");
        assert_eq!(r, Some(ContentRange { start: 0, end: 99 }));
        let r = content_range(&h(http::header::CONTENT_RANGE, "bytes 10-19/*")).expect("ok");
        assert_eq!(r, Some(ContentRange { start: 10, end: 19 }));
        assert!(content_range(&h(http::header::CONTENT_RANGE, "x")).is_err());
        assert_eq!(content_range(&HeaderMap::new()), Ok(None));
    }

    #[test]
    fn parses_byte_range() {
        let from = |start, end| Some(RangeRequest::From { start, end });
        assert_eq!(
            byte_range(&h(http::header::RANGE, "bytes=0-9")),
            from(0, Some(9))
        );
        assert_eq!(
            byte_range(&h(http::header::RANGE, "bytes=5-")),
            from(5, None)
        );
        assert_eq!(
            byte_range(&h(http::header::RANGE, "bytes=-5")),
            Some(RangeRequest::Suffix(5))
        );
        assert_eq!(byte_range(&h(http::header::RANGE, "bytes=0-1,3-4")), None);
    }
}
