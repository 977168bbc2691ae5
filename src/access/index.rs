//! `WorkspaceIndex`: the in-memory, query-optimised state of one workspace.
//!
//! The index is built from a [`Snapshot`](super::model::Snapshot) and kept
//! current by applying [`Change`](super::model::Change)s (see `apply.rs`).
//! This file holds the layout and the read accessors; evaluation lives in
//! `evaluate.rs`.
//!
//! Layout, chosen for the check hot path:
//! - one record per membership id: the member, its groups (dense group
//!   indices, inline up to four) and its direct grants;
//! - dense group records (members and grants);
//! - per subject (membership or group) an [`Access`]: the bitmask of roles
//!   held on `all`, and a sorted list of `(instance slot, role mask)`;
//! - resource instances interned into `u32` slots (per resource type a map
//!   from id to slot), each slot knowing its parent and children;
//! - inverted sets (holders of each role on `all`, grants per slot, owners)
//!   for `list_subjects`.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

use uuid::Uuid;

use super::catalog;
use super::model::{
    Grant, GroupInfo, Member, MemberKey, MemberSource, Product, Resource, ResourceRef, Subject,
};

/// Cheap unkeyed hasher for server-generated UUIDs (already random) and the
/// fixed catalog names. Not used for keys chosen by other services.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct IdHasher(u64);

impl IdHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Hasher for IdHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut buf = [0u8; 8];
            buf[..chunk.len()].copy_from_slice(chunk);
            self.add(u64::from_le_bytes(buf));
        }
    }

    #[inline]
    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }

    #[inline]
    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        let h = self.0;
        h ^ (h >> 31)
    }
}

/// Map keyed by a server-generated UUID.
pub(crate) type UuidMap<V> = HashMap<Uuid, V, BuildHasherDefault<IdHasher>>;
/// Set of server-generated UUIDs.
pub(crate) type UuidSet = HashSet<Uuid, BuildHasherDefault<IdHasher>>;
/// Set of dense indices.
pub(crate) type IdxSet = HashSet<u32, BuildHasherDefault<IdHasher>>;

/// Up to four group indices stored inline (most members), more on the heap.
#[derive(Debug, Clone, Default)]
pub(crate) struct GroupList {
    len: u32,
    inline: [u32; 4],
    heap: Vec<u32>,
}

impl GroupList {
    /// The group indices.
    #[inline]
    pub fn as_slice(&self) -> &[u32] {
        match self.len as usize {
            n @ 0..=4 => &self.inline[..n],
            _ => &self.heap,
        }
    }

    /// Adds a group index (the caller ensures it is not present).
    pub fn push(&mut self, g: u32) {
        let n = self.len as usize;
        if n < 4 {
            self.inline[n] = g;
        } else {
            if n == 4 {
                self.heap = self.inline.to_vec();
            }
            self.heap.push(g);
        }
        self.len += 1;
    }

    /// Removes a group index if present.
    pub fn remove(&mut self, g: u32) {
        if !self.as_slice().contains(&g) {
            return;
        }
        let rest: Vec<u32> = self
            .as_slice()
            .iter()
            .copied()
            .filter(|x| *x != g)
            .collect();
        *self = GroupList::default();
        for x in rest {
            self.push(x);
        }
    }
}

/// Everything about one membership id: the membership (if it exists), its
/// groups and its direct grants, kept together so a check touches one entry.
#[derive(Debug, Clone, Default)]
pub(crate) struct UserRecord {
    pub member: Option<Member>,
    pub groups: GroupList,
    pub access: Access,
}

impl UserRecord {
    pub fn is_empty(&self) -> bool {
        self.member.is_none() && self.access.grants.is_empty() && self.groups.len == 0
    }
}

/// A group (if upserted), its members and its grants, at a dense index.
#[derive(Debug, Clone, Default)]
pub(crate) struct GroupRecord {
    pub id: Uuid,
    pub info: Option<GroupInfo>,
    pub members: UuidMap<MemberSource>,
    pub access: Access,
}

impl GroupRecord {
    pub fn is_empty(&self) -> bool {
        self.info.is_none() && self.members.is_empty() && self.access.grants.is_empty()
    }
}

