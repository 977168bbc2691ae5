//! Tests for the filter grammar of RFC 7644 §3.4.2.2: operators, logic,
//! precedence, value paths, paths, strings and numbers.

use super::tests_support::*;
use super::*;

#[test]
fn every_comparison_operator() {
    for op in CompareOp::ALL {
        let text = format!("title {} \"x\"", op.as_str());
        assert_eq!(p(&text), cmp("title", op, s("x")));
        let upper = format!("title {} \"x\"", op.as_str().to_uppercase());
        assert_eq!(p(&upper), cmp("title", op, s("x")));
    }
}

#[test]
fn presence() {
    assert_eq!(p("title pr"), Filter::Present(path("title")));
    assert_eq!(
        p("name.familyName PR"),
        Filter::Present(path("name.familyName"))
    );
}

#[test]
fn entra_and_okta_forms() {
    assert_eq!(
        p("userName eq \"test.user@contoso.com\""),
        cmp("userName", CompareOp::Eq, s("test.user@contoso.com"))
    );
    assert_eq!(
        p("externalId eq \"5e1e3f40-8b2a-4c1e-9f3d-2a6b7c8d9e0f\""),
        cmp(
            "externalId",
            CompareOp::Eq,
            s("5e1e3f40-8b2a-4c1e-9f3d-2a6b7c8d9e0f")
        )
    );
    assert_eq!(
        p("displayName eq \"Group A\""),
        cmp("displayName", CompareOp::Eq, s("Group A"))
    );
    assert_eq!(
        p("id eq \"2819c223-7f76-453a-919d-413861904646\""),
        cmp(
            "id",
            CompareOp::Eq,
            s("2819c223-7f76-453a-919d-413861904646")
        )
    );
}

#[test]
fn value_path_with_trailing_sub_attribute_is_accepted_in_filters() {
    let expected = vp(
        "emails",
        and(
            cmp("type", CompareOp::Eq, s("work")),
            cmp("value", CompareOp::Eq, s("x")),
        ),
    );
    assert_eq!(p("emails[type eq \"work\"].value eq \"x\""), expected);
    assert_eq!(p("emails[type eq \"work\" and value eq \"x\"]"), expected);
    assert_eq!(
        p("emails[type eq \"work\"].value eq \"x\"").to_string(),
        "emails[type eq \"work\" and value eq \"x\"]"
    );
    // The sub-attribute must touch the bracket.
    assert_eq!(syntax_err("emails[type eq \"work\"] .value eq \"x\"").0, 23);
    assert!(parse_filter("emails[type eq \"work\"].value").is_err());
}

#[test]
fn logical_operators_and_precedence() {
    assert_eq!(p("a eq 1 and b eq 2"), and(eq("a", 1), eq("b", 2)));
    assert_eq!(p("a eq 1 or b eq 2"), or(eq("a", 1), eq("b", 2)));
    assert_eq!(
        p("a eq 1 or b eq 2 and c eq 3"),
        or(eq("a", 1), and(eq("b", 2), eq("c", 3)))
    );
    assert_eq!(
        p("a eq 1 and b eq 2 or c eq 3"),
        or(and(eq("a", 1), eq("b", 2)), eq("c", 3))
    );
    assert_eq!(
        p("a eq 1 and b eq 2 and c eq 3"),
        and(and(eq("a", 1), eq("b", 2)), eq("c", 3))
    );
    assert_eq!(
        p("a eq 1 or b eq 2 or c eq 3"),
        or(or(eq("a", 1), eq("b", 2)), eq("c", 3))
    );
    assert_eq!(
        p("a eq 1 AND b eq 2 Or c eq 3"),
        or(and(eq("a", 1), eq("b", 2)), eq("c", 3))
    );
}

