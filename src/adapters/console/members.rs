//! The members pages: a searchable, paged list, and one member's page with the roles editor
//! (the catalog's product roles by product; a Source role on every current and future source
//! or on one), the effective permissions with their origin, the recent timeline, and
//! deactivate / reactivate / SSO exemption / remove.

use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use maud::{html, Markup};
use serde::Deserialize;
use uuid::Uuid;

use super::{layout, refusal, see_other, Button, Owner, OwnerForm, SignedForm};
use crate::{
    access::{
        catalog, EffectiveRole, GrantOrigin, Member, MemberKey, MemberKind, Product, ResourceRef,
        RoleKey, Scope, Subject, Through,
    },
    web::{pages::url_encode, AppState},
};

/// Members per page.
const PAGE: usize = 50;

#[derive(Deserialize)]
pub struct ListQuery {
    /// Part of an email.
    q: Option<String>,
    /// The last email of the previous page.
    after: Option<String>,
}

/// `/console/{slug}/members`.
pub async fn list(
    state: web::Data<AppState>,
    req: HttpRequest,
    owner: Owner,
    query: web::Query<ListQuery>,
) -> HttpResponse {
    let slug = owner.slug();
    let needle = query.q.as_deref().unwrap_or("").trim().to_lowercase();
    let after = query.after.clone().unwrap_or_default();
    let rows = state
        .access
        .read(&owner.caller.workspace, None, |ix| {
            let mut rows: Vec<(Member, Vec<String>)> = ix
                .members()
                .filter(|m| needle.is_empty() || m.email.to_lowercase().contains(&needle))
                .filter(|m| after.is_empty() || m.email.to_lowercase() > after)
                .map(|m| {
                    let groups = ix
                        .member_groups(m.id)
                        .into_iter()
                        .map(|(g, _)| g.display_name.clone())
                        .collect();
                    (m.clone(), groups)
                })
                .collect();
            rows.sort_by_key(|(m, _)| m.email.to_lowercase());
            rows
        })
        .await;
    let mut rows = match rows {
        Ok(rows) => rows,
        Err(err) => return refusal(&req, err.into()),
    };
    let more = rows.len() > PAGE;
    rows.truncate(PAGE);
    let base = format!("/console/{}/members", url_encode(&slug));
    let next = more.then(|| rows.last()).flatten().map(|(m, _)| {
        format!(
            "{base}?q={}&after={}",
            url_encode(&needle),
            url_encode(&m.email.to_lowercase())
        )
    });
    let body = html! {
        h1 { "Members" }
        form method="get" action=(base) {
            label for="q" { "Search by email" }
            input id="q" name="q" value=(needle);
            button type="submit" { "Search" }
        }
        table {
            tr { th { "Email" } th { "Kind" } th { "Status" } th { "Groups" } }
            @for (m, groups) in &rows {
                tr {
                    td { a href={ (base) "/" (m.id) } { (m.email) } }
                    td { (kind_label(m.kind)) }
                    td { (status_label(m)) }
                    td { @for g in groups { span.tag { (g) } " " } }
                }
            }
        }
        @if rows.is_empty() { p.muted { "No member matches." } }
        @if let Some(next) = next { p { a href=(next) { "Next page" } } }
    };
    layout::page(StatusCode::OK, "Members", Some(&slug), owner.csrf(), body)
}

fn kind_label(kind: MemberKind) -> &'static str {
    match kind {
        MemberKind::Owner => "owner",
        MemberKind::Member => "member",
    }
}

fn status_label(m: &Member) -> &'static str {
    if m.awaiting_consent {
        "awaiting the person's consent"
    } else if m.active {
        "active"
    } else {
        "deactivated"
    }
}

#[derive(Deserialize)]
pub struct Notice {
    done: Option<String>,
    error: Option<String>,
}

/// What one member's page shows, read at one revision.
struct MemberView {
    member: Member,
    grants: Vec<(Uuid, String, Scope, GrantOrigin)>,
    permissions: Vec<EffectiveRole>,
    groups: Vec<String>,
    /// Instances of each type a role may be scoped to, for the pickers.
    instances: Vec<(String, String, String)>,
    products: Vec<Product>,
}

