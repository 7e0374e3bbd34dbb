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

const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const LOWER_ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
const HEX: &[u8] = b"0123456789abcdef";
const DIGITS: &[u8] = b"0123456789";
/// What OAuth 2.0 bearer tokens are written with (RFC 6750's b64token).
const TOKEN68: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/";

const COMPANIES: &[&str] = &[
    "northwind",
    "globex",
    "initech",
    "umbrella",
    "hooli",
    "vandelay",
    "wonka",
    "tyrell",
    "soylent",
    "gringotts",
    "oscorp",
    "cyberdyne",
    "massive",
    "pied-piper",
    "bluth",
    "dunder",
];
const TOPICS: &[&str] = &[
    "travel",
    "recipes",
    "engineering",
    "news",
    "design",
    "finance",
    "gardening",
    "music",
    "careers",
    "product",
    "security",
    "sustainability",
];
const PEOPLE: &[&str] = &[
    "Ada Moreau",
    "Ben Okafor",
    "Chen Wei",
    "Dara Nyambura",
    "Elif Demir",
    "Farid Haddad",
    "Greta Lindqvist",
    "Hugo Martins",
    "Ines Duarte",
    "Jonas Becker",
];
const WP_USERS: &[&str] = &[
    "editor",
    "admin",
    "marketing",
    "content-team",
    "jane.doe",
    "publisher@",
    "web_ops",
    "Comms Desk",
];
const WP_CATEGORIES: &[&str] = &[
    "News",
    "Announcements",
    "engineering-blog",
    "Press",
    "Updates",
];
const WP_TAGS: &[&str] = &[
    "release",
    "how-to",
    "case study",
    "events",
    "hiring",
    "product update",
    "behind the scenes",
    "tutorial",
];
const HASHTAGS: &[&str] = &[
    "DevOps",
    "OpenSource",
    "BuildInPublic",
    "ai",
    "launch",
    "TechNews",
    "hiring",
    "rustlang",
];
const MEDIUM_TAGS: &[&str] = &[
    "Programming",
    "Startup",
    "Productivity",
    "Design",
    "Data Science",
    "Leadership",
];
const CONNECTOR_TAGS: &[&str] = &[
    "marketing",
    "social",
    "blog",
    "eu",
    "us",
    "apac",
    "newsletter",
    "launch",
    "team-a",
    "team-b",
    "archived",
];
const ERRORS: &[&str] = &[
    "401 Unauthorized: the application password was revoked",
    "403 Forbidden: the token lacks the w_member_social scope",
    "429 Too Many Requests: rate limit reached, retry after 900 s",
    "the site's REST API is not reachable under /wp-json/",
];

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

