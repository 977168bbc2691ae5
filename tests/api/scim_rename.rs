//! A User's email follows the IdP: a rename (Entra's tombstone rename on soft delete, or a
//! person's new address) re-derives the email that names the membership and frees the old one
//! at once; the account's own address (its sign-in identity) moves only when this workspace
//! is the authority for the old and the new address.

use serde_json::json;

use crate::{
    helpers::{on_both_backends, set_password, TestApp},
    scim_support::Scim,
};

/// PATCH replacing a User's userName and work email, as Entra sends it.
fn rename_ops(to: &str) -> serde_json::Value {
    json!([
        {"op": "Replace", "path": "userName", "value": to},
        {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": to}
    ])
}

async fn account_of(app: &TestApp, slug: &str, user: &str) -> Option<uuid::Uuid> {
    let workspace = app.store.workspace_fresh(slug).await.unwrap().unwrap();
    app.store
        .membership_account(workspace.id, user.parse().unwrap())
        .await
        .unwrap()
}

on_both_backends! {
    async fn a_renamed_user_frees_its_old_address_and_the_authority_moves_the_account(app: TestApp) {
        // acme verified example.com: the authority for its people.
        let scim = Scim::new(&app, "acme").await;
        let alice = scim.user("alice@example.com").await;
        set_password(&app.db.url, "alice@example.com", "alice's own password");
        let account = account_of(&app, "acme", &alice).await.unwrap();

        let (status, renamed) = scim.patch(&format!("/Users/{alice}"), rename_ops("alice.left@example.com")).await;
        assert_eq!(status, 200, "{renamed}");
        assert_eq!(renamed["userName"], "alice.left@example.com");
        // The old values are free at once: re-creating them is a new User (201).
        let again = scim.user("alice@example.com").await;
        assert_ne!(again, alice);
        // The account moved with the User: sign-in follows the rename; the new User got a new
        // account of its own.
        assert_eq!(account_of(&app, "acme", &alice).await, Some(account));
        assert_ne!(account_of(&app, "acme", &again).await, Some(account));
        assert_eq!(app.password_login("alice.left@example.com", "alice's own password").await.0, 303);
        assert_eq!(app.password_login("alice@example.com", "alice's own password").await.0, 401);

        // Entra's soft delete renames to a tombstone and restores: the round trip holds.
        let bob = scim.user("bob@example.com").await;
        let tombstone = format!("{bob}bob@example.com");
        assert_eq!(scim.patch(&format!("/Users/{bob}"), rename_ops(&tombstone)).await.0, 200);
        let (status, restored) = scim.patch(&format!("/Users/{bob}"), rename_ops("bob@example.com")).await;
        assert_eq!(status, 200, "{restored}");
        assert_eq!(restored["userName"], "bob@example.com");
        assert_eq!(restored["emails"][0]["value"], "bob@example.com");
        // Renaming onto another User's address is a uniqueness error.
        let (status, body) = scim.patch(&format!("/Users/{bob}"), rename_ops("alice@example.com")).await;
        assert_eq!(status, 409, "{body}");
        assert_eq!(body["scimType"], "uniqueness");
    }

    async fn outside_its_domains_a_rename_stays_in_the_workspaces_view(app: TestApp) {
        let home = Scim::new(&app, "home").await; // verifies example.com
        let carol = home.user("carol@example.com").await;
        let account = account_of(&app, "home", &carol).await.unwrap();
        set_password(&app.db.url, "carol@example.com", "carol's own password");
        let partner = Scim::new(&app, "partner").await; // verifies nothing
        let theirs = partner.user("carol@example.com").await;
        assert_eq!(account_of(&app, "partner", &theirs).await, None, "waits for carol");
        assert_eq!(partner.patch(&format!("/Users/{theirs}"), rename_ops("carol@elsewhere.test")).await.0, 200);
        // Re-creating the old values in partner works, and carol's account never moved.
        partner.user("carol@example.com").await;
        assert_eq!(app.password_login("carol@example.com", "carol's own password").await.0, 303);
        // The authority renaming carol into a domain it does not hold keeps her account's address.
        assert_eq!(home.patch(&format!("/Users/{carol}"), rename_ops("carol@elsewhere.test")).await.0, 200);
        assert_eq!(account_of(&app, "home", &carol).await, Some(account));
        assert_eq!(app.password_login("carol@example.com", "carol's own password").await.0, 303);
    }
}
