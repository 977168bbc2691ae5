//! `/Schemas` tells the truth: for every attribute and sub-attribute the server declares, the
//! test reads the declared `uniqueness`, `mutability`, `returned`, `caseExact` and `required`
//! from the served JSON and checks the server behaves that way. Changing a definition in
//! `src/scim/schema/defs.rs` without the behaviour (or the reverse) fails here.

use base64::Engine;
use serde_json::{json, Map, Value};

use crate::helpers::on_both_backends;
use crate::scim_support::{urlencode, Scim, GROUP, USER};

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// One attribute or sub-attribute as `/Schemas` declares it.
#[derive(Debug, Clone)]
struct Leaf {
    /// The extension URN (`None` for the core schema).
    urn: Option<String>,
    name: String,
    sub: Option<String>,
    /// The declaration (of the sub-attribute when there is one).
    def: Value,
    /// The parent's declaration, for sub-attributes.
    parent: Option<Value>,
}

impl Leaf {
    fn path(&self) -> String {
        let base = match &self.sub {
            Some(sub) => format!("{}.{sub}", self.name),
            None => self.name.clone(),
        };
        match &self.urn {
            Some(urn) => format!("{urn}:{base}"),
            None => base,
        }
    }
    fn get(&self, key: &str) -> &Value {
        &self.def[key]
    }
    fn read_only(&self) -> bool {
        self.get("mutability") == "readOnly"
            || self
                .parent
                .as_ref()
                .is_some_and(|p| p["mutability"] == "readOnly")
    }
    fn parent_multi(&self) -> bool {
        self.parent
            .as_ref()
            .is_some_and(|p| p["multiValued"] == true)
    }
    fn textual(&self) -> bool {
        ["string", "reference", "binary"].contains(&self.get("type").as_str().unwrap())
    }
    fn case_exact(&self) -> bool {
        self.get("caseExact") == true
    }
}

/// Every attribute and sub-attribute of the resource type's schemas, from `/Schemas`.
async fn leaves(scim: &Scim<'_>, schemas: &[&str]) -> Vec<Leaf> {
    let mut out = Vec::new();
    for id in schemas {
        let (status, schema) = scim.get(&format!("/Schemas/{id}")).await;
        assert_eq!(status, 200, "{schema}");
        let urn = (*id == ENTERPRISE).then(|| id.to_string());
        for attr in schema["attributes"].as_array().unwrap() {
            let name = attr["name"].as_str().unwrap().to_string();
            out.push(Leaf {
                urn: urn.clone(),
                name: name.clone(),
                sub: None,
                def: attr.clone(),
                parent: None,
            });
            for sub in attr["subAttributes"].as_array().into_iter().flatten() {
                out.push(Leaf {
                    urn: urn.clone(),
                    name: name.clone(),
                    sub: Some(sub["name"].as_str().unwrap().to_string()),
                    def: sub.clone(),
                    parent: Some(attr.clone()),
                });
            }
        }
    }
    out
}

/// A valid value of the leaf's type, distinct per `tag`, with letters of both cases.
fn value_for(leaf: &Leaf, tag: &str, group_member: &str) -> Option<Value> {
    if leaf.name == "members" {
        return match leaf.sub.as_deref() {
            Some("value") => Some(json!(group_member)),
            Some("type") => Some(json!("User")),
            Some("$ref") => None, // derived from value; checked by the immutable case
            _ => None,
        };
    }
    let is_email = leaf.name == "emails" && leaf.sub.as_deref() == Some("value");
    match leaf.get("type").as_str().unwrap() {
        "string" if is_email => Some(json!(format!("{tag}@Example.com"))),
        "string" => Some(json!(format!("Mixed-{tag}-Ünï"))),
        "reference" => Some(json!(format!("https://example.com/Mixed/{tag}"))),
        "binary" => Some(json!(
            base64::engine::general_purpose::STANDARD.encode(format!("Mixed{tag}"))
        )),
        "boolean" => Some(json!(true)),
        "dateTime" => Some(json!("2001-02-03T04:05:06.000Z")),
        _ => None,
    }
}