/// `/console/{slug}/members/{member}`.
pub async fn show(
    state: web::Data<AppState>,
    req: HttpRequest,
    owner: Owner,
    path: web::Path<(String, Uuid)>,
    notice: web::Query<Notice>,
) -> HttpResponse {
    let (slug, id) = path.into_inner();
    let view = state
        .access
        .read(&owner.caller.workspace, None, |ix| {
            let member = ix.find_member(&MemberKey::Membership(id))?.clone();
            let grants = ix
                .grants_of(Subject::User(id))
                .into_iter()
                .map(|g| (g.id, g.role.clone(), g.scope.clone(), g.origin))
                .collect();
            Some(MemberView {
                permissions: ix.permissions(id),
                groups: ix
                    .member_groups(id)
                    .into_iter()
                    .map(|(g, _)| g.display_name.clone())
                    .collect(),
                instances: ix
                    .resources()
                    .map(|r| (r.resource_type.clone(), r.id.clone(), r.name.clone()))
                    .collect(),
                products: ix.products().to_vec(),
                member,
                grants,
            })
        })
        .await;
    let view = match view {
        Ok(Some(view)) => view,
        Ok(None) => return refusal(&req, crate::web::ApiError::NotFound("member".into())),
        Err(err) => return refusal(&req, err.into()),
    };
    let workspace = &owner.caller.workspace;
    let exempt = match state.store.sso_exempt(workspace.id, id).await {
        Ok(e) => e,
        Err(err) => return refusal(&req, err.into()),
    };
    let timeline = match state
        .store
        .audit_mentioning(workspace.id, &id.to_string(), 200)
        .await
    {
        Ok(entries) => entries,
        Err(err) => return refusal(&req, err.into()),
    };
    let base = format!("/console/{}/members/{id}", url_encode(&slug));
    let m = &view.member;
    let body = html! {
        h1 { (m.email) }
        p { (kind_label(m.kind)) " · " (status_label(m))
            @if exempt { " · exempt from Require SSO" } }
        @if let Some(done) = &notice.done { p.done role="status" { (done) } }
        @if let Some(error) = &notice.error { p.error role="alert" { (error) } }
        @if !view.groups.is_empty() {
            p { "Groups: " @for g in &view.groups { span.tag { (g) } " " } }
        }
        h2 { "Give a role" }
        @if m.kind == MemberKind::Owner {
            p.muted { "Owners may do everything; roles matter for members." }
        }
        (roles_editor(&owner, &base, &view))
        h2 { "Roles given to this member" }
        @if view.grants.is_empty() { p.muted { "None directly (see groups and effective permissions)." } }
        table {
            @for (grant_id, role, scope, origin) in &view.grants {
                tr {
                    td { (role_name(role)) }
                    td { (scope_label(scope, &view.instances)) }
                    td.muted { (origin_label(origin)) }
                    td {
                        form.inline method="post" action={ (base) "/grants/" (grant_id) "/revoke" } {
                            input type="hidden" name="csrf_token" value=(owner.csrf());
                            button type="submit" { "Revoke" }
                        }
                    }
                }
            }
        }
        h2 { "Effective permissions" }
        table id="permissions" {
            tr { th { "Role" } th { "On" } th { "Through" } }
            @for p in &view.permissions {
                tr {
                    td { (role_name(&p.role)) @if !p.active_product { " (product not enabled)" } }
                    td { (scope_label(&p.scope, &view.instances)) }
                    td { (through_label(&p.through, p.grant_id, &view.grants)) }
                }
            }
        }
        h2 { "Membership" }
        form method="post" action={ (base) "/settings" } {
            input type="hidden" name="csrf_token" value=(owner.csrf());
            @if m.active {
                button type="submit" name="active" value="false" { "Deactivate" }
            } @else {
                button type="submit" name="active" value="true" { "Reactivate" }
            }
            " "
            @if exempt {
                button type="submit" name="sso_exempt" value="false" { "End the SSO exemption" }
            } @else {
                button type="submit" name="sso_exempt" value="true" { "Exempt from Require SSO" }
            }
        }
        form method="post" action={ (base) "/remove" } {
            input type="hidden" name="csrf_token" value=(owner.csrf());
            button type="submit" { "Remove from the workspace" }
        }
        h2 { "Timeline" }
        table {
            @for e in timeline.iter().rev().take(50) {
                tr { td.muted { (e.at.format("%Y-%m-%d %H:%M:%S UTC")) } td { (e.action) } td.muted { (e.target) } }
            }
        }
    };
    layout::page(StatusCode::OK, &m.email, Some(&slug), owner.csrf(), body)
}

