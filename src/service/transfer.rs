//! Export and import of one workspace's access (`gatehouse workspace export` / `import`), the
//! upgrade path from the embedded SQLite to PostgreSQL. The document's shape lives in
//! [`crate::domain::transfer`]; storage reads and writes it in one transaction each. Here:
//! checking a document before anything is written, so a bad file fails with a message that
//! names the bad entry instead of a constraint violation halfway through.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use super::{check_text, AccessService, ServiceError};
use crate::{
    access::{
        Email, GrantError, ResourceRef, ResourceType, Scope, Snapshot, Subject, WorkspaceIndex,
    },
    domain::{
        transfer::{WorkspaceExport, EXPORT_FORMAT},
        NewWorkspace, Workspace,
    },
    storage::ChangeContext,
};

/// How much an export or import carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TransferCounts {
    pub members: usize,
    pub groups: usize,
    pub group_members: usize,
    pub resources: usize,
    pub grants: usize,
}

impl TransferCounts {
    pub fn of(doc: &WorkspaceExport) -> Self {
        Self {
            members: doc.members.len(),
            groups: doc.groups.len(),
            group_members: doc.groups.iter().map(|g| g.members.len()).sum(),
            resources: doc.resources.len(),
            grants: doc.grants.len(),
        }
    }
}

impl AccessService {
    /// The export document of the workspace with this slug.
    pub async fn export_workspace(&self, slug: &str) -> Result<WorkspaceExport, ServiceError> {
        let workspace = self
            .store
            .workspace_by_slug(slug)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("workspace {slug:?}")))?;
        Ok(self.store.export_workspace(workspace.id).await?)
    }

    /// Checks `doc`, then creates its workspace with everything in it in one transaction.
    pub async fn import_workspace(
        &self,
        doc: WorkspaceExport,
        trust: crate::domain::transfer::ImportTrust,
        ctx: &ChangeContext,
    ) -> Result<Workspace, ServiceError> {
        let doc = validate(doc)?;
        let workspace = self
            .store
            .import_workspace(&doc, trust, ctx, crate::scim::schema::search_document)
            .await?;
        self.cache.catch_up(workspace.id).await?;
        Ok(workspace)
    }
}

fn invalid(message: String) -> ServiceError {
    ServiceError::Invalid(format!("the export cannot be imported: {message}"))
}

/// Checks that a document is whole and consistent: the format version, the workspace's slug,
/// name and domains, unique ids, emails, userNames and group names, that every reference
/// (group member, grant subject, instance scope, destination parent) names something in the
/// document, and that every grant's role exists and fits its scope. Grants of disabled
/// products and owner grants are kept: they are state the source could legitimately hold.
/// Returns the document with the workspace normalised as `workspace create` would.
pub fn validate(mut doc: WorkspaceExport) -> Result<WorkspaceExport, ServiceError> {
    if doc.format != EXPORT_FORMAT {
        return Err(invalid(format!(
            "format {} is not supported (this Gatehouse reads format {EXPORT_FORMAT})",
            doc.format
        )));
    }
    let w = NewWorkspace {
        slug: doc.workspace.slug.clone(),
        name: doc.workspace.name.clone(),
        products: doc.workspace.products.clone(),
        domains: doc.workspace.domains.clone(),
    }
    .validate()
    .map_err(invalid)?;
    doc.workspace.name = w.name;
    doc.workspace.products = w.products;
    doc.workspace.domains = w.domains;

    let mut member_ids = HashSet::new();
    let mut emails = HashSet::new();
    let mut user_names = HashSet::new();
    for m in &mut doc.members {
        m.email = Email::parse(&m.email)
            .map_err(|e| invalid(format!("member {}: {e}", m.id)))?
            .into_string();
        if !member_ids.insert(m.id) {
            return Err(invalid(format!("member id {} appears twice", m.id)));
        }
        if !emails.insert(m.email.to_lowercase()) {
            return Err(invalid(format!("email {} appears twice", m.email)));
        }
        if let Some(user_name) = &m.user_name {
            if !user_names.insert(user_name.to_lowercase()) {
                return Err(invalid(format!("userName {user_name:?} appears twice")));
            }
        }
        if m.provenance.trim().is_empty() {
            return Err(invalid(format!("member {} has no provenance", m.id)));
        }
    }

    let mut group_ids = HashSet::new();
    let mut group_names = HashSet::new();
    for g in &doc.groups {
        check_text("group displayName", &g.display_name)
            .map_err(|e| invalid(format!("group {}: {e}", g.id)))?;
        if !group_ids.insert(g.id) {
            return Err(invalid(format!("group id {} appears twice", g.id)));
        }
        if !group_names.insert(g.display_name.to_lowercase()) {
            return Err(invalid(format!(
                "group name {:?} appears twice",
                g.display_name
            )));
        }
        let mut seen = HashSet::new();
        for link in &g.members {
            if !member_ids.contains(&link.membership_id) {
                return Err(invalid(format!(
                    "group {:?} lists member {}, which is not in the export",
                    g.display_name, link.membership_id
                )));
            }
            if !seen.insert(link.membership_id) {
                return Err(invalid(format!(
                    "group {:?} lists member {} twice",
                    g.display_name, link.membership_id
                )));
            }
        }
    }

    let mut resources: HashMap<ResourceRef, bool> = HashMap::new(); // ref → is a source
    for r in &doc.resources {
        ResourceType::parse(&r.resource_type).map_err(|e| invalid(e.to_string()))?;
        check_text("resource id", &r.id).map_err(|e| invalid(e.to_string()))?;
        check_text("resource name", &r.name).map_err(|e| invalid(e.to_string()))?;
        if resources
            .insert(r.to_ref(), r.resource_type == "source")
            .is_some()
        {
            return Err(invalid(format!(
                "resource {}:{} appears twice",
                r.resource_type, r.id
            )));
        }
    }
    for r in &doc.resources {
        let parent_ok = match &r.parent {
            None => r.resource_type != "destination",
            Some(p) => r.resource_type == "destination" && resources.get(p) == Some(&true),
        };
        if !parent_ok {
            return Err(invalid(format!(
                "resource {}:{}: a destination needs a parent source in the export, and only \
                 destinations have a parent",
                r.resource_type, r.id
            )));
        }
    }

    // The catalog's own checks, against an index of just the products and resources.
    let index = WorkspaceIndex::from_snapshot(Snapshot {
        products: doc.workspace.products.clone(),
        resources: doc.resources.clone(),
        ..Snapshot::default()
    });
    let mut grant_ids = HashSet::new();
    for grant in &doc.grants {
        if !grant_ids.insert(grant.id) {
            return Err(invalid(format!("grant id {} appears twice", grant.id)));
        }
        let subject_ok = match grant.subject {
            Subject::User(id) => member_ids.contains(&id),
            Subject::Group(id) => group_ids.contains(&id),
        };
        if !subject_ok {
            return Err(invalid(format!(
                "grant {}: its subject is not in the export",
                grant.id
            )));
        }
        if let Scope::Instance(r) = &grant.scope {
            if !resources.contains_key(r) {
                return Err(invalid(format!(
                    "grant {}: {}:{} is not in the export",
                    grant.id, r.resource_type, r.id
                )));
            }
        }
        match index.validate_grant(&grant.role, &grant.scope, true) {
            Ok(()) | Err(GrantError::ProductNotEnabled { .. }) => {}
            Err(e) => return Err(invalid(format!("grant {}: {e}", grant.id))),
        }
    }
    Ok(doc)
}
