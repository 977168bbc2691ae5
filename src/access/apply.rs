//! Building a [`WorkspaceIndex`] from a snapshot and applying the change
//! stream to it.
//!
//! Every change costs O(size of the change) (plus the grants of the subjects
//! and instances it touches), never O(workspace). Replays are safe: adding an
//! existing record again is a no-op (or an in-place update), removing a
//! missing one does nothing, and links to unknown members or groups are
//! ignored.

use std::collections::HashSet;
use std::hash::{BuildHasher, Hash};

use uuid::Uuid;

use super::catalog::{self, ROLES};
use super::index::{normalize_email, Access, GroupRecord, StoredGrant, UuidMap, WorkspaceIndex};
use super::model::{
    Change, Grant, GroupInfo, Member, MemberKind, MemberSource, Product, Scope, Snapshot, Subject,
};

impl WorkspaceIndex {
    /// Builds the index of a complete snapshot.
    pub fn from_snapshot(snapshot: Snapshot) -> Self {
        let mut ix = WorkspaceIndex::new();
        ix.set_products(&snapshot.products);
        ix.users.reserve(snapshot.members.len());
        ix.by_email.reserve(snapshot.members.len());
        for m in snapshot.members {
            ix.upsert_member(m);
        }
        for g in snapshot.groups {
            ix.upsert_group(g);
        }
        for (g, m, source) in snapshot.group_members {
            ix.add_link(g, m, source);
        }
        for r in snapshot.resources {
            ix.upsert_resource(r);
        }
        ix.grants.reserve(snapshot.grants.len());
        for g in snapshot.grants {
            ix.add_grant(g);
        }
        ix.revision = snapshot.revision;
        ix
    }

    /// Applies one change of the stream and sets [`revision`](Self::revision)
    /// to `revision`.
    ///
    /// A change older than the current revision (`revision < self.revision()`)
    /// is already reflected and is skipped (returns `false`): re-applying it
    /// could undo a later change. Changes at the current revision are applied
    /// (several changes may share a revision; applying one twice is harmless).
    pub fn apply(&mut self, revision: i64, change: &Change) -> bool {
        if revision < self.revision {
            return false;
        }
        match change {
            Change::ProductsSet { products } => self.set_products(products),
            Change::MemberUpserted { member } => self.upsert_member(member.clone()),
            Change::MemberRemoved { membership_id } => self.remove_member(*membership_id),
            Change::GroupUpserted { group } => self.upsert_group(group.clone()),
            Change::GroupRemoved { group_id } => self.remove_group(*group_id),
            Change::GroupMembersAdded {
                group_id,
                membership_ids,
                source,
            } => {
                for membership_id in membership_ids {
                    self.add_link(*group_id, *membership_id, *source);
                }
            }
            Change::GroupMembersRemoved {
                group_id,
                membership_ids,
            } => {
                for membership_id in membership_ids {
                    self.remove_link(*group_id, *membership_id);
                }
            }
            Change::ResourceUpserted { resource } => self.upsert_resource(resource.clone()),
            Change::ResourceRemoved { resource } => self.remove_resource(resource),
            Change::GrantAdded { grant } => self.add_grant(grant.clone()),
            Change::GrantRemoved { grant_id } => self.remove_grant(*grant_id),
            // A notice for the feed's readers; nothing in the index changes.
            Change::CertificateExpiring { .. } => {}
        }
        self.revision = revision;
        true
    }

    fn set_products(&mut self, products: &[Product]) {
        let mut p = products.to_vec();
        p.sort_unstable();
        p.dedup();
        self.enabled_roles = catalog::compiled().enabled_roles(&p);
        self.products = p;
    }

    fn upsert_member(&mut self, m: Member) {
        let email = normalize_email(&m.email);
        let rec = self.users.entry(m.id).or_default();
        match &rec.member {
            Some(old) => {
                let old_email = normalize_email(&old.email);
                if old_email != email && self.by_email.get(&old_email) == Some(&m.id) {
                    self.by_email.remove(&old_email);
                }
            }
            None => self.member_count += 1,
        }
        self.by_email.insert(email, m.id);
        if m.kind == MemberKind::Owner {
            self.owners.insert(m.id);
        } else {
            self.owners.remove(&m.id);
        }
        rec.member = Some(m);
    }

