//! One case-folding rule (Unicode simple case folding) for SCIM filters, sorting and
//! uniqueness, the same on SQLite and PostgreSQL, in several scripts; and the start-up
//! upgrade that brings rows written before it to the rule.

use serde_json::json;
use sqlx::Connection;

use crate::helpers::{on_both_backends, TestApp};
use crate::scim_support::{urlencode, Scim, GROUP, USER};

async fn person(scim: &Scim<'_>, user_name: &str, family: &str, external_id: &str) -> String {
    let (status, body) = scim
        .post("/Users", json!({"schemas": [USER], "userName": user_name, "externalId": external_id,
            "name": {"familyName": family, "givenName": "G"},
            "emails": [{"value": format!("{external_id}@example.com"), "type": "Work", "primary": true}]}))
        .await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().unwrap().to_string()
}

async fn count(scim: &Scim<'_>, endpoint: &str, filter: &str) -> u64 {
    let (status, list) = scim
        .get(&format!("{endpoint}?filter={}", urlencode(filter)))
        .await;
    assert_eq!(status, 200, "{filter}: {list}");
    list["totalResults"].as_u64().unwrap()
}

/// (filter, expected matches) over the people and groups `folding_fixture` makes.
const FILTERS: &[(&str, &str, u64)] = &[
    ("/Users", r#"name.familyName eq "MÜLLER""#, 1),
    ("/Users", r#"name.familyName eq "müller""#, 1),
    ("/Users", r#"name.familyName co "ÜLL""#, 1),
    ("/Users", r#"name.familyName sw "mü""#, 1),
    ("/Users", r#"name.familyName eq "ΣΟΦΊΑ""#, 1),
    ("/Users", r#"name.familyName eq "ΟΔΟΣ""#, 1),
    ("/Users", r#"name.familyName eq "οδοσ""#, 1),
    ("/Users", r#"name.familyName eq "ПЕТРОВ""#, 1),
    ("/Users", r#"name.familyName ew "РОВ""#, 1),
    ("/Users", r#"name.familyName eq "STRAẞE""#, 1),
    // Simple folding keeps ß: SS is another spelling, not another case.
    ("/Users", r#"name.familyName eq "STRASSE""#, 0),
    ("/Users", r#"userName eq "ÆRØ@EXAMPLE.COM""#, 1),
    ("/Users", r#"userName eq "ΖΩΉ""#, 1),
    (
        "/Users",
        r#"emails[type eq "WORK" and value eq "ÅSA@EXAMPLE.COM"]"#,
        1,
    ),
    // externalId is caseExact.
    ("/Users", r#"externalId eq "åsa""#, 1),
    ("/Users", r#"externalId eq "ÅSA""#, 0),
    ("/Groups", r#"displayName eq "ÜNÏCODE ГРУППА""#, 1),
    ("/Groups", r#"displayName co "ïcode гр""#, 1),
];

async fn folding_fixture(scim: &Scim<'_>) {
    person(scim, "ærø@example.com", "Müller", "mueller").await;
    person(scim, "zoe", "Σοφία", "sofia").await;
    person(scim, "ζωή", "Οδος", "odos").await;
    person(scim, "petrov", "Петров", "petrov").await;
    person(scim, "strasse", "Straße", "strasse").await;
    person(scim, "asa", "Lind", "åsa").await;
    let (status, body) = scim
        .post(
            "/Groups",
            json!({"schemas": [GROUP], "displayName": "Ünïcode Группа"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
}

async fn assert_filters(scim: &Scim<'_>) {
    for (endpoint, filter, expected) in FILTERS {
        assert_eq!(
            count(scim, endpoint, filter).await,
            *expected,
            "{endpoint}?filter={filter}"
        );
    }
}

on_both_backends! {
    async fn case_insensitive_filters_fold_every_script_alike(app: TestApp) {
        let scim = Scim::new(&app, "acme").await;
        folding_fixture(&scim).await;
        assert_filters(&scim).await;
        // Sorting by a case-insensitive attribute sorts the folded values by code point.
        let (_, list) = scim.get("/Users?sortBy=name.familyName&attributes=name.familyName").await;
        let families: Vec<&str> = list["Resources"].as_array().unwrap().iter()
            .map(|r| r["name"]["familyName"].as_str().unwrap()).collect();
        assert_eq!(families, ["Lind", "Müller", "Straße", "Οδος", "Σοφία", "Петров"]);
    }

    async fn uniqueness_follows_the_same_folding(app: TestApp) {
        let scim = Scim::new(&app, "acme").await;
        folding_fixture(&scim).await;
        for (endpoint, body) in [
            ("/Users", json!({"schemas": [USER], "userName": "ΖΩΗ\u{301}"})),
            ("/Users", json!({"schemas": [USER], "userName": "ÆRØ@EXAMPLE.COM"})),
            ("/Groups", json!({"schemas": [GROUP], "displayName": "ÜNÏCODE ГРУППА"})),
        ] {
            let (status, answer) = scim.post(endpoint, body.clone()).await;
            // "ΖΩΗ" + combining acute is not "ζωή" (folding does not normalise): that one is new.
            if body["userName"] == "ΖΩΗ\u{301}" {
                assert_eq!(status, 201, "{answer}");
            } else {
                assert_eq!((status, answer["scimType"].as_str()), (409, Some("uniqueness")), "{body}: {answer}");
            }
        }
        let (status, answer) = scim.post("/Users", json!({"schemas": [USER], "userName": "ΖΩΉ"})).await;
        assert_eq!((status, answer["scimType"].as_str()), (409, Some("uniqueness")), "{answer}");
    }

    async fn rows_from_before_the_rule_are_upgraded_at_start(app: TestApp) {
        let scim = Scim::new(&app, "acme").await;
        folding_fixture(&scim).await;
        person(&scim, "ΟΔΥΣΣΕΑΣ", "Ithaca", "odysseas").await;
        // Make the rows look as they did before migration 0009's upgrade: no search documents,
        // keys lower-cased by Rust's to_lowercase (which ends ΟΔΥΣΣΕΑΣ with a final ς).
        let old_key = "ΟΔΥΣΣΕΑΣ".to_lowercase();
        assert_eq!(old_key, "οδυσσεας");
        let set_old_key = format!("UPDATE memberships SET user_name_key = '{old_key}' WHERE user_name = 'ΟΔΥΣΣΕΑΣ'");
        let statements = [
            "UPDATE memberships SET scim_search = NULL",
            "UPDATE groups SET scim_search = NULL",
            "DELETE FROM member_emails",
            "DELETE FROM storage_upgrades",
            set_old_key.as_str(),
        ];
        execute(&app, &statements).await;
        assert_eq!(count(&scim, "/Users", r#"name.familyName eq "MÜLLER""#).await, 0);
        assert_eq!(count(&scim, "/Users", r#"userName eq "ΟΔΥΣΣΕΑΣ""#).await, 0);
        gatehouse::service::migrate(&app.store).await.expect("the upgrade runs again");
        assert_filters(&scim).await;
        assert_eq!(count(&scim, "/Users", r#"userName eq "οδυσσεασ""#).await, 1);
        let (status, answer) = scim.post("/Users", json!({"schemas": [USER], "userName": "other",
            "emails": [{"value": "mueller@example.com"}]})).await;
        assert_eq!((status, answer["scimType"].as_str()), (409, Some("uniqueness")), "{answer}");
        // It runs once.
        execute(&app, &["UPDATE memberships SET scim_search = NULL"]).await;
        gatehouse::service::migrate(&app.store).await.unwrap();
        assert_eq!(count(&scim, "/Users", r#"name.familyName eq "MÜLLER""#).await, 0);
    }
}

/// Runs raw SQL on the test database (to fake rows written by an older Gatehouse).
async fn execute(app: &TestApp, statements: &[&str]) {
    if app.db.url.starts_with("sqlite:") {
        let mut conn = sqlx::SqliteConnection::connect(&app.db.url).await.unwrap();
        for sql in statements {
            sqlx::query(sql).execute(&mut conn).await.unwrap();
        }
    } else {
        let mut conn = sqlx::PgConnection::connect(&app.db.url).await.unwrap();
        for sql in statements {
            sqlx::query(sql).execute(&mut conn).await.unwrap();
        }
    }
}
