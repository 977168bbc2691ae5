//! Workspace export and import: the upgrade path from the embedded SQLite to PostgreSQL must
//! keep every access decision, every id and the SCIM views.

use gatehouse::{
    access::{
        catalog, Change, GrantOrigin, MemberKind, MemberSource, Product, Resource, ResourceRef,
        Scope, Subject, WorkspaceIndex,
    },
    domain::{
        domains::VerifiedBy,
        transfer::{ImportTrust, WorkspaceExport},
        Actor, NewWorkspace, TokenKind, Workspace, WorkspaceSettings,
    },
    service::{AccessService, ServiceError},
    storage::{ChangeContext, Store},
};
use rand::{rngs::StdRng, seq::SliceRandom, Rng, SeedableRng};
use serde_json::json;
use uuid::Uuid;

use crate::{
    cli::{gatehouse, one_json_object},
    helpers::{on_both_backends, spawn_app, Backend, TestApp, TestDatabase},
};

const SCIM_USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const SCIM_GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

fn ctx() -> ChangeContext {
    ChangeContext {
        actor: Actor::Cli,
        request_id: None,
        provenance: "api",
    }
}

/// A seed from `TRANSFER_SEED` or a random one, printed so a failure can be replayed.
fn seed() -> u64 {
    let seed = std::env::var("TRANSFER_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random);
    eprintln!("transfer test seed: {seed} (set TRANSFER_SEED to replay)");
    seed
}

/// How big a population to build.
struct Scale {
    members: usize,
    scim_users: usize,
    owners: usize,
    groups: usize,
    scim_groups: usize,
    sources: usize,
    destinations: usize,
    others_per_type: usize,
    grants: usize,
}

const LARGE: Scale = Scale {
    members: 200,
    scim_users: 20,
    owners: 12,
    groups: 24,
    scim_groups: 4,
    sources: 35,
    destinations: 35,
    others_per_type: 10,
    grants: 520,
};

const SMALL: Scale = Scale {
    members: 30,
    scim_users: 4,
    owners: 3,
    groups: 4,
    scim_groups: 2,
    sources: 5,
    destinations: 5,
    others_per_type: 2,
    grants: 60,
};

/// Builds a random population in a new workspace `slug` through the service layer and the
/// SCIM API (so members and groups carry real SCIM documents): owners, inactive members,
/// SSO exemptions, resources of every type (destinations under sources), groups with members
/// of every source, and grants of every role on both scopes to users and groups.
async fn populate(app: &TestApp, slug: &str, rng: &mut StdRng, scale: &Scale) -> Workspace {
    let access = AccessService::new(app.store.clone());
    let ctx = ctx();
    let workspace = app.create_workspace(slug).await;
    let (_, scim_token) = app.issue_token(slug, TokenKind::Scim).await;

    // Resources.
    let mut resources: Vec<Resource> = Vec::new();
    let add = |resource_type: &str, id: String, parent: Option<ResourceRef>| Resource {
        resource_type: resource_type.into(),
        name: format!("{resource_type} {id}"),
        id,
        parent,
    };
    for i in 0..scale.sources {
        resources.push(add("source", format!("src-{i}"), None));
    }
    for i in 0..scale.destinations {
        let parent = ResourceRef::new("source", format!("src-{}", rng.gen_range(0..scale.sources)));
        resources.push(add("destination", format!("dst-{i}"), Some(parent)));
    }
    for t in ["warehouse", "tracking_plan", "personas_space"] {
        for i in 0..scale.others_per_type {
            resources.push(add(t, format!("{t}-{i}"), None));
        }
    }
    for r in &resources {
        access
            .register_resource(&workspace, r.clone().try_into().unwrap(), &ctx)
            .await
            .unwrap();
    }

    // Members: some through the admin service, some provisioned over SCIM.
    let mut members = Vec::new();
    for i in 0..scale.members - scale.scim_users {
        let kind = if i < scale.owners {
            MemberKind::Owner
        } else {
            MemberKind::Member
        };
        // Mixed-case emails: the export must keep them as they are.
        let email = if i % 7 == 0 {
            format!("Person.{i}@Example.com")
        } else {
            format!("person{i}@example.com")
        };
        let (m, _) = access
            .add_member(
                &workspace,
                &gatehouse::access::Email::parse(&email).unwrap(),
                kind,
                &ctx,
            )
            .await
            .unwrap();
        members.push(m.id);
    }
    for i in 0..scale.scim_users {
        let user_name = format!("scim.user{i}@example.com");
        let (status, body) = app
            .post(
                "/scim/v2/Users",
                &scim_token,
                json!({"schemas": [SCIM_USER, ENTERPRISE], "userName": user_name,
                       "externalId": format!("okta-{i}"),
                       "name": {"givenName": format!("Given{i}"), "familyName": "Family"},
                       "emails": [{"value": user_name, "type": "work", "primary": true}],
                       ENTERPRISE: {"department": format!("dept-{}", i % 3)},
                       "active": true}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        members.push(body["id"].as_str().unwrap().parse().unwrap());
    }
    // Inactive members, owners among them (the first owner stays active, the second not).
    for (i, id) in members.iter().enumerate().skip(1) {
        if i == 1 || i % 12 == 5 || rng.gen_bool(0.05) {
            access
                .update_member(&workspace, &id.to_string(), None, Some(false), None, &ctx)
                .await
                .unwrap();
        }
    }
    for (_, id) in members
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 20 == 3 || rng.gen_bool(0.02))
    {
        app.store
            .set_sso_exempt(workspace.id, *id, true, &Actor::Cli, None)
            .await
            .unwrap();
    }

    // Groups: some over SCIM (with a document and SCIM members), the rest by hand; then
    // members of every source.
    let mut groups = Vec::new();
    for g in 0..scale.scim_groups {
        let scim_members: Vec<_> = members
            .choose_multiple(rng, 5)
            .map(|id| json!({"value": id.to_string()}))
            .collect();
        let (status, body) = app
            .post(
                "/scim/v2/Groups",
                &scim_token,
                json!({"schemas": [SCIM_GROUP], "displayName": format!("IdP group {g}"),
                       "externalId": format!("entra-{g}"), "members": scim_members}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        groups.push(body["id"].as_str().unwrap().parse::<Uuid>().unwrap());
    }
    for g in 0..scale.groups - scale.scim_groups {
        let external_id = (g % 2 == 0).then(|| format!("ext-{g}"));
        let (group, _) = access
            .create_group(&workspace, &format!("Team {g}"), external_id, &ctx)
            .await
            .unwrap();
        groups.push(group.id);
    }
    for group in &groups {
        let n = rng.gen_range(1..=12);
        for m in members.choose_multiple(rng, n) {
            let source = *[MemberSource::Scim, MemberSource::Saml, MemberSource::Manual]
                .choose(rng)
                .unwrap();
            access
                .add_group_member(&workspace, *group, &m.to_string(), source, &ctx)
                .await
                .unwrap();
        }
    }

    // Grants: every role on all instances and (where it can be) on one instance, then random
    // ones until there are enough. Duplicates are refused; that is fine.
    let roles: Vec<_> = catalog::roles()
        .iter()
        .filter(|r| r.key != "workspace.owner")
        .collect();
    let random_subject = |rng: &mut StdRng| {
        if rng.gen_bool(0.35) {
            Subject::Group(*groups.choose(rng).unwrap())
        } else {
            Subject::User(*members.choose(rng).unwrap())
        }
    };
    let random_instance = |rng: &mut StdRng, resource_type: &str| {
        let of_type: Vec<_> = resources
            .iter()
            .filter(|r| r.resource_type == resource_type)
            .collect();
        Scope::Instance(of_type.choose(rng).unwrap().to_ref())
    };
    let mut granted = 0;
    for role in &roles {
        for instance in [false, true] {
            let scope = match (instance, role.instance_scope) {
                (false, _) => Scope::All,
                (true, Some(t)) => random_instance(rng, t),
                (true, None) => continue,
            };
            for _ in 0..2 {
                let subject = random_subject(rng);
                let result = access
                    .add_grant(
                        &workspace,
                        subject,
                        gatehouse::access::RoleKey::parse(role.key).unwrap(),
                        scope.clone(),
                        GrantOrigin::Manual,
                        &ctx,
                    )
                    .await;
                granted += usize::from(result.is_ok());
            }
        }
    }
    let origins = [
        GrantOrigin::Manual,
        GrantOrigin::Legacy,
        GrantOrigin::Scim,
        GrantOrigin::Invite,
    ];
    while granted < scale.grants {
        let role = roles.choose(rng).unwrap();
        let scope = match role.instance_scope {
            Some(t) if rng.gen_bool(0.6) => random_instance(rng, t),
            _ => Scope::All,
        };
        let subject = random_subject(rng);
        let origin = *origins.choose(rng).unwrap();
        let result = access
            .add_grant(
                &workspace,
                subject,
                gatehouse::access::RoleKey::parse(role.key).unwrap(),
                scope,
                origin,
                &ctx,
            )
            .await;
        granted += usize::from(result.is_ok());
    }
    app.store
        .workspace_by_slug(slug)
        .await
        .unwrap()
        .expect("workspace")
}

/// `count` random access questions: a member (now and then a stranger), an action of the
/// catalog, and a resource that is registered, of another type, unregistered, or the bare
/// type of a create action.
fn random_checks(
    doc: &WorkspaceExport,
    rng: &mut StdRng,
    count: usize,
) -> Vec<(Uuid, &'static str, ResourceRef)> {
    let actions = catalog::actions();
    (0..count)
        .map(|_| {
            let member = if rng.gen_bool(0.02) {
                Uuid::now_v7()
            } else {
                doc.members.choose(rng).unwrap().id
            };
            let action = *actions.choose(rng).unwrap();
            let action_type = action.split('.').next().unwrap();
            let of_type: Vec<&Resource> = doc
                .resources
                .iter()
                .filter(|r| r.resource_type == action_type)
                .collect();
            let resource = match rng.gen_range(0..100) {
                0..=54 if !of_type.is_empty() => of_type.choose(rng).unwrap().to_ref(),
                0..=69 => doc.resources.choose(rng).unwrap().to_ref(),
                70..=84 => {
                    ResourceRef::new(action_type, format!("unregistered-{}", rng.gen::<u16>()))
                }
                // The bare type, as create checks name it.
                _ => ResourceRef::new(action_type, ""),
            };
            (member, action, resource)
        })
        .collect()
}

/// The document with the fields that differ between two exports of the same state cleared.
fn comparable(mut doc: WorkspaceExport) -> WorkspaceExport {
    doc.exported_at = chrono::DateTime::UNIX_EPOCH;
    doc.source_revision = 0;
    doc
}

/// Asserts that two workspaces answer every question alike: `checks` and every member's
/// `permissions()`. Returns how many checks were allowed.
async fn assert_same_answers(
    doc: &WorkspaceExport,
    checks: &[(Uuid, &'static str, ResourceRef)],
    (a, a_ws): (&AccessService, &Workspace),
    (b, b_ws): (&AccessService, &Workspace),
) -> usize {
    let answer = |ix: &WorkspaceIndex| {
        let decisions: Vec<bool> = checks
            .iter()
            .map(|(m, action, r)| ix.check(*m, action, r))
            .collect();
        let permissions: Vec<_> = doc.members.iter().map(|m| ix.permissions(m.id)).collect();
        (decisions, permissions)
    };
    let (a_decisions, a_permissions) = a.read(a_ws, None, answer).await.unwrap();
    let (b_decisions, b_permissions) = b.read(b_ws, None, answer).await.unwrap();
    for (i, check) in checks.iter().enumerate() {
        assert_eq!(
            a_decisions[i], b_decisions[i],
            "check {i} differs: {check:?}"
        );
    }
    for (i, m) in doc.members.iter().enumerate() {
        assert_eq!(
            a_permissions[i], b_permissions[i],
            "permissions of {} differ",
            m.email
        );
    }
    a_decisions.iter().filter(|d| **d).count()
}

#[tokio::test]
async fn sqlite_to_postgres_keeps_every_decision() {
    // The target first: without PostgreSQL this says SKIPPED (and fails under CI=true).
    let Some(target_db) = TestDatabase::create(Backend::Postgres).await else {
        return;
    };
    let source = spawn_app(Backend::Sqlite).await.expect("sqlite");
    let mut rng = StdRng::seed_from_u64(seed());
    let source_ws = populate(&source, "acme", &mut rng, &LARGE).await;
    let source_access = AccessService::new(source.store.clone());

    let exported = source_access.export_workspace("acme").await.unwrap();
    let text = serde_json::to_string(&exported).unwrap();
    let doc: WorkspaceExport = serde_json::from_str(&text).unwrap();
    assert!(doc.members.len() >= 200, "{}", doc.members.len());
    assert!(doc
        .members
        .iter()
        .any(|m| m.kind == MemberKind::Owner && !m.active));
    assert!(doc.members.iter().filter(|m| !m.active).count() >= 10);
    assert!(doc
        .members
        .iter()
        .any(|m| m.scim_doc.is_some() && m.user_name.is_some()));
    assert!(doc.members.iter().any(|m| m.sso_exempt));
    assert!(doc.groups.len() >= 20);
    assert!(doc.groups.iter().filter(|g| !g.members.is_empty()).count() >= 20);
    assert!(doc.groups.iter().any(|g| g.scim_doc.is_some()));
    assert!(doc.resources.len() >= 100);
    assert!(doc
        .resources
        .iter()
        .any(|r| r.resource_type == "destination"));
    assert!(doc.grants.len() >= 500, "{}", doc.grants.len());
    for role in catalog::roles()
        .iter()
        .filter(|r| r.key != "workspace.owner")
    {
        assert!(
            doc.grants
                .iter()
                .any(|g| g.role == role.key && g.scope == Scope::All),
            "{}",
            role.key
        );
        if role.instance_scope.is_some() {
            assert!(
                doc.grants
                    .iter()
                    .any(|g| g.role == role.key && g.scope != Scope::All),
                "{}",
                role.key
            );
        }
    }
    assert!(doc
        .grants
        .iter()
        .any(|g| matches!(g.subject, Subject::Group(_))));

    let target = Store::connect(&target_db.url, 5).await.unwrap();
    gatehouse::service::migrate(&target).await.unwrap();
    let target_access = AccessService::new(target.clone());
    let import_ctx = ChangeContext {
        provenance: "import",
        ..ctx()
    };
    let target_ws = target_access
        .import_workspace(doc.clone(), ImportTrust::OwnExport, &import_ctx)
        .await
        .unwrap();
    assert_eq!(target_ws.id, source_ws.id);
    assert_eq!(target_ws.slug, "acme");

    // Every id, column and SCIM document arrived.
    let reexported = target_access.export_workspace("acme").await.unwrap();
    assert_eq!(comparable(reexported), comparable(doc.clone()));

    // 10,000 random questions and every member's permissions: the same answers.
    let checks = random_checks(&doc, &mut rng, 10_000);
    let allowed = assert_same_answers(
        &doc,
        &checks,
        (&source_access, &source_ws),
        (&target_access, &target_ws),
    )
    .await;
    assert!(
        (500..9_500).contains(&allowed),
        "a population that tests something: {allowed} allowed"
    );

    // The change feed alone rebuilds the same index (instances that replay it agree).
    let feed = target
        .changes_after(target_ws.id, 0, 1_000_000)
        .await
        .unwrap();
    assert_eq!(feed.last().unwrap().revision, target_ws.revision);
    let mut replayed = WorkspaceIndex::new();
    for event in &feed {
        replayed.apply(event.revision, &event.change);
    }
    let from_snapshot = target_access
        .read(&target_ws, None, |ix| {
            doc.members
                .iter()
                .map(|m| ix.permissions(m.id))
                .collect::<Vec<_>>()
        })
        .await
        .unwrap();
    let from_feed: Vec<_> = doc
        .members
        .iter()
        .map(|m| replayed.permissions(m.id))
        .collect();
    assert_eq!(from_feed, from_snapshot);

    // The SCIM view reads the same on the new database.
    let scim_member = doc.members.iter().find(|m| m.scim_doc.is_some()).unwrap();
    let before = source
        .store
        .scim_user(source_ws.id, scim_member.id)
        .await
        .unwrap()
        .unwrap();
    let after = target
        .scim_user(target_ws.id, scim_member.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after.scim_doc.map(|d| d.0), before.scim_doc.map(|d| d.0));
    assert_eq!(after.user_name, before.user_name);
    assert_eq!(after.external_id, before.external_id);
    target.close().await;
}

/// Runs the binary's export then import into a fresh database of the same backend.
async fn round_trip_through_the_cli(app: &TestApp, backend: Backend) {
    let mut rng = StdRng::seed_from_u64(seed());
    let source_ws = populate(app, "acme", &mut rng, &SMALL).await;
    let access = AccessService::new(app.store.clone());
    // Grants of a disabled product, settings and domains travel too.
    access
        .commit(
            &source_ws,
            vec![Change::ProductsSet {
                products: vec![Product::Sources, Product::Warehouses, Product::Personas],
            }
            .into()],
            &ctx(),
        )
        .await
        .unwrap();
    let settings = WorkspaceSettings {
        require_sso: true,
        scim_roles: true,
        ..Default::default()
    };
    let current = app.store.workspace_by_slug("acme").await.unwrap().unwrap();
    app.store
        .verify_domain(
            current.id,
            "example.org",
            VerifiedBy::Operator,
            true,
            &Actor::Cli,
            None,
        )
        .await
        .unwrap();
    let current = app.store.workspace_by_slug("acme").await.unwrap().unwrap();
    let source_ws = app
        .store
        .update_workspace(&current, &settings, &Actor::Cli, None)
        .await
        .unwrap();

    let dir = std::env::temp_dir().join(format!("gatehouse-export-{}", Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("acme.json");
    let file_arg = file.to_str().unwrap();

    let out = gatehouse(
        &app.db.url,
        &[],
        &[
            "--json",
            "workspace",
            "export",
            "--workspace",
            "acme",
            "--file",
            file_arg,
        ],
    );
    assert!(out.status.success(), "{out:?}");
    let summary = one_json_object(&out);
    assert_eq!(summary["exported"], true);
    assert!(summary["not_exported"]
        .as_array()
        .unwrap()
        .contains(&json!("sso_connections")));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(
            mode & 0o777,
            0o600,
            "exports hold personal data: owner-only"
        );
    }
    let from_file: WorkspaceExport =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(summary["counts"]["grants"], from_file.grants.len());
    assert!(
        from_file
            .grants
            .iter()
            .any(|g| g.role.starts_with("protocols.")),
        "a disabled product's grants are exported"
    );

    // Without --file, the one JSON object printed is the export itself.
    let stdout = one_json_object(&gatehouse(
        &app.db.url,
        &[],
        &["workspace", "export", "--workspace", "acme", "--json"],
    ));
    let from_stdout: WorkspaceExport = serde_json::from_value(stdout).unwrap();
    assert_eq!(comparable(from_stdout), comparable(from_file.clone()));

    // The slug exists here: refused, and nothing changes.
    let refused = gatehouse(
        &app.db.url,
        &[],
        &[
            "--json",
            "workspace",
            "import",
            "--file",
            file_arg,
            "--own-export",
        ],
    );
    assert_eq!(refused.status.code(), Some(4), "a taken slug is a conflict");
    let message = one_json_object(&refused)["error"]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(message.contains("already exists"), "{message}");

    let fresh = TestDatabase::create(backend)
        .await
        .expect("same backend as the app");
    // A new database gets its schema from `gatehouse migrate`, as the README says.
    let migrated = gatehouse(&fresh.url, &[], &["migrate"]);
    assert!(migrated.status.success(), "{migrated:?}");
    let out = gatehouse(
        &fresh.url,
        &[],
        &[
            "--json",
            "workspace",
            "import",
            "--file",
            file_arg,
            "--own-export",
        ],
    );
    assert!(out.status.success(), "{out:?}");
    let imported = one_json_object(&out);
    assert_eq!(imported["imported"], true);
    assert_eq!(imported["workspace"]["slug"], "acme");
    assert_eq!(imported["counts"]["members"], from_file.members.len());

    let target = Store::connect(&fresh.url, 5).await.unwrap();
    let target_access = AccessService::new(target.clone());
    let target_ws = target.workspace_by_slug("acme").await.unwrap().unwrap();
    assert_eq!(target_ws.settings, settings);
    assert_eq!(target_ws.domains, ["example.com", "example.org"]);
    assert_eq!(target_ws.products, source_ws.products);
    let reexported = target_access.export_workspace("acme").await.unwrap();
    assert_eq!(comparable(reexported), comparable(from_file.clone()));
    let checks = random_checks(&from_file, &mut rng, 2_000);
    assert_same_answers(
        &from_file,
        &checks,
        (&access, &source_ws),
        (&target_access, &target_ws),
    )
    .await;

    // The import is audited: one workspace.import entry, then one entry per change.
    let audit = target.audit_entries(target_ws.id, 0, 10).await.unwrap();
    assert_eq!(audit[0].action, "workspace.import");
    target.close().await;
    std::fs::remove_dir_all(dir).unwrap();
}

fn backend_of(app: &TestApp) -> Backend {
    if app.db.url.starts_with("sqlite:") {
        Backend::Sqlite
    } else {
        Backend::Postgres
    }
}

on_both_backends! {
    async fn export_and_import_round_trip_through_the_cli(app: TestApp) {
        let backend = backend_of(&app);
        round_trip_through_the_cli(&app, backend).await;
    }

    async fn a_bad_export_is_refused_whole(app: TestApp) {
        let mut rng = StdRng::seed_from_u64(seed());
        populate(&app, "acme", &mut rng, &SMALL).await;
        let access = AccessService::new(app.store.clone());
        let good = access.export_workspace("acme").await.unwrap();
        let fresh = TestDatabase::create(backend_of(&app)).await.unwrap();
        let target = Store::connect(&fresh.url, 5).await.unwrap();
        gatehouse::service::migrate(&target).await.unwrap();
        let target_access = AccessService::new(target.clone());

        let mut breakages: Vec<(&str, WorkspaceExport)> = Vec::new();
        let mut doc = good.clone();
        doc.format = 99;
        breakages.push(("format 99", doc));
        let mut doc = good.clone();
        doc.grants[0].subject = Subject::User(Uuid::now_v7());
        breakages.push(("subject is not in the export", doc));
        let mut doc = good.clone();
        doc.members[1].email = doc.members[0].email.to_uppercase();
        breakages.push(("appears twice", doc));
        let mut doc = good.clone();
        let member = doc.members[0].id;
        doc.groups[0].members.push(gatehouse::domain::transfer::ExportedGroupMember {
            membership_id: member,
            source: MemberSource::Manual,
        });
        doc.groups[0].members.push(gatehouse::domain::transfer::ExportedGroupMember {
            membership_id: member,
            source: MemberSource::Scim,
        });
        breakages.push(("twice", doc));
        let mut doc = good.clone();
        doc.resources.retain(|r| r.resource_type != "source");
        breakages.push(("parent source", doc));
        let mut doc = good.clone();
        doc.grants[0].role = "source.overlord".into();
        breakages.push(("unknown role", doc));
        for (expected, doc) in breakages {
            let err = target_access.import_workspace(doc, ImportTrust::OwnExport, &ctx()).await.unwrap_err();
            assert!(matches!(err, ServiceError::Invalid(_)), "{err:?}");
            assert!(err.to_string().contains(expected), "{expected}: {err}");
        }
        assert!(target.list_workspaces().await.unwrap().is_empty());

        // Accounts are global: a person who already has one keeps it (here the person has
        // an account through another workspace, and is of the imported workspace's domain).
        let other = target
            .create_workspace(
                NewWorkspace {
                    slug: "other".into(),
                    name: "Other".into(),
                    products: Product::ALL.to_vec(),
                    domains: vec![],
                },
                &Actor::Cli,
                None,
            )
            .await
            .unwrap();
        let (elsewhere, _) = target_access
            .add_member(&other, &gatehouse::access::Email::parse(&good.members[3].email).unwrap(), MemberKind::Member, &ctx())
            .await
            .unwrap();
        let existing = target.membership_account(other.id, elsewhere.id).await.unwrap().unwrap();
        target_access.import_workspace(good.clone(), ImportTrust::OwnExport, &ctx()).await.unwrap();
        let imported = target.workspace_by_slug("acme").await.unwrap().unwrap();
        assert!(imported.is_authority_for(&good.members[3].email));
        let linked = target.membership_account(imported.id, good.members[3].id).await.unwrap();
        assert_eq!(linked, Some(existing));

        // Past validation, a failure in the database rolls everything back: here the
        // membership ids are taken already (imported before under another slug and id).
        let mut clash = good.clone();
        clash.workspace.slug = "acme-copy".into();
        clash.workspace.id = Uuid::now_v7();
        let err = target_access.import_workspace(clash, ImportTrust::OwnExport, &ctx()).await.unwrap_err();
        assert!(matches!(err, ServiceError::Store(_)), "{err:?}");
        let slugs: Vec<String> = target.list_workspaces().await.unwrap().into_iter().map(|w| w.slug).collect();
        assert_eq!(slugs, ["acme", "other"]);
        // The same id under another slug is refused with a clear message.
        let mut renamed = good.clone();
        renamed.workspace.slug = "acme-renamed".into();
        let err = target_access.import_workspace(renamed, ImportTrust::OwnExport, &ctx()).await.unwrap_err();
        assert!(err.to_string().contains("already exists here"), "{err}");
        assert_eq!(target.list_workspaces().await.unwrap().len(), 2);
        target.close().await;
    }

    async fn a_document_from_someone_else_claims_domains_and_links_nobody(app: TestApp) {
        let source = app.workspace_with_token("acme").await;
        app.post("/v1/workspaces/acme/members", &source, json!({"email": "olga@example.com", "kind": "owner"})).await;
        let acme = app.store.workspace_by_slug("acme").await.unwrap().unwrap();
        let mut doc = app.store.export_workspace(acme.id).await.unwrap();
        // Someone hands the operator a document naming a domain and a person of this database.
        app.create_workspace_with_domains("home", &["freemail.test".to_string()]).await;
        app.add_member_as_operator("home", "pat@freemail.test").await;
        doc.workspace.id = Uuid::now_v7();
        doc.workspace.slug = "handed-over".into();
        doc.workspace.domains = vec!["gmail.test".into()];
        doc.members[0].id = Uuid::now_v7();
        doc.members[0].email = "pat@freemail.test".into();
        doc.members[0].user_name = None;
        doc.grants.clear();
        for g in &mut doc.groups {
            g.members.clear();
        }
        let access = AccessService::new(app.store.clone());
        let imported = access.import_workspace(doc, ImportTrust::Untrusted, &ctx()).await.unwrap();
        assert!(imported.domains.is_empty(), "domains are claims");
        assert_eq!(app.store.domain_claims(imported.id).await.unwrap()[0].state(), "pending");
        let member = access.member(&imported, "pat@freemail.test").await.unwrap();
        assert!(member.awaiting_consent, "the person decides");
        assert_eq!(app.store.membership_account(imported.id, member.id).await.unwrap(), None);
    }
}
