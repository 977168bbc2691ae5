//! Groups and mapping rules: each group with its members and where they came from, the rules,
//! and a rule editor that previews what a rule would give ("Source Admin to 12 members of 2
//! groups") before it is saved.

use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use maud::{html, Markup};
use serde::Deserialize;
use uuid::Uuid;

use super::{layout, refusal, see_other, Button, Owner, OwnerForm, SignedForm};
use crate::{
    access::{catalog, MemberSource, Scope},
    domain::bridge::MatchKind,
    service::rules::RuleSpec,
    web::{pages::url_encode, ApiError, AppState},
};

const MATCH_KINDS: [(MatchKind, &str); 4] = [
    (MatchKind::DisplayNameEquals, "name is"),
    (MatchKind::DisplayNamePrefix, "name starts with"),
    (MatchKind::DisplayNameRegex, "name matches the regex"),
    (MatchKind::ExternalIdEquals, "IdP id is"),
];

#[derive(Deserialize, Default, Clone)]
pub struct RuleForm {
    csrf_token: String,
    #[serde(rename = "match")]
    match_kind: String,
    pattern: String,
    role: String,
    /// `preview` or `save`.
    step: Option<String>,
}

#[derive(Deserialize)]
pub struct Notice {
    error: Option<String>,
}

/// A group as the page lists it: name, IdP id, and each member's email with the link's source.
type GroupRow = (String, Option<String>, Vec<(String, MemberSource)>);

fn source_label(source: MemberSource) -> &'static str {
    match source {
        MemberSource::Scim => "SCIM",
        MemberSource::Saml => "SAML",
        MemberSource::Manual => "manual",
    }
}

/// `/console/{slug}/groups`.
pub async fn show(
    state: web::Data<AppState>,
    req: HttpRequest,
    owner: Owner,
    notice: web::Query<Notice>,
) -> HttpResponse {
    let slug = owner.slug();
    page(&state, &req, &owner, &slug, notice.error.as_deref(), None).await
}

/// The page, with an optional preview (`form`, its text) of a rule being written.
async fn page(
    state: &AppState,
    req: &HttpRequest,
    owner: &Owner,
    slug: &str,
    error: Option<&str>,
    preview: Option<(&RuleForm, String)>,
) -> HttpResponse {
    let workspace = &owner.caller.workspace;
    let groups = state
        .access
        .read(workspace, None, |ix| {
            let mut groups: Vec<GroupRow> = ix
                .groups()
                .map(|g| {
                    let members = ix
                        .group_members(g.id)
                        .into_iter()
                        .filter_map(|(m, source)| {
                            ix.find_member(&crate::access::MemberKey::Membership(m))
                                .map(|m| (m.email.clone(), source))
                        })
                        .collect();
                    (g.display_name.clone(), g.external_id.clone(), members)
                })
                .collect();
            groups.sort_by_key(|g| g.0.to_lowercase());
            groups
        })
        .await;
    let groups = match groups {
        Ok(g) => g,
        Err(err) => return refusal(req, err.into()),
    };
    let rules = match state.store.mapping_rules(workspace.id).await {
        Ok(r) => r,
        Err(err) => return refusal(req, err.into()),
    };
    let base = format!("/console/{}", url_encode(slug));
    let body = html! {
        h1 { "Groups and rules" }
        @if let Some(error) = error { p.error role="alert" { (error) } }
        h2 { "Groups" }
        table id="groups" {
            tr { th { "Group" } th { "IdP id" } th { "Members" } }
            @for (name, external, members) in &groups {
                tr {
                    td { strong { (name) } }
                    td.muted { (external.as_deref().unwrap_or("")) }
                    td { @for (email, source) in members { (email) " " span.tag { (source_label(*source)) } " " } }
                }
            }
        }
        @if groups.is_empty() { p.muted { "No groups yet: they come from SCIM, SAML group claims or the API." } }
        h2 { "Mapping rules" }
        table id="rules" {
            @for rule in &rules {
                tr {
                    td { "A group whose " (match_label(rule.match_kind)) " " code { (rule.pattern) } }
                    td { "gets " (role_name(&rule.role)) }
                    td.muted { (rule.source) }
                    td {
                        @if rule.source != "file" {
                            form.inline method="post" action={ (base) "/rules/" (rule.id) "/delete" } {
                                input type="hidden" name="csrf_token" value=(owner.csrf());
                                button type="submit" { "Delete" }
                            }
                        }
                    }
                }
            }
        }
        (rule_form(owner, &base, preview))
    };
    layout::page(
        StatusCode::OK,
        "Groups and rules",
        Some(slug),
        owner.csrf(),
        body,
    )
}

