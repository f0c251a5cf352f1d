//! Harbor's `q` query parameter: `k=v` terms joined by commas, each an exact value, a fuzzy
//! one (`~v`), a range (`[min~max]`, either side may be empty), or a list (`{a b}` for any
//! of, `(a b)` for all of).

use crate::ApiError;

/// The value side of one term.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum QValue {
    Exact(String),
    Fuzzy(String),
    Range(Option<String>, Option<String>),
    AnyOf(Vec<String>),
    AllOf(Vec<String>),
}

/// The exact value `q` gives `key`, if any.
pub(crate) fn exact_term(
    query: &std::collections::BTreeMap<String, String>,
    key: &str,
) -> Result<Option<String>, ApiError> {
    let Some(q) = query.get("q") else {
        return Ok(None);
    };
    Ok(parse(q)?.into_iter().find_map(|(k, v)| match v {
        QValue::Exact(v) if k == key => Some(v),
        _ => None,
    }))
}

/// Parses a `q` value (already URL-decoded once by the query extractor; decoded once more,
/// as Harbor does).
pub(crate) fn parse(q: &str) -> Result<Vec<(String, QValue)>, ApiError> {
    let decoded: String = form_urlencoded::parse(format!("q={}", q.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    let mut terms = Vec::new();
    for term in split_terms(&decoded) {
        let Some((key, value)) = term.split_once('=') else {
            return Err(invalid());
        };
        let (key, value) = (key.trim(), value.trim());
        if key.is_empty() || value.is_empty() {
            return Err(invalid());
        }
        terms.push((key.to_owned(), value_of(value)));
    }
    Ok(terms)
}

fn invalid() -> ApiError {
    ApiError::bad_request("the query string must contain \"=\" and the key/value cannot be empty")
}

/// Splits on commas outside brackets (a range or a list may not contain commas, but a time
/// with a space must not split either).
fn split_terms(q: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut start) = (0i32, 0usize);
    for (i, c) in q.char_indices() {
        match c {
            '[' | '{' | '(' => depth += 1,
            ']' | '}' | ')' => depth -= 1,
            ',' if depth <= 0 => {
                out.push(&q[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&q[start..]);
    out.into_iter().filter(|t| !t.trim().is_empty()).collect()
}

fn unquote(s: &str) -> String {
    s.trim().trim_matches(|c| c == '"' || c == '\'').to_owned()
}

fn value_of(v: &str) -> QValue {
    if let Some(rest) = v.strip_prefix('\\') {
        return QValue::Exact(rest.to_owned());
    }
    if let Some(inner) = v.strip_prefix('[').and_then(|r| r.strip_suffix(']'))
        && let Some((min, max)) = inner.split_once('~')
    {
        let side = |s: &str| (!s.trim().is_empty()).then(|| unquote(s));
        return QValue::Range(side(min), side(max));
    }
    if let Some(inner) = v.strip_prefix('{').and_then(|r| r.strip_suffix('}')) {
        return QValue::AnyOf(inner.split_whitespace().map(unquote).collect());
    }
    if let Some(inner) = v.strip_prefix('(').and_then(|r| r.strip_suffix(')')) {
        return QValue::AllOf(inner.split_whitespace().map(unquote).collect());
    }
    if let Some(rest) = v.strip_prefix('~')
        && !rest.is_empty()
    {
        return QValue::Fuzzy(rest.to_owned());
    }
    QValue::Exact(v.to_owned())
}

/// A time bound of a range in Unix milliseconds: `2006-01-02T15:04:05` (or with a space)
/// in UTC, or a plain integer of seconds.
pub(crate) fn time_ms(s: &str) -> Result<i64, ApiError> {
    if let Ok(n) = s.parse::<i64>() {
        return Ok(n.saturating_mul(1000));
    }
    let normal = s.replace(' ', "T");
    let civil: jiff::civil::DateTime = normal
        .parse()
        .map_err(|_| ApiError::bad_request(format!("invalid time {s}")))?;
    civil
        .to_zoned(jiff::tz::TimeZone::UTC)
        .map(|z| z.timestamp().as_millisecond())
        .map_err(|_| ApiError::bad_request(format!("invalid time {s}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms() {
        let q = parse(
            "operation=create,resource=~library,op_time=[2024-01-01 00:00:00~],username={a b}",
        )
        .expect("parses");
        assert_eq!(
            q,
            vec![
                ("operation".into(), QValue::Exact("create".into())),
                ("resource".into(), QValue::Fuzzy("library".into())),
                (
                    "op_time".into(),
                    QValue::Range(Some("2024-01-01 00:00:00".into()), None)
                ),
                (
                    "username".into(),
                    QValue::AnyOf(vec!["a".into(), "b".into()])
                ),
            ]
        );
        assert_eq!(
            parse("k=\\~x").expect("parses")[0].1,
            QValue::Exact("~x".into())
        );
        assert!(parse("novalue").is_err());
        assert!(parse("k=").is_err());
        assert!(parse("=v").is_err());
    }

    #[test]
    fn times() {
        assert_eq!(
            time_ms("2024-01-02T03:04:05").expect("t"),
            1_704_164_645_000
        );
        assert_eq!(
            time_ms("2024-01-02 03:04:05").expect("t"),
            1_704_164_645_000
        );
        assert_eq!(time_ms("1704164645").expect("t"), 1_704_164_645_000);
        assert!(time_ms("yesterday").is_err());
    }
}