    fn remove_member(&mut self, id: Uuid) {
        let Some(rec) = self.users.remove(&id) else {
            return;
        };
        if let Some(m) = rec.member {
            self.member_count -= 1;
            let email = normalize_email(&m.email);
            if self.by_email.get(&email) == Some(&id) {
                self.by_email.remove(&email);
            }
            self.owners.remove(&id);
        }
        for &g in rec.groups.as_slice() {
            self.groups[g as usize].members.remove(&id);
            self.free_group_if_empty(g);
        }
        sync(&mut self.user_roles, id, rec.access.all, 0);
        self.forget_grants(&rec.access.grants);
    }

    fn upsert_group(&mut self, info: GroupInfo) {
        let g = self.group_index(info.id);
        self.groups[g as usize].info = Some(info);
    }

    fn remove_group(&mut self, id: Uuid) {
        let Some(&g) = self.group_ids.get(&id) else {
            return;
        };
        let rec = std::mem::take(&mut self.groups[g as usize]);
        for m in rec.members.keys() {
            if let Some(user) = self.users.get_mut(m) {
                user.groups.remove(g);
            }
        }
        sync(&mut self.group_roles, g, rec.access.all, 0);
        self.forget_grants(&rec.access.grants);
        self.group_ids.remove(&id);
        self.free_groups.push(g);
    }

    fn add_link(&mut self, group_id: Uuid, membership_id: Uuid, source: MemberSource) {
        let Some(&g) = self.group_ids.get(&group_id) else {
            return;
        };
        let group = &mut self.groups[g as usize];
        let user = self.users.get_mut(&membership_id);
        let (Some(_), Some(user)) = (&group.info, user.filter(|u| u.member.is_some())) else {
            return;
        };
        if group.members.insert(membership_id, source).is_none() {
            user.groups.push(g);
        }
    }

    fn remove_link(&mut self, group_id: Uuid, membership_id: Uuid) {
        let Some(&g) = self.group_ids.get(&group_id) else {
            return;
        };
        if self.groups[g as usize]
            .members
            .remove(&membership_id)
            .is_some()
        {
            if let Some(user) = self.users.get_mut(&membership_id) {
                user.groups.remove(g);
            }
            self.free_group_if_empty(g);
        }
    }

    /// Dense index of a group, allocating a record if needed.
    fn group_index(&mut self, id: Uuid) -> u32 {
        if let Some(&g) = self.group_ids.get(&id) {
            return g;
        }
        let rec = GroupRecord {
            id,
            ..GroupRecord::default()
        };
        let g = match self.free_groups.pop() {
            Some(g) => {
                self.groups[g as usize] = rec;
                g
            }
            None => {
                self.groups.push(rec);
                u32::try_from(self.groups.len() - 1).expect("fewer than 2^32 groups")
            }
        };
        self.group_ids.insert(id, g);
        g
    }

    /// Frees the record of a group that is neither upserted, linked nor granted.
    fn free_group_if_empty(&mut self, g: u32) {
        let rec = &mut self.groups[g as usize];
        if rec.is_empty() && self.group_ids.remove(&rec.id).is_some() {
            *rec = GroupRecord::default();
            self.free_groups.push(g);
        }
    }

