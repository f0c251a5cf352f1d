//! Blob download throughput: whole-blob GETs of a 1 MiB and a big blob, read to the end.

use crate::content::Blob;
use crate::probe::Probe;
use crate::report::Measurement;
use crate::scenarios::Ctx;
use crate::stats::mb_per_s;

pub async fn run(ctx: &mut Ctx) -> anyhow::Result<Vec<Measurement>> {
    let s = ctx.settings.clone();
    let repo = ctx.repo("download");
    let small = Blob::new(ctx.rng.bytes(s.small_bytes));
    let big = Blob::new(ctx.rng.bytes(s.big_bytes));
    eprintln!("download: uploading the blobs (untimed)");
    for blob in [&small, &big] {
        ctx.reg.upload_monolithic(&repo, blob).await?;
    }
    let mut out = Vec::new();
    for (blob, count) in [(small, s.small_downloads), (big, s.big_blobs)] {
        if count == 0 {
            continue;
        }
        let url = ctx.reg.blob_url(&repo, &blob.digest)?;
        let size = format!("{} MiB", blob.len() >> 20);
        // One untimed read: the connection is open and the file is in the page cache.
        let got = ctx
            .reg
            .fetch_to_end(reqwest::Method::GET, url.clone(), false)
            .await?;
        anyhow::ensure!(
            got == blob.len() as u64,
            "GET blob returned {got} bytes, not {}",
            blob.len()
        );
        eprintln!("download: {count} x {size}");
        let probe = Probe::start(ctx.pid);
        let mut bytes = 0;
        for _ in 0..count {
            bytes += ctx
                .reg
                .fetch_to_end(reqwest::Method::GET, url.clone(), false)
                .await?;
        }
        let spent = probe.finish();
        anyhow::ensure!(
            bytes == count as u64 * blob.len() as u64,
            "short blob downloads"
        );
        out.push(
            Measurement::new(
                "download",
                &size.replace(' ', ""),
                format!("blob download {size}"),
                spent,
            )
            .higher("rate", "MB/s", mb_per_s(bytes, spent.wall_s)),
        );
    }
    Ok(out)
}
