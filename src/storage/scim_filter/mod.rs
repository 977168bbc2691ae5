//! SCIM filters (RFC 7644 §3.4.2.2) and `sortBy` (§3.4.2.3) as parameterised SQL for the
//! SCIM tables, on PostgreSQL and SQLite alike.
//!
//! [`filter_sql`] turns a validated [`TypedFilter`] into a boolean SQL expression for
//! `FROM memberships m …` ([`ScimTable::Users`]) or `FROM groups g`
//! ([`ScimTable::Groups`]); [`order_by`] gives one `ORDER BY` term. Every comparison value and
//! every JSON path travels as a bind parameter ([`SqlBind`], numbered `$n` from the caller's
//! first free placeholder, which both sqlx drivers accept); the SQL text holds only column
//! names, operators and type-name constants. [`BindScim`] puts the binds on a sqlx query.
//! On PostgreSQL every placeholder is cast to its type (`$3::text`, `$4::float8`): sqlx
//! caches prepared statements by SQL text, so the text must fix the parameter types.
//!
//! Storage: `id`, `userName` / `displayName` (through the case-folded `*_key` column unless
//! the schema says `caseExact`), `externalId`, `active`, `meta.created` and
//! `meta.lastModified` are columns; Group `members` is the `group_members` table; everything
//! else is read from the `scim_search` JSON document (PostgreSQL `jsonb`, SQLite JSON text):
//! the SCIM document with the strings of every `caseExact: false` attribute case-folded
//! (`ResourceSchema::search_document`).
//!
//! Semantics (the points the RFC leaves open):
//! - Every leaf is two-valued: `not (…)` emits `NOT COALESCE((…), FALSE)`, so an absent
//!   attribute never turns a negation into SQL `NULL`.
//! - `ne` is `not (eq)`: true when the attribute is absent or different. On a multi-valued
//!   attribute that means "no value equals"; inside `attr[…]` it applies per value.
//! - `pr`: present, not JSON `null`, and not an empty string, array or object.
//!   `eq null` is `not (pr)` and `ne null` is `pr`.
//! - Strings: case-insensitive attributes compare the stored folded text (a `*_key` column or
//!   the search document) with the value folded in Rust by the same rule, Unicode simple case
//!   folding ([`crate::domain::case_fold`]); no SQL function decides case, so both backends
//!   agree whatever their locale. Ordering comparisons and sorting use code-point order on
//!   both backends (`COLLATE "C"` on PostgreSQL). A JSON value of another type than the
//!   attribute's never matches (the string `"true"` is not the boolean `true`, the number `5`
//!   is not the string `"5"`).
//! - `co` / `sw` / `ew` use `LIKE … ESCAPE '\'` with `%`, `_` and `\` escaped; case-exact
//!   attributes on SQLite (whose `LIKE` ignores ASCII case) use `instr` / `substr` instead.
//! - Multi-valued attributes (`emails.value eq …`, `emails[type eq "work" and …]`) match when
//!   some element does; a value that is not a JSON array holds no elements, and inside
//!   `attr[…]` an element that is not a JSON object never matches. A sub-attribute outside
//!   `[…]` is matched element-wise for the core multi-valued User attributes (`emails`,
//!   `phoneNumbers`, `ims`, `photos`, `addresses`, `entitlements`, `roles`,
//!   `x509Certificates`); other sub-attributes are read as single values.
//! - Dates: `meta.created` and `meta.lastModified` compare at the precision they are rendered
//!   (milliseconds, truncated), against the filter value at its full precision, so `eq` with
//!   a resource's shown value finds it and `gt` does not. PostgreSQL compares
//!   `date_trunc('milliseconds', …)` of the `timestamptz`. SQLite holds the text sqlx writes
//!   (RFC 3339 with 0, 3, 6 or 9 fraction digits), which is normalised in SQL to a fixed-width
//!   UTC form `YYYY-MM-DDTHH:MM:SS.fffffffff`, truncated to the millisecond, and compared with
//!   the value formatted the same way, whatever the stored offset or fraction width. Sorting
//!   uses the full stored precision (consistent with the rendered order).
//! - Refused with [`FilterSqlError::Unsupported`] (`400 invalidFilter`): `password`; User
//!   `groups` (computed; filter Groups by `members` instead); `meta` other than `created` and
//!   `lastModified`; `id` with operators other than `eq` / `ne` / `pr`; Group `members`
//!   sub-attributes other than `value`, and `members.value` with operators other than
//!   `eq` / `ne` / `pr`; comparing dateTime attributes kept in the JSON document (no safe
//!   cast in SQL; `pr` and `eq null` work).
//!   A non-UUID `id` or `members.value` is no error: it matches nothing (`1 = 0`); ids are
//!   caseExact, so only the lower-case spelling Gatehouse hands out matches.

