//! The one pagination convention of every `/v1` list, and the one create shape.
//!
//! Lists take `limit` (default [`DEFAULT_LIMIT`], at most [`MAX_LIMIT`]) and an opaque
//! `cursor`, and answer `next_cursor` unless the page is the last one. A cursor is the last
//! item's sort key, base64url-encoded: opaque to callers, stable across requests, and cheap to
//! resume from (items after the key, never an offset that shifts when rows come and go).
//!
//! Creates answer `201 Created` with a `Location` header and the created object (plus the
//! workspace `revision` where the access model changed).

use actix_web::HttpResponse;
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;

use crate::web::ApiError;

/// Items per page unless `limit` says otherwise.
pub const DEFAULT_LIMIT: usize = 100;
/// The largest `limit`.
pub const MAX_LIMIT: usize = 1_000;

/// `?limit=&cursor=` of a list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Items per page (1 to 1,000; default 100).
    pub limit: Option<usize>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl PageQuery {
    /// The page size asked for, within bounds.
    pub fn limit(&self) -> usize {
        self.limit_within(DEFAULT_LIMIT, MAX_LIMIT)
    }

    /// The page size asked for, for a list with its own default and maximum.
    pub fn limit_within(&self, default: usize, max: usize) -> usize {
        self.limit.unwrap_or(default).clamp(1, max)
    }

    /// The sort key the page starts after, if any.
    pub fn after(&self) -> Result<Option<String>, ApiError> {
        self.cursor.as_deref().map(decode_cursor).transpose()
    }

    /// For lists keyed by an increasing number (audit ids, revisions) and read from storage a
    /// page at a time: the number to start after, from the cursor or else from the list's
    /// older parameter (`after`, `after_revision`).
    pub fn after_number(&self, older: Option<i64>) -> Result<i64, ApiError> {
        match self.after()? {
            Some(key) => key
                .parse()
                .map_err(|_| ApiError::BadRequest("cursor is not one this API gave out".into())),
            None => Ok(older.unwrap_or(0)),
        }
    }
}

/// A page read from storage with one row more than `limit` (the extra row only says that
/// another page follows), keyed by an increasing number.
pub fn number_page<T>(
    mut rows: Vec<T>,
    limit: usize,
    key: impl Fn(&T) -> i64,
) -> (Vec<T>, Option<String>) {
    let more = rows.len() > limit;
    rows.truncate(limit);
    let next = match (more, rows.last()) {
        (true, Some(last)) => Some(encode_cursor(&key(last).to_string())),
        _ => None,
    };
    (rows, next)
}

/// The opaque form of a sort key.
pub fn encode_cursor(key: &str) -> String {
    URL_SAFE_NO_PAD.encode(key.as_bytes())
}

/// The sort key of a cursor.
pub fn decode_cursor(cursor: &str) -> Result<String, ApiError> {
    URL_SAFE_NO_PAD
        .decode(cursor.trim())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(|| ApiError::BadRequest("cursor is not one this API gave out".into()))
}

/// One page of `items`, which are sorted by `key` (ascending, keys unique): those after the
/// cursor, at most `limit`, and the cursor of the next page when more follow.
pub fn page<T>(
    items: Vec<T>,
    key: impl Fn(&T) -> String,
    query: &PageQuery,
) -> Result<(Vec<T>, Option<String>), ApiError> {
    let after = query.after()?;
    let limit = query.limit();
    let mut rest = items
        .into_iter()
        .filter(|item| after.as_ref().is_none_or(|a| key(item) > *a));
    let page: Vec<T> = rest.by_ref().take(limit).collect();
    let next = match (rest.next(), page.last()) {
        (Some(_), Some(last)) => Some(encode_cursor(&key(last))),
        _ => None,
    };
    Ok((page, next))
}

/// `201 Created` with `Location: location` and `body`.
pub fn created(location: String, body: &impl Serialize) -> HttpResponse {
    HttpResponse::Created()
        .insert_header(("Location", location))
        .json(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn walk(items: Vec<u32>, limit: usize) -> Vec<Vec<u32>> {
        let mut pages = Vec::new();
        let mut cursor = None;
        loop {
            let query = PageQuery {
                limit: Some(limit),
                cursor: cursor.clone(),
            };
            let (page, next) = page(items.clone(), |n| format!("{n:05}"), &query).unwrap();
            pages.push(page);
            match next {
                Some(next) => cursor = Some(next),
                None => return pages,
            }
        }
    }

    #[test]
    fn following_the_cursors_returns_every_item_once() {
        let items: Vec<u32> = (1..=7).collect();
        assert_eq!(
            walk(items.clone(), 2),
            [vec![1, 2], vec![3, 4], vec![5, 6], vec![7]]
        );
        assert_eq!(walk(items.clone(), 7), vec![items]);
        assert_eq!(walk(vec![], 3), [Vec::<u32>::new()]);
    }

    #[test]
    fn limits_are_bounded_and_bad_cursors_refused() {
        assert_eq!(PageQuery::default().limit(), DEFAULT_LIMIT);
        let huge = PageQuery {
            limit: Some(10_000_000),
            cursor: None,
        };
        assert_eq!(huge.limit(), MAX_LIMIT);
        let bad = PageQuery {
            limit: None,
            cursor: Some("***".into()),
        };
        assert!(bad.after().is_err());
        assert_eq!(decode_cursor(&encode_cursor("a:b")).unwrap(), "a:b");
        let (rows, next) = number_page(vec![1, 2, 3], 2, |n| *n);
        assert_eq!(rows, [1, 2]);
        let resumed = PageQuery {
            limit: None,
            cursor: next,
        };
        assert_eq!(resumed.after_number(Some(99)).unwrap(), 2);
        assert_eq!(PageQuery::default().after_number(Some(7)).unwrap(), 7);
        assert_eq!(number_page(vec![1, 2], 2, |n| *n).1, None);
    }
}
