//! What Linux's /proc tells about a process: memory (VmRSS, VmHWM) and CPU time.

use serde::{Deserialize, Serialize};

/// Clock ticks per second in /proc/*/stat: `USER_HZ`, 100 on every Linux architecture
/// that matters here.
const TICKS_PER_SECOND: f64 = 100.0;

/// Resident memory of a process, in MiB.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Memory {
    /// Resident set size now (VmRSS).
    pub rss_mib: f64,
    /// Highest resident set size since the process started (VmHWM).
    pub hwm_mib: f64,
}

/// Reads VmRSS and VmHWM of `pid` from /proc/PID/status.
pub fn memory(pid: u32) -> anyhow::Result<Memory> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let field = |name: &str| -> anyhow::Result<f64> {
        let line = status
            .lines()
            .find(|l| l.starts_with(name))
            .ok_or_else(|| anyhow::anyhow!("no {name} in /proc/{pid}/status"))?;
        let kib: f64 = line[name.len()..]
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()?;
        Ok(kib / 1024.0)
    };
    Ok(Memory {
        rss_mib: field("VmRSS:")?,
        hwm_mib: field("VmHWM:")?,
    })
}

/// User plus system CPU seconds used so far by `pid` (all its threads), or by this
/// process when `pid` is `None`.
pub fn cpu_seconds(pid: Option<u32>) -> anyhow::Result<f64> {
    let path = match pid {
        Some(p) => format!("/proc/{p}/stat"),
        None => "/proc/self/stat".to_owned(),
    };
    let stat = std::fs::read_to_string(&path)?;
    parse_cpu(&stat).ok_or_else(|| anyhow::anyhow!("unexpected format of {path}"))
}

fn parse_cpu(stat: &str) -> Option<f64> {
    // The command name (field 2) may hold spaces and parentheses: fields after it are
    // counted from the last ')'. utime and stime are fields 14 and 15.
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_ascii_whitespace().skip(11);
    let utime: f64 = fields.next()?.parse().ok()?;
    let stime: f64 = fields.next()?.parse().ok()?;
    Some((utime + stime) / TICKS_PER_SECOND)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_utime_and_stime() {
        let stat = "42 (a b) c) S 1 42 42 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 4 0 10 0 0";
        assert_eq!(parse_cpu(stat), Some(3.0));
    }

    #[test]
    fn reads_own_memory_and_cpu() {
        let me = memory(std::process::id()).unwrap();
        assert!(me.rss_mib > 0.0 && me.hwm_mib >= me.rss_mib);
        assert!(cpu_seconds(None).unwrap() >= 0.0);
    }
}