/// The roles of each product, a form each; products the workspace has not enabled are shown
/// disabled. A role that may be scoped to instances offers "every current and future one"
/// or one instance.
fn roles_editor(owner: &Owner, base: &str, view: &MemberView) -> Markup {
    let products = [
        Product::Sources,
        Product::Warehouses,
        Product::Protocols,
        Product::Personas,
    ];
    html! {
        @for product in products {
            @let enabled = view.products.contains(&product);
            fieldset disabled[!enabled] {
                legend { (layout::product_label(product)) @if !enabled { " (not enabled in this workspace)" } }
                @for role in catalog::roles().iter().filter(|r| r.product == Some(product)) {
                    form method="post" action={ (base) "/grants" } {
                        input type="hidden" name="csrf_token" value=(owner.csrf());
                        input type="hidden" name="role" value=(role.key);
                        strong { (role.name) } " "
                        @if let Some(kind) = role.instance_scope {
                            @let id = format!("scope-{}", role.key.replace('.', "-"));
                            select name="scope" id=(id) aria-label={ (role.name) " on" } {
                                option value="all" { "All current and future " (kind) "s" }
                                @for (t, rid, name) in view.instances.iter().filter(|(t, _, _)| t == kind) {
                                    option value={ "instance:" (t) ":" (rid) } { "Only " (name) }
                                }
                            }
                        } @else {
                            input type="hidden" name="scope" value="all";
                            span.muted { "everywhere in the workspace " }
                        }
                        " "
                        button type="submit" data-role=(role.key) { "Give" }
                    }
                }
            }
        }
    }
}

fn role_name(key: &str) -> String {
    catalog::role(key)
        .map(|r| r.name.to_string())
        .unwrap_or_else(|| key.to_string())
}

fn scope_label(scope: &Scope, instances: &[(String, String, String)]) -> String {
    match scope {
        Scope::All => "all current and future instances".into(),
        Scope::Instance(r) => {
            let name = instances
                .iter()
                .find(|(t, id, _)| *t == r.resource_type && *id == r.id)
                .map(|(_, _, name)| name.as_str())
                .unwrap_or(r.id.as_str());
            format!("only {} ({})", name, r.resource_type)
        }
    }
}

fn origin_label(origin: &GrantOrigin) -> &'static str {
    match origin {
        GrantOrigin::Manual => "given by hand",
        GrantOrigin::Legacy => "migrated legacy role",
        GrantOrigin::Rule(_) => "mapping rule (the rule owns it)",
        GrantOrigin::Scim => "SCIM role (the IdP will overwrite it)",
        GrantOrigin::Invite => "from the invitation",
    }
}

fn through_label(
    through: &Through,
    grant: Option<Uuid>,
    direct: &[(Uuid, String, Scope, GrantOrigin)],
) -> String {
    match through {
        Through::Direct => {
            let origin = grant
                .and_then(|g| direct.iter().find(|(id, ..)| *id == g))
                .map(|(_, _, _, o)| origin_label(o))
                .unwrap_or("direct");
            format!("direct ({origin})")
        }
        Through::Group { display_name, .. } => format!("group {display_name}"),
        Through::Ownership => "ownership".into(),
        Through::Membership => "membership (every active member)".into(),
    }
}

#[derive(Deserialize)]
pub struct RoleForm {
    csrf_token: String,
    role: String,
    /// `all` or `instance:<type>:<id>`.
    scope: String,
}

