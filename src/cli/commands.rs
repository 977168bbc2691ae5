//! What each CLI command does.

use anyhow::Context;
use secrecy::ExposeSecret;
use serde_json::json;

use super::{
    CheckArgs, Command, DomainCommand, LegacyCommand, Outcome, PasswordCommand, RulesCommand,
    SsoCommand, TokenCommand, WorkspaceCommand, WorkspaceCreate,
};
use crate::{
    access::{DenyReason, Explanation, MemberKey, Product, ResourceRef, Scope, Through},
    config::Settings,
    domain::{
        transfer::{WorkspaceExport, NOT_EXPORTED},
        Actor, NewWorkspace, TokenKind, Workspace,
    },
    http::Application,
    service::{legacy::parse_assignments, transfer::TransferCounts, AccessService},
    storage::ChangeContext,
    storage::Store,
    telemetry,
};

/// Runs one command; `None` when the command already printed its output (`serve`).
pub async fn run(
    command: Command,
    settings: Settings,
    json: bool,
) -> anyhow::Result<Option<Outcome>> {
    let quiet = !matches!(command, Command::Serve);
    telemetry::init(settings.log_format, if quiet { "warn" } else { "info" });
    let store = Store::connect(&settings.database_url, settings.database_max_connections)
        .await
        .with_context(|| {
            format!(
                "cannot open the database {}",
                redact(&settings.database_url)
            )
        })?;
    store
        .migrate()
        .await
        .context("cannot migrate the database")?;
    let outcome = match command {
        Command::Serve => {
            serve(settings, store, json).await?;
            return Ok(None);
        }
        Command::Migrate => Outcome {
            json: json!({"migrated": true, "backend": store.backend_name()}),
            text: format!("{} database is up to date", store.backend_name()),
        },
        Command::Workspace(WorkspaceCommand::Create(args)) => {
            create_workspace(&store, args).await?
        }
        Command::Workspace(WorkspaceCommand::List) => {
            let workspaces = store.list_workspaces().await?;
            let text = workspaces
                .iter()
                .map(|w| format!("{}\t{}\t{}", w.slug, w.name, products_text(&w.products)))
                .collect::<Vec<_>>()
                .join("\n");
            Outcome {
                json: json!({ "workspaces": workspaces }),
                text: if text.is_empty() {
                    "no workspaces".into()
                } else {
                    text
                },
            }
        }
        Command::Workspace(WorkspaceCommand::Export { workspace, file }) => {
            export_workspace(&store, &workspace, file.as_deref()).await?
        }
        Command::Workspace(WorkspaceCommand::Import { file, own_export }) => {
            import_workspace(&store, &file, own_export).await?
        }
        Command::Token(TokenCommand::Create { workspace, kind }) => {
            let issued = store
                .create_token(&workspace, kind, &Actor::Cli, None)
                .await?;
            let secret = issued.secret.expose_secret().to_string();
            Outcome {
                text: format!(
                    "{} token {} for workspace {}:\n{secret}\n(shown once: store it now)",
                    kind, issued.token.id, workspace
                ),
                json: json!({ "token": secret, "id": issued.token.id, "kind": kind,
                              "workspace": workspace }),
            }
        }
        Command::Token(TokenCommand::List { workspace }) => {
            let tokens = store.list_tokens(workspace.as_deref()).await?;
            let text = tokens
                .iter()
                .map(|t| {
                    let state = match (t.revoked_at, t.expires_at) {
                        (Some(_), _) => "revoked".to_string(),
                        (None, Some(at)) if at <= chrono::Utc::now() => "expired".to_string(),
                        (None, Some(at)) => format!("expires {}", at.to_rfc3339()),
                        (None, None) => "active".to_string(),
                    };
                    format!(
                        "{}\t{}\t{}\t{}…\t{state}",
                        t.id, t.workspace_slug, t.kind, t.prefix
                    )
                })
                .collect::<Vec<_>>()
                .join("\n");
            Outcome {
                json: json!({ "tokens": tokens }),
                text: if text.is_empty() {
                    "no tokens".into()
                } else {
                    text
                },
            }
        }
        Command::Token(TokenCommand::Revoke { id }) => {
            let token = store.revoke_token(id, &Actor::Cli, None).await?;
            Outcome {
                text: format!("token {} revoked", token.id),
                json: json!({ "revoked": true, "token": token }),
            }
        }
        Command::Token(TokenCommand::Rotate { id, overlap_hours }) => {
            let overlap = chrono::Duration::hours(i64::from(overlap_hours));
            let rotated = store.rotate_token(id, overlap, &Actor::Cli, None).await?;
            let new = &rotated.issued.token;
            let secret = rotated.issued.secret.expose_secret().to_string();
            let old_expires_at = rotated.old.expires_at;
            let old_state = match old_expires_at {
                Some(at) if at > chrono::Utc::now() => {
                    format!("the old token works until {}", at.to_rfc3339())
                }
                _ => "the old token no longer works".to_string(),
            };
            Outcome {
                text: format!(
                    "{} token {} for workspace {} replaces {id}:\n{secret}\n(shown once: store it now)\n{old_state}",
                    new.kind, new.id, new.workspace_slug
                ),
                json: json!({ "token": secret, "id": new.id, "kind": new.kind,
                              "workspace": new.workspace_slug, "replaces": id,
                              "old_expires_at": old_expires_at }),
            }
        }
        Command::Demo => demo(&store, &settings).await?,
        Command::Legacy(LegacyCommand::Import {
            workspace,
            file,
            dry_run,
        }) => legacy_import(&store, &workspace, &file, dry_run).await?,
        Command::Check(args) => check(&store, args).await?,
        Command::Sso(SsoCommand::Connect {
            workspace: slug,
            metadata_file,
            allow_idp_initiated,
            allow_sha1,
        }) => {
            let workspace = workspace(&store, &slug).await?;
            let xml = std::fs::read_to_string(&metadata_file)
                .with_context(|| format!("cannot read {}", metadata_file.display()))?;
            let options = crate::saml::refresh::ConnectionOptions {
                allow_idp_initiated,
                allow_sha1,
                ..Default::default()
            };
            let outbound =
                crate::net::outbound::Outbound::new(settings.network.outbound_allow.clone());
            let connection = crate::saml::refresh::connect(
                &store,
                &outbound,
                &workspace,
                Some(xml),
                None,
                options,
                &Actor::Cli,
                None,
            )
            .await
            .map_err(|e| anyhow::anyhow!(e.to_string()))?;
            let base = &settings.public_url;
            Outcome {
                text: format!(
                    "workspace {slug} trusts {} ({} signing certificate(s)).\n  SP entity id  {}\n  ACS URL       {}\n  Login URL     {base}/saml/{slug}/login",
                    connection.idp_entity_id,
                    connection.certificates.len(),
                    crate::saml::sp_entity_id(base, &slug),
                    crate::saml::acs_url(base, &slug),
                ),
                json: json!({
                    "connection": connection.id,
                    "idp_entity_id": connection.idp_entity_id,
                    "sp_entity_id": crate::saml::sp_entity_id(base, &slug),
                    "acs_url": crate::saml::acs_url(base, &slug),
                    "login_url": format!("{base}/saml/{slug}/login"),
                }),
            }
        }
        Command::Rules(command) => rules(&store, command).await?,
        Command::Domain(command) => domain(&store, &settings, command).await?,
        Command::Password(PasswordCommand::Set { email }) => {
            let mut line = String::new();
            std::io::stdin()
                .read_line(&mut line)
                .context("cannot read the password from standard input")?;
            let password =
                secrecy::SecretString::from(line.trim_end_matches(['\r', '\n']).to_string());
            let (account_id, _) = store
                .account_password(&email)
                .await?
                .ok_or_else(|| anyhow::anyhow!("no account has the email {email}"))?;
            let hash = crate::auth::passwords::hash(&settings.sign_in, &password)
                .map_err(|e| anyhow::anyhow!(e))?;
            store.set_password_hash(account_id, &hash).await?;
            // Whoever held the old password is signed out everywhere.
            let ended = store.revoke_account_sessions(account_id).await?;
            Outcome {
                text: format!("password set for {email} ({ended} sessions ended)"),
                json: json!({ "password_set": true, "email": email, "sessions_ended": ended }),
            }
        }
    };
    store.close().await;
    Ok(Some(outcome))
}

