//! Connection checks of the four built-in entries, with their real
//! manifests, against stand-ins on 127.0.0.2 (reached through the
//! operator's base-URL override and the allow list `127.0.0.2/32`).

mod cases;
mod standins;

use crate::support::{CountingListener, serve_standin};
use connectors::config::CheckSettings;
use connectors::domain::address::AllowList;
use connectors::domain::catalog::{Format, Manifest};
use connectors::domain::provider_urls::ProviderUrls;
use connectors::service::checks::{CheckInput, CheckOutcome, Checker};
use secrecy::SecretString;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

/// The providers' stand-in, the 127.0.0.1 listener its `/moved/…`
/// redirects to, and a checker whose overrides point at the stand-in.
pub struct World {
    pub standin: SocketAddr,
    pub blocked: CountingListener,
    pub checker: Checker,
}

pub fn settings(standin: SocketAddr, timeout: Duration) -> CheckSettings {
    let base = format!("http://{standin}");
    CheckSettings {
        allow_networks: AllowList::parse("127.0.0.2/32").unwrap(),
        allow_http: true,
        connect_timeout: timeout,
        timeout,
        provider_urls: ProviderUrls::parse(&format!(
            "medium={base},twitter={base},linkedin={base}"
        ))
        .unwrap(),
    }
}

impl World {
    pub async fn start() -> World {
        let blocked = CountingListener::bind("127.0.0.1").await;
        let standin = serve_standin(standins::providers(blocked.addr)).await;
        World {
            standin,
            blocked,
            checker: Checker::new(&settings(standin, Duration::from_secs(10))),
        }
    }
}

pub fn manifest(key: &str) -> Manifest {
    let file = format!("{key}.json");
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("catalog")
        .join(&file);
    let text = std::fs::read_to_string(path).expect("built-in manifest");
    Manifest::parse(&text, Format::Json, &file).expect("valid manifest")
}

pub fn config(v: Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap_or_default()
}

pub fn secrets(pairs: &[(&str, &str)]) -> BTreeMap<String, SecretString> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), SecretString::from(v.to_string())))
        .collect()
}

pub async fn run(
    checker: &Checker,
    key: &str,
    config: &Map<String, Value>,
    secrets: &BTreeMap<String, SecretString>,
) -> CheckOutcome {
    let m = manifest(key);
    let outcome = checker
        .run(&CheckInput {
            catalog_key: key,
            check: m.check.as_ref(),
            config,
            secrets,
        })
        .await;
    assert_no_secret_part(&outcome, secrets);
    outcome
}

/// No four characters in a row of any secret appear anywhere in the
/// outcome as it would be answered.
pub fn assert_no_secret_part(outcome: &CheckOutcome, secrets: &BTreeMap<String, SecretString>) {
    use secrecy::ExposeSecret;
    let shown = format!(
        "{} {} {}",
        outcome.message,
        outcome.identity.as_deref().unwrap_or_default(),
        outcome.warnings.join(" ")
    )
    .to_lowercase();
    for secret in secrets.values() {
        let s: Vec<char> = secret.expose_secret().to_lowercase().chars().collect();
        for w in s.windows(4) {
            let part: String = w.iter().collect();
            assert!(
                !shown.contains(&part),
                "`{part}` of a secret appears in {shown}"
            );
        }
    }
}
