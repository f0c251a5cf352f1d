//! Timing full listings (`tags/list`, `_catalog`), shared by the tags and catalog scenarios.

use std::time::Instant;

use bytes::Bytes;
use reqwest::Url;

use crate::probe::{Probe, Spent};
use crate::scenarios::Ctx;
use crate::stats::median;

/// What timed listings found.
pub struct Listed {
    pub median_ms: f64,
    pub spent: Spent,
    pub items: usize,
    pub pages: usize,
}

/// Entries of `key` (`tags`, `repositories`) over all pages.
fn count(pages: &[Bytes], key: &str) -> anyhow::Result<usize> {
    let mut n = 0;
    for page in pages {
        let v: serde_json::Value = serde_json::from_slice(page)?;
        n += v[key].as_array().map_or(0, Vec::len);
    }
    Ok(n)
}

/// Lists from `url` once untimed, then `runs` times timed; pages are parsed only after the
/// clock stops.
pub async fn time_listing(ctx: &Ctx, url: Url, key: &str, runs: usize) -> anyhow::Result<Listed> {
    let warm = ctx.reg.list_pages(url.clone()).await?;
    let items = count(&warm, key)?;
    let pages = warm.len();
    drop(warm);
    let mut times = Vec::with_capacity(runs);
    let probe = Probe::start(ctx.pid);
    for _ in 0..runs {
        let t = Instant::now();
        let got = ctx.reg.list_pages(url.clone()).await?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        anyhow::ensure!(got.len() == pages, "listing changed between runs");
    }
    let spent = probe.finish();
    Ok(Listed {
        median_ms: median(&times),
        spent,
        items,
        pages,
    })
}
