//! Harbor's timestamps: RFC 3339 in UTC with milliseconds.

/// Formats Unix milliseconds as `2024-01-02T03:04:05.678Z`.
pub(crate) fn rfc3339_ms(ms: i64) -> String {
    match jiff::Timestamp::from_millisecond(ms) {
        Ok(t) => t.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        Err(_) => "0001-01-01T00:00:00.000Z".to_owned(),
    }
}

/// A pull time: Harbor shows "never" as the zero time of Go.
pub(crate) fn pull_time(ms: i64) -> String {
    if ms <= 0 {
        "0001-01-01T00:00:00.000Z".to_owned()
    } else {
        rfc3339_ms(ms)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn formats_with_milliseconds() {
        assert_eq!(
            super::rfc3339_ms(1_704_164_645_678),
            "2024-01-02T03:04:05.678Z"
        );
        assert_eq!(super::rfc3339_ms(0), "1970-01-01T00:00:00.000Z");
    }
}