fn match_label(kind: MatchKind) -> &'static str {
    MATCH_KINDS
        .iter()
        .find(|(k, _)| *k == kind)
        .map(|(_, label)| *label)
        .unwrap_or("matches")
}

fn role_name(key: &str) -> String {
    catalog::role(key)
        .map(|r| r.name.to_string())
        .unwrap_or_else(|| key.to_string())
}

/// The rule editor: Preview first; after a preview, Save with the same values.
fn rule_form(owner: &Owner, base: &str, preview: Option<(&RuleForm, String)>) -> Markup {
    let current = preview
        .as_ref()
        .map(|(f, _)| (*f).clone())
        .unwrap_or_default();
    html! {
        h2 { "New rule" }
        form method="post" action={ (base) "/rules" } id="rule-form" {
            input type="hidden" name="csrf_token" value=(owner.csrf());
            "A group whose "
            select name="match" aria-label="how the group is matched" {
                @for (kind, label) in MATCH_KINDS {
                    option value=(kind.as_str()) selected[current.match_kind == kind.as_str()] { (label) }
                }
            }
            " "
            input name="pattern" aria-label="pattern" required value=(current.pattern);
            " gets "
            select name="role" aria-label="role" {
                @for role in catalog::roles().iter().filter(|r| r.product.is_some()) {
                    option value=(role.key) selected[current.role == role.key] { (role.name) }
                }
            }
            " on every current and future instance. "
            @if let Some((_, text)) = &preview {
                p.done id="preview" role="status" { (text) }
                button type="submit" name="step" value="save" id="save-rule" { "Save the rule" }
                " "
            }
            button type="submit" name="step" value="preview" id="preview-rule" { "Preview" }
        }
    }
}

/// Previews or saves a rule.
pub async fn submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    signed: OwnerForm<RuleForm>,
) -> HttpResponse {
    let OwnerForm { owner, form } = signed;
    let slug = owner.slug();
    let back = format!("/console/{}/groups", url_encode(&slug));
    let Some(match_kind) = MatchKind::parse(&form.match_kind) else {
        return see_other(&format!(
            "{back}?error={}",
            url_encode("choose how the group is matched")
        ));
    };
    let spec = RuleSpec {
        match_kind,
        pattern: form.pattern.trim().to_string(),
        role: form.role.clone(),
        scope: Scope::All,
    };
    let workspace = &owner.caller.workspace;
    if form.step.as_deref() == Some("save") {
        return match state
            .access
            .create_rule(workspace, spec, &owner.caller.change_context())
            .await
        {
            Ok(_) => see_other(&back),
            Err(err) => see_other(&format!(
                "{back}?error={}",
                url_encode(&ApiError::from(err).to_string())
            )),
        };
    }
    match state.access.preview_rule(workspace, spec).await {
        Ok(preview) => {
            let text = format!(
                "This rule gives {} to {} member{} of {} group{}{}.",
                role_name(&form.role),
                preview.members,
                if preview.members == 1 { "" } else { "s" },
                preview.groups.len(),
                if preview.groups.len() == 1 { "" } else { "s" },
                if preview.groups.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", preview.groups.join(", "))
                }
            );
            page(&state, &req, &owner, &slug, None, Some((&form, text))).await
        }
        Err(err) => see_other(&format!(
            "{back}?error={}",
            url_encode(&ApiError::from(err).to_string())
        )),
    }
}

/// Deletes a rule (and the grants it gave).
pub async fn delete(
    state: web::Data<AppState>,
    path: web::Path<(String, Uuid)>,
    signed: OwnerForm<Button>,
) -> HttpResponse {
    let OwnerForm { owner, .. } = signed;
    let (slug, id) = path.into_inner();
    let back = format!("/console/{}/groups", url_encode(&slug));
    match state
        .access
        .delete_rule(&owner.caller.workspace, id, &owner.caller.change_context())
        .await
    {
        Ok(_) => see_other(&back),
        Err(err) => see_other(&format!(
            "{back}?error={}",
            url_encode(&ApiError::from(err).to_string())
        )),
    }
}

impl SignedForm for RuleForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}
