//! The SQL vocabulary shared by filters and sorting: the [`Builder`] that numbers binds,
//! and the per-dialect spelling of JSON values, array elements, presence, `LIKE` patterns and
//! SQLite instants.

use chrono::{DateTime, Utc};

use crate::domain::query::CompareOp;

use super::target;
use super::{Dialect, ScimTable, SqlBind, SqlFragment};

/// One JSON value as SQL: its type name, its scalar (text) value, and (PostgreSQL) itself.
pub(super) struct JsonLoc {
    /// `jsonb_typeof(…)` / `json_type(…)`: `NULL` when absent.
    pub(super) typ: String,
    /// The value as text (PostgreSQL) or as SQLite's `json_extract` gives it.
    pub(super) val: String,
    /// The `jsonb` value (PostgreSQL); the JSON text (SQLite).
    pub(super) json: String,
}

/// Accumulates binds while emitting SQL.
pub(super) struct Builder {
    /// The resource type (table aliases, core schema).
    pub(super) table: ScimTable,
    /// The dialect to emit.
    pub(super) dialect: Dialect,
    /// Number of the first placeholder.
    first: usize,
    /// Binds so far; `binds[i]` is `$(first + i)`.
    binds: Vec<SqlBind>,
    /// Sub-query aliases handed out so far.
    aliases: usize,
}

