//! `gatehouse check`: one access question, decided and explained.

use clap::Args;
use serde_json::json;

use super::{commands::workspace, Outcome};
use crate::{
    access::{DenyReason, Explanation, MemberKey, ResourceRef, Scope, Through},
    service::AccessService,
    storage::Store,
};

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Workspace slug.
    #[arg(long)]
    pub workspace: String,
    /// Email, membership id or account id.
    #[arg(long)]
    pub user: String,
    /// Action, e.g. source.update.
    #[arg(long)]
    pub action: String,
    /// Resource as TYPE:ID (TYPE alone for create actions).
    #[arg(long)]
    pub resource: String,
}

/// Decides one access question and explains the answer.
pub async fn run(store: &Store, args: CheckArgs) -> anyhow::Result<Outcome> {
    let workspace = workspace(store, &args.workspace).await?;
    let resource = match args.resource.split_once(':') {
        Some((t, id)) => ResourceRef::new(t, id),
        None => ResourceRef::new(args.resource.as_str(), ""),
    };
    let access = AccessService::new(store.clone());
    let key = MemberKey::parse(&args.user);
    let (explanation, revision) = access
        .read(&workspace, None, |ix| {
            let explanation = ix
                .find_member(&key)
                .map(|m| ix.explain(m.id, &args.action, &resource));
            (explanation, ix.revision())
        })
        .await?;
    let explanation = explanation.unwrap_or(Explanation {
        allowed: false,
        reason: Some(DenyReason::NotAMember),
        via: Vec::new(),
    });
    let mut text = format!(
        "{}: {} may {}do {} on {}:{}",
        if explanation.allowed {
            "ALLOWED"
        } else {
            "DENIED"
        },
        args.user,
        if explanation.allowed { "" } else { "not " },
        args.action,
        resource.resource_type,
        resource.id
    );
    if let Some(reason) = explanation.reason {
        text.push_str(&format!(
            "\n  reason: {}",
            serde_json::to_value(reason)?.as_str().unwrap_or("")
        ));
    }
    for via in &explanation.via {
        let scope = match &via.scope {
            Scope::All => "all instances".to_string(),
            Scope::Instance(r) => format!("{}:{}", r.resource_type, r.id),
        };
        let through = match &via.through {
            Through::Direct => "direct grant".to_string(),
            Through::Group { display_name, .. } => format!("via group {display_name:?}"),
            Through::Ownership => "workspace owner".to_string(),
            Through::Membership => "membership".to_string(),
        };
        text.push_str(&format!("\n  {} on {scope} ({through})", via.role));
    }
    Ok(Outcome {
        text,
        json: json!({ "allowed": explanation.allowed, "explanation": explanation,
                      "revision": revision }),
    })
}
