//! `apply()` of every change kind: effects, cascades and idempotency.

use super::super::model::*;
use super::super::{ResourceList, WorkspaceIndex};
use super::*;

/// Applies a change twice (replay) at the next revision.
fn apply2(ix: &mut WorkspaceIndex, change: Change) {
    let rev = ix.revision() + 1;
    assert!(ix.apply(rev, &change));
    assert!(
        ix.apply(rev, &change),
        "same revision is re-applied harmlessly"
    );
    assert_eq!(ix.revision(), rev);
}

fn ios() -> ResourceRef {
    r("source", "ios-prod")
}

#[test]
fn replaying_the_snapshot_as_changes_gives_the_same_index() {
    let snap = snapshot();
    let mut ix = WorkspaceIndex::new();
    let mut changes = vec![Change::ProductsSet {
        products: snap.products.clone(),
    }];
    // Deliberately odd order where the stream allows it: grants before resources.
    changes.extend(
        snap.members
            .iter()
            .cloned()
            .map(|member| Change::MemberUpserted { member }),
    );
    changes.extend(
        snap.groups
            .iter()
            .cloned()
            .map(|group| Change::GroupUpserted { group }),
    );
    changes.extend(
        snap.grants
            .iter()
            .cloned()
            .map(|grant| Change::GrantAdded { grant }),
    );
    changes.extend(
        snap.group_members
            .iter()
            .map(|(g, m, s)| Change::GroupMembersAdded {
                group_id: *g,
                membership_ids: vec![*m],
                source: *s,
            }),
    );
    changes.extend(
        snap.resources
            .iter()
            .cloned()
            .map(|resource| Change::ResourceUpserted { resource }),
    );
    for (i, c) in changes.iter().enumerate() {
        ix.apply(i as i64 + 1, c);
        ix.apply(i as i64 + 1, c);
    }
    assert_eq!(matrix(&ix), matrix(&fixture()));
}

#[test]
fn older_revisions_are_skipped() {
    let mut ix = fixture();
    assert_eq!(ix.revision(), 10);
    assert!(!ix.apply(9, &Change::GrantRemoved { grant_id: G_BOB_WH }));
    assert!(ix.grant(G_BOB_WH).is_some());
    assert_eq!(ix.revision(), 10);
}

#[test]
fn member_upserted_and_updated() {
    let mut ix = fixture();
    let dan = Uuid::from_u128(7);
    apply2(
        &mut ix,
        Change::MemberUpserted {
            member: member(dan, "Dan@X.io", MemberKind::Member, true),
        },
    );
    assert_eq!(ix.member_count(), 7);
    assert_eq!(
        ix.find_member(&MemberKey::parse("dan@x.io")).unwrap().id,
        dan
    );
    // email change: old email no longer resolves
    apply2(
        &mut ix,
        Change::MemberUpserted {
            member: member(dan, "daniel@x.io", MemberKind::Member, true),
        },
    );
    assert!(ix.find_member(&MemberKey::parse("dan@x.io")).is_none());
    assert_eq!(
        ix.find_member(&MemberKey::parse("DANIEL@x.io")).unwrap().id,
        dan
    );
    // deactivation keeps grants but denies everything; promotion to owner
    apply2(
        &mut ix,
        Change::MemberUpserted {
            member: member(ALICE, "alice@example.com", MemberKind::Member, false),
        },
    );
    assert!(!ix.check(ALICE, "source.update", &ios()));
    assert_eq!(ix.permissions(ALICE).len(), 1);
    apply2(
        &mut ix,
        Change::MemberUpserted {
            member: member(NORA, "nora@example.com", MemberKind::Owner, true),
        },
    );
    assert!(ix.check(NORA, "workspace.invite", &r("workspace", "w")));
    assert!(ix.list_subjects("source.update", &ios()).contains(&NORA));
}

#[test]
fn member_removed_cascades() {
    let mut ix = fixture();
    apply2(
        &mut ix,
        Change::MemberRemoved {
            membership_id: CAROL,
        },
    );
    assert!(ix.find_member(&MemberKey::Membership(CAROL)).is_none());
    assert!(ix.grant(G_CAROL_WH).is_none(), "direct grant dropped");
    assert!(ix.grant(G_READERS_SRC).is_some(), "group grant kept");
    assert_eq!(ix.group_members(ENG), vec![(BOB, MemberSource::Manual)]);
    assert!(!ix.check(CAROL, "workspace.sign_in", &r("workspace", "w")));
    assert!(!ix
        .list_subjects("warehouse.update", &r("warehouse", "wh1"))
        .contains(&CAROL));
    assert!(ix
        .find_member(&MemberKey::parse("carol@example.com"))
        .is_none());
}

