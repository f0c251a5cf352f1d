//! Repositories, artifacts, tags and labels.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

/// `Repository`.
#[derive(Serialize, ToSchema)]
pub(crate) struct Repository {
    pub id: i64,
    pub project_id: i64,
    pub name: String,
    pub description: String,
    pub artifact_count: i64,
    pub pull_count: i64,
    pub creation_time: String,
    pub update_time: String,
}

/// `Tag`.
#[derive(Serialize, ToSchema)]
pub(crate) struct Tag {
    pub id: i64,
    pub repository_id: i64,
    pub artifact_id: i64,
    pub name: String,
    pub push_time: String,
    pub pull_time: String,
    pub immutable: bool,
}

/// `Label`.
#[derive(Serialize, ToSchema)]
pub(crate) struct Label {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub color: String,
    pub scope: String,
    pub project_id: i64,
    pub creation_time: String,
    pub update_time: String,
}

/// `Accessory`.
#[derive(Serialize, ToSchema)]
pub(crate) struct Accessory {
    pub id: i64,
    pub artifact_id: i64,
    pub subject_artifact_id: i64,
    pub subject_artifact_repo: String,
    pub subject_artifact_digest: String,
    pub size: i64,
    pub digest: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub icon: String,
    pub creation_time: String,
}

/// `Reference`: a child an index names.
#[derive(Serialize, ToSchema)]
pub(crate) struct Reference {
    pub parent_id: i64,
    pub child_id: i64,
    pub child_digest: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub platform: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub annotations: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<String>>)]
    pub urls: Option<Value>,
}

/// `AdditionLink`.
#[derive(Serialize, ToSchema)]
pub(crate) struct AdditionLink {
    pub href: String,
    pub absolute: bool,
}

/// `Artifact`: tags, labels, accessories and the scan overview only when asked for.
#[derive(Serialize, ToSchema)]
pub(crate) struct Artifact {
    pub id: i64,
    #[serde(rename = "type")]
    pub kind: String,
    pub media_type: String,
    pub manifest_media_type: String,
    pub artifact_type: String,
    pub project_id: i64,
    pub repository_id: i64,
    pub repository_name: String,
    pub digest: String,
    pub size: i64,
    pub icon: String,
    pub push_time: String,
    pub pull_time: String,
    #[schema(value_type = Object)]
    pub extra_attrs: Value,
    #[schema(value_type = Object)]
    pub annotations: Value,
    pub references: Vec<Reference>,
    pub addition_links: BTreeMap<String, AdditionLink>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<Tag>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub labels: Option<Vec<Label>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accessories: Option<Vec<Accessory>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub scan_overview: Option<Value>,
}
