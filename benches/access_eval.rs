//! In-process micro-benchmark of the access hot path (`WorkspaceIndex::check`)
//! on a workspace of the shape seeded by `conformance/bench/seed.sql`:
//! 100,000 members (10 owners) plus one heavy member, 1,000 groups with ~3
//! groups per member, 10,000 resources (8,000 sources, 2,000 destinations
//! under a source) and ~300,000 grants.
//!
//! No harness and no dependency beyond the crate's own: `std::time::Instant`
//! and `std::hint::black_box`. Run with
//! `cargo bench --bench access_eval` (needs the `[[bench]]` stanza with
//! `harness = false` in Cargo.toml).
//!
//! Prints the median of 3 `WorkspaceIndex::from_snapshot` builds and the
//! median ns/check of 5 rounds of 1,000,000 checks over a pre-generated
//! pseudo-random list (fixed seed, so runs are comparable).

use std::hint::black_box;
use std::time::{Duration, Instant};

use gatehouse::access::{
    Grant, GrantOrigin, GroupInfo, Member, MemberKind, MemberSource, Product, Resource,
    ResourceList, ResourceRef, Scope, Snapshot, Subject, WorkspaceIndex,
};
use uuid::Uuid;

const MEMBERS: u64 = 100_000; // user1..user100000; 1..=10 are owners
const OWNERS: u64 = 10;
const GROUPS: u64 = 1_000;
const SOURCES: u64 = 8_000;
const DESTINATIONS: u64 = 2_000;
const DIRECT_GRANTS: u64 = 243_000;
const GROUP_INSTANCE_GRANTS: u64 = 55; // per group
const HEAVY_GRANTS: u64 = 1_000;
const CHECKS: usize = 1_000_000;
const ROUNDS: usize = 5;
const BUILDS: usize = 3;

/// splitmix64: a deterministic hash of a counter (no `rand` seeding needed).
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A hash of `(salt, n)`.
fn h(salt: u64, n: u64) -> u64 {
    mix(mix(salt) ^ n)
}

/// A random-looking v4 UUID, deterministic in `(kind, n)`.
fn uid(kind: u64, n: u64) -> Uuid {
    let hi = h(kind, n);
    let lo = h(kind ^ 0xA5A5_A5A5, n);
    // Version 4 (bits 76..80) and RFC 4122 variant (bits 62..64), like gen_random_uuid().
    let hi = (hi & !(0xF << 12)) | (0x4 << 12);
    let lo = (lo & !(0x3 << 62)) | (0x2 << 62);
    Uuid::from_u64_pair(hi, lo)
}

fn member_id(n: u64) -> Uuid {
    uid(1, n)
}

fn group_id(g: u64) -> Uuid {
    uid(2, g)
}

fn source(n: u64) -> ResourceRef {
    ResourceRef::new("source", format!("src-{n}"))
}

/// Membership number of heavy@example.com.
const HEAVY: u64 = 0;