/// The JSON key path of the leaf in a resource document, and where it sits.
fn place(body: &mut Value, leaf: &Leaf, value: Value, tag: &str, member: &str) {
    let target: &mut Map<String, Value> = match &leaf.urn {
        Some(urn) => body
            .as_object_mut()
            .unwrap()
            .entry(urn.clone())
            .or_insert(json!({}))
            .as_object_mut()
            .unwrap(),
        None => body.as_object_mut().unwrap(),
    };
    match (&leaf.sub, leaf.parent_multi()) {
        (None, _) => {
            target.insert(leaf.name.clone(), value);
        }
        (Some(sub), false) => {
            let object = target.entry(leaf.name.clone()).or_insert(json!({}));
            object[sub.as_str()] = value;
        }
        (Some(sub), true) => {
            // One extra element, with a value of its own unless the leaf is that value.
            let mut element = Map::new();
            if sub != "value" {
                if let Some(value_def) = leaf.parent.as_ref().unwrap()["subAttributes"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|s| s["name"] == "value")
                {
                    let value_leaf = Leaf {
                        sub: Some("value".into()),
                        def: value_def.clone(),
                        ..leaf.clone()
                    };
                    if let Some(v) = value_for(&value_leaf, &format!("{tag}-own"), member) {
                        element.insert("value".into(), v);
                    }
                }
            }
            element.insert(sub.clone(), value);
            let list = target.entry(leaf.name.clone()).or_insert(json!([]));
            list.as_array_mut().unwrap().push(Value::Object(element));
        }
    }
}

/// The value at the leaf's place in a returned resource (`Null` when absent).
fn shown(resource: &Value, leaf: &Leaf) -> Value {
    let base = match &leaf.urn {
        Some(urn) => &resource[urn.as_str()],
        None => resource,
    };
    let attr = &base[leaf.name.as_str()];
    match (&leaf.sub, attr) {
        (None, v) => v.clone(),
        (Some(sub), Value::Array(items)) => {
            let values: Vec<Value> = items
                .iter()
                .map(|i| i[sub.as_str()].clone())
                .filter(|v| !v.is_null())
                .collect();
            if values.is_empty() {
                Value::Null
            } else {
                Value::Array(values)
            }
        }
        (Some(sub), v) => v[sub.as_str()].clone(),
    }
}

fn contains(shown: &Value, value: &Value) -> bool {
    match shown {
        Value::Array(items) => items.contains(value),
        other => other == value,
    }
}

/// A fresh resource body of the type, unique by `n`.
fn base_body(resource: &str, n: &str) -> Value {
    if resource == "User" {
        json!({"schemas": [USER, ENTERPRISE], "userName": format!("user-{n}@example.com"),
            "emails": [{"value": format!("user-{n}@example.com"), "type": "work"}]})
    } else {
        json!({"schemas": [GROUP], "displayName": format!("group-{n}")})
    }
}

struct Checker<'a> {
    scim: &'a Scim<'a>,
    resource: &'static str,
    endpoint: &'static str,
    member: String,
    counter: std::cell::Cell<u32>,
}

