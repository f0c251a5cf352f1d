//! Search over projects and repositories, and the counts of `/statistics`: only what the
//! caller may see.

use berth_auth::Identity;
use berth_meta::{ProjectFilter, ProjectRow, RepositoryFilter, RepositoryRow, Statistics};

use super::Artifacts;
use crate::CoreError;
use crate::accounts::visible_scope;

/// The most matches of each kind a search returns.
const SEARCH_LIMIT: i64 = 500;

/// A repository found by a search, with its project's visibility.
#[derive(Debug, Clone)]
pub struct FoundRepository {
    pub row: RepositoryRow,
    pub project_name: String,
    pub project_public: bool,
}

/// What `/statistics` reports; the totals only to system administrators.
#[derive(Debug, Clone, Copy)]
pub struct Overview {
    pub visible: Statistics,
    pub totals: Option<(Statistics, i64)>,
}

impl Artifacts {
    /// Projects and repositories whose names contain `text`.
    pub async fn search(
        &self,
        who: &Identity,
        text: &str,
    ) -> Result<(Vec<ProjectRow>, Vec<FoundRepository>), CoreError> {
        let filter = ProjectFilter {
            name_contains: Some(text.to_owned()),
            public: None,
        };
        let (projects, _) = self
            .accounts
            .list_projects(who, &filter, 0, SEARCH_LIMIT)
            .await?;
        let repo_filter = RepositoryFilter {
            name_contains: Some(text.to_owned()),
            by_name: true,
            ..RepositoryFilter::default()
        };
        let (repos, _) = self
            .meta()
            .list_repositories(visible_scope(who), &repo_filter, 0, SEARCH_LIMIT)
            .await?;
        let mut found = Vec::with_capacity(repos.len());
        for row in repos {
            let project_name = row
                .name
                .split_once('/')
                .map_or(row.name.as_str(), |(p, _)| p)
                .to_owned();
            let project_public = self
                .accounts
                .project_access(&project_name)
                .await?
                .is_some_and(|(_, public)| public);
            found.push(FoundRepository {
                row,
                project_name,
                project_public,
            });
        }
        Ok((projects, found))
    }

    pub async fn statistics(&self, who: &Identity) -> Result<Overview, CoreError> {
        if !who.is_account() {
            return Err(CoreError::Unauthenticated);
        }
        let visible = self.meta().statistics(visible_scope(who)).await?;
        let totals = if who.is_sysadmin() {
            let all = self
                .meta()
                .statistics(berth_meta::ProjectScope::All)
                .await?;
            Some((all, self.meta().total_blob_bytes().await?))
        } else {
            None
        };
        Ok(Overview { visible, totals })
    }
}
