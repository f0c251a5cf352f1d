//! A timed region: wall time, and the CPU time the server and the generator spent in it.

use std::time::Instant;

use crate::procfs;

pub struct Probe {
    pid: Option<u32>,
    start: Instant,
    server: Option<f64>,
    client: Option<f64>,
}

/// What a timed region cost.
#[derive(Debug, Clone, Copy)]
pub struct Spent {
    pub wall_s: f64,
    pub server_cpu_s: Option<f64>,
    pub client_cpu_s: Option<f64>,
}

impl Probe {
    pub fn start(pid: Option<u32>) -> Probe {
        let server = pid.and_then(|p| procfs::cpu_seconds(Some(p)).ok());
        let client = procfs::cpu_seconds(None).ok();
        Probe {
            pid,
            start: Instant::now(),
            server,
            client,
        }
    }

    /// Ends the region now.
    pub fn finish(self) -> Spent {
        self.finish_at(Instant::now())
    }

    /// Ends the region with its wall time measured up to `end`, CPU time up to now.
    pub fn finish_at(self, end: Instant) -> Spent {
        let wall_s = end.saturating_duration_since(self.start).as_secs_f64();
        let server_now = self.pid.and_then(|p| procfs::cpu_seconds(Some(p)).ok());
        let client_now = procfs::cpu_seconds(None).ok();
        Spent {
            wall_s,
            server_cpu_s: self.server.zip(server_now).map(|(a, b)| b - a),
            client_cpu_s: self.client.zip(client_now).map(|(a, b)| b - a),
        }
    }
}
