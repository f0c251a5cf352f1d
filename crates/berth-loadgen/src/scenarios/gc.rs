//! Garbage collection sweep: setup uploads many small distinct blobs that no manifest names
//! (orphans as soon as they land); timed: the registry's own collector, run as the command
//! given with `--gc-command` (for berth `berth gc --keep-untagged` with
//! `BERTH_GC_TIME_WINDOW_HOURS=0`; for Distribution `registry garbage-collect CONFIG`).

use crate::content::Blob;
use crate::probe::Probe;
use crate::report::Measurement;
use crate::scenarios::{Ctx, concurrently};

pub async fn run(ctx: &mut Ctx) -> anyhow::Result<Vec<Measurement>> {
    let s = ctx.settings.clone();
    let Some(command) = s.gc_command.clone() else {
        anyhow::bail!("the gc scenario needs --gc-command (the registry's collector)");
    };
    let repo = ctx.repo("gc");
    let blobs: Vec<Blob> = (0..s.gc_blobs)
        .map(|_| Blob::new(ctx.rng.bytes(64)))
        .collect();
    eprintln!("gc: uploading {} unreferenced blobs (setup)", s.gc_blobs);
    let probe = Probe::start(ctx.pid);
    let (reg, repo_ref, blobs_ref) = (&ctx.reg, &repo, &blobs);
    concurrently(s.gc_blobs, s.setup_concurrency, |i| async move {
        reg.upload_monolithic(repo_ref, &blobs_ref[i])
            .await
            .map(drop)
    })
    .await?;
    let setup = probe.finish();

    eprintln!("gc: running {command}");
    let probe = Probe::start(ctx.pid);
    let cmd = command.clone();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("sh").arg("-c").arg(cmd).output()
    })
    .await??;
    let spent = probe.finish();
    anyhow::ensure!(
        out.status.success(),
        "{command} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut gone = 0;
    for b in blobs.iter().take(20) {
        if !ctx.reg.blob_exists(&repo, &b.digest).await? {
            gone += 1;
        }
    }
    anyhow::ensure!(
        gone == 20.min(blobs.len()),
        "the collector left blobs it should delete"
    );
    Ok(vec![
        Measurement::new(
            "gc",
            "setup",
            format!(
                "upload {} blobs of 64 B, c={}",
                s.gc_blobs, s.setup_concurrency
            ),
            setup,
        )
        .higher(
            "rate",
            "blobs/s",
            s.gc_blobs as f64 / setup.wall_s.max(1e-9),
        )
        .setup(),
        Measurement::new(
            "gc",
            "sweep",
            format!("collect {} unreferenced blobs", s.gc_blobs),
            spent,
        )
        .lower("wall", "s", spent.wall_s)
        .higher(
            "rate",
            "blobs/s",
            s.gc_blobs as f64 / spent.wall_s.max(1e-9),
        ),
    ])
}