#[test]
fn parentheses_and_not() {
    assert_eq!(
        p("(a eq 1 or b eq 2) and c eq 3"),
        and(or(eq("a", 1), eq("b", 2)), eq("c", 3))
    );
    assert_eq!(
        p("a eq 1 and (b eq 2 or c eq 3)"),
        and(eq("a", 1), or(eq("b", 2), eq("c", 3)))
    );
    assert_eq!(p("((a eq 1))"), eq("a", 1));
    assert_eq!(p("not (a eq 1)"), not(eq("a", 1)));
    assert_eq!(p("NOT(a eq 1)"), not(eq("a", 1)));
    assert_eq!(p("not (not (a eq 1))"), not(not(eq("a", 1))));
    assert_eq!(
        p("not (a eq 1) and b eq 2"),
        and(not(eq("a", 1)), eq("b", 2))
    );
    assert_eq!(
        p("a eq 1 or not (b eq 2 and c eq 3)"),
        or(eq("a", 1), not(and(eq("b", 2), eq("c", 3))))
    );
    // An attribute that happens to be called "not".
    assert_eq!(p("not eq 1"), eq("not", 1));
    assert_eq!(p("and pr"), Filter::Present(path("and")));
}

#[test]
fn value_paths() {
    assert_eq!(
        p("emails[type eq \"work\" and value co \"@example.com\"]"),
        vp(
            "emails",
            and(
                cmp("type", CompareOp::Eq, s("work")),
                cmp("value", CompareOp::Co, s("@example.com"))
            )
        )
    );
    assert_eq!(
        p("emails[type eq \"work\" or (primary eq true and not (value ew \".org\"))]"),
        vp(
            "emails",
            or(
                cmp("type", CompareOp::Eq, s("work")),
                and(
                    cmp("primary", CompareOp::Eq, Value::Boolean(true)),
                    not(cmp("value", CompareOp::Ew, s(".org")))
                )
            )
        )
    );
    assert_eq!(
        p("userType eq \"Employee\" and emails[type eq \"work\"] or members[$ref pr]"),
        or(
            and(
                cmp("userType", CompareOp::Eq, s("Employee")),
                vp("emails", cmp("type", CompareOp::Eq, s("work")))
            ),
            vp("members", Filter::Present(path("$ref")))
        )
    );
    let (pos, msg) = syntax_err("emails[type[value eq 1] eq 2]");
    assert_eq!((pos, msg.as_str()), (11, "value filters cannot be nested"));
    assert!(syntax_err("emails[name.type eq 1]")
        .1
        .contains("sub-attribute name"));
    assert!(syntax_err("name.givenName[value eq 1]")
        .1
        .contains("sub-attribute"));
}

#[test]
fn urn_qualified_paths_and_sub_attributes() {
    let employee = AttrPath::new("employeeNumber").with_urn(ENTERPRISE);
    assert_eq!(
        p(&format!("{ENTERPRISE}:employeeNumber eq \"701984\"")),
        Filter::Compare {
            path: employee,
            op: CompareOp::Eq,
            value: s("701984")
        }
    );
    let manager = AttrPath::new("manager")
        .with_urn(ENTERPRISE)
        .with_sub("value");
    assert_eq!(
        p(&format!("{ENTERPRISE}:manager.value eq \"26118915\"")),
        Filter::Compare {
            path: manager,
            op: CompareOp::Eq,
            value: s("26118915")
        }
    );
    let core = "urn:ietf:params:scim:schemas:core:2.0:User";
    let given = AttrPath::new("name").with_urn(core).with_sub("givenName");
    assert_eq!(
        p(&format!("{core}:name.givenName sw \"Ba\"")),
        Filter::Compare {
            path: given,
            op: CompareOp::Sw,
            value: s("Ba")
        }
    );
    assert_eq!(
        p("meta.lastModified gt \"2011-05-13T04:42:34Z\""),
        cmp(
            "meta.lastModified",
            CompareOp::Gt,
            s("2011-05-13T04:42:34Z")
        )
    );
    assert_eq!(p("members.$ref pr"), Filter::Present(path("members.$ref")));
    assert!(syntax_err("1abc eq 1").1.contains("invalid attribute name"));
    assert!(syntax_err("a.b.c eq 1")
        .1
        .contains("invalid attribute name"));
    assert!(syntax_err("$ref eq 1").1.contains("invalid attribute name"));
    assert!(syntax_err("foo:bar eq 1").1.contains("invalid schema URI"));
    assert!(syntax_err(&format!("{ENTERPRISE}: eq 1"))
        .1
        .contains("expected attribute name"));
}