#[test]
fn groups_upserted_removed_and_links() {
    let mut ix = fixture();
    let renamed = GroupInfo {
        id: READERS,
        display_name: "Read-only".into(),
        external_id: None,
    };
    apply2(
        &mut ix,
        Change::GroupUpserted {
            group: renamed.clone(),
        },
    );
    assert_eq!(ix.group(READERS), Some(&renamed));
    let e = ix.explain(CAROL, "source.read", &ios());
    assert!(format!("{:?}", e.via).contains("Read-only"));

    let add = Change::GroupMembersAdded {
        group_id: READERS,
        membership_ids: vec![NORA],
        source: MemberSource::Scim,
    };
    apply2(&mut ix, add);
    assert_eq!(ix.group_members(READERS).len(), 3, "no duplicate link");
    assert_eq!(ix.member_groups(NORA).len(), 1);
    assert!(ix.check(NORA, "source.read", &ios()));
    apply2(
        &mut ix,
        Change::GroupMembersRemoved {
            group_id: READERS,
            membership_ids: vec![NORA],
        },
    );
    assert!(!ix.check(NORA, "source.read", &ios()));
    assert!(ix.member_groups(NORA).is_empty());
    // links to unknown groups or members are ignored
    let bogus = Change::GroupMembersAdded {
        group_id: Uuid::from_u128(777),
        membership_ids: vec![NORA],
        source: MemberSource::Manual,
    };
    apply2(&mut ix, bogus);
    assert!(ix.member_groups(NORA).is_empty());

    apply2(&mut ix, Change::GroupRemoved { group_id: READERS });
    assert!(ix.group(READERS).is_none());
    assert!(ix.grant(G_READERS_SRC).is_none(), "group grants dropped");
    assert!(!ix.check(CAROL, "source.read", &ios()));
    assert_eq!(ix.member_groups(CAROL).len(), 1, "still in eng");
    assert_eq!(ix.list_subjects("source.read", &ios()), vec![OLGA, ALICE]);
}

#[test]
fn resources_upserted_reparented_removed() {
    let mut ix = fixture();
    let d2 = r("destination", "d-ios-2");
    apply2(
        &mut ix,
        Change::ResourceUpserted {
            resource: resource("destination", "d-ios-2", Some("ios-prod")),
        },
    );
    assert!(ix.resource(&d2).is_some());
    assert!(ix.check(ALICE, "destination.update", &d2));
    let ids = |v: &[&str]| ResourceList::Ids(v.iter().map(|s| s.to_string()).collect());
    assert_eq!(
        ix.list_resources(ALICE, "destination.read", "destination"),
        ids(&["d-ios", "d-ios-2"])
    );
    // reparent to android-prod: alice loses it
    apply2(
        &mut ix,
        Change::ResourceUpserted {
            resource: resource("destination", "d-ios-2", Some("android-prod")),
        },
    );
    assert!(!ix.check(ALICE, "destination.update", &d2));
    assert_eq!(
        ix.list_resources(ALICE, "destination.read", "destination"),
        ids(&["d-ios"])
    );

    apply2(&mut ix, Change::ResourceRemoved { resource: ios() });
    assert!(ix.resource(&ios()).is_none());
    assert!(ix.grant(G_ALICE_IOS).is_none(), "instance grant dropped");
    assert!(!ix.check(ALICE, "destination.update", &r("destination", "d-ios")));
    assert!(ix.permissions(ALICE).is_empty());
    // re-registering the source does not bring the old grant back
    apply2(
        &mut ix,
        Change::ResourceUpserted {
            resource: resource("source", "ios-prod", None),
        },
    );
    assert!(!ix.check(ALICE, "source.update", &ios()));
    assert!(ix
        .validate_grant("source.admin", &on_source("ios-prod"), false)
        .is_ok());
    apply2(
        &mut ix,
        Change::ResourceRemoved {
            resource: r("source", "never"),
        },
    );
}

#[test]
fn grants_added_replaced_removed() {
    let mut ix = fixture();
    let id = Uuid::from_u128(950);
    let g = grant(
        id,
        Subject::User(NORA),
        "source.read",
        on_source("android-prod"),
    );
    apply2(&mut ix, Change::GrantAdded { grant: g.clone() });
    assert_eq!(ix.grants_of(Subject::User(NORA)).len(), 1, "no duplicate");
    assert!(ix.check(NORA, "source.read", &r("source", "android-prod")));
    // same id, new content: replaced
    let g2 = Grant {
        scope: on_source("ios-prod"),
        ..g
    };
    apply2(&mut ix, Change::GrantAdded { grant: g2 });
    assert!(!ix.check(NORA, "source.read", &r("source", "android-prod")));
    assert!(ix.check(NORA, "source.read", &ios()));
    assert_eq!(
        ix.list_subjects("source.read", &ios()),
        vec![OLGA, ALICE, CAROL, NORA]
    );
    // a second grant of the same role: removing one keeps the access
    let other = grant(
        Uuid::from_u128(951),
        Subject::User(NORA),
        "source.read",
        on_source("ios-prod"),
    );
    apply2(&mut ix, Change::GrantAdded { grant: other });
    apply2(&mut ix, Change::GrantRemoved { grant_id: id });
    assert!(ix.check(NORA, "source.read", &ios()));
    apply2(
        &mut ix,
        Change::GrantRemoved {
            grant_id: Uuid::from_u128(951),
        },
    );
    assert!(!ix.check(NORA, "source.read", &ios()));
    assert!(ix.grants_of(Subject::User(NORA)).is_empty());
    // all-scope grant removal updates the inverted sets
    apply2(
        &mut ix,
        Change::GrantRemoved {
            grant_id: G_ENG_PROTO,
        },
    );
    assert_eq!(
        ix.list_subjects("tracking_plan.read", &r("tracking_plan", "t")),
        vec![OLGA]
    );
    // grants with an unknown role or an invalid scope are kept but confer nothing
    let bad = grant(
        Uuid::from_u128(952),
        Subject::User(NORA),
        "warehouse.read",
        on_source("ios-prod"),
    );
    apply2(&mut ix, Change::GrantAdded { grant: bad });
    assert!(ix.grant(Uuid::from_u128(952)).is_some());
    assert!(!ix.check(NORA, "warehouse.read", &r("warehouse", "wh1")));
}
