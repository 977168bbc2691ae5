//! The PostgreSQL view `effective_grants` is a stable interface for direct readers; it must
//! agree with the evaluator. A property test over randomized populations checks that.

use std::collections::BTreeSet;

use gatehouse::{
    access::{
        catalog, Change, GrantOrigin, MemberKind, Product, ResourceRef, Scope, Subject, Through,
    },
    domain::Actor,
    service::AccessService,
    storage::ChangeContext,
};
use rand::{rngs::StdRng, seq::SliceRandom, Rng, SeedableRng};
use sqlx::Connection;
use uuid::Uuid;

use crate::helpers::{spawn_app, Backend};

type Row = (Uuid, String, Option<String>, Option<String>, Option<Uuid>);

#[tokio::test]
async fn effective_grants_agrees_with_the_evaluator_on_random_populations() {
    let Some(app) = spawn_app(Backend::Postgres).await else {
        return;
    };
    let access = AccessService::new(app.store.clone());
    let ctx = ChangeContext {
        actor: Actor::Cli,
        request_id: None,
        provenance: "cli",
    };
    let roles: Vec<&str> = catalog::roles()
        .iter()
        .map(|r| r.key)
        .filter(|k| *k != "workspace.owner")
        .collect();
    for seed in 0..4u64 {
        let mut rng = StdRng::seed_from_u64(seed);
        let slug = format!("prop-{seed}");
        let workspace = app.create_workspace(&slug).await;
        let sources: Vec<String> = (0..12).map(|i| format!("src-{i}")).collect();
        for id in &sources {
            access
                .register_resource(
                    &workspace,
                    gatehouse::access::NewResource {
                        resource_type: gatehouse::access::ResourceType::parse("source").unwrap(),
                        id: id.clone(),
                        name: id.clone(),
                        parent: None,
                    },
                    &ctx,
                )
                .await
                .unwrap();
        }
        let mut members = Vec::new();
        for i in 0..30 {
            let kind = if i < 3 {
                MemberKind::Owner
            } else {
                MemberKind::Member
            };
            let (m, _) = access
                .add_member(
                    &workspace,
                    &gatehouse::access::Email::parse(&format!("p{i}@example.com")).unwrap(),
                    kind,
                    &ctx,
                )
                .await
                .unwrap();
            members.push(m);
        }
        let mut groups = Vec::new();
        for g in 0..5 {
            let (group, _) = access
                .create_group(&workspace, &format!("Group {g}"), None, &ctx)
                .await
                .unwrap();
            for m in members.choose_multiple(&mut rng, 8) {
                access
                    .add_group_member(
                        &workspace,
                        group.id,
                        &m.id.to_string(),
                        gatehouse::access::MemberSource::Scim,
                        &ctx,
                    )
                    .await
                    .unwrap();
            }
            groups.push(group);
        }
        for _ in 0..80 {
            let role = *roles.choose(&mut rng).unwrap();
            let subject = if rng.gen_bool(0.5) {
                Subject::User(members.choose(&mut rng).unwrap().id)
            } else {
                Subject::Group(groups.choose(&mut rng).unwrap().id)
            };
            let scope = if role.starts_with("source.") && rng.gen_bool(0.6) {
                Scope::Instance(ResourceRef::new(
                    "source",
                    sources.choose(&mut rng).unwrap().clone(),
                ))
            } else {
                Scope::All
            };
            // Duplicates are refused; that is fine for a random population.
            let _ = access
                .add_grant(
                    &workspace,
                    subject,
                    gatehouse::access::RoleKey::parse(role).unwrap(),
                    scope,
                    GrantOrigin::Manual,
                    &ctx,
                )
                .await;
        }
        for m in members.iter().skip(3).filter(|_| rng.gen_bool(0.2)) {
            access
                .update_member(&workspace, &m.id.to_string(), None, Some(false), None, &ctx)
                .await
                .unwrap();
        }
        if seed % 2 == 1 {
            // Disabling a product takes its roles out of both answers.
            access
                .commit(
                    &workspace,
                    vec![Change::ProductsSet {
                        products: vec![Product::Sources, Product::Warehouses],
                    }
                    .into()],
                    &ctx,
                )
                .await
                .unwrap();
        }

        let expected: BTreeSet<Row> = access
            .read(&workspace, None, |ix| {
                let mut rows = BTreeSet::new();
                for m in ix.members().filter(|m| m.active) {
                    for role in ix
                        .permissions(m.id)
                        .into_iter()
                        .filter(|r| r.active_product)
                    {
                        let (rtype, rid) = match &role.scope {
                            Scope::All => (None, None),
                            Scope::Instance(r) => {
                                (Some(r.resource_type.clone()), Some(r.id.clone()))
                            }
                        };
                        let origin = match role.through {
                            Through::Group { id, .. } => Some(id),
                            _ => None,
                        };
                        rows.insert((m.id, role.role, rtype, rid, origin));
                    }
                }
                rows
            })
            .await
            .unwrap();

        let mut conn = sqlx::PgConnection::connect(&app.db.url).await.unwrap();
        let actual: BTreeSet<Row> = sqlx::query_as(
            "SELECT membership_id, role, resource_type, resource_id, origin_group_id \
             FROM effective_grants WHERE workspace_id = $1",
        )
        .bind(workspace.id)
        .fetch_all(&mut conn)
        .await
        .unwrap()
        .into_iter()
        .collect();
        assert!(expected.len() > 20, "seed {seed}: population too small");
        assert_eq!(actual, expected, "seed {seed}");
    }
}
