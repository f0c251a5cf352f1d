//! The scenarios. Each does its setup untimed, then measures one or more timed regions.

mod artifacts;
mod catalog;
mod download;
mod gc;
mod listing;
mod manifest;
mod push;
mod tags;
mod upload;

use std::future::Future;

use futures::{StreamExt, TryStreamExt};

use crate::cli::Scenario;
use crate::client::{Options, Registry};
use crate::content::Rng;
use crate::report::Measurement;
use crate::settings::Settings;

/// What every scenario works with.
pub struct Ctx {
    pub settings: Settings,
    pub opts: Options,
    /// A client with a connection pool, for setup and sequential work.
    pub reg: Registry,
    pub pid: Option<u32>,
    pub rng: Rng,
    /// Makes this run's repository names unique.
    pub run_id: String,
}

impl Ctx {
    /// `<namespace>/bench-<what>-<run id>`.
    pub fn repo(&self, what: &str) -> String {
        format!("{}/bench-{what}-{}", self.settings.namespace, self.run_id)
    }
}

/// Runs one scenario (not `all`, `manifest` or `memory`).
pub async fn run(ctx: &mut Ctx, scenario: Scenario) -> anyhow::Result<Vec<Measurement>> {
    match scenario {
        Scenario::Upload => upload::run(ctx).await,
        Scenario::Download => download::run(ctx).await,
        Scenario::ManifestGet => manifest::run(ctx, manifest::Op::GetByTag).await,
        Scenario::ManifestHead => manifest::run(ctx, manifest::Op::HeadByDigest).await,
        Scenario::Push => push::run(ctx).await,
        Scenario::Tags => tags::run(ctx).await,
        Scenario::Catalog => catalog::run(ctx).await,
        Scenario::Artifacts => artifacts::run(ctx).await,
        Scenario::Gc => gc::run(ctx).await,
        Scenario::All | Scenario::Manifest | Scenario::Memory => Ok(Vec::new()),
    }
}

/// `f(0)`, ..., `f(count - 1)` with at most `concurrency` in flight; the first error wins.
pub async fn concurrently<F, Fut>(count: usize, concurrency: usize, f: F) -> anyhow::Result<()>
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    futures::stream::iter(0..count)
        .map(f)
        .buffer_unordered(concurrency.max(1))
        .try_collect::<()>()
        .await
}
