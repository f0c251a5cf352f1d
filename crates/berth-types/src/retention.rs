//! Harbor's tag retention policies: the policy a project keeps, its validation, and the
//! rule that decides which artifacts of a repository stay.
//!
//! Each enabled rule selects the repositories it applies to (doublestar patterns on the
//! name without the project) and, among a repository's artifacts, those its tag selectors
//! select (untagged ones only when its `extras` say `{"untagged": true}`); its template then
//! keeps some of them (the K latest pushed, those pulled within N days, ...). What any rule
//! keeps stays ("or"); every other artifact of a repository that some rule applies to goes.

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::immutability::{Selector, glob, selects};

/// Most rules a policy may hold.
pub const MAX_RULES: usize = 15;
/// Largest count or number of days a template takes (Harbor's limit).
pub const MAX_PARAM: i64 = 20_190_904;

/// `RetentionPolicy`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RetentionPolicy {
    #[serde(default)]
    pub id: i64,
    #[serde(default)]
    pub algorithm: String,
    #[serde(default)]
    pub rules: Vec<RetentionRule>,
    #[serde(default)]
    pub trigger: Option<RetentionTrigger>,
    #[serde(default)]
    pub scope: Option<RetentionScope>,
}

/// `RetentionRule`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RetentionRule {
    #[serde(default)]
    pub id: i64,
    #[serde(default)]
    pub priority: i64,
    #[serde(default)]
    pub disabled: bool,
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub template: String,
    #[serde(default)]
    pub params: BTreeMap<String, Value>,
    #[serde(default)]
    pub tag_selectors: Vec<Selector>,
    #[serde(default)]
    pub scope_selectors: BTreeMap<String, Vec<Selector>>,
}

/// `RetentionRuleTrigger`: `{"kind": "Schedule", "settings": {"cron": "..."}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RetentionTrigger {
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub settings: BTreeMap<String, Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub references: Option<BTreeMap<String, Value>>,
}

/// `RetentionPolicyScope`: the project a policy belongs to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RetentionScope {
    #[serde(default)]
    pub level: String,
    #[serde(default, rename = "ref")]
    pub reference: i64,
}

/// A template: its id (also its parameter's name), what it keeps, its parameter's unit.
pub struct Template {
    pub id: &'static str,
    pub display_text: &'static str,
    /// `None` for `always`, which takes no parameter.
    pub unit: Option<&'static str>,
}

pub const TEMPLATES: [Template; 7] = [
    Template {
        id: "latestPushedK",
        display_text: "the most recently pushed # artifacts",
        unit: Some("count"),
    },
    Template {
        id: "latestPulledN",
        display_text: "the most recently pulled # artifacts",
        unit: Some("count"),
    },
    Template {
        id: "latestActiveK",
        display_text: "the most recently pushed or pulled # artifacts",
        unit: Some("count"),
    },
    Template {
        id: "nDaysSinceLastPush",
        display_text: "pushed within the last # days",
        unit: Some("days"),
    },
    Template {
        id: "nDaysSinceLastPull",
        display_text: "pulled within the last # days",
        unit: Some("days"),
    },
    Template {
        id: "lastXDays",
        display_text: "pushed within the last # days",
        unit: Some("days"),
    },
    Template {
        id: "always",
        display_text: "always",
        unit: None,
    },
];

/// One artifact of a repository as retention sees it.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub id: i64,
    pub tags: Vec<String>,
    /// Unix milliseconds; `pulled` is 0 when never pulled.
    pub pushed: i64,
    pub pulled: i64,
}

const DAY_MS: i64 = 24 * 3600 * 1000;

impl RetentionPolicy {
    /// Checks a policy as sent. Returns the schedule's cron (empty: no schedule), which
    /// the caller checks as a cron.
    pub fn validate(&self) -> Result<String, String> {
        if self.algorithm != "or" {
            return Err("the algorithm of a retention policy must be \"or\"".into());
        }
        match &self.scope {
            Some(s) if s.level == "project" && s.reference > 0 => {}
            _ => return Err("the scope of a retention policy is a project: {\"level\":\"project\",\"ref\":<project id>}".into()),
        }
        if self.rules.len() > MAX_RULES {
            return Err(format!(
                "a retention policy holds at most {MAX_RULES} rules"
            ));
        }
        for (i, rule) in self.rules.iter().enumerate() {
            rule.validate()
                .map_err(|e| format!("rule {}: {e}", i + 1))?;
            if let Some(j) = self.rules[..i].iter().position(|r| r.same_as(rule)) {
                return Err(format!("rule {} is conflict with rule {}", i + 1, j + 1));
            }
        }
        let cron = match &self.trigger {
            None => String::new(),
            Some(t) => {
                if !t.kind.is_empty() && t.kind != "Schedule" {
                    return Err("the trigger of a retention policy is of kind Schedule".into());
                }
                match t.settings.get("cron") {
                    None | Some(Value::Null) => String::new(),
                    Some(Value::String(c)) => c.trim().to_owned(),
                    Some(_) => return Err("trigger.settings.cron must be a string".into()),
                }
            }
        };
        Ok(cron)
    }

