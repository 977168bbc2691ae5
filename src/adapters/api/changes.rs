//! `/v1/workspaces/{slug}/changes`: the access model's change feed, as pages and as a
//! Server-Sent-Events stream. Every change has one revision; consumers resume after the last
//! revision they applied.

use std::time::Duration;

use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::stream;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{
    paging::{number_page, PageQuery},
    views::ErrorEnvelope,
};
use crate::{
    domain::TokenKind,
    storage::ChangeEvent,
    web::{ApiError, AppState, Caller},
};

/// Changes per page unless `limit` says otherwise, and the most one page holds.
const DEFAULT_CHANGES: usize = 500;
const MAX_CHANGES: usize = 5_000;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChangesQuery {
    /// Changes per page (1 to 5,000; default 500).
    pub limit: Option<usize>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Changes after this revision (the older parameter; `cursor` wins when both are given).
    pub after_revision: Option<i64>,
}

/// A page of the feed, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangePage {
    #[schema(value_type = Vec<Object>)]
    pub changes: Vec<ChangeEvent>,
    /// Absent on the last page (for now: poll again with `after_revision` =
    /// `next_after_revision` to tail the feed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
    /// The revision to resume after (the last one on this page, or the one asked for).
    pub next_after_revision: i64,
}

/// Reads the change feed.
#[utoipa::path(get, path = "/v1/workspaces/{slug}/changes", tag = "changes",
    params(("slug" = String, Path, description = "workspace slug"), ChangesQuery),
    responses((status = 200, body = ChangePage), (status = 400, body = ErrorEnvelope),
        (status = 404, body = ErrorEnvelope)))]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<ChangesQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let paging = PageQuery {
        limit: query.limit,
        cursor: query.cursor,
    };
    let after = paging.after_number(query.after_revision)?;
    let limit = paging.limit_within(DEFAULT_CHANGES, MAX_CHANGES);
    let rows = state
        .store
        .changes_after(caller.workspace.id, after, limit as i64 + 1)
        .await?;
    let (changes, next_cursor) = number_page(rows, limit, |e| e.revision);
    let next_after_revision = changes.last().map(|e| e.revision).unwrap_or(after);
    Ok(HttpResponse::Ok().json(ChangePage {
        changes,
        next_cursor,
        next_after_revision,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StreamQuery {
    /// Start after this revision (`Last-Event-ID` wins when sent).
    #[serde(default)]
    pub after_revision: i64,
}

/// How long one change stream runs before the client must reconnect (and authenticate again).
const STREAM_LIFETIME: Duration = Duration::from_secs(3600);

/// The change feed as Server-Sent Events: `id:` is the revision (send it back as
/// `Last-Event-ID` or `after_revision` to resume), `data:` the event with its unique id. The
/// stream ends when its token is revoked or its owner session ends, and after an hour.
#[utoipa::path(get, path = "/v1/workspaces/{slug}/changes/stream", tag = "changes",
    params(("slug" = String, Path, description = "workspace slug"), StreamQuery,
        ("Last-Event-ID" = Option<i64>, Header, description = "the last revision received")),
    responses((status = 200, content_type = "text/event-stream", body = String,
        description = "`id: <revision>`, `event: change`, `data: <change event JSON>`"),
        (status = 404, body = ErrorEnvelope)))]
pub async fn stream(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<StreamQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let resume = req
        .headers()
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<i64>().ok())
        .unwrap_or(query.after_revision);
    let store = state.store.clone();
    let workspace_id = caller.workspace.id;
    let secret = crate::web::bearer_secret(&req);
    // An owner's stream lasts as long as the owner's session (its cookie's digest).
    let session = req
        .cookie(crate::web::sessions::SESSION_COOKIE)
        .map(|c| crate::domain::token::digest(c.value()));
    let idle = chrono::Duration::minutes(state.settings.sign_in.session_idle_minutes);
    let started = std::time::Instant::now();
    let events = stream::unfold((store, resume), move |(store, cursor)| {
        let secret = secret.clone();
        let session = session.clone();
        async move {
            loop {
                // A stream lasts as long as its token (or owner session): revoked, expired or
                // past the stream's lifetime, it ends (the client resumes with Last-Event-ID).
                if started.elapsed() > STREAM_LIFETIME {
                    return None;
                }
                let live = match (&secret, &session) {
                    (Some(secret), _) => matches!(
                        store.authenticate_token(secret, TokenKind::Service).await,
                        Ok(Ok(token)) if token.workspace_id == workspace_id
                    ),
                    (None, Some(digest)) => matches!(
                        store.session_member(digest, workspace_id, idle).await,
                        Ok(Some(_))
                    ),
                    (None, None) => false,
                };
                if !live {
                    return None;
                }
                match store.changes_after(workspace_id, cursor, 500).await {
                    Ok(events) if !events.is_empty() => {
                        let next = events.last().map(|e| e.revision).unwrap_or(cursor);
                        let mut chunk = String::new();
                        for e in &events {
                            let data = serde_json::to_string(e).unwrap_or_default();
                            chunk.push_str(&format!(
                                "id: {}\nevent: change\ndata: {data}\n\n",
                                e.revision
                            ));
                        }
                        return Some((
                            Ok::<_, actix_web::Error>(web::Bytes::from(chunk)),
                            (store, next),
                        ));
                    }
                    Ok(_) => tokio::time::sleep(Duration::from_millis(250)).await,
                    Err(err) => {
                        tracing::warn!(error = %err, "change stream: cannot read the feed");
                        return None;
                    }
                }
            }
        }
    });
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header(("Cache-Control", "no-store"))
        .streaming(events))
}
