//! One test (at least) per evaluation and validation rule.

use super::super::model::*;
use super::super::{DenyReason, GrantError, ResourceList, Through, WorkspaceIndex};
use super::*;

fn deny_reason(ix: &WorkspaceIndex, m: Uuid, action: &str, res: &ResourceRef) -> DenyReason {
    let e = ix.explain(m, action, res);
    assert!(
        !e.allowed && e.via.is_empty(),
        "{action} unexpectedly allowed"
    );
    e.reason.unwrap()
}

#[test]
fn roles_are_the_union_of_direct_and_group_grants() {
    let ix = fixture();
    let wh = r("warehouse", "wh1");
    assert!(ix.check(BOB, "warehouse.read", &wh), "direct grant");
    assert!(
        ix.check(BOB, "tracking_plan.read", &r("tracking_plan", "tp")),
        "via eng"
    );
    assert!(!ix.check(BOB, "warehouse.update", &wh));
    assert!(!ix.check(BOB, "source.read", &r("source", "ios-prod")));
    // carol: direct warehouse.admin + eng + readers
    assert!(ix.check(CAROL, "warehouse.delete", &wh));
    assert!(ix.check(CAROL, "tracking_plan.read", &r("tracking_plan", "tp")));
    assert!(ix.check(CAROL, "source.read", &r("source", "android-prod")));
}

#[test]
fn admin_includes_read() {
    let ix = fixture();
    assert!(ix.check(ALICE, "source.read", &r("source", "ios-prod")));
    assert!(ix.check(CAROL, "warehouse.read", &r("warehouse", "wh1")));
}

#[test]
fn create_needs_an_all_scope_grant() {
    let mut ix = fixture();
    let new_source = r("source", "");
    assert!(!ix.check(ALICE, "source.create", &new_source));
    assert!(!ix.check(ALICE, "source.create", &r("source", "ios-prod")));
    assert!(!ix.check(ALICE, "destination.create", &r("destination", "")));
    assert_eq!(
        deny_reason(&ix, ALICE, "source.create", &new_source),
        DenyReason::CreateNeedsAllScope
    );
    assert!(ix.check(CAROL, "warehouse.create", &r("warehouse", "")));
    let g = grant(
        Uuid::from_u128(900),
        Subject::User(NORA),
        "source.admin",
        Scope::All,
    );
    ix.apply(11, &Change::GrantAdded { grant: g });
    assert!(ix.check(NORA, "source.create", &new_source));
    assert!(ix.check(NORA, "destination.create", &r("destination", "")));
}

#[test]
fn instance_scope_covers_only_that_instance() {
    let ix = fixture();
    assert!(ix.check(ALICE, "source.update", &r("source", "ios-prod")));
    assert!(!ix.check(ALICE, "source.update", &r("source", "android-prod")));
    assert!(!ix.check(ALICE, "source.create", &r("source", "")));
    assert!(!ix.check(ALICE, "source.update", &r("source", "unregistered")));
    // Naming the instance with another type does not match the instance grant.
    assert!(!ix.check(ALICE, "source.update", &r("warehouse", "ios-prod")));
    assert_eq!(
        deny_reason(&ix, ALICE, "source.update", &r("source", "android-prod")),
        DenyReason::NoMatchingGrant
    );
}

#[test]
fn destinations_inherit_from_their_parent_source() {
    let ix = fixture();
    assert!(ix.check(ALICE, "destination.update", &r("destination", "d-ios")));
    assert!(ix.check(ALICE, "destination.delete", &r("destination", "d-ios")));
    assert!(!ix.check(ALICE, "destination.update", &r("destination", "d-android")));
    assert!(!ix.check(ALICE, "destination.update", &r("destination", "unknown")));
    assert!(ix.check(CAROL, "destination.read", &r("destination", "d-android")));
    assert!(!ix.check(CAROL, "destination.update", &r("destination", "d-android")));
    let e = ix.explain(ALICE, "destination.update", &r("destination", "d-ios"));
    assert_eq!(e.via.len(), 1);
    assert_eq!(e.via[0].scope, on_source("ios-prod"));
}

#[test]
fn disabled_products_refuse_grants_and_confer_nothing() {
    let mut ix = fixture();
    let err = ix
        .validate_grant("personas.read", &Scope::All, false)
        .unwrap_err();
    assert!(matches!(
        err,
        GrantError::ProductNotEnabled {
            product: Product::Personas,
            ..
        }
    ));
    assert!(err.to_string().contains("personas"), "{err}");
    let wh = r("warehouse", "wh1");
    assert!(ix.check(BOB, "warehouse.read", &wh));
    let products = vec![Product::Sources, Product::Protocols];
    ix.apply(11, &Change::ProductsSet { products });
    assert!(!ix.check(BOB, "warehouse.read", &wh));
    assert_eq!(
        deny_reason(&ix, BOB, "warehouse.read", &wh),
        DenyReason::ProductDisabled
    );
    assert_eq!(
        deny_reason(&ix, NORA, "warehouse.read", &wh),
        DenyReason::ProductDisabled
    );
    assert!(ix
        .validate_grant("warehouse.read", &Scope::All, false)
        .is_err());
    let p = ix.permissions(BOB);
    let wh_role = p.iter().find(|e| e.role == "warehouse.read").unwrap();
    assert!(!wh_role.active_product);
    assert_eq!(
        ix.list_resources(BOB, "warehouse.read", "warehouse"),
        ResourceList::Ids(vec![])
    );
    assert!(!ix.list_subjects("warehouse.read", &wh).contains(&BOB));
    let products = vec![Product::Warehouses, Product::Sources];
    ix.apply(12, &Change::ProductsSet { products });
    assert!(ix.check(BOB, "warehouse.read", &wh));
}

