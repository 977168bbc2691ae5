//! Tests for schema validation of filters and PATCH paths (RFC 7644
//! §3.4.2.2, §3.5.2; RFC 7643 §2.3 types).

use super::tests_support::*;
use super::*;

#[test]
fn canonical_names_and_info() {
    let TypedFilter::Compare { attr, op, value } = ok("USERNAME EQ \"Bjensen\"") else {
        panic!("not a comparison");
    };
    assert_eq!(attr.path, AttrPath::new("userName"));
    assert_eq!(attr.info.attr_type, AttrType::String);
    assert!(!attr.info.case_exact);
    assert_eq!((op, value), (CompareOp::Eq, string("Bjensen")));
    let entra = [
        "userName eq \"test.user@contoso.com\"",
        "externalId eq \"5e1e3f40-8b2a-4c1e-9f3d-2a6b7c8d9e0f\"",
        "displayName eq \"Group A\"",
        "id eq \"2819c223-7f76-453a-919d-413861904646\"",
    ];
    for text in entra {
        assert!(check(text).is_ok(), "{text}");
    }
    assert_eq!(
        comparison(&format!("{CORE}:name.GIVENNAME sw \"Ba\"")).0,
        "name.givenName"
    );
}

#[test]
fn extension_attributes() {
    let expected = format!("{ENTERPRISE}:employeeNumber");
    assert_eq!(comparison("employeeNumber eq \"701984\"").0, expected);
    let urn_upper = ENTERPRISE.to_uppercase();
    assert_eq!(
        comparison(&format!("{urn_upper}:employeenumber eq \"1\"")).0,
        expected
    );
    assert_eq!(
        comparison(&format!("{ENTERPRISE}:manager.value eq \"26118915\"")).0,
        format!("{ENTERPRISE}:manager.value")
    );
    assert_eq!(
        comparison(&format!("{ENTERPRISE}:manager eq \"26118915\"")).0,
        format!("{ENTERPRISE}:manager.value")
    );
    let wrong_schema = format!("{CORE}:employeeNumber eq \"1\"");
    assert_eq!(
        check(&wrong_schema),
        Err(FilterError::UnknownAttribute(format!(
            "{CORE}:employeeNumber"
        )))
    );
}

#[test]
fn value_path_children_are_relative() {
    let TypedFilter::ValuePath { attr, filter } =
        ok("Emails[TYPE eq \"work\" and value co \"@example.com\"]")
    else {
        panic!("not a value path");
    };
    assert_eq!(attr.path, AttrPath::new("emails"));
    assert!(attr.info.multi_valued);
    let TypedFilter::And(left, right) = *filter else {
        panic!("not an and");
    };
    let TypedFilter::Compare { attr, .. } = *left else {
        panic!("not a comparison");
    };
    assert_eq!(attr.path, AttrPath::new("emails").with_sub("type"));
    let TypedFilter::Compare { attr, op, .. } = *right else {
        panic!("not a comparison");
    };
    assert_eq!(
        (attr.path.to_string(), op),
        ("emails.value".to_string(), CompareOp::Co)
    );
    assert!(check("emails[type eq \"work\"].value eq \"x@example.com\"").is_ok());
    assert!(check("members[$REF pr]").is_ok());
    assert_eq!(
        check("emails[nickname eq \"x\"]"),
        Err(FilterError::UnknownAttribute("emails.nickname".to_string()))
    );
    assert!(matches!(
        check("userName[value eq \"x\"]"),
        Err(FilterError::ValueFilterNotAllowed { .. })
    ));
    let nested = Filter::ValuePath {
        path: AttrPath::new("emails"),
        filter: Box::new(Filter::ValuePath {
            path: AttrPath::new("type"),
            filter: Box::new(Filter::Present(AttrPath::new("value"))),
        }),
    };
    assert!(matches!(
        validate(nested, &TestSchema),
        Err(FilterError::ValueFilterNotAllowed { .. })
    ));
}

