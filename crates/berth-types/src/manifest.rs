//! Parsing of manifest bodies into the facts the registry records: which blobs a manifest
//! needs, which manifests an index names, its subject and its artifact type.
//!
//! The registry keeps the bytes exactly as pushed; this parse only reads them. Unknown
//! fields are ignored, unknown media types are accepted.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::{Digest, ParseError, media_type};

/// Largest manifest body accepted, in bytes.
pub const MAX_MANIFEST_BYTES: usize = 4 * 1024 * 1024;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawDescriptor {
    media_type: Option<String>,
    digest: String,
    size: i64,
    artifact_type: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawManifest {
    schema_version: Option<i64>,
    media_type: Option<String>,
    artifact_type: Option<String>,
    config: Option<RawDescriptor>,
    layers: Option<Vec<RawDescriptor>>,
    manifests: Option<Vec<RawDescriptor>>,
    subject: Option<RawDescriptor>,
    annotations: Option<BTreeMap<String, String>>,
}

/// A content descriptor named by a manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Descriptor {
    pub media_type: String,
    pub digest: Digest,
    pub size: i64,
    pub artifact_type: Option<String>,
}

/// What kind of document a manifest is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ManifestKind {
    /// Config plus layers: every distributable blob must be in the repository.
    Image,
    /// A list of manifests, which need not (yet) be present.
    Index,
}

/// The facts of a manifest that the registry records.
#[derive(Debug, Clone)]
pub struct ParsedManifest {
    pub media_type: String,
    pub kind: ManifestKind,
    pub config: Option<Descriptor>,
    pub layers: Vec<Descriptor>,
    pub manifests: Vec<Descriptor>,
    pub subject: Option<Descriptor>,
    /// The artifact type a referrers listing reports: `artifactType`, else, for an image
    /// manifest, the config's media type.
    pub artifact_type: Option<String>,
    /// The top-level annotations, re-encoded as JSON, for referrers listings.
    pub annotations_json: Option<String>,
}

impl ParsedManifest {
    /// Blobs that must already be in the repository for this manifest to be accepted.
    pub fn required_blobs(&self) -> impl Iterator<Item = &Digest> {
        self.config
            .iter()
            .chain(
                self.layers
                    .iter()
                    .filter(|l| !media_type::is_non_distributable(&l.media_type)),
            )
            .map(|d| &d.digest)
    }
}

fn invalid(msg: impl Into<String>) -> ParseError {
    ParseError::Manifest(msg.into())
}

fn descriptor(raw: RawDescriptor, field: &str) -> Result<Descriptor, ParseError> {
    let digest: Digest = raw
        .digest
        .parse()
        .map_err(|e| invalid(format!("{field}: {e}")))?;
    if raw.size < 0 {
        return Err(invalid(format!("{field}: negative size")));
    }
    Ok(Descriptor {
        media_type: raw.media_type.unwrap_or_default(),
        digest,
        size: raw.size,
        artifact_type: raw.artifact_type,
    })
}

