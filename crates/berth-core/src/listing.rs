use std::ops::Range;
use std::sync::Arc;

use berth_auth::{Action, Permit, Resource};
use berth_meta::ReferrerRow;
use berth_types::{Digest, RepoName};

use crate::registry::check;
use crate::{CoreError, Registry};

/// One page of a listing, and whether more follow.
#[derive(Debug, Clone)]
pub struct Page {
    names: Arc<[String]>,
    range: Range<usize>,
    /// Set when the listing was cut at the requested size and more items remain.
    pub more: bool,
}

impl Page {
    /// The names on this page, in byte order.
    pub fn items(&self) -> &[String] {
        &self.names[self.range.clone()]
    }

    /// The page of `names` (sorted) after `last`, `n` at most.
    fn of(names: Arc<[String]>, n: Option<usize>, last: Option<&str>) -> Page {
        let start = last.map_or(0, |l| names.partition_point(|t| t.as_str() <= l));
        let end = n.map_or(names.len(), |n| start.saturating_add(n).min(names.len()));
        Page {
            more: end < names.len(),
            range: start..end,
            names,
        }
    }
}

fn limit(n: Option<usize>) -> i64 {
    n.map_or(i64::MAX, |n| {
        i64::try_from(n).map_or(i64::MAX, |n| n.saturating_add(1))
    })
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
        let (id, version) = self
            .meta
            .tag_version(repo)
            .await?
            .ok_or(CoreError::NameUnknown)?;
        let names = match self.tag_cache.get(id, version) {
            Some(names) => names,
            None => {
                let (version, names) = self.meta.all_tags(id).await?;
                let names: Arc<[String]> = names.into();
                self.tag_cache.put(id, version, &names);
                names
            }
        };
        Ok(Page::of(names, n, last))
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
        // The query stops one past the page, which tells whether more follow.
        let names: Arc<[String]> = self.meta.catalog(limit(n), last).await?.into();
        Ok(Page::of(names, n, None))
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
