//! The SCIM endpoints under `/scim/v2` (RFC 7644 §3): discovery, Users, Groups, `.search`
//! (root and per type) and Bulk. Unknown paths are SCIM 404s, unsupported methods SCIM 405s.

use std::collections::HashMap;

use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use futures_util::StreamExt;
use serde_json::{json, Value};

use super::{
    bulk,
    http::{method_not_allowed, no_such_endpoint, parse_body, require_schema, scim_response},
    kind::{Groups, ScimKind, Users},
    resources::{if_match, not_modified, ListParams, ScimContext, MAX_RESULTS},
};
use crate::scim::error::ScimError;
use crate::scim::schema::{
    resource_type_json, resource_types_json, schema_json, schemas_json, ResourceSchema,
};
use crate::web::AppState;

/// Operations one Bulk request may carry (advertised in ServiceProviderConfig).
pub const BULK_MAX_OPERATIONS: usize = 1_000;

/// A resource whose other methods are SCIM 405s.
fn resource(path: &str) -> actix_web::Resource {
    web::resource(path).default_service(web::to(method_not_allowed))
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/scim/v2")
            .wrap(actix_web::middleware::from_fn(super::http::log_request))
            .service(
                resource("/ServiceProviderConfig").route(web::get().to(service_provider_config)),
            )
            .service(resource("/ResourceTypes").route(web::get().to(resource_types)))
            .service(resource("/ResourceTypes/{name}").route(web::get().to(resource_type)))
            .service(resource("/Schemas").route(web::get().to(schemas)))
            .service(resource("/Schemas/{id}").route(web::get().to(schema)))
            .service(resource("/.search").route(web::post().to(search_root)))
            .service(resource("/Bulk").route(web::post().to(bulk_request)))
            .configure(endpoints::<Users>)
            .configure(endpoints::<Groups>)
            .default_service(web::to(no_such_endpoint)),
    );
}

/// The endpoints of one resource kind: `/{kind}`, `/{kind}/.search` and `/{kind}/{id}`.
fn endpoints<K: ScimKind + 'static>(cfg: &mut web::ServiceConfig) {
    let base = format!("/{}", K::ENDPOINT);
    cfg.service(
        resource(&base)
            .route(web::get().to(list::<K>))
            .route(web::post().to(create::<K>)),
    )
    .service(resource(&format!("{base}/.search")).route(web::post().to(search::<K>)))
    .service(
        resource(&format!("{base}/{{id}}"))
            .route(web::get().to(get::<K>))
            .route(web::put().to(replace::<K>))
            .route(web::patch().to(patch::<K>))
            .route(web::delete().to(delete::<K>)),
    );
}

/// Reads the body up to the configured limit, answering a SCIM 413 past it.
async fn read_body(ctx: &ScimContext, mut payload: web::Payload) -> Result<Value, ScimError> {
    let limit = ctx.state.settings.max_body_bytes;
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk
            .map_err(|e| ScimError::invalid_syntax(format!("could not read the body: {e}")))?;
        if body.len() + chunk.len() > limit {
            return Err(ScimError::new(
                413,
                None,
                format!("the body is larger than {limit} bytes"),
            ));
        }
        body.extend_from_slice(&chunk);
    }
    parse_body(&body)
}

fn base_url(state: &AppState) -> String {
    format!("{}/scim/v2", state.settings.public_url)
}

/// Query parameters, names matched case-insensitively.
fn query_params(req: &HttpRequest) -> Result<HashMap<String, String>, ScimError> {
    let pairs: Vec<(String, String)> = serde_urlencoded_pairs(req.query_string())?;
    Ok(pairs
        .into_iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v))
        .collect())
}

fn serde_urlencoded_pairs(query: &str) -> Result<Vec<(String, String)>, ScimError> {
    web::Query::<Vec<(String, String)>>::from_query(query)
        .map(|q| q.into_inner())
        .map_err(|e| ScimError::invalid_value(format!("invalid query string: {e}")))
}

fn params_from_query(req: &HttpRequest, schema: &ResourceSchema) -> Result<ListParams, ScimError> {
    let params = query_params(req)?;
    ListParams::parse(
        |name| params.get(&name.to_ascii_lowercase()).cloned(),
        schema,
    )
}

