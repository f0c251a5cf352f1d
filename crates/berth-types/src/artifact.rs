//! Harbor's view of a manifest as an artifact: its type (IMAGE, CHART, ...), whether it is an
//! accessory of another artifact (a signature, an SBOM, a referrer), the facts its config
//! holds, and the children an index names with their platforms.

use serde_json::{Map, Value};

use crate::Digest;
use crate::manifest::{ManifestKind, ParsedManifest};

pub const HELM_CONFIG: &str = "application/vnd.cncf.helm.config.v1+json";
const COSIGN_SIMPLESIGNING: &str = "application/vnd.dev.cosign.simplesigning.v1+json";
const COSIGN_ARTIFACT_SIG: &str = "application/vnd.dev.cosign.artifact.sig.v1+json";
const SIGSTORE_BUNDLE: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";
const NOTATION_SIGNATURE: &str = "application/vnd.cncf.notary.signature";
const HARBOR_SBOM: &str = "application/vnd.goharbor.harbor.sbom.v1";

/// Harbor's `media_type` of an artifact: the config's media type for a manifest with a
/// config, else the manifest's own.
pub fn artifact_media_type(parsed: &ParsedManifest) -> String {
    match (&parsed.kind, &parsed.config) {
        (ManifestKind::Image, Some(config)) => config.media_type.clone(),
        _ => parsed.media_type.clone(),
    }
}

/// Harbor's artifact `type`, from the artifact's media type (see [`artifact_media_type`])
/// and artifact type.
pub fn artifact_kind(manifest_media_type: &str, media_type: &str, artifact_type: &str) -> String {
    let image = [
        "application/vnd.oci.image.config.v1+json",
        "application/vnd.docker.container.image.v1+json",
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.docker.distribution.manifest.v1+prettyjws",
        "application/vnd.docker.distribution.manifest.v1+json",
    ];
    let known = |t: &str| match t {
        HELM_CONFIG => Some("CHART"),
        "application/vnd.cnab.manifest.v1" | "application/vnd.cnab.config.v1+json" => Some("CNAB"),
        "application/vnd.wasm.config.v1+json" => Some("WASM"),
        HARBOR_SBOM => Some("SBOM"),
        "application/vnd.cncf.model.manifest.v1+json" => Some("CNAI"),
        t if image.contains(&t) => Some("IMAGE"),
        _ => None,
    };
    if let Some(kind) = known(artifact_type)
        .or_else(|| known(media_type))
        .or_else(|| known(manifest_media_type))
    {
        return kind.to_owned();
    }
    // `application/vnd.<vendor>.<name>.config.<version>+json` names its own type.
    for t in [artifact_type, media_type] {
        if let Some(rest) = t.strip_prefix("application/vnd.") {
            let parts: Vec<&str> = rest.split('.').collect();
            if let Some(pos) = parts.iter().position(|p| *p == "config")
                && pos >= 2
                && t.ends_with("+json")
            {
                return parts[pos - 1].to_uppercase();
            }
        }
    }
    "UNKNOWN".to_owned()
}

/// What an accessory is, and the digest of the artifact it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accessory {
    pub kind: &'static str,
    pub subject: Digest,
}

/// Whether a manifest pushed (under `tag`, if any) is an accessory: a manifest with a
/// `subject`, or a cosign signature stored by cosign's tag scheme (`sha256-<hex>.sig`).
pub fn accessory_of(parsed: &ParsedManifest, tag: Option<&str>) -> Option<Accessory> {
    let config_type = parsed.config.as_ref().map(|c| c.media_type.as_str());
    let types = [parsed.artifact_type.as_deref(), config_type];
    let has = |wanted: &[&str]| types.iter().flatten().any(|t| wanted.contains(t));
    if let Some(subject) = &parsed.subject {
        let kind = if has(&[COSIGN_ARTIFACT_SIG, SIGSTORE_BUNDLE]) {
            "signature.cosign"
        } else if has(&[NOTATION_SIGNATURE]) {
            "signature.notation"
        } else if has(&[HARBOR_SBOM]) {
            "sbom.harbor"
        } else {
            "subject.accessory"
        };
        return Some(Accessory {
            kind,
            subject: subject.digest.clone(),
        });
    }
    let hex = tag?.strip_prefix("sha256-")?.strip_suffix(".sig")?;
    let subject: Digest = format!("sha256:{hex}").parse().ok()?;
    parsed
        .layers
        .iter()
        .any(|l| l.media_type == COSIGN_SIMPLESIGNING)
        .then_some(Accessory {
            kind: "signature.cosign",
            subject,
        })
}

