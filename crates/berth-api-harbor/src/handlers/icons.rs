//! Artifact icons: one per artifact type, named by the digest of its content, served by
//! `GET /icons/{digest}` as Harbor's `Icon` (`content-type` and base64 `content`).

use std::sync::OnceLock;

use crate::models::{Errors, Icon};
use axum::extract::Path;
use axum::response::Response;
use base64::Engine as _;
use berth_types::{Algorithm, Digest};
use http::StatusCode;

use super::json;
use crate::ApiError;

const SVG: &str = "image/svg+xml";

struct IconFile {
    kind: &'static str,
    digest: String,
    content: &'static [u8],
}

fn icons() -> &'static [IconFile] {
    static ICONS: OnceLock<Vec<IconFile>> = OnceLock::new();
    ICONS.get_or_init(|| {
        let files: [(&str, &[u8]); 4] = [
            ("IMAGE", include_bytes!("../icons/image.svg")),
            ("CHART", include_bytes!("../icons/chart.svg")),
            ("CNAB", include_bytes!("../icons/cnab.svg")),
            ("UNKNOWN", include_bytes!("../icons/unknown.svg")),
        ];
        files
            .into_iter()
            .map(|(kind, content)| IconFile {
                kind,
                digest: Digest::of(Algorithm::Sha256, content).to_string(),
                content,
            })
            .collect()
    })
}

/// The icon digest an artifact of `kind` shows.
pub(crate) fn icon_for(kind: &str) -> &'static str {
    let all = icons();
    all.iter()
        .find(|i| i.kind == kind)
        .or_else(|| all.iter().find(|i| i.kind == "UNKNOWN"))
        .map_or("", |i| i.digest.as_str())
}

/// `GET /icons/{digest}`.
#[utoipa::path(get, path = "/api/v2.0/icons/{digest}", tag = "icon", operation_id = "getIcon",
    params(("digest" = String, Path)),
    responses((status = 200, body = Icon), (status = 400, body = Errors), (status = 404, body = Errors)))]
pub(crate) async fn get(Path(digest): Path<String>) -> Result<Response, ApiError> {
    if digest.parse::<Digest>().is_err() {
        return Err(ApiError::bad_request(format!("invalid digest {digest}")));
    }
    let icon = icons()
        .iter()
        .find(|i| i.digest == digest)
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "NOT_FOUND", "no such icon"))?;
    let content = base64::engine::general_purpose::STANDARD.encode(icon.content);
    Ok(json(&Icon {
        content_type: SVG.to_owned(),
        content,
    }))
}
