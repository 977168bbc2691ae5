//! Pure planner for migrating legacy role assignments to memberships and
//! grants. The caller applies the plan (and validates each grant against the
//! registered resources with `WorkspaceIndex::validate_grant`).
//!
//! | legacy role          | target                                                     |
//! |----------------------|------------------------------------------------------------|
//! | workspace_owner      | kind `owner`, no grants                                    |
//! | workspace_read_only  | `member` + `source.read`, `warehouse.read`, `protocols.read` on all |
//! | source_collaborator  | `member` + `source.admin` on each listed source            |
//!
//! A read-only grant is only planned when its product is enabled (a role of
//! a disabled product cannot be granted); a source collaborator needs the
//! Sources product.

use serde::{Deserialize, Serialize};

use super::model::{MemberKind, Product, ResourceRef, Scope};

/// A legacy workspace role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LegacyRole {
    /// Full control of the workspace.
    WorkspaceOwner,
    /// Read-only access to everything.
    WorkspaceReadOnly,
    /// Full control of a list of sources.
    SourceCollaborator,
}

/// One legacy assignment line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegacyAssignment {
    /// Email of the person.
    pub email: String,
    /// Legacy role.
    pub role: LegacyRole,
    /// Source ids (required for `source_collaborator`; ignored otherwise,
    /// since the other roles already cover every source).
    #[serde(default)]
    pub sources: Option<Vec<String>>,
}

/// Membership kind and grants a legacy assignment becomes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegacyTarget {
    /// Owner or member.
    pub kind: MemberKind,
    /// `(role key, scope)` pairs to grant.
    pub grants: Vec<(String, Scope)>,
}

/// Why a legacy assignment cannot be migrated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LegacyError {
    /// The email is empty.
    #[error("legacy assignment has an empty email")]
    MissingEmail,
    /// A source collaborator without sources.
    #[error("source collaborator `{0}` has no sources listed")]
    NoSources(String),
    /// A listed source id is empty.
    #[error("source collaborator `{0}` lists an empty source id")]
    EmptySourceId(String),
    /// The needed product is not enabled.
    #[error("`{email}` needs the `{product}` product, which is not enabled in this workspace")]
    ProductNotEnabled {
        /// Email of the assignment.
        email: String,
        /// Missing product.
        product: Product,
    },
}

/// Plans the membership kind and grants for one legacy assignment.
pub fn plan(products: &[Product], a: &LegacyAssignment) -> Result<LegacyTarget, LegacyError> {
    let email = a.email.trim();
    if email.is_empty() {
        return Err(LegacyError::MissingEmail);
    }
    let all = |role: &str| (role.to_owned(), Scope::All);
    match a.role {
        LegacyRole::WorkspaceOwner => Ok(LegacyTarget {
            kind: MemberKind::Owner,
            grants: Vec::new(),
        }),
        LegacyRole::WorkspaceReadOnly => {
            let grants = [
                (Product::Sources, "source.read"),
                (Product::Warehouses, "warehouse.read"),
                (Product::Protocols, "protocols.read"),
            ]
            .into_iter()
            .filter(|(p, _)| products.contains(p))
            .map(|(_, role)| all(role))
            .collect();
            Ok(LegacyTarget {
                kind: MemberKind::Member,
                grants,
            })
        }
        LegacyRole::SourceCollaborator => {
            let sources = a.sources.as_deref().unwrap_or_default();
            if sources.is_empty() {
                return Err(LegacyError::NoSources(email.to_owned()));
            }
            if !products.contains(&Product::Sources) {
                return Err(LegacyError::ProductNotEnabled {
                    email: email.to_owned(),
                    product: Product::Sources,
                });
            }
            let mut grants = Vec::with_capacity(sources.len());
            for id in sources {
                let id = id.trim();
                if id.is_empty() {
                    return Err(LegacyError::EmptySourceId(email.to_owned()));
                }
                let scope = Scope::Instance(ResourceRef::new("source", id));
                grants.push(("source.admin".to_owned(), scope));
            }
            grants.sort();
            grants.dedup();
            Ok(LegacyTarget {
                kind: MemberKind::Member,
                grants,
            })
        }
    }
}

