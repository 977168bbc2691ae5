//! One set of SCIM operations for both resource kinds. [`ScimKind`] names what differs
//! between Users and Groups (schema, storage, rendering, the writes); reading one resource,
//! listing, the `If-Match` check of a delete and the read-apply-write of a PATCH are written
//! once, here, and serve [`Users`] and [`Groups`] alike (HTTP handlers and Bulk).

use serde_json::Value;
use uuid::Uuid;

use super::resources::{list_response, meta, parse_id, ListParams, ScimContext};
use crate::scim::error::ScimError;
use crate::scim::patch::{apply, parse_patch, MemberDelta};
use crate::scim::schema::ResourceSchema;
use crate::storage::{scim::ScimQuery, StoreError};

/// The SCIM User kind (RFC 7643 §4.1): workspace memberships.
pub struct Users;

/// The SCIM Group kind (RFC 7643 §4.2): workspace groups.
pub struct Groups;

/// What `meta` is made of (RFC 7643 §3.1).
pub struct Stamp {
    pub id: Uuid,
    pub version: i64,
    pub created: chrono::DateTime<chrono::Utc>,
    pub last_modified: chrono::DateTime<chrono::Utc>,
}

impl Stamp {
    pub fn new(
        id: Uuid,
        version: i64,
        created: chrono::DateTime<chrono::Utc>,
        last_modified: chrono::DateTime<chrono::Utc>,
    ) -> Self {
        Self {
            id,
            version,
            created,
            last_modified,
        }
    }
}

/// A SCIM resource kind. The required items are what differs; the provided methods are the
/// operations, the same for every kind.
pub(crate) trait ScimKind {
    /// The resource type (`meta.resourceType`, and how messages name one).
    const NAME: &'static str;
    /// The endpoint under the SCIM base (`/Users`).
    const ENDPOINT: &'static str;
    /// The attribute read separately, and only when it will be shown.
    const RELATED: &'static str;
    /// A stored resource.
    type Row;
    /// One row of the separately read attribute (a user's group, a group's member).
    type Related;

    fn schema() -> &'static ResourceSchema;
    fn stamp(row: &Self::Row) -> Stamp;
    /// The stored resource with this id, if any.
    async fn find(ctx: &ScimContext, id: Uuid) -> Result<Option<Self::Row>, StoreError>;
    /// One page of the resources matching the query, and how many match in all.
    async fn search(
        ctx: &ScimContext,
        query: &ScimQuery<'_>,
    ) -> Result<(i64, Vec<Self::Row>), StoreError>;
    /// The related rows of these resources.
    async fn related(ctx: &ScimContext, ids: &[Uuid]) -> Result<Vec<Self::Related>, ScimError>;
    /// The resource without `meta` (the related attribute shown only when given).
    fn document(ctx: &ScimContext, row: &Self::Row, related: Option<&[Self::Related]>) -> Value;
    /// POST: creates the resource; answers it and its version.
    async fn create(ctx: &ScimContext, body: &Value) -> Result<(Value, i64), ScimError>;
    /// PUT of an existing resource.
    async fn write_replaced(
        ctx: &ScimContext,
        before: &Self::Row,
        body: &Value,
        expected_version: Option<i64>,
    ) -> Result<(Value, i64), ScimError>;
    /// Writes the document a PATCH made (and its member delta, where the kind has members).
    async fn write_patched(
        ctx: &ScimContext,
        before: &Self::Row,
        doc: Value,
        members: &MemberDelta,
        expected_version: Option<i64>,
    ) -> Result<(Value, i64), ScimError>;
    /// DELETE of an existing resource, after the version check.
    async fn remove(ctx: &ScimContext, row: &Self::Row) -> Result<(), ScimError>;
    /// What a PATCH answers: the resource and its version, or `None` for 204.
    async fn patch_answer(
        ctx: &ScimContext,
        id: &str,
        params: &ListParams,
        written: Value,
        version: i64,
    ) -> Result<Option<(Value, i64)>, ScimError>;

    /// Where the resource with this id lives.
    fn location(ctx: &ScimContext, id: Uuid) -> String {
        format!("{}/{}/{id}", ctx.base, Self::ENDPOINT)
    }