/// Parameters of a SearchRequest body (RFC 7644 §3.4.3).
fn params_from_search(body: &Value, schema: &ResourceSchema) -> Result<ListParams, ScimError> {
    const SEARCH_URN: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";
    require_schema(body, SEARCH_URN)?;
    ListParams::parse(
        |name| {
            let value = body
                .as_object()?
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v)?;
            match value {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                Value::Array(items) => Some(
                    items
                        .iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join(","),
                ),
                _ => None,
            }
        },
        schema,
    )
}

// ---- discovery (RFC 7644 §4): no tenant data, so no authentication needed ---------------

async fn service_provider_config(state: web::Data<AppState>) -> HttpResponse {
    let base = base_url(&state);
    let body = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
        "documentationUri": format!("{}{}", state.settings.public_url, crate::scim::DOC_PATH),
        "patch": { "supported": true },
        "bulk": { "supported": true, "maxOperations": BULK_MAX_OPERATIONS, "maxPayloadSize": state.settings.max_body_bytes },
        "filter": { "supported": true, "maxResults": MAX_RESULTS },
        "changePassword": { "supported": false },
        "sort": { "supported": true },
        "etag": { "supported": true },
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "Bearer token",
            "description": "A workspace SCIM token: gatehouse token create --workspace S --kind scim",
            "primary": true,
        }],
        "meta": {
            "resourceType": "ServiceProviderConfig",
            "location": format!("{base}/ServiceProviderConfig"),
        },
    });
    scim_response(StatusCode::OK, &body, None)
}

async fn resource_types(state: web::Data<AppState>) -> HttpResponse {
    scim_response(
        StatusCode::OK,
        &resource_types_json(&base_url(&state)),
        None,
    )
}

async fn resource_type(
    state: web::Data<AppState>,
    name: web::Path<String>,
) -> Result<HttpResponse, ScimError> {
    discovered(
        resource_type_json(&name, &base_url(&state)),
        "ResourceType",
        &name,
    )
}

/// A discovery document, or a SCIM 404 naming what was asked for.
fn discovered(body: Option<Value>, what: &str, name: &str) -> Result<HttpResponse, ScimError> {
    let body = body.ok_or_else(|| ScimError::not_found(format!("{what} {name} not found")))?;
    Ok(scim_response(StatusCode::OK, &body, None))
}

async fn schemas(state: web::Data<AppState>) -> HttpResponse {
    scim_response(StatusCode::OK, &schemas_json(&base_url(&state)), None)
}

