//! The SCIM endpoints under `/scim/v2` (RFC 7644 §3): discovery, Users, Groups, `.search`
//! (root and per type) and Bulk. Unknown paths are SCIM 404s, unsupported methods SCIM 405s.

use std::collections::HashMap;

use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use futures_util::StreamExt;
use serde_json::{json, Value};

use super::{
    bulk,
    http::{method_not_allowed, no_such_endpoint, parse_body, scim_response, ScimPrincipal},
    resources::{if_match, not_modified, ListParams, ScimContext, MAX_RESULTS},
};
use crate::scim::error::ScimError;
use crate::scim::schema::{
    resource_type_json, resource_types_json, schema_json, schemas_json, ResourceSchema,
};
use crate::web::AppState;

/// Operations one Bulk request may carry (advertised in ServiceProviderConfig).
pub const BULK_MAX_OPERATIONS: usize = 1_000;

pub fn routes(cfg: &mut web::ServiceConfig) {
    let resource = |path: &str| web::resource(path).default_service(web::to(method_not_allowed));
    cfg.service(
        web::scope("/scim/v2")
            .service(
                resource("/ServiceProviderConfig").route(web::get().to(service_provider_config)),
            )
            .service(resource("/ResourceTypes").route(web::get().to(resource_types)))
            .service(resource("/ResourceTypes/{name}").route(web::get().to(resource_type)))
            .service(resource("/Schemas").route(web::get().to(schemas)))
            .service(resource("/Schemas/{id}").route(web::get().to(schema)))
            .service(resource("/.search").route(web::post().to(search_root)))
            .service(resource("/Bulk").route(web::post().to(bulk_request)))
            .service(
                resource("/Users")
                    .route(web::get().to(list_users))
                    .route(web::post().to(create_user)),
            )
            .service(resource("/Users/.search").route(web::post().to(search_users)))
            .service(
                resource("/Users/{id}")
                    .route(web::get().to(get_user))
                    .route(web::put().to(replace_user))
                    .route(web::patch().to(patch_user))
                    .route(web::delete().to(delete_user)),
            )
            .service(
                resource("/Groups")
                    .route(web::get().to(list_groups))
                    .route(web::post().to(create_group)),
            )
            .service(resource("/Groups/.search").route(web::post().to(search_groups)))
            .service(
                resource("/Groups/{id}")
                    .route(web::get().to(get_group))
                    .route(web::put().to(replace_group))
                    .route(web::patch().to(patch_group))
                    .route(web::delete().to(delete_group)),
            )
            .default_service(web::to(no_such_endpoint)),
    );
}

/// Reads the body up to the configured limit, answering a SCIM 413 past it.
async fn read_body(state: &AppState, mut payload: web::Payload) -> Result<Value, ScimError> {
    let limit = state.settings.max_body_bytes;
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
    let schemas_ok = body
        .get("schemas")
        .and_then(Value::as_array)
        .is_some_and(|s| s.iter().any(|u| u.as_str() == Some(SEARCH_URN)));
    if !schemas_ok {
        return Err(ScimError::invalid_syntax(format!(
            "\"schemas\" must contain {SEARCH_URN}"
        )));
    }
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
    let body = resource_type_json(&name, &base_url(&state))
        .ok_or_else(|| ScimError::not_found(format!("ResourceType {name} not found")))?;
    Ok(scim_response(StatusCode::OK, &body, None))
}

async fn schemas(state: web::Data<AppState>) -> HttpResponse {
    scim_response(StatusCode::OK, &schemas_json(&base_url(&state)), None)
}

