//! The schema data: common attributes (RFC 7643 §3.1), core User (§4.1),
//! Enterprise User extension (§4.3) and core Group (§4.2), with the
//! characteristics of the RFC 7643 §8.7.1 schema representation.

use super::{AttributeDef, Mutability, ResourceSchema, Returned, SchemaDef, Uniqueness};
use crate::scim::filter::AttrType;

/// Core User schema URN (RFC 7643 §4.1).
pub const USER_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
/// Core Group schema URN (RFC 7643 §4.2).
pub const GROUP_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
/// Enterprise User extension URN (RFC 7643 §4.3).
pub const ENTERPRISE_USER_URN: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
/// Schema URN Microsoft Entra ID adds to Group bodies; accepted and ignored.
pub const ENTRA_GROUP_URN: &str =
    "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group";
/// URN of Schema resources (RFC 7643 §7).
pub const SCHEMA_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";
/// URN of ResourceType resources (RFC 7643 §6).
pub const RESOURCE_TYPE_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";

/// `canonicalValues` of `entitlements.type`. RFC 7643 §4.1.2 names no vocabulary; the
/// interoperability profile asks every `type` to declare one. Like every canonical list these
/// are suggestions for clients' mapping screens, not a closed set: other values are kept.
const ENTITLEMENT_TYPES: &[&str] = &["work", "home", "other"];
/// `canonicalValues` of `roles.type`: Entra ID sends its app roles with the first.
const ROLE_TYPES: &[&str] = &["WindowsAzureActiveDirectoryRole", "other"];
/// `canonicalValues` of `x509Certificates.type`.
const CERTIFICATE_TYPES: &[&str] = &["work", "home", "other"];

fn string(name: &'static str, description: &'static str) -> AttributeDef {
    AttributeDef::new(name, AttrType::String, description)
}

fn boolean(name: &'static str, description: &'static str) -> AttributeDef {
    AttributeDef::new(name, AttrType::Boolean, description)
}

fn reference(
    name: &'static str,
    types: &'static [&'static str],
    description: &'static str,
) -> AttributeDef {
    AttributeDef::new(name, AttrType::Reference, description).reference_types(types)
}

fn complex(name: &'static str, description: &'static str, subs: Vec<AttributeDef>) -> AttributeDef {
    AttributeDef::new(name, AttrType::Complex, description).sub_attributes(subs)
}

fn read_only(attr: AttributeDef) -> AttributeDef {
    attr.mutability(Mutability::ReadOnly)
}

/// A multi-valued complex attribute with the default sub-attributes of
/// RFC 7643 §2.4 (`value`, `display`, `type`, `primary`).
fn multi_complex(
    name: &'static str,
    description: &'static str,
    value: AttributeDef,
    types: &'static [&'static str],
) -> AttributeDef {
    complex(
        name,
        description,
        vec![
            value,
            string(
                "display",
                "A human-readable name, primarily used for display.",
            ),
            string("type", "A label indicating the attribute's function.").canonical(types),
            boolean(
                "primary",
                "Whether this is the preferred value; \"true\" at most once.",
            ),
        ],
    )
    .multi()
}

/// The common attributes of every resource (RFC 7643 §3.1).
fn common() -> Vec<AttributeDef> {
    vec![
        read_only(string(
            "id",
            "Unique, stable identifier assigned by the service provider.",
        ))
        .case_exact()
        .returned(Returned::Always)
        .uniqueness(Uniqueness::Server),
        string(
            "externalId",
            "Identifier of the resource as defined by the client.",
        )
        .case_exact(),
        read_only(complex(
            "meta",
            "Resource metadata maintained by the service provider.",
            vec![
                read_only(string("resourceType", "The name of the resource type.")).case_exact(),
                read_only(AttributeDef::new(
                    "created",
                    AttrType::DateTime,
                    "When the resource was added to the service provider.",
                )),
                read_only(AttributeDef::new(
                    "lastModified",
                    AttrType::DateTime,
                    "When the resource was last updated.",
                )),
                read_only(reference("location", &["uri"], "The URI of the resource.")).case_exact(),
                read_only(string("version", "The entity tag (ETag) of the resource.")).case_exact(),
            ],
        )),
    ]
}

