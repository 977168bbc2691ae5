//! Translation of a [`TypedFilter`] into SQL: logic, negation, value paths, and each leaf
//! for its attribute's storage ([`Target`]).

use chrono::{DateTime, FixedOffset, Utc};

use crate::domain::case_fold::fold_case;
use crate::domain::query::{AttrType, CompareOp, ResolvedAttr, TypedFilter, TypedValue};

use super::emit::{like_pattern, sqlite_instant_millis, sqlite_instant_text, Builder, JsonLoc};
use super::target::{self, CaseMode, Column, Purpose, Target, ValuePathKind};
use super::{FilterSqlError, SqlBind};

/// A SQL expression that is never true.
const FALSE_SQL: &str = "1 = 0";

type Result<T> = std::result::Result<T, FilterSqlError>;

/// Where the leaves of the filter being translated are evaluated.
#[derive(Clone, Copy)]
enum Scope<'a> {
    /// The resource row.
    Row,
    /// One element of a JSON array, bound to this `FROM` alias.
    Element(&'a str),
    /// One `group_members` row, bound to this alias.
    Member(&'a str),
}

/// `Unsupported` for a filter on `attr`.
fn refuse(attr: &ResolvedAttr, reason: impl Into<String>) -> FilterSqlError {
    FilterSqlError::Unsupported {
        what: "filtering on",
        attr: attr.path.to_string(),
        reason: reason.into(),
    }
}

fn sql_op(op: CompareOp) -> &'static str {
    match op {
        CompareOp::Eq => "=",
        CompareOp::Ne => "<>",
        CompareOp::Gt => ">",
        CompareOp::Lt => "<",
        CompareOp::Ge => ">=",
        CompareOp::Le => "<=",
        CompareOp::Co | CompareOp::Sw | CompareOp::Ew => "LIKE",
    }
}

impl Builder {
    /// `EXISTS` over the elements of the array at `array`, with `body` per element.
    fn exists_element(
        &mut self,
        array: &[String],
        body: impl FnOnce(&mut Self, &str) -> Result<String>,
    ) -> Result<String> {
        let alias = self.alias("e");
        let (from, guard) = self.elements(array, &alias);
        let body = body(self, &alias)?;
        Ok(match guard {
            Some(guard) => format!("EXISTS (SELECT 1 FROM {from} WHERE {guard} AND {body})"),
            None => format!("EXISTS (SELECT 1 FROM {from} WHERE {body})"),
        })
    }

    /// `EXISTS` over the group's `group_members` rows, with `body` per row.
    fn exists_member(
        &mut self,
        body: impl FnOnce(&mut Self, &str) -> Result<String>,
    ) -> Result<String> {
        let alias = self.alias("gm");
        let body = body(self, &alias)?;
        Ok(format!(
            "EXISTS (SELECT 1 FROM group_members {alias} WHERE {alias}.group_id = g.id AND {body})"
        ))
    }

    /// The whole filter, in the resource row's scope.
    pub(super) fn filter(&mut self, filter: &TypedFilter) -> Result<String> {
        self.node(filter, Scope::Row)
    }

    fn node(&mut self, filter: &TypedFilter, scope: Scope<'_>) -> Result<String> {
        Ok(match filter {
            TypedFilter::And(l, r) => {
                format!("({} AND {})", self.node(l, scope)?, self.node(r, scope)?)
            }
            TypedFilter::Or(l, r) => {
                format!("({} OR {})", self.node(l, scope)?, self.node(r, scope)?)
            }
            TypedFilter::Not(inner) => negate(&self.node(inner, scope)?),
            TypedFilter::Present(attr) => self.present(attr, scope)?,
            TypedFilter::Compare { attr, op, value } => self.compare(attr, *op, value, scope)?,
            TypedFilter::ValuePath { attr, filter } => {
                if !matches!(scope, Scope::Row) {
                    return Err(refuse(attr, "value filters cannot be nested"));
                }
                match target::value_path_kind(attr, self.table).map_err(|r| refuse(attr, r))? {
                    ValuePathKind::Members => {
                        self.exists_member(|b, gm| b.node(filter, Scope::Member(gm)))?
                    }
                    // A value filter tests complex values: elements that are no JSON object
                    // (malformed documents) never match, not even `not (…)`.
                    ValuePathKind::Elements(array) => self.exists_element(&array, |b, e| {
                        let object = b.is_object(e);
                        Ok(format!(
                            "({object} AND {})",
                            b.node(filter, Scope::Element(e))?
                        ))
                    })?,
                    ValuePathKind::Plain => self.node(filter, Scope::Row)?,
                }
            }
        })
    }

    /// The sub-attribute key of a leaf inside `attr[…]`.
    fn sub_of(attr: &ResolvedAttr) -> Result<&str> {
        attr.path
            .sub
            .as_deref()
            .ok_or_else(|| refuse(attr, "expected a sub-attribute inside a value filter"))
    }

