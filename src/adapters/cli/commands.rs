//! What each CLI command does. Newer commands live in their own modules (`demo.rs`,
//! `member.rs`); this one opens the database, applies the schema rule (only `migrate` and
//! `serve` migrate; every other command refuses a schema that is behind), and dispatches.

use anyhow::Context;
use secrecy::ExposeSecret;
use serde_json::json;

use super::{
    exit::CliError, progress::Progress, CheckArgs, Command, DomainCommand, LegacyCommand, Outcome,
    PasswordCommand, RulesCommand, SsoCommand, TokenCommand, WorkspaceCommand, WorkspaceCreate,
};
use crate::{
    access::{DenyReason, Explanation, MemberKey, Product, ResourceRef, Scope, Through},
    config::Settings,
    domain::{
        transfer::{WorkspaceExport, NOT_EXPORTED},
        Actor, NewWorkspace, TokenKind, Workspace,
    },
    service::{legacy::parse_assignments, transfer::TransferCounts, AccessService},
    storage::ChangeContext,
    storage::Store,
    telemetry,
};

/// Runs the server (the application's assembly hands it in: the CLI knows no other
/// adapter); with `--json` its one JSON object is the start-up line.
pub type Serve = fn(
    Settings,
    Store,
    bool,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = anyhow::Result<()>>>>;

/// Runs one command; `None` when the command already printed its output (`serve`).
pub async fn run(
    command: Command,
    settings: Settings,
    json: bool,
    serve: Serve,
) -> anyhow::Result<Option<Outcome>> {
    let quiet = !matches!(command, Command::Serve(_));
    telemetry::init(settings.log_format, if quiet { "warn" } else { "info" });
    let migrates = match &command {
        Command::Migrate => true,
        Command::Serve(args) => !args.no_migrate,
        _ => false,
    };
    let store = open(&settings, migrates).await?;
    if migrates {
        crate::service::migrate(&store)
            .await
            .context("cannot migrate the database")?;
    } else {
        require_current_schema(&store).await?;
    }
    let outcome = match command {
        Command::Serve(_) => {
            serve(settings, store, json).await?;
            return Ok(None);
        }
        Command::Migrate => {
            let status = store.schema_status().await?;
            let newer = if status.unknown.is_empty() {
                String::new()
            } else {
                format!(
                    " (it also has migrations of a newer release: {:?})",
                    status.unknown
                )
            };
            Outcome {
                text: format!(
                    "{} database is up to date: schema version {}{newer}",
                    store.backend_name(),
                    status.version.unwrap_or(0)
                ),
                json: json!({"migrated": true, "backend": store.backend_name(),
                             "schema_version": status.version,
                             "binary_schema_version": status.binary_version,
                             "unknown_migrations": status.unknown}),
            }
        }
        Command::Member(command) => super::member::run(&store, command).await?,
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
            let kind = TokenKind::from(kind);
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
        Command::Demo => super::demo::run(&store, &settings).await?,
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
            let options = crate::service::sso::ConnectionOptions {
                allow_idp_initiated,
                allow_sha1,
                ..Default::default()
            };
            let outbound =
                crate::net::outbound::Outbound::new(settings.network.outbound_allow.clone());
            let connection = crate::service::sso::connect(
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
            .map_err(|e| match e {
                crate::saml::SamlError::Invalid(m) | crate::saml::SamlError::Rejected(m) => {
                    anyhow::Error::from(CliError::Usage(m))
                }
                other => anyhow::anyhow!(other.to_string()),
            })?;
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
                .ok_or_else(|| CliError::NotFound(format!("an account with the email {email}")))?;
            let hash = crate::service::passwords::hash(&settings.sign_in, &password)
                .map_err(CliError::Usage)?;
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

/// Opens the database. Only a migrating command may create a missing SQLite file; the others
/// say it is missing and leave it so.
async fn open(settings: &Settings, migrates: bool) -> anyhow::Result<Store> {
    let url = &settings.database_url;
    if !migrates {
        if let Some(path) = sqlite_file(url) {
            if !path.exists() {
                return Err(CliError::Unavailable(format!(
                    "the database {} does not exist: run `gatehouse migrate` to create it",
                    redact(url)
                ))
                .into());
            }
        }
    }
    let max = settings.database_max_connections;
    let store = if migrates {
        Store::connect(url, max).await
    } else {
        Store::connect_existing(url, max).await
    };
    store.with_context(|| format!("cannot open the database {}", redact(url)))
}

/// The file of a `sqlite:` URL (`None` for other backends and in-memory databases).
fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or(url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    if path.is_empty() || path == ":memory:" {
        return None;
    }
    Some(path.into())
}

/// Refuses to go on (exit code 5) when the schema is behind this binary; a schema ahead of
/// it (a newer release's migrations) is fine.
async fn require_current_schema(store: &Store) -> anyhow::Result<()> {
    let status = store
        .schema_status()
        .await
        .context("cannot read the database schema version")?;
    match status.problem() {
        None => Ok(()),
        Some(problem) => Err(CliError::Unavailable(problem).into()),
    }
}

async fn create_workspace(store: &Store, args: WorkspaceCreate) -> anyhow::Result<Outcome> {
    let workspace = store
        .create_workspace(
            NewWorkspace {
                slug: args.slug,
                name: args.name,
                products: args
                    .products
                    .map(|p| p.into_iter().map(Product::from).collect())
                    .unwrap_or_else(|| Product::ALL.to_vec()),
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
    let mut progress = Progress::on_stderr();
    progress.step(format_args!("reading workspace {slug} (one snapshot)"));
    let access = AccessService::new(store.clone());
    let doc = access.export_workspace(slug).await?;
    let counts = TransferCounts::of(&doc);
    progress.step(format_args!(
        "read {} members, {} groups, {} resources, {} grants",
        counts.members, counts.groups, counts.resources, counts.grants
    ));
    let Some(file) = file else {
        progress.done();
        let json = serde_json::to_value(&doc)?;
        let text = serde_json::to_string_pretty(&json)?;
        return Ok(Outcome { json, text });
    };
    progress.step(format_args!("writing {}", file.display()));
    write_private_file(file, serde_json::to_string_pretty(&doc)?.as_bytes())
        .with_context(|| format!("cannot write {}", file.display()))?;
    progress.done();
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
    let mut progress = Progress::on_stderr();
    progress.step(format_args!("reading {}", file.display()));
    let text = std::fs::read_to_string(file)
        .map_err(|e| CliError::Usage(format!("cannot read {}: {e}", file.display())))?;
    let doc: WorkspaceExport = serde_json::from_str(&text).map_err(|e| {
        CliError::Usage(format!(
            "{} is not a Gatehouse workspace export: {e}",
            file.display()
        ))
    })?;
    let counts = TransferCounts::of(&doc);
    progress.step(format_args!(
        "importing {} members, {} groups, {} resources, {} grants in one transaction",
        counts.members, counts.groups, counts.resources, counts.grants
    ));
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
    progress.done();
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

/// The workspace with this slug, or a not-found (exit code 3).
pub(super) async fn workspace(store: &Store, slug: &str) -> anyhow::Result<Workspace> {
    store
        .workspace_by_slug(slug)
        .await?
        .ok_or_else(|| CliError::NotFound(format!("workspace {slug:?}")).into())
}

async fn legacy_import(
    store: &Store,
    slug: &str,
    file: &std::path::Path,
    dry_run: bool,
) -> anyhow::Result<Outcome> {
    let mut progress = Progress::on_stderr();
    let workspace = workspace(store, slug).await?;
    progress.step(format_args!("reading {}", file.display()));
    let text = std::fs::read_to_string(file)
        .map_err(|e| CliError::Usage(format!("cannot read {}: {e}", file.display())))?;
    let assignments = parse_assignments(&text)?;
    progress.step(format_args!(
        "{} {} legacy assignment(s)",
        if dry_run { "planning" } else { "applying" },
        assignments.len()
    ));
    let access = AccessService::new(store.clone());
    let ctx = ChangeContext {
        actor: Actor::Cli,
        request_id: None,
        provenance: "legacy",
    };
    let plan = access
        .import_legacy(&workspace, &assignments, dry_run, &ctx)
        .await?;
    progress.done();
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
            let match_kind = crate::domain::bridge::MatchKind::from(match_kind);
            let scope = match instance {
                None => Scope::All,
                Some(spec) => {
                    let (t, id) = spec
                        .split_once(':')
                        .ok_or_else(|| CliError::Usage("--instance is TYPE:ID".into()))?;
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
pub(super) fn redact(url: &str) -> String {
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