    /// The project the policy belongs to.
    pub fn project_id(&self) -> i64 {
        self.scope.as_ref().map_or(0, |s| s.reference)
    }

    /// Which candidates of a repository (named without its project) stay: `None` when no
    /// enabled rule applies to the repository (it is left alone).
    pub fn retained(
        &self,
        repository: &str,
        candidates: &[Candidate],
        now: i64,
    ) -> Option<HashSet<i64>> {
        let mut applies = false;
        let mut kept = HashSet::new();
        for rule in self.rules.iter().filter(|r| !r.disabled) {
            if !rule.applies_to(repository) {
                continue;
            }
            applies = true;
            let selected: Vec<&Candidate> = candidates.iter().filter(|c| rule.selects(c)).collect();
            kept.extend(rule.keep(selected, now));
        }
        applies.then_some(kept)
    }
}

impl RetentionRule {
    fn validate(&self) -> Result<(), String> {
        if self.action != "retain" {
            return Err("the action of a rule is \"retain\"".into());
        }
        let Some(template) = TEMPLATES.iter().find(|t| t.id == self.template) else {
            return Err(format!("unknown template {:?}", self.template));
        };
        if template.unit.is_some() {
            let value = self
                .params
                .get(template.id)
                .ok_or_else(|| format!("the parameter {} is required", template.id))?;
            let n = value
                .as_i64()
                .or_else(|| {
                    value
                        .as_f64()
                        .filter(|f| f.fract() == 0.0)
                        .map(|f| f as i64)
                })
                .ok_or_else(|| format!("the parameter {} must be an integer", template.id))?;
            if n < 0 {
                return Err(format!(
                    "the parameter {} must not be negative",
                    template.id
                ));
            }
            if n > MAX_PARAM {
                return Err(format!("the parameter {} is too large", template.id));
            }
        }
        if self.tag_selectors.is_empty() {
            return Err("a rule needs a tag selector".into());
        }
        for s in &self.tag_selectors {
            if s.kind != "doublestar" || !matches!(s.decoration.as_str(), "matches" | "excludes") {
                return Err("a tag selector is of kind doublestar and matches or excludes".into());
            }
            glob(&s.pattern)?;
        }
        let repos = self
            .scope_selectors
            .get("repository")
            .map_or(&[][..], Vec::as_slice);
        if repos.is_empty() {
            return Err("a rule needs a repository selector".into());
        }
        for s in repos {
            if s.kind != "doublestar"
                || !matches!(s.decoration.as_str(), "repoMatches" | "repoExcludes")
            {
                return Err(
                    "a repository selector is of kind doublestar and repoMatches or repoExcludes"
                        .into(),
                );
            }
            glob(&s.pattern)?;
        }
        Ok(())
    }

    /// Two rules that would select and keep the same.
    fn same_as(&self, other: &RetentionRule) -> bool {
        self.template == other.template
            && self.params == other.params
            && self.tag_selectors == other.tag_selectors
            && self.scope_selectors == other.scope_selectors
    }

    fn applies_to(&self, repository: &str) -> bool {
        self.scope_selectors
            .get("repository")
            .is_some_and(|r| !r.is_empty() && r.iter().all(|s| selects(s, repository)))
    }

    /// Tag selectors: an untagged artifact only when every selector's extras include
    /// untagged ones; a tagged one when each `matches` selector matches one of its tags and
    /// no `excludes` selector does.
    fn selects(&self, c: &Candidate) -> bool {
        if c.tags.is_empty() {
            return self.tag_selectors.iter().all(untagged_included);
        }
        self.tag_selectors
            .iter()
            .all(|s| match s.decoration.as_str() {
                "excludes" => c.tags.iter().all(|t| selects(s, t)),
                _ => c.tags.iter().any(|t| selects(s, t)),
            })
    }

    fn param(&self) -> i64 {
        self.params
            .get(&self.template)
            .and_then(|v| v.as_i64().or_else(|| v.as_f64().map(|f| f as i64)))
            .unwrap_or(0)
    }

    fn keep(&self, mut selected: Vec<&Candidate>, now: i64) -> Vec<i64> {
        let n = self.param();
        let count = usize::try_from(n).unwrap_or(0);
        let latest = |selected: &mut Vec<&Candidate>, key: &dyn Fn(&Candidate) -> i64| {
            selected.sort_by(|a, b| key(b).cmp(&key(a)).then(b.id.cmp(&a.id)));
            selected
                .iter()
                .take(count)
                .map(|c| c.id)
                .collect::<Vec<_>>()
        };
        match self.template.as_str() {
            "latestPushedK" => latest(&mut selected, &|c| c.pushed),
            "latestPulledN" => latest(&mut selected, &|c| c.pulled),
            "latestActiveK" => latest(&mut selected, &|c| c.pushed.max(c.pulled)),
            "nDaysSinceLastPush" | "lastXDays" => selected
                .iter()
                .filter(|c| c.pushed >= now - n.saturating_mul(DAY_MS))
                .map(|c| c.id)
                .collect(),
            "nDaysSinceLastPull" => selected
                .iter()
                .filter(|c| c.pulled > 0 && c.pulled >= now - n.saturating_mul(DAY_MS))
                .map(|c| c.id)
                .collect(),
            "always" => selected.iter().map(|c| c.id).collect(),
            _ => Vec::new(),
        }
    }
}