/// Serves until stopped; with `--json` its one JSON object is the start-up line.
async fn serve(settings: Settings, store: Store, json: bool) -> anyhow::Result<()> {
    if let Some(path) = &settings.mapping_rules_file {
        let access = AccessService::new(store.clone());
        let applied = crate::service::rules::apply_file(&access, path)
            .await
            .with_context(|| format!("cannot apply the mapping rules file {}", path.display()))?;
        tracing::info!(file = %path.display(), workspaces = applied.len(), "mapping rules file applied");
    }
    let app = Application::build(settings.clone(), store.clone())
        .with_context(|| format!("cannot listen on {}", settings.bind))?;
    let started = json!({
        "listening": format!("{}:{}", settings.bind.ip(), app.port()),
        "public_url": settings.public_url,
        "health_url": format!("{}/healthz", settings.public_url),
        "backend": store.backend_name(),
    });
    if json {
        println!("{started}");
    }
    tracing::info!(
        listening = %settings.bind.ip(), port = app.port(), backend = store.backend_name(),
        public_url = %settings.public_url, "gatehouse is serving"
    );
    app.run_until_stopped().await.context("server failed")?;
    store.close().await;
    tracing::info!("gatehouse stopped");
    Ok(())
}

async fn create_workspace(store: &Store, args: WorkspaceCreate) -> anyhow::Result<Outcome> {
    let workspace = store
        .create_workspace(
            NewWorkspace {
                slug: args.slug,
                name: args.name,
                products: args.products.unwrap_or_else(|| Product::ALL.to_vec()),
                domains: args.domains,
            },
            &Actor::Cli,
            None,
        )
        .await?;
    Ok(Outcome {
        text: format!(
            "workspace {} created ({}; domains: {})",
            workspace.slug,
            products_text(&workspace.products),
            workspace.domains.join(", ")
        ),
        json: json!({ "workspace": workspace }),
    })
}

