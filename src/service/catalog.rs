//! The catalog: built-in manifests embedded in the binary, idempotent
//! seeding, import of operator manifests, and reads for the API and pages.

use super::{ServiceError, ServiceResult};
use crate::domain::airbyte::{self, CatalogFields};
use crate::domain::catalog::{Format, Manifest, read_document};
use crate::domain::ids::{ConnectorId, TenantId};
use crate::domain::schema::CatalogForms;
use crate::domain::schema::secrets::secret_places;
use crate::domain::secrets::KeyRing;
use crate::domain::time;
use crate::service::connectors::{holds_clear_secrets, mark_unreadable, seal_config_values};
use crate::storage::{CatalogRow, CatalogWrite, Store, UpsertOutcome};
use chrono::{DateTime, Utc};
use rust_embed::RustEmbed;
use serde::Serialize;
use serde_json::Value;
use std::path::Path;

#[derive(RustEmbed)]
#[folder = "catalog/"]
#[include = "*.json"]
#[include = "*.yaml"]
#[include = "*.yml"]
struct BuiltIn;

/// The built-in manifests, checked, in file-name order.
pub fn builtin_manifests() -> ServiceResult<Vec<Manifest>> {
    let mut names: Vec<String> = BuiltIn::iter().map(|n| n.to_string()).collect();
    names.sort();
    names
        .iter()
        .map(|name| {
            let file = BuiltIn::get(name)
                .ok_or_else(|| ServiceError::NotFound(format!("built-in manifest {name}")))?;
            let text = std::str::from_utf8(&file.data)
                .map_err(|_| ServiceError::Invalid(format!("{name}: not UTF-8")))?;
            let format = Format::from_path(Path::new(name)).unwrap_or(Format::Json);
            Ok(Manifest::parse(text, format, &format!("catalog/{name}"))?)
        })
        .collect()
}

/// What a seed or import did, entry by entry.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct UpsertReport {
    pub created: Vec<String>,
    pub updated: Vec<String>,
    pub unchanged: Vec<String>,
    /// Keywords ignored as annotations, one line each: the file, the
    /// keyword and its JSON pointer.
    pub warnings: Vec<String>,
    /// Per entry whose schema made secret a field that connectors held in
    /// clear: the key and how many connectors had their values sealed.
    pub sealed: Vec<(String, u64)>,
    /// Connectors whose values could not be sealed because their secrets
    /// do not open (each is now `error`, its value still in its config).
    pub unreadable: u64,
}

impl UpsertReport {
    fn record(&mut self, key: &str, outcome: UpsertOutcome) {
        let list = match outcome {
            UpsertOutcome::Created => &mut self.created,
            UpsertOutcome::Updated => &mut self.updated,
            UpsertOutcome::Unchanged => &mut self.unchanged,
        };
        list.push(key.to_string());
    }

    pub fn summary(&self) -> String {
        format!(
            "{} created, {} updated, {} unchanged",
            self.created.len(),
            self.updated.len(),
            self.unchanged.len()
        )
    }
}

fn to_write(m: &Manifest) -> CatalogWrite {
    CatalogWrite {
        key: m.key.clone(),
        name: m.name.trim().to_string(),
        description: m.description.clone(),
        category: m.category.trim().to_string(),
        icon: m.icon.clone(),
        auth_type: m.auth_type.as_str().to_string(),
        capabilities: m.capabilities.to_string(),
        default_config_schema: m.default_config_schema.to_string(),
        auth_schema: m.auth_schema.to_string(),
        document: m.to_document(),
    }
}

/// Upserts manifests by key: new keys are created, changed manifests are
/// updated in place (same id), identical ones are left alone.
pub async fn upsert_all(store: &dyn Store, manifests: &[Manifest]) -> ServiceResult<UpsertReport> {
    let mut report = UpsertReport::default();
    for m in manifests {
        let outcome = store.catalog_upsert(&to_write(m)).await?;
        report.record(&m.key, outcome);
    }
    Ok(report)
}

/// How many connectors a page of the sealing of clear values reads.
pub const SEAL_BATCH: i64 = 100;