impl Checker<'_> {
    fn next(&self) -> String {
        self.counter.set(self.counter.get() + 1);
        format!("{}{}", self.resource.to_lowercase(), self.counter.get())
    }

    async fn create(&self, leaf: Option<(&Leaf, Value)>) -> (u16, Value) {
        let n = self.next();
        let mut body = base_body(self.resource, &n);
        if let Some((leaf, value)) = leaf {
            place(&mut body, leaf, value, &n, &self.member);
        }
        self.scim.post(self.endpoint, body).await
    }

    async fn check(&self, leaf: &Leaf) {
        let path = leaf.path();
        if leaf.read_only() {
            return self.check_read_only(leaf).await;
        }
        let Some(value) = value_for(leaf, "x", &self.member) else {
            return;
        };
        if leaf.get("mutability") == "immutable" {
            return self.check_immutable(leaf, value).await;
        }
        // uniqueness
        let first = value_for(leaf, "shared", &self.member).unwrap();
        let second = match (&first, leaf.case_exact()) {
            (Value::String(s), false) => json!(s.to_uppercase()),
            _ => first.clone(),
        };
        let (status, created) = self.create(Some((leaf, first.clone()))).await;
        assert_eq!(status, 201, "{path}: {created}");
        let (status, again) = self.create(Some((leaf, second))).await;
        match leaf.get("uniqueness").as_str().unwrap() {
            "none" => assert_eq!(status, 201, "{path} is declared uniqueness none: {again}"),
            _ => assert_eq!(
                (status, again["scimType"].as_str()),
                (409, Some("uniqueness")),
                "{path} is declared uniqueness {}: {again}",
                leaf.get("uniqueness")
            ),
        }
        // returned
        let id = created["id"].as_str().unwrap();
        let (_, got) = self.scim.get(&format!("{}/{id}", self.endpoint)).await;
        let (_, asked) = self
            .scim
            .get(&format!(
                "{}/{id}?attributes={}",
                self.endpoint,
                urlencode(&path)
            ))
            .await;
        let (_, excluded) = self
            .scim
            .get(&format!(
                "{}/{id}?excludedAttributes={}",
                self.endpoint,
                urlencode(&path)
            ))
            .await;
        match leaf.get("returned").as_str().unwrap() {
            "never" => {
                for (what, body) in [("POST", &created), ("GET", &got), ("attributes", &asked)] {
                    assert!(
                        shown(body, leaf).is_null(),
                        "{path} is returned never, but {what} shows it: {body}"
                    );
                }
                return; // nothing to filter on
            }
            "default" => {
                assert!(
                    contains(&shown(&got, leaf), &first),
                    "{path} is returned by default: {got}"
                );
                assert!(
                    contains(&shown(&asked, leaf), &first),
                    "{path} asked for: {asked}"
                );
                if leaf.sub.is_none() {
                    assert!(
                        shown(&excluded, leaf).is_null(),
                        "{path} excluded: {excluded}"
                    );
                }
            }
            "request" => {
                assert!(
                    shown(&got, leaf).is_null(),
                    "{path} is returned on request only: {got}"
                );
                assert!(
                    contains(&shown(&asked, leaf), &first),
                    "{path} asked for: {asked}"
                );
            }
            "always" => assert!(
                !shown(&excluded, leaf).is_null(),
                "{path} is returned always: {excluded}"
            ),
            other => panic!("{path}: returned {other}"),
        }
        // caseExact: an equality filter with the value in other case matches iff it is not.
        if let (true, Value::String(text)) = (leaf.textual(), &first) {
            let count = |filter: String| async move {
                let filter = format!("{filter} and id eq \"{id}\"");
                let (status, list) = self
                    .scim
                    .get(&format!("{}?filter={}", self.endpoint, urlencode(&filter)))
                    .await;
                (status, list)
            };
            let (status, exact) = count(format!("{path} eq \"{text}\"")).await;
            if status == 400 && exact["scimType"] == "invalidFilter" && leaf.name == "members" {
                return; // members can be filtered by value only
            }
            assert_eq!(
                (status, exact["totalResults"].as_u64()),
                (200, Some(1)),
                "{path} eq itself: {exact}"
            );
            let (_, other_case) = count(format!("{path} eq \"{}\"", text.to_uppercase())).await;
            let expected = u64::from(!leaf.case_exact());
            assert_eq!(
                other_case["totalResults"].as_u64(),
                Some(expected),
                "{path} is declared caseExact {}: {other_case}",
                leaf.case_exact()
            );
        }
    }

    /// readOnly: ignored in POST (RFC 7644 §3.3), refused in PATCH with `mutability`.
    async fn check_read_only(&self, leaf: &Leaf) {
        let path = leaf.path();
        let Some(value) = value_for(leaf, "ro", &self.member) else {
            return;
        };
        let (status, created) = self.create(Some((leaf, value.clone()))).await;
        assert_eq!(
            status, 201,
            "{path} is readOnly, so it is ignored on create: {created}"
        );
        assert!(
            !contains(&shown(&created, leaf), &value),
            "{path} is readOnly but took the value sent: {created}"
        );
        let id = created["id"].as_str().unwrap();
        let (status, patched) = self
            .scim
            .patch(
                &format!("{}/{id}", self.endpoint),
                json!([{"op": "replace", "path": path, "value": value}]),
            )
            .await;
        assert_eq!(
            (status, patched["scimType"].as_str()),
            (400, Some("mutability")),
            "{path} is readOnly: {patched}"
        );
    }

    /// immutable (Group `members.value`, `members.type`): set once, never changed.
    async fn check_immutable(&self, leaf: &Leaf, value: Value) {
        let path = leaf.path();
        let (status, created) = self.create(Some((leaf, value.clone()))).await;
        assert_eq!(status, 201, "{path}: {created}");
        let id = created["id"].as_str().unwrap();
        let sub = leaf.sub.as_deref().unwrap();
        let changed = if sub == "value" {
            json!(id)
        } else {
            json!("Group")
        };
        let target = format!("{}[value eq \"{}\"].{sub}", leaf.name, self.member);
        let (status, patched) = self
            .scim
            .patch(
                &format!("{}/{id}", self.endpoint),
                json!([{"op": "replace", "path": target, "value": changed}]),
            )
            .await;
        assert_eq!(
            (status, patched["scimType"].as_str()),
            (400, Some("mutability")),
            "{path} is immutable: {patched}"
        );
    }
}

