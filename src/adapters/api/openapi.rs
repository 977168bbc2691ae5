//! The OpenAPI 3.1 document of `/v1`, generated from the handlers' annotations and the request
//! and response types (see [`super::OPERATIONS`] for the routes it must cover).

use actix_web::HttpResponse;
use utoipa::{
    openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme},
    Modify, OpenApi,
};

use super::ApiDoc;

/// The document's title and summary, and its two credentials: the bearer service token and
/// the owner's session cookie.
pub struct Described;

impl Modify for Described {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        openapi.info.title = "Gatehouse admin and access API".into();
        openapi.info.version = "1".into();
        openapi.info.description = Some(
            "Workspaces, their members, groups, grants and resources; the access questions \
             other services ask; the change feed; mapping rules, webhooks and SSO connections. \
             Lists take `limit` and `cursor` and answer `next_cursor` until the last page. \
             Creates answer 201 with `Location`. Errors are \
             `{\"error\": {code, message, request_id}}`."
                .into(),
        );
        // Handlers share short names across modules (`list`, `get`); name each operation
        // `<module>_<handler>` so operation ids are unique.
        for operation in super::OPERATIONS {
            let Some(item) = openapi.paths.paths.get_mut(operation.path) else {
                continue;
            };
            let documented = match operation.method {
                "get" => item.get.as_mut(),
                "post" => item.post.as_mut(),
                "put" => item.put.as_mut(),
                "patch" => item.patch.as_mut(),
                "delete" => item.delete.as_mut(),
                _ => None,
            };
            if let Some(documented) = documented {
                documented.operation_id = Some(operation.id.to_string());
            }
        }
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A workspace's service token (`gh_svc_…`). Every workspace route \
                         answers 404 for another workspace's slug.",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                crate::web::sessions::SESSION_COOKIE,
                "An owner's browser session; writes also need `X-CSRF-Token` (from \
                 `GET /v1/session`). Members are refused (403).",
            ))),
        );
    }
}

/// This document.
#[utoipa::path(get, path = "/v1/openapi.json", tag = "meta", security(()),
    responses((status = 200, description = "the OpenAPI 3.1 document", body = Object)))]
pub async fn document() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}
