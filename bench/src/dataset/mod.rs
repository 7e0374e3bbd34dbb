//! The benchmark's dataset: connectors of the four built-in catalog types
//! in a fixed mix, each with a config and secrets that the service's own
//! validation accepts, values varied per row, all of it a function of the
//! row's index (the same dataset on every run and on both databases).
//!
//! Rows are created round-robin over the tenants, in the order of their
//! ids (UUIDv7 from their creation times, spread over the past year), so
//! that a tenant's connectors are spread over the whole table as they are
//! when many tenants add connectors over time, not stored side by side.

use chrono::{DateTime, Duration as TimeDelta, Utc};
use connectors::domain::secrets::KeyRing;
use connectors::domain::time;
use connectors::service::connectors::seal_new_secrets;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// Catalog type → share of the rows, in percent.
pub const MIX: [(&str, u64); 4] = [
    ("wordpress", 40),
    ("linkedin", 25),
    ("twitter", 20),
    ("medium", 15),
];

/// A small deterministic generator (SplitMix64): the same seed gives the
/// same values everywhere.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x5eed_c0de_0bad_f00d)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A value in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// A value in `lo..=hi`.
    pub fn between(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    /// True `pct` times in 100.
    pub fn chance(&mut self, pct: u64) -> bool {
        self.below(100) < pct
    }

    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }

    /// `n` characters drawn from `alphabet`.
    pub fn text(&mut self, alphabet: &[u8], n: usize) -> String {
        (0..n).map(|_| char::from(self.pick(alphabet))).collect()
    }

    /// Between `lo` and `hi` distinct items of `pool`, in pool order.
    pub fn some_of(&mut self, pool: &[&str], lo: usize, hi: usize) -> Vec<String> {
        let want = self.between(lo as u64, hi.min(pool.len()) as u64) as usize;
        let mut chosen = vec![false; pool.len()];
        let mut left = want;
        while left > 0 {
            let i = self.below(pool.len() as u64) as usize;
            if !chosen[i] {
                chosen[i] = true;
                left -= 1;
            }
        }
        pool.iter()
            .zip(chosen)
            .filter(|(_, c)| *c)
            .map(|(s, _)| s.to_string())
            .collect()
    }

    pub fn bytes<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        for chunk in out.chunks_mut(8) {
            let v = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
        out
    }
}

#[cfg(test)]
mod tests;
mod values;

use values::{CONNECTOR_TAGS, ERRORS, PEOPLE, linkedin, medium, twitter, wordpress};

/// One secret of a row: its value and when it was set.
pub struct Secret {
    pub value: String,
    pub set_at: String,
}

/// A connector as generated, before its secrets are sealed.
pub struct Connector {
    pub id: String,
    /// Index of its tenant in the plan.
    pub tenant: usize,
    pub catalog_key: &'static str,
    pub name: String,
    pub status: &'static str,
    pub status_message: Option<String>,
    pub config: Value,
    pub secrets: BTreeMap<String, Secret>,
    pub tags: Vec<String>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub created_by_name: String,
    pub updated_by_name: String,
}

impl Connector {
    /// The install body a client would send for this connector: what the
    /// service's validation is asked about.
    pub fn install_body(&self) -> Value {
        let auth: Map<String, Value> = self
            .secrets
            .iter()
            .map(|(k, s)| (k.clone(), Value::String(s.value.clone())))
            .collect();
        json!({
            "catalog_key": self.catalog_key,
            "name": self.name,
            "config": self.config,
            "auth": auth,
            "tags": self.tags,
        })
    }

    /// The audit events the service would have written for this history:
    /// the install, and the change of secrets that a later version means.
    pub fn audit_events(&self, rng: &mut Rng) -> Vec<AuditEvent> {
        let has_tags = !self.tags.is_empty();
        let mut fields = vec!["name", "config"];
        if has_tags {
            fields.push("tags");
        }
        let set: BTreeMap<&str, &str> = self.secrets.keys().map(|k| (k.as_str(), "set")).collect();
        let mut out = vec![AuditEvent {
            id: v7_at(&self.created_at, rng),
            connector_id: self.id.clone(),
            actor_name: self.created_by_name.clone(),
            action: "connector.created",
            changes: json!({"fields": fields, "secrets": set, "catalog_key": self.catalog_key})
                .to_string(),
            at: self.created_at,
        }];
        if self.version > 1 {
            let changed: BTreeMap<&str, &str> = self
                .secrets
                .iter()
                .filter(|(_, s)| s.set_at == time::format(&self.updated_at))
                .map(|(k, _)| (k.as_str(), "changed"))
                .collect();
            out.push(AuditEvent {
                id: v7_at(&self.updated_at, rng),
                connector_id: self.id.clone(),
                actor_name: self.updated_by_name.clone(),
                action: "connector.secrets_changed",
                changes: json!({"fields": [], "secrets": changed}).to_string(),
                at: self.updated_at,
            });
        }
        out
    }
}

/// An audit event of the seeded history.
pub struct AuditEvent {
    pub id: String,
    pub connector_id: String,
    pub actor_name: String,
    pub action: &'static str,
    pub changes: String,
    pub at: DateTime<Utc>,
}

/// What goes into a row for its secrets, as the service writes it.
pub struct Sealed {
    /// The `auth` column: the encrypted envelope's JSON text.
    pub auth: String,
    /// The `secret_states` column: which secrets are set, and when, bound
    /// into the envelope's associated data.
    pub states: String,
}