/// Harbor's `extra_attrs` from a config blob: for images the platform, creation time,
/// author and runtime config; for charts the chart's metadata; nothing for other types.
pub fn extra_attrs(media_type: &str, config: &[u8]) -> Option<Value> {
    let doc: Map<String, Value> = serde_json::from_slice(config).ok()?;
    match media_type {
        HELM_CONFIG => Some(Value::Object(doc)),
        "application/vnd.oci.image.config.v1+json"
        | "application/vnd.docker.container.image.v1+json" => {
            let picked: Map<String, Value> = ["architecture", "os", "config", "created", "author"]
                .iter()
                .filter_map(|k| doc.get(*k).map(|v| ((*k).to_owned(), v.clone())))
                .collect();
            Some(Value::Object(picked))
        }
        _ => None,
    }
}

/// The image config's `history`, Harbor's `build_history` addition.
pub fn build_history(config: &[u8]) -> Value {
    serde_json::from_slice::<Map<String, Value>>(config)
        .ok()
        .and_then(|mut doc| doc.remove("history"))
        .unwrap_or(Value::Array(Vec::new()))
}

/// A child an index names, with its platform and annotations.
#[derive(Debug, Clone)]
pub struct IndexChild {
    pub digest: Digest,
    pub platform: Option<Value>,
    pub annotations: Option<Value>,
    pub urls: Option<Value>,
}

/// The children of an index body (empty for anything else).
pub fn index_children(body: &[u8]) -> Vec<IndexChild> {
    let Ok(doc) = serde_json::from_slice::<Map<String, Value>>(body) else {
        return Vec::new();
    };
    let Some(Value::Array(list)) = doc.get("manifests") else {
        return Vec::new();
    };
    list.iter()
        .filter_map(|m| {
            let digest = m.get("digest")?.as_str()?.parse().ok()?;
            Some(IndexChild {
                digest,
                platform: m.get("platform").cloned(),
                annotations: m.get("annotations").cloned(),
                urls: m.get("urls").cloned(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_follow_harbors_processors() {
        let oci = "application/vnd.oci.image.manifest.v1+json";
        assert_eq!(
            artifact_kind(oci, "application/vnd.oci.image.config.v1+json", ""),
            "IMAGE"
        );
        assert_eq!(artifact_kind(oci, HELM_CONFIG, HELM_CONFIG), "CHART");
        assert_eq!(
            artifact_kind("application/vnd.oci.image.index.v1+json", "", ""),
            "IMAGE"
        );
        assert_eq!(
            artifact_kind(oci, "application/vnd.acme.rocket.config.v1+json", ""),
            "ROCKET"
        );
        assert_eq!(
            artifact_kind(oci, "application/octet-stream", ""),
            "UNKNOWN"
        );
    }

    #[test]
    fn cosign_tag_scheme_names_the_subject() {
        let hex = "a".repeat(64);
        let body = format!(
            r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
            "config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:{hex}","size":2}},
            "layers":[{{"mediaType":"{COSIGN_SIMPLESIGNING}","digest":"sha256:{hex}","size":3}}]}}"#
        );
        let parsed = crate::manifest::parse(body.as_bytes(), None).unwrap();
        let tag = format!("sha256-{hex}.sig");
        let acc = accessory_of(&parsed, Some(&tag)).unwrap();
        assert_eq!(acc.kind, "signature.cosign");
        assert_eq!(acc.subject.to_string(), format!("sha256:{hex}"));
        assert!(accessory_of(&parsed, Some("latest")).is_none());
    }
}
