//! The Installed page's cards and their actions as the browser's htmx
//! asks for them: what a card says, "Test connection" keeping the result
//! on the card, Activate's refusal in words, and the filters.

use crate::both_databases;
use crate::support::{TestApp, TestDb, wordpress};
use connectors::domain::identity::Role;
use serde_json::json;

const NO_FIELDS: [(&str, &str); 0] = [];

both_databases!(
    cards_say_what_is_wrong_and_what_a_check_found,
    |db: TestDb| async move {
        let app = TestApp::spawn(db).await;
        let admin = app.admin().await;
        let blog = app.create_id(&admin, &wordpress("Company blog")).await;
        let stories = app
        .create_id(
            &admin,
            &json!({"catalog_key": "medium", "name": "Medium", "config": {}, "tags": ["stories"]}),
        )
        .await;
        let owner = app
            .signed_in_user("acme", "olga@acme.test", Role::Owner, "olga password")
            .await;
        let member = app
            .signed_in_user("acme", "mia@acme.test", Role::Member, "mia password")
            .await;

        let page = owner
            .get(&app, "/features/connectors/installed")
            .await
            .text()
            .await
            .unwrap();
        assert!(
            page.contains(
                "Site URL:</span> <span class=\"identity-value\">https://blog.example.com"
            ),
            "{page}"
        );
        assert!(
            page.contains("<strong>Needs setup:</strong> Integration token missing"),
            "{page}"
        );
        assert!(
            page.contains("aria-label=\"Finish setup of Medium\""),
            "{page}"
        );
        // The name that equals the entry's is said once.
        let medium_card = &page[page.find(&format!("data-id=\"{stories}\"")).unwrap()..];
        let medium_card = &medium_card[..medium_card.find("</article>").unwrap()];
        assert!(!medium_card.contains("class=\"category\""), "{medium_card}");
        assert!(page.contains("Changed <time datetime=\""), "{page}");
        assert!(page.contains(">just now</time> by "), "{page}");

        // Activate without the token: the card says what to add.
        let res = owner
            .post_htmx(
                &app,
                &format!("/features/connectors/forms/{stories}/status"),
                &[],
                &[("status", "active")],
            )
            .await;
        assert_eq!(res.status(), 200);
        let html = res.text().await.unwrap();
        assert!(
            html.contains("role=\"alert\">Add the integration token to activate.</p>"),
            "{html}"
        );
        assert!(html.starts_with("<article"), "the card alone: {html}");

        // Test connection, by a member too: the card keeps the result.
        let res = member
            .post_htmx(
                &app,
                &format!("/features/connectors/forms/{blog}/check"),
                &[],
                &NO_FIELDS,
            )
            .await;
        assert_eq!(res.status(), 200);
        let html = res.text().await.unwrap();
        assert!(html.contains("last-check check-ok"), "{html}");
        assert!(html.contains("Checked <time datetime=\""), "{html}");
        let view: serde_json::Value = app.fetch(&admin, &blog).await.json().await.unwrap();
        assert_eq!(view["last_check"]["ok"], true, "{view}");
        // Nothing to check without the token: said in words, nothing sent.
        let res = member
            .post_htmx(
                &app,
                &format!("/features/connectors/forms/{stories}/check"),
                &[],
                &NO_FIELDS,
            )
            .await;
        let html = res.text().await.unwrap();
        assert!(
            html.contains("Add the integration token to test the connection."),
            "{html}"
        );
        assert!(html.contains("Not checked yet"), "{html}");
        // A member reads the settings, read-only, and gets no change controls.
        let page = member
            .get(&app, "/features/connectors/installed")
            .await
            .text()
            .await
            .unwrap();
        assert!(page.contains(">Read-only</span>"), "{page}");
        assert!(page.contains("<dt>Username</dt><dd>editor</dd>"), "{page}");
        assert!(
            !page.contains(crate::support::APP_PASSWORD),
            "no secret on a page"
        );
        assert!(!page.contains("Configure"), "{page}");

        // Filters: the grid alone, narrowed, reloading from the same address.
        let grid = app
            .http
            .get(app.url("/features/connectors/installed?tag=stories&status=inactive"))
            .header("cookie", &owner.cookie)
            .header("hx-request", "true")
            .header("hx-target", "installed-grid")
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(grid.starts_with("<div id=\"installed-grid\""), "{grid}");
        assert!(grid.contains(&stories) && !grid.contains(&blog), "{grid}");
        assert!(
            grid.contains(
                "hx-get=\"/features/connectors/installed?status=inactive&#38;tag=stories\""
            ),
            "{grid}"
        );
        let none = owner
            .get(&app, "/features/connectors/installed?q=nothing-like-this")
            .await
            .text()
            .await
            .unwrap();
        assert!(
            none.contains("No connector matches these filters."),
            "{none}"
        );
        assert!(none.contains(">Clear filters</a>"), "{none}");

        // The catalog counts them.
        let catalog = owner
            .get(&app, "/features/connectors/catalog")
            .await
            .text()
            .await
            .unwrap();
        assert!(catalog.contains(">Installed (1)</a>"), "{catalog}");
        assert!(
            catalog.contains("<span class=\"category\">Blogging</span>"),
            "{catalog}"
        );
        app.stop().await;
    }
);
