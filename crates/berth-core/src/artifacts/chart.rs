//! Helm chart additions: the chart's `values.yaml` and `README.md`, read from the chart
//! archive (its only layer), and its dependencies, read from the chart metadata (its config).

use std::io::Read;

use berth_auth::Identity;
use berth_auth::rbac::{ProjectResource, Verb};
use berth_types::artifact::{HELM_CONFIG, artifact_kind};

use super::{ArtifactAt, Artifacts, Located};
use crate::CoreError;

const HELM_CHART_LAYER: &str = "application/vnd.cncf.helm.chart.content.v1.tar+gzip";
/// The largest chart archive read, and the largest file taken from one.
const MAX_CHART_BYTES: usize = 16 << 20;
const MAX_FILE_BYTES: u64 = 4 << 20;
const MAX_INFLATED_BYTES: u64 = 64 << 20;

/// An addition of an artifact: its body and content type.
#[derive(Debug, Clone)]
pub struct Addition {
    pub content_type: &'static str,
    pub body: Vec<u8>,
}

/// The file `name` (compared case-insensitively) at the top of the chart folder of a chart
/// archive: `mychart/values.yaml`, not a subchart's `mychart/charts/x/values.yaml`.
fn chart_file(archive: &[u8], name: &str) -> Option<Vec<u8>> {
    // A cap on what is decompressed: a small archive cannot make us inflate gigabytes.
    let gz = flate2::read::GzDecoder::new(archive).take(MAX_INFLATED_BYTES);
    let mut tar = tar::Archive::new(gz);
    for entry in tar.entries().ok()? {
        let mut entry = entry.ok()?;
        let path = entry.path().ok()?.to_string_lossy().into_owned();
        let parts: Vec<&str> = path.trim_start_matches("./").split('/').collect();
        if parts.len() == 2 && parts[1].eq_ignore_ascii_case(name) {
            if entry.size() > MAX_FILE_BYTES {
                return None;
            }
            let mut out = Vec::new();
            entry.read_to_end(&mut out).ok()?;
            return Some(out);
        }
    }
    None
}

impl Artifacts {
    /// A chart's `values.yaml`, `readme.md` or `dependencies`.
    pub async fn chart_addition(
        &self,
        who: &Identity,
        at: &ArtifactAt,
        addition: &str,
    ) -> Result<Addition, CoreError> {
        let Located { row, .. } = self
            .locate(who, at, ProjectResource::ArtifactAddition, Verb::Read)
            .await?;
        let kind = artifact_kind(
            &row.manifest_media_type,
            &row.media_type,
            row.artifact_type.as_deref().unwrap_or(""),
        );
        let missing = || CoreError::NotFound(format!("addition {addition} not found"));
        if kind != "CHART" || row.media_type != HELM_CONFIG {
            return Err(missing());
        }
        if addition == "dependencies" {
            let deps = row
                .extra_attrs
                .as_deref()
                .and_then(|t| serde_json::from_str::<serde_json::Value>(t).ok())
                .and_then(|v| v.get("dependencies").cloned())
                .unwrap_or_else(|| serde_json::json!([]));
            return Ok(Addition {
                content_type: "application/json; charset=utf-8",
                body: deps.to_string().into_bytes(),
            });
        }
        let (file, content_type) = match addition {
            "values.yaml" => ("values.yaml", "text/plain; charset=utf-8"),
            "readme.md" => ("README.md", "text/markdown; charset=utf-8"),
            _ => return Err(missing()),
        };
        let parsed = berth_types::manifest::parse(&row.content, Some(&row.manifest_media_type))
            .map_err(|e| CoreError::Internal(e.to_string()))?;
        let layer = parsed
            .layers
            .iter()
            .find(|l| l.media_type == HELM_CHART_LAYER)
            .ok_or_else(missing)?;
        let archive = self
            .registry
            .blob_bytes(&layer.digest, MAX_CHART_BYTES)
            .await
            .ok_or_else(missing)?;
        let body = tokio::task::spawn_blocking(move || chart_file(&archive, file))
            .await
            .map_err(|e| CoreError::Internal(format!("reading the chart: {e}")))?
            .ok_or_else(missing)?;
        Ok(Addition { content_type, body })
    }
}