on_both_backends! {
    async fn every_declared_characteristic_is_what_the_server_does(app: TestApp) {
        let scim = Scim::new(&app, "acme").await;
        let member = scim.user("member@example.com").await;
        for (resource, endpoint, schemas) in [("User", "/Users", vec![USER, ENTERPRISE]), ("Group", "/Groups", vec![GROUP])] {
            let checker = Checker { scim: &scim, resource, endpoint, member: member.clone(), counter: Default::default() };
            let leaves = leaves(&scim, &schemas).await;
            assert!(leaves.len() > 20 || resource == "Group", "{}", leaves.len());
            for leaf in &leaves {
                checker.check(leaf).await;
            }
            // required: leaving a required top-level attribute out is refused.
            for leaf in leaves.iter().filter(|l| l.sub.is_none() && l.get("required") == true) {
                let mut body = base_body(resource, &checker.next());
                body.as_object_mut().unwrap().remove(&leaf.name);
                let (status, answer) = scim.post(endpoint, body).await;
                assert_eq!(status, 400, "{} is required: {answer}", leaf.path());
            }
        }
        // The common attributes /Schemas does not list (RFC 7643 §8.7.1): id is returned always
        // and readOnly, externalId caseExact.
        let id = scim.user("common@example.com").await;
        let (_, user) = scim.get(&format!("/Users/{id}?excludedAttributes=id&attributes=userName")).await;
        assert_eq!(user["id"], id.as_str(), "{user}");
        let (status, patched) = scim.patch(&format!("/Users/{id}"), json!([{"op": "replace", "path": "id", "value": "x"}])).await;
        assert_eq!((status, patched["scimType"].as_str()), (400, Some("mutability")), "{patched}");
        let upper = id.to_uppercase();
        let (_, list) = scim.get(&format!("/Users?filter={}", urlencode(&format!("id eq \"{upper}\"")))).await;
        assert_eq!(list["totalResults"], 0, "id is caseExact");
    }
}
