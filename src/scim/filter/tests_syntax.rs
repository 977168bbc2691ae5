//! Tests for syntax errors, limits, the canonical `Display` round trip and
//! PATCH paths (RFC 7644 §3.4.2.2, §3.5.2).

use super::tests_support::*;
use super::*;

#[test]
fn syntax_errors_have_positions() {
    assert_eq!(
        syntax_err("userName"),
        (
            8,
            "expected comparison operator after \"userName\"".to_string()
        )
    );
    assert_eq!(
        syntax_err("userName \"x\""),
        (
            9,
            "expected comparison operator after \"userName\"".to_string()
        )
    );
    assert_eq!(
        syntax_err("userName xx \"x\""),
        (9, "unknown comparison operator \"xx\"".to_string())
    );
    assert_eq!(
        syntax_err("userName eq"),
        (11, "expected comparison value after \"eq\"".to_string())
    );
    assert_eq!(
        syntax_err("userName eq \"x\" garbage"),
        (
            16,
            "unexpected \"garbage\"; expected \"and\", \"or\" or end of filter".to_string()
        )
    );
    assert_eq!(syntax_err(""), (0, "filter is empty".to_string()));
    assert_eq!(syntax_err("   "), (0, "filter is empty".to_string()));
    assert_eq!(
        syntax_err("emails[type eq \"work\""),
        (
            21,
            "expected \"]\" to close \"[\" at position 6".to_string()
        )
    );
    assert_eq!(
        syntax_err("(a eq 1"),
        (7, "expected \")\" to close \"(\" at position 0".to_string())
    );
    assert_eq!(syntax_err("a eq 1)").0, 6);
    assert_eq!(syntax_err("a eq 1 and").0, 10);
    assert_eq!(syntax_err("a eq 1 or or b eq 2").0, 10);
    assert_eq!(
        syntax_err("not a eq 1"),
        (3, "expected \"(\" after \"not\"".to_string())
    );
    assert_eq!(syntax_err("()").0, 1);
    assert_eq!(syntax_err("a eq 1 ]").0, 7);
    assert_eq!(syntax_err("\"x\" eq \"x\"").0, 0);
    assert_eq!(syntax_err("a eq (1)").0, 5);
    let message = parse_filter("userName").unwrap_err().to_string();
    assert_eq!(
        message,
        "expected comparison operator after \"userName\" at position 8"
    );
    assert_eq!(parse_filter("").unwrap_err().scim_type(), "invalidFilter");
}

#[test]
fn limits() {
    let long = format!("title eq \"{}\"", "a".repeat(MAX_FILTER_LEN));
    assert!(matches!(
        parse_filter(&long),
        Err(FilterError::TooLong { .. })
    ));
    let just_fits = format!("a eq \"{}\"", "a".repeat(MAX_FILTER_LEN - 7));
    assert_eq!(just_fits.len(), MAX_FILTER_LEN);
    assert!(parse_filter(&just_fits).is_ok());

    let nested = |n: usize| format!("{}a eq 1{}", "(".repeat(n), ")".repeat(n));
    assert!(parse_filter(&nested(MAX_DEPTH)).is_ok());
    let deep = parse_filter(&nested(MAX_DEPTH + 1));
    assert_eq!(deep, Err(FilterError::TooDeep { max: MAX_DEPTH }));
    let nots = |n: usize| format!("{}a eq 1{}", "not (".repeat(n), ")".repeat(n));
    assert!(parse_filter(&nots(MAX_DEPTH)).is_ok());
    assert!(matches!(
        parse_filter(&nots(MAX_DEPTH + 1)),
        Err(FilterError::TooDeep { .. })
    ));
    let with_vp = format!(
        "{}e[a eq 1]{}",
        "(".repeat(MAX_DEPTH),
        ")".repeat(MAX_DEPTH)
    );
    assert!(matches!(
        parse_filter(&with_vp),
        Err(FilterError::TooDeep { .. })
    ));
    // A huge unbalanced prefix stops at the limit instead of overflowing the stack.
    assert!(matches!(
        parse_filter(&"(".repeat(5000)),
        Err(FilterError::TooDeep { .. })
    ));

    let chain = |n: usize| vec!["a eq 1"; n].join(" or ");
    assert!(parse_filter(&chain(MAX_COMPARISONS)).is_ok());
    let too_many = parse_filter(&chain(MAX_COMPARISONS + 1));
    assert_eq!(
        too_many,
        Err(FilterError::TooComplex {
            max: MAX_COMPARISONS
        })
    );
    let presence = vec!["a pr"; MAX_COMPARISONS + 1].join(" and ");
    assert!(matches!(
        parse_filter(&presence),
        Err(FilterError::TooComplex { .. })
    ));
    for err in [
        FilterError::TooLong { len: 1, max: 0 },
        FilterError::TooDeep { max: 1 },
        FilterError::TooComplex { max: 1 },
    ] {
        assert_eq!(err.scim_type(), "invalidFilter");
    }
}

