//! Robot accounts' permissions: Harbor's `RobotPermission` lists, which (resource, action)
//! pairs they may name, and what they grant.

use serde::{Deserialize, Serialize};

/// The name prefix that marks a robot's user name (Harbor's default `robot$`).
pub const ROBOT_PREFIX: &str = "robot$";

/// One grant of a permission entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RobotAccess {
    pub resource: String,
    pub action: String,
    #[serde(default)]
    pub effect: String,
}

/// A permission entry: `kind` "system" (namespace "/") or "project" (namespace a project
/// name, or "*" for every project).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RobotPermission {
    pub kind: String,
    pub namespace: String,
    #[serde(default)]
    pub access: Vec<RobotAccess>,
}

/// (resource, actions) a system-kind entry may name.
const SYSTEM_PAIRS: &[(&str, &[&str])] = &[
    ("audit-log", &["list"]),
    (
        "preheat-instance",
        &["read", "create", "delete", "list", "update"],
    ),
    ("project", &["list", "create"]),
    (
        "replication-policy",
        &["read", "create", "delete", "list", "update"],
    ),
    ("replication", &["read", "create", "list"]),
    ("replication-adapter", &["list"]),
    ("registry", &["read", "create", "delete", "list", "update"]),
    ("scan-all", &["read", "update", "stop", "create"]),
    ("system-volumes", &["read"]),
    (
        "garbage-collection",
        &["read", "create", "list", "update", "stop"],
    ),
    ("purge-audit", &["read", "create", "list", "update", "stop"]),
    ("jobservice-monitor", &["list", "stop"]),
    ("scanner", &["read", "create", "delete", "list", "update"]),
    ("label", &["read", "create", "delete", "update"]),
    ("security-hub", &["read", "list"]),
    ("catalog", &["read"]),
    ("quota", &["read", "list", "update"]),
    ("robot", &["create", "read", "list", "delete"]),
    ("user", &["create", "read", "update", "list", "delete"]),
    ("ldap-user", &["create", "list"]),
    (
        "user-group",
        &["create", "read", "update", "list", "delete"],
    ),
];

/// (resource, actions) a project-kind entry may name.
const PROJECT_PAIRS: &[(&str, &[&str])] = &[
    ("log", &["list"]),
    ("project", &["read", "delete", "update"]),
    ("metadata", &["read", "create", "delete", "list", "update"]),
    (
        "repository",
        &["read", "update", "delete", "list", "pull", "push"],
    ),
    ("artifact", &["read", "create", "list", "delete"]),
    ("scan", &["create", "read", "stop"]),
    ("sbom", &["create", "stop", "read"]),
    ("tag", &["create", "list", "delete"]),
    ("accessory", &["list"]),
    ("artifact-addition", &["read"]),
    ("artifact-label", &["create", "delete"]),
    ("scanner", &["create", "read"]),
    (
        "preheat-policy",
        &["read", "create", "delete", "list", "update"],
    ),
    ("immutable-tag", &["create", "delete", "list", "update"]),
    (
        "notification-policy",
        &["read", "create", "delete", "list", "update"],
    ),
    (
        "tag-retention",
        &["read", "create", "delete", "list", "update"],
    ),
    ("label", &["read", "create", "delete", "list", "update"]),
    ("quota", &["read"]),
    ("robot", &["create", "read", "list", "delete"]),
    ("export-cve", &["create", "read"]),
    ("member", &["create", "read", "update", "list", "delete"]),
];

/// Checks every entry's kind and every (resource, action) pair; the error names the first
/// pair that may not be granted, as Harbor's 400 does.
pub fn validate(permissions: &[RobotPermission]) -> Result<(), String> {
    for p in permissions {
        let pairs = match p.kind.as_str() {
            "system" => SYSTEM_PAIRS,
            "project" => PROJECT_PAIRS,
            other => return Err(format!("bad request permission kind: {other}")),
        };
        if p.namespace.is_empty() {
            return Err("bad request permission: empty namespace".into());
        }
        for a in &p.access {
            let known = pairs
                .iter()
                .any(|(r, actions)| *r == a.resource && actions.contains(&a.action.as_str()));
            if !known || !matches!(a.effect.as_str(), "" | "allow" | "deny") {
                return Err(format!(
                    "bad request permission: {}:{}",
                    a.resource, a.action
                ));
            }
        }
    }
    Ok(())
}

/// Whether the permissions grant `action` on `resource` of project `project`. A deny wins
/// over an allow; for a project robot, push on a resource implies pull on it.
pub fn project_allows(
    permissions: &[RobotPermission],
    project: &str,
    resource: &str,
    action: &str,
    project_level: bool,
) -> bool {
    let matching = || {
        permissions
            .iter()
            .filter(|p| p.kind == "project" && (p.namespace == project || p.namespace == "*"))
            .flat_map(|p| p.access.iter())
            .filter(|a| a.resource == resource)
    };
    let holds = |wanted: &str| {
        matching().any(|a| a.action == wanted && a.effect != "deny")
            && !matching().any(|a| a.action == wanted && a.effect == "deny")
    };
    holds(action) || (project_level && action == "pull" && holds("push"))
}

/// Whether the permissions grant a system-level `action` on `resource`.
pub fn system_allows(permissions: &[RobotPermission], resource: &str, action: &str) -> bool {
    let entries = || {
        permissions
            .iter()
            .filter(|p| p.kind == "system")
            .flat_map(|p| p.access.iter())
            .filter(|a| a.resource == resource && a.action == action)
    };
    entries().any(|a| a.effect != "deny") && !entries().any(|a| a.effect == "deny")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn perm(kind: &str, ns: &str, pairs: &[(&str, &str, &str)]) -> RobotPermission {
        RobotPermission {
            kind: kind.into(),
            namespace: ns.into(),
            access: pairs
                .iter()
                .map(|(r, a, e)| RobotAccess {
                    resource: (*r).into(),
                    action: (*a).into(),
                    effect: (*e).into(),
                })
                .collect(),
        }
    }

    #[test]
    fn validation_names_the_bad_pair() {
        assert!(
            validate(&[perm(
                "project",
                "library",
                &[("repository", "push", "allow")]
            )])
            .is_ok()
        );
        assert_eq!(
            validate(&[perm("project", "library", &[("repository", "fly", "")])]),
            Err("bad request permission: repository:fly".into())
        );
        assert!(validate(&[perm("system", "/", &[("repository", "push", "")])]).is_err());
        assert!(validate(&[perm("galaxy", "/", &[])]).is_err());
    }

    #[test]
    fn grants() {
        let p = vec![perm("project", "library", &[("repository", "push", "")])];
        assert!(project_allows(&p, "library", "repository", "push", true));
        assert!(
            project_allows(&p, "library", "repository", "pull", true),
            "push implies pull"
        );
        assert!(!project_allows(&p, "library", "repository", "pull", false));
        assert!(!project_allows(&p, "other", "repository", "push", true));
        let all = vec![
            perm("project", "*", &[("repository", "pull", "")]),
            perm("project", "secret", &[("repository", "pull", "deny")]),
        ];
        assert!(project_allows(
            &all,
            "anything",
            "repository",
            "pull",
            false
        ));
        assert!(
            !project_allows(&all, "secret", "repository", "pull", false),
            "deny wins"
        );
        let sys = vec![perm("system", "/", &[("catalog", "read", "")])];
        assert!(system_allows(&sys, "catalog", "read"));
        assert!(!system_allows(&sys, "user", "list"));
    }
}
