//! Where each SCIM attribute is stored: a column, the `group_members` table, or a path in the
//! `scim_doc` JSON document (single values, or the elements of an array).

use crate::domain::query::{AttrType, ResolvedAttr};

use super::ScimTable;

/// Core User schema URN (RFC 7643 §8.7.1); attributes qualified with it live at the top of
/// the document, like unqualified ones.
const USER_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
/// Core Group schema URN (RFC 7643 §8.7.1).
const GROUP_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";

/// Multi-valued attributes of the core User schema (RFC 7643 §4.1.2) kept in the document
/// (`groups` is computed and refused). A sub-attribute of one of these, e.g. `emails.value`,
/// is matched against every element of the array.
const USER_MULTI_VALUED: &[&str] = &[
    "emails",
    "phoneNumbers",
    "ims",
    "photos",
    "addresses",
    "entitlements",
    "roles",
    "x509Certificates",
];

/// A column-backed attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Column {
    /// `id`: `uuid` / 16-byte `BLOB`.
    Id,
    /// User `userName`: `user_name` (case-exact) or `user_name_key` (lower-cased).
    UserName,
    /// Group `displayName`: `display_name` or `display_name_key`.
    DisplayName,
    /// `externalId` (text).
    ExternalId,
    /// User `active` (boolean / 0-1 integer).
    Active,
    /// `meta.created`: `created_at`.
    Created,
    /// `meta.lastModified`: `updated_at`.
    LastModified,
}

/// How a text column (or JSON string) compares with a string value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum CaseMode {
    /// Byte for byte.
    Exact,
    /// The stored text is already case-folded (a `*_key` column, or a string of the search
    /// document); the value is folded in Rust by the same rule
    /// ([`crate::domain::case_fold::fold_case`]), so no SQL function decides case.
    Folded,
}

impl Column {
    /// The column expression and how strings compare with it.
    pub(super) fn expr(self, table: ScimTable, case_exact: bool) -> (&'static str, CaseMode) {
        let users = table == ScimTable::Users;
        let pick = |user: &'static str, group: &'static str| if users { user } else { group };
        match self {
            Column::Id => (pick("m.id", "g.id"), CaseMode::Exact),
            Column::UserName if case_exact => ("m.user_name", CaseMode::Exact),
            Column::UserName => ("m.user_name_key", CaseMode::Folded),
            Column::DisplayName if case_exact => ("g.display_name", CaseMode::Exact),
            Column::DisplayName => ("g.display_name_key", CaseMode::Folded),
            // `externalId` is caseExact (RFC 7643 §3.1; the schema test holds it to that), so
            // its column has no folded twin.
            Column::ExternalId => (pick("m.external_id", "g.external_id"), CaseMode::Exact),
            Column::Active => ("m.active", CaseMode::Exact),
            Column::Created => (pick("m.created_at", "g.created_at"), CaseMode::Exact),
            Column::LastModified => (pick("m.updated_at", "g.updated_at"), CaseMode::Exact),
        }
    }

    /// Whether the column holds text.
    pub(super) fn is_text(self) -> bool {
        matches!(
            self,
            Column::UserName | Column::DisplayName | Column::ExternalId
        )
    }
}

/// Where an attribute's values are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Target {
    /// A column of the resource's row.
    Column(Column),
    /// Group `members` / `members.value`: rows of `group_members`.
    Members,
    /// One JSON value at this key path of `scim_doc`.
    Doc(Vec<String>),
    /// Each element of the JSON array at `array`: its `sub` key, or the element itself.
    Elements {
        /// Key path of the array.
        array: Vec<String>,
        /// Sub-attribute key inside each element (`None`: simple multi-valued attribute).
        sub: Option<String>,
    },
}

/// What the attribute is looked up for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Purpose {
    /// A comparison: multi-valued attributes are matched element by element.
    Compare,
    /// `pr`: a multi-valued attribute itself is tested as a whole (a non-empty array).
    Present,
    /// `sortBy`: a multi-valued complex attribute sorts by its `value`.
    Sort,
}

/// How a value filter `attr[…]` is evaluated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum ValuePathKind {
    /// Group `members[…]`: over the `group_members` rows.
    Members,
    /// Over the elements of the JSON array at this key path.
    Elements(Vec<String>),
    /// A single-valued complex attribute: the inner filter's full paths apply directly.
    Plain,
}

