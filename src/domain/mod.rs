//! Domain types that are not part of the access model itself: workspaces (the tenants), API
//! tokens, audit entries and the workspace export document, and the one case-folding rule
//! (`case_fold`). Pure data and validation; nothing here knows about HTTP or SQL.

pub mod activity;
pub mod audit;
pub mod bridge;
pub mod case_fold;
pub mod domains;
pub mod query;
pub mod sso;
pub mod token;
pub mod transfer;
pub mod workspace;

pub use audit::{Actor, AuditEntry, NewAuditEntry};
pub use token::{ApiToken, IssuedToken, RotatedToken, TokenKind, TokenSecret};
pub use workspace::{NewWorkspace, Workspace, WorkspaceSettings};