mod emit;
mod order;
mod target;
#[cfg(test)]
mod tests;
mod translate;

use sqlx::{
    postgres::PgArguments,
    query::{Query, QueryAs, QueryScalar},
    sqlite::SqliteArguments,
    Postgres, Sqlite,
};

use crate::domain::query::{ResolvedAttr, TypedFilter};

/// The SQL dialect to emit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dialect {
    /// PostgreSQL 15 or later (`jsonb`, `uuid`, `timestamptz`).
    Postgres,
    /// SQLite 3.38 or later with the JSON functions (`TEXT` JSON, `BLOB` UUIDs, `TEXT` times).
    Sqlite,
}

impl Dialect {
    /// The dialect of a sqlx pool, for code written once for both backends.
    pub fn of_pool<DB: HasDialect>(_pool: &sqlx::Pool<DB>) -> Dialect {
        DB::DIALECT
    }
}

/// A sqlx database with a known [`Dialect`].
pub trait HasDialect: sqlx::Database {
    /// This database's dialect.
    const DIALECT: Dialect;
}

impl HasDialect for Postgres {
    const DIALECT: Dialect = Dialect::Postgres;
}

impl HasDialect for Sqlite {
    const DIALECT: Dialect = Dialect::Sqlite;
}

/// The SCIM resource type, which fixes the table aliases the SQL refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScimTable {
    /// Users: `FROM memberships m`.
    Users,
    /// Groups: `FROM groups g` (members in `group_members`).
    Groups,
}

/// Direction of an [`order_by`] term.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SortOrder {
    /// `ascending` (the RFC 7644 §3.4.2.3 default).
    #[default]
    Ascending,
    /// `descending`.
    Descending,
}

/// One bind parameter, in placeholder order.
#[derive(Debug, Clone, PartialEq)]
pub enum SqlBind {
    /// Text: a value, a `LIKE` pattern, a JSON key (PostgreSQL) or a JSON path (SQLite).
    Text(String),
    /// A JSON path as a `text[]` (PostgreSQL only; never produced for SQLite).
    TextArray(Vec<String>),
    /// A 64-bit integer.
    Int(i64),
    /// A double.
    Float(f64),
    /// A boolean (SQLite stores it as 0 / 1).
    Bool(bool),
    /// A UUID (`uuid` on PostgreSQL, 16-byte `BLOB` on SQLite).
    Uuid(uuid::Uuid),
    /// An instant (`timestamptz` on PostgreSQL; SQLite comparisons bind normalised text).
    Time(chrono::DateTime<chrono::Utc>),
}

/// A piece of SQL with its bind parameters; `binds[i]` is placeholder `$(first + i)`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SqlFragment {
    /// The SQL text (placeholders only, never values).
    pub sql: String,
    /// The values for the placeholders, in order.
    pub binds: Vec<SqlBind>,
}

/// A filter or sort that validated against the schema but that this store cannot evaluate.
/// The HTTP layer answers `400` with `scimType` [`FilterSqlError::scim_type`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilterSqlError {
    /// The attribute, or this use of it, is not supported.
    #[error("{what} \"{attr}\" is not supported: {reason}")]
    Unsupported {
        /// `filtering on` or `sorting by`.
        what: &'static str,
        /// The attribute path, as resolved.
        attr: String,
        /// Why, in words a client can act on.
        reason: String,
    },
}