/// Compiled grants of one subject.
#[derive(Debug, Clone, Default)]
pub(crate) struct Access {
    /// Roles held with scope `all` (bit = catalog row).
    pub all: u64,
    /// `(slot, roles)` held on single instances, sorted by slot.
    pub instances: Vec<(u32, u64)>,
    /// Ids of every grant of the subject (effective or not).
    pub grants: Vec<Uuid>,
}

impl Access {
    /// Role mask held on `slot`.
    #[inline]
    pub fn on(&self, slot: u32) -> u64 {
        match self.instances.binary_search_by_key(&slot, |e| e.0) {
            Ok(i) => self.instances[i].1,
            Err(_) => 0,
        }
    }
}

/// A grant with its compiled form.
#[derive(Debug, Clone)]
pub(crate) struct StoredGrant {
    pub grant: Grant,
    /// Catalog row of the role, if known.
    pub role: Option<usize>,
    /// Interned instance for an instance grant of matching scope type.
    pub slot: Option<u32>,
    /// Whether the grant confers anything (known role, valid scope).
    pub effective: bool,
}

/// An interned resource instance (registered or merely referenced).
#[derive(Debug, Clone)]
pub(crate) struct Slot {
    pub type_id: usize,
    pub id: Box<str>,
    /// `Some` while registered.
    pub resource: Option<Resource>,
    pub parent: Option<u32>,
    /// Registered instances whose parent is this one.
    pub children: Vec<u32>,
    /// Instance grants on this instance.
    pub grants: Vec<Uuid>,
}

/// In-memory authorization state of one workspace. See the module docs.
#[derive(Debug, Clone)]
pub struct WorkspaceIndex {
    pub(crate) revision: i64,
    pub(crate) products: Vec<Product>,
    pub(crate) enabled_roles: u64,
    /// Records by membership id (members, and subjects of orphan grants).
    pub(crate) users: UuidMap<UserRecord>,
    pub(crate) member_count: usize,
    pub(crate) by_email: HashMap<String, Uuid>,
    pub(crate) owners: UuidSet,
    pub(crate) group_ids: UuidMap<u32>,
    /// Dense group records; freed indices are listed in `free_groups`.
    pub(crate) groups: Vec<GroupRecord>,
    pub(crate) free_groups: Vec<u32>,
    /// For each catalog row, the memberships holding it with scope `all`.
    pub(crate) user_roles: Vec<UuidSet>,
    /// For each catalog row, the group indices holding it with scope `all`.
    pub(crate) group_roles: Vec<IdxSet>,
    pub(crate) grants: UuidMap<StoredGrant>,
    pub(crate) type_ids: HashMap<Box<str>, usize>,
    pub(crate) instances: Vec<HashMap<Box<str>, u32>>,
    pub(crate) slots: Vec<Slot>,
}

impl Default for WorkspaceIndex {
    fn default() -> Self {
        WorkspaceIndex::new()
    }
}

impl WorkspaceIndex {
    /// An empty workspace at revision 0 with no product enabled.
    pub fn new() -> Self {
        let cat = catalog::compiled();
        let n = catalog::roles().len();
        WorkspaceIndex {
            revision: 0,
            products: Vec::new(),
            enabled_roles: cat.enabled_roles(&[]),
            users: UuidMap::default(),
            member_count: 0,
            by_email: HashMap::new(),
            owners: UuidSet::default(),
            group_ids: UuidMap::default(),
            groups: Vec::new(),
            free_groups: Vec::new(),
            user_roles: vec![UuidSet::default(); n],
            group_roles: vec![IdxSet::default(); n],
            grants: UuidMap::default(),
            type_ids: cat
                .types
                .iter()
                .enumerate()
                .map(|(i, t)| (Box::from(*t), i))
                .collect(),
            instances: vec![HashMap::new(); cat.types.len()],
            slots: Vec::new(),
        }
    }

    /// Revision of the last change applied.
    pub fn revision(&self) -> i64 {
        self.revision
    }

    /// Enabled products, sorted.
    pub fn products(&self) -> &[Product] {
        &self.products
    }

    /// Whether `product` is enabled.
    pub fn product_enabled(&self, product: Product) -> bool {
        self.products.contains(&product)
    }

