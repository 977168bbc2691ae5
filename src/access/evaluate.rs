//! Evaluation of the index: `check` (the hot path), `explain`,
//! `list_resources`, `list_subjects` and `permissions`.
//!
//! Rules (see the role catalog for what each role allows):
//! - unknown action: denied for everyone, owners included;
//! - unknown, inactive or not yet accepted membership: denied (not even sign-in);
//! - every active membership may `workspace.sign_in`; active owners may do
//!   every catalog action;
//! - otherwise the union of the member's direct grants and of the grants of
//!   every group it belongs to, ignoring roles whose product is disabled;
//! - `<type>.create` is only allowed by grants with scope `all`;
//! - an instance grant allows the instance it names, and the registered
//!   children of it (a destination inherits from its parent source). It only
//!   applies when the checked resource is named with the action's resource
//!   type and both instances are registered; `all` grants apply to any
//!   resource.

use uuid::Uuid;

use super::catalog::{self, ActionInfo, MEMBERSHIP_ROLE, OWNER_ROLE, ROLES};
use super::index::{Access, UserRecord, WorkspaceIndex};
use super::model::{Member, MemberKind, ResourceRef, Scope, Subject};
use super::outcome::{DenyReason, EffectiveRole, Explanation, ResourceList, Through, Via};

impl WorkspaceIndex {
    /// Whether `membership_id` may do `action` on `resource` (whose id may be
    /// empty for a create check). Allocation-free.
    pub fn check(&self, membership_id: Uuid, action: &str, resource: &ResourceRef) -> bool {
        let cat = catalog::compiled();
        let Some(a) = cat.action_id(action).map(|i| &cat.actions[i]) else {
            return false;
        };
        let Some(rec) = self.users.get(&membership_id) else {
            return false;
        };
        let Some(member) = rec.member.as_ref().filter(|m| m.confers_access()) else {
            return false;
        };
        if a.membership || member.kind == MemberKind::Owner {
            return true;
        }
        let roles = a.roles & self.enabled_roles;
        if roles == 0 {
            return false;
        }
        let groups = rec
            .groups
            .as_slice()
            .iter()
            .map(|g| &self.groups[*g as usize].access);
        if rec.access.all & roles != 0 || groups.clone().any(|x| x.all & roles != 0) {
            return true;
        }
        let targets = self.targets(a, resource);
        if targets[0].is_none() {
            return false;
        }
        std::iter::once(&rec.access)
            .chain(groups)
            .any(|x| targets.iter().flatten().any(|s| x.on(*s) & roles != 0))
    }

    /// Like [`check`](Self::check), with the reason for a denial and every
    /// ownership, membership or grant that allows the action.
    pub fn explain(
        &self,
        membership_id: Uuid,
        action: &str,
        resource: &ResourceRef,
    ) -> Explanation {
        let cat = catalog::compiled();
        let Some(a) = cat.action_id(action).map(|i| &cat.actions[i]) else {
            return Explanation::denied(DenyReason::UnknownAction);
        };
        let Some((rec, member)) = self.record(membership_id) else {
            return Explanation::denied(DenyReason::NotAMember);
        };
        if member.awaiting_consent {
            return Explanation::denied(DenyReason::AwaitingConsent);
        }
        if !member.active {
            return Explanation::denied(DenyReason::Inactive);
        }
        let mut via = Vec::new();
        if a.membership {
            via.push(implicit(MEMBERSHIP_ROLE, Through::Membership));
        } else if member.kind == MemberKind::Owner {
            via.push(implicit(OWNER_ROLE, Through::Ownership));
        }
        let targets = self.targets(a, resource);
        let (mut product_blocked, mut create_blocked) = (false, false);
        for (through, access) in self.subjects_of(rec) {
            for g in access.grants.iter().filter_map(|id| self.grants.get(id)) {
                let (true, Some(role)) = (g.effective, g.role) else {
                    continue;
                };
                let bit = 1u64 << role;
                if a.roles & bit == 0 {
                    continue;
                }
                let enabled = self.enabled_roles & bit != 0;
                let in_scope = g.slot.is_none() || targets.contains(&g.slot);
                if !in_scope {
                    create_blocked |= a.create && enabled;
                } else if !enabled {
                    product_blocked = true;
                } else {
                    via.push(Via {
                        grant_id: Some(g.grant.id),
                        role: g.grant.role.clone(),
                        scope: g.grant.scope.clone(),
                        through: through.clone(),
                        origin: Some(g.grant.origin),
                    });
                }
            }
        }
        via.sort_by(|x, y| {
            (x.through.rank(), &x.role, x.grant_id).cmp(&(y.through.rank(), &y.role, y.grant_id))
        });
        let reason = if !via.is_empty() {
            None
        } else {
            let grantable = a.roles & !cat.owner_bit;
            Some(
                if product_blocked || (grantable != 0 && grantable & self.enabled_roles == 0) {
                    DenyReason::ProductDisabled
                } else if create_blocked {
                    DenyReason::CreateNeedsAllScope
                } else {
                    DenyReason::NoMatchingGrant
                },
            )
        };
        Explanation {
            allowed: reason.is_none(),
            reason,
            via,
        }
    }

