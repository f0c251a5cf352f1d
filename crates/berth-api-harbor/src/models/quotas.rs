//! `Quota` and `QuotaUpdateReq`.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `ResourceList`: the one resource berth counts.
#[derive(Serialize, Deserialize, ToSchema)]
pub(crate) struct ResourceList {
    pub storage: i64,
}

/// `QuotaRefObject` of a project.
#[derive(Serialize, ToSchema)]
pub(crate) struct QuotaRef {
    pub id: i64,
    pub name: String,
    pub owner_name: String,
}

/// `Quota`.
#[derive(Serialize, ToSchema)]
pub(crate) struct Quota {
    pub id: i64,
    #[serde(rename = "ref")]
    pub reference: QuotaRef,
    pub hard: ResourceList,
    pub used: ResourceList,
    pub creation_time: String,
    pub update_time: String,
}

/// `QuotaUpdateReq`.
#[derive(Deserialize, ToSchema)]
pub(crate) struct QuotaUpdateReq {
    pub hard: ResourceList,
}
