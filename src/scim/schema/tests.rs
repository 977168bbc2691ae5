//! Tests of the schema data and path resolution.

use super::*;
use crate::scim::filter::{parse_filter, validate, AttrType, TypedFilter};

fn path(text: &str) -> AttrPath {
    crate::scim::filter::parse_patch_path(text)
        .expect(text)
        .attr
}

fn canonical(schema: &ResourceSchema, text: &str) -> Option<String> {
    schema.lookup(&path(text)).map(|r| r.path.to_string())
}

#[test]
fn lookups_are_case_insensitive_and_canonical() {
    let user = ResourceSchema::user();
    let ent = ENTERPRISE_USER_URN;
    let table: [(&str, Option<String>); 18] = [
        ("userName", Some("userName".into())),
        ("USERNAME", Some("userName".into())),
        ("name.GIVENNAME", Some("name.givenName".into())),
        ("Emails.Value", Some("emails.value".into())),
        ("emails.$REF", None),
        ("photos.value", Some("photos.value".into())),
        (
            "urn:ietf:params:scim:schemas:core:2.0:User:userName",
            Some("userName".into()),
        ),
        (
            "URN:IETF:PARAMS:SCIM:SCHEMAS:CORE:2.0:USER:name.familyName",
            Some("name.familyName".into()),
        ),
        (
            "urn:ietf:params:scim:schemas:core:2.0:User:id",
            Some("id".into()),
        ),
        ("employeeNumber", Some(format!("{ent}:employeeNumber"))),
        ("manager.VALUE", Some(format!("{ent}:manager.value"))),
        (
            &format!("{ent}:department"),
            Some(format!("{ent}:department")),
        ),
        (
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:user:Manager.displayName",
            Some(format!("{ent}:manager.displayName")),
        ),
        ("meta.created", Some("meta.created".into())),
        ("META.LASTMODIFIED", Some("meta.lastModified".into())),
        (
            "urn:ietf:params:scim:schemas:core:2.0:User:department",
            None,
        ),
        (&format!("{ent}:userName"), None),
        ("urn:example:other:1.0:User:userName", None),
    ];
    for (text, expected) in table {
        assert_eq!(canonical(user, text), expected, "{text}");
    }
    for unknown in ["nosuch", "name.nosuch", "userName.sub", "members"] {
        assert_eq!(canonical(user, unknown), None, "{unknown}");
    }
    let group = ResourceSchema::group();
    assert_eq!(
        canonical(group, "MEMBERS.value").as_deref(),
        Some("members.value")
    );
    assert_eq!(
        canonical(group, "members.$ref").as_deref(),
        Some("members.$ref")
    );
    assert_eq!(
        canonical(group, "displayname").as_deref(),
        Some("displayName")
    );
    assert_eq!(
        canonical(
            group,
            "urn:ietf:params:scim:schemas:core:2.0:Group:displayName"
        )
        .as_deref(),
        Some("displayName")
    );
    assert_eq!(canonical(group, "userName"), None);
    assert_eq!(canonical(group, "employeeNumber"), None);
}

#[test]
fn lookups_report_characteristics() {
    let user = ResourceSchema::user();
    let info = |text: &str| user.lookup(&path(text)).expect(text).info;
    assert_eq!(
        (info("emails").attr_type, info("emails").multi_valued),
        (AttrType::Complex, true)
    );
    assert_eq!(
        (
            info("emails.value").attr_type,
            info("emails.value").multi_valued
        ),
        (AttrType::String, false)
    );
    assert_eq!(info("active").attr_type, AttrType::Boolean);
    assert_eq!(info("meta.created").attr_type, AttrType::DateTime);
    assert_eq!(info("x509Certificates.value").attr_type, AttrType::Binary);
    assert_eq!(info("profileUrl").attr_type, AttrType::Reference);
    assert!(info("id").case_exact && info("externalId").case_exact);
    assert!(!info("userName").case_exact);
}

#[test]
fn filters_validate_against_the_schemas() {
    let user = ResourceSchema::user();
    for text in [
        "userName eq \"bjensen\"",
        "emails[type eq \"work\" and value co \"@example.com\"]",
        "meta.lastModified gt \"2011-05-13T04:42:34Z\"",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq \"m\"",
        "employeeNumber pr and active eq true",
        "name.familyName sw \"J\"",
    ] {
        validate(parse_filter(text).unwrap(), user).unwrap_or_else(|e| panic!("{text}: {e}"));
    }
    let typed = validate(parse_filter("EMAILS co \"x\"").unwrap(), user).unwrap();
    let TypedFilter::Compare { attr, .. } = typed else {
        panic!("{typed:?}")
    };
    assert_eq!(attr.path.to_string(), "emails.value");
    let group = ResourceSchema::group();
    validate(
        parse_filter("members[value eq \"a\"] and displayName eq \"x\"").unwrap(),
        group,
    )
    .unwrap();
    assert!(validate(parse_filter("userName eq \"x\"").unwrap(), group).is_err());
}

