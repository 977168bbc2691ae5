//! Resource registry of the index: instances are interned into `u32` slots
//! (per resource type, a map from id to slot); a slot records whether the
//! instance is registered, its parent, its registered children and the
//! instance grants on it. Slots are never freed (an unregistered slot costs
//! a few bytes), so indices held by grants and children stay valid.

use super::index::{Slot, WorkspaceIndex};
use super::model::{Resource, ResourceRef};

impl WorkspaceIndex {
    /// Registers or updates a resource and its parent link.
    pub(crate) fn upsert_resource(&mut self, r: Resource) {
        let s = self.intern_slot(&r.resource_type, &r.id);
        let parent = r
            .parent
            .as_ref()
            .map(|p| self.intern_slot(&p.resource_type, &p.id));
        let slot = &self.slots[s as usize];
        let (was_registered, old_parent) = (slot.resource.is_some(), slot.parent);
        if was_registered && old_parent != parent {
            self.unlink_child(s);
        }
        if !was_registered || old_parent != parent {
            if let Some(p) = parent {
                self.slots[p as usize].children.push(s);
            }
        }
        let slot = &mut self.slots[s as usize];
        slot.parent = parent;
        slot.resource = Some(r);
    }

    /// Unregisters a resource and drops the instance grants on it.
    pub(crate) fn remove_resource(&mut self, r: &ResourceRef) {
        let Some(s) = self.slot_of(&r.resource_type, &r.id) else {
            return;
        };
        if self.registered(s) {
            self.unlink_child(s);
        }
        let slot = &mut self.slots[s as usize];
        slot.resource = None;
        slot.parent = None;
        for id in std::mem::take(&mut slot.grants) {
            self.remove_grant(id);
        }
    }

    /// Removes a registered slot from its parent's children.
    fn unlink_child(&mut self, s: u32) {
        if let Some(p) = self.slots[s as usize].parent {
            self.slots[p as usize].children.retain(|c| *c != s);
        }
    }

    /// Slot of an instance, interning it (unregistered) if needed.
    pub(crate) fn intern_slot(&mut self, resource_type: &str, id: &str) -> u32 {
        if let Some(s) = self.slot_of(resource_type, id) {
            return s;
        }
        let type_id = match self.type_ids.get(resource_type) {
            Some(t) => *t,
            None => {
                self.instances.push(Default::default());
                let t = self.instances.len() - 1;
                self.type_ids.insert(resource_type.into(), t);
                t
            }
        };
        let s = u32::try_from(self.slots.len()).expect("fewer than 2^32 resource instances");
        self.slots.push(Slot {
            type_id,
            id: id.into(),
            resource: None,
            parent: None,
            children: Vec::new(),
            grants: Vec::new(),
        });
        self.instances[type_id].insert(id.into(), s);
        s
    }
}