impl FilterSqlError {
    /// The `scimType` of the error response (RFC 7644 §3.12): `invalidFilter`.
    pub fn scim_type(&self) -> &'static str {
        "invalidFilter"
    }
}

/// Translates `filter` into a boolean SQL expression over `table`'s aliases (`m`, `a` for
/// Users; `g` for Groups), with placeholders numbered from `$first_placeholder`.
///
/// The result is parenthesised and safe to splice after `AND`.
pub fn filter_sql(
    filter: &TypedFilter,
    table: ScimTable,
    dialect: Dialect,
    first_placeholder: usize,
) -> Result<SqlFragment, FilterSqlError> {
    let mut builder = emit::Builder::new(table, dialect, first_placeholder);
    let sql = builder.filter(filter)?;
    Ok(builder.finish(sql))
}

/// One `ORDER BY` term for `sortBy` = `attr` (RFC 7644 §3.4.2.3), e.g.
/// `m.user_name_key ASC NULLS LAST`, with placeholders numbered from `$first_placeholder`.
///
/// Case-insensitive strings sort by their lower-cased form, in code-point order on both
/// backends; a multi-valued attribute sorts by its primary value, else its first; missing
/// values sort last in both directions. Callers append a unique tie-breaker (`m.id`, `g.id`).
pub fn order_by(
    attr: &ResolvedAttr,
    table: ScimTable,
    dialect: Dialect,
    order: SortOrder,
    first_placeholder: usize,
) -> Result<SqlFragment, FilterSqlError> {
    let mut builder = emit::Builder::new(table, dialect, first_placeholder);
    let expr = order::sort_expr(&mut builder, attr)?;
    let direction = match order {
        SortOrder::Ascending => "ASC",
        SortOrder::Descending => "DESC",
    };
    Ok(builder.finish(format!("{expr} {direction} NULLS LAST")))
}

/// Puts [`SqlBind`]s on a sqlx query, in order; implemented for `query`, `query_as` and
/// `query_scalar` on both backends, so code compiled once per backend can call it.
pub trait BindScim: Sized {
    /// Binds every value of `binds` after those already bound.
    fn bind_scim(self, binds: Vec<SqlBind>) -> Self;
}

/// Implements [`BindScim`] for one query type; `$lite` says whether it is SQLite's.
macro_rules! impl_bind_scim {
    ($lite:tt, [$($generics:tt)*], $ty:ty) => {
        impl<$($generics)*> BindScim for $ty {
            fn bind_scim(mut self, binds: Vec<SqlBind>) -> Self {
                for bind in binds {
                    self = match bind {
                        SqlBind::Text(text) => self.bind(text),
                        SqlBind::TextArray(keys) => impl_bind_scim!(@array $lite, self, keys),
                        SqlBind::Int(i) => self.bind(i),
                        SqlBind::Float(f) => self.bind(f),
                        SqlBind::Bool(b) => self.bind(b),
                        SqlBind::Uuid(u) => self.bind(u),
                        SqlBind::Time(t) => self.bind(t),
                    };
                }
                self
            }
        }
    };
    (@array false, $query:ident, $keys:ident) => { $query.bind($keys) };
    // SQLite has no arrays (and the builder never emits one for it): bind the JSON path.
    (@array true, $query:ident, $keys:ident) => { $query.bind(target::sqlite_path(&$keys)) };
}

impl_bind_scim!(false, ['q], Query<'q, Postgres, PgArguments>);
impl_bind_scim!(true, ['q], Query<'q, Sqlite, SqliteArguments<'q>>);
impl_bind_scim!(false, ['q, O], QueryAs<'q, Postgres, O, PgArguments>);
impl_bind_scim!(true, ['q, O], QueryAs<'q, Sqlite, O, SqliteArguments<'q>>);
impl_bind_scim!(false, ['q, O], QueryScalar<'q, Postgres, O, PgArguments>);
impl_bind_scim!(true, ['q, O], QueryScalar<'q, Sqlite, O, SqliteArguments<'q>>);