    /// Instances of `resource_type` on which `membership_id` may do `action`:
    /// `All` when an `all` grant (or ownership) applies, else the sorted ids
    /// of the registered instances (for destinations: those whose parent
    /// source is allowed). Denied members get `Ids([])`.
    pub fn list_resources(
        &self,
        membership_id: Uuid,
        action: &str,
        resource_type: &str,
    ) -> ResourceList {
        let none = ResourceList::Ids(Vec::new());
        let cat = catalog::compiled();
        let Some(a) = cat.action_id(action).map(|i| &cat.actions[i]) else {
            return none;
        };
        let Some((rec, member)) = self
            .record(membership_id)
            .filter(|(_, m)| m.confers_access())
        else {
            return none;
        };
        if a.membership || member.kind == MemberKind::Owner {
            return ResourceList::All;
        }
        let roles = a.roles & self.enabled_roles;
        let subjects = self.subjects_of(rec);
        if subjects.iter().any(|(_, x)| x.all & roles != 0) {
            return ResourceList::All;
        }
        if roles == 0 || a.create || cat.types[a.type_id] != resource_type {
            return none;
        }
        let mut ids: Vec<String> = Vec::new();
        for (_, access) in &subjects {
            for &(s, mask) in &access.instances {
                if mask & roles == 0 || !self.registered(s) {
                    continue;
                }
                let slot = &self.slots[s as usize];
                let children = slot.children.iter().map(|c| &self.slots[*c as usize]);
                for x in std::iter::once(slot).chain(children) {
                    if x.type_id == a.type_id && x.resource.is_some() {
                        ids.push(x.id.to_string());
                    }
                }
            }
        }
        ids.sort_unstable();
        ids.dedup();
        ResourceList::Ids(ids)
    }