/// With a file: writes the document there and answers a summary. Without: the document is
/// the answer (with `--json`, the one JSON object printed).
async fn export_workspace(
    store: &Store,
    slug: &str,
    file: Option<&std::path::Path>,
) -> anyhow::Result<Outcome> {
    let access = AccessService::new(store.clone());
    let doc = access.export_workspace(slug).await?;
    let counts = TransferCounts::of(&doc);
    let Some(file) = file else {
        let json = serde_json::to_value(&doc)?;
        let text = serde_json::to_string_pretty(&json)?;
        return Ok(Outcome { json, text });
    };
    write_private_file(file, serde_json::to_string_pretty(&doc)?.as_bytes())
        .with_context(|| format!("cannot write {}", file.display()))?;
    Ok(Outcome {
        text: format!(
            "exported workspace {slug} at revision {} to {}: {} members, {} groups ({} group \
             members), {} resources, {} grants.\nNot exported: {} (set them up again after an \
             import).",
            doc.source_revision,
            file.display(),
            counts.members,
            counts.groups,
            counts.group_members,
            counts.resources,
            counts.grants,
            NOT_EXPORTED.join(", "),
        ),
        json: json!({ "exported": true, "workspace": slug, "file": file,
                      "format": doc.format, "source_revision": doc.source_revision,
                      "counts": counts, "not_exported": NOT_EXPORTED }),
    })
}

/// Writes `bytes` to `path` readable by its owner only (an export holds people's emails and
/// SCIM documents), through a temporary file so a failed write never leaves half a document.
fn write_private_file(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut tmp_name = path.as_os_str().to_owned();
    tmp_name.push(".partial");
    let tmp = std::path::PathBuf::from(tmp_name);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut out = options.open(&tmp)?;
    out.write_all(bytes)?;
    out.sync_all()?;
    drop(out);
    std::fs::rename(&tmp, path)
}

async fn import_workspace(
    store: &Store,
    file: &std::path::Path,
    own_export: bool,
) -> anyhow::Result<Outcome> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let doc: WorkspaceExport = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a Gatehouse workspace export", file.display()))?;
    let counts = TransferCounts::of(&doc);
    let access = AccessService::new(store.clone());
    let ctx = ChangeContext {
        actor: Actor::Cli,
        request_id: None,
        provenance: "import",
    };
    let trust = if own_export {
        crate::domain::transfer::ImportTrust::OwnExport
    } else {
        crate::domain::transfer::ImportTrust::Untrusted
    };
    let claimed = doc.workspace.domains.clone();
    let workspace = access.import_workspace(doc, trust, &ctx).await?;
    let domains = if own_export {
        format!("verified domains: {}", workspace.domains.join(", "))
    } else {
        format!(
            "claimed (not verified) domains: {}; members wait for their people (use \
             --own-export for your own export)",
            claimed.join(", ")
        )
    };
    Ok(Outcome {
        text: format!(
            "imported workspace {} (revision {}): {} members, {} groups ({} group members), \
             {} resources, {} grants; {domains}.\nNot part of an export: {} (connect SSO and \
             issue tokens again).",
            workspace.slug,
            workspace.revision,
            counts.members,
            counts.groups,
            counts.group_members,
            counts.resources,
            counts.grants,
            NOT_EXPORTED.join(", "),
        ),
        json: json!({ "imported": true, "workspace": workspace, "revision": workspace.revision,
                      "counts": counts, "not_imported": NOT_EXPORTED, "own_export": own_export,
                      "claimed_domains": claimed }),
    })
}