async fn schema(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ScimError> {
    let body = schema_json(&id, &base_url(&state))
        .ok_or_else(|| ScimError::not_found(format!("Schema {id} not found")))?;
    Ok(scim_response(StatusCode::OK, &body, None))
}

// ---- Users ---------------------------------------------------------------------------------

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

async fn list_users(
    state: web::Data<AppState>,
    who: ScimPrincipal,
    req: HttpRequest,
) -> Result<HttpResponse, ScimError> {
    let ctx = ScimContext::new(&state, &who).await?;
    let params = params_from_query(&req, ResourceSchema::user())?;
    Ok(scim_response(
        StatusCode::OK,
        &ctx.list_users(&params).await?,
        None,
    ))
}

async fn search_users(
    state: web::Data<AppState>,
    who: ScimPrincipal,
    payload: web::Payload,
) -> Result<HttpResponse, ScimError> {
    let ctx = ScimContext::new(&state, &who).await?;
    let params = params_from_search(&read_body(&state, payload).await?, ResourceSchema::user())?;
    Ok(scim_response(
        StatusCode::OK,
        &ctx.list_users(&params).await?,
        None,
    ))
}

async fn create_user(
    state: web::Data<AppState>,
    who: ScimPrincipal,
    payload: web::Payload,
) -> Result<HttpResponse, ScimError> {
    let ctx = ScimContext::new(&state, &who).await?;
    let (body, version) = ctx.create_user(&read_body(&state, payload).await?).await?;
    Ok(created(&body, version))
}

async fn get_user(
    state: web::Data<AppState>,
    who: ScimPrincipal,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ScimError> {
    let ctx = ScimContext::new(&state, &who).await?;
    let params = params_from_query(&req, ResourceSchema::user())?;
    let (body, version) = ctx.get_user(&id, &params).await?;
    Ok(resource_or_not_modified(&req, &body, version))
}

async fn replace_user(
    state: web::Data<AppState>,
    who: ScimPrincipal,
    req: HttpRequest,
    id: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ScimError> {
    let ctx = ScimContext::new(&state, &who).await?;
    let body = read_body(&state, payload).await?;
    let (body, version) = ctx.replace_user(&id, &body, if_match(&req)?).await?;
    Ok(scim_response(StatusCode::OK, &body, Some(version)))
}

async fn patch_user(
    state: web::Data<AppState>,
    who: ScimPrincipal,
    req: HttpRequest,
    id: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ScimError> {
    let ctx = ScimContext::new(&state, &who).await?;
    let body = read_body(&state, payload).await?;
    let params = params_from_query(&req, ResourceSchema::user())?;
    let (body, version) = ctx.patch_user(&id, &body, if_match(&req)?).await?;
    Ok(scim_response(
        StatusCode::OK,
        &params.project(&body, ResourceSchema::user()),
        Some(version),
    ))
}

async fn delete_user(
    state: web::Data<AppState>,
    who: ScimPrincipal,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ScimError> {
    let ctx = ScimContext::new(&state, &who).await?;
    ctx.delete_user(&id, if_match(&req)?).await?;
    Ok(HttpResponse::NoContent().finish())
}

// ---- Groups --------------------------------------------------------------------------------

async fn list_groups(
    state: web::Data<AppState>,
    who: ScimPrincipal,
    req: HttpRequest,
) -> Result<HttpResponse, ScimError> {
    let ctx = ScimContext::new(&state, &who).await?;
    let params = params_from_query(&req, ResourceSchema::group())?;
    Ok(scim_response(
        StatusCode::OK,
        &ctx.list_groups(&params).await?,
        None,
    ))
}

async fn search_groups(
    state: web::Data<AppState>,
    who: ScimPrincipal,
    payload: web::Payload,
) -> Result<HttpResponse, ScimError> {
    let ctx = ScimContext::new(&state, &who).await?;
    let params = params_from_search(&read_body(&state, payload).await?, ResourceSchema::group())?;
    Ok(scim_response(
        StatusCode::OK,
        &ctx.list_groups(&params).await?,
        None,
    ))
}

async fn create_group(
    state: web::Data<AppState>,
    who: ScimPrincipal,
    payload: web::Payload,
) -> Result<HttpResponse, ScimError> {
    let ctx = ScimContext::new(&state, &who).await?;
    let (body, version) = ctx.create_group(&read_body(&state, payload).await?).await?;
    Ok(created(&body, version))
}

async fn get_group(
    state: web::Data<AppState>,
    who: ScimPrincipal,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ScimError> {
    let ctx = ScimContext::new(&state, &who).await?;
    let params = params_from_query(&req, ResourceSchema::group())?;
    let (body, version) = ctx.get_group(&id, &params).await?;
    Ok(resource_or_not_modified(&req, &body, version))
}

async fn replace_group(
    state: web::Data<AppState>,
    who: ScimPrincipal,
    req: HttpRequest,
    id: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ScimError> {
    let ctx = ScimContext::new(&state, &who).await?;
    let body = read_body(&state, payload).await?;
    let (body, version) = ctx.replace_group(&id, &body, if_match(&req)?).await?;
    Ok(scim_response(StatusCode::OK, &body, Some(version)))
}

/// Group PATCH answers 204 (members can be many; Okta and Entra expect no body) unless the
/// client asks for attributes, then 200 with the projected group (RFC 7644 §3.5.2).
async fn patch_group(
    state: web::Data<AppState>,
    who: ScimPrincipal,
    req: HttpRequest,
    id: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ScimError> {
    let ctx = ScimContext::new(&state, &who).await?;
    let body = read_body(&state, payload).await?;
    let params = params_from_query(&req, ResourceSchema::group())?;
    let (_, version) = ctx.patch_group(&id, &body, if_match(&req)?).await?;
    if params.attributes.is_none() && params.excluded.is_none() {
        return Ok(HttpResponse::NoContent()
            .insert_header(("ETag", super::http::etag(version)))
            .finish());
    }
    let (body, version) = ctx.get_group(&id, &params).await?;
    Ok(scim_response(StatusCode::OK, &body, Some(version)))
}

async fn delete_group(
    state: web::Data<AppState>,
    who: ScimPrincipal,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ScimError> {
    let ctx = ScimContext::new(&state, &who).await?;
    ctx.delete_group(&id, if_match(&req)?).await?;
    Ok(HttpResponse::NoContent().finish())
}

// ---- root search and Bulk ------------------------------------------------------------------

/// POST /.search: Users then Groups, for filters both schemas understand (RFC 7644 §3.4.3).
async fn search_root(
    state: web::Data<AppState>,
    who: ScimPrincipal,
    payload: web::Payload,
) -> Result<HttpResponse, ScimError> {
    let ctx = ScimContext::new(&state, &who).await?;
    let body = read_body(&state, payload).await?;
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
        let counted = if is_user {
            ctx.list_users(&params).await?
        } else {
            ctx.list_groups(&params).await?
        };
        let type_total = counted["totalResults"].as_i64().unwrap_or(0);
        let skip_before = total;
        total += type_total;
        let first = (start - 1 - skip_before).max(0);
        let room = wanted_count - resources.len() as i64;
        if room > 0 && first < type_total {
            params.start_index = first + 1;
            params.count = room;
            let page = if is_user {
                ctx.list_users(&params).await?
            } else {
                ctx.list_groups(&params).await?
            };
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

async fn bulk_request(
    state: web::Data<AppState>,
    who: ScimPrincipal,
    payload: web::Payload,
) -> Result<HttpResponse, ScimError> {
    let ctx = ScimContext::new(&state, &who).await?;
    let body = read_body(&state, payload).await?;
    let response = bulk::run(&ctx, &body).await?;
    Ok(scim_response(StatusCode::OK, &response, None))
}
