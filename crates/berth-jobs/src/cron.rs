//! Cron expressions as Harbor takes them: six fields with seconds (which must be `0`), or
//! five fields, or a descriptor such as `@daily`; times in UTC.

use chrono::{TimeZone, Utc};
use croner::Cron;
use croner::parser::{CronParser, Seconds, Year};

use crate::JobError;

/// A checked cron expression.
#[derive(Debug, Clone)]
pub struct CronSpec {
    text: String,
    cron: Cron,
}

impl CronSpec {
    pub fn parse(text: &str) -> Result<CronSpec, JobError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(JobError::Invalid("the cron setting is empty".into()));
        }
        let fields: Vec<&str> = text.split_whitespace().collect();
        if fields.len() == 6 && fields[0] != "0" {
            return Err(JobError::Invalid(
                "the 1st field (indicating Seconds of time) of the cron setting must be 0".into(),
            ));
        }
        if !text.starts_with('@') && !(5..=6).contains(&fields.len()) {
            return Err(JobError::Invalid(format!(
                "invalid cron {text:?}: a cron has 6 fields (seconds first)"
            )));
        }
        let cron = CronParser::builder()
            .seconds(Seconds::Optional)
            .year(Year::Disallowed)
            .build()
            .parse(text)
            .map_err(|e| JobError::Invalid(format!("invalid cron {text:?}: {e}")))?;
        Ok(CronSpec {
            text: text.to_owned(),
            cron,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The first time strictly after `after_ms` (Unix milliseconds) that the cron names.
    pub fn next_after(&self, after_ms: i64) -> Result<i64, JobError> {
        // Whole seconds: the next time is a cron's own, not shifted by this instant's
        // milliseconds.
        let after = Utc
            .timestamp_millis_opt(after_ms - after_ms.rem_euclid(1000))
            .single()
            .ok_or_else(|| JobError::Invalid("time out of range".into()))?;
        self.cron
            .find_next_occurrence(&after, false)
            .map(|t| t.timestamp_millis())
            .map_err(|e| JobError::Invalid(format!("cron {:?} never fires: {e}", self.text)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn harbor_crons_parse() {
        for c in [
            "0 0 * * * *",
            "0 0 0 * * *",
            "0 0 0 * * 0",
            "0 */5 * * * *",
            "@daily",
            "5 4 * * *",
        ] {
            CronSpec::parse(c).unwrap();
        }
    }

    #[test]
    fn seconds_must_be_zero_and_junk_is_refused() {
        let e = CronSpec::parse("5 0 0 * * *").unwrap_err().to_string();
        assert!(e.contains("must be 0"), "{e}");
        for c in ["", "not a cron", "0 0 0 * *  * * *", "0 99 * * * *"] {
            assert!(CronSpec::parse(c).is_err(), "{c}");
        }
    }

    #[test]
    fn next_time_is_strictly_later() {
        let daily = CronSpec::parse("0 0 0 * * *").unwrap();
        let midnight = 1_767_225_600_000; // 2026-01-01T00:00:00Z
        assert_eq!(daily.next_after(midnight).unwrap(), midnight + 86_400_000);
        assert_eq!(daily.next_after(midnight - 1).unwrap(), midnight);
    }
}