async fn schema(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ScimError> {
    discovered(schema_json(&id, &base_url(&state)), "Schema", &id)
}

// ---- Users and Groups ----------------------------------------------------------------------

/// 201 with `Location` and `ETag` (RFC 7644 §3.3).
fn created(body: &Value, version: i64) -> HttpResponse {
    let mut response = scim_response(StatusCode::CREATED, body, Some(version));
    if let Some(location) = body["meta"]["location"].as_str() {
        if let Ok(value) = actix_web::http::header::HeaderValue::from_str(location) {
            response
                .headers_mut()
                .insert(actix_web::http::header::LOCATION, value);
        }
    }
    response
}

fn resource_or_not_modified(req: &HttpRequest, body: &Value, version: i64) -> HttpResponse {
    if not_modified(req, version) {
        return HttpResponse::NotModified()
            .insert_header(("ETag", super::http::etag(version)))
            .finish();
    }
    scim_response(StatusCode::OK, body, Some(version))
}

/// GET /{kind}.
async fn list<K: ScimKind>(ctx: ScimContext, req: HttpRequest) -> Result<HttpResponse, ScimError> {
    page::<K>(&ctx, &params_from_query(&req, K::schema())?).await
}

/// POST /{kind}/.search.
async fn search<K: ScimKind>(
    ctx: ScimContext,
    payload: web::Payload,
) -> Result<HttpResponse, ScimError> {
    page::<K>(
        &ctx,
        &params_from_search(&read_body(&ctx, payload).await?, K::schema())?,
    )
    .await
}

/// A ListResponse page of kind `K`.
async fn page<K: ScimKind>(
    ctx: &ScimContext,
    params: &ListParams,
) -> Result<HttpResponse, ScimError> {
    Ok(scim_response(
        StatusCode::OK,
        &K::list(ctx, params).await?,
        None,
    ))
}

/// POST /{kind}.
async fn create<K: ScimKind>(
    ctx: ScimContext,
    payload: web::Payload,
) -> Result<HttpResponse, ScimError> {
    let (body, version) = K::create(&ctx, &read_body(&ctx, payload).await?).await?;
    Ok(created(&body, version))
}

/// GET /{kind}/{id}, 304 when `If-None-Match` names the current version.
async fn get<K: ScimKind>(
    ctx: ScimContext,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ScimError> {
    let params = params_from_query(&req, K::schema())?;
    let (body, version) = K::get(&ctx, &id, &params).await?;
    Ok(resource_or_not_modified(&req, &body, version))
}

/// PUT /{kind}/{id}.
async fn replace<K: ScimKind>(
    ctx: ScimContext,
    req: HttpRequest,
    id: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ScimError> {
    let body = read_body(&ctx, payload).await?;
    let (body, version) = K::replace(&ctx, &id, &body, if_match(&req)?).await?;
    Ok(scim_response(StatusCode::OK, &body, Some(version)))
}

/// PATCH /{kind}/{id}: 200 with a body, or 204 with the new `ETag`, as the kind answers.
async fn patch<K: ScimKind>(
    ctx: ScimContext,
    req: HttpRequest,
    id: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ScimError> {
    let body = read_body(&ctx, payload).await?;
    let params = params_from_query(&req, K::schema())?;
    let (written, version) = K::patch(&ctx, &id, &body, if_match(&req)?).await?;
    Ok(
        match K::patch_answer(&ctx, &id, &params, written, version).await? {
            Some((body, version)) => scim_response(StatusCode::OK, &body, Some(version)),
            None => HttpResponse::NoContent()
                .insert_header(("ETag", super::http::etag(version)))
                .finish(),
        },
    )
}

/// DELETE /{kind}/{id}.
async fn delete<K: ScimKind>(
    ctx: ScimContext,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ScimError> {
    K::delete(&ctx, &id, if_match(&req)?).await?;
    Ok(HttpResponse::NoContent().finish())
}

// ---- root search and Bulk ------------------------------------------------------------------

/// POST /.search: Users then Groups, for filters both schemas understand (RFC 7644 §3.4.3).
async fn search_root(ctx: ScimContext, payload: web::Payload) -> Result<HttpResponse, ScimError> {
    let body = read_body(&ctx, payload).await?;
    let users = params_from_search(&body, ResourceSchema::user());
    let groups = params_from_search(&body, ResourceSchema::group());
    let (users, groups) = match (users, groups) {
        (Err(e), Err(_)) => return Err(e),
        (u, g) => (u.ok(), g.ok()),
    };
    let start = users
        .as_ref()
        .or(groups.as_ref())
        .map(|p| p.start_index)
        .unwrap_or(1);
    let mut total = 0;
    let mut resources = Vec::new();
    for (params, is_user) in [(users, true), (groups, false)] {
        let Some(mut params) = params else { continue };
        // Page over the concatenation: first ask each type only for its total.
        let wanted_count = params.count;
        params.count = 0;
        let counted = list_of(&ctx, is_user, &params).await?;
        let type_total = counted["totalResults"].as_i64().unwrap_or(0);
        let skip_before = total;
        total += type_total;
        let first = (start - 1 - skip_before).max(0);
        let room = wanted_count - resources.len() as i64;
        if room > 0 && first < type_total {
            params.start_index = first + 1;
            params.count = room;
            let page = list_of(&ctx, is_user, &params).await?;
            if let Some(items) = page["Resources"].as_array() {
                resources.extend(items.iter().cloned());
            }
        }
    }
    Ok(scim_response(
        StatusCode::OK,
        &super::resources::list_response(total, start, resources),
        None,
    ))
}

/// A page of Users or of Groups.
async fn list_of(ctx: &ScimContext, users: bool, params: &ListParams) -> Result<Value, ScimError> {
    if users {
        Users::list(ctx, params).await
    } else {
        Groups::list(ctx, params).await
    }
}

async fn bulk_request(ctx: ScimContext, payload: web::Payload) -> Result<HttpResponse, ScimError> {
    let body = read_body(&ctx, payload).await?;
    let response = bulk::run(&ctx, &body).await?;
    Ok(scim_response(StatusCode::OK, &response, None))
}
