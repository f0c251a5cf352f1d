//! Results: what a run measured, as JSON and as a table for people.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::probe::Spent;
use crate::procfs::Memory;

/// Shortest region whose CPU use is shown.
const MIN_CPU_WALL_S: f64 = 0.2;

/// One figure.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Metric {
    pub name: String,
    pub unit: String,
    pub value: f64,
    pub higher_is_better: bool,
}

/// The figures of one timed region.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Measurement {
    /// Scenario name as given on the command line (`upload`, `manifest-get`, ...).
    pub scenario: String,
    /// Variant inside the scenario (`1MiB-monolithic`, `c16`, ...).
    pub case: String,
    /// Human description.
    pub title: String,
    /// Setup figures are informational: not part of the comparison targets.
    #[serde(default)]
    pub setup: bool,
    pub wall_s: f64,
    /// CPU seconds the server used in the region (needs --pid).
    pub server_cpu_s: Option<f64>,
    /// CPU seconds the load generator used in the region.
    pub client_cpu_s: Option<f64>,
    pub metrics: Vec<Metric>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Measurement {
    pub fn new(scenario: &str, case: &str, title: String, spent: Spent) -> Measurement {
        Measurement {
            scenario: scenario.to_owned(),
            case: case.to_owned(),
            title,
            setup: false,
            wall_s: spent.wall_s,
            server_cpu_s: spent.server_cpu_s,
            client_cpu_s: spent.client_cpu_s,
            metrics: Vec::new(),
            note: None,
        }
    }

    pub fn higher(mut self, name: &str, unit: &str, value: f64) -> Measurement {
        self.metrics.push(Metric {
            name: name.to_owned(),
            unit: unit.to_owned(),
            value,
            higher_is_better: true,
        });
        self
    }

    pub fn lower(mut self, name: &str, unit: &str, value: f64) -> Measurement {
        self.metrics.push(Metric {
            name: name.to_owned(),
            unit: unit.to_owned(),
            value,
            higher_is_better: false,
        });
        self
    }

    pub fn setup(mut self) -> Measurement {
        self.setup = true;
        self
    }

    pub fn note(mut self, note: Option<String>) -> Measurement {
        self.note = note;
        self
    }

    /// Server CPU use in the region, in percent of one core; none for regions too short
    /// for the 10 ms clock ticks of /proc.
    pub fn server_cpu_pct(&self) -> Option<f64> {
        self.pct(self.server_cpu_s)
    }

    /// The load generator's CPU use in the region, likewise.
    pub fn client_cpu_pct(&self) -> Option<f64> {
        self.pct(self.client_cpu_s)
    }

    fn pct(&self, cpu_s: Option<f64>) -> Option<f64> {
        cpu_s
            .filter(|_| self.wall_s >= MIN_CPU_WALL_S)
            .map(|s| 100.0 * s / self.wall_s)
    }
}

/// Everything one `run` produced.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunReport {
    pub tool: String,
    pub version: String,
    pub label: String,
    pub url: String,
    pub started_unix: f64,
    /// Whether the server completes a blob upload in one `POST ?digest=` with the body.
    #[serde(default)]
    pub single_post_upload: bool,
    pub settings: serde_json::Value,
    /// Server memory before the first scenario (needs --pid).
    pub memory_start: Option<Memory>,
    /// Server memory after the last scenario (needs --pid).
    pub memory_end: Option<Memory>,
    pub measurements: Vec<Measurement>,
}

/// A number with 3 significant digits or so, without exponent.
pub fn num(v: f64) -> String {
    let a = v.abs();
    if a >= 100.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else if a >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

fn pct(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_owned(), |p| format!("{p:.0}%"))
}

/// The run as a plain-text table.
pub fn table(report: &RunReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "berth-loadgen against {} ({})",
        report.url, report.label
    );
    let _ = writeln!(
        out,
        "{:<60} {:<6} {:>10} {:<8} {:>7} {:>7}",
        "scenario", "metric", "value", "unit", "srv cpu", "gen cpu"
    );
    for m in &report.measurements {
        let title = if m.setup {
            format!("(setup) {}", m.title)
        } else {
            m.title.clone()
        };
        for (i, metric) in m.metrics.iter().enumerate() {
            let (srv, gen_) = if i == 0 {
                (pct(m.server_cpu_pct()), pct(m.client_cpu_pct()))
            } else {
                (String::new(), String::new())
            };
            let _ = writeln!(
                out,
                "{:<60} {:<6} {:>10} {:<8} {:>7} {:>7}",
                if i == 0 { title.as_str() } else { "" },
                metric.name,
                num(metric.value),
                metric.unit,
                srv,
                gen_
            );
        }
        if let Some(note) = &m.note {
            let _ = writeln!(out, "    note: {note}");
        }
    }
    for (what, mem) in [
        ("server memory at start", report.memory_start),
        ("server memory at end", report.memory_end),
    ] {
        if let Some(mem) = mem {
            let _ = writeln!(
                out,
                "{what}: VmRSS {:.1} MiB, VmHWM {:.1} MiB",
                mem.rss_mib, mem.hwm_mib
            );
        }
    }
    out
}
