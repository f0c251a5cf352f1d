use std::fmt;
use std::str::FromStr;

use crate::ParseError;

/// Longest repository name accepted, in bytes (the spec's recommended limit).
pub const MAX_NAME_LEN: usize = 255;

/// A repository name as the distribution spec defines it:
/// path components of `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*` joined by `/`.
///
/// A valid name can never hold `..`, an empty component, or an upper-case letter, so it
/// is safe to use in storage paths and queries.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RepoName(String);

impl RepoName {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The first path component: the project in Harbor's model.
    pub fn project(&self) -> &str {
        self.0.split('/').next().unwrap_or(&self.0)
    }
}

fn valid_component(c: &str) -> bool {
    let b = c.as_bytes();
    let alnum = |x: u8| x.is_ascii_lowercase() || x.is_ascii_digit();
    if b.is_empty() || !alnum(b[0]) || !alnum(b[b.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        if alnum(b[i]) {
            i += 1;
            continue;
        }
        // A separator run: ".", "_", "__" or one or more "-".
        let start = i;
        let sep = b[i];
        while i < b.len() && b[i] == sep {
            i += 1;
        }
        let run = i - start;
        let ok = match sep {
            b'.' => run == 1,
            b'_' => run <= 2,
            b'-' => true,
            _ => false,
        };
        if !ok {
            return false;
        }
    }
    true
}

impl FromStr for RepoName {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        if s.is_empty() || s.len() > MAX_NAME_LEN || !s.split('/').all(valid_component) {
            return Err(ParseError::Name(s.chars().take(300).collect()));
        }
        Ok(RepoName(s.to_owned()))
    }
}

impl fmt::Display for RepoName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for RepoName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_spec_names() {
        for ok in [
            "a",
            "library/ubuntu",
            "a.b/c_d/e__f/g-h/i---j",
            "0/1/2",
            "foo/blobs/bar",
        ] {
            assert!(ok.parse::<RepoName>().is_ok(), "{ok}");
        }
    }

    #[test]
    fn rejects_bad_names() {
        let long = "a".repeat(256);
        for bad in [
            "",
            "/a",
            "a/",
            "a//b",
            "../a",
            "a/../b",
            "A/b",
            "a..b",
            "a___b",
            "-a",
            "a-",
            "a b",
            "a/.",
            "a%2fb",
            long.as_str(),
        ] {
            assert!(
                bad.parse::<RepoName>().is_err(),
                "{bad:?} should be rejected"
            );
        }
    }

    #[test]
    fn project_is_first_component() {
        let n: RepoName = "library/sub/img".parse().expect("valid");
        assert_eq!(n.project(), "library");
    }
}
