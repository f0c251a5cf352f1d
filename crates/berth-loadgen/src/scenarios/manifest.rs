//! Manifest reads: GET by tag or HEAD by digest, by N workers for a fixed time. Each worker
//! has its own keep-alive connection, and sends its next request when the previous answer
//! has been read to the end. For http:// URLs the workers use the bare HTTP/1.1 client of
//! `rawhttp` (cheap per request), else the general client.

use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::{Method, Url};

use crate::client::{MANIFEST_ACCEPT, Registry};
use crate::image;
use crate::probe::Probe;
use crate::rawhttp::{Conn, RawRequest};
use crate::report::Measurement;
use crate::scenarios::Ctx;
use crate::stats::quantile_sorted;

/// A worker gives up after this many failed requests.
const MAX_ERRORS: u64 = 1000;

#[derive(Clone, Copy)]
pub enum Op {
    GetByTag,
    HeadByDigest,
}

impl Op {
    fn scenario(self) -> &'static str {
        match self {
            Op::GetByTag => "manifest-get",
            Op::HeadByDigest => "manifest-head",
        }
    }

    fn title(self) -> &'static str {
        match self {
            Op::GetByTag => "manifest GET by tag",
            Op::HeadByDigest => "manifest HEAD by digest",
        }
    }
}

pub async fn run(ctx: &mut Ctx, op: Op) -> anyhow::Result<Vec<Measurement>> {
    let repo = ctx.repo(match op {
        Op::GetByTag => "mget",
        Op::HeadByDigest => "mhead",
    });
    let s = ctx.settings.clone();
    let image = image::build(&mut ctx.rng, 1, s.push_layers, s.push_layer_bytes)
        .pop()
        .ok_or_else(|| anyhow::anyhow!("no image built"))?;
    image::push(&ctx.reg, &repo, &image, "latest", false).await?;
    let (method, url, body_len) = match op {
        Op::GetByTag => (
            Method::GET,
            ctx.reg.manifest_url(&repo, "latest")?,
            image.manifest.len() as u64,
        ),
        Op::HeadByDigest => (Method::HEAD, ctx.reg.manifest_url(&repo, &image.digest)?, 0),
    };
    let mut out = Vec::new();
    for &c in &s.concurrency {
        eprintln!(
            "{}: concurrency {c}, {:.1} s (+{:.1} s warm-up)",
            op.scenario(),
            s.duration_s,
            s.warmup_s
        );
        let job = Job {
            method: method.clone(),
            url: url.clone(),
            body_len,
        };
        out.push(case(ctx, op, c, job).await?);
    }
    Ok(out)
}

#[derive(Clone)]
struct Job {
    method: Method,
    url: Url,
    body_len: u64,
}

struct Worker {
    latencies_us: Vec<u32>,
    errors: u64,
    first_error: Option<String>,
    last_done: Option<Instant>,
}

async fn case(ctx: &Ctx, op: Op, concurrency: usize, job: Job) -> anyhow::Result<Measurement> {
    let s = &ctx.settings;
    let raw = if s.general_client || job.url.scheme() != "http" {
        None
    } else {
        let mut headers = vec![("Accept", MANIFEST_ACCEPT)];
        let auth = ctx.opts.auth.as_ref().map(|a| a.to_str()).transpose()?;
        if let Some(auth) = auth {
            headers.push(("Authorization", auth));
        }
        Some(Arc::new(RawRequest::new(&job.method, &job.url, &headers)?))
    };
    let clients = (0..concurrency)
        .map(|_| match &raw {
            Some(req) => Ok(Sender::Raw(Conn::new(), req.clone())),
            None => Registry::new(&ctx.opts, true).map(Sender::General),
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let warm_end = Instant::now() + Duration::from_secs_f64(s.warmup_s);
    let end = warm_end + Duration::from_secs_f64(s.duration_s);
    let handles: Vec<_> = clients
        .into_iter()
        .map(|sender| tokio::spawn(worker(sender, job.clone(), warm_end, end)))
        .collect();
    tokio::time::sleep_until(warm_end.into()).await;
    let probe = Probe::start(ctx.pid);
    let mut latencies = Vec::new();
    let mut errors = 0;
    let mut first_error = None;
    let mut last_done = warm_end;
    for h in handles {
        let w = h.await?;
        latencies.extend_from_slice(&w.latencies_us);
        errors += w.errors;
        first_error = first_error.or(w.first_error);
        last_done = last_done.max(w.last_done.unwrap_or(warm_end));
    }
    let spent = probe.finish_at(last_done);
    anyhow::ensure!(
        !latencies.is_empty(),
        "{}: no request succeeded: {}",
        op.scenario(),
        first_error.unwrap_or_default()
    );
    latencies.sort_unstable();
    let ms = |q| quantile_sorted(&latencies, q).map_or(f64::NAN, |us| f64::from(us) / 1000.0);
    let note = (errors > 0).then(|| {
        format!(
            "{errors} failed requests; first: {}",
            first_error.unwrap_or_default()
        )
    });
    Ok(Measurement::new(
        op.scenario(),
        &format!("c{concurrency}"),
        format!("{}, c={concurrency}", op.title()),
        spent,
    )
    .higher(
        "rate",
        "ops/s",
        latencies.len() as f64 / spent.wall_s.max(1e-9),
    )
    .lower("p50", "ms", ms(0.50))
    .lower("p99", "ms", ms(0.99))
    .note(note))
}

/// How a worker sends its request.
enum Sender {
    Raw(Conn, Arc<RawRequest>),
    General(Registry),
}

impl Sender {
    /// One request; the answer must be 200. Returns the body length.
    async fn once(&mut self, job: &Job) -> anyhow::Result<u64> {
        match self {
            Sender::Raw(conn, req) => {
                let answer = conn.send(req).await?;
                anyhow::ensure!(answer.status == 200, "status {}", answer.status);
                Ok(answer.body_len)
            }
            Sender::General(reg) => {
                reg.fetch_to_end(job.method.clone(), job.url.clone(), true)
                    .await
            }
        }
    }
}

/// Sends requests back to back until `end`; records those that start after `warm_end`.
async fn worker(mut sender: Sender, job: Job, warm_end: Instant, end: Instant) -> Worker {
    let mut w = Worker {
        latencies_us: Vec::with_capacity(1 << 16),
        errors: 0,
        first_error: None,
        last_done: None,
    };
    loop {
        let start = Instant::now();
        if start >= end || w.errors >= MAX_ERRORS {
            break;
        }
        let result = sender.once(&job).await;
        let done = Instant::now();
        match result {
            Ok(n) if n == job.body_len => {
                if start >= warm_end {
                    let us = done.duration_since(start).as_micros();
                    w.latencies_us.push(u32::try_from(us).unwrap_or(u32::MAX));
                    w.last_done = Some(done);
                }
            }
            Ok(n) => {
                w.errors += 1;
                w.first_error
                    .get_or_insert_with(|| format!("body of {n} bytes, not {}", job.body_len));
            }
            Err(e) => {
                w.errors += 1;
                w.first_error.get_or_insert_with(|| format!("{e:#}"));
            }
        }
    }
    w
}