    /// Active memberships (owners included) that may do `action` on
    /// `resource`, sorted by membership id.
    pub fn list_subjects(&self, action: &str, resource: &ResourceRef) -> Vec<Uuid> {
        let cat = catalog::compiled();
        let Some(a) = cat.action_id(action).map(|i| &cat.actions[i]) else {
            return Vec::new();
        };
        let mut out: Vec<Uuid> = Vec::new();
        if a.membership {
            out.extend(self.members().map(|m| m.id));
        } else {
            out.extend(self.owners.iter().copied());
            let roles = a.roles & self.enabled_roles;
            let mut bits = roles;
            while bits != 0 {
                let role = bits.trailing_zeros() as usize;
                bits &= bits - 1;
                out.extend(self.user_roles[role].iter().copied());
                for g in &self.group_roles[role] {
                    out.extend(self.groups[*g as usize].members.keys().copied());
                }
            }
            for s in self.targets(a, resource).into_iter().flatten() {
                for g in self.slots[s as usize].grants.iter() {
                    let Some(g) = self.grants.get(g) else {
                        continue;
                    };
                    if g.effective && g.role.is_some_and(|r| (1u64 << r) & roles != 0) {
                        match g.grant.subject {
                            Subject::User(u) => out.push(u),
                            Subject::Group(id) => out.extend(
                                self.group_record(id)
                                    .into_iter()
                                    .flat_map(|g| g.members.keys()),
                            ),
                        }
                    }
                }
            }
        }
        out.retain(|m| self.record(*m).is_some_and(|(_, m)| m.confers_access()));
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Roles held by a membership (ownership, direct and group grants) with
    /// their origin; grants of unknown roles or with an invalid scope are
    /// left out. Listed whatever the membership's `active` flag (an inactive
    /// membership can do nothing regardless).
    pub fn permissions(&self, membership_id: Uuid) -> Vec<EffectiveRole> {
        let Some((rec, member)) = self.record(membership_id) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        if member.kind == MemberKind::Owner {
            out.push(EffectiveRole {
                grant_id: None,
                role: OWNER_ROLE.to_owned(),
                scope: Scope::All,
                through: Through::Ownership,
                active_product: true,
            });
        }
        for (through, access) in self.subjects_of(rec) {
            for g in access.grants.iter().filter_map(|id| self.grants.get(id)) {
                let (true, Some(role)) = (g.effective, g.role) else {
                    continue;
                };
                out.push(EffectiveRole {
                    grant_id: Some(g.grant.id),
                    role: ROLES[role].key.to_owned(),
                    scope: g.grant.scope.clone(),
                    through: through.clone(),
                    active_product: self.enabled_roles & (1u64 << role) != 0,
                });
            }
        }
        out.sort_by(|x, y| {
            (x.through.rank(), &x.role, x.grant_id).cmp(&(y.through.rank(), &y.role, y.grant_id))
        });
        out
    }

    /// Instance slots an instance grant must be on to apply: the checked
    /// resource and its parent (both registered). None for creates or when
    /// the resource is not named with the action's resource type.
    #[inline]
    fn targets(&self, a: &ActionInfo, resource: &ResourceRef) -> [Option<u32>; 2] {
        if a.create || catalog::compiled().types[a.type_id] != resource.resource_type {
            return [None, None];
        }
        let Some(&s) = self.instances[a.type_id].get(resource.id.as_str()) else {
            return [None, None];
        };
        let slot = &self.slots[s as usize];
        if slot.resource.is_none() {
            return [None, None];
        }
        [Some(s), slot.parent.filter(|p| self.registered(*p))]
    }

    /// The record and membership of a membership id.
    #[inline]
    fn record(&self, membership_id: Uuid) -> Option<(&UserRecord, &Member)> {
        let rec = self.users.get(&membership_id)?;
        Some((rec, rec.member.as_ref()?))
    }

    /// The direct access and the access of every group of a membership.
    fn subjects_of<'a>(&'a self, rec: &'a UserRecord) -> Vec<(Through, &'a Access)> {
        let mut out = Vec::with_capacity(rec.groups.as_slice().len() + 1);
        out.push((Through::Direct, &rec.access));
        for g in rec.groups.as_slice() {
            let g = &self.groups[*g as usize];
            let display_name = g.info.as_ref().map(|i| i.display_name.clone());
            let through = Through::Group {
                id: g.id,
                display_name: display_name.unwrap_or_default(),
            };
            out.push((through, &g.access));
        }
        out
    }
}

fn implicit(role: &str, through: Through) -> Via {
    Via {
        grant_id: None,
        role: role.to_owned(),
        scope: Scope::All,
        through,
        origin: None,
    }
}
