//! Single sign-on setup: the values to copy into Okta or Microsoft Entra ID (which field
//! takes which), the connections with each signing certificate's days left (warned from 30
//! days), and connecting an IdP by metadata URL or XML.

use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use maud::html;
use serde::Deserialize;

use super::{layout, refusal, see_other, Owner, OwnerForm, SignedForm};
use crate::{
    saml::{acs_url, sp_entity_id},
    service::sso::{connect as connect_idp, ConnectionOptions, CERTIFICATE_THRESHOLDS},
    web::{pages::url_encode, AppState},
};

#[derive(Deserialize)]
pub struct Notice {
    done: Option<String>,
    error: Option<String>,
}

/// `/console/{slug}/sso`.
pub async fn show(
    state: web::Data<AppState>,
    req: HttpRequest,
    owner: Owner,
    notice: web::Query<Notice>,
) -> HttpResponse {
    let slug = owner.slug();
    let workspace = &owner.caller.workspace;
    let connections = match state.store.sso_connections(workspace.id).await {
        Ok(c) => c,
        Err(err) => return refusal(&req, err.into()),
    };
    let public = &state.settings.public_url;
    let entity = sp_entity_id(public, &slug);
    let acs = acs_url(public, &slug);
    let warn_from = CERTIFICATE_THRESHOLDS[0];
    let action = format!("/console/{}/sso", url_encode(&slug));
    let body = html! {
        h1 { "Single sign-on" }
        @if let Some(done) = &notice.done { p.done role="status" { (done) } }
        @if let Some(error) = &notice.error { p.error role="alert" { (error) } }
        h2 { "Values for your identity provider" }
        table id="sp-values" {
            tr { th { "Entity ID (Audience)" } td { code { (entity) } } }
            tr { th { "ACS URL (Reply URL)" } td { code { (acs) } } }
            tr { th { "SP metadata" } td { code { (entity) } } }
            tr { th { "NameID" } td { "the user's email address (EmailAddress format)" } }
            tr { th { "Groups" } td { "an attribute named " code { "groups" } " with the group names" } }
        }
        p.muted { "Okta: Single sign-on URL = ACS URL, Audience URI (SP Entity ID) = Entity ID, "
            "Name ID format EmailAddress, a group attribute statement “groups”. "
            "Microsoft Entra ID: Identifier (Entity ID) = Entity ID, Reply URL = ACS URL, "
            "add a groups claim (group names, or object ids mapped with rules). "
            "docs/okta.md and docs/entra.md walk through every screen." }
        h2 { "Connections" }
        @if connections.is_empty() { p.muted { "No identity provider is connected yet." } }
        table id="connections" {
            @for c in &connections {
                tr {
                    td { strong { (c.idp_entity_id) } br; span.muted { (c.sso_url) } }
                    td {
                        @for cert in &c.certificates {
                            @let days = cert.days_left();
                            @if days < warn_from {
                                span.error { "certificate expires in " (days) " days (" (cert.not_after.format("%Y-%m-%d")) ")" }
                            } @else {
                                span { "certificate valid " (days) " more days" }
                            }
                            br;
                        }
                        @if let Some(url) = &c.metadata_url { span.muted { "refreshed from " (url) } }
                        @if let Some(error) = &c.refresh_error { br; span.error { "last refresh failed: " (error) } }
                    }
                }
            }
        }
        p { "Require SSO: " @if workspace.settings.require_sso { "on" } @else { "off" }
            " (exemptions are set on each member's page)." }
        h2 { "Connect an identity provider" }
        form method="post" action=(action) {
            input type="hidden" name="csrf_token" value=(owner.csrf());
            label for="metadata_url" { "Metadata URL (https, refreshed daily)" }
            input id="metadata_url" name="metadata_url" type="url";
            label for="metadata_xml" { "or the metadata XML" }
            textarea id="metadata_xml" name="metadata_xml" rows="6" cols="80" {}
            br;
            label { input type="checkbox" name="allow_idp_initiated" value="true"; " Allow IdP-initiated sign-in" }
            br;
            button type="submit" id="connect" { "Connect" }
        }
    };
    layout::page(
        StatusCode::OK,
        "Single sign-on",
        Some(&slug),
        owner.csrf(),
        body,
    )
}

#[derive(Deserialize)]
pub struct ConnectForm {
    csrf_token: String,
    metadata_url: Option<String>,
    metadata_xml: Option<String>,
    allow_idp_initiated: Option<bool>,
}

/// Connects an IdP from the form (the same use case as the API's).
pub async fn connect(state: web::Data<AppState>, signed: OwnerForm<ConnectForm>) -> HttpResponse {
    let OwnerForm { owner, form } = signed;
    let slug = owner.slug();
    let given = |v: Option<String>| v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    let options = ConnectionOptions {
        allow_idp_initiated: form.allow_idp_initiated.unwrap_or(false),
        ..ConnectionOptions::default()
    };
    let ctx = owner.caller.change_context();
    let back = format!("/console/{}/sso", url_encode(&slug));
    let result = connect_idp(
        &state.store,
        &state.outbound,
        &owner.caller.workspace,
        given(form.metadata_xml),
        given(form.metadata_url),
        options,
        &ctx.actor,
        ctx.request_id.as_deref(),
    )
    .await;
    match result {
        Ok(c) => see_other(&format!(
            "{back}?done={}",
            url_encode(&format!("Connected {}.", c.idp_entity_id))
        )),
        Err(err) => see_other(&format!("{back}?error={}", url_encode(&err.to_string()))),
    }
}

impl SignedForm for ConnectForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}
