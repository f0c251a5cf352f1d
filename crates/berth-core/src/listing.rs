use berth_auth::{Action, Permit, Resource};
use berth_meta::ReferrerRow;
use berth_types::{Digest, RepoName};

use crate::registry::check;
use crate::{CoreError, Registry};

/// One page of a listing, and whether more follow.
#[derive(Debug, Clone)]
pub struct Page {
    pub items: Vec<String>,
    /// Set when the listing was cut at the requested size and more items remain.
    pub more: bool,
}

fn page(mut items: Vec<String>, n: Option<usize>) -> Page {
    let more = n.is_some_and(|n| items.len() > n);
    if let Some(n) = n {
        items.truncate(n);
    }
    Page { items, more }
}

fn limit(n: Option<usize>) -> i64 {
    n.map_or(i64::MAX, |n| (n as i64).saturating_add(1))
}

impl Registry {
    /// Tags of a repository, in byte order, `n` at most, after `last`.
    pub async fn tags(
        &self,
        permit: &Permit,
        repo: &RepoName,
        n: Option<usize>,
        last: Option<&str>,
    ) -> Result<Page, CoreError> {
        check(permit, repo, Action::Pull)?;
        let items = self
            .meta
            .tags(repo, limit(n), last)
            .await?
            .ok_or(CoreError::NameUnknown)?;
        Ok(page(items, n))
    }

    /// Repositories with content, in byte order, `n` at most, after `last`.
    pub async fn catalog(
        &self,
        permit: &Permit,
        n: Option<usize>,
        last: Option<&str>,
    ) -> Result<Page, CoreError> {
        if *permit.resource() != Resource::Catalog || permit.action() != Action::Pull {
            return Err(CoreError::Denied);
        }
        Ok(page(self.meta.catalog(limit(n), last).await?, n))
    }

    /// Manifests of `repo` whose subject is `subject`.
    pub async fn referrers(
        &self,
        permit: &Permit,
        repo: &RepoName,
        subject: &Digest,
        artifact_type: Option<&str>,
    ) -> Result<Vec<ReferrerRow>, CoreError> {
        check(permit, repo, Action::Pull)?;
        Ok(self.meta.referrers(repo, subject, artifact_type).await?)
    }
}
