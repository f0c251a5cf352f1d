//! Project storage quotas: Harbor's `/quotas` and the message of a refused push.

/// Harbor's words for a push refused by a quota.
pub(crate) fn exceeded_message(adding: i64, used: i64, hard: i64) -> String {
    format!(
        "adding {} of storage resource, which when updated to current usage of {} will exceed \
         the configured upper limit of {}.",
        human_bytes(adding),
        human_bytes(used),
        human_bytes(hard)
    )
}

/// A size as Harbor writes it: `512 B`, `1.5 KiB`, `2 GiB`.
pub fn human_bytes(n: i64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value.abs() >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    let text = format!("{value:.1}");
    let text = text.strip_suffix(".0").unwrap_or(&text);
    format!("{text} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::human_bytes;

    #[test]
    fn sizes_read_like_harbor() {
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(2 * 1024 * 1024 * 1024), "2 GiB");
    }
}
