//! Project metadata: Harbor's keys with the values a new project gets, their checks, and
//! the reads and changes of `/projects/{p}` and `/projects/{p}/metadatas`.

use std::collections::BTreeMap;

use berth_auth::Identity;
use berth_auth::rbac::{ProjectResource, Verb};

use crate::CoreError;
use crate::accounts::{Accounts, ProjectKey};
use crate::audit::Operation;

/// Project metadata keys Harbor stores, with the values a new project gets.
const PROJECT_METADATA_DEFAULTS: &[(&str, &str)] = &[
    ("public", "false"),
    ("auto_scan", "false"),
    ("auto_sbom_generation", "false"),
    ("enable_content_trust", "false"),
    ("enable_content_trust_cosign", "false"),
    ("prevent_vul", "false"),
    ("severity", "low"),
    ("reuse_sys_cve_allowlist", "true"),
];

/// Keys whose value must be "true" or "false".
const BOOLEAN_KEYS: &[&str] = &[
    "public",
    "auto_scan",
    "auto_sbom_generation",
    "enable_content_trust",
    "enable_content_trust_cosign",
    "prevent_vul",
    "reuse_sys_cve_allowlist",
];
const SEVERITIES: &[&str] = &["none", "low", "medium", "high", "critical"];

impl Accounts {
    /// A project's metadata (`metadata:read`: project admins and maintainers).
    pub async fn project_metadata(
        &self,
        who: &Identity,
        key: &ProjectKey,
    ) -> Result<BTreeMap<String, String>, CoreError> {
        let row = self.project(who, key).await?;
        self.require(who, &row, ProjectResource::Metadata, Verb::Read)
            .await?;
        Ok(row.metadata)
    }

    /// Updates a project's metadata (project admins and system administrators).
    pub async fn update_project_metadata(
        &self,
        who: &Identity,
        key: &ProjectKey,
        metadata: &BTreeMap<String, String>,
    ) -> Result<(), CoreError> {
        self.change_project_metadata(who, key, metadata, ProjectResource::Project)
            .await
    }

    /// Adds or changes metadata keys through `/metadatas` (`metadata` create or update).
    pub async fn set_metadata_keys(
        &self,
        who: &Identity,
        key: &ProjectKey,
        metadata: &BTreeMap<String, String>,
    ) -> Result<(), CoreError> {
        self.change_project_metadata(who, key, metadata, ProjectResource::Metadata)
            .await
    }

    /// Removes a metadata key; a key Harbor gives every project gets its default back.
    pub async fn delete_metadata_key(
        &self,
        who: &Identity,
        key: &ProjectKey,
        name: &str,
    ) -> Result<(), CoreError> {
        let row = self.project(who, key).await?;
        self.require(who, &row, ProjectResource::Metadata, Verb::Delete)
            .await?;
        if !row.metadata.contains_key(name) {
            return Err(CoreError::NotFound(format!("metadata {name} not found")));
        }
        match PROJECT_METADATA_DEFAULTS.iter().find(|(k, _)| *k == name) {
            Some((k, v)) => {
                let reset = BTreeMap::from([((*k).to_owned(), (*v).to_owned())]);
                self.meta().set_project_metadata(row.id, &reset).await?;
            }
            None => {
                self.meta().delete_project_metadata(row.id, name).await?;
            }
        }
        self.forget_access();
        self.audit().record(
            who,
            Operation::Delete,
            "project",
            &format!("{} metadata {name}", row.name),
            Some(&row.name),
            true,
        );
        Ok(())
    }

    async fn change_project_metadata(
        &self,
        who: &Identity,
        key: &ProjectKey,
        metadata: &BTreeMap<String, String>,
        resource: ProjectResource,
    ) -> Result<(), CoreError> {
        let row = self.project(who, key).await?;
        let adds = metadata.keys().any(|k| !row.metadata.contains_key(k));
        let verb = if resource == ProjectResource::Metadata && adds {
            Verb::Create
        } else {
            Verb::Update
        };
        self.require(who, &row, resource, verb).await?;
        let mut checked = BTreeMap::new();
        for (k, v) in metadata {
            checked.insert(k.clone(), check_metadata(k, v)?);
        }
        self.meta().set_project_metadata(row.id, &checked).await?;
        self.forget_access();
        self.audit().record(
            who,
            Operation::Update,
            "project",
            &row.name,
            Some(&row.name),
            true,
        );
        Ok(())
    }
}

pub(crate) fn default_metadata() -> BTreeMap<String, String> {
    PROJECT_METADATA_DEFAULTS
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// Validates one project metadata value and returns it as stored.
pub(crate) fn check_metadata(key: &str, value: &str) -> Result<String, CoreError> {
    let bad = || CoreError::Invalid(format!("invalid value of project metadata {key}: {value}"));
    if BOOLEAN_KEYS.contains(&key) {
        return match value.to_ascii_lowercase().as_str() {
            v @ ("true" | "false") => Ok(v.to_owned()),
            _ => Err(bad()),
        };
    }
    match key {
        "severity" if SEVERITIES.contains(&value.to_ascii_lowercase().as_str()) => {
            Ok(value.to_ascii_lowercase())
        }
        "severity" => Err(bad()),
        "retention_id" | "proxy_speed_kb" if value.parse::<i64>().is_ok() => Ok(value.to_owned()),
        "retention_id" | "proxy_speed_kb" => Err(bad()),
        _ => Err(CoreError::Invalid(format!(
            "unknown project metadata key {key}"
        ))),
    }
}
