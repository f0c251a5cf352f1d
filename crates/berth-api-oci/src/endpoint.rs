//! Parsing of `/v2/<name>/...` paths into endpoints.
//!
//! Names contain slashes and may even contain `blobs` or `manifests` as components, so the
//! path is read from its end: the suffix decides the endpoint, the rest is the name.

use berth_types::RepoName;

use crate::OciError;

/// What a `/v2/<name>/...` path addresses. Digests, tags and ids stay raw here: how an
/// invalid one is reported depends on the method.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    Manifest { name: RepoName, reference: String },
    Blob { name: RepoName, digest: String },
    UploadStart { name: RepoName },
    Upload { name: RepoName, id: String },
    Tags { name: RepoName },
    Referrers { name: RepoName, digest: String },
}

fn name(raw: &str) -> Result<RepoName, OciError> {
    raw.parse().map_err(|_| OciError::name_invalid(raw))
}

/// Parses the part of the path after `/v2/`.
pub fn parse(rest: &str) -> Result<Endpoint, OciError> {
    if let Some(n) = rest.strip_suffix("/tags/list") {
        return Ok(Endpoint::Tags { name: name(n)? });
    }
    if let Some(n) = rest
        .strip_suffix("/blobs/uploads/")
        .or_else(|| rest.strip_suffix("/blobs/uploads"))
    {
        return Ok(Endpoint::UploadStart { name: name(n)? });
    }
    let (head, last) = rest.rsplit_once('/').ok_or_else(OciError::not_found)?;
    let (n, kind) = head.rsplit_once('/').ok_or_else(OciError::not_found)?;
    match kind {
        "manifests" => Ok(Endpoint::Manifest {
            name: name(n)?,
            reference: last.to_owned(),
        }),
        "blobs" => Ok(Endpoint::Blob {
            name: name(n)?,
            digest: last.to_owned(),
        }),
        "referrers" => Ok(Endpoint::Referrers {
            name: name(n)?,
            digest: last.to_owned(),
        }),
        "uploads" => {
            let n = n.strip_suffix("/blobs").ok_or_else(OciError::not_found)?;
            Ok(Endpoint::Upload {
                name: name(n)?,
                id: last.to_owned(),
            })
        }
        _ => Err(OciError::not_found()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> RepoName {
        s.parse().expect("valid name")
    }

    #[test]
    fn parses_every_endpoint() {
        assert_eq!(
            parse("a/b/manifests/latest").ok(),
            Some(Endpoint::Manifest {
                name: n("a/b"),
                reference: "latest".into()
            })
        );
        assert_eq!(
            parse("a/blobs/sha256:x").ok(),
            Some(Endpoint::Blob {
                name: n("a"),
                digest: "sha256:x".into()
            })
        );
        assert_eq!(
            parse("a/b/blobs/uploads/").ok(),
            Some(Endpoint::UploadStart { name: n("a/b") })
        );
        assert_eq!(
            parse("a/blobs/uploads/123").ok(),
            Some(Endpoint::Upload {
                name: n("a"),
                id: "123".into()
            })
        );
        assert_eq!(
            parse("x/tags/list").ok(),
            Some(Endpoint::Tags { name: n("x") })
        );
        assert_eq!(
            parse("x/y/referrers/sha256:1").ok(),
            Some(Endpoint::Referrers {
                name: n("x/y"),
                digest: "sha256:1".into()
            })
        );
    }

    #[test]
    fn names_may_contain_endpoint_words() {
        assert_eq!(
            parse("blobs/manifests/manifests/v1").ok(),
            Some(Endpoint::Manifest {
                name: n("blobs/manifests"),
                reference: "v1".into()
            })
        );
    }

    #[test]
    fn rejects_bad_names_and_unknown_paths() {
        assert!(parse("../etc/manifests/x").is_err());
        assert!(parse("UPPER/manifests/x").is_err());
        assert!(parse("a/unknown/x").is_err());
        assert!(parse("nothing").is_err());
    }
}
