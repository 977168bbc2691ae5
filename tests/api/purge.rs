//! The purge task removes expired pending SAML requests, ended sessions and stale replay-cache
//! rows, in bounded batches, and nothing that is still alive.

use chrono::{Duration, Utc};
use gatehouse::{
    domain::sso::SessionMethod, service::purge::purge_once, storage::sso::PendingLogin,
};
use uuid::Uuid;

use crate::{helpers::on_both_backends, sso_support::SsoWorkspace};

on_both_backends! {
    async fn expired_rows_are_purged_in_batches_and_live_ones_stay(app: TestApp) {
        let _sso = SsoWorkspace::new(&app, true).await;
        let store = &app.store;
        let workspace = store.workspace_by_slug("acme").await.unwrap().unwrap();
        let connection = store.sso_connections(workspace.id).await.unwrap().remove(0);
        let now = Utc::now();
        for (i, expires) in [-60, -30, -1, 600].into_iter().enumerate() {
            let login = PendingLogin {
                id: format!("gh-{i}"),
                workspace_id: workspace.id,
                connection_id: connection.id,
                return_to: "/".into(),
                browser_digest: None,
            };
            store.save_pending_login(&login, &format!("relay-{i}"), now + Duration::seconds(expires)).await.unwrap();
        }
        let member = app.add_member_as_operator("acme", "pat@example.com").await;
        let account = store.membership_account(workspace.id, member).await.unwrap().unwrap();
        let session = |expires: i64| {
            let id = Uuid::new_v4();
            async move {
                store.create_session(id, &format!("digest-{id}"), "csrf", account, SessionMethod::Password,
                    None, now + Duration::seconds(expires)).await.unwrap();
                id
            }
        };
        session(-10).await;
        session(-5).await;
        let revoked = session(3600).await;
        store.revoke_session(revoked).await.unwrap();
        session(3600).await;
        for (i, expires) in [-100, -50, -2, 600].into_iter().enumerate() {
            assert!(store.remember_assertion(connection.id, &format!("a-{i}"), now + Duration::seconds(expires)).await.unwrap());
        }
        // Batches of 2: every table needs two statements; the second comes back short.
        let purged = purge_once(store, ages(), 2).await.unwrap();
        assert_eq!((purged.saml_requests, purged.sessions, purged.replay_cache), (3, 3, 3));
        for table in ["saml_requests", "sessions", "saml_replay_cache"] {
            let left = crate::helpers::count_rows(&app, &format!("SELECT COUNT(*) FROM {table}")).await;
            assert_eq!(left, 1, "{table}");
        }
        // The live rows still work: the open request, the live session, the replay entry.
        assert!(store.pending_login(workspace.id, "gh-3").await.unwrap().is_some());
        assert!(!store.remember_assertion(connection.id, "a-3", now).await.unwrap(), "still remembered");
        let again = purge_once(store, ages(), 1_000).await.unwrap();
        assert_eq!((again.saml_requests, again.sessions, again.replay_cache), (0, 0, 0));
    }
}

fn ages() -> gatehouse::storage::purge::PurgeAges {
    gatehouse::storage::purge::PurgeAges {
        session_idle: Duration::minutes(60),
        activity_log: Duration::days(30),
    }
}
