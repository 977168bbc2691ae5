//! The role catalog, kept as data: one [`RoleDef`] row per role.
//!
//! Adding a role (say `functions.admin`) or making a role instance-scopable is
//! a change to [`ROLES`], never to evaluation code. At first use the table is
//! compiled into interned action ids with one role bitmask per action (the
//! catalog holds at most 64 roles, so a mask is a `u64`).

use std::collections::HashMap;
use std::hash::BuildHasherDefault;
use std::sync::OnceLock;

use serde::Serialize;

use super::index::IdHasher;
use super::model::Product;

/// Map over the fixed catalog names (no inserts after compilation, so a
/// fast unkeyed hash is safe).
type NameMap = HashMap<&'static str, usize, BuildHasherDefault<IdHasher>>;

/// One role of the catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RoleDef {
    /// Stable API key, e.g. `source.admin`.
    pub key: &'static str,
    /// Human readable name.
    pub name: &'static str,
    /// Product the role belongs to; `None` for workspace-level roles.
    pub product: Option<Product>,
    /// Actions the role allows (actions of `includes` are added too).
    pub actions: &'static [&'static str],
    /// Roles whose actions this role also allows (e.g. admin includes read).
    pub includes: &'static [&'static str],
    /// Resource type a grant of this role may be scoped to (`None`: `all` only).
    pub instance_scope: Option<&'static str>,
}

/// Key of the owner role. It is the membership kind `owner`, never a grant
/// (granting it is refused unless `allow_owner_grant`); it allows every action
/// of the catalog plus the actions listed in its row.
pub const OWNER_ROLE: &str = "workspace.owner";

/// Pseudo-role reported by explanations for actions every active membership
/// has without any grant (see [`MEMBERSHIP_ACTIONS`]). Not a catalog role.
pub const MEMBERSHIP_ROLE: &str = "workspace.member";

/// Actions every active membership (owners included) has, without a grant.
pub const MEMBERSHIP_ACTIONS: &[&str] = &["workspace.sign_in"];

/// The verb of actions that create a new instance; such actions are only
/// allowed by grants with scope `all`.
pub const CREATE_VERB: &str = "create";

/// The role table.
pub static ROLES: &[RoleDef] = &[
    RoleDef {
        key: "source.admin",
        name: "Source Admin",
        product: Some(Product::Sources),
        actions: &[
            "source.read",
            "source.update",
            "source.delete",
            "source.create",
            "destination.read",
            "destination.update",
            "destination.delete",
            "destination.create",
        ],
        includes: &["source.read"],
        instance_scope: Some("source"),
    },
    RoleDef {
        key: "source.read",
        name: "Source Read-only",
        product: Some(Product::Sources),
        actions: &["source.read", "destination.read"],
        includes: &[],
        instance_scope: Some("source"),
    },
    RoleDef {
        key: "warehouse.admin",
        name: "Warehouse Admin",
        product: Some(Product::Warehouses),
        actions: &[
            "warehouse.read",
            "warehouse.update",
            "warehouse.delete",
            "warehouse.create",
        ],
        includes: &["warehouse.read"],
        instance_scope: None,
    },
    RoleDef {
        key: "warehouse.read",
        name: "Warehouse Read-only",
        product: Some(Product::Warehouses),
        actions: &["warehouse.read"],
        includes: &[],
        instance_scope: None,
    },
    RoleDef {
        key: "protocols.admin",
        name: "Protocols Admin",
        product: Some(Product::Protocols),
        actions: &[
            "tracking_plan.read",
            "tracking_plan.update",
            "tracking_plan.delete",
            "tracking_plan.create",
        ],
        includes: &["protocols.read"],
        instance_scope: None,
    },
    RoleDef {
        key: "protocols.read",
        name: "Protocols Read-only",
        product: Some(Product::Protocols),
        actions: &["tracking_plan.read"],
        includes: &[],
        instance_scope: None,
    },
    RoleDef {
        key: "personas.admin",
        name: "Personas Admin",
        product: Some(Product::Personas),
        actions: &[
            "personas_space.read",
            "personas_space.update",
            "personas_space.delete",
            "personas_space.create",
            "personas_settings.read",
            "personas_settings.update",
            "audience.read",
            "audience.create",
            "audience.update",
            "audience.delete",
            "trait.read",
            "trait.create",
            "trait.update",
            "trait.delete",
            "personas_pii.read",
        ],
        includes: &["personas.user", "personas.read"],
        instance_scope: None,
    },
    RoleDef {
        key: "personas.user",
        name: "Personas User",
        product: Some(Product::Personas),
        actions: &[
            "personas_space.read",
            "audience.read",
            "audience.create",
            "audience.update",
            "trait.read",
            "trait.create",
            "trait.update",
        ],
        includes: &["personas.read"],
        instance_scope: None,
    },
    RoleDef {
        key: "personas.read",
        name: "Personas Read-only",
        product: Some(Product::Personas),
        actions: &["personas_space.read", "audience.read", "trait.read"],
        includes: &[],
        instance_scope: None,
    },
    RoleDef {
        key: OWNER_ROLE,
        name: "Workspace Owner",
        product: None,
        actions: &[
            "workspace.read",
            "workspace.update",
            "workspace.invite",
            "workspace.manage_members",
            "workspace.manage_access",
            "workspace.manage_sso",
            "workspace.manage_tokens",
            "audit.read",
        ],
        includes: &[],
        instance_scope: None,
    },
];

