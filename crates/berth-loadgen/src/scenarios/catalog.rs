//! Catalog of many repositories: setup pushes one small image into each; timed: the full
//! `GET /v2/_catalog?n=...` (following `Link` pages if the server cuts it short).

use crate::image;
use crate::probe::Probe;
use crate::report::Measurement;
use crate::scenarios::listing::time_listing;
use crate::scenarios::{Ctx, concurrently};

pub async fn run(ctx: &mut Ctx) -> anyhow::Result<Vec<Measurement>> {
    let s = ctx.settings.clone();
    let image = image::build(&mut ctx.rng, 1, s.push_layers, s.push_layer_bytes)
        .pop()
        .ok_or_else(|| anyhow::anyhow!("no image built"))?;
    let base = ctx.repo("cat");
    eprintln!(
        "catalog: pushing an image into {} repositories (setup)",
        s.repos
    );
    let probe = Probe::start(ctx.pid);
    let (reg, base_ref, image_ref) = (&ctx.reg, &base, &image);
    concurrently(s.repos, s.setup_concurrency, |i| async move {
        image::push(
            reg,
            &format!("{base_ref}-{i:05}"),
            image_ref,
            "latest",
            false,
        )
        .await
    })
    .await?;
    let setup = probe.finish();

    eprintln!("catalog: listing {} times", s.list_runs);
    let mut url = ctx.reg.url("/v2/_catalog")?;
    url.query_pairs_mut()
        .append_pair("n", &s.catalog_page.to_string());
    let listed = time_listing(ctx, url, "repositories", s.list_runs).await?;
    anyhow::ensure!(
        listed.items >= s.repos,
        "catalog has {} repositories, expected at least {}",
        listed.items,
        s.repos
    );
    let note = (listed.pages > 1).then(|| format!("{} pages", listed.pages));
    Ok(vec![
        Measurement::new(
            "catalog",
            "setup",
            format!(
                "push one image into each of {} repositories, c={}",
                s.repos, s.setup_concurrency
            ),
            setup,
        )
        .higher("rate", "repos/s", s.repos as f64 / setup.wall_s.max(1e-9))
        .setup(),
        Measurement::new(
            "catalog",
            "list",
            format!(
                "catalog of {} repositories, median of {}",
                listed.items, s.list_runs
            ),
            listed.spent,
        )
        .lower("median", "ms", listed.median_ms)
        .note(note),
    ])
}
