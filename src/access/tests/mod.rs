//! Unit tests of the access module: a small fixture workspace shared by the
//! rule tests (`rules.rs`) and the change-stream tests (`changes.rs`).

mod changes;
mod rules;

use uuid::Uuid;

use super::model::*;
use super::WorkspaceIndex;

pub(super) const OLGA: Uuid = Uuid::from_u128(1); // owner
pub(super) const ALICE: Uuid = Uuid::from_u128(2); // source.admin on ios-prod
pub(super) const BOB: Uuid = Uuid::from_u128(3); // warehouse.read + group eng
pub(super) const CAROL: Uuid = Uuid::from_u128(4); // groups eng + readers, warehouse.admin
pub(super) const INA: Uuid = Uuid::from_u128(5); // inactive, source.admin on all
pub(super) const NORA: Uuid = Uuid::from_u128(6); // no grant
pub(super) const STRANGER: Uuid = Uuid::from_u128(99);

pub(super) const ENG: Uuid = Uuid::from_u128(201); // protocols.read on all
pub(super) const READERS: Uuid = Uuid::from_u128(202); // source.read on all

pub(super) const G_ALICE_IOS: Uuid = Uuid::from_u128(301);
pub(super) const G_BOB_WH: Uuid = Uuid::from_u128(302);
pub(super) const G_ENG_PROTO: Uuid = Uuid::from_u128(303);
pub(super) const G_READERS_SRC: Uuid = Uuid::from_u128(304);
pub(super) const G_CAROL_WH: Uuid = Uuid::from_u128(305);
pub(super) const G_INA_SRC: Uuid = Uuid::from_u128(306);

pub(super) fn r(t: &str, id: &str) -> ResourceRef {
    ResourceRef::new(t, id)
}

pub(super) fn member(id: Uuid, email: &str, kind: MemberKind, active: bool) -> Member {
    Member {
        id,
        email: email.into(),
        kind,
        active,
        awaiting_consent: false,
    }
}

pub(super) fn resource(t: &str, id: &str, parent: Option<&str>) -> Resource {
    Resource {
        resource_type: t.into(),
        id: id.into(),
        name: id.to_uppercase(),
        parent: parent.map(|p| r("source", p)),
    }
}

pub(super) fn grant(id: Uuid, subject: Subject, role: &str, scope: Scope) -> Grant {
    Grant {
        id,
        subject,
        role: role.into(),
        scope,
        origin: GrantOrigin::Manual,
    }
}

pub(super) fn on_source(id: &str) -> Scope {
    Scope::Instance(r("source", id))
}

pub(super) fn snapshot() -> Snapshot {
    use MemberKind::{Member as M, Owner};
    use Subject::{Group, User};
    Snapshot {
        revision: 10,
        products: vec![Product::Sources, Product::Warehouses, Product::Protocols],
        members: vec![
            member(OLGA, "olga@example.com", Owner, true),
            member(ALICE, "Alice@Example.com", M, true),
            member(BOB, "bob@example.com", M, true),
            member(CAROL, "carol@example.com", M, true),
            member(INA, "ina@example.com", M, false),
            member(NORA, "nora@example.com", M, true),
        ],
        groups: vec![
            GroupInfo {
                id: ENG,
                display_name: "Engineering".into(),
                external_id: Some("okta-eng".into()),
            },
            GroupInfo {
                id: READERS,
                display_name: "Readers".into(),
                external_id: None,
            },
        ],
        group_members: vec![
            (ENG, BOB, MemberSource::Manual),
            (ENG, CAROL, MemberSource::Scim),
            (READERS, CAROL, MemberSource::Saml),
            (READERS, INA, MemberSource::Scim),
        ],
        resources: vec![
            resource("source", "ios-prod", None),
            resource("source", "android-prod", None),
            resource("destination", "d-ios", Some("ios-prod")),
            resource("destination", "d-android", Some("android-prod")),
            resource("warehouse", "wh1", None),
        ],
        grants: vec![
            grant(
                G_ALICE_IOS,
                User(ALICE),
                "source.admin",
                on_source("ios-prod"),
            ),
            grant(G_BOB_WH, User(BOB), "warehouse.read", Scope::All),
            grant(G_ENG_PROTO, Group(ENG), "protocols.read", Scope::All),
            grant(G_READERS_SRC, Group(READERS), "source.read", Scope::All),
            grant(G_CAROL_WH, User(CAROL), "warehouse.admin", Scope::All),
            grant(G_INA_SRC, User(INA), "source.admin", Scope::All),
        ],
    }
}

pub(super) fn fixture() -> WorkspaceIndex {
    WorkspaceIndex::from_snapshot(snapshot())
}

/// Every (member, action, resource) combination used by consistency checks.
pub(super) fn matrix(ix: &WorkspaceIndex) -> Vec<(Uuid, &'static str, ResourceRef, bool)> {
    let who = [OLGA, ALICE, BOB, CAROL, INA, NORA, STRANGER];
    let what = [
        ("source.read", r("source", "ios-prod")),
        ("source.update", r("source", "ios-prod")),
        ("source.update", r("source", "android-prod")),
        ("source.create", r("source", "")),
        ("destination.update", r("destination", "d-ios")),
        ("destination.read", r("destination", "d-android")),
        ("destination.create", r("destination", "")),
        ("warehouse.read", r("warehouse", "wh1")),
        ("warehouse.update", r("warehouse", "wh1")),
        ("tracking_plan.read", r("tracking_plan", "tp")),
        ("personas_space.read", r("personas_space", "sp")),
        ("workspace.invite", r("workspace", "w")),
        ("workspace.sign_in", r("workspace", "w")),
        ("source.frobnicate", r("source", "ios-prod")),
    ];
    let mut out = Vec::new();
    for m in who {
        for (a, res) in &what {
            out.push((m, *a, res.clone(), ix.check(m, a, res)));
        }
    }
    out
}
