//! `gatehouse demo`: a workspace to try Gatehouse with, right after `scripts/serve`. It creates
//! workspace `demo` (all products, verified domain example.com) if absent, and on every run
//! issues fresh SCIM and service tokens and a fresh random password for the owner
//! `owner@example.com`, each printed once and stored only as a digest or an argon2id hash.

use anyhow::Context;
use rand::{rngs::OsRng, Rng};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

use super::{
    commands::{cli_context, redact},
    Outcome,
};
use crate::{
    access::{MemberKey, MemberKind, Product},
    config::Settings,
    domain::{Actor, NewWorkspace, TokenKind, Workspace},
    service::AccessService,
    storage::Store,
};

/// The demo workspace's slug and its owner's email.
pub const DEMO_SLUG: &str = "demo";
pub const DEMO_OWNER: &str = "owner@example.com";

/// Letters and digits without look-alikes (0/O, 1/l/I), so a printed password is typed right.
const PASSWORD_ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/// 20 characters of 57: about 117 bits, from the operating system's generator.
fn random_password() -> SecretString {
    let mut rng = OsRng;
    let password: String = (0..20)
        .map(|_| PASSWORD_ALPHABET[rng.gen_range(0..PASSWORD_ALPHABET.len())] as char)
        .collect();
    SecretString::from(password)
}

pub async fn run(store: &Store, settings: &Settings) -> anyhow::Result<Outcome> {
    let workspace: Workspace = match store.workspace_by_slug(DEMO_SLUG).await? {
        Some(w) => w,
        None => {
            store
                .create_workspace(
                    NewWorkspace {
                        slug: DEMO_SLUG.into(),
                        name: "Demo workspace".into(),
                        products: Product::ALL.to_vec(),
                        domains: vec!["example.com".into()],
                    },
                    &Actor::Cli,
                    None,
                )
                .await?
        }
    };
    let password = owner_with_fresh_password(store, settings, &workspace).await?;
    let scim = store
        .create_token(&workspace.slug, TokenKind::Scim, &Actor::Cli, None)
        .await?;
    let service = store
        .create_token(&workspace.slug, TokenKind::Service, &Actor::Cli, None)
        .await?;
    let base = &settings.public_url;
    let scim_base_url = format!("{base}/scim/v2");
    let health_url = format!("{base}/healthz");
    let sp_entity_id = crate::saml::sp_entity_id(base, &workspace.slug);
    let acs_url = crate::saml::acs_url(base, &workspace.slug);
    let login_url = format!("{base}/login");
    let scim_token = scim.secret.expose_secret().to_string();
    let service_token = service.secret.expose_secret().to_string();
    let password = password.expose_secret();
    Ok(Outcome {
        text: format!(
            "Demo workspace {slug:?} is ready (database: {db}).\n\
             \n  Login page      {login_url}\n  Owner email     {DEMO_OWNER}\n  Owner password  {password}\n\
             \n  SCIM base URL   {scim_base_url}\n  SCIM token      {scim_token}\n\
             \n  Service token   {service_token}\n  Health          {health_url}\n\
             \n  SSO (give these to your IdP; connect it with `gatehouse sso connect`):\n\
             \n  SP entity id    {sp_entity_id}\n  ACS URL         {acs_url}\n\
             \nPaste the SCIM base URL and token into Okta or Entra ID provisioning.\n\
             The password and tokens are shown once; run `gatehouse demo` again for new ones.",
            slug = workspace.slug,
            db = redact(&settings.database_url),
        ),
        json: json!({
            "workspace": workspace.slug,
            "login_url": login_url,
            "owner": { "email": DEMO_OWNER, "password": password },
            "scim_base_url": scim_base_url,
            "scim_token": scim_token,
            "service_token": service_token,
            "health_url": health_url,
            "sso": {
                "sp_entity_id": sp_entity_id,
                "acs_url": acs_url,
                "login_url": login_url,
            },
        }),
    })
}

/// Makes `owner@example.com` an owner of the demo workspace (on the operator's word, so the
/// account is linked at once) and gives the account a new password; sessions signed in with
/// the previous one end.
async fn owner_with_fresh_password(
    store: &Store,
    settings: &Settings,
    workspace: &Workspace,
) -> anyhow::Result<SecretString> {
    let access = AccessService::new(store.clone());
    let ctx = cli_context("cli");
    let existing = access
        .read(workspace, None, |ix| {
            ix.find_member(&MemberKey::Email(DEMO_OWNER.into()))
                .cloned()
        })
        .await?;
    match existing {
        None => {
            access
                .add_member(
                    workspace,
                    &crate::access::Email::parse(DEMO_OWNER)?,
                    MemberKind::Owner,
                    &ctx,
                )
                .await?;
        }
        Some(member) if member.kind != MemberKind::Owner || !member.active => {
            access
                .update_member(
                    workspace,
                    &member.id.to_string(),
                    Some(MemberKind::Owner),
                    Some(true),
                    None,
                    &ctx,
                )
                .await?;
        }
        Some(_) => {}
    }
    let (account_id, _) = store
        .account_password(DEMO_OWNER)
        .await?
        .context("the demo owner's account was not created")?;
    let password = random_password();
    let hash = crate::service::passwords::hash(&settings.sign_in, &password)
        .map_err(|e| anyhow::anyhow!(e))?;
    store.set_password_hash(account_id, &hash).await?;
    store.revoke_account_sessions(account_id).await?;
    Ok(password)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_long_random_and_unambiguous() {
        let a = random_password();
        let b = random_password();
        assert_eq!(a.expose_secret().len(), 20);
        assert_ne!(a.expose_secret(), b.expose_secret());
        assert!(a
            .expose_secret()
            .bytes()
            .all(|c| PASSWORD_ALPHABET.contains(&c)));
        for look_alike in ['0', 'O', '1', 'l', 'I'] {
            assert!(!PASSWORD_ALPHABET.contains(&(look_alike as u8)));
        }
    }
}