    fn add_grant(&mut self, grant: Grant) {
        if let Some(old) = self.grants.get(&grant.id) {
            if old.grant == grant {
                return;
            }
            self.remove_grant(grant.id);
        }
        let role = catalog::compiled().role_index(&grant.role);
        let slot = match (&grant.scope, role) {
            (Scope::Instance(r), Some(i))
                if ROLES[i].instance_scope == Some(r.resource_type.as_str()) =>
            {
                Some(self.intern_slot(&r.resource_type, &r.id))
            }
            _ => None,
        };
        let stored = StoredGrant {
            effective: role.is_some() && (grant.scope == Scope::All || slot.is_some()),
            grant,
            role,
            slot,
        };
        let id = stored.grant.id;
        if let Some(s) = slot {
            self.slots[s as usize].grants.push(id);
        }
        match stored.grant.subject {
            Subject::User(u) => {
                let access = &mut self.users.entry(u).or_default().access;
                let old = access.all;
                access.grants.push(id);
                fold_grant(access, &stored);
                sync(&mut self.user_roles, u, old, access.all);
            }
            Subject::Group(g) => {
                let g = self.group_index(g);
                let access = &mut self.groups[g as usize].access;
                let old = access.all;
                access.grants.push(id);
                fold_grant(access, &stored);
                sync(&mut self.group_roles, g, old, access.all);
            }
        }
        self.grants.insert(id, stored);
    }

    /// Removes a grant (no-op if unknown) and recomputes its subject's masks.
    pub(crate) fn remove_grant(&mut self, id: Uuid) {
        let Some(stored) = self.grants.remove(&id) else {
            return;
        };
        if let Some(s) = stored.slot {
            self.slots[s as usize].grants.retain(|g| *g != id);
        }
        match stored.grant.subject {
            Subject::User(u) => {
                let Some(rec) = self.users.get_mut(&u) else {
                    return;
                };
                let (old, new) = unfold_grant(&mut rec.access, id, &self.grants);
                sync(&mut self.user_roles, u, old, new);
                if rec.is_empty() {
                    self.users.remove(&u);
                }
            }
            Subject::Group(g) => {
                let Some(&g) = self.group_ids.get(&g) else {
                    return;
                };
                let access = &mut self.groups[g as usize].access;
                let (old, new) = unfold_grant(access, id, &self.grants);
                sync(&mut self.group_roles, g, old, new);
                self.free_group_if_empty(g);
            }
        }
    }

    /// Drops grants of a subject that has already been removed.
    fn forget_grants(&mut self, ids: &[Uuid]) {
        for id in ids {
            if let Some(stored) = self.grants.remove(id) {
                if let Some(s) = stored.slot {
                    self.slots[s as usize].grants.retain(|g| g != id);
                }
            }
        }
    }
}

/// Keeps the "holders of role on all" sets in step with a change of a
/// subject's `all` mask.
fn sync<K, S>(sets: &mut [HashSet<K, S>], key: K, old: u64, new: u64)
where
    K: Copy + Eq + Hash,
    S: BuildHasher,
{
    let mut added = new & !old;
    while added != 0 {
        sets[added.trailing_zeros() as usize].insert(key);
        added &= added - 1;
    }
    let mut removed = old & !new;
    while removed != 0 {
        sets[removed.trailing_zeros() as usize].remove(&key);
        removed &= removed - 1;
    }
}

/// ORs an effective grant into a subject's masks.
fn fold_grant(access: &mut Access, g: &StoredGrant) {
    let (true, Some(role)) = (g.effective, g.role) else {
        return;
    };
    let bit = 1u64 << role;
    match g.slot {
        None => access.all |= bit,
        Some(s) => match access.instances.binary_search_by_key(&s, |e| e.0) {
            Ok(i) => access.instances[i].1 |= bit,
            Err(i) => access.instances.insert(i, (s, bit)),
        },
    }
}

/// Removes a grant from a subject and recomputes its masks from the grants
/// left (another grant may give the same role). Returns the old and new
/// `all` masks.
fn unfold_grant(access: &mut Access, id: Uuid, grants: &UuidMap<StoredGrant>) -> (u64, u64) {
    let old = access.all;
    access.grants.retain(|g| *g != id);
    access.all = 0;
    access.instances.clear();
    let ids = std::mem::take(&mut access.grants);
    for g in ids.iter().filter_map(|id| grants.get(id)) {
        fold_grant(access, g);
    }
    access.grants = ids;
    (old, access.all)
}
