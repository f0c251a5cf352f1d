//! `berth-loadgen`: a load generator for any OCI / Docker Registry v2 endpoint.

mod auth;
mod cli;
mod client;
mod compare;
mod content;
mod image;
mod probe;
mod procfs;
mod rawhttp;
mod report;
mod scenarios;
mod settings;
mod stats;

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use clap::Parser;
use reqwest::StatusCode;

use crate::cli::{Cli, Command, RunArgs, Scenario};
use crate::client::{Options, Registry};
use crate::content::{Blob, Rng};
use crate::report::RunReport;
use crate::scenarios::Ctx;
use crate::settings::Settings;

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let _ = rustls::crypto::ring::default_provider().install_default();
    match cli.command {
        Command::Run(args) => runtime(args.threads)?.block_on(run(*args)),
        Command::Compare(args) => compare::run(&args),
        Command::Wait { url, timeout } => runtime(1)?.block_on(wait(&url, timeout)),
        Command::FreePort => {
            let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
            println!("{}", listener.local_addr()?.port());
            Ok(())
        }
    }
}

fn runtime(threads: usize) -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads.max(1))
        .enable_all()
        .build()?)
}

fn options(args: &RunArgs, settings: &Settings) -> anyhow::Result<Options> {
    let auth = match (&args.user, &args.password) {
        (Some(user), password) => Some(auth::basic(user, password.as_deref().unwrap_or(""))?),
        (None, Some(_)) => anyhow::bail!("--password needs --user"),
        (None, None) => None,
    };
    Ok(Options {
        base: args.url.clone(),
        auth,
        timeout: settings.request_timeout,
        single_post: true,
    })
}

async fn run(args: RunArgs) -> anyhow::Result<()> {
    let settings = Settings::from_args(&args)?;
    let memory_start = args.pid.map(procfs::memory).transpose()?;
    let mut opts = options(&args, &settings)?;
    let reg = Registry::new(&opts, false)?;
    let status = reg
        .ping()
        .await
        .with_context(|| format!("cannot reach {}", args.url))?;
    anyhow::ensure!(status == StatusCode::OK, "GET /v2/ answered {status}");
    let mut order: Vec<Scenario> = Vec::new();
    for s in args.scenario.iter().flat_map(|s| s.expand()) {
        if !order.contains(&s) {
            order.push(s);
        }
    }
    let mut rng = Rng::from_clock();
    let run_id = rng.id();
    if order.iter().any(|s| *s != Scenario::Memory) {
        let probe_repo = format!("{}/bench-probe-{run_id}", settings.namespace);
        opts.single_post = reg
            .supports_single_post(&probe_repo, &Blob::new(rng.bytes(64)))
            .await?;
    }
    let reg = Registry::new(&opts, false)?;
    let started_unix = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    let mut ctx = Ctx {
        settings: settings.clone(),
        opts,
        reg,
        pid: args.pid,
        rng,
        run_id,
    };
    let mut measurements = Vec::new();
    for scenario in order {
        let found = scenarios::run(&mut ctx, scenario)
            .await
            .with_context(|| format!("scenario {}", scenario.name()))?;
        measurements.extend(found);
    }
    let memory_end = args.pid.map(procfs::memory).transpose()?;
    let report = RunReport {
        tool: "berth-loadgen".to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        label: args.label.clone(),
        url: args.url.clone(),
        started_unix,
        single_post_upload: ctx.opts.single_post,
        settings: serde_json::to_value(&settings)?,
        memory_start,
        memory_end,
        measurements,
    };
    print!("{}", report::table(&report));
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_string_pretty(&report)?)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

/// Polls `GET /v2/` until the registry answers 200 or 401, for `timeout` seconds at most.
async fn wait(url: &str, timeout: f64) -> anyhow::Result<()> {
    let opts = Options {
        base: url.to_owned(),
        auth: None,
        timeout: Duration::from_secs(1),
        single_post: true,
    };
    let reg = Registry::new(&opts, true)?;
    let deadline = Instant::now() + Duration::from_secs_f64(timeout);
    loop {
        if let Ok(s) = reg.ping().await
            && (s == StatusCode::OK || s == StatusCode::UNAUTHORIZED)
        {
            return Ok(());
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "{url} did not answer within {timeout} s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
