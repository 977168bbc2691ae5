//! Recording the SCIM request log and sign-in log the owner console shows. A failure to
//! record never fails the request it describes: it is logged and the request goes on.

use uuid::Uuid;

use crate::{
    domain::activity::{ActivityKind, NewActivity},
    storage::Store,
};

/// Records `entry`.
pub async fn record(store: &Store, entry: NewActivity) {
    if let Err(err) = store.record_activity(&entry).await {
        tracing::warn!(error = %err, kind = entry.kind.as_str(), "activity log: cannot record");
    }
}

/// What a sign-in attempt came to.
pub struct SignInAttempt<'a> {
    /// `password` or `sso`.
    pub method: &'static str,
    /// The endpoint (`/login`, `/saml/{slug}/acs`).
    pub path: String,
    pub status: u16,
    /// `None`: signed in; otherwise the reason code.
    pub refusal: Option<&'a str>,
    pub detail: Option<String>,
    pub email: Option<String>,
    pub request_id: Option<String>,
}

impl SignInAttempt<'_> {
    fn entry(&self, workspace_id: Uuid) -> NewActivity {
        NewActivity {
            workspace_id,
            kind: ActivityKind::SignIn,
            method: self.method.to_string(),
            path: self.path.clone(),
            status: self.status,
            refused: self.refusal.is_some(),
            reason: self.refusal.map(str::to_string),
            detail: self.detail.clone(),
            subject: self.email.clone(),
            request_id: self.request_id.clone(),
        }
    }
}

/// Records a sign-in attempt in one workspace's log (SSO: the workspace of the ACS).
pub async fn record_sign_in(store: &Store, workspace_id: Uuid, attempt: &SignInAttempt<'_>) {
    record(store, attempt.entry(workspace_id)).await;
}

/// Records a password sign-in attempt of an account in the log of every workspace where it
/// is an active member (a password is the account's, not one workspace's).
pub async fn record_account_sign_in(store: &Store, account_id: Uuid, attempt: &SignInAttempt<'_>) {
    match store.account_workspaces(account_id).await {
        Ok(workspaces) => {
            // Active memberships only: a workspace that deactivated the person does not go on
            // watching their sign-ins.
            for (workspace_id, _, _, active) in workspaces {
                if active {
                    record(store, attempt.entry(workspace_id)).await;
                }
            }
        }
        Err(err) => {
            tracing::warn!(error = %err, "activity log: cannot list the account's workspaces")
        }
    }
}