#[test]
fn attribute_definitions_follow_rfc_7643() {
    let user = ResourceSchema::user();
    let def = |text: &str| user.attribute(&path(text)).expect(text).clone();
    let user_name = def("userName");
    assert!(user_name.required && !user_name.case_exact);
    assert_eq!(
        (user_name.uniqueness, user_name.returned),
        (Uniqueness::Server, Returned::Default)
    );
    let password = def("password");
    assert_eq!(
        (password.mutability, password.returned),
        (Mutability::WriteOnly, Returned::Never)
    );
    let id = def("id");
    assert_eq!(
        (id.mutability, id.returned, id.case_exact),
        (Mutability::ReadOnly, Returned::Always, true)
    );
    let external = def("externalId");
    assert_eq!(
        (external.mutability, external.case_exact),
        (Mutability::ReadWrite, true)
    );
    assert_eq!(def("meta").mutability, Mutability::ReadOnly);
    assert_eq!(def("meta.lastModified").mutability, Mutability::ReadOnly);
    let groups = def("groups");
    assert!(groups.multi_valued);
    assert_eq!(groups.mutability, Mutability::ReadOnly);
    assert!(groups
        .sub_attributes
        .iter()
        .all(|s| s.mutability == Mutability::ReadOnly));
    assert_eq!(def("manager.displayName").mutability, Mutability::ReadOnly);
    assert_eq!(def("manager.$ref").reference_types, ["User"]);
    assert_eq!(
        def("emails.type").canonical_values,
        ["work", "home", "other"]
    );
    assert_eq!(def("x509Certificates.value").attr_type, AttrType::Binary);
    let group = ResourceSchema::group();
    let gdef = |text: &str| group.attribute(&path(text)).expect(text).clone();
    assert!(gdef("displayName").required);
    assert_eq!(gdef("members.value").mutability, Mutability::Immutable);
    assert_eq!(gdef("members.$ref").mutability, Mutability::Immutable);
    assert_eq!(gdef("members.display").mutability, Mutability::ReadOnly);
    assert_eq!(gdef("members.type").canonical_values, ["User", "Group"]);
}

#[test]
fn user_schema_has_every_rfc_attribute() {
    let user = ResourceSchema::user();
    let names: Vec<&str> = user.core.attributes.iter().map(|a| a.name).collect();
    assert_eq!(
        names,
        [
            "userName",
            "name",
            "displayName",
            "nickName",
            "profileUrl",
            "title",
            "userType",
            "preferredLanguage",
            "locale",
            "timezone",
            "active",
            "password",
            "emails",
            "phoneNumbers",
            "ims",
            "photos",
            "addresses",
            "groups",
            "entitlements",
            "roles",
            "x509Certificates",
        ]
    );
    let subs = |name: &str| -> Vec<&str> {
        user.core
            .attribute(name)
            .unwrap()
            .sub_attributes
            .iter()
            .map(|s| s.name)
            .collect()
    };
    assert_eq!(
        subs("name"),
        [
            "formatted",
            "familyName",
            "givenName",
            "middleName",
            "honorificPrefix",
            "honorificSuffix"
        ]
    );
    assert_eq!(
        subs("addresses"),
        [
            "formatted",
            "streetAddress",
            "locality",
            "region",
            "postalCode",
            "country",
            "type",
            "primary"
        ]
    );
    assert_eq!(subs("groups"), ["value", "$ref", "display", "type"]);
    for multi in [
        "emails",
        "phoneNumbers",
        "ims",
        "photos",
        "entitlements",
        "roles",
        "x509Certificates",
    ] {
        assert_eq!(
            subs(multi),
            ["value", "display", "type", "primary"],
            "{multi}"
        );
    }
    let common: Vec<&str> = user.common.iter().map(|a| a.name).collect();
    assert_eq!(common, ["id", "externalId", "meta"]);
    let ext: Vec<&str> = user.extensions[0]
        .attributes
        .iter()
        .map(|a| a.name)
        .collect();
    assert_eq!(
        ext,
        [
            "employeeNumber",
            "costCenter",
            "organization",
            "division",
            "department",
            "manager"
        ]
    );
}