    fn present(&mut self, attr: &ResolvedAttr, scope: Scope<'_>) -> Result<String> {
        match scope {
            Scope::Element(alias) => {
                let loc = self.element_loc(alias, Some(Self::sub_of(attr)?));
                Ok(self.json_present(&loc))
            }
            Scope::Member(alias) => {
                self.member_sub(attr)?;
                Ok(format!("({alias}.membership_id IS NOT NULL)"))
            }
            Scope::Row => {
                match target::resolve(attr, self.table, Purpose::Present)
                    .map_err(|r| refuse(attr, r))?
                {
                    Target::Column(column) => {
                        let (col, _) = column.expr(self.table, attr.info.case_exact);
                        Ok(if column.is_text() {
                            format!("({col} IS NOT NULL AND {col} <> '')")
                        } else {
                            format!("({col} IS NOT NULL)")
                        })
                    }
                    Target::Members => self.exists_member(|_, _| Ok("1 = 1".into())),
                    Target::Doc(keys) => {
                        let loc = self.doc_loc(&keys);
                        Ok(self.json_present(&loc))
                    }
                    Target::Elements { array, sub } => self.exists_element(&array, |b, e| {
                        let loc = b.element_loc(e, sub.as_deref());
                        Ok(b.json_present(&loc))
                    }),
                }
            }
        }
    }

    fn compare(
        &mut self,
        attr: &ResolvedAttr,
        op: CompareOp,
        value: &TypedValue,
        scope: Scope<'_>,
    ) -> Result<String> {
        match (op, value) {
            (CompareOp::Ne, TypedValue::Null) => return self.present(attr, scope),
            (CompareOp::Eq, TypedValue::Null) => return Ok(negate(&self.present(attr, scope)?)),
            (_, TypedValue::Null) => {
                return Err(refuse(
                    attr,
                    format!("null cannot be compared with \"{op}\""),
                ))
            }
            (CompareOp::Ne, _) => {
                return Ok(negate(&self.compare(attr, CompareOp::Eq, value, scope)?))
            }
            _ => {}
        }
        match scope {
            Scope::Element(alias) => {
                let loc = self.element_loc(alias, Some(Self::sub_of(attr)?));
                self.json_compare(&loc, attr, op, value)
            }
            Scope::Member(alias) => self.member_compare(alias, attr, op, value),
            Scope::Row => {
                match target::resolve(attr, self.table, Purpose::Compare)
                    .map_err(|r| refuse(attr, r))?
                {
                    Target::Column(column) => self.column_compare(column, attr, op, value),
                    Target::Members => {
                        self.exists_member(|b, gm| b.member_compare(gm, attr, op, value))
                    }
                    Target::Doc(keys) => {
                        let loc = self.doc_loc(&keys);
                        self.json_compare(&loc, attr, op, value)
                    }
                    Target::Elements { array, sub } => self.exists_element(&array, |b, e| {
                        let loc = b.element_loc(e, sub.as_deref());
                        b.json_compare(&loc, attr, op, value)
                    }),
                }
            }
        }
    }

    /// Checks that a leaf inside `members[…]` names `value`.
    fn member_sub(&self, attr: &ResolvedAttr) -> Result<()> {
        match attr.path.sub.as_deref() {
            Some(sub) if sub.eq_ignore_ascii_case("value") => Ok(()),
            _ => Err(refuse(attr, "of \"members\", only \"value\" is supported")),
        }
    }

    /// `members.value eq "<uuid>"` on one `group_members` row.
    fn member_compare(
        &mut self,
        alias: &str,
        attr: &ResolvedAttr,
        op: CompareOp,
        value: &TypedValue,
    ) -> Result<String> {
        if attr.path.sub.is_some() {
            self.member_sub(attr)?;
        }
        let col = format!("{alias}.membership_id");
        self.uuid_eq(&col, attr, op, value)
    }

    /// `col = $uuid`, or never true for a value that is no UUID.
    fn uuid_eq(
        &mut self,
        col: &str,
        attr: &ResolvedAttr,
        op: CompareOp,
        value: &TypedValue,
    ) -> Result<String> {
        if op != CompareOp::Eq {
            return Err(refuse(
                attr,
                format!("only \"eq\", \"ne\" and \"pr\" are supported, not \"{op}\""),
            ));
        }
        let TypedValue::String(text) = value else {
            return Err(refuse(attr, "expected a string"));
        };
        // Ids are caseExact (RFC 7643 §3.1): only the spelling Gatehouse hands out matches.
        Ok(match uuid::Uuid::parse_str(text) {
            Ok(id) if id.to_string() == *text => {
                format!("({col} = {})", self.bind(SqlBind::Uuid(id)))
            }
            _ => format!("({FALSE_SQL})"),
        })
    }

    fn column_compare(
        &mut self,
        column: Column,
        attr: &ResolvedAttr,
        op: CompareOp,
        value: &TypedValue,
    ) -> Result<String> {
        let (col, mode) = column.expr(self.table, attr.info.case_exact);
        match (column, value) {
            (Column::Id, _) => self.uuid_eq(col, attr, op, value),
            (
                Column::UserName | Column::DisplayName | Column::ExternalId,
                TypedValue::String(s),
            ) => Ok(self.string_op(col, mode, op, s)),
            (Column::Active, TypedValue::Boolean(b)) if op == CompareOp::Eq => {
                Ok(format!("({col} = {})", self.bind(SqlBind::Bool(*b))))
            }
            (Column::Created | Column::LastModified, TypedValue::DateTime(at)) => {
                Ok(self.time_compare(col, op, *at))
            }
            _ => Err(refuse(
                attr,
                format!("\"{op}\" with this value is not supported"),
            )),
        }
    }