type Generated = (Value, Vec<(&'static str, String)>, String);

fn insert(map: &mut Map<String, Value>, key: &str, value: impl Into<Value>) {
    map.insert(key.to_string(), value.into());
}

fn wordpress(rng: &mut Rng, t: usize, j: usize) -> Generated {
    let company = rng.pick(COMPANIES);
    let topic = rng.pick(TOPICS);
    let site = match rng.below(3) {
        0 => format!("https://{topic}.{company}{t}.example.com"),
        1 => format!("https://www.{company}{t}.example.org/{topic}"),
        _ => format!("https://{company}-{topic}-{j}.example.net"),
    };
    let mut c = Map::new();
    insert(&mut c, "site_url", site);
    let user = rng.pick(WP_USERS);
    let username = if user.ends_with('@') {
        format!("{user}{company}.example.com")
    } else {
        user.to_string()
    };
    insert(&mut c, "username", username);
    if rng.chance(70) {
        insert(
            &mut c,
            "default_status",
            rng.pick(&["publish", "draft", "pending", "private"]),
        );
    }
    if rng.chance(40) {
        insert(
            &mut c,
            "format",
            rng.pick(&["standard", "aside", "gallery", "link", "image", "video"]),
        );
    }
    if rng.chance(50) {
        insert(&mut c, "default_category", rng.pick(WP_CATEGORIES));
    }
    if rng.chance(60) {
        insert(&mut c, "default_tags", rng.some_of(WP_TAGS, 1, 4));
    }
    if rng.chance(30) {
        insert(&mut c, "comment_status", rng.pick(&["open", "closed"]));
    }
    if rng.chance(30) {
        insert(&mut c, "ping_status", rng.pick(&["open", "closed"]));
    }
    if rng.chance(10) {
        insert(&mut c, "sticky", rng.chance(50));
    }
    let groups: Vec<String> = (0..6).map(|_| rng.text(ALNUM, 4)).collect();
    let password = if rng.chance(80) {
        groups.join(" ")
    } else {
        groups.concat()
    };
    let label = format!("{} {topic} blog", title_case(company));
    (
        Value::Object(c),
        vec![("application_password", password)],
        label,
    )
}

fn linkedin(rng: &mut Rng) -> Generated {
    let mut c = Map::new();
    let person = rng.chance(70);
    let author = if person {
        json!({"type": "person", "urn": format!("urn:li:person:{}", rng.text(ALNUM, 10))})
    } else {
        json!({"type": "organization", "urn": format!("urn:li:organization:{}", rng.between(1_000_000, 99_999_999))})
    };
    insert(&mut c, "author", author);
    if rng.chance(60) {
        let choices: &[&str] = if person {
            &["PUBLIC", "CONNECTIONS", "LOGGED_IN"]
        } else {
            &["PUBLIC", "LOGGED_IN"]
        };
        insert(&mut c, "visibility", rng.pick(choices));
    }
    if rng.chance(30) {
        insert(&mut c, "disable_reshare", rng.chance(50));
    }
    if rng.chance(70) {
        insert(
            &mut c,
            "api_version",
            format!("20{}{:02}", rng.between(24, 26), rng.between(1, 12)),
        );
    }
    // LinkedIn's tokens are a few hundred characters long.
    let len = rng.between(300, 380) as usize;
    let mut secrets = vec![("access_token", format!("AQ{}", rng.text(TOKEN68, len)))];
    if rng.chance(40) {
        let len = rng.between(300, 380) as usize;
        secrets.push(("refresh_token", format!("AQ{}", rng.text(TOKEN68, len))));
        secrets.push(("client_id", rng.text(LOWER_ALNUM, 14)));
        secrets.push((
            "client_secret",
            format!("WPL_AP1.{}.{}==", rng.text(ALNUM, 16), rng.text(ALNUM, 8)),
        ));
    }
    let label = if person {
        "LinkedIn profile".to_string()
    } else {
        format!("LinkedIn {} page", title_case(rng.pick(COMPANIES)))
    };
    (Value::Object(c), secrets, label)
}

fn twitter(rng: &mut Rng, t: usize, j: usize) -> Generated {
    let mut c = Map::new();
    let mut handle = format!(
        "{}_{}{}",
        rng.pick(COMPANIES).replace('-', ""),
        rng.pick(TOPICS),
        (t * 7 + j) % 1000
    );
    handle.truncate(15);
    insert(&mut c, "username", handle.clone());
    if rng.chance(50) {
        insert(
            &mut c,
            "reply_settings",
            rng.pick(&["everyone", "mentionedUsers", "following"]),
        );
    }
    if rng.chance(40) {
        insert(&mut c, "append_hashtags", rng.some_of(HASHTAGS, 1, 3));
    }
    if rng.chance(50) {
        insert(&mut c, "thread_long_posts", rng.chance(70));
    }
    if rng.chance(40) {
        insert(&mut c, "max_thread_length", rng.between(2, 25));
    }
    if rng.chance(30) {
        insert(&mut c, "number_thread_posts", rng.chance(50));
    }
    let user_id = format!("{}{}", rng.between(1, 9), rng.text(DIGITS, 18));
    let mut secrets = vec![
        ("api_key", rng.text(ALNUM, 25)),
        ("api_secret", rng.text(ALNUM, 50)),
        ("access_token", format!("{user_id}-{}", rng.text(ALNUM, 31))),
        ("access_token_secret", rng.text(ALNUM, 45)),
    ];
    if rng.chance(30) {
        secrets.push((
            "bearer_token",
            format!(
                "AAAAAAAAAAAAAAAAAAAAA{}%2B{}%3D{}",
                rng.text(ALNUM, 20),
                rng.text(ALNUM, 10),
                rng.text(ALNUM, 50)
            ),
        ));
    }
    (Value::Object(c), secrets, format!("X @{handle}"))
}

fn medium(rng: &mut Rng) -> Generated {
    let mut c = Map::new();
    let publication = rng.chance(30);
    if publication {
        insert(&mut c, "publication_id", rng.text(HEX, 12));
    }
    if rng.chance(50) {
        insert(&mut c, "author_id", rng.text(HEX, 65));
    }
    if rng.chance(70) {
        insert(
            &mut c,
            "publish_status",
            rng.pick(&["public", "draft", "unlisted"]),
        );
    }
    if rng.chance(60) {
        insert(&mut c, "content_format", rng.pick(&["html", "markdown"]));
    }
    if rng.chance(30) {
        insert(
            &mut c,
            "license",
            rng.pick(&[
                "all-rights-reserved",
                "cc-40-by",
                "cc-40-by-sa",
                "public-domain",
            ]),
        );
    }
    if rng.chance(30) {
        insert(&mut c, "notify_followers", rng.chance(50));
    }
    if rng.chance(50) {
        insert(&mut c, "default_tags", rng.some_of(MEDIUM_TAGS, 1, 3));
    }
    let secrets = vec![("integration_token", rng.text(HEX, 65))];
    let label = if publication {
        format!("Medium {} publication", rng.pick(TOPICS))
    } else {
        "Medium profile".to_string()
    };
    (Value::Object(c), secrets, label)
}

fn title_case(s: &str) -> String {
    s.split('-')
        .map(|w| {
            let mut cs = w.chars();
            match cs.next() {
                Some(f) => f.to_uppercase().chain(cs).collect::<String>(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
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
}