#[test]
fn display_round_trips() {
    let filters = [
        "userName eq \"bjensen\"",
        "name.familyName co \"O'Malley\"",
        "userName sw \"J\"",
        "urn:ietf:params:scim:schemas:core:2.0:User:userName sw \"J\"",
        "title pr",
        "meta.lastModified gt \"2011-05-13T04:42:34Z\"",
        "meta.lastModified ge \"2011-05-13T04:42:34Z\"",
        "meta.lastModified lt \"2011-05-13T04:42:34Z\"",
        "meta.lastModified le \"2011-05-13T04:42:34Z\"",
        "title pr and userType eq \"Employee\"",
        "title pr or userType eq \"Intern\"",
        "schemas eq \"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User\"",
        "userType eq \"Employee\" and (emails co \"example.com\" or emails.value co \"example.org\")",
        "userType ne \"Employee\" and not (emails co \"example.com\" or emails.value co \"example.org\")",
        "userType eq \"Employee\" and emails[type eq \"work\" and value co \"@example.com\"]",
        "emails[type eq \"work\" and value co \"@example.com\"] or ims[type eq \"xmpp\" and value co \"@foo.com\"]",
        "a eq 1 and (b eq 2 and c eq 3)",
        "a eq 1 or (b eq 2 or c eq 3)",
        "(a eq 1 or b eq 2) and (c eq 3 or d eq 4)",
        "not (not (a eq -1.5))",
        "x eq 1e300 or x eq 1.0 or x eq -0.000001 or x eq 2.5e-7 or x eq 12345678901234567",
        "x eq true or y ne false or z eq null",
        "x eq \"quote \\\" backslash \\\\ nl \\n ctl \\u0001 del \\u007f é 😀\"",
        "members[$ref pr] and members.$ref pr",
        "emails[type eq \"work\"].value eq \"x\"",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq \"26118915\"",
    ];
    for text in filters {
        let parsed = p(text);
        let canonical = parsed.to_string();
        assert_eq!(p(&canonical), parsed, "{text} -> {canonical}");
        assert_eq!(p(&canonical).to_string(), canonical, "{text}");
    }
    assert_eq!(
        p("A EQ 1  AND (B Eq 2 OR C eq 3)").to_string(),
        "A eq 1 and (B eq 2 or C eq 3)"
    );
    assert_eq!(p("NOT(a PR)").to_string(), "not (a pr)");
    assert_eq!(p("x eq 2.0").to_string(), "x eq 2.0");
    assert_eq!(p("x eq 1E3").to_string(), "x eq 1000.0");
    // Hand-built trees that need parentheses.
    let right_and = and(eq("a", 1), and(eq("b", 2), eq("c", 3)));
    assert_eq!(p(&right_and.to_string()), right_and);
    let or_in_and = and(or(eq("a", 1), eq("b", 2)), eq("c", 3));
    assert_eq!(p(&or_in_and.to_string()), or_in_and);
    assert_eq!("a eq 1".parse::<Filter>(), Ok(eq("a", 1)));
}

#[test]
fn patch_paths() {
    let pp = |text: &str| {
        parse_patch_path(text).unwrap_or_else(|e| panic!("{text:?} should parse: {e}"))
    };
    assert_eq!(
        pp("members[value eq \"2819c223\"]"),
        PatchPath {
            attr: path("members"),
            value_filter: Some(cmp("value", CompareOp::Eq, s("2819c223"))),
            sub_attr: None,
        }
    );
    assert_eq!(
        pp("emails[type eq \"work\"].value"),
        PatchPath {
            attr: path("emails"),
            value_filter: Some(cmp("type", CompareOp::Eq, s("work"))),
            sub_attr: Some("value".to_string()),
        }
    );
    assert_eq!(
        pp(&format!("{ENTERPRISE}:manager")),
        PatchPath {
            attr: AttrPath::new("manager").with_urn(ENTERPRISE),
            value_filter: None,
            sub_attr: None,
        }
    );
    assert_eq!(
        pp("name.givenName"),
        PatchPath {
            attr: path("name.givenName"),
            value_filter: None,
            sub_attr: None,
        }
    );
    assert_eq!(pp("members").attr, path("members"));
    assert_eq!(
        pp("addresses[type eq \"work\" and primary eq true].streetAddress").to_string(),
        "addresses[type eq \"work\" and primary eq true].streetAddress"
    );
    for text in [
        "members[value eq \"2819c223\"]",
        "emails[type eq \"work\"].value",
        "name.givenName",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
    ] {
        assert_eq!(pp(text).to_string(), text);
        assert_eq!(
            text.parse::<PatchPath>().map(|p| p.to_string()),
            Ok(text.to_string())
        );
    }
    let bad = [
        "",
        "members[",
        "members[value eq \"x\"",
        "members]",
        "members eq \"x\"",
        "emails[type eq \"work\"].value.display",
        "emails[type eq \"work\"] .value",
        "emails[type eq \"work\"]value",
        "name.givenName[value eq 1]",
        "emails[type[value eq 1] eq 2]",
        "\"members\"",
        "1members",
    ];
    for text in bad {
        let err = parse_patch_path(text).expect_err(text);
        assert!(
            matches!(err, FilterError::InvalidPath(_)),
            "{text}: {err:?}"
        );
        assert_eq!(err.scim_type(), "invalidPath", "{text}");
    }
    let long = "a".repeat(MAX_FILTER_LEN + 1);
    assert_eq!(
        parse_patch_path(&long),
        Err(FilterError::InvalidPath(Box::new(FilterError::TooLong {
            len: MAX_FILTER_LEN + 1,
            max: MAX_FILTER_LEN
        })))
    );
}