/// `value` as a `LIKE` pattern for `op`, with `\`, `%` and `_` escaped by `\`.
pub(super) fn like_pattern(op: CompareOp, value: &str) -> String {
    let mut pattern = String::with_capacity(value.len() + 2);
    if matches!(op, CompareOp::Co | CompareOp::Ew) {
        pattern.push('%');
    }
    for c in value.chars() {
        if matches!(c, '\\' | '%' | '_') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    if matches!(op, CompareOp::Co | CompareOp::Sw) {
        pattern.push('%');
    }
    pattern
}

/// An instant as SQLite-side comparable text: UTC, `YYYY-MM-DDTHH:MM:SS.fffffffff`.
pub(super) fn sqlite_instant_text(instant: DateTime<Utc>) -> String {
    instant.format("%Y-%m-%dT%H:%M:%S%.9f").to_string()
}

/// SQL turning SQLite date-time text `x` (any offset, any fraction width, `T` or space) into
/// the form of [`sqlite_instant_text`]. The whole seconds go through `strftime` (which
/// applies the offset) with the fraction removed first, so that SQLite's millisecond
/// rounding never carries into the seconds; the fraction digits are padded to nine.
pub(super) fn sqlite_instant(x: &str) -> String {
    let fraction = format!(
        "(CASE WHEN substr({x}, 20, 1) = '.' THEN substr({x}, 21, length({x}) - 20 - \
         length(ltrim(substr({x}, 21), '0123456789'))) ELSE '' END)"
    );
    format!(
        "(strftime('%Y-%m-%dT%H:%M:%S', replace({x}, '.' || {fraction}, '')) || '.' || \
         substr({fraction} || '000000000', 1, 9))"
    )
}

/// [`sqlite_instant`] truncated to the millisecond (the fraction digits after the third
/// become zeros), in the same fixed-width form, so it compares with [`sqlite_instant_text`].
pub(super) fn sqlite_instant_millis(x: &str) -> String {
    format!("(substr({}, 1, 23) || '000000')", sqlite_instant(x))
}

impl Builder {
    pub(super) fn new(table: ScimTable, dialect: Dialect, first: usize) -> Self {
        Builder {
            table,
            dialect,
            first,
            binds: Vec::new(),
            aliases: 0,
        }
    }

    pub(super) fn finish(self, sql: String) -> SqlFragment {
        SqlFragment {
            sql,
            binds: self.binds,
        }
    }

    /// The placeholder for `bind`, reusing an equal earlier bind.
    ///
    /// On PostgreSQL every placeholder carries a cast to its bind's type (`$3::float8`): sqlx
    /// caches prepared statements by SQL text, so a text that does not fix the parameter
    /// types would be reused with the types of its first use (an `int8` parameter then reads
    /// a later `float8`'s bytes as an integer).
    pub(super) fn bind(&mut self, bind: SqlBind) -> String {
        let cast = match (self.dialect, &bind) {
            (Dialect::Sqlite, _) => "",
            (Dialect::Postgres, SqlBind::Text(_)) => "::text",
            (Dialect::Postgres, SqlBind::TextArray(_)) => "::text[]",
            (Dialect::Postgres, SqlBind::Int(_)) => "::int8",
            (Dialect::Postgres, SqlBind::Float(_)) => "::float8",
            (Dialect::Postgres, SqlBind::Bool(_)) => "::boolean",
            (Dialect::Postgres, SqlBind::Uuid(_)) => "::uuid",
            (Dialect::Postgres, SqlBind::Time(_)) => "::timestamptz",
        };
        let index = match self.binds.iter().position(|b| *b == bind) {
            Some(index) => index,
            None => {
                self.binds.push(bind);
                self.binds.len() - 1
            }
        };
        format!("${}{cast}", self.first + index)
    }

    pub(super) fn text(&mut self, text: impl Into<String>) -> String {
        self.bind(SqlBind::Text(text.into()))
    }

    /// A fresh alias for a sub-query.
    pub(super) fn alias(&mut self, prefix: &str) -> String {
        self.aliases += 1;
        format!("scim_{prefix}{}", self.aliases)
    }

    pub(super) fn pg(&self) -> bool {
        self.dialect == Dialect::Postgres
    }

    /// The search document (`scim_search`): the SCIM document with case-insensitive strings
    /// folded, which is what filters and sorting read.
    pub(super) fn doc(&self) -> &'static str {
        match self.table {
            ScimTable::Users => "m.scim_search",
            ScimTable::Groups => "g.scim_search",
        }
    }

    /// The bound JSON path of `keys`: a `text[]` (PostgreSQL) or `$."a"."b"` text (SQLite).
    fn path(&mut self, keys: &[String]) -> String {
        if self.pg() {
            self.bind(SqlBind::TextArray(keys.to_vec()))
        } else {
            self.text(target::sqlite_path(keys))
        }
    }

    /// The JSON value at `keys` in the resource's document.
    pub(super) fn doc_loc(&mut self, keys: &[String]) -> JsonLoc {
        let doc = self.doc();
        let p = self.path(keys);
        if self.pg() {
            JsonLoc {
                typ: format!("jsonb_typeof({doc} #> {p})"),
                val: format!("({doc} #>> {p})"),
                json: format!("({doc} #> {p})"),
            }
        } else {
            JsonLoc {
                typ: format!("json_type({doc}, {p})"),
                val: format!("json_extract({doc}, {p})"),
                json: format!("json_extract({doc}, {p})"),
            }
        }
    }

    /// The array element bound to `alias` (see [`Builder::elements`]), or its `sub` key.
    pub(super) fn element_loc(&mut self, alias: &str, sub: Option<&str>) -> JsonLoc {
        match (self.dialect, sub) {
            (Dialect::Postgres, Some(sub)) => {
                let k = self.text(sub);
                JsonLoc {
                    typ: format!("jsonb_typeof({alias}.v -> {k})"),
                    val: format!("({alias}.v ->> {k})"),
                    json: format!("({alias}.v -> {k})"),
                }
            }
            (Dialect::Postgres, None) => JsonLoc {
                typ: format!("jsonb_typeof({alias}.v)"),
                val: format!("({alias}.v #>> '{{}}')"),
                json: format!("{alias}.v"),
            },
            (Dialect::Sqlite, Some(sub)) => {
                // json_each gives non-object elements as plain SQL values, which are not JSON
                // text: only look inside objects.
                let k = self.text(target::sqlite_path(&[sub.to_string()]));
                let inside = |f: &str| {
                    format!("(CASE WHEN {alias}.type = 'object' THEN {f}({alias}.value, {k}) END)")
                };
                JsonLoc {
                    typ: inside("json_type"),
                    val: inside("json_extract"),
                    json: inside("json_extract"),
                }
            }
            (Dialect::Sqlite, None) => JsonLoc {
                typ: format!("{alias}.type"),
                val: format!("{alias}.value"),
                json: format!("{alias}.value"),
            },
        }
    }

    /// `FROM` clause over the elements of the JSON array at `array` (nothing when it is not
    /// an array), with the element as `alias` (PostgreSQL: columns `v` and ordinal `n`),
    /// plus the `WHERE` condition it needs to skip non-arrays (SQLite).
    pub(super) fn elements(&mut self, array: &[String], alias: &str) -> (String, Option<String>) {
        let doc = self.doc();
        let p = self.path(array);
        if self.pg() {
            let j = format!("({doc} #> {p})");
            (
                format!(
                    "jsonb_array_elements(CASE WHEN jsonb_typeof({j}) = 'array' THEN {j} \
                     ELSE '[]'::jsonb END) WITH ORDINALITY AS {alias}(v, n)"
                ),
                None,
            )
        } else {
            (
                format!("json_each({doc}, {p}) AS {alias}"),
                Some(format!("json_type({doc}, {p}) = 'array'")),
            )
        }
    }

    /// `pr` on a JSON value: present, not `null`, not `""`, `[]` or `{}`.
    pub(super) fn json_present(&self, loc: &JsonLoc) -> String {
        let JsonLoc { typ, val, json } = loc;
        if self.pg() {
            format!(
                "(CASE {typ} WHEN 'string' THEN {val} <> '' WHEN 'array' THEN {json} <> '[]'::jsonb \
                 WHEN 'object' THEN {json} <> '{{}}'::jsonb WHEN 'null' THEN FALSE \
                 ELSE {typ} IS NOT NULL END)"
            )
        } else {
            format!(
                "(CASE {typ} WHEN 'text' THEN {val} <> '' WHEN 'array' THEN {json} <> '[]' \
                 WHEN 'object' THEN {json} <> '{{}}' WHEN 'null' THEN FALSE \
                 ELSE {typ} IS NOT NULL END)"
            )
        }
    }

    /// The condition "the array element bound to `alias` is a JSON object".
    pub(super) fn is_object(&self, alias: &str) -> String {
        if self.pg() {
            format!("jsonb_typeof({alias}.v) = 'object'")
        } else {
            format!("{alias}.type = 'object'")
        }
    }

    /// The condition "the JSON value is a string".
    pub(super) fn is_string(&self, loc: &JsonLoc) -> String {
        let name = if self.pg() { "string" } else { "text" };
        format!("{} = '{name}'", loc.typ)
    }

    /// The JSON value as a number, `NULL` when it is no number.
    pub(super) fn number(&self, loc: &JsonLoc) -> String {
        if self.pg() {
            format!(
                "(CASE WHEN {} = 'number' THEN ({})::numeric END)",
                loc.typ, loc.val
            )
        } else {
            format!(
                "(CASE WHEN {} IN ('integer', 'real') THEN {} END)",
                loc.typ, loc.val
            )
        }
    }
}
