//! Small-image push rate: distinct images (1 KiB config, small layers, a manifest), pushed
//! by concurrent workers the way pushing clients do (HEAD each blob, upload it, then PUT
//! the manifest by tag). Each worker has its own connection and repository.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::client::Registry;
use crate::image::{self, Image};
use crate::probe::Probe;
use crate::report::Measurement;
use crate::scenarios::Ctx;

pub async fn run(ctx: &mut Ctx) -> anyhow::Result<Vec<Measurement>> {
    let s = ctx.settings.clone();
    let images = Arc::new(image::build(
        &mut ctx.rng,
        s.push_images,
        s.push_layers,
        s.push_layer_bytes,
    ));
    let mut workers = Vec::new();
    for w in 0..s.push_concurrency {
        let reg = Registry::new(&ctx.opts, true)?;
        reg.ping().await?; // opens the connection before the clock starts
        workers.push((reg, ctx.repo(&format!("push{w}"))));
    }
    eprintln!(
        "push: {} images of {} bytes, {} at a time",
        images.len(),
        images.first().map_or(0, Image::size),
        s.push_concurrency
    );
    let next = Arc::new(AtomicUsize::new(0));
    let probe = Probe::start(ctx.pid);
    let handles: Vec<_> = workers
        .into_iter()
        .map(|(reg, repo)| {
            let images = images.clone();
            let next = next.clone();
            tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(image) = images.get(i) else {
                        return Ok::<_, anyhow::Error>(());
                    };
                    image::push(&reg, &repo, image, &format!("v{i}"), true).await?;
                }
            })
        })
        .collect();
    for h in handles {
        h.await??;
    }
    let spent = probe.finish();
    let title = format!(
        "small-image push ({} layers of {} KiB), c={}",
        s.push_layers,
        s.push_layer_bytes >> 10,
        s.push_concurrency
    );
    Ok(vec![
        Measurement::new("push", &format!("c{}", s.push_concurrency), title, spent).higher(
            "rate",
            "images/s",
            images.len() as f64 / spent.wall_s.max(1e-9),
        ),
    ])
}