const _: () = assert!(ROLES.len() <= 64, "role masks are u64: at most 64 roles");

/// All roles of the catalog, in table order.
pub fn roles() -> &'static [RoleDef] {
    ROLES
}

/// The role with this key, if any.
pub fn role(key: &str) -> Option<&'static RoleDef> {
    compiled().role_index(key).map(|i| &ROLES[i])
}

/// Whether `action` is an action of the catalog (including membership actions).
pub fn is_known_action(action: &str) -> bool {
    compiled().action_id(action).is_some()
}

/// Every known action, sorted.
pub fn actions() -> Vec<&'static str> {
    let mut all: Vec<&'static str> = compiled().actions.iter().map(|a| a.name).collect();
    all.sort_unstable();
    all
}

/// Compiled facts about one action.
#[derive(Debug)]
pub(crate) struct ActionInfo {
    /// Action name.
    pub name: &'static str,
    /// Interned resource type (the part before the first `.`).
    pub type_id: usize,
    /// `<type>.create`: only `all`-scope grants allow it.
    pub create: bool,
    /// Every active membership has it (sign-in).
    pub membership: bool,
    /// Bit `i` set when role `i` allows the action (owner role included).
    pub roles: u64,
}

/// The catalog compiled for evaluation.
#[derive(Debug)]
pub(crate) struct Compiled {
    /// Actions by interned id.
    pub actions: Vec<ActionInfo>,
    by_name: NameMap,
    /// Interned resource types (action prefixes and scope types).
    pub types: Vec<&'static str>,
    role_by_key: NameMap,
    /// Bit of the owner role.
    pub owner_bit: u64,
}

impl Compiled {
    /// Interned id of an action.
    #[inline]
    pub fn action_id(&self, action: &str) -> Option<usize> {
        self.by_name.get(action).copied()
    }

    /// Index of a role in [`ROLES`].
    #[inline]
    pub fn role_index(&self, key: &str) -> Option<usize> {
        self.role_by_key.get(key).copied()
    }

    /// Mask of the roles usable when `products` are enabled (roles without
    /// product are always usable).
    pub fn enabled_roles(&self, products: &[Product]) -> u64 {
        ROLES
            .iter()
            .enumerate()
            .filter(|(_, r)| r.product.is_none_or(|p| products.contains(&p)))
            .fold(0, |m, (i, _)| m | (1u64 << i))
    }
}

/// The compiled catalog (built once).
pub(crate) fn compiled() -> &'static Compiled {
    static COMPILED: OnceLock<Compiled> = OnceLock::new();
    COMPILED.get_or_init(compile)
}

