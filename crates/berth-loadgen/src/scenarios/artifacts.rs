//! Harbor's artifact listing (berth and Harbor only): a repository of many artifacts, each
//! tagged; timed: one page of 100 artifacts with their tags, first page and a middle one,
//! through `GET /api/v2.0/projects/<p>/repositories/<r>/artifacts`.

use std::time::Instant;

use bytes::Bytes;
use reqwest::StatusCode;

use crate::client::OCI_MANIFEST;
use crate::image;
use crate::probe::Probe;
use crate::report::Measurement;
use crate::scenarios::{Ctx, concurrently};
use crate::stats::median;

const PAGE_SIZE: usize = 100;

/// The image manifest with one more annotation: a distinct artifact on the same blobs.
fn variant(manifest: &Bytes, i: usize) -> anyhow::Result<Bytes> {
    let mut doc: serde_json::Value = serde_json::from_slice(manifest)?;
    doc["annotations"] = serde_json::json!({ "bench.artifact": i.to_string() });
    Ok(Bytes::from(doc.to_string()))
}

pub async fn run(ctx: &mut Ctx) -> anyhow::Result<Vec<Measurement>> {
    let s = ctx.settings.clone();
    let repo = ctx.repo("artifacts");
    let (project, name) = repo
        .split_once('/')
        .ok_or_else(|| anyhow::anyhow!("repository {repo} has no project"))?;
    let api = ctx.reg.url(&format!(
        "/api/v2.0/projects/{project}/repositories/{}/artifacts",
        name.replace('/', "%252F")
    ))?;
    let image = image::build(&mut ctx.rng, 1, s.push_layers, s.push_layer_bytes)
        .pop()
        .ok_or_else(|| anyhow::anyhow!("no image built"))?;
    image::push(&ctx.reg, &repo, &image, "latest", false).await?;
    if ctx.reg.get(api.clone()).await?.status() != StatusCode::OK {
        eprintln!("artifacts: no Harbor API at this URL, skipped");
        return Ok(Vec::new());
    }
    let count = s.artifacts;
    eprintln!("artifacts: pushing {count} tagged artifacts (setup)");
    let probe = Probe::start(ctx.pid);
    let reg = &ctx.reg;
    let (repo_ref, manifest) = (&repo, &image.manifest);
    concurrently(count, s.setup_concurrency, |i| async move {
        let body = variant(manifest, i)?;
        reg.put_manifest(repo_ref, &format!("a{i:05}"), OCI_MANIFEST, body)
            .await
    })
    .await?;
    let setup = probe.finish();

    let pages = [1, (count / PAGE_SIZE / 2).max(1)];
    let mut out = vec![
        Measurement::new(
            "artifacts",
            "setup",
            format!("push {count} tagged artifacts, c={}", s.setup_concurrency),
            setup,
        )
        .higher("rate", "artifacts/s", count as f64 / setup.wall_s.max(1e-9))
        .setup(),
    ];
    let runs = s.list_runs.max(21);
    for page in pages {
        let mut url = api.clone();
        url.query_pairs_mut()
            .append_pair("page", &page.to_string())
            .append_pair("page_size", &PAGE_SIZE.to_string())
            .append_pair("with_tag", "true");
        let first = ctx.reg.get(url.clone()).await?;
        anyhow::ensure!(first.status() == StatusCode::OK, "artifact listing failed");
        let total: usize = first
            .headers()
            .get("x-total-count")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let listed: serde_json::Value = serde_json::from_slice(&first.bytes().await?)?;
        let n = listed.as_array().map_or(0, Vec::len);
        anyhow::ensure!(
            n == PAGE_SIZE && total >= count,
            "page {page} has {n} artifacts of {total}, expected {PAGE_SIZE} of at least {count}"
        );
        let mut times = Vec::with_capacity(runs);
        let probe = Probe::start(ctx.pid);
        for _ in 0..runs {
            let t = Instant::now();
            let resp = ctx.reg.get(url.clone()).await?;
            anyhow::ensure!(resp.status() == StatusCode::OK, "artifact listing failed");
            resp.bytes().await?;
            times.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        let spent = probe.finish();
        out.push(
            Measurement::new(
                "artifacts",
                &format!("page{page}"),
                format!(
                    "page {page} of {PAGE_SIZE} artifacts with tags, of {total}, median of {runs}"
                ),
                spent,
            )
            .lower("median", "ms", median(&times)),
        );
    }
    Ok(out)
}
