//! `compare`: two registries' result files side by side, as markdown. A measurement found
//! in several files (repeated rounds) shows the median of its values.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Context;

use crate::cli::CompareArgs;
use crate::report::{Measurement, Metric, RunReport, num};
use crate::stats::median;

/// One registry's results: every report found under a path, oldest first.
struct Side {
    label: String,
    reports: Vec<RunReport>,
}

/// All samples of one measurement (same scenario and case), reduced to medians.
struct Merged {
    scenario: String,
    case: String,
    title: String,
    setup: bool,
    samples: usize,
    metrics: Vec<Metric>,
    server_cpu_pct: Option<f64>,
    client_cpu_pct: Option<f64>,
}

fn median_of(values: impl Iterator<Item = Option<f64>>) -> Option<f64> {
    let v: Vec<f64> = values.flatten().collect();
    (!v.is_empty()).then(|| median(&v))
}

impl Merged {
    fn from(group: &[&Measurement]) -> Merged {
        let first = group[0];
        let metrics = first
            .metrics
            .iter()
            .map(|m| {
                let values = group
                    .iter()
                    .map(|g| g.metrics.iter().find(|x| x.name == m.name).map(|x| x.value));
                Metric {
                    value: median_of(values).unwrap_or(f64::NAN),
                    ..m.clone()
                }
            })
            .collect();
        Merged {
            scenario: first.scenario.clone(),
            case: first.case.clone(),
            title: first.title.clone(),
            setup: first.setup,
            samples: group.len(),
            metrics,
            server_cpu_pct: median_of(group.iter().map(|g| g.server_cpu_pct())),
            client_cpu_pct: median_of(group.iter().map(|g| g.client_cpu_pct())),
        }
    }
}

impl Side {
    fn load(spec: &str) -> anyhow::Result<Side> {
        let (label, path) = spec
            .split_once('=')
            .with_context(|| format!("expected LABEL=PATH, got {spec}"))?;
        let path = Path::new(path);
        let files = if path.is_dir() {
            let mut files: Vec<_> = std::fs::read_dir(path)?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .collect();
            files.sort();
            files
        } else {
            vec![path.to_owned()]
        };
        let mut reports = files
            .iter()
            .map(|f| {
                let text = std::fs::read_to_string(f)?;
                serde_json::from_str::<RunReport>(&text)
                    .with_context(|| format!("reading {}", f.display()))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        reports.sort_by(|a, b| a.started_unix.total_cmp(&b.started_unix));
        Ok(Side {
            label: label.to_owned(),
            reports,
        })
    }

    /// Measurements merged by scenario and case, in order of first appearance.
    fn merged(&self) -> Vec<Merged> {
        let mut groups: Vec<Vec<&Measurement>> = Vec::new();
        for m in self.reports.iter().flat_map(|r| &r.measurements) {
            match groups
                .iter_mut()
                .find(|g| g[0].scenario == m.scenario && g[0].case == m.case)
            {
                Some(g) => g.push(m),
                None => groups.push(vec![m]),
            }
        }
        groups.iter().map(|g| Merged::from(g)).collect()
    }

    /// VmRSS before the first run, and the highest VmHWM after any run, in MiB.
    fn memory(&self) -> (Option<f64>, Option<f64>) {
        let idle = self
            .reports
            .iter()
            .find_map(|r| r.memory_start.map(|m| m.rss_mib));
        let peak = self
            .reports
            .iter()
            .filter_map(|r| r.memory_end.map(|m| m.hwm_mib))
            .reduce(f64::max);
        (idle, peak)
    }
}

fn row_name(m: &Merged, metric: &Metric) -> String {
    let setup = if m.setup { "(setup) " } else { "" };
    if metric.name == "rate" || metric.name == "median" {
        format!("{setup}{} ({})", m.title, metric.unit)
    } else {
        format!("{setup}{}, {} ({})", m.title, metric.name, metric.unit)
    }
}

/// How many times better the candidate is: above 1 means the candidate wins.
fn ratio(cand: f64, base: f64, higher_is_better: bool) -> String {
    let r = if higher_is_better {
        cand / base
    } else {
        base / cand
    };
    if r.is_finite() {
        format!("{r:.2}x")
    } else {
        "-".to_owned()
    }
}

fn show(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_owned(), num)
}

fn pct(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_owned(), |p| format!("{p:.0}%"))
}

pub fn run(args: &CompareArgs) -> anyhow::Result<()> {
    let cand = Side::load(&args.candidate)?;
    let base = Side::load(&args.baseline)?;
    let (cand_rows, base_rows) = (cand.merged(), base.merged());
    let find = |m: &Merged| {
        base_rows
            .iter()
            .find(|o| o.scenario == m.scenario && o.case == m.case)
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "| scenario | {} | {} | ratio |\n|---|---:|---:|---:|",
        cand.label, base.label
    );
    for m in &cand_rows {
        let other = find(m);
        for metric in &m.metrics {
            let b = other
                .and_then(|o| o.metrics.iter().find(|x| x.name == metric.name))
                .map(|x| x.value);
            let r = b.map_or_else(
                || "-".to_owned(),
                |b| ratio(metric.value, b, metric.higher_is_better),
            );
            let _ = writeln!(
                out,
                "| {} | {} | {} | {r} |",
                row_name(m, metric),
                num(metric.value),
                show(b),
            );
        }
    }
    let (ci, cp) = cand.memory();
    let (bi, bp) = base.memory();
    for (what, c, b) in [
        ("server memory idle, VmRSS (MiB)", ci, bi),
        ("server memory peak, VmHWM (MiB)", cp, bp),
    ] {
        if c.is_some() || b.is_some() {
            let r = c
                .zip(b)
                .map_or_else(|| "-".to_owned(), |(c, b)| ratio(c, b, false));
            let _ = writeln!(out, "| {what} | {} | {} | {r} |", show(c), show(b));
        }
    }
    if args.cpu {
        let _ = writeln!(
            out,
            "\nCPU used in each timed region, in % of one core (median over rounds; - when the \
             region was too short to tell):\n\n\
             | scenario | rounds | {0} server | {1} server | generator with {0} | generator with {1} |\n\
             |---|---:|---:|---:|---:|---:|",
            cand.label, base.label
        );
        for m in &cand_rows {
            let o = find(m);
            let _ = writeln!(
                out,
                "| {}{} | {} | {} | {} | {} | {} |",
                if m.setup { "(setup) " } else { "" },
                m.title,
                m.samples,
                pct(m.server_cpu_pct),
                pct(o.and_then(|o| o.server_cpu_pct)),
                pct(m.client_cpu_pct),
                pct(o.and_then(|o| o.client_cpu_pct)),
            );
        }
    }
    print!("{out}");
    Ok(())
}