fn same(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// The schema URN of `attr` as a document key: `None` for the resource's core schema.
fn extension_urn(attr: &ResolvedAttr, table: ScimTable) -> Option<&str> {
    let core = match table {
        ScimTable::Users => USER_URN,
        ScimTable::Groups => GROUP_URN,
    };
    attr.path.urn.as_deref().filter(|urn| !same(urn, core))
}

fn is_multi_valued_parent(attr: &ResolvedAttr, table: ScimTable) -> bool {
    extension_urn(attr, table).is_none()
        && table == ScimTable::Users
        && USER_MULTI_VALUED
            .iter()
            .any(|name| same(name, &attr.path.name))
}

/// Refuses attributes that may not be read at all; `Err` holds the reason.
fn check_readable(attr: &ResolvedAttr, table: ScimTable) -> Result<(), String> {
    if extension_urn(attr, table).is_some() {
        return Ok(());
    }
    let name = attr.path.name.as_str();
    if same(name, "password") {
        return Err("password is never returned, so it cannot be filtered or sorted on".into());
    }
    if table == ScimTable::Users && same(name, "groups") {
        return Err("a User's groups are computed; filter Groups by \"members\" instead".into());
    }
    Ok(())
}

/// The document keys of `attr`: `[urn,] name [, sub]`.
fn keys(attr: &ResolvedAttr, table: ScimTable) -> Result<Vec<String>, String> {
    let keys: Vec<String> = extension_urn(attr, table)
        .into_iter()
        .chain(std::iter::once(attr.path.name.as_str()))
        .chain(attr.path.sub.as_deref())
        .map(str::to_string)
        .collect();
    if keys.iter().any(|key| key.contains('"')) {
        return Err("the attribute name cannot be addressed in the JSON document".into());
    }
    Ok(keys)
}

/// Resolves `attr` for `purpose`; `Err` holds the reason it is refused.
pub(super) fn resolve(
    attr: &ResolvedAttr,
    table: ScimTable,
    purpose: Purpose,
) -> Result<Target, String> {
    check_readable(attr, table)?;
    if extension_urn(attr, table).is_none() {
        let name = attr.path.name.as_str();
        let sub = attr.path.sub.as_deref();
        let users = table == ScimTable::Users;
        let column = match sub {
            None if same(name, "id") => Some(Column::Id),
            None if users && same(name, "userName") => Some(Column::UserName),
            None if !users && same(name, "displayName") => Some(Column::DisplayName),
            None if same(name, "externalId") => Some(Column::ExternalId),
            None if users && same(name, "active") => Some(Column::Active),
            Some(sub) if same(name, "meta") && same(sub, "created") => Some(Column::Created),
            Some(sub) if same(name, "meta") && same(sub, "lastModified") => {
                Some(Column::LastModified)
            }
            _ if same(name, "meta") => {
                return Err(
                    "of \"meta\", only \"created\" and \"lastModified\" are supported".into(),
                )
            }
            _ => None,
        };
        if let Some(column) = column {
            return Ok(Target::Column(column));
        }
        if !users && same(name, "members") {
            return match sub {
                None => Ok(Target::Members),
                Some(sub) if same(sub, "value") => Ok(Target::Members),
                Some(_) => Err("of \"members\", only \"value\" is supported".into()),
            };
        }
    }
    let mut keys = keys(attr, table)?;
    let has_sub = attr.path.sub.is_some();
    if has_sub && is_multi_valued_parent(attr, table) {
        let sub = keys.pop();
        return Ok(Target::Elements { array: keys, sub });
    }
    if !has_sub && attr.info.multi_valued {
        return Ok(match purpose {
            Purpose::Present => Target::Doc(keys),
            Purpose::Sort if attr.info.attr_type == AttrType::Complex => Target::Elements {
                array: keys,
                sub: Some("value".into()),
            },
            Purpose::Compare | Purpose::Sort => Target::Elements {
                array: keys,
                sub: None,
            },
        });
    }
    Ok(Target::Doc(keys))
}

/// How `attr[…]` is evaluated; `Err` holds the reason it is refused.
pub(super) fn value_path_kind(
    attr: &ResolvedAttr,
    table: ScimTable,
) -> Result<ValuePathKind, String> {
    check_readable(attr, table)?;
    let core = extension_urn(attr, table).is_none();
    if core && table == ScimTable::Groups && same(&attr.path.name, "members") {
        return Ok(ValuePathKind::Members);
    }
    if attr.info.multi_valued || is_multi_valued_parent(attr, table) {
        return Ok(ValuePathKind::Elements(keys(attr, table)?));
    }
    Ok(ValuePathKind::Plain)
}

/// The SQLite JSON path of `keys`, every key quoted so that URNs (`:` and `.`) stay one key:
/// `$."urn:…:User"."department"`. Keys never contain `"` (checked by [`resolve`]).
pub(super) fn sqlite_path(keys: &[String]) -> String {
    let mut path = String::from("$");
    for key in keys {
        path.push_str(".\"");
        path.push_str(key);
        path.push('"');
    }
    path
}
