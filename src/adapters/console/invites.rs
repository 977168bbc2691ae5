//! Invitations from the console: invite by email with the role the invitee will get, list
//! them with their state, revoke an open one. The link is shown once, on the answer page.

use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use chrono::Utc;
use maud::html;
use secrecy::ExposeSecret;
use serde::Deserialize;
use uuid::Uuid;

use super::{layout, refusal, see_other, Button, Owner, OwnerForm, SignedForm};
use crate::{
    access::{catalog, MemberKind, Scope},
    service::invites::InviteRequest,
    storage::InviteGrant,
    web::{pages::url_encode, AppState, Principal},
};

#[derive(Deserialize)]
pub struct Notice {
    error: Option<String>,
}

/// `/console/{slug}/invites`.
pub async fn list(
    state: web::Data<AppState>,
    req: HttpRequest,
    owner: Owner,
    notice: web::Query<Notice>,
) -> HttpResponse {
    let slug = owner.slug();
    let invites = match state.store.list_invites(owner.caller.workspace.id).await {
        Ok(i) => i,
        Err(err) => return refusal(&req, err.into()),
    };
    let base = format!("/console/{}/invites", url_encode(&slug));
    let now = Utc::now();
    let body = html! {
        h1 { "Invitations" }
        @if let Some(error) = &notice.error { p.error role="alert" { (error) } }
        form method="post" action=(base) {
            input type="hidden" name="csrf_token" value=(owner.csrf());
            label for="email" { "Email" }
            input id="email" name="email" type="email" required;
            label for="kind" { "As" }
            select id="kind" name="kind" {
                option value="member" { "member" }
                option value="owner" { "owner" }
            }
            label for="role" { "With the role (on every current and future instance)" }
            select id="role" name="role" {
                option value="" { "no role yet" }
                @for role in catalog::roles().iter().filter(|r| r.product.is_some()) {
                    option value=(role.key) { (role.name) }
                }
            }
            br;
            button type="submit" id="invite" { "Invite" }
        }
        h2 { "Sent" }
        table id="invites" {
            tr { th { "Email" } th { "As" } th { "Roles" } th { "State" } th {} }
            @for i in &invites {
                @let open = i.accepted_at.is_none() && i.revoked_at.is_none() && i.expires_at > now;
                tr {
                    td { (i.email) }
                    td { @if i.kind == MemberKind::Owner { "owner" } @else { "member" } }
                    td { @for g in &i.grants { span.tag { (g.role) } " " } }
                    td {
                        @if i.accepted_at.is_some() { "accepted" }
                        @else if i.revoked_at.is_some() { "revoked" }
                        @else if !open { "expired" }
                        @else { "open until " (i.expires_at.format("%Y-%m-%d")) }
                    }
                    td {
                        @if open {
                            form.inline method="post" action={ (base) "/" (i.id) "/revoke" } {
                                input type="hidden" name="csrf_token" value=(owner.csrf());
                                button type="submit" { "Revoke" }
                            }
                        }
                    }
                }
            }
        }
    };
    layout::page(
        StatusCode::OK,
        "Invitations",
        Some(&slug),
        owner.csrf(),
        body,
    )
}

#[derive(Deserialize)]
pub struct InviteForm {
    csrf_token: String,
    email: String,
    kind: Option<String>,
    role: Option<String>,
}

/// Sends an invitation (the same use case as the API's: only owners invite).
pub async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    signed: OwnerForm<InviteForm>,
) -> HttpResponse {
    let OwnerForm { owner, form } = signed;
    let slug = owner.slug();
    let Principal::Owner { membership_id, .. } = &owner.caller.principal else {
        return refusal(&req, crate::web::ApiError::Forbidden("owners only".into()));
    };
    let grants = form
        .role
        .filter(|r| !r.is_empty())
        .map(|role| {
            vec![InviteGrant {
                role,
                scope: Scope::All,
            }]
        })
        .unwrap_or_default();
    let request = InviteRequest {
        invited_by: membership_id.to_string(),
        email: form.email,
        kind: if form.kind.as_deref() == Some("owner") {
            MemberKind::Owner
        } else {
            MemberKind::Member
        },
        grants,
        expires_in_days: None,
    };
    let base = format!("/console/{}/invites", url_encode(&slug));
    match state
        .access
        .create_invite(
            &owner.caller.workspace,
            request,
            &owner.caller.change_context(),
        )
        .await
    {
        Ok((invite, code)) => {
            let link = format!(
                "{}/invites/{}",
                state.settings.public_url,
                code.expose_secret()
            );
            let body = html! {
                h1 { "Invitation sent" }
                p { "Send this link to " strong { (invite.email) } "; it is shown this once and "
                    "works until " (invite.expires_at.format("%Y-%m-%d")) "." }
                p { code id="invite-link" { (link) } }
                p { a href=(base) { "Back to invitations" } }
            };
            layout::page(
                StatusCode::OK,
                "Invitation sent",
                Some(&slug),
                owner.csrf(),
                body,
            )
        }
        Err(err) => see_other(&format!(
            "{base}?error={}",
            url_encode(&crate::web::ApiError::from(err).to_string())
        )),
    }
}

/// Revokes an open invitation of this workspace.
pub async fn revoke(
    state: web::Data<AppState>,
    path: web::Path<(String, Uuid)>,
    signed: OwnerForm<Button>,
) -> HttpResponse {
    let OwnerForm { owner, .. } = signed;
    let (slug, id) = path.into_inner();
    let ctx = owner.caller.change_context();
    let base = format!("/console/{}/invites", url_encode(&slug));
    match state
        .store
        .revoke_invite(
            owner.caller.workspace.id,
            id,
            &ctx.actor,
            ctx.request_id.as_deref(),
        )
        .await
    {
        Ok(_) => see_other(&base),
        Err(err) => see_other(&format!(
            "{base}?error={}",
            url_encode(&crate::web::ApiError::from(err).to_string())
        )),
    }
}

impl SignedForm for InviteForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}