#[test]
fn complex_attribute_compares_its_value() {
    assert_eq!(
        comparison("emails co \"@example.com\""),
        (
            "emails.value".to_string(),
            CompareOp::Co,
            string("@example.com")
        )
    );
    assert_eq!(
        comparison("members eq \"2819c223\"").0,
        "members.value".to_string()
    );
    // Presence keeps the complex attribute itself.
    let TypedFilter::Present(attr) = ok("emails pr") else {
        panic!("not a presence test");
    };
    assert_eq!(attr.info.attr_type, AttrType::Complex);
    // No "value" sub-attribute: refused.
    assert_eq!(
        check("name eq \"x\""),
        Err(FilterError::OperatorNotAllowed {
            path: "name".to_string(),
            op: CompareOp::Eq,
            attr_type: AttrType::Complex
        })
    );
}

#[test]
fn operators_by_type() {
    let allowed = [
        "userName co \"a\"",
        "userName gt \"a\"",
        "members.$ref sw \"https://\"",
        "loginCount ge 3",
        "score lt 2.5",
        "meta.lastModified le \"2011-05-13T04:42:34Z\"",
        "active eq true",
        "active ne false",
        "x509Certificates.value eq \"TUlJRA==\"",
    ];
    for text in allowed {
        assert!(check(text).is_ok(), "{text}");
    }
    let refused = [
        ("active gt true", CompareOp::Gt, AttrType::Boolean),
        ("active co \"t\"", CompareOp::Co, AttrType::Boolean),
        ("loginCount co 1", CompareOp::Co, AttrType::Integer),
        ("score sw 1", CompareOp::Sw, AttrType::Decimal),
        (
            "meta.lastModified ew \"Z\"",
            CompareOp::Ew,
            AttrType::DateTime,
        ),
        (
            "x509Certificates.value lt \"TUlJRA==\"",
            CompareOp::Lt,
            AttrType::Binary,
        ),
        (
            "x509Certificates.value co \"TUlJ\"",
            CompareOp::Co,
            AttrType::Binary,
        ),
    ];
    for (text, op, attr_type) in refused {
        match check(text) {
            Err(FilterError::OperatorNotAllowed {
                op: got_op,
                attr_type: got_type,
                ..
            }) => assert_eq!((got_op, got_type), (op, attr_type), "{text}"),
            other => panic!("{text}: {other:?}"),
        }
    }
    let err = check("active gt true").unwrap_err();
    assert_eq!(err.scim_type(), "invalidFilter");
    assert_eq!(
        err.to_string(),
        "operator \"gt\" is not allowed on boolean attribute \"active\""
    );
}

#[test]
fn values_are_checked_and_coerced() {
    assert_eq!(comparison("score gt 3").2, TypedValue::Decimal(3.0));
    assert_eq!(comparison("score gt 3.25").2, TypedValue::Decimal(3.25));
    assert_eq!(comparison("loginCount eq -4").2, TypedValue::Integer(-4));
    assert_eq!(comparison("active eq TRUE").2, TypedValue::Boolean(true));
    assert_eq!(comparison("userName eq null").2, TypedValue::Null);
    assert_eq!(comparison("loginCount ne null").2, TypedValue::Null);
    let (_, _, value) = comparison("meta.lastModified gt \"2011-05-13T04:42:34+02:00\"");
    let TypedValue::DateTime(dt) = value else {
        panic!("not a date-time: {value:?}");
    };
    assert_eq!(dt.to_rfc3339(), "2011-05-13T04:42:34+02:00");
    let (_, _, value) = comparison("meta.lastModified ge \"2011-05-13T04:42:34.123Z\"");
    assert!(matches!(value, TypedValue::DateTime(_)));

    let invalid = [
        "active eq \"true\"",
        "active eq 1",
        "loginCount eq 1.5",
        "loginCount eq \"3\"",
        "score eq true",
        "userName eq 42",
        "meta.lastModified gt \"yesterday\"",
        "meta.lastModified gt \"2011-05-13\"",
        "meta.lastModified gt \"2011-13-40T04:42:34Z\"",
        "meta.lastModified gt 1305261754",
        "userName gt null",
        "userName co null",
        "x509Certificates.value eq \"not base64!\"",
        "x509Certificates.value eq \"abcde\"",
    ];
    for text in invalid {
        match check(text) {
            Err(e @ FilterError::InvalidValue { .. }) => assert_eq!(e.scim_type(), "invalidFilter"),
            other => panic!("{text}: {other:?}"),
        }
    }
    assert_eq!(
        check("loginCount eq \"3\"").unwrap_err().to_string(),
        "invalid value for integer attribute \"loginCount\": expected an integer, found a string"
    );
}