/// Merges the targets of several lines for the same person: owner wins, the
/// grants are the union, sorted by (role, scope) and deduplicated.
pub fn merge(targets: impl IntoIterator<Item = LegacyTarget>) -> LegacyTarget {
    let mut kind = MemberKind::Member;
    let mut grants = Vec::new();
    for t in targets {
        if t.kind == MemberKind::Owner {
            kind = MemberKind::Owner;
        }
        grants.extend(t.grants);
    }
    grants.sort();
    grants.dedup();
    LegacyTarget { kind, grants }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Product; 4] = Product::ALL;

    fn line(role: LegacyRole, sources: Option<&[&str]>) -> LegacyAssignment {
        LegacyAssignment {
            email: "a@example.com".into(),
            role,
            sources: sources.map(|s| s.iter().map(|x| x.to_string()).collect()),
        }
    }

    fn keys(t: &LegacyTarget) -> Vec<&str> {
        t.grants.iter().map(|(r, _)| r.as_str()).collect()
    }

    #[test]
    fn owner_row() {
        let t = plan(&ALL, &line(LegacyRole::WorkspaceOwner, None)).unwrap();
        assert_eq!(t.kind, MemberKind::Owner);
        assert!(t.grants.is_empty());
    }

    #[test]
    fn read_only_row_follows_products() {
        let t = plan(&ALL, &line(LegacyRole::WorkspaceReadOnly, None)).unwrap();
        assert_eq!(t.kind, MemberKind::Member);
        assert_eq!(
            keys(&t),
            ["source.read", "warehouse.read", "protocols.read"]
        );
        assert!(t.grants.iter().all(|(_, s)| *s == Scope::All));
        let no_protocols = [Product::Sources, Product::Warehouses];
        let t = plan(&no_protocols, &line(LegacyRole::WorkspaceReadOnly, None)).unwrap();
        assert_eq!(keys(&t), ["source.read", "warehouse.read"]);
        let t = plan(
            &[Product::Protocols],
            &line(LegacyRole::WorkspaceReadOnly, None),
        )
        .unwrap();
        assert_eq!(keys(&t), ["protocols.read"]);
    }

    #[test]
    fn collaborator_row() {
        let a = line(
            LegacyRole::SourceCollaborator,
            Some(&["ios-prod", "web", "ios-prod"]),
        );
        let t = plan(&ALL, &a).unwrap();
        assert_eq!(t.kind, MemberKind::Member);
        let expected: Vec<(String, Scope)> = ["ios-prod", "web"]
            .iter()
            .map(|id| {
                let scope = Scope::Instance(ResourceRef::new("source", *id));
                ("source.admin".to_owned(), scope)
            })
            .collect();
        assert_eq!(t.grants, expected);
        let missing = plan(&ALL, &line(LegacyRole::SourceCollaborator, None));
        assert!(matches!(missing, Err(LegacyError::NoSources(_))));
        let empty = plan(&ALL, &line(LegacyRole::SourceCollaborator, Some(&[])));
        assert!(matches!(empty, Err(LegacyError::NoSources(_))));
        let blank = plan(&ALL, &line(LegacyRole::SourceCollaborator, Some(&[" "])));
        assert!(matches!(blank, Err(LegacyError::EmptySourceId(_))));
        let disabled = plan(&[Product::Warehouses], &a);
        assert!(matches!(
            disabled,
            Err(LegacyError::ProductNotEnabled { .. })
        ));
    }

    #[test]
    fn merge_owner_wins_and_unions() {
        let ro = plan(&ALL, &line(LegacyRole::WorkspaceReadOnly, None)).unwrap();
        let collab = line(LegacyRole::SourceCollaborator, Some(&["web"]));
        let collab = plan(&ALL, &collab).unwrap();
        let owner = plan(&ALL, &line(LegacyRole::WorkspaceOwner, None)).unwrap();
        let m = merge([collab.clone(), ro.clone(), ro.clone()]);
        assert_eq!(m.kind, MemberKind::Member);
        assert_eq!(
            keys(&m),
            [
                "protocols.read",
                "source.admin",
                "source.read",
                "warehouse.read"
            ]
        );
        assert_eq!(m, merge([ro, collab.clone()]), "order does not matter");
        let m = merge([collab, owner]);
        assert_eq!(m.kind, MemberKind::Owner);
        assert_eq!(keys(&m), ["source.admin"]);
    }

    #[test]
    fn serde_names() {
        let a: LegacyAssignment = serde_json::from_str(
            r#"{"email":"x@y.z","role":"source_collaborator","sources":["s1"]}"#,
        )
        .unwrap();
        assert_eq!(a.role, LegacyRole::SourceCollaborator);
        for (r, s) in [
            (LegacyRole::WorkspaceOwner, "\"workspace_owner\""),
            (LegacyRole::WorkspaceReadOnly, "\"workspace_read_only\""),
        ] {
            assert_eq!(serde_json::to_string(&r).unwrap(), s);
        }
    }
}
