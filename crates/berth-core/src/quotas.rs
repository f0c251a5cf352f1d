//! Project storage quotas: Harbor's `/quotas` and the message of a refused push.

use berth_auth::Identity;
use berth_meta::{QuotaOrder, QuotaRow};

use crate::CoreError;
use crate::accounts::{Accounts, require_sysadmin};

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

/// The largest limit Harbor accepts: 1024 TiB.
pub const MAX_STORAGE: i64 = 1024 * 1024 * 1024 * 1024 * 1024;

impl Accounts {
    /// A page of quotas (system administrators only).
    pub async fn quotas(
        &self,
        who: &Identity,
        project: Option<i64>,
        order: QuotaOrder,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<QuotaRow>, i64), CoreError> {
        require_sysadmin(who)?;
        Ok(self
            .meta()
            .list_quotas(project, order, limit, offset)
            .await?)
    }

    /// One quota (system administrators only).
    pub async fn quota(&self, who: &Identity, id: i64) -> Result<QuotaRow, CoreError> {
        require_sysadmin(who)?;
        self.meta()
            .quota(id)
            .await?
            .ok_or_else(|| CoreError::NotFound(format!("quota {id} not found")))
    }

    /// Sets a quota's storage limit: -1 (unlimited) or 1 byte to 1024 TiB.
    pub async fn set_quota(&self, who: &Identity, id: i64, hard: i64) -> Result<(), CoreError> {
        require_sysadmin(who)?;
        if hard != -1 && !(1..=MAX_STORAGE).contains(&hard) {
            return Err(CoreError::Invalid(format!(
                "storage limit must be -1 or between 1 and {MAX_STORAGE}"
            )));
        }
        if !self.meta().set_quota_hard(id, hard).await? {
            return Err(CoreError::NotFound(format!("quota {id} not found")));
        }
        self.audit_quota_change(who, id);
        Ok(())
    }

    fn audit_quota_change(&self, who: &Identity, id: i64) {
        self.audit.record(
            who,
            crate::audit::Operation::Update,
            "quota",
            &id.to_string(),
            None,
            true,
        );
    }
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