#[test]
fn strings_escapes_and_injection() {
    assert_eq!(
        p(r#"userName eq "x\" or 1=1""#),
        cmp("userName", CompareOp::Eq, s("x\" or 1=1"))
    );
    assert_eq!(
        p(r#"userName eq "it's'; DROP TABLE users; --""#),
        cmp("userName", CompareOp::Eq, s("it's'; DROP TABLE users; --"))
    );
    assert_eq!(
        p(r#"title eq "a\\b\/c\n\t\r\b\f""#),
        cmp("title", CompareOp::Eq, s("a\\b/c\n\t\r\u{8}\u{c}"))
    );
    assert_eq!(
        p(r#"title eq "caf\u00e9 \u00E9""#),
        cmp("title", CompareOp::Eq, s("café é"))
    );
    assert_eq!(
        p(r#"title eq "\ud83d\ude00""#),
        cmp("title", CompareOp::Eq, s("😀"))
    );
    assert_eq!(
        p("title eq \"日本 😀\""),
        cmp("title", CompareOp::Eq, s("日本 😀"))
    );
    assert_eq!(p("title eq \"\""), cmp("title", CompareOp::Eq, s("")));
    assert_eq!(
        p("title eq \"(a) [b]\""),
        cmp("title", CompareOp::Eq, s("(a) [b]"))
    );
    assert!(syntax_err(r#"title eq "\ud83d""#).1.contains("surrogate"));
    assert!(syntax_err(r#"title eq "\ude00""#).1.contains("surrogate"));
    assert!(syntax_err(r#"title eq "\u12g4""#).1.contains("hex"));
    assert_eq!(
        syntax_err(r#"title eq "a\x""#),
        (11, "invalid escape sequence \"\\x\" in string".to_string())
    );
    assert_eq!(
        syntax_err("title eq \"a\tb\""),
        (11, "unescaped control character in string".to_string())
    );
    assert_eq!(
        syntax_err("userName eq \"bjensen"),
        (12, "unterminated string".to_string())
    );
}

#[test]
fn numbers_booleans_null() {
    let cases = [
        ("0", Value::Integer(0)),
        ("42", Value::Integer(42)),
        ("-17", Value::Integer(-17)),
        ("9223372036854775807", Value::Integer(i64::MAX)),
        ("-9223372036854775808", Value::Integer(i64::MIN)),
        ("1.5", Value::Decimal(1.5)),
        ("-0.25", Value::Decimal(-0.25)),
        ("1e3", Value::Decimal(1000.0)),
        ("2.5E-2", Value::Decimal(0.025)),
        ("1e+2", Value::Decimal(100.0)),
        ("true", Value::Boolean(true)),
        ("FALSE", Value::Boolean(false)),
        ("True", Value::Boolean(true)),
        ("null", Value::Null),
        ("NULL", Value::Null),
    ];
    for (text, value) in cases {
        assert_eq!(
            p(&format!("x eq {text}")),
            cmp("x", CompareOp::Eq, value),
            "{text}"
        );
    }
    for bad in [
        "01", "1.", ".5", "-", "1e", "1e+", "+1", "1.2.3", "0x10", "1-2",
    ] {
        assert!(
            syntax_err(&format!("x eq {bad}"))
                .1
                .contains("invalid number"),
            "{bad}"
        );
    }
    assert!(syntax_err("x eq 9223372036854775808")
        .1
        .contains("out of range"));
    assert!(syntax_err("x eq 1e999").1.contains("out of range"));
    assert!(syntax_err("x eq bjensen").1.contains("double quotes"));
}

#[test]
fn whitespace_is_tolerated() {
    assert_eq!(
        p("  a   eq  1   and\tb eq 2  "),
        and(eq("a", 1), eq("b", 2))
    );
    assert_eq!(p("(a eq 1)and(b eq 2)"), and(eq("a", 1), eq("b", 2)));
}