/// Seals one row's secrets the way the service stores them, with the
/// service's own function: the payload encrypted under the key ring's
/// primary key, bound to the row (tenant and connector ids) and to the
/// states stored beside it. Every seeded row goes through here.
pub fn seal_row(
    ring: &KeyRing,
    tenant_id: &str,
    connector_id: &str,
    secrets: &BTreeMap<String, Secret>,
) -> anyhow::Result<Sealed> {
    let values = secrets
        .iter()
        .map(|(k, s)| (k.clone(), s.value.clone()))
        .collect();
    let set_at = secrets
        .iter()
        .map(|(k, s)| (k.clone(), s.set_at.clone()))
        .collect();
    let (auth, states) = seal_new_secrets(ring, tenant_id, connector_id, &values, &set_at)?;
    Ok(Sealed { auth, states })
}

/// A UUIDv7 for a time, its random bits from `rng`.
fn v7_at(at: &DateTime<Utc>, rng: &mut Rng) -> String {
    uuid::Builder::from_unix_timestamp_millis(at.timestamp_millis() as u64, &rng.bytes::<10>())
        .into_uuid()
        .to_string()
}

/// One tenant of the plan.
pub struct Tenant {
    pub id: String,
    pub slug: String,
    pub connectors: usize,
}

/// Which tenants there are, how many connectors each has, and when the
/// dataset's history starts and ends.
pub struct Plan {
    pub tenants: Vec<Tenant>,
    start: DateTime<Utc>,
    step: TimeDelta,
    end: DateTime<Utc>,
    /// Creation order: the tenant of each row, round-robin over the
    /// tenants that still have connectors to add.
    order: Vec<(usize, usize)>,
}

impl Plan {
    /// `tenants` tenants t00000… with `per` connectors each, then tenants
    /// named in `extra` with their own counts.
    pub fn new(tenants: usize, per: usize, extra: &[(String, usize)], now: DateTime<Utc>) -> Plan {
        let mut rng = Rng::new(0x7e4a_4175);
        let mut list: Vec<Tenant> = (0..tenants)
            .map(|i| (format!("t{i:05}"), per))
            .chain(extra.iter().cloned())
            .map(|(slug, connectors)| Tenant {
                id: uuid::Builder::from_random_bytes(rng.bytes::<16>())
                    .into_uuid()
                    .to_string(),
                slug,
                connectors,
            })
            .collect();
        list.shrink_to_fit();
        let most = list.iter().map(|t| t.connectors).max().unwrap_or(0);
        let mut order = Vec::new();
        for round in 0..most {
            for (t, tenant) in list.iter().enumerate() {
                if round < tenant.connectors {
                    order.push((t, round));
                }
            }
        }
        let end = now - TimeDelta::hours(1);
        let start = end - TimeDelta::days(365);
        let step = TimeDelta::milliseconds((365 * 86_400_000 / order.len().max(1) as i64).max(1));
        Plan {
            tenants: list,
            start,
            step,
            end,
            order,
        }
    }

    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// When the first connector was created.
    pub fn start(&self) -> DateTime<Utc> {
        self.start
    }

    /// The connector created `k`-th.
    pub fn connector(&self, k: usize) -> Connector {
        let (t, j) = self.order[k];
        let mut rng = Rng::new(k as u64);
        let pick = rng.below(100);
        let mut bound = 0;
        let key = MIX
            .iter()
            .find(|(_, share)| {
                bound += share;
                pick < bound
            })
            .map(|(key, _)| *key)
            .unwrap_or("wordpress");
        let created_at = self.start + self.step * (k as i32);
        let (config, secret_values, label) = match key {
            "wordpress" => wordpress(&mut rng, t, j),
            "linkedin" => linkedin(&mut rng),
            "twitter" => twitter(&mut rng, t, j),
            _ => medium(&mut rng),
        };
        // A quarter of the connectors have had their secrets changed since.
        let (version, updated_at) = if rng.chance(25) {
            let later = created_at + TimeDelta::hours(rng.between(1, 24 * 120) as i64);
            (rng.between(2, 6) as i64, later.min(self.end))
        } else {
            (1, created_at)
        };
        let created_s = time::format(&created_at);
        let updated_s = time::format(&updated_at);
        let rotated = version > 1;
        let secrets = secret_values
            .into_iter()
            .enumerate()
            .map(|(i, (name, value))| {
                // After a change, the first secret (the one a rotation
                // renews) carries the later time.
                let set_at = if rotated && i == 0 {
                    updated_s.clone()
                } else {
                    created_s.clone()
                };
                (name.to_string(), Secret { value, set_at })
            })
            .collect();
        let status_pick = rng.below(100);
        let (status, status_message) = match status_pick {
            0..82 => ("active", None),
            82..95 => ("inactive", None),
            _ => ("error", Some(rng.pick(ERRORS).to_string())),
        };
        let tags = if rng.chance(60) {
            rng.some_of(CONNECTOR_TAGS, 1, 3)
        } else {
            Vec::new()
        };
        let created_by_name = rng.pick(PEOPLE).to_string();
        let updated_by_name = if rotated {
            rng.pick(PEOPLE).to_string()
        } else {
            created_by_name.clone()
        };
        Connector {
            id: v7_at(&created_at, &mut rng),
            tenant: t,
            catalog_key: key,
            name: format!("{label} {}", j + 1),
            status,
            status_message,
            config,
            secrets,
            tags,
            version,
            created_at,
            updated_at,
            created_by_name,
            updated_by_name,
        }
    }
}