#[test]
fn unknown_attributes() {
    assert_eq!(
        check("nickName2 eq \"x\""),
        Err(FilterError::UnknownAttribute("nickName2".to_string()))
    );
    assert_eq!(
        check("name.middle eq \"x\""),
        Err(FilterError::UnknownAttribute("name.middle".to_string()))
    );
    assert_eq!(
        check("userName eq \"a\" or not (bogus pr)"),
        Err(FilterError::UnknownAttribute("bogus".to_string()))
    );
    assert_eq!(
        check("bogus[value eq 1]"),
        Err(FilterError::UnknownAttribute("bogus".to_string()))
    );
    assert_eq!(
        FilterError::UnknownAttribute("x".into()).scim_type(),
        "invalidFilter"
    );
}

#[test]
fn logic_is_preserved() {
    let typed = ok("not (active eq true) or userName sw \"a\" and loginCount gt 1");
    let TypedFilter::Or(left, right) = typed else {
        panic!("not an or");
    };
    assert!(matches!(*left, TypedFilter::Not(_)));
    assert!(matches!(*right, TypedFilter::And(_, _)));
}

#[test]
fn patch_paths_validate() {
    let pp = |text: &str| validate_patch_path(parse_patch_path(text).expect(text), &TestSchema);
    let typed = pp("EMAILS[type eq \"work\"].VALUE").expect("valid");
    assert_eq!(typed.attr.path, AttrPath::new("emails"));
    assert_eq!(
        typed.sub_attr.map(|a| a.path.to_string()),
        Some("emails.value".into())
    );
    assert!(matches!(
        typed.value_filter,
        Some(TypedFilter::Compare { .. })
    ));

    let typed = pp("members[value eq \"2819c223\"]").expect("valid");
    assert!(typed.sub_attr.is_none());
    let Some(TypedFilter::Compare { attr, .. }) = typed.value_filter else {
        panic!("no filter");
    };
    assert_eq!(attr.path.to_string(), "members.value");

    let typed = pp(&format!("{ENTERPRISE}:manager")).expect("valid");
    assert_eq!(typed.attr.info.attr_type, AttrType::Complex);
    let typed = pp("name.givenName").expect("valid");
    assert_eq!(typed.attr.path.to_string(), "name.givenName");

    for text in [
        "nickName",
        "emails[bogus eq 1]",
        "emails[type eq \"work\"].bogus",
        "userName[value eq \"x\"]",
        "active[value eq true]",
        "emails[primary gt true]",
    ] {
        let err = pp(text).expect_err(text);
        assert!(
            matches!(err, FilterError::InvalidPath(_)),
            "{text}: {err:?}"
        );
        assert_eq!(err.scim_type(), "invalidPath", "{text}");
    }
    let sub_on_sub = PatchPath {
        attr: AttrPath::new("name").with_sub("givenName"),
        value_filter: None,
        sub_attr: Some("x".into()),
    };
    assert!(validate_patch_path(sub_on_sub, &TestSchema).is_err());
}