#[test]
fn inactive_membership_can_do_nothing() {
    let ix = fixture();
    let ws = r("workspace", "w");
    assert!(!ix.check(INA, "workspace.sign_in", &ws));
    assert!(!ix.check(INA, "source.read", &r("source", "ios-prod")));
    assert_eq!(
        deny_reason(&ix, INA, "source.read", &ws),
        DenyReason::Inactive
    );
    assert_eq!(
        ix.list_resources(INA, "source.read", "source"),
        ResourceList::Ids(vec![])
    );
}

#[test]
fn member_without_grants_can_only_sign_in() {
    let ix = fixture();
    assert!(ix.check(NORA, "workspace.sign_in", &r("workspace", "w")));
    let e = ix.explain(NORA, "workspace.sign_in", &r("workspace", "w"));
    assert_eq!(e.via.len(), 1);
    assert_eq!(e.via[0].through, Through::Membership);
    for (m, a, _, allowed) in matrix(&ix) {
        if m == NORA {
            assert_eq!(allowed, a == "workspace.sign_in", "{a}");
        }
    }
    let source = r("source", "ios-prod");
    assert_eq!(
        deny_reason(&ix, NORA, "source.read", &source),
        DenyReason::NoMatchingGrant
    );
}

#[test]
fn owners_can_do_everything_members_cannot_invite() {
    let ix = fixture();
    let ws = r("workspace", "w");
    for action in super::super::catalog::actions() {
        assert!(ix.check(OLGA, action, &r("source", "x")), "{action}");
    }
    assert!(ix.check(OLGA, "workspace.invite", &ws));
    for m in [ALICE, BOB, CAROL, NORA] {
        assert!(!ix.check(m, "workspace.invite", &ws));
        assert!(!ix.check(m, "workspace.manage_access", &ws));
    }
    let e = ix.explain(OLGA, "source.delete", &r("source", "ios-prod"));
    assert_eq!(e.via[0].through, Through::Ownership);
    assert_eq!(
        ix.list_resources(OLGA, "source.update", "source"),
        ResourceList::All
    );
    let reason = deny_reason(&ix, ALICE, "workspace.invite", &ws);
    assert_eq!(reason, DenyReason::NoMatchingGrant);
}

#[test]
fn unknown_action_and_unknown_member() {
    let ix = fixture();
    let s = r("source", "ios-prod");
    for m in [OLGA, ALICE, STRANGER] {
        assert!(!ix.check(m, "source.frobnicate", &s));
        assert_eq!(
            deny_reason(&ix, m, "source.frobnicate", &s),
            DenyReason::UnknownAction
        );
    }
    assert!(!ix.check(STRANGER, "workspace.sign_in", &s));
    assert_eq!(
        deny_reason(&ix, STRANGER, "source.read", &s),
        DenyReason::NotAMember
    );
}

#[test]
fn explain_lists_every_direct_and_group_origin() {
    let mut ix = fixture();
    let g = grant(
        Uuid::from_u128(901),
        Subject::User(CAROL),
        "source.admin",
        on_source("ios-prod"),
    );
    ix.apply(11, &Change::GrantAdded { grant: g });
    let e = ix.explain(CAROL, "source.read", &r("source", "ios-prod"));
    assert!(e.allowed && e.reason.is_none());
    let found: Vec<(Option<Uuid>, Through)> = e
        .via
        .iter()
        .map(|v| (v.grant_id, v.through.clone()))
        .collect();
    let readers = Through::Group {
        id: READERS,
        display_name: "Readers".into(),
    };
    assert_eq!(
        found,
        vec![
            (Some(Uuid::from_u128(901)), Through::Direct),
            (Some(G_READERS_SRC), readers)
        ]
    );
    // check and explain always agree
    for (m, a, res, allowed) in matrix(&ix) {
        assert_eq!(ix.explain(m, a, &res).allowed, allowed, "{m} {a} {res:?}");
    }
}

#[test]
fn list_resources_all_versus_ids() {
    let ix = fixture();
    let ids = |v: &[&str]| ResourceList::Ids(v.iter().map(|s| s.to_string()).collect());
    assert_eq!(
        ix.list_resources(CAROL, "source.read", "source"),
        ResourceList::All
    );
    assert_eq!(
        ix.list_resources(ALICE, "source.update", "source"),
        ids(&["ios-prod"])
    );
    assert_eq!(
        ix.list_resources(ALICE, "destination.update", "destination"),
        ids(&["d-ios"])
    );
    assert_eq!(
        ix.list_resources(ALICE, "source.create", "source"),
        ids(&[])
    );
    assert_eq!(
        ix.list_resources(ALICE, "warehouse.read", "warehouse"),
        ids(&[])
    );
    assert_eq!(ix.list_resources(NORA, "source.read", "source"), ids(&[]));
    assert_eq!(
        ix.list_resources(STRANGER, "source.read", "source"),
        ids(&[])
    );
}