/// After an import or a seed: the connectors of each entry of `manifests`
/// whose stored config holds a value at a place the entry's schema now
/// marks secret (`writeOnly`/`airbyte_secret`) have those values moved
/// into their sealed secrets and out of the config, in batches, tenant by
/// tenant. Each row is replaced only if unchanged since it was read, so a
/// run is safe beside a serving replica and safe to repeat (a repeat finds
/// nothing to move). The key ring is loaded (by `load_keys`) only when a
/// value has to move. A secret the schema no longer marks stays sealed
/// where it is (see the README's manifest section).
pub async fn seal_clear_values(
    store: &dyn Store,
    manifests: &[Manifest],
    load_keys: &(dyn Fn() -> ServiceResult<KeyRing> + Sync),
    report: &mut UpsertReport,
) -> ServiceResult<()> {
    let mut keys: Option<KeyRing> = None;
    let mut moved_any = false;
    for m in manifests {
        let forms = m
            .forms()
            .map_err(|e| ServiceError::Invalid(format!("{}: {e}", m.key)))?;
        if secret_places(&forms.config).is_empty() {
            continue;
        }
        let Some(row) = store.catalog_get(&m.key).await? else {
            continue;
        };
        let mut moved = 0;
        let mut after: Option<(TenantId, ConnectorId)> = None;
        loop {
            let batch = store
                .config_secrets_page(&row.id, after.as_ref(), SEAL_BATCH)
                .await?;
            let Some(last) = batch.last() else { break };
            after = Some((last.tenant_id.clone(), last.id.clone()));
            for c in batch {
                let holds = serde_json::from_str::<Value>(&c.config)
                    .is_ok_and(|config| holds_clear_secrets(&forms.config, &config));
                if !holds {
                    continue;
                }
                if keys.is_none() {
                    let ring = load_keys()?;
                    super::keys::verify_keyring(store, &ring).await?;
                    keys = Some(ring);
                }
                let Some(ring) = keys.as_ref() else { continue };
                match seal_config_values(ring, &forms.config, &c, &time::format(&time::now())) {
                    Ok(Some(sealed)) => {
                        if store
                            .config_secrets_reseal(
                                &c.tenant_id,
                                &c.id,
                                &c,
                                &sealed.config,
                                &sealed.auth,
                                &sealed.states,
                            )
                            .await?
                        {
                            moved += 1;
                        }
                    }
                    Ok(None) => {}
                    Err(e) => {
                        report.unreadable += 1;
                        mark_unreadable(
                            store,
                            None,
                            &c.tenant_id,
                            &c.id,
                            &c.auth,
                            "sealing values of fields made secret",
                            &e,
                        )
                        .await?;
                    }
                }
            }
        }
        if moved > 0 {
            moved_any = true;
            report.sealed.push((m.key.clone(), moved));
        }
    }
    if moved_any {
        store.release_freed_pages().await?;
    }
    Ok(())
}

/// Seeds the built-in catalog. Idempotent.
pub async fn seed(store: &dyn Store) -> ServiceResult<UpsertReport> {
    upsert_all(store, &builtin_manifests()?).await
}

/// Seeds the built-in catalog, then seals the clear values of fields its
/// schemas made secret (see [`seal_clear_values`]).
pub async fn seed_sealing(
    store: &dyn Store,
    load_keys: &(dyn Fn() -> ServiceResult<KeyRing> + Sync),
) -> ServiceResult<UpsertReport> {
    let manifests = builtin_manifests()?;
    let mut report = upsert_all(store, &manifests).await?;
    seal_clear_values(store, &manifests, load_keys, &mut report).await?;
    Ok(report)
}

fn one_spec() -> ServiceError {
    ServiceError::Invalid(
        "catalog fields (--key, --name, --category, --icon, --auth-type, --fields) describe one connector: give them with exactly one Airbyte spec file".into(),
    )
}

