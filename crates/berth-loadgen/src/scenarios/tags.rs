//! Tag list of a repository with many tags: setup tags one manifest many times (by PUT
//! manifest by tag, concurrently); timed: the full `GET /v2/<name>/tags/list`.

use crate::client::OCI_MANIFEST;
use crate::image;
use crate::probe::Probe;
use crate::report::Measurement;
use crate::scenarios::listing::time_listing;
use crate::scenarios::{Ctx, concurrently};

pub async fn run(ctx: &mut Ctx) -> anyhow::Result<Vec<Measurement>> {
    let s = ctx.settings.clone();
    let repo = ctx.repo("tags");
    let image = image::build(&mut ctx.rng, 1, s.push_layers, s.push_layer_bytes)
        .pop()
        .ok_or_else(|| anyhow::anyhow!("no image built"))?;
    image::push(&ctx.reg, &repo, &image, "latest", false).await?;
    eprintln!("tags: creating {} tags (setup)", s.tags);
    let probe = Probe::start(ctx.pid);
    let reg = &ctx.reg;
    let (repo_ref, manifest) = (&repo, &image.manifest);
    concurrently(s.tags, s.setup_concurrency, |i| async move {
        reg.put_manifest(
            repo_ref,
            &format!("t{i:05}"),
            OCI_MANIFEST,
            manifest.clone(),
        )
        .await
    })
    .await?;
    let setup = probe.finish();

    eprintln!("tags: listing {} times", s.list_runs);
    let url = ctx.reg.url(&format!("/v2/{repo}/tags/list"))?;
    let listed = time_listing(ctx, url, "tags", s.list_runs).await?;
    anyhow::ensure!(
        listed.items == s.tags + 1,
        "tag list has {} tags, expected {}",
        listed.items,
        s.tags + 1
    );
    let note = (listed.pages > 1).then(|| format!("{} pages", listed.pages));
    Ok(vec![
        Measurement::new(
            "tags",
            "setup",
            format!(
                "tag {} manifests (PUT by tag), c={}",
                s.tags, s.setup_concurrency
            ),
            setup,
        )
        .higher("rate", "tags/s", s.tags as f64 / setup.wall_s.max(1e-9))
        .setup(),
        Measurement::new(
            "tags",
            "list",
            format!(
                "tag list of {} tags, median of {}",
                listed.items, s.list_runs
            ),
            listed.spent,
        )
        .lower("median", "ms", listed.median_ms)
        .note(note),
    ])
}