    /// The full resource (before projection).
    fn render(ctx: &ScimContext, row: &Self::Row, related: Option<&[Self::Related]>) -> Value {
        let mut doc = Self::document(ctx, row, related);
        let stamp = Self::stamp(row);
        if let Some(object) = doc.as_object_mut() {
            object.insert(
                "meta".into(),
                meta(
                    Self::NAME,
                    Self::location(ctx, stamp.id),
                    stamp.created,
                    stamp.last_modified,
                    stamp.version,
                ),
            );
        }
        doc
    }

    /// The stored resource, or a SCIM 404.
    async fn row(ctx: &ScimContext, id: Uuid) -> Result<Self::Row, ScimError> {
        Self::find(ctx, id)
            .await?
            .ok_or_else(|| ScimError::not_found(format!("{} {id} not found", Self::NAME)))
    }

    /// GET /{kind}/{id}: the resource and its version.
    async fn get(
        ctx: &ScimContext,
        id: &str,
        params: &ListParams,
    ) -> Result<(Value, i64), ScimError> {
        let id = parse_id(id, Self::NAME)?;
        let row = Self::row(ctx, id).await?;
        let related = if params.wants(Self::RELATED) {
            Some(Self::related(ctx, &[id]).await?)
        } else {
            None
        };
        let doc = Self::render(ctx, &row, related.as_deref());
        Ok((
            params.project(&doc, Self::schema()),
            Self::stamp(&row).version,
        ))
    }

    /// GET /{kind} and POST /{kind}/.search.
    async fn list(ctx: &ScimContext, params: &ListParams) -> Result<Value, ScimError> {
        let query = ScimQuery {
            filter: params.filter.as_ref(),
            sort: params.sort.as_ref().map(|(a, o)| (a, *o)),
            offset: params.start_index - 1,
            limit: params.count,
        };
        let (total, rows) = Self::search(ctx, &query).await?;
        let related = if params.wants(Self::RELATED) && !rows.is_empty() {
            let ids: Vec<Uuid> = rows.iter().map(|r| Self::stamp(r).id).collect();
            Some(Self::related(ctx, &ids).await?)
        } else {
            None
        };
        let resources = rows
            .iter()
            .map(|row| params.project(&Self::render(ctx, row, related.as_deref()), Self::schema()))
            .collect();
        Ok(list_response(total, params.start_index, resources))
    }

    /// PUT /{kind}/{id}: replaces the document (read-only attributes ignored).
    async fn replace(
        ctx: &ScimContext,
        id: &str,
        body: &Value,
        expected_version: Option<i64>,
    ) -> Result<(Value, i64), ScimError> {
        let before = Self::row(ctx, parse_id(id, Self::NAME)?).await?;
        Self::write_replaced(ctx, &before, body, expected_version).await
    }

    /// PATCH /{kind}/{id}: applies the operations to the current resource, atomically.
    async fn patch(
        ctx: &ScimContext,
        id: &str,
        body: &Value,
        expected_version: Option<i64>,
    ) -> Result<(Value, i64), ScimError> {
        let before = Self::row(ctx, parse_id(id, Self::NAME)?).await?;
        let ops = parse_patch(body, Self::schema())?;
        let mut doc = Self::render(ctx, &before, None);
        if let Some(object) = doc.as_object_mut() {
            object.remove("meta");
        }
        let outcome = apply(&mut doc, &ops, Self::schema())?;
        Self::write_patched(ctx, &before, doc, &outcome.members, expected_version).await
    }

    /// DELETE /{kind}/{id}, refused (412) when `If-Match` names another version.
    async fn delete(
        ctx: &ScimContext,
        id: &str,
        expected_version: Option<i64>,
    ) -> Result<(), ScimError> {
        let row = Self::row(ctx, parse_id(id, Self::NAME)?).await?;
        if expected_version.is_some_and(|v| v != Self::stamp(&row).version) {
            return Err(ScimError::new(
                412,
                None,
                format!(
                    "the {} changed since the version you sent (If-Match)",
                    Self::NAME.to_lowercase()
                ),
            ));
        }
        Self::remove(ctx, &row).await
    }
}
