//! The dataset's own checks: determinism, the mix, sealing, and that the
//! service's validation accepts every generated row.

use super::*;
use connectors::domain::secrets::{Envelope, connector_aad, generate_key_line};
use connectors::service::catalog;
use connectors::service::connectors::Connectors;
use connectors::storage::{DatabaseLocation, open};
use std::sync::Arc;

#[test]
fn the_mix_follows_the_shares() {
    let plan = Plan::new(40, 50, &[], Utc::now());
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for k in 0..plan.len() {
        *counts.entry(plan.connector(k).catalog_key).or_default() += 1;
    }
    for (key, share) in MIX {
        let got = counts[key] as f64 * 100.0 / plan.len() as f64;
        assert!(
            (got - share as f64).abs() < 3.0,
            "{key}: {got:.1}% of the rows, expected {share}%"
        );
    }
}

#[test]
fn rows_are_deterministic_and_spread_over_tenants() {
    let now = Utc::now();
    let (a, b) = (Plan::new(5, 4, &[], now), Plan::new(5, 4, &[], now));
    assert_eq!(a.tenants[3].id, b.tenants[3].id);
    let (x, y) = (a.connector(7), b.connector(7));
    assert_eq!((x.id, x.config), (y.id, y.config));
    let tenants: Vec<usize> = (0..10).map(|k| a.connector(k).tenant).collect();
    assert_eq!(tenants, [0, 1, 2, 3, 4, 0, 1, 2, 3, 4]);
    let ids: Vec<String> = (0..a.len()).map(|k| a.connector(k).id).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted, "ids are in creation order");
}

#[test]
fn a_sealed_row_opens_to_the_services_payload() {
    let ring = KeyRing::parse(&generate_key_line()).unwrap();
    let plan = Plan::new(2, 3, &[], Utc::now());
    let c = plan.connector(4);
    let tenant = &plan.tenants[c.tenant].id;
    let sealed = seal_row(&ring, tenant, &c.id, &c.secrets).unwrap();
    let env = Envelope::parse(&sealed.auth).unwrap();
    let aad = |id: &str| connector_aad(tenant, id, Some(&sealed.states));
    let plain = ring.decrypt(&env, &aad(&c.id)).unwrap();
    let payload: Value = serde_json::from_slice(&plain).unwrap();
    let names: Vec<&String> = c.secrets.keys().collect();
    let v = payload["v"].as_object().unwrap();
    let t = payload["t"].as_object().unwrap();
    assert_eq!(v.keys().collect::<Vec<_>>(), names);
    assert_eq!(t.keys().collect::<Vec<_>>(), names);
    for (name, s) in &c.secrets {
        assert_eq!(v[name], s.value.as_str());
        assert_eq!(t[name], s.set_at.as_str());
    }
    let states: BTreeMap<String, String> = serde_json::from_str(&sealed.states).unwrap();
    assert_eq!(
        states.keys().collect::<Vec<_>>(),
        names,
        "the states name every secret"
    );
    // Bound to its row and states: another connector id, or other
    // states, do not open it.
    assert!(ring.decrypt(&env, &aad("other")).is_err());
    assert!(
        ring.decrypt(&env, &connector_aad(tenant, &c.id, Some("{}")))
            .is_err()
    );
}

#[tokio::test]
async fn generated_rows_pass_the_services_validation() {
    let dir = std::env::temp_dir().join(format!("connectors-bench-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let store = open(&DatabaseLocation::Sqlite(dir.join("check.db")))
        .await
        .unwrap();
    store.migrate().await.unwrap();
    catalog::seed(store.as_ref()).await.unwrap();
    let ring = Arc::new(KeyRing::parse(&generate_key_line()).unwrap());
    let service = Connectors::new(store, ring);
    let plan = Plan::new(20, 30, &[], Utc::now());
    for k in 0..plan.len() {
        let c = plan.connector(k);
        if let Err(e) = service.read_install(&c.install_body()).await {
            panic!("row {k} ({}) is refused: {e:?}", c.catalog_key);
        }
    }
    // The check has teeth: a secret its schema refuses is refused.
    let mut bad = plan.connector(0).install_body();
    let name = bad["auth"]
        .as_object()
        .unwrap()
        .keys()
        .next()
        .unwrap()
        .clone();
    bad["auth"][&name] = Value::String("short".into());
    assert!(service.read_install(&bad).await.is_err());
    std::fs::remove_dir_all(&dir).unwrap();
}