/// Parses a manifest body. `content_type` is the request's `Content-Type`, which names the
/// media type when the body has no `mediaType` field (umoci writes such manifests).
pub fn parse(body: &[u8], content_type: Option<&str>) -> Result<ParsedManifest, ParseError> {
    let raw: RawManifest =
        serde_json::from_slice(body).map_err(|e| invalid(format!("not a JSON manifest: {e}")))?;
    if raw.schema_version != Some(2) {
        return Err(invalid("schemaVersion must be 2"));
    }
    let header = content_type
        .map(|c| c.split(';').next().unwrap_or("").trim())
        .filter(|c| !c.is_empty() && *c != "application/octet-stream" && *c != "application/json");
    let media_type = match (raw.media_type.as_deref(), header) {
        (Some(body_mt), Some(h)) if body_mt != h => {
            return Err(invalid(format!(
                "mediaType {body_mt} does not match Content-Type {h}"
            )));
        }
        (Some(mt), _) | (None, Some(mt)) => mt.to_owned(),
        (None, None) if raw.manifests.is_some() => media_type::OCI_INDEX.to_owned(),
        (None, None) => media_type::OCI_MANIFEST.to_owned(),
    };
    if !media_type::is_valid(&media_type) {
        return Err(invalid("mediaType is not a valid media type"));
    }
    let kind = if media_type::is_index(&media_type) {
        ManifestKind::Index
    } else if media_type::is_image_manifest(&media_type) {
        ManifestKind::Image
    } else if raw.manifests.is_some() && raw.config.is_none() {
        ManifestKind::Index
    } else {
        ManifestKind::Image
    };

    let config = raw.config.map(|c| descriptor(c, "config")).transpose()?;
    let layers = raw
        .layers
        .unwrap_or_default()
        .into_iter()
        .map(|l| descriptor(l, "layers"))
        .collect::<Result<Vec<_>, _>>()?;
    let manifests = raw
        .manifests
        .unwrap_or_default()
        .into_iter()
        .map(|m| descriptor(m, "manifests"))
        .collect::<Result<Vec<_>, _>>()?;
    match kind {
        ManifestKind::Image if media_type::is_image_manifest(&media_type) && config.is_none() => {
            return Err(invalid("an image manifest needs a config descriptor"));
        }
        ManifestKind::Index if !layers.is_empty() || config.is_some() => {
            return Err(invalid("an index has no config or layers"));
        }
        _ => {}
    }
    let subject = raw.subject.map(|s| descriptor(s, "subject")).transpose()?;
    let artifact_type = raw.artifact_type.or_else(|| match kind {
        ManifestKind::Image => config.as_ref().map(|c| c.media_type.clone()),
        ManifestKind::Index => None,
    });
    let annotations_json = raw
        .annotations
        .filter(|a| !a.is_empty())
        .and_then(|a| serde_json::to_string(&a).ok());
    Ok(ParsedManifest {
        media_type,
        kind,
        config,
        layers,
        manifests,
        subject,
        artifact_type,
        annotations_json,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(c: char) -> String {
        format!("sha256:{}", c.to_string().repeat(64))
    }

    #[test]
    fn image_without_media_type_takes_it_from_content_type() {
        let body = format!(
            r#"{{"schemaVersion":2,"config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{}","size":2}},"layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"{}","size":3}}]}}"#,
            d('a'),
            d('b')
        );
        let m = parse(body.as_bytes(), Some(media_type::OCI_MANIFEST)).expect("valid");
        assert_eq!(m.media_type, media_type::OCI_MANIFEST);
        assert_eq!(m.kind, ManifestKind::Image);
        assert_eq!(m.required_blobs().count(), 2);
        assert_eq!(
            m.artifact_type.as_deref(),
            Some("application/vnd.oci.image.config.v1+json")
        );
    }

    #[test]
    fn media_type_mismatch_is_invalid() {
        let body = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}"#;
        assert!(parse(body, Some(media_type::OCI_MANIFEST)).is_err());
        let m = parse(body, Some(media_type::OCI_INDEX)).expect("valid");
        assert_eq!(m.kind, ManifestKind::Index);
    }

    #[test]
    fn non_distributable_layers_are_not_required() {
        let body = format!(
            r#"{{"schemaVersion":2,"mediaType":"{}","config":{{"mediaType":"x","digest":"{}","size":2}},"layers":[{{"mediaType":"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip","digest":"{}","size":3,"urls":["https://x"]}}]}}"#,
            media_type::OCI_MANIFEST,
            d('a'),
            d('b')
        );
        let m = parse(body.as_bytes(), None).expect("valid");
        assert_eq!(m.required_blobs().count(), 1);
    }

    #[test]
    fn rejects_garbage() {
        assert!(parse(b"not json", None).is_err());
        assert!(parse(br#"{"schemaVersion":1}"#, None).is_err());
        let bad_digest = br#"{"schemaVersion":2,"config":{"mediaType":"x","digest":"sha256:zz","size":1},"layers":[]}"#;
        assert!(parse(bad_digest, None).is_err());
    }

    #[test]
    fn subject_and_artifact_type() {
        let body = format!(
            r#"{{"schemaVersion":2,"mediaType":"{}","artifactType":"application/x-sig","config":{{"mediaType":"{}","digest":"{}","size":2}},"layers":[],"subject":{{"mediaType":"{}","digest":"{}","size":9}},"annotations":{{"k":"v"}}}}"#,
            media_type::OCI_MANIFEST,
            media_type::OCI_EMPTY,
            d('a'),
            media_type::OCI_MANIFEST,
            d('c')
        );
        let m = parse(body.as_bytes(), None).expect("valid");
        assert_eq!(m.artifact_type.as_deref(), Some("application/x-sig"));
        assert_eq!(m.subject.map(|s| s.digest.to_string()), Some(d('c')));
        assert_eq!(m.annotations_json.as_deref(), Some(r#"{"k":"v"}"#));
    }
}
