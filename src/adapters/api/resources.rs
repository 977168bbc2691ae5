//! `/v1/workspaces/{slug}/resources`: the instances other services register (sources,
//! destinations, warehouses, tracking plans, Personas spaces).

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{
    paging::{created, page, PageQuery},
    views::{ErrorEnvelope, ResourceView, ResourceWritten, Revision},
};
use crate::{
    access::{NewResource, ResourceRef, ResourceType},
    web::{ApiError, AppState, Caller},
};

/// A resource to register (or rename).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterResource {
    /// `source`, `destination`, `warehouse`, `tracking_plan` or `personas_space`.
    #[serde(rename = "type")]
    pub resource_type: String,
    pub id: String,
    pub name: String,
    /// A destination's source: `{"type": "source", "id": …}`.
    #[schema(value_type = Option<Object>)]
    pub parent: Option<ResourceRef>,
}

/// A page of resources.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResourcePage {
    pub resources: Vec<ResourceView>,
    pub revision: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// Registers (or renames) a resource instance.
#[utoipa::path(post, path = "/v1/workspaces/{slug}/resources", tag = "resources",
    params(("slug" = String, Path, description = "workspace slug")),
    request_body = RegisterResource,
    responses((status = 201, body = ResourceWritten, headers(("Location" = String))),
        (status = 400, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope)))]
pub async fn register(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Json<RegisterResource>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let resource = NewResource {
        resource_type: ResourceType::parse(&body.resource_type)?,
        id: body.id,
        name: body.name,
        parent: body.parent,
    };
    let location = format!(
        "/v1/workspaces/{}/resources/{}/{}",
        caller.workspace.slug, resource.resource_type, resource.id
    );
    let view = ResourceView::from(&resource.clone().into_resource());
    let revision = state
        .access
        .register_resource(&caller.workspace, resource, &caller.change_context())
        .await?;
    Ok(created(location, &ResourceWritten::new(view, revision)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ResourceFilter {
    /// Only resources of this type.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub resource_type: Option<String>,
}

/// Lists resources by type and id.
#[utoipa::path(get, path = "/v1/workspaces/{slug}/resources", tag = "resources",
    params(("slug" = String, Path, description = "workspace slug"), ResourceFilter, PageQuery),
    responses((status = 200, body = ResourcePage), (status = 404, body = ErrorEnvelope)))]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    filter: web::Query<ResourceFilter>,
    paging: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let wanted = filter.into_inner().resource_type;
    let (mut resources, revision) = state
        .access
        .read(&caller.workspace, None, |ix| {
            let resources: Vec<ResourceView> = ix
                .resources()
                .filter(|r| wanted.as_ref().is_none_or(|t| &r.resource_type == t))
                .map(ResourceView::from)
                .collect();
            (resources, ix.revision())
        })
        .await?;
    let key = |r: &ResourceView| format!("{}\u{0}{}", r.resource_type, r.id);
    resources.sort_by_key(key);
    let (resources, next_cursor) = page(resources, key, &paging)?;
    Ok(HttpResponse::Ok().json(ResourcePage {
        resources,
        revision,
        next_cursor,
    }))
}

/// One resource.
#[utoipa::path(get, path = "/v1/workspaces/{slug}/resources/{type}/{id}", tag = "resources",
    params(("slug" = String, Path, description = "workspace slug"),
        ("type" = String, Path, description = "resource type"), ("id" = String, Path)),
    responses((status = 200, body = ResourceView), (status = 404, body = ErrorEnvelope)))]
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (_, resource_type, id) = path.into_inner();
    let wanted = ResourceRef::new(resource_type, id);
    let resource = state
        .access
        .read(&caller.workspace, None, |ix| {
            ix.resource(&wanted).map(ResourceView::from)
        })
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("{} {:?}", wanted.resource_type, wanted.id)))?;
    Ok(HttpResponse::Ok().json(resource))
}

/// Unregisters a resource, its instance grants and (for a source) its destinations.
#[utoipa::path(delete, path = "/v1/workspaces/{slug}/resources/{type}/{id}", tag = "resources",
    params(("slug" = String, Path, description = "workspace slug"),
        ("type" = String, Path, description = "resource type"), ("id" = String, Path)),
    responses((status = 200, body = Revision), (status = 404, body = ErrorEnvelope)))]
pub async fn delete(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (_, resource_type, id) = path.into_inner();
    let revision = state
        .access
        .remove_resource(
            &caller.workspace,
            ResourceRef::new(resource_type, id),
            &caller.change_context(),
        )
        .await?;
    Ok(HttpResponse::Ok().json(Revision { revision }))
}
