//! The dataset against the service: every sampled row valid for its type,
//! its secrets open and listed as set.

use crate::dataset::Plan;
use crate::seed::{open_store, read_targets};
use connectors::domain::secrets::{Envelope, KeyRing, connector_aad};
use connectors::domain::time;
use connectors::service::connectors::{Connectors, ListQuery};
use connectors::service::identity;
use connectors::storage::ConnectorFilter;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;

pub(crate) async fn check_dataset(
    url: &str,
    keys: &str,
    targets: &Path,
    sample: usize,
) -> anyhow::Result<()> {
    let (_, store) = open_store(url).await?;
    let ring = Arc::new(KeyRing::parse(keys)?);
    let service = Connectors::new(store.clone(), ring.clone());
    let targets = read_targets(targets)?;
    let stride = (targets.len() / sample.max(1)).max(1);
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    let mut tenants = 0;
    for t in targets.iter().step_by(stride).take(sample) {
        tenants += 1;
        let principal = identity::authenticate_token(store.as_ref(), &t.token)
            .await?
            .ok_or_else(|| anyhow::anyhow!("a token of tenant {} is refused", t.tenant_id))?;
        let rows = store
            .connector_list(
                &principal.tenant_id,
                &ConnectorFilter {
                    limit: 200,
                    ..ConnectorFilter::default()
                },
            )
            .await?;
        let page = service
            .list(
                &principal,
                &ListQuery {
                    limit: Some(200),
                    ..ListQuery::default()
                },
            )
            .await
            .map_err(|e| anyhow::anyhow!("the service's list failed: {e:?}"))?;
        let shown: HashMap<&str, _> = page
            .items
            .iter()
            .map(|v| (v.id.as_str(), v.secrets.to_map()))
            .collect();
        anyhow::ensure!(
            shown.len() == rows.len(),
            "the service lists {} connectors of tenant {}, the store {}",
            shown.len(),
            t.tenant_id,
            rows.len()
        );
        for row in &rows {
            anyhow::ensure!(
                row.secret_states.is_some() && row.legacy_auth.is_none(),
                "connector {}: the row has its secret states, and reads do not see its envelope",
                row.id
            );
            let sealed = store
                .connector_sealed(&principal.tenant_id, &row.id)
                .await?
                .ok_or_else(|| anyhow::anyhow!("connector {} has no secrets", row.id))?;
            let env = Envelope::parse(&sealed.auth)
                .map_err(|e| anyhow::anyhow!("connector {}: {e}", row.id))?;
            let aad = connector_aad(
                row.tenant_id.as_str(),
                row.id.as_str(),
                sealed.states.as_deref(),
            );
            let plain = ring
                .decrypt(&env, &aad)
                .map_err(|e| anyhow::anyhow!("connector {}: {e}", row.id))?;
            let payload: Value = serde_json::from_slice(&plain)?;
            let (Some(values), Some(times)) = (payload["v"].as_object(), payload["t"].as_object())
            else {
                anyhow::bail!("connector {}: the payload is not {{v, t}}", row.id);
            };
            anyhow::ensure!(
                values.keys().eq(times.keys()),
                "connector {}: every secret has a time",
                row.id
            );
            let body = json!({
                "catalog_key": row.catalog_key,
                "name": row.name,
                "config": serde_json::from_str::<Value>(&row.config)?,
                "auth": values,
                "tags": serde_json::from_str::<Value>(&row.tags)?,
            });
            service.read_install(&body).await.map_err(|e| {
                anyhow::anyhow!(
                    "connector {} ({}) is refused: {e:?}",
                    row.id,
                    row.catalog_key
                )
            })?;
            let states = shown
                .get(row.id.as_str())
                .ok_or_else(|| anyhow::anyhow!("connector {} is not listed", row.id))?;
            for (name, state) in states.iter() {
                let expected = match times.get(name) {
                    Some(at) => json!({"set": true, "updated_at": at}),
                    None => json!({"set": false}),
                };
                anyhow::ensure!(
                    *state == expected,
                    "connector {}: the service shows secret {name} as {state}",
                    row.id
                );
            }
            *counts.entry(row.catalog_key.clone()).or_default() += 1;
        }
    }
    let total: usize = counts.values().sum();
    anyhow::ensure!(total > 0, "no connector was checked");
    let mix: Vec<String> = counts
        .iter()
        .map(|(k, n)| format!("{k} {:.0}%", *n as f64 * 100.0 / total as f64))
        .collect();
    println!(
        "{total} connectors of {tenants} tenants valid for their catalog type, their secrets open and listed as set ({})",
        mix.join(", ")
    );
    Ok(())
}

pub(crate) fn install_bodies(count: usize) -> anyhow::Result<()> {
    let plan = Plan::new(count, 1, &[], time::now());
    for k in 0..plan.len() {
        let mut body = plan.connector(k).install_body();
        if let Some(o) = body.as_object_mut() {
            o.remove("name");
        }
        println!("{body}");
    }
    Ok(())
}
