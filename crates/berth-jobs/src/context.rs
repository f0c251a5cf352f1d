//! What a running job sees: a log, a progress line, and whether it is asked to stop.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use berth_types::jobs::{ExecutionId, JobId};

/// Handed to a job while it runs; the runner drains the log and progress into the task
/// row at every lease renewal.
pub struct JobContext {
    pub execution: ExecutionId,
    pub job_id: JobId,
    /// This run's number, from 1.
    pub run: u32,
    lines: Mutex<Vec<String>>,
    check_in: Mutex<String>,
    stop: AtomicBool,
    /// Lines logged so far in this run (kept or not).
    logged: AtomicU64,
}

/// Lines of one run kept in its log; a GC of a million blobs logs one line per blob, and
/// the lines past this are counted instead.
pub(crate) const MAX_LOG_LINES: u64 = 20_000;

/// Log levels as Harbor's job logs print them.
#[derive(Debug, Clone, Copy)]
pub enum Level {
    Info,
    Warning,
    Error,
}

impl JobContext {
    pub(crate) fn new(execution: ExecutionId, job_id: JobId, run: u32) -> JobContext {
        JobContext {
            execution,
            job_id,
            run,
            lines: Mutex::new(Vec::new()),
            check_in: Mutex::new(String::new()),
            stop: AtomicBool::new(false),
            logged: AtomicU64::new(0),
        }
    }

    pub fn log(&self, level: Level, message: &str) {
        if self.logged.fetch_add(1, Ordering::Relaxed) >= MAX_LOG_LINES {
            return;
        }
        let line = log_line(level, message);
        if let Ok(mut lines) = self.lines.lock() {
            lines.push(line);
        }
    }

    pub fn info(&self, message: &str) {
        self.log(Level::Info, message);
    }

    /// Sets the progress line (`/jobservice` workers' `check_in`).
    pub fn check_in(&self, text: String) {
        if let Ok(mut c) = self.check_in.lock() {
            *c = text;
        }
    }

    /// Whether the job should stop at its next safe point.
    pub fn stop_requested(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    pub(crate) fn request_stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
    }

    pub(crate) fn take_lines(&self) -> Vec<String> {
        self.lines
            .lock()
            .map(|mut l| std::mem::take(&mut *l))
            .unwrap_or_default()
    }

    /// Gives back lines that could not be written, ahead of any logged since.
    pub(crate) fn put_back(&self, mut earlier: Vec<String>) {
        if let Ok(mut lines) = self.lines.lock() {
            earlier.append(&mut lines);
            *lines = earlier;
        }
    }

    /// Lines logged past [`MAX_LOG_LINES`], not kept.
    pub(crate) fn dropped_lines(&self) -> u64 {
        self.logged
            .load(Ordering::Relaxed)
            .saturating_sub(MAX_LOG_LINES)
    }

    pub(crate) fn current_check_in(&self) -> String {
        self.check_in.lock().map(|c| c.clone()).unwrap_or_default()
    }
}

/// `2026-12-02T13:45:00Z [INFO] message`.
pub(crate) fn log_line(level: Level, message: &str) -> String {
    let level = match level {
        Level::Info => "INFO",
        Level::Warning => "WARNING",
        Level::Error => "ERROR",
    };
    format!(
        "{} [{level}] {message}",
        chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_keeps_its_first_lines_and_counts_the_rest() {
        let ctx = JobContext::new(ExecutionId(1), JobId::generate(), 1);
        for i in 0..MAX_LOG_LINES + 5 {
            ctx.info(&format!("line {i}"));
        }
        let lines = ctx.take_lines();
        assert_eq!(lines.len() as u64, MAX_LOG_LINES);
        assert!(lines[0].ends_with("[INFO] line 0"), "{}", lines[0]);
        assert_eq!(ctx.dropped_lines(), 5);
    }
}
