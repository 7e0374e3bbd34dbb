//! `PUT /connectors/{id}`: a whole replacement of what a client may set.
//!
//! A replacement names `name`, `config`, `tags` and `status`; a
//! `status_message` it leaves out is cleared, and so is every secret its
//! `auth` does not name. `PATCH` is the partial update, where whatever is
//! left out stays as it is.

use super::{ConnectorPatch, StatusMessage};
use crate::domain::validation::push;
use crate::service::catalog::CompiledEntry;
use crate::service::connectors::ConnectorResult;
use crate::service::connectors::secrets::{SecretUpdate, SecretUpdates};
use serde_json::Value;
use std::borrow::Cow;
use utoipa::PartialSchema;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::Schema;

/// The fields a replacement must name.
const REQUIRED: [&str; 4] = ["name", "config", "tags", "status"];

impl ConnectorPatch {
    /// Reads a `PUT` body: like [`parse`](Self::parse), and each of
    /// [`REQUIRED`] that is missing is reported by [`check`](Self::check).
    pub fn parse_replace(body: &Value) -> ConnectorResult<Self> {
        let mut patch = Self::parse(body)?;
        if let Some(fields) = body.as_object() {
            for k in REQUIRED {
                if !fields.contains_key(k) {
                    push(
                        &mut patch.problems,
                        k,
                        "is required: PUT replaces the whole connector (PATCH changes only the fields it names)",
                    );
                }
            }
        }
        if patch.status_message.is_none() {
            patch.status_message = Some(StatusMessage::Clear);
        }
        patch.replace = true;
        Ok(patch)
    }

    /// The secret changes this makes to a connector of `entry`: those the
    /// body names and, for a replacement, a clear of every other secret of
    /// `auth_schema` (the config's own are cleared when the replacing config
    /// leaves them out).
    pub(in crate::service::connectors) fn secret_updates(
        &self,
        entry: &CompiledEntry,
    ) -> Cow<'_, SecretUpdates> {
        if !self.replace {
            return Cow::Borrowed(&self.auth);
        }
        let mut all = self.auth.clone();
        // The config's own secrets follow the config (see `nested`).
        let in_config = |n: &str| entry.config_secrets && n.starts_with("config.");
        for name in entry.secret_names.iter().filter(|n| !in_config(n)) {
            all.entry(name.clone()).or_insert(SecretUpdate::Clear);
        }
        Cow::Owned(all)
    }
}

/// The body of `PUT /connectors/{id}` in the OpenAPI document: the fields
/// of [`ConnectorPatch`] (the one parser of both bodies), with those a
/// replacement must name required.
pub struct ConnectorReplace;

impl PartialSchema for ConnectorReplace {
    fn schema() -> RefOr<Schema> {
        let mut schema = <ConnectorPatch as PartialSchema>::schema();
        if let RefOr::T(Schema::Object(o)) = &mut schema {
            o.required = REQUIRED.iter().map(|s| s.to_string()).collect();
            o.description = Some(
                "Body of `PUT /connectors/{id}`: the whole connector as a client sets it. \
                 `name`, `config`, `tags` and `status` are required; a `status_message` left out \
                 is cleared, and so is every secret `auth` does not name."
                    .to_string(),
            );
            if let Some(RefOr::T(Schema::Object(auth))) = o.properties.get_mut("auth") {
                auth.description =
                    Some("Per secret: a string sets it; null or left out clears it".to_string());
            }
        }
        schema
    }
}

impl utoipa::ToSchema for ConnectorReplace {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("ReplaceConnector")
    }

    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        <ConnectorPatch as utoipa::ToSchema>::schemas(schemas);
    }
}
