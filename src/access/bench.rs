//! Manual timing of a large workspace (100k members, 1k groups, 10k
//! resources, ~300k grants). Ignored by default; run with
//! `cargo test --release -- --ignored --nocapture`.

use std::hint::black_box;
use std::time::Instant;

use uuid::Uuid;

use super::model::*;
use super::WorkspaceIndex;

/// Small deterministic xorshift generator (no dependency needed).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const MEMBERS: usize = 100_000;
const GROUPS: usize = 1_000;
const SOURCES: usize = 5_000;
const DESTINATIONS: usize = 4_000;
const WAREHOUSES: usize = 1_000;

fn uid(kind: u128, n: usize) -> Uuid {
    // Spread ids like random v4 UUIDs would be.
    Uuid::from_u128(
        (kind << 120) ^ (n as u128).wrapping_mul(0x9E37_79B9_7F4A_7C15_F39C_C060_5CED_C835),
    )
}

/// Builds a snapshot of the size the hot path is designed for.
pub(super) fn big_snapshot() -> Snapshot {
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let members = (0..MEMBERS)
        .map(|i| Member {
            id: uid(1, i),
            email: format!("user{i}@example.com"),
            kind: if i % 1000 == 0 {
                MemberKind::Owner
            } else {
                MemberKind::Member
            },
            active: i % 50 != 1,
            awaiting_consent: false,
        })
        .collect();
    let groups = (0..GROUPS)
        .map(|i| GroupInfo {
            id: uid(3, i),
            display_name: format!("group {i}"),
            external_id: None,
        })
        .collect();
    let group_members = (0..MEMBERS * 2)
        .map(|i| (uid(3, rng.below(GROUPS)), uid(1, i / 2), MemberSource::Scim))
        .collect();
    let src = |i: usize| format!("src-{i}");
    let mut resources: Vec<Resource> = (0..SOURCES)
        .map(|i| Resource {
            resource_type: "source".into(),
            id: src(i),
            name: src(i),
            parent: None,
        })
        .collect();
    resources.extend((0..DESTINATIONS).map(|i| Resource {
        resource_type: "destination".into(),
        id: format!("dst-{i}"),
        name: format!("dst-{i}"),
        parent: Some(ResourceRef::new("source", src(i % SOURCES))),
    }));
    resources.extend((0..WAREHOUSES).map(|i| Resource {
        resource_type: "warehouse".into(),
        id: format!("wh-{i}"),
        name: format!("wh-{i}"),
        parent: None,
    }));
    let all_roles = [
        "warehouse.read",
        "protocols.read",
        "personas.user",
        "warehouse.admin",
    ];
    let mut grants = Vec::with_capacity(300_000);
    for i in 0..300_000 {
        let subject = if i % 100 == 0 {
            Subject::Group(uid(3, rng.below(GROUPS)))
        } else {
            Subject::User(uid(1, rng.below(MEMBERS)))
        };
        let (role, scope) = if i % 3 == 0 {
            (all_roles[rng.below(all_roles.len())], Scope::All)
        } else {
            let role = if i % 2 == 0 {
                "source.admin"
            } else {
                "source.read"
            };
            (
                role,
                Scope::Instance(ResourceRef::new("source", src(rng.below(SOURCES)))),
            )
        };
        grants.push(Grant {
            id: uid(4, i),
            subject,
            role: role.into(),
            scope,
            origin: GrantOrigin::Manual,
        });
    }
    Snapshot {
        revision: 1,
        products: Product::ALL.to_vec(),
        members,
        groups,
        group_members,
        resources,
        grants,
    }
}

#[test]
#[ignore = "manual timing: cargo test --release -- --ignored --nocapture"]
fn time_big_workspace() {
    let snap = big_snapshot();
    let t = Instant::now();
    let mut ix = WorkspaceIndex::from_snapshot(snap);
    println!("from_snapshot: {:?}", t.elapsed());

    let mut rng = Rng(42);
    let actions = [
        "source.update",
        "destination.read",
        "warehouse.update",
        "source.create",
        "workspace.sign_in",
        "audience.create",
    ];
    let queries: Vec<(Uuid, &str, ResourceRef)> = (0..100_000)
        .map(|_| {
            let a = actions[rng.below(actions.len())];
            let res = match a.split_once('.').unwrap().0 {
                "source" => ResourceRef::new("source", format!("src-{}", rng.below(SOURCES))),
                "destination" => {
                    ResourceRef::new("destination", format!("dst-{}", rng.below(DESTINATIONS)))
                }
                "warehouse" => {
                    ResourceRef::new("warehouse", format!("wh-{}", rng.below(WAREHOUSES)))
                }
                t => ResourceRef::new(t, ""),
            };
            (uid(1, rng.below(MEMBERS)), a, res)
        })
        .collect();
    let rounds = 20;
    let t = Instant::now();
    let mut allowed = 0usize;
    for _ in 0..rounds {
        for (m, a, res) in &queries {
            allowed += black_box(ix.check(black_box(*m), a, res)) as usize;
        }
    }
    let n = rounds * queries.len();
    println!(
        "check: {:.0} ns/check ({allowed} of {n} allowed)",
        t.elapsed().as_nanos() as f64 / n as f64
    );

    // Same mix, but only 1,000 distinct members (warm caches).
    let t = Instant::now();
    for _ in 0..rounds {
        for (i, (_, a, res)) in queries.iter().enumerate() {
            let m = uid(1, i % 1000 * 97);
            black_box(ix.check(black_box(m), a, res));
        }
    }
    println!(
        "check (1k hot members): {:.0} ns/check",
        t.elapsed().as_nanos() as f64 / n as f64
    );

    let t = Instant::now();
    for (m, a, res) in queries.iter().take(10_000) {
        black_box(ix.explain(*m, a, res));
    }
    println!(
        "explain: {:.0} ns/call",
        t.elapsed().as_nanos() as f64 / 10_000.0
    );

    let t = Instant::now();
    let subjects = ix.list_subjects("source.update", &ResourceRef::new("source", "src-7"));
    println!(
        "list_subjects(source.update): {:?} ({} subjects)",
        t.elapsed(),
        subjects.len()
    );

    let t = Instant::now();
    for i in 0..10_000 {
        let grant = Grant {
            id: uid(5, i),
            subject: Subject::User(uid(1, i)),
            role: "source.admin".into(),
            scope: Scope::Instance(ResourceRef::new("source", "src-1")),
            origin: GrantOrigin::Manual,
        };
        ix.apply(2, &Change::GrantAdded { grant });
        ix.apply(
            2,
            &Change::GrantRemoved {
                grant_id: uid(5, i),
            },
        );
    }
    println!(
        "apply(grant add+remove): {:.0} ns/pair",
        t.elapsed().as_nanos() as f64 / 10_000.0
    );
}