#[test]
fn list_subjects_includes_owners_and_groups() {
    let ix = fixture();
    let ios = r("source", "ios-prod");
    assert_eq!(ix.list_subjects("source.update", &ios), vec![OLGA, ALICE]);
    // readers (carol; ina is inactive) + owner + alice (instance)
    assert_eq!(
        ix.list_subjects("source.read", &ios),
        vec![OLGA, ALICE, CAROL]
    );
    let d = r("destination", "d-android");
    assert_eq!(ix.list_subjects("destination.read", &d), vec![OLGA, CAROL]);
    assert_eq!(
        ix.list_subjects("source.create", &r("source", "")),
        vec![OLGA]
    );
    let tp = r("tracking_plan", "tp");
    assert_eq!(
        ix.list_subjects("tracking_plan.read", &tp),
        vec![OLGA, BOB, CAROL]
    );
    let ws = r("workspace", "w");
    assert_eq!(
        ix.list_subjects("workspace.sign_in", &ws),
        vec![OLGA, ALICE, BOB, CAROL, NORA]
    );
    assert!(ix.list_subjects("nope.read", &ws).is_empty());
    for (m, a, res, allowed) in matrix(&ix) {
        assert_eq!(
            ix.list_subjects(a, &res).contains(&m),
            allowed,
            "{m} {a} {res:?}"
        );
    }
}

#[test]
fn validate_grant_errors() {
    let ix = fixture();
    let v = |role: &str, scope: &Scope| ix.validate_grant(role, scope, false);
    assert!(v("source.admin", &on_source("ios-prod")).is_ok());
    assert!(v("warehouse.admin", &Scope::All).is_ok());
    assert_eq!(
        v("nope", &Scope::All),
        Err(GrantError::UnknownRole("nope".into()))
    );
    assert_eq!(
        v("workspace.owner", &Scope::All),
        Err(GrantError::OwnerNotGrantable)
    );
    assert!(ix
        .validate_grant("workspace.owner", &Scope::All, true)
        .is_ok());
    let wh = Scope::Instance(r("warehouse", "wh1"));
    assert!(matches!(
        v("warehouse.read", &wh),
        Err(GrantError::NotInstanceScopable { .. })
    ));
    let dest = Scope::Instance(r("destination", "d-ios"));
    assert!(matches!(
        v("source.read", &dest),
        Err(GrantError::WrongResourceType { .. })
    ));
    let missing = v("source.read", &on_source("gone")).unwrap_err();
    assert!(matches!(missing, GrantError::UnknownResource { .. }));
    assert_eq!(
        missing.to_string(),
        "source `gone` is not registered in this workspace"
    );
    assert_eq!(missing.code(), "unknown_resource");
}

#[test]
fn find_member_by_membership_id_or_email() {
    let ix = fixture();
    for key in [
        MemberKey::parse(&ALICE.to_string()),
        MemberKey::parse("ALICE@example.COM"),
        MemberKey::Membership(ALICE),
        MemberKey::Email("alice@example.com".into()),
    ] {
        assert_eq!(ix.find_member(&key).map(|m| m.id), Some(ALICE), "{key:?}");
    }
    assert!(ix
        .find_member(&MemberKey::Membership(Uuid::from_u128(
            ALICE.as_u128() + 1000
        )))
        .is_none());
    assert!(ix
        .find_member(&MemberKey::parse("nobody@example.com"))
        .is_none());
}

#[test]
fn serde_shapes() {
    assert_eq!(j(&Scope::All), r#"{"type":"all"}"#);
    assert_eq!(
        j(&on_source("s1")),
        r#"{"type":"instance","resource":{"type":"source","id":"s1"}}"#
    );
    assert_eq!(
        j(&Subject::User(Uuid::nil())),
        r#"{"type":"user","id":"00000000-0000-0000-0000-000000000000"}"#
    );
    let c = Change::GroupMembersRemoved {
        group_id: ENG,
        membership_ids: vec![BOB],
    };
    assert!(j(&c).starts_with(r#"{"kind":"group_members_removed","#));
    assert_eq!(j(&Product::Personas), r#""personas""#);
    assert_eq!("protocols".parse::<Product>(), Ok(Product::Protocols));
    assert!("x".parse::<Product>().is_err());
    let snap = snapshot();
    let back: Snapshot = serde_json::from_str(&serde_json::to_string(&snap).unwrap()).unwrap();
    assert_eq!(back, snap);
    let origin: GrantOrigin = serde_json::from_str(&j(&GrantOrigin::Rule(ENG))).unwrap();
    assert_eq!(origin, GrantOrigin::Rule(ENG));
}

fn j<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap()
}
