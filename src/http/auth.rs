//! Bearer-token authentication for the admin and access APIs (workspace `service` tokens).
//! A principal is bound to one workspace; handlers answer 404 for any other workspace, so a
//! token never learns whether another tenant's objects exist.

use std::future::Future;
use std::pin::Pin;

use actix_web::{dev::Payload, web, FromRequest, HttpRequest};
use secrecy::SecretString;

use super::{ApiError, AppState};
use crate::{
    domain::{Actor, ApiToken, TokenKind},
    storage::TokenRejection,
};

/// The caller of an admin/access API request: a live `service` token of one workspace.
#[derive(Debug, Clone)]
pub struct ServicePrincipal {
    pub token: ApiToken,
}

impl ServicePrincipal {
    /// The audit actor for changes made by this caller.
    pub fn actor(&self) -> Actor {
        Actor::Token { id: self.token.id }
    }

    /// The context copied into the audit rows of this caller's changes.
    pub fn change_context(&self) -> crate::storage::ChangeContext {
        crate::storage::ChangeContext {
            actor: self.actor(),
            request_id: super::request_context::RequestId::current(),
            provenance: "api",
        }
    }

    /// Loads the caller's workspace after confirming it is `slug`.
    pub async fn workspace(
        &self,
        state: &super::AppState,
        slug: &str,
    ) -> Result<crate::domain::Workspace, ApiError> {
        self.require_workspace(slug)?;
        state
            .store
            .workspace_by_slug(slug)
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("workspace {slug:?}")))
    }

    /// Confirms the caller belongs to `slug`; any other workspace is "not found".
    pub fn require_workspace(&self, slug: &str) -> Result<(), ApiError> {
        if self.token.workspace_slug == slug {
            Ok(())
        } else {
            Err(ApiError::NotFound(format!("workspace {slug:?}")))
        }
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

impl FromRequest for ServicePrincipal {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let secret = bearer_secret(req);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        Box::pin(async move {
            let secret = secret.ok_or_else(|| {
                ApiError::Unauthorized("send a service token as 'Authorization: Bearer …'".into())
            })?;
            let state = state.ok_or_else(|| {
                ApiError::Internal(anyhow::anyhow!("application state is missing"))
            })?;
            match state
                .store
                .authenticate_token(&secret, TokenKind::Service)
                .await?
            {
                Ok(token) => {
                    let span = tracing::Span::current();
                    span.record("workspace", token.workspace_slug.as_str());
                    span.record("token_id", tracing::field::display(token.id));
                    Ok(ServicePrincipal { token })
                }
                Err(TokenRejection::Revoked) => {
                    Err(ApiError::Unauthorized("this token has been revoked".into()))
                }
                Err(TokenRejection::Expired) => Err(ApiError::Unauthorized(
                    "this token has expired (it was rotated)".into(),
                )),
                Err(TokenRejection::Unknown | TokenRejection::WrongKind) => Err(
                    ApiError::Unauthorized("the bearer token is not a valid service token".into()),
                ),
            }
        })
    }
}
