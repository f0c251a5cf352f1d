//! Harbor's paging: `page` and `page_size` in, `X-Total-Count` and `Link` out.

use std::collections::BTreeMap;

use axum::response::Response;
use http::{HeaderValue, Uri};

use crate::ApiError;

const DEFAULT_PAGE_SIZE: i64 = 10;
const MAX_PAGE_SIZE: i64 = 100;

/// A requested page.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Paging {
    pub page: i64,
    pub size: i64,
}

impl Paging {
    /// Reads `page` and `page_size` from the query parameters.
    pub fn from_query(query: &BTreeMap<String, String>) -> Result<Paging, ApiError> {
        let number = |key: &str, default: i64| -> Result<i64, ApiError> {
            match query.get(key) {
                None => Ok(default),
                Some(v) => v
                    .parse::<i64>()
                    .map_err(|_| ApiError::bad_request(format!("{key} must be an integer"))),
            }
        };
        let page = number("page", 1)?;
        let size = number("page_size", DEFAULT_PAGE_SIZE)?;
        if page < 1 {
            return Err(ApiError::bad_request("page must be at least 1"));
        }
        if !(1..=MAX_PAGE_SIZE).contains(&size) {
            return Err(ApiError::bad_request(format!(
                "page_size must be between 1 and {MAX_PAGE_SIZE}"
            )));
        }
        Ok(Paging { page, size })
    }

    pub fn offset(&self) -> i64 {
        (self.page - 1).saturating_mul(self.size)
    }

    /// A JSON list answer with `X-Total-Count` and the `Link` header.
    pub fn respond<T: serde::Serialize>(&self, uri: &Uri, total: i64, items: &[T]) -> Response {
        let mut resp = crate::handlers::json(items);
        let headers = resp.headers_mut();
        headers.insert("x-total-count", HeaderValue::from(total));
        if let Some(link) = self.link(uri, total)
            && let Ok(v) = HeaderValue::from_str(&link)
        {
            headers.insert(http::header::LINK, v);
        }
        resp
    }

    /// This page of a whole list held in memory, with its total.
    pub fn respond_slice<T: serde::Serialize>(&self, uri: &Uri, all: &[T]) -> Response {
        let start = usize::try_from(self.offset())
            .unwrap_or(usize::MAX)
            .min(all.len());
        let end = start
            .saturating_add(usize::try_from(self.size).unwrap_or(0))
            .min(all.len());
        self.respond(uri, all.len() as i64, &all[start..end])
    }

    fn link(&self, uri: &Uri, total: i64) -> Option<String> {
        let mut links = Vec::new();
        if self.page > 1 && (self.page - 1).saturating_mul(self.size) < total {
            links.push(format!("<{}>; rel=\"prev\"", self.url(uri, self.page - 1)));
        }
        if self.page.saturating_mul(self.size) < total {
            links.push(format!("<{}>; rel=\"next\"", self.url(uri, self.page + 1)));
        }
        (!links.is_empty()).then(|| links.join(" , "))
    }

    /// The request's path and query with `page` and `page_size` set, keys in order.
    fn url(&self, uri: &Uri, page: i64) -> String {
        let mut query: BTreeMap<String, String> = uri
            .query()
            .map(|q| {
                q.split('&')
                    .filter_map(|kv| kv.split_once('=').or(Some((kv, ""))))
                    .filter(|(k, _)| !k.is_empty())
                    .map(|(k, v)| (k.to_owned(), v.to_owned()))
                    .collect()
            })
            .unwrap_or_default();
        query.insert("page".into(), page.to_string());
        query.insert("page_size".into(), self.size.to_string());
        let q: Vec<String> = query.iter().map(|(k, v)| format!("{k}={v}")).collect();
        format!("{}?{}", uri.path(), q.join("&"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_follow_harbors_rules() {
        let uri: Uri = "/api/v2.0/projects?name=x&page=2&page_size=10"
            .parse()
            .expect("uri");
        let p = Paging { page: 2, size: 10 };
        assert_eq!(
            p.link(&uri, 35).as_deref(),
            Some(
                "</api/v2.0/projects?name=x&page=1&page_size=10>; rel=\"prev\" , \
                 </api/v2.0/projects?name=x&page=3&page_size=10>; rel=\"next\""
            )
        );
        assert_eq!(Paging { page: 1, size: 10 }.link(&uri, 10), None);
        assert_eq!(
            Paging { page: 4, size: 10 }.link(&uri, 35).as_deref(),
            Some("</api/v2.0/projects?name=x&page=3&page_size=10>; rel=\"prev\"")
        );
    }
}