/// Gives a role to the member (the same checks as the API: catalog, products, instances).
pub async fn give_role(
    state: web::Data<AppState>,
    path: web::Path<(String, Uuid)>,
    signed: OwnerForm<RoleForm>,
) -> HttpResponse {
    let OwnerForm { owner, form } = signed;
    let (slug, id) = path.into_inner();
    let back = format!("/console/{}/members/{id}", url_encode(&slug));
    let scope = match form.scope.split_once(':') {
        None if form.scope == "all" => Scope::All,
        Some(("instance", rest)) => match rest.split_once(':') {
            Some((t, rid)) => Scope::Instance(ResourceRef::new(t.to_string(), rid.to_string())),
            None => return with_notice(&back, Err("choose where the role applies")),
        },
        _ => return with_notice(&back, Err("choose where the role applies")),
    };
    let role = match RoleKey::parse(&form.role) {
        Ok(role) => role,
        Err(err) => return with_notice(&back, Err(&err.to_string())),
    };
    let result = state
        .access
        .add_grant(
            &owner.caller.workspace,
            Subject::User(id),
            role,
            scope,
            GrantOrigin::Manual,
            &owner.caller.change_context(),
        )
        .await;
    match result {
        Ok(_) => with_notice(&back, Ok(&format!("{} given.", role_name(&form.role)))),
        Err(err) => with_notice(&back, Err(&crate::web::ApiError::from(err).to_string())),
    }
}

/// Revokes one of the member's direct grants.
pub async fn revoke_role(
    state: web::Data<AppState>,
    path: web::Path<(String, Uuid, Uuid)>,
    signed: OwnerForm<Button>,
) -> HttpResponse {
    let OwnerForm { owner, .. } = signed;
    let (slug, id, grant) = path.into_inner();
    let back = format!("/console/{}/members/{id}", url_encode(&slug));
    // Only a grant of this member, so a form cannot reach another subject's.
    let mine = state
        .access
        .read(&owner.caller.workspace, None, |ix| {
            ix.grant(grant)
                .is_some_and(|g| g.subject == Subject::User(id))
        })
        .await
        .unwrap_or(false);
    if !mine {
        return with_notice(&back, Err("that role is not this member's"));
    }
    match state
        .access
        .remove_grant(
            &owner.caller.workspace,
            grant,
            &owner.caller.change_context(),
        )
        .await
    {
        Ok(_) => with_notice(&back, Ok("Role revoked.")),
        Err(err) => with_notice(&back, Err(&crate::web::ApiError::from(err).to_string())),
    }
}

#[derive(Deserialize)]
pub struct SettingsForm {
    csrf_token: String,
    active: Option<bool>,
    sso_exempt: Option<bool>,
}

/// Deactivates or reactivates the member, or changes the SSO exemption (one transaction).
pub async fn change_settings(
    state: web::Data<AppState>,
    path: web::Path<(String, Uuid)>,
    signed: OwnerForm<SettingsForm>,
) -> HttpResponse {
    let OwnerForm { owner, form } = signed;
    let (slug, id) = path.into_inner();
    let back = format!("/console/{}/members/{id}", url_encode(&slug));
    let result = state
        .access
        .update_member(
            &owner.caller.workspace,
            &id.to_string(),
            None,
            form.active,
            form.sso_exempt,
            &owner.caller.change_context(),
        )
        .await;
    match result {
        Ok(_) => with_notice(&back, Ok("Saved.")),
        Err(err) => with_notice(&back, Err(&crate::web::ApiError::from(err).to_string())),
    }
}

/// Removes the membership (the person's account stays).
pub async fn remove(
    state: web::Data<AppState>,
    path: web::Path<(String, Uuid)>,
    signed: OwnerForm<Button>,
) -> HttpResponse {
    let OwnerForm { owner, .. } = signed;
    let (slug, id) = path.into_inner();
    let list = format!("/console/{}/members", url_encode(&slug));
    match state
        .access
        .remove_member(
            &owner.caller.workspace,
            &id.to_string(),
            &owner.caller.change_context(),
        )
        .await
    {
        Ok(_) => see_other(&list),
        Err(err) => with_notice(
            &format!("{list}/{id}"),
            Err(&crate::web::ApiError::from(err).to_string()),
        ),
    }
}

/// Back to `page` with a one-line notice (post, redirect, get).
fn with_notice(page: &str, notice: Result<&str, &str>) -> HttpResponse {
    let (key, text) = match notice {
        Ok(text) => ("done", text),
        Err(text) => ("error", text),
    };
    see_other(&format!("{page}?{key}={}", url_encode(text)))
}

impl SignedForm for RoleForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

impl SignedForm for SettingsForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}
