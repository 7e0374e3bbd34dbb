//! Publish targets: the tenant's active connectors whose catalog entry can
//! publish, for the content broadcaster.

use super::input::invalid;
use super::view::{check_limit, cut_page, read_cursor};
use super::{ConnectorResult, Connectors, Page, PublishTarget};
use crate::domain::identity::Principal;
use crate::domain::validation::FieldErrors;
use serde_json::Value;

fn truthy(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_f64().is_some_and(|f| f != 0.0),
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Array(a)) => !a.is_empty(),
        Some(Value::Object(o)) => !o.is_empty(),
    }
}

impl Connectors {
    /// Active connectors whose catalog entry can publish; with `capability`,
    /// only those whose capabilities have it truthy. A page at a time, in
    /// id order, like the installed list. The catalog entries that qualify
    /// are chosen first, so the store filters by them and every page but
    /// the last is full. Nothing is decrypted: a target's secrets are read
    /// (and checked) when the broadcaster reads its credentials.
    pub async fn publish_targets(
        &self,
        caller: &Principal,
        capability: Option<&str>,
        limit: Option<i64>,
        cursor: Option<&str>,
    ) -> ConnectorResult<Page<PublishTarget>> {
        let mut errors = FieldErrors::new();
        let limit = check_limit(limit, &mut errors);
        let after_id = read_cursor(cursor, &mut errors);
        if !errors.is_empty() {
            return Err(invalid("the query is not valid", errors));
        }
        let catalog = self.catalog.all(self.store.as_ref()).await?;
        let publishing: Vec<_> = catalog
            .iter()
            .filter(|e| e.capabilities.get("publish") == Some(&Value::Bool(true)))
            .filter(|e| capability.is_none_or(|cap| truthy(e.capabilities.get(cap))))
            .collect();
        if publishing.is_empty() {
            return Ok(Page {
                items: Vec::new(),
                next_cursor: None,
            });
        }
        let ids: Vec<String> = publishing.iter().map(|e| e.id.clone()).collect();
        let mut rows = self
            .store
            .publish_targets(&caller.tenant_id, &ids, after_id.as_deref(), limit + 1)
            .await?;
        let next_cursor = cut_page(&mut rows, limit, |r| r.id.as_str());
        let items = rows
            .into_iter()
            .map(|row| PublishTarget {
                capabilities: publishing
                    .iter()
                    .find(|e| e.id == row.catalog_id)
                    .map(|e| e.capabilities.clone())
                    .unwrap_or(Value::Null),
                id: row.id,
                name: row.name,
                catalog_key: row.catalog_key,
            })
            .collect();
        Ok(Page { items, next_cursor })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn truthiness() {
        assert!(truthy(Some(&json!(true))));
        assert!(truthy(Some(&json!(280))));
        assert!(truthy(Some(&json!(["image"]))));
        assert!(!truthy(Some(&json!(false))));
        assert!(!truthy(Some(&json!(0))));
        assert!(!truthy(Some(&json!([]))));
        assert!(!truthy(None));
    }
}
