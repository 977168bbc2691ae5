//! Unit tests of the SQL text and binds; what the SQL selects is tested against real
//! PostgreSQL and SQLite databases outside this module.

use chrono::{TimeZone, Utc};

use super::emit::{like_pattern, sqlite_instant_text};
use super::target::sqlite_path;
use super::*;
use crate::domain::query::{AttrInfo, AttrPath, AttrType, CompareOp, TypedValue};

fn attr(name: &str, sub: Option<&str>, attr_type: AttrType, case_exact: bool) -> ResolvedAttr {
    ResolvedAttr {
        path: AttrPath {
            urn: None,
            name: name.into(),
            sub: sub.map(str::to_string),
        },
        info: AttrInfo {
            attr_type,
            case_exact,
            multi_valued: false,
        },
    }
}

fn string_eq(name: &str, sub: Option<&str>, value: &str) -> TypedFilter {
    TypedFilter::Compare {
        attr: attr(name, sub, AttrType::String, false),
        op: CompareOp::Eq,
        value: TypedValue::String(value.into()),
    }
}

#[test]
fn like_patterns_escape_wildcards_and_the_escape() {
    assert_eq!(like_pattern(CompareOp::Co, r"50%_a\b"), r"%50\%\_a\\b%");
    assert_eq!(like_pattern(CompareOp::Sw, "ab"), "ab%");
    assert_eq!(like_pattern(CompareOp::Ew, "ab"), "%ab");
}

#[test]
fn sqlite_paths_quote_every_key() {
    let keys = [
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User".to_string(),
        "department".to_string(),
    ];
    assert_eq!(
        sqlite_path(&keys),
        "$.\"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User\".\"department\""
    );
}

#[test]
fn sqlite_instants_are_fixed_width_utc() {
    let at = Utc.with_ymd_and_hms(2026, 11, 27, 22, 41, 21).unwrap();
    assert_eq!(sqlite_instant_text(at), "2026-11-27T22:41:21.000000000");
}

#[test]
fn values_and_paths_are_binds_numbered_from_the_first_placeholder() {
    let filter = TypedFilter::Or(
        Box::new(string_eq("userName", None, "x' OR '1'='1")),
        Box::new(string_eq("title", None, "x' OR '1'='1")),
    );
    for dialect in [Dialect::Postgres, Dialect::Sqlite] {
        let fragment = filter_sql(&filter, ScimTable::Users, dialect, 2).unwrap();
        assert!(!fragment.sql.contains("OR '1'"), "{}", fragment.sql);
        assert!(!fragment.sql.contains("title"), "{}", fragment.sql);
        assert!(fragment.sql.contains("$2") && fragment.sql.contains("$3"));
        if dialect == Dialect::Postgres {
            assert!(fragment.sql.contains("$3::text[]"), "{}", fragment.sql);
        }
        assert!(!fragment.sql.contains("$4"), "{}", fragment.sql);
        // Both are case-insensitive: the folded key and the folded search document are
        // compared with the value folded in Rust (one bind, shared), never lower() in SQL.
        assert!(!fragment.sql.contains("lower("), "{}", fragment.sql);
        assert_eq!(fragment.binds[0], SqlBind::Text("x' or '1'='1".into()));
        assert_eq!(fragment.binds.len(), 2);
    }
}

#[test]
fn postgres_placeholders_fix_their_types() {
    // sqlx caches statements by text: `loginCount eq 7` and `loginCount eq 7.5` must differ.
    let compare = |value| TypedFilter::Compare {
        attr: attr("loginCount", None, AttrType::Decimal, false),
        op: CompareOp::Eq,
        value,
    };
    let int = filter_sql(
        &compare(TypedValue::Integer(7)),
        ScimTable::Users,
        Dialect::Postgres,
        2,
    );
    let float = filter_sql(
        &compare(TypedValue::Decimal(7.5)),
        ScimTable::Users,
        Dialect::Postgres,
        2,
    );
    let (int, float) = (int.unwrap().sql, float.unwrap().sql);
    assert!(
        int.contains("$3::int8") && float.contains("$3::float8"),
        "{int}\n{float}"
    );
}

#[test]
fn equal_binds_share_a_placeholder() {
    let filter = TypedFilter::And(
        Box::new(string_eq("title", None, "a")),
        Box::new(TypedFilter::Not(Box::new(string_eq("title", None, "a")))),
    );
    let fragment = filter_sql(&filter, ScimTable::Users, Dialect::Postgres, 1).unwrap();
    assert_eq!(
        fragment.binds,
        vec![
            SqlBind::TextArray(vec!["title".into()]),
            SqlBind::Text("a".into())
        ]
    );
    assert!(fragment.sql.contains("NOT COALESCE("), "{}", fragment.sql);
}

#[test]
fn refusals_name_the_attribute() {
    let cases = [
        (ScimTable::Users, string_eq("password", None, "x")),
        (ScimTable::Users, string_eq("groups", Some("value"), "x")),
        (ScimTable::Users, string_eq("meta", Some("location"), "x")),
        (
            ScimTable::Groups,
            string_eq("members", Some("display"), "x"),
        ),
    ];
    for (table, filter) in cases {
        let err = filter_sql(&filter, table, Dialect::Sqlite, 2).unwrap_err();
        assert_eq!(err.scim_type(), "invalidFilter");
        let FilterSqlError::Unsupported { attr, .. } = &err;
        assert!(err.to_string().contains(attr.as_str()), "{err}");
    }
}

#[test]
fn sort_terms_put_missing_values_last() {
    let title = attr("title", None, AttrType::String, false);
    let asc = order_by(
        &title,
        ScimTable::Users,
        Dialect::Postgres,
        SortOrder::Ascending,
        3,
    )
    .unwrap();
    assert!(
        asc.sql.ends_with("COLLATE \"C\" ASC NULLS LAST"),
        "{}",
        asc.sql
    );
    assert_eq!(asc.binds, vec![SqlBind::TextArray(vec!["title".into()])]);
    let user_name = attr("userName", None, AttrType::String, false);
    let desc = order_by(
        &user_name,
        ScimTable::Users,
        Dialect::Sqlite,
        SortOrder::Descending,
        3,
    )
    .unwrap();
    assert_eq!(desc.sql, "m.user_name_key DESC NULLS LAST");
}