fn user_attributes() -> Vec<AttributeDef> {
    let value = |description| string("value", description);
    vec![
        string(
            "userName",
            "Unique identifier for the user, used to authenticate.",
        )
        .required()
        .uniqueness(Uniqueness::Server),
        complex(
            "name",
            "The components of the user's real name.",
            vec![
                string("formatted", "The full name, formatted for display."),
                string("familyName", "The family (last) name."),
                string("givenName", "The given (first) name."),
                string("middleName", "The middle name(s)."),
                string("honorificPrefix", "Honorific prefix(es), or title."),
                string("honorificSuffix", "Honorific suffix(es)."),
            ],
        ),
        string("displayName", "The name of the user, suitable for display."),
        string("nickName", "The casual way to address the user."),
        reference(
            "profileUrl",
            &["external"],
            "A URI of the user's online profile.",
        ),
        string("title", "The user's title, such as \"Vice President\"."),
        string(
            "userType",
            "The relationship to the organisation, e.g. \"Employee\".",
        ),
        string("preferredLanguage", "Preferred written or spoken language."),
        string(
            "locale",
            "Default location for localisation, e.g. \"en-US\".",
        ),
        string(
            "timezone",
            "Time zone in IANA format, e.g. \"Europe/Paris\".",
        ),
        boolean("active", "The user's administrative status."),
        string("password", "The user's cleartext password; never returned.")
            .mutability(Mutability::WriteOnly)
            .returned(Returned::Never),
        multi_complex(
            "emails",
            "Email addresses for the user.",
            // Unique per workspace (the `member_emails` index): an email names one person.
            value("Email address, canonicalised per RFC 5321.").uniqueness(Uniqueness::Server),
            &["work", "home", "other"],
        ),
        multi_complex(
            "phoneNumbers",
            "Phone numbers for the user.",
            value("Phone number, canonicalised per RFC 3966."),
            &["work", "home", "mobile", "fax", "pager", "other"],
        ),
        multi_complex(
            "ims",
            "Instant messaging addresses for the user.",
            value("Instant messaging address."),
            &["aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"],
        ),
        multi_complex(
            "photos",
            "URLs of images of the user.",
            reference("value", &["external"], "URL of a photo of the user."),
            &["photo", "thumbnail"],
        ),
        complex(
            "addresses",
            "Physical mailing addresses for the user.",
            vec![
                string(
                    "formatted",
                    "The full mailing address, formatted for display.",
                ),
                string("streetAddress", "The full street address component."),
                string("locality", "The city or locality component."),
                string("region", "The state or region component."),
                string("postalCode", "The zip code or postal code component."),
                string(
                    "country",
                    "The country name component (ISO 3166-1 alpha-2).",
                ),
                string("type", "A label indicating the address's function.")
                    .canonical(&["work", "home", "other"]),
                boolean("primary", "Whether this is the preferred mailing address."),
            ],
        )
        .multi(),
        read_only(complex(
            "groups",
            "Groups the user belongs to, computed by the service provider.",
            vec![
                read_only(string("value", "The identifier of the group.")).case_exact(),
                read_only(reference(
                    "$ref",
                    &["User", "Group"],
                    "The URI of the group.",
                )),
                read_only(string("display", "A human-readable name of the group.")),
                read_only(string("type", "Membership kind.")).canonical(&["direct", "indirect"]),
            ],
        ))
        .multi(),
        multi_complex(
            "entitlements",
            "Entitlements of the user.",
            value("The value of an entitlement."),
            ENTITLEMENT_TYPES,
        ),
        multi_complex(
            "roles",
            "Roles of the user.",
            value("The value of a role."),
            ROLE_TYPES,
        ),
        multi_complex(
            "x509Certificates",
            "X.509 certificates issued to the user.",
            AttributeDef::new(
                "value",
                AttrType::Binary,
                "DER-encoded certificate, base64.",
            ),
            CERTIFICATE_TYPES,
        ),
    ]
}

fn enterprise() -> SchemaDef {
    SchemaDef {
        id: ENTERPRISE_USER_URN,
        name: "EnterpriseUser",
        description: "Enterprise User extension",
        attributes: vec![
            string("employeeNumber", "Identifier assigned by the organisation."),
            string("costCenter", "Name of a cost center."),
            string("organization", "Name of an organisation."),
            string("division", "Name of a division."),
            string("department", "Name of a department."),
            complex(
                "manager",
                "The user's manager.",
                vec![
                    string("value", "The \"id\" of the manager's User resource.").case_exact(),
                    reference("$ref", &["User"], "The URI of the manager's User resource."),
                    read_only(string("displayName", "The manager's display name.")),
                ],
            ),
        ],
    }
}

pub(super) fn user() -> ResourceSchema {
    ResourceSchema {
        name: "User",
        endpoint: "/Users",
        description: "User Account",
        core: SchemaDef {
            id: USER_URN,
            name: "User",
            description: "User Account",
            attributes: user_attributes(),
        },
        extensions: vec![enterprise()],
        common: common(),
        ignored_urns: &[],
        members_out_of_band: false,
    }
}

pub(super) fn group() -> ResourceSchema {
    let immutable = |attr: AttributeDef| attr.mutability(Mutability::Immutable);
    ResourceSchema {
        name: "Group",
        endpoint: "/Groups",
        description: "Group",
        core: SchemaDef {
            id: GROUP_URN,
            name: "Group",
            description: "Group",
            attributes: vec![
                // Unique per workspace, case-insensitively (the `display_name_key` index).
                string("displayName", "A human-readable name for the group.")
                    .required()
                    .uniqueness(Uniqueness::Server),
                complex(
                    "members",
                    "The members of the group.",
                    vec![
                        immutable(string("value", "The \"id\" of the member.")).case_exact(),
                        immutable(reference(
                            "$ref",
                            &["User", "Group"],
                            "The URI of the member.",
                        )),
                        read_only(string("display", "A human-readable name of the member.")),
                        immutable(string("type", "The member's resource type."))
                            .canonical(&["User", "Group"]),
                    ],
                )
                .multi(),
            ],
        },
        extensions: Vec::new(),
        common: common(),
        ignored_urns: &[ENTRA_GROUP_URN],
        members_out_of_band: true,
    }
}