fn compile() -> Compiled {
    let role_by_key: NameMap = ROLES.iter().enumerate().map(|(i, r)| (r.key, i)).collect();
    let mut c = Compiled {
        actions: Vec::new(),
        by_name: NameMap::default(),
        types: Vec::new(),
        role_by_key,
        owner_bit: 0,
    };
    for name in MEMBERSHIP_ACTIONS {
        let id = c.intern_action(name);
        c.actions[id].membership = true;
    }
    for role in ROLES {
        if let Some(t) = role.instance_scope {
            c.intern_type(t);
        }
        for action in role.actions {
            c.intern_action(action);
        }
    }
    for (i, role) in ROLES.iter().enumerate() {
        let bit = 1u64 << i;
        if role.key == OWNER_ROLE {
            c.owner_bit = bit;
            continue;
        }
        // The role's own actions plus those of the roles it includes (transitively).
        let mut pending = vec![role];
        let mut seen = vec![i];
        while let Some(r) = pending.pop() {
            for action in r.actions {
                let id = c.by_name[action];
                c.actions[id].roles |= bit;
            }
            for inc in r.includes {
                if let Some(&j) = c.role_by_key.get(inc) {
                    if !seen.contains(&j) {
                        seen.push(j);
                        pending.push(&ROLES[j]);
                    }
                }
            }
        }
    }
    let owner_bit = c.owner_bit;
    for a in c.actions.iter_mut().filter(|a| !a.membership) {
        a.roles |= owner_bit;
    }
    c
}

impl Compiled {
    fn intern_type(&mut self, t: &'static str) -> usize {
        match self.types.iter().position(|x| *x == t) {
            Some(i) => i,
            None => {
                self.types.push(t);
                self.types.len() - 1
            }
        }
    }

    fn intern_action(&mut self, name: &'static str) -> usize {
        if let Some(&id) = self.by_name.get(name) {
            return id;
        }
        let (ty, verb) = name.split_once('.').unwrap_or((name, ""));
        let type_id = self.intern_type(ty);
        self.actions.push(ActionInfo {
            name,
            type_id,
            create: verb == CREATE_VERB,
            membership: false,
            roles: 0,
        });
        self.by_name.insert(name, self.actions.len() - 1);
        self.actions.len() - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_unique_and_references_resolve() {
        let c = compiled();
        assert_eq!(c.role_by_key.len(), ROLES.len());
        for r in ROLES {
            for inc in r.includes {
                assert!(role(inc).is_some(), "{} includes unknown {inc}", r.key);
            }
            if let Some(t) = r.instance_scope {
                assert!(c.types.contains(&t));
            }
        }
    }

    #[test]
    fn admin_includes_read_in_table_and_compiled() {
        let c = compiled();
        for r in ROLES {
            for inc in r.includes {
                let included = role(inc).unwrap();
                for a in included.actions {
                    assert!(r.actions.contains(a), "{} lacks {a} of {inc}", r.key);
                    let bit = 1u64 << c.role_index(r.key).unwrap();
                    assert_ne!(c.actions[c.action_id(a).unwrap()].roles & bit, 0);
                }
            }
        }
        assert_eq!(role("source.admin").unwrap().includes, &["source.read"]);
    }

    #[test]
    fn known_actions_and_create_flags() {
        assert!(is_known_action("workspace.sign_in"));
        assert!(is_known_action("workspace.invite"));
        assert!(is_known_action("personas_pii.read"));
        assert!(!is_known_action("source.frobnicate"));
        let c = compiled();
        let create = &c.actions[c.action_id("destination.create").unwrap()];
        assert!(create.create);
        assert_eq!(c.types[create.type_id], "destination");
        let invite = &c.actions[c.action_id("workspace.invite").unwrap()];
        assert_eq!(invite.roles, c.owner_bit, "only owners may invite");
        let sign_in = &c.actions[c.action_id("workspace.sign_in").unwrap()];
        assert!(sign_in.membership && sign_in.roles == 0);
        assert!(actions().contains(&"audit.read"));
    }
}
