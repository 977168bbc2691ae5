//! Who calls the admin and access APIs of a workspace, and that workspace: the one extractor
//! every `/v1/workspaces/{slug}/…` handler takes. A caller is a live `service` token of the
//! workspace, or the browser session of one of its owners (state-changing requests must then
//! echo the session's CSRF token in `X-CSRF-Token`). Any other workspace is "not found", so a
//! caller never learns whether another tenant's objects exist; a member who is no owner is
//! refused (403).

use std::future::Future;
use std::pin::Pin;

use actix_web::{dev::Payload, http::Method, web, FromRequest, HttpRequest};
use secrecy::SecretString;
use uuid::Uuid;

use super::{ApiError, AppState};
use crate::{
    access::{MemberKey, MemberKind},
    domain::{sso::SessionMethod, Actor, ApiToken, TokenKind, Workspace},
    storage::{ChangeContext, TokenRejection},
};

/// The caller of a workspace's admin/access API request, with the workspace it may act on.
#[derive(Debug, Clone)]
pub struct Caller {
    pub workspace: Workspace,
    pub principal: Principal,
}

/// How the caller proved who it is.
#[derive(Debug, Clone)]
pub enum Principal {
    /// A live `service` token of the workspace.
    Token(ApiToken),
    /// A signed-in owner of the workspace (browser session).
    Owner {
        membership_id: Uuid,
        account_id: Uuid,
        email: String,
    },
}

impl Caller {
    /// The audit actor for changes made by this caller.
    pub fn actor(&self) -> Actor {
        match &self.principal {
            Principal::Token(token) => Actor::Token { id: token.id },
            Principal::Owner { membership_id, .. } => Actor::Owner {
                membership_id: *membership_id,
            },
        }
    }

    /// The context copied into the audit rows of this caller's changes.
    pub fn change_context(&self) -> ChangeContext {
        ChangeContext {
            actor: self.actor(),
            request_id: super::request_context::RequestId::current(),
            provenance: "api",
        }
    }

    /// The caller's workspace id.
    pub fn workspace_id(&self) -> Uuid {
        self.workspace.id
    }
}

/// The bearer secret of an `Authorization` header, if well-formed.
pub fn bearer_secret(req: &HttpRequest) -> Option<SecretString> {
    let value = req.headers().get("authorization")?.to_str().ok()?;
    let (scheme, secret) = value.split_once(' ')?;
    let secret = secret.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !secret.is_empty())
        .then(|| SecretString::from(secret.to_string()))
}

fn not_found(slug: &str) -> ApiError {
    ApiError::NotFound(format!("workspace {slug:?}"))
}

/// A live service token of workspace `slug`.
async fn by_token(state: &AppState, secret: &SecretString, slug: &str) -> Result<Caller, ApiError> {
    let token = match state
        .store
        .authenticate_token(secret, TokenKind::Service)
        .await?
    {
        Ok(token) => token,
        Err(TokenRejection::Revoked) => {
            return Err(ApiError::Unauthorized("this token has been revoked".into()))
        }
        Err(TokenRejection::Expired) => {
            return Err(ApiError::Unauthorized(
                "this token has expired (it was rotated)".into(),
            ))
        }
        Err(TokenRejection::Unknown | TokenRejection::WrongKind) => {
            return Err(ApiError::Unauthorized(
                "the bearer token is not a valid service token".into(),
            ))
        }
    };
    let span = tracing::Span::current();
    span.record("workspace", token.workspace_slug.as_str());
    span.record("token_id", tracing::field::display(token.id));
    if token.workspace_slug != slug {
        return Err(not_found(slug));
    }
    let workspace = state
        .store
        .workspace_by_slug(slug)
        .await?
        .ok_or_else(|| not_found(slug))?;
    Ok(Caller {
        workspace,
        principal: Principal::Token(token),
    })
}

/// The browser session of an owner of workspace `slug`, with its CSRF check for writes
/// (the `X-CSRF-Token` header).
async fn by_session(state: &AppState, req: &HttpRequest, slug: &str) -> Result<Caller, ApiError> {
    let (caller, me) = owner_session(state, req, slug).await?;
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if !safe {
        me.require_csrf(req)?;
    }
    Ok(caller)
}

/// The signed-in browser as an active owner of workspace `slug` (Require SSO applies): 401
/// signed out, 404 for a workspace the person is not in, 403 for a member who is no owner.
/// The CSRF check is the caller's: a header for the API, a form field for the console.
pub async fn owner_session(
    state: &AppState,
    req: &HttpRequest,
    slug: &str,
) -> Result<(Caller, crate::web::sessions::SignedIn), ApiError> {
    let Some(me) = crate::web::sessions::signed_in(state, req).await? else {
        return Err(ApiError::Unauthorized(
            "send a service token as 'Authorization: Bearer …', or sign in".into(),
        ));
    };
    let workspace = state
        .store
        .workspace_by_slug(slug)
        .await?
        .ok_or_else(|| not_found(slug))?;
    let membership_id = state
        .store
        .account_membership(workspace.id, me.session.account_id)
        .await?
        .ok_or_else(|| not_found(slug))?;
    let member = state
        .access
        .read(&workspace, None, |ix| {
            ix.find_member(&MemberKey::Membership(membership_id))
                .cloned()
        })
        .await?
        .ok_or_else(|| not_found(slug))?;
    if !member.confers_access() || member.kind != MemberKind::Owner {
        return Err(ApiError::Forbidden(
            "only the workspace's active owners manage it".into(),
        ));
    }
    let sso_session =
        me.session.method == SessionMethod::Sso && me.session.workspace_id == Some(workspace.id);
    if workspace.settings.require_sso
        && !sso_session
        && !state.store.sso_exempt(workspace.id, membership_id).await?
    {
        return Err(ApiError::Forbidden(
            "this workspace requires single sign-on: sign in through its identity provider".into(),
        ));
    }
    tracing::Span::current().record("workspace", slug);
    let caller = Caller {
        workspace,
        principal: Principal::Owner {
            membership_id,
            account_id: me.session.account_id,
            email: me.session.email.clone(),
        },
    };
    Ok((caller, me))
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = req
                .app_data::<web::Data<AppState>>()
                .cloned()
                .ok_or_else(|| {
                    ApiError::Internal(anyhow::anyhow!("application state is missing"))
                })?;
            let slug = req
                .match_info()
                .get("slug")
                .map(str::to_string)
                .ok_or_else(|| ApiError::NotFound("workspace".into()))?;
            match bearer_secret(&req) {
                Some(secret) => by_token(&state, &secret, &slug).await,
                None => by_session(&state, &req, &slug).await,
            }
        })
    }
}
