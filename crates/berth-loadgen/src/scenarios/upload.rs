//! Blob upload throughput: 1 MiB and big blobs, monolithic and chunked, one at a time.
//! Every blob is distinct (a slice of one random pool at its own offset) and its digest is
//! computed before the clock starts, so the registry must receive and hash all of it.

use crate::client::Monolithic;
use crate::content::{Blob, slices};
use crate::probe::Probe;
use crate::report::Measurement;
use crate::scenarios::Ctx;
use crate::stats::mb_per_s;

const STRIDE: usize = 4096;

pub async fn run(ctx: &mut Ctx) -> anyhow::Result<Vec<Measurement>> {
    let s = ctx.settings.clone();
    let (nb, ns) = (s.big_blobs, s.small_blobs);
    let pool_len = s.big_bytes.max(s.small_bytes) + STRIDE * 2 * (nb + ns);
    eprintln!(
        "upload: preparing {} MiB of random content and {} digests",
        pool_len >> 20,
        2 * (nb + ns)
    );
    let pool = ctx.rng.bytes(pool_len);
    let small_mono = slices(&pool, s.small_bytes, 0, ns, STRIDE);
    let small_chunked = slices(&pool, s.small_bytes, ns * STRIDE, ns, STRIDE);
    let big_mono = slices(&pool, s.big_bytes, 2 * ns * STRIDE, nb, STRIDE);
    let big_chunked = slices(&pool, s.big_bytes, (2 * ns + nb) * STRIDE, nb, STRIDE);

    let small = mib_label(s.small_bytes);
    let big = mib_label(s.big_bytes);
    let cases: [(&str, &[Blob], bool); 4] = [
        (&small, &small_mono, false),
        (&small, &small_chunked, true),
        (&big, &big_mono, false),
        (&big, &big_chunked, true),
    ];
    let mut out = Vec::new();
    for (size, blobs, chunked) in cases {
        if blobs.is_empty() {
            continue;
        }
        out.push(case(ctx, size, blobs, chunked).await?);
    }
    Ok(out)
}

fn mib_label(bytes: usize) -> String {
    format!("{} MiB", bytes >> 20)
}

async fn case(ctx: &Ctx, size: &str, blobs: &[Blob], chunked: bool) -> anyhow::Result<Measurement> {
    let repo = ctx.repo("upload");
    let chunk = ctx.settings.chunk_bytes;
    let mode = if chunked {
        format!("chunked {} MiB", chunk >> 20)
    } else {
        "monolithic".to_owned()
    };
    eprintln!("upload: {} x {size} {mode}", blobs.len());
    let mut two_requests = 0;
    let probe = Probe::start(ctx.pid);
    for blob in blobs {
        if chunked {
            ctx.reg.upload_chunked(&repo, blob, chunk).await?;
        } else if ctx.reg.upload_monolithic(&repo, blob).await? == Monolithic::PostThenPut {
            two_requests += 1;
        }
    }
    let spent = probe.finish();
    let bytes: u64 = blobs.iter().map(|b| b.len() as u64).sum();
    let case = format!(
        "{}-{}",
        size.replace(' ', ""),
        if chunked { "chunked" } else { "monolithic" }
    );
    let note = (two_requests > 0).then(|| {
        "no single-request upload (POST ?digest= opens a session): POST, then PUT with the body"
            .to_owned()
    });
    Ok(Measurement::new(
        "upload",
        &case,
        format!("blob upload {size}, {mode}"),
        spent,
    )
    .higher("rate", "MB/s", mb_per_s(bytes, spent.wall_s))
    .note(note))
}