/// A selector's `extras` (`{"untagged": true}`) say whether untagged artifacts are
/// selected; a selector without extras selects them (Harbor's older policies).
fn untagged_included(s: &Selector) -> bool {
    match s.extras.as_deref().map(serde_json::from_str::<Value>) {
        None => true,
        Some(Ok(v)) => v.get("untagged").and_then(Value::as_bool).unwrap_or(false),
        Some(Err(_)) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn policy(rules: Value) -> RetentionPolicy {
        serde_json::from_value(json!({
            "algorithm": "or", "scope": {"level": "project", "ref": 1},
            "trigger": {"kind": "Schedule", "settings": {"cron": ""}},
            "rules": rules,
        }))
        .unwrap()
    }

    fn rule(template: &str, n: i64, tags: &str, untagged: bool, repos: &str) -> Value {
        json!({"action": "retain", "template": template, "params": {template: n},
               "tag_selectors": [{"kind": "doublestar", "decoration": "matches", "pattern": tags,
                                  "extras": format!("{{\"untagged\":{untagged}}}")}],
               "scope_selectors": {"repository": [{"kind": "doublestar", "decoration": "repoMatches", "pattern": repos}]}})
    }

    fn c(id: i64, tags: &[&str], pushed: i64, pulled: i64) -> Candidate {
        Candidate {
            id,
            tags: tags.iter().map(|t| t.to_string()).collect(),
            pushed,
            pulled,
        }
    }

    #[test]
    fn latest_pushed_keeps_k_and_untagged_only_when_selected() {
        let cands = [
            c(1, &["v1"], 10, 0),
            c(2, &["v2"], 20, 0),
            c(3, &["v3"], 30, 0),
            c(4, &[], 40, 0),
        ];
        let p = policy(json!([rule("latestPushedK", 2, "**", false, "**")]));
        assert_eq!(p.validate(), Ok(String::new()));
        assert_eq!(p.retained("app", &cands, 0), Some(HashSet::from([2, 3])));
        let p = policy(json!([rule("latestPushedK", 2, "**", true, "**")]));
        assert_eq!(p.retained("app", &cands, 0), Some(HashSet::from([3, 4])));
    }

    #[test]
    fn rules_combine_with_or_and_repositories_outside_every_rule_are_left_alone() {
        let cands = [
            c(1, &["v1"], 10, 500),
            c(2, &["dev-1"], 20, 0),
            c(3, &["v3"], 30, 0),
        ];
        let p = policy(json!([
            rule("latestPulledN", 1, "**", false, "app*"),
            rule("always", 0, "dev-*", false, "app*")
        ]));
        assert_eq!(p.retained("app", &cands, 0), Some(HashSet::from([1, 2])));
        assert_eq!(p.retained("other", &cands, 0), None);
    }

    #[test]
    fn days_templates_count_from_now() {
        let now = 100 * DAY_MS;
        let cands = [
            c(1, &["a"], now - 2 * DAY_MS, now - DAY_MS),
            c(2, &["b"], now - 10 * DAY_MS, 0),
        ];
        let p = policy(json!([rule("nDaysSinceLastPush", 3, "**", false, "**")]));
        assert_eq!(p.retained("x", &cands, now), Some(HashSet::from([1])));
        let p = policy(json!([rule("nDaysSinceLastPull", 30, "**", false, "**")]));
        assert_eq!(p.retained("x", &cands, now), Some(HashSet::from([1])));
    }

    #[test]
    fn bad_policies_are_refused() {
        let mut p = policy(json!([
            rule("latestPushedK", 1, "**", false, "**"),
            rule("latestPushedK", 1, "**", false, "**")
        ]));
        assert_eq!(p.validate(), Err("rule 2 is conflict with rule 1".into()));
        p.rules.truncate(1);
        p.algorithm = "and".into();
        assert!(p.validate().is_err());
        let p = policy(json!([rule(
            "latestPushedK",
            MAX_PARAM + 1,
            "**",
            false,
            "**"
        )]));
        assert!(p.validate().unwrap_err().contains("too large"));
        let p = policy(json!([rule("sometimes", 1, "**", false, "**")]));
        assert!(p.validate().unwrap_err().contains("unknown template"));
        let many: Vec<Value> = (0..16)
            .map(|i| rule("latestPushedK", i, "**", false, "**"))
            .collect();
        assert!(
            policy(Value::Array(many))
                .validate()
                .unwrap_err()
                .contains("at most 15")
        );
    }
}