    /// `meta.created` / `meta.lastModified` compared as they are rendered: truncated to the
    /// millisecond (`resources::meta`), so `eq` finds a resource by the value it shows and
    /// `gt` its own value never matches it. The filter value keeps its full precision.
    fn time_compare(&mut self, col: &str, op: CompareOp, at: DateTime<FixedOffset>) -> String {
        let at = at.with_timezone(&Utc);
        let op = sql_op(op);
        if self.pg() {
            let p = self.bind(SqlBind::Time(at));
            format!("(date_trunc('milliseconds', {col}) {op} {p})")
        } else {
            let p = self.text(sqlite_instant_text(at));
            format!("({} {op} {p})", sqlite_instant_millis(col))
        }
    }

    /// A string comparison of SQL text `x` with `value` (not `ne`, handled by negation).
    fn string_op(&mut self, x: &str, mode: CaseMode, op: CompareOp, value: &str) -> String {
        let value = match mode {
            CaseMode::Folded => fold_case(value),
            CaseMode::Exact => value.to_string(),
        };
        match op {
            CompareOp::Co | CompareOp::Sw | CompareOp::Ew if value.is_empty() => {
                format!("({x} IS NOT NULL)")
            }
            CompareOp::Co | CompareOp::Sw | CompareOp::Ew
                if mode == CaseMode::Exact && !self.pg() =>
            {
                // SQLite's LIKE ignores ASCII case: match case-exact text by position.
                let v = self.text(value);
                match op {
                    CompareOp::Co => format!("(instr({x}, {v}) > 0)"),
                    CompareOp::Sw => format!("(substr({x}, 1, length({v})) = {v})"),
                    _ => format!("(substr({x}, length({x}) - length({v}) + 1) = {v})"),
                }
            }
            CompareOp::Co | CompareOp::Sw | CompareOp::Ew => {
                // Both sides are folded (or case-exact on PostgreSQL, whose LIKE keeps case).
                let p = self.text(like_pattern(op, &value));
                format!("({x} LIKE {p} ESCAPE '\\')")
            }
            CompareOp::Gt | CompareOp::Lt | CompareOp::Ge | CompareOp::Le if self.pg() => {
                let v = self.text(value);
                format!("({x} COLLATE \"C\" {} {v})", sql_op(op))
            }
            _ => {
                let v = self.text(value);
                format!("({x} {} {v})", sql_op(op))
            }
        }
    }

    fn number_compare(&mut self, loc: &JsonLoc, op: CompareOp, bind: SqlBind) -> String {
        let p = self.bind(bind);
        format!("({} {} {p})", self.number(loc), sql_op(op))
    }

    fn json_compare(
        &mut self,
        loc: &JsonLoc,
        attr: &ResolvedAttr,
        op: CompareOp,
        value: &TypedValue,
    ) -> Result<String> {
        use AttrType as T;
        match (attr.info.attr_type, value) {
            (T::String | T::Reference | T::Binary, TypedValue::String(s)) => {
                // The search document holds case-insensitive strings folded.
                let mode = if attr.info.case_exact {
                    CaseMode::Exact
                } else {
                    CaseMode::Folded
                };
                let test = self.string_op(&loc.val, mode, op, s);
                Ok(format!("({} AND {test})", self.is_string(loc)))
            }
            (T::Integer | T::Decimal, TypedValue::Integer(i)) if ordered(op) => {
                Ok(self.number_compare(loc, op, SqlBind::Int(*i)))
            }
            (T::Integer | T::Decimal, TypedValue::Decimal(d)) if ordered(op) => {
                Ok(self.number_compare(loc, op, SqlBind::Float(*d)))
            }
            (T::Boolean, TypedValue::Boolean(b)) if op == CompareOp::Eq => {
                let p = self.text(b.to_string());
                Ok(if self.pg() {
                    format!("({} = 'boolean' AND {} = {p})", loc.typ, loc.val)
                } else {
                    // json_type names the JSON literals: 'true' / 'false' (a string is 'text').
                    format!("({} = {p})", loc.typ)
                })
            }
            (T::DateTime, _) => Err(refuse(
                attr,
                "dateTime attributes kept in the SCIM document cannot be compared",
            )),
            _ => Err(refuse(
                attr,
                format!(
                    "\"{op}\" with this value is not supported on a {} attribute",
                    attr.info.attr_type
                ),
            )),
        }
    }
}

/// Whether `op` is `eq` or an ordering operator (the operators numbers support).
fn ordered(op: CompareOp) -> bool {
    !matches!(op, CompareOp::Co | CompareOp::Sw | CompareOp::Ew)
}

/// Two-valued negation: an unknown (`NULL`) operand counts as false, so its negation is true.
fn negate(sql: &str) -> String {
    format!("(NOT COALESCE({sql}, FALSE))")
}