/// Reads, checks and upserts manifest files. Every file is checked before
/// anything is written, so one bad file writes nothing. A file may also
/// be an Airbyte spec, made a manifest with `fields` (which name one
/// connector, so they go with one spec file). Then the clear values of
/// fields the imported schemas made secret are sealed (see
/// [`seal_clear_values`]).
pub async fn import_files(
    store: &dyn Store,
    paths: &[impl AsRef<Path>],
    fields: &CatalogFields,
    load_keys: &(dyn Fn() -> ServiceResult<KeyRing> + Sync),
) -> ServiceResult<UpsertReport> {
    if paths.is_empty() {
        return Err(ServiceError::Invalid("no manifest files given".into()));
    }
    let builtin_keys: Vec<String> = builtin_manifests()?.into_iter().map(|m| m.key).collect();
    let mut manifests: Vec<Manifest> = Vec::new();
    let mut warnings: Vec<String> = Vec::new();
    let mut specs = 0;
    for p in paths {
        let path = p.as_ref();
        let shown = path.display().to_string();
        let format = Format::from_path(path).ok_or_else(|| {
            ServiceError::Invalid(format!(
                "{shown}: unknown file type (use .json, .yaml or .yml)"
            ))
        })?;
        let text = std::fs::read_to_string(path)
            .map_err(|e| ServiceError::Invalid(format!("{shown}: cannot read: {e}")))?;
        let doc = read_document(&text, format, &shown)?;
        let m = if airbyte::is_spec(&doc) {
            specs += 1;
            if specs > 1 && !fields.is_empty() {
                return Err(one_spec());
            }
            let (m, repairs) = airbyte::manifest_with_repairs(&doc, fields, &shown)?;
            warnings.extend(repairs.iter().map(|r| format!("{shown}: {r}")));
            m
        } else {
            Manifest::from_value(doc, &shown)?
        };
        if builtin_keys.contains(&m.key) {
            return Err(ServiceError::Invalid(format!(
                "{shown}: key '{}' belongs to a built-in connector, which `connectors seed` maintains; choose another key",
                m.key
            )));
        }
        if manifests.iter().any(|o| o.key == m.key) {
            return Err(ServiceError::Invalid(format!(
                "{shown}: key '{}' appears in more than one file",
                m.key
            )));
        }
        warnings.extend(m.warnings().iter().map(|w| format!("{shown}: {w}")));
        manifests.push(m);
    }
    if !fields.is_empty() && specs == 0 {
        return Err(one_spec());
    }
    let mut report = upsert_all(store, &manifests).await?;
    report.warnings = warnings;
    seal_clear_values(store, &manifests, load_keys, &mut report).await?;
    Ok(report)
}

/// A catalog entry as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CatalogEntry {
    #[schema(value_type = uuid::Uuid)]
    pub id: String,
    pub key: String,
    pub name: String,
    #[schema(required = true)]
    pub description: Option<String>,
    pub category: String,
    #[schema(required = true)]
    pub icon: Option<String>,
    #[schema(value_type = crate::domain::catalog::AuthType)]
    pub auth_type: &'static str,
    /// `publish: true` for publish targets, and what can be published
    #[schema(schema_with = crate::service::schemas::capabilities)]
    pub capabilities: Value,
    /// JSON Schema of the config
    #[schema(schema_with = crate::service::schemas::json_schema)]
    pub default_config_schema: Value,
    /// JSON Schema of the secrets; every property is a secret
    #[schema(schema_with = crate::service::schemas::json_schema)]
    pub auth_schema: Value,
    #[serde(serialize_with = "crate::service::catalog::ser_time")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::service::catalog::ser_time")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: DateTime<Utc>,
    /// Both schemas as forms render and decode them.
    #[serde(skip)]
    #[schema(ignore)]
    pub forms: std::sync::Arc<CatalogForms>,
    /// The manifest's `identity_field`: the config field cards show as what
    /// a connector is connected to.
    #[serde(skip)]
    #[schema(ignore)]
    pub identity_field: Option<String>,
}

pub(crate) fn ser_time<S: serde::Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&crate::domain::time::format(t))
}