    /// Every membership, in no particular order.
    pub fn members(&self) -> impl Iterator<Item = &Member> + '_ {
        self.users.values().filter_map(|r| r.member.as_ref())
    }

    /// Number of memberships.
    pub fn member_count(&self) -> usize {
        self.member_count
    }

    /// Finds a membership by id or email (case-insensitive).
    pub fn find_member(&self, key: &MemberKey) -> Option<&Member> {
        let by_id = |id: &Uuid| self.users.get(id).and_then(|r| r.member.as_ref());
        match key {
            MemberKey::Membership(id) => by_id(id),
            MemberKey::Email(e) => self.by_email.get(&normalize_email(e)).and_then(by_id),
        }
    }

    /// The group with this id.
    pub fn group(&self, id: Uuid) -> Option<&GroupInfo> {
        self.group_record(id).and_then(|g| g.info.as_ref())
    }

    /// Every group, in no particular order.
    pub fn groups(&self) -> impl Iterator<Item = &GroupInfo> + '_ {
        self.groups.iter().filter_map(|g| g.info.as_ref())
    }

    /// Members of a group with the source of each link, sorted by membership
    /// id (empty for an unknown group).
    pub fn group_members(&self, id: Uuid) -> Vec<(Uuid, MemberSource)> {
        let mut out: Vec<(Uuid, MemberSource)> = self
            .group_record(id)
            .map(|g| g.members.iter().map(|(m, s)| (*m, *s)).collect())
            .unwrap_or_default();
        out.sort_unstable_by_key(|e| e.0);
        out
    }

    /// Groups a membership belongs to, with the source of each link, sorted
    /// by group id.
    pub fn member_groups(&self, membership_id: Uuid) -> Vec<(&GroupInfo, MemberSource)> {
        let mut out: Vec<(&GroupInfo, MemberSource)> = self
            .users
            .get(&membership_id)
            .map(|r| {
                r.groups
                    .as_slice()
                    .iter()
                    .map(|g| &self.groups[*g as usize])
                    .filter_map(|g| Some((g.info.as_ref()?, *g.members.get(&membership_id)?)))
                    .collect()
            })
            .unwrap_or_default();
        out.sort_unstable_by_key(|e| e.0.id);
        out
    }

    /// The registered resource `r`.
    pub fn resource(&self, r: &ResourceRef) -> Option<&Resource> {
        self.slot_of(&r.resource_type, &r.id)
            .and_then(|s| self.slots[s as usize].resource.as_ref())
    }

    /// Every registered resource, in no particular order.
    pub fn resources(&self) -> impl Iterator<Item = &Resource> + '_ {
        self.slots.iter().filter_map(|s| s.resource.as_ref())
    }

    /// The grant with this id.
    pub fn grant(&self, id: Uuid) -> Option<&Grant> {
        self.grants.get(&id).map(|g| &g.grant)
    }

    /// Every grant, in no particular order.
    pub fn grants(&self) -> impl Iterator<Item = &Grant> + '_ {
        self.grants.values().map(|g| &g.grant)
    }

    /// Grants held directly by `subject`, sorted by id.
    pub fn grants_of(&self, subject: Subject) -> Vec<&Grant> {
        let access = match subject {
            Subject::User(u) => self.users.get(&u).map(|r| &r.access),
            Subject::Group(g) => self.group_record(g).map(|r| &r.access),
        };
        let mut out: Vec<&Grant> = access
            .map(|a| a.grants.iter().filter_map(|id| self.grant(*id)).collect())
            .unwrap_or_default();
        out.sort_unstable_by_key(|g| g.id);
        out
    }

    /// Record of a group (upserted or holding grants).
    #[inline]
    pub(crate) fn group_record(&self, id: Uuid) -> Option<&GroupRecord> {
        self.group_ids.get(&id).map(|i| &self.groups[*i as usize])
    }

    /// Slot of an instance, if interned.
    #[inline]
    pub(crate) fn slot_of(&self, resource_type: &str, id: &str) -> Option<u32> {
        let t = *self.type_ids.get(resource_type)?;
        self.instances[t].get(id).copied()
    }

    /// Whether a slot is a registered instance.
    #[inline]
    pub(crate) fn registered(&self, slot: u32) -> bool {
        self.slots[slot as usize].resource.is_some()
    }
}

/// Email as used for the case-insensitive lookup.
pub(crate) fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}