async fn demo(store: &Store, settings: &Settings) -> anyhow::Result<Outcome> {
    let workspace: Workspace = match store.workspace_by_slug("demo").await? {
        Some(w) => w,
        None => {
            store
                .create_workspace(
                    NewWorkspace {
                        slug: "demo".into(),
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
    Ok(Outcome {
        text: format!(
            "Demo workspace {slug:?} is ready (database: {db}).\n\
             \n  SCIM base URL   {scim_base_url}\n  SCIM token      {scim_token}\n\
             \n  Service token   {service_token}\n  Health          {health_url}\n\
             \n  SSO (give these to your IdP; connect it with `gatehouse sso connect`):\n\
             \n  SP entity id    {sp_entity_id}\n  ACS URL         {acs_url}\n  Login page      {login_url}\n\
             \nPaste the SCIM base URL and token into Okta or Entra ID provisioning.\n\
             The tokens are shown once; run `gatehouse demo` again for new ones.",
            slug = workspace.slug,
            db = redact(&settings.database_url),
        ),
        json: json!({
            "workspace": workspace.slug,
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

async fn workspace(store: &Store, slug: &str) -> anyhow::Result<Workspace> {
    store
        .workspace_by_slug(slug)
        .await?
        .ok_or_else(|| anyhow::anyhow!("workspace {slug:?} not found"))
}

async fn legacy_import(
    store: &Store,
    slug: &str,
    file: &std::path::Path,
    dry_run: bool,
) -> anyhow::Result<Outcome> {
    let workspace = workspace(store, slug).await?;
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let assignments = parse_assignments(&text)?;
    let access = AccessService::new(store.clone());
    let ctx = ChangeContext {
        actor: Actor::Cli,
        request_id: None,
        provenance: "legacy",
    };
    let plan = access
        .import_legacy(&workspace, &assignments, dry_run, &ctx)
        .await?;
    let header = match (dry_run, plan.steps.len()) {
        (_, 0) => "nothing to change: the workspace already matches the legacy assignments".into(),
        (true, n) => format!("dry run: {n} change(s) would be made"),
        (false, n) => format!("applied {n} change(s)"),
    };
    let text = std::iter::once(header)
        .chain(plan.steps.iter().map(|s| format!("  {s}")))
        .collect::<Vec<_>>()
        .join("\n");
    Ok(Outcome {
        text,
        json: json!({ "dry_run": dry_run, "steps": plan.steps, "changes": plan.changes,
                      "revision": plan.revision }),
    })
}

async fn check(store: &Store, args: CheckArgs) -> anyhow::Result<Outcome> {
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

async fn domain(
    store: &Store,
    settings: &Settings,
    command: DomainCommand,
) -> anyhow::Result<Outcome> {
    use crate::service::domains;
    let claim_json = |c: &crate::domain::domains::DomainClaim| {
        json!({
            "domain": c.domain,
            "state": c.state(),
            "verified_at": c.verified_at,
            "verified_by": c.verified_by,
            "txt_record": c.txt_record,
        })
    };
    let claim_text = |c: &crate::domain::domains::DomainClaim| match c.verified_at {
        Some(_) => format!("{}: verified", c.domain),
        None => format!(
            "{}: pending; publish TXT {} \"{}\", then run gatehouse domain verify",
            c.domain, c.txt_record.name, c.txt_record.value
        ),
    };
    Ok(match command {
        DomainCommand::Add {
            workspace: slug,
            domain,
        } => {
            let ws = workspace(store, &slug).await?;
            let claim = domains::claim(store, &ws, &domain, &Actor::Cli, None).await?;
            Outcome {
                text: claim_text(&claim),
                json: claim_json(&claim),
            }
        }
        DomainCommand::Verify {
            workspace: slug,
            domain,
            no_dns,
        } => {
            let ws = workspace(store, &slug).await?;
            let claim = if no_dns {
                domains::verify_as_operator(store, &ws, &domain, None).await?
            } else {
                let dns = domains::DnsVerifier::new(settings.dns_server);
                domains::verify_by_dns(store, &dns, &ws, &domain, &Actor::Cli, None).await?
            };
            Outcome {
                text: claim_text(&claim),
                json: claim_json(&claim),
            }
        }
        DomainCommand::List { workspace: slug } => {
            let ws = workspace(store, &slug).await?;
            let claims = store.domain_claims(ws.id).await?;
            Outcome {
                text: claims.iter().map(claim_text).collect::<Vec<_>>().join("\n"),
                json: json!({ "domains": claims.iter().map(claim_json).collect::<Vec<_>>() }),
            }
        }
        DomainCommand::Remove {
            workspace: slug,
            domain,
        } => {
            let ws = workspace(store, &slug).await?;
            domains::remove(store, &ws, &domain, &Actor::Cli, None).await?;
            Outcome {
                text: format!("{domain} removed from {slug}"),
                json: json!({ "removed": true, "domain": domain }),
            }
        }
    })
}

async fn rules(store: &Store, command: RulesCommand) -> anyhow::Result<Outcome> {
    let access = AccessService::new(store.clone());
    let ctx = ChangeContext {
        actor: Actor::Cli,
        request_id: None,
        provenance: "cli",
    };
    Ok(match command {
        RulesCommand::List { workspace: slug } => {
            let workspace = workspace(store, &slug).await?;
            let rules = store.mapping_rules(workspace.id).await?;
            let text = rules
                .iter()
                .map(|r| {
                    format!(
                        "{}\t{} {:?}\t{}\t{}",
                        r.id,
                        r.match_kind.as_str(),
                        r.pattern,
                        r.role,
                        r.source
                    )
                })
                .collect::<Vec<_>>()
                .join("\n");
            Outcome {
                text: if text.is_empty() {
                    "no rules".into()
                } else {
                    text
                },
                json: json!({ "rules": rules }),
            }
        }
        RulesCommand::Add {
            workspace: slug,
            match_kind,
            pattern,
            role,
            instance,
        } => {
            let workspace = workspace(store, &slug).await?;
            let match_kind = crate::domain::bridge::MatchKind::parse(&match_kind)
                .ok_or_else(|| anyhow::anyhow!("--match must be display_name_equals, display_name_prefix, display_name_regex or external_id_equals"))?;
            let scope = match instance {
                None => Scope::All,
                Some(spec) => {
                    let (t, id) = spec
                        .split_once(':')
                        .ok_or_else(|| anyhow::anyhow!("--instance is TYPE:ID"))?;
                    Scope::Instance(ResourceRef::new(t, id))
                }
            };
            let spec = crate::service::rules::RuleSpec {
                match_kind,
                pattern,
                role,
                scope,
            };
            let rule = access.create_rule(&workspace, spec, &ctx).await?;
            Outcome {
                text: format!("rule {} added", rule.id),
                json: json!({ "rule": rule }),
            }
        }
        RulesCommand::Remove {
            workspace: slug,
            id,
        } => {
            let workspace = workspace(store, &slug).await?;
            access.delete_rule(&workspace, id, &ctx).await?;
            Outcome {
                text: format!("rule {id} removed with its grants"),
                json: json!({ "removed": id }),
            }
        }
        RulesCommand::Apply { file } => {
            let applied = crate::service::rules::apply_file(&access, &file).await?;
            Outcome {
                text: applied
                    .iter()
                    .map(|(slug, n)| format!("{slug}: {n} rule(s) added or removed"))
                    .collect::<Vec<_>>()
                    .join("\n"),
                json: json!({ "applied": applied.iter().map(|(s, n)| json!({"workspace": s, "changed": n})).collect::<Vec<_>>() }),
            }
        }
    })
}

fn products_text(products: &[Product]) -> String {
    products
        .iter()
        .map(|p| p.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

/// A database URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_are_redacted_from_database_urls() {
        assert_eq!(
            super::redact("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(
            super::redact("sqlite://gatehouse.db"),
            "sqlite://gatehouse.db"
        );
    }
}
