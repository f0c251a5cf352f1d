//! Harbor's tag immutability rules: which tags of which repositories may not be overwritten
//! or deleted. A rule selects repositories (by name without the project) and tags with
//! doublestar patterns (`**`, `*`, `?`, `{a,b}`), each `matches` or `excludes`.

use std::collections::BTreeMap;

use globset::{GlobBuilder, GlobMatcher};
use serde::{Deserialize, Serialize};

/// One selector of a rule, as Harbor's `ImmutableSelector`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Selector {
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub decoration: String,
    #[serde(default)]
    pub pattern: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extras: Option<String>,
}

/// A rule, as Harbor's `ImmutableRule` (its id and project are the store's).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImmutableRule {
    #[serde(default)]
    pub disabled: bool,
    #[serde(default)]
    pub priority: i64,
    #[serde(default = "immutable")]
    pub action: String,
    #[serde(default = "template")]
    pub template: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params: Option<serde_json::Value>,
    #[serde(default)]
    pub tag_selectors: Vec<Selector>,
    #[serde(default)]
    pub scope_selectors: BTreeMap<String, Vec<Selector>>,
}

fn immutable() -> String {
    "immutable".into()
}

fn template() -> String {
    "immutable_template".into()
}

pub(crate) fn glob(pattern: &str) -> Result<GlobMatcher, String> {
    GlobBuilder::new(pattern)
        .literal_separator(true)
        .build()
        .map(|g| g.compile_matcher())
        .map_err(|e| format!("invalid pattern {pattern:?}: {e}"))
}

/// Whether `name` is selected: `matches` selects what the pattern matches, `excludes` what
/// it does not.
pub(crate) fn selects(s: &Selector, name: &str) -> bool {
    let hit = glob(&s.pattern).is_ok_and(|g| g.is_match(name));
    match s.decoration.as_str() {
        "excludes" | "repoExcludes" => !hit,
        _ => hit,
    }
}

impl ImmutableRule {
    /// Checks a rule as sent: one doublestar tag selector and one repository selector with
    /// patterns that compile.
    pub fn validate(&self) -> Result<(), String> {
        let repos = self
            .scope_selectors
            .get("repository")
            .map_or(&[][..], Vec::as_slice);
        if self.tag_selectors.len() != 1 || repos.len() != 1 {
            return Err("a rule has one tag selector and one repository selector".into());
        }
        let (tag, repo) = (&self.tag_selectors[0], &repos[0]);
        if tag.kind != "doublestar" || repo.kind != "doublestar" {
            return Err("selectors are of kind doublestar".into());
        }
        if !matches!(tag.decoration.as_str(), "matches" | "excludes") {
            return Err("a tag selector matches or excludes".into());
        }
        if !matches!(repo.decoration.as_str(), "repoMatches" | "repoExcludes") {
            return Err("a repository selector repoMatches or repoExcludes".into());
        }
        if tag.pattern.is_empty() || repo.pattern.is_empty() {
            return Err("selector patterns must not be empty".into());
        }
        glob(&tag.pattern)?;
        glob(&repo.pattern)?;
        Ok(())
    }

    /// Whether two rules select the same (Harbor refuses a second identical rule).
    pub fn same_selection(&self, other: &ImmutableRule) -> bool {
        self.tag_selectors == other.tag_selectors && self.scope_selectors == other.scope_selectors
    }

    /// Whether this (enabled) rule makes `tag` of `repository` (without the project)
    /// immutable.
    pub fn holds(&self, repository: &str, tag: &str) -> bool {
        !self.disabled
            && self
                .scope_selectors
                .get("repository")
                .is_some_and(|r| r.iter().all(|s| selects(s, repository)))
            && !self.tag_selectors.is_empty()
            && self.tag_selectors.iter().all(|s| selects(s, tag))
    }
}

/// Whether any of the rules makes the tag immutable.
pub fn is_immutable(rules: &[ImmutableRule], repository: &str, tag: &str) -> bool {
    rules.iter().any(|r| r.holds(repository, tag))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(repo: &str, repo_dec: &str, tag: &str, tag_dec: &str) -> ImmutableRule {
        serde_json::from_value(serde_json::json!({
            "tag_selectors": [{"kind": "doublestar", "decoration": tag_dec, "pattern": tag}],
            "scope_selectors": {"repository": [{"kind": "doublestar", "decoration": repo_dec, "pattern": repo}]},
        }))
        .unwrap()
    }

    #[test]
    fn doublestar_selectors() {
        let r = rule("**", "repoMatches", "v1.*", "matches");
        assert!(r.validate().is_ok());
        assert!(r.holds("team/app", "v1.2"));
        assert!(!r.holds("app", "v2.0"));
        let r = rule("app*", "repoMatches", "{latest,stable}", "matches");
        assert!(r.holds("app-x", "stable") && !r.holds("team/app", "stable"));
        let r = rule("**", "repoExcludes", "dev-*", "excludes");
        assert!(!r.holds("app", "v1"), "every repository is excluded");
        let r = rule("tmp/**", "repoExcludes", "dev-*", "excludes");
        assert!(r.holds("app", "v1") && !r.holds("app", "dev-1") && !r.holds("tmp/x", "v1"));
        let mut off = rule("**", "repoMatches", "**", "matches");
        off.disabled = true;
        assert!(!off.holds("app", "v1"));
        assert!(rule("**", "oops", "x", "matches").validate().is_err());
    }
}
