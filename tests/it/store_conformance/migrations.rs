//! Migrations: the first `migrate` applies every known one, in order; a
//! second applies nothing and leaves their applied times alone.

use crate::both_databases;
use crate::support::TestDb;
use connectors::storage;

both_databases!(
    migrations_apply_every_known_one_once,
    |db: TestDb| async move {
        let store = db.open_store().await;
        let known = storage::migrations::all(store.backend());
        let first = store.migrate().await.unwrap();
        assert_eq!(
            first.iter().map(|m| m.version).collect::<Vec<_>>(),
            known.iter().map(|m| m.version).collect::<Vec<_>>(),
            "the first migrate applies every known migration, in order"
        );
        let status = store.migration_status().await.unwrap();
        assert_eq!(
            status.len(),
            known.len(),
            "migration status lists every known migration and nothing else"
        );
        for m in &status {
            assert!(
                m.applied_at.is_some(),
                "after migrate, migration {} ({}) is applied, not pending",
                m.version,
                m.name
            );
        }
        let second = store.migrate().await.unwrap();
        assert!(
            second.is_empty(),
            "a second migrate applies nothing (applied: {:?})",
            second.iter().map(|m| m.version).collect::<Vec<_>>()
        );
        let again = store.migration_status().await.unwrap();
        assert_eq!(
            again
                .iter()
                .map(|m| (m.version, m.applied_at))
                .collect::<Vec<_>>(),
            status
                .iter()
                .map(|m| (m.version, m.applied_at))
                .collect::<Vec<_>>(),
            "a second migrate changes no migration's applied time"
        );
    }
);