impl CatalogEntry {
    fn from_row(row: CatalogRow) -> ServiceResult<CatalogEntry> {
        let corrupt = |e: String| {
            crate::storage::StoreError::Corrupt(format!("catalog entry {}: {e}", row.key))
        };
        let m = Manifest::from_document(&row.document).map_err(|e| corrupt(e.to_string()))?;
        let forms = m.forms().map_err(|e| corrupt(e.to_string()))?;
        Ok(CatalogEntry {
            forms: std::sync::Arc::new(forms),
            id: row.id,
            key: row.key,
            name: m.name,
            description: m.description,
            category: m.category,
            icon: m.icon,
            auth_type: m.auth_type.as_str(),
            capabilities: m.capabilities,
            default_config_schema: m.default_config_schema,
            auth_schema: m.auth_schema,
            identity_field: m.identity_field,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

/// Filters for the catalog list.
#[derive(Debug, Default, Clone)]
pub struct CatalogFilter {
    /// Case-insensitive substring of name, description or category.
    pub q: Option<String>,
    /// Exact category (case-insensitive).
    pub category: Option<String>,
}

/// Reads and filters the catalog without the cache (command line).
pub async fn list(store: &dyn Store, filter: &CatalogFilter) -> ServiceResult<Vec<CatalogEntry>> {
    let all = store
        .catalog_list()
        .await?
        .into_iter()
        .map(CatalogEntry::from_row)
        .collect::<ServiceResult<Vec<_>>>()?;
    Ok(filter_entries(&all, filter))
}

/// `q`: case-insensitive substring of name, description or category
/// ("blog" finds the blogging connectors); `category`:
/// exact, case-insensitive.
fn filter_entries(all: &[CatalogEntry], filter: &CatalogFilter) -> Vec<CatalogEntry> {
    let q = filter
        .q
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_lowercase);
    let category = filter
        .category
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_lowercase);
    all.iter()
        .filter(|e| {
            category
                .as_ref()
                .is_none_or(|c| e.category.to_lowercase() == *c)
        })
        .filter(|e| {
            q.as_ref().is_none_or(|q| {
                e.name.to_lowercase().contains(q)
                    || e.category.to_lowercase().contains(q)
                    || e.description
                        .as_deref()
                        .is_some_and(|d| d.to_lowercase().contains(q))
            })
        })
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_ins_parse_and_can_publish() {
        let all = builtin_manifests().unwrap();
        let keys: Vec<&str> = all.iter().map(|m| m.key.as_str()).collect();
        assert_eq!(keys, ["linkedin", "medium", "twitter", "wordpress"]);
        assert!(all.iter().all(Manifest::can_publish));
        for m in &all {
            let props = m.auth_schema["properties"].as_object().unwrap();
            assert!(!props.is_empty(), "{} has secrets", m.key);
        }
    }

    #[test]
    fn every_built_in_builds_its_form_model() {
        use crate::domain::schema::model::Kind;
        for m in builtin_manifests().unwrap() {
            let forms = m.forms().unwrap();
            let names = |o: &crate::domain::schema::model::ObjectSchema| -> Vec<String> {
                o.properties.iter().map(|p| p.name.clone()).collect()
            };
            // Every property is in the model; every secret is marked.
            let raw = m.default_config_schema["properties"].as_object().unwrap();
            assert_eq!(forms.config.root.properties.len(), raw.len(), "{}", m.key);
            assert_eq!(names(&forms.auth.root).len(), m.secret_names().len());
            assert!(forms.auth.root.properties.iter().all(|p| p.node.secret));
            assert!(!forms.config.root.properties.iter().any(|p| p.node.secret));
            match m.key.as_str() {
                "wordpress" => {
                    assert_eq!(
                        names(&forms.config.root),
                        [
                            "site_url",
                            "username",
                            "default_status",
                            "format",
                            "default_category",
                            "default_tags",
                            "comment_status",
                            "ping_status",
                            "sticky"
                        ]
                    );
                    let site = forms.config.root.get("site_url").unwrap();
                    assert!(site.required);
                    assert!(
                        matches!(&site.node.kind, Kind::String(r) if r.format.as_deref() == Some("uri"))
                    );
                    assert!(
                        forms
                            .auth
                            .root
                            .get("application_password")
                            .unwrap()
                            .required
                    );
                }
                "linkedin" => {
                    let author = forms.config.root.get("author").unwrap();
                    let Kind::OneOf(choice) = &author.node.kind else {
                        panic!("{:?}", author.node.kind)
                    };
                    assert_eq!(choice.discriminator, "type");
                    let values: Vec<&str> = choice
                        .branches
                        .iter()
                        .filter_map(|b| b.value.as_str())
                        .collect();
                    assert_eq!(values, ["person", "organization"]);
                    assert!(
                        choice
                            .branches
                            .iter()
                            .all(|b| b.object.get("urn").unwrap().required)
                    );
                }
                "medium" => assert!(matches!(
                    forms.config.root.get("default_tags").unwrap().node.kind,
                    Kind::Array(_)
                )),
                "twitter" => assert!(matches!(
                    forms
                        .config
                        .root
                        .get("max_thread_length")
                        .unwrap()
                        .node
                        .kind,
                    Kind::Integer(_)
                )),
                other => panic!("no expectations for {other}"),
            }
        }
    }
}

/// A catalog entry with its schemas compiled, ready to validate configs and
/// secrets. Cached per process by (id, `updated_at`): a changed entry has a
/// new `updated_at`, so every replica picks up a re-import on its next read.
pub struct CompiledEntry {
    pub id: String,
    pub key: String,
    pub updated_at: DateTime<Utc>,
    pub manifest: Manifest,
    /// Both schemas as forms render and decode them.
    pub forms: std::sync::Arc<CatalogForms>,
    pub config_validator: jsonschema::Validator,
    /// Every secret's name: those of the auth schema in its own order, then
    /// the config's own (`config.credentials.client_secret`) in form order.
    pub secret_names: Vec<String>,
    /// Whether the config schema holds secrets of its own.
    pub config_secrets: bool,
    /// What `auth_schema` requires (see [`CompiledEntry::missing_secrets`]).
    pub required_secrets: Vec<String>,
    /// One validator per secret property, applied to values that are set.
    pub secret_validators: Vec<(String, Value, jsonschema::Validator)>,
}

impl CompiledEntry {
    fn compile(row: &CatalogRow) -> ServiceResult<CompiledEntry> {
        let corrupt = |e: String| {
            ServiceError::Store(crate::storage::StoreError::Corrupt(format!(
                "catalog entry {}: {e}",
                row.key
            )))
        };
        let manifest =
            Manifest::from_document(&row.document).map_err(|e| corrupt(e.to_string()))?;
        let forms = manifest.forms().map_err(|e| corrupt(e.to_string()))?;
        let config_validator =
            crate::domain::catalog::compile_schema(&manifest.default_config_schema)
                .map_err(corrupt)?;
        let auth_names = manifest.secret_names();
        let config_places = crate::domain::schema::secrets::secret_places(&forms.config);
        let config_secrets = !config_places.is_empty();
        let secret_names: Vec<String> = auth_names
            .iter()
            .cloned()
            .chain(config_places.into_iter().map(|p| p.key))
            .collect();
        let mut secret_validators = Vec::new();
        for name in &auth_names {
            // Each secret is checked on its own, with every reference of
            // the document (`$defs`, `definitions`) still reachable.
            let Some(standalone) =
                crate::domain::schema::secret_schema(&manifest.auth_schema, name)
            else {
                continue;
            };
            let v = crate::domain::catalog::compile_schema(&standalone).map_err(corrupt)?;
            secret_validators.push((name.clone(), standalone, v));
        }
        let required_secrets = manifest
            .auth_schema
            .get("required")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        Ok(CompiledEntry {
            id: row.id.clone(),
            key: row.key.clone(),
            updated_at: row.updated_at,
            secret_names,
            config_secrets,
            required_secrets,
            secret_validators,
            config_validator,
            forms: std::sync::Arc::new(forms),
            manifest,
        })
    }
}

impl CompiledEntry {
    /// The required secrets a connector lacks, by whether it holds each
    /// name: none for one that holds the OAuth 2.0 access token of the
    /// entry's `oauth` block (the other required secrets are the pasted
    /// alternative, such as X's OAuth 1.0a keys), else those of
    /// `auth_schema`'s `required` it does not hold.
    pub fn missing_secrets(&self, holds: impl Fn(&str) -> bool) -> Vec<&str> {
        if self.manifest.oauth_access_token().is_some_and(&holds) {
            return Vec::new();
        }
        self.required_secrets
            .iter()
            .map(String::as_str)
            .filter(|n| !holds(n))
            .collect()
    }
}

/// Process-local cache of compiled catalog entries, and of the parsed
/// catalog list keyed by the catalog's fingerprint (see
/// [`crate::storage::CatalogStore::catalog_version`]), so every replica
/// sees an import on its next read without parsing every manifest on every
/// request.
#[derive(Default)]
pub struct CatalogCache {
    entries: std::sync::RwLock<std::collections::HashMap<String, std::sync::Arc<CompiledEntry>>>,
    listing: std::sync::RwLock<Option<(CatalogFingerprint, std::sync::Arc<Vec<CatalogEntry>>)>>,
}

type CatalogFingerprint = (i64, Option<DateTime<Utc>>);

impl CatalogCache {
    /// Every catalog entry, parsed once per catalog change.
    pub async fn all(&self, store: &dyn Store) -> ServiceResult<std::sync::Arc<Vec<CatalogEntry>>> {
        let version = store.catalog_version().await?;
        if let Ok(guard) = self.listing.read() {
            if let Some((v, list)) = guard.as_ref() {
                if *v == version {
                    return Ok(list.clone());
                }
            }
        }
        let list = std::sync::Arc::new(
            store
                .catalog_list()
                .await?
                .into_iter()
                .map(CatalogEntry::from_row)
                .collect::<ServiceResult<Vec<_>>>()?,
        );
        if let Ok(mut guard) = self.listing.write() {
            *guard = Some((version, list.clone()));
        }
        Ok(list)
    }

    /// The entries matching a filter (see [`list`]).
    pub async fn list(
        &self,
        store: &dyn Store,
        filter: &CatalogFilter,
    ) -> ServiceResult<Vec<CatalogEntry>> {
        let all = self.all(store).await?;
        Ok(filter_entries(&all, filter))
    }

    /// One entry by key.
    pub async fn get(&self, store: &dyn Store, key: &str) -> ServiceResult<CatalogEntry> {
        self.all(store)
            .await?
            .iter()
            .find(|e| e.key == key)
            .cloned()
            .ok_or_else(|| ServiceError::NotFound("no catalog entry with that key".into()))
    }

    fn cached(
        &self,
        id: &str,
        updated_at: &DateTime<Utc>,
    ) -> Option<std::sync::Arc<CompiledEntry>> {
        let map = self.entries.read().ok()?;
        map.get(id).filter(|e| e.updated_at == *updated_at).cloned()
    }

    fn insert(&self, row: &CatalogRow) -> ServiceResult<std::sync::Arc<CompiledEntry>> {
        let entry = std::sync::Arc::new(CompiledEntry::compile(row)?);
        if let Ok(mut map) = self.entries.write() {
            map.insert(entry.id.clone(), entry.clone());
        }
        Ok(entry)
    }

    /// The entry with this id as of `updated_at` (as joined into a
    /// connector row).
    pub async fn by_id(
        &self,
        store: &dyn Store,
        id: &str,
        updated_at: &DateTime<Utc>,
    ) -> ServiceResult<std::sync::Arc<CompiledEntry>> {
        if let Some(e) = self.cached(id, updated_at) {
            return Ok(e);
        }
        let row = store.catalog_get_by_id(id).await?.ok_or_else(|| {
            ServiceError::Store(crate::storage::StoreError::Corrupt(format!(
                "catalog entry {id} is missing"
            )))
        })?;
        self.insert(&row)
    }

    /// The current entry with this key, if any: found through the parsed
    /// listing (one fingerprint read while the catalog is unchanged), then
    /// compiled once per entry version.
    pub async fn by_key(
        &self,
        store: &dyn Store,
        key: &str,
    ) -> ServiceResult<Option<std::sync::Arc<CompiledEntry>>> {
        let all = self.all(store).await?;
        let Some(listed) = all.iter().find(|e| e.key == key) else {
            return Ok(None);
        };
        self.by_id(store, &listed.id, &listed.updated_at)
            .await
            .map(Some)
    }
}
