//! `sortBy` (RFC 7644 §3.4.2.3): the sort key of one attribute as a SQL expression.

use crate::domain::query::{AttrType, ResolvedAttr};

use super::emit::{sqlite_instant, Builder, JsonLoc};
use super::target::{self, Column, Purpose, Target};
use super::{Dialect, FilterSqlError};

type Result<T> = std::result::Result<T, FilterSqlError>;

fn refuse(attr: &ResolvedAttr, reason: impl Into<String>) -> FilterSqlError {
    FilterSqlError::Unsupported {
        what: "sorting by",
        attr: attr.path.to_string(),
        reason: reason.into(),
    }
}

/// The sort key of `attr`: text in code-point order (lower-cased unless case-exact),
/// numbers, booleans (false first) or instants; `NULL` when absent or of another type.
pub(super) fn sort_expr(b: &mut Builder, attr: &ResolvedAttr) -> Result<String> {
    let target = target::resolve(attr, b.table, Purpose::Sort).map_err(|r| refuse(attr, r))?;
    let (expr, text) = match target {
        Target::Column(column) => column_key(b, column, attr),
        Target::Members => return Err(refuse(attr, "groups cannot be sorted by members")),
        Target::Doc(keys) => {
            let loc = b.doc_loc(&keys);
            json_key(b, &loc, attr)?
        }
        Target::Elements { array, sub } => {
            // RFC 7644 §3.4.2.3: the primary value, else the first one.
            let alias = b.alias("e");
            let (from, guard) = b.elements(&array, &alias);
            let loc = b.element_loc(&alias, sub.as_deref());
            let (key, text) = json_key(b, &loc, attr)?;
            let primary = b.element_loc(&alias, Some("primary"));
            let (primary, position) = match b.dialect {
                Dialect::Postgres => (
                    format!("{} = 'true'::jsonb", primary.json),
                    format!("{alias}.n"),
                ),
                Dialect::Sqlite => (format!("{} = 'true'", primary.typ), format!("{alias}.key")),
            };
            let filter = guard.map(|g| format!(" WHERE {g}")).unwrap_or_default();
            (
                format!(
                    "(SELECT {key} FROM {from}{filter} ORDER BY CASE WHEN {primary} THEN 0 \
                     ELSE 1 END, {position} LIMIT 1)"
                ),
                text,
            )
        }
    };
    Ok(if text && b.dialect == Dialect::Postgres {
        format!("{expr} COLLATE \"C\"")
    } else {
        expr
    })
}

/// A column's sort key, and whether it is text.
fn column_key(b: &Builder, column: Column, attr: &ResolvedAttr) -> (String, bool) {
    let (col, _) = column.expr(b.table, attr.info.case_exact);
    match column {
        Column::Created | Column::LastModified if b.dialect == Dialect::Sqlite => {
            (sqlite_instant(col), false)
        }
        _ => (col.to_string(), column.is_text()),
    }
}

/// A JSON value's sort key, and whether it is text. A multi-valued complex attribute sorts
/// by its `value` sub-attribute, taken as a string.
fn json_key(b: &Builder, loc: &JsonLoc, attr: &ResolvedAttr) -> Result<(String, bool)> {
    let attr_type = match attr.info.attr_type {
        AttrType::Complex if attr.info.multi_valued && attr.path.sub.is_none() => AttrType::String,
        other => other,
    };
    Ok(match attr_type {
        // Case-insensitive strings are already folded in the search document.
        AttrType::String | AttrType::Reference | AttrType::Binary => (
            format!("(CASE WHEN {} THEN {} END)", b.is_string(loc), loc.val),
            true,
        ),
        AttrType::Integer | AttrType::Decimal => (b.number(loc), false),
        AttrType::Boolean => match b.dialect {
            Dialect::Postgres => (
                format!(
                    "(CASE WHEN {} = 'boolean' THEN {} = 'true' END)",
                    loc.typ, loc.val
                ),
                false,
            ),
            Dialect::Sqlite => (
                format!(
                    "(CASE {} WHEN 'true' THEN 1 WHEN 'false' THEN 0 END)",
                    loc.typ
                ),
                false,
            ),
        },
        AttrType::DateTime => {
            return Err(refuse(
                attr,
                "dateTime attributes kept in the SCIM document cannot be sorted on",
            ))
        }
        AttrType::Complex => return Err(refuse(attr, "sort by one of its sub-attributes")),
    })
}