fn snapshot() -> Snapshot {
    let mut members: Vec<Member> = (1..=MEMBERS)
        .map(|n| Member {
            id: member_id(n),
            email: format!("user{n}@example.com"),
            kind: if n <= OWNERS {
                MemberKind::Owner
            } else {
                MemberKind::Member
            },
            active: true,
            awaiting_consent: false,
        })
        .collect();
    members.push(Member {
        id: member_id(HEAVY),
        email: "heavy@example.com".into(),
        kind: MemberKind::Member,
        active: true,
        awaiting_consent: false,
    });

    let groups: Vec<GroupInfo> = (1..=GROUPS)
        .map(|g| GroupInfo {
            id: group_id(g),
            display_name: format!("Bench Group {g}"),
            external_id: Some(format!("ext-{g}")),
        })
        .collect();

    // Three distinct groups per member (owners and heavy are in none).
    let mut group_members = Vec::with_capacity(3 * MEMBERS as usize);
    for n in OWNERS + 1..=MEMBERS {
        let g1 = h(10, n) % GROUPS;
        let offsets = [0, 1 + h(11, n) % 333, 334 + h(12, n) % 333];
        for (k, off) in offsets.into_iter().enumerate() {
            let source = match k {
                2 => MemberSource::Saml,
                _ if n % 97 == 0 => MemberSource::Manual,
                _ => MemberSource::Scim,
            };
            group_members.push((group_id(1 + (g1 + off) % GROUPS), member_id(n), source));
        }
    }

    let mut resources: Vec<Resource> = (1..=SOURCES)
        .map(|n| Resource {
            resource_type: "source".into(),
            id: format!("src-{n}"),
            name: format!("Source {n}"),
            parent: None,
        })
        .collect();
    resources.extend((1..=DESTINATIONS).map(|n| Resource {
        resource_type: "destination".into(),
        id: format!("dst-{n}"),
        name: format!("Destination {n}"),
        parent: Some(source(1 + h(20, n) % SOURCES)),
    }));

    let mut grants = Vec::with_capacity(301_000);
    let mut next_grant = 0u64;
    let mut grant = |subject: Subject, role: &str, scope: Scope, origin: GrantOrigin| {
        next_grant += 1;
        Grant {
            id: uid(4, next_grant),
            subject,
            role: role.into(),
            scope,
            origin,
        }
    };
    // Direct instance grants: members 11..=100000 get 2 or 3 distinct sources.
    let span = MEMBERS - OWNERS;
    for i in 0..DIRECT_GRANTS {
        let n = OWNERS + 1 + i % span;
        let k = i / span;
        let role = if h(30, i) % 4 == 0 {
            "source.admin"
        } else {
            "source.read"
        };
        let src = 1 + (h(31, n) + k * 2671) % SOURCES;
        grants.push(grant(
            Subject::User(member_id(n)),
            role,
            Scope::Instance(source(src)),
            GrantOrigin::Manual,
        ));
    }
    let all_roles = [
        "warehouse.read",
        "warehouse.admin",
        "protocols.read",
        "protocols.admin",
        "personas.read",
        "personas.user",
        "personas.admin",
    ];
    for g in 1..=GROUPS {
        let subject = Subject::Group(group_id(g));
        // One non-source role on all per group; source roles on all for a few.
        let role = all_roles[(h(40, g) % all_roles.len() as u64) as usize];
        grants.push(grant(subject, role, Scope::All, GrantOrigin::Scim));
        if g % 20 == 0 {
            grants.push(grant(
                subject,
                "source.read",
                Scope::All,
                GrantOrigin::Manual,
            ));
        }
        if g % 50 == 0 {
            grants.push(grant(
                subject,
                "source.admin",
                Scope::All,
                GrantOrigin::Manual,
            ));
        }
        // 55 distinct sources per group.
        for j in 0..GROUP_INSTANCE_GRANTS {
            let role = if j % 5 == 0 {
                "source.admin"
            } else {
                "source.read"
            };
            let src = 1 + (h(41, g) + j * 145) % SOURCES;
            grants.push(grant(
                subject,
                role,
                Scope::Instance(source(src)),
                GrantOrigin::Manual,
            ));
        }
    }
    for j in 0..HEAVY_GRANTS {
        grants.push(grant(
            Subject::User(member_id(HEAVY)),
            "source.read",
            Scope::Instance(source(1 + j * 8)),
            GrantOrigin::Manual,
        ));
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

/// Pre-generated `(membership id, action, resource)` checks.
fn queries() -> Vec<(Uuid, &'static str, ResourceRef)> {
    // Weighted like the HTTP benchmark: mostly source and destination checks.
    let actions: [(&str, &str); 8] = [
        ("source.read", "source"),
        ("source.update", "source"),
        ("source.read", "source"),
        ("source.delete", "source"),
        ("destination.read", "destination"),
        ("destination.update", "destination"),
        ("warehouse.read", "warehouse"),
        ("tracking_plan.read", "tracking_plan"),
    ];
    (0..CHECKS as u64)
        .map(|i| {
            let r = h(50, i);
            let member = if r % 1000 == 0 {
                HEAVY
            } else {
                1 + h(51, i) % MEMBERS
            };
            let (action, ty) = actions[(r >> 20) as usize % actions.len()];
            let res = match ty {
                "source" => source(1 + h(52, i) % SOURCES),
                "destination" => ResourceRef::new(
                    "destination",
                    format!("dst-{}", 1 + h(52, i) % DESTINATIONS),
                ),
                t => ResourceRef::new(t, format!("{t}-{}", 1 + h(52, i) % 100)),
            };
            (member_id(member), action, res)
        })
        .collect()
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort_unstable();
    v[v.len() / 2]
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` does not, and then a
    // smoke run is enough.
    let full = std::env::args().any(|a| a == "--bench");
    let t = Instant::now();
    let snap = snapshot();
    let shape = (
        snap.members.len(),
        snap.groups.len(),
        snap.group_members.len(),
        snap.resources.len(),
        snap.grants.len(),
    );
    println!(
        "snapshot: {} members, {} groups, {} group links, {} resources, {} grants (generated in {:.2?})",
        shape.0,
        shape.1,
        shape.2,
        shape.3,
        shape.4,
        t.elapsed()
    );

    let builds = if full { BUILDS } else { 1 };
    let mut build_times = Vec::with_capacity(builds);
    let mut index = None;
    for _ in 0..builds {
        let copy = snap.clone();
        let t = Instant::now();
        let ix = black_box(WorkspaceIndex::from_snapshot(copy));
        build_times.push(t.elapsed());
        // Drop the previous index outside the timed region.
        index = Some(ix);
    }
    drop(snap);
    let index = index.expect("built at least once");
    println!(
        "from_snapshot: median {:.1} ms of {builds} builds",
        median(build_times).as_secs_f64() * 1e3
    );

    let qs = queries();
    let (checks, rounds) = if full {
        (qs.len(), ROUNDS)
    } else {
        (10_000, 1)
    };
    let qs = &qs[..checks];
    let mut round_times = Vec::with_capacity(rounds);
    let mut allowed = 0usize;
    for _ in 0..rounds {
        allowed = 0;
        let t = Instant::now();
        for (m, action, res) in qs {
            allowed +=
                black_box(index.check(black_box(*m), black_box(action), black_box(res))) as usize;
        }
        round_times.push(t.elapsed());
    }
    let per_round: Vec<String> = round_times
        .iter()
        .map(|d| format!("{:.1}", d.as_nanos() as f64 / checks as f64))
        .collect();
    let med = median(round_times);
    println!(
        "check: median {:.1} ns/check over {rounds} rounds of {checks} checks ({:.2} M checks/s on one thread; rounds: {} ns; {allowed} of {checks} allowed)",
        med.as_nanos() as f64 / checks as f64,
        checks as f64 / med.as_secs_f64() / 1e6,
        per_round.join(", "),
    );

    // The heavy member's resource list (1,000 instance grants).
    let heavy = member_id(HEAVY);
    let reps = if full { 101 } else { 3 };
    let mut list_times = Vec::with_capacity(reps);
    let mut count = 0;
    for _ in 0..reps {
        let t = Instant::now();
        let list = black_box(index.list_resources(black_box(heavy), "source.read", "source"));
        list_times.push(t.elapsed());
        count = match list {
            ResourceList::All => usize::MAX,
            ResourceList::Ids(ids) => ids.len(),
        };
    }
    println!(
        "list_resources(heavy, source.read, source): median {:.1} µs of {reps} ({count} ids)",
        median(list_times).as_secs_f64() * 1e6
    );
}
