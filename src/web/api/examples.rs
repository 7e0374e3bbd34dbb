//! Example values of the OpenAPI document's operations, true to what the
//! service answers; Redocly's lint (tests/api-clients) checks each
//! against its schema.

use serde_json::{Value, json};

pub const CONNECTOR_ID: &str = "0193a5b2-7c1e-7d4a-9f3b-2e8c1a6d5f40";
const TENANT_ID: &str = "0193a5b2-6a00-7000-8000-00000000a001";
const CATALOG_ID: &str = "0193a5b2-6a00-7000-8000-00000000c001";
const USER_ID: &str = "0193a5b2-6a00-7000-8000-00000000e001";
const TIME: &str = "2026-01-05T09:30:00.000000Z";
const LATER: &str = "2026-01-05T10:15:00.000000Z";

fn wordpress_capabilities() -> Value {
    json!({
        "publish": true,
        "formats": ["html"],
        "media": ["image", "video", "audio", "document"],
        "supports_drafts": true,
        "supports_scheduling": true,
        "supports_tags": true
    })
}

pub fn catalog_entry() -> Value {
    json!({
        "id": CATALOG_ID,
        "key": "wordpress",
        "name": "WordPress",
        "description": "Publish posts to a WordPress site through the WordPress REST API, authenticated with an application password.",
        "category": "blogging",
        "icon": "wordpress",
        "auth_type": "basic",
        "capabilities": wordpress_capabilities(),
        "default_config_schema": {
            "type": "object",
            "properties": {
                "site_url": {"type": "string", "title": "Site URL", "format": "uri"},
                "username": {"type": "string", "title": "Username"}
            },
            "required": ["site_url", "username"]
        },
        "auth_schema": {
            "type": "object",
            "properties": {"application_password": {"type": "string", "title": "Application password"}},
            "required": ["application_password"]
        },
        "created_at": TIME,
        "updated_at": TIME
    })
}

pub fn catalog_page() -> Value {
    json!({"items": [catalog_entry()], "next_cursor": null})
}

/// A WordPress connector at `version` in `status`.
pub fn connector(version: i64, status: &str) -> Value {
    let updated = if version == 1 { TIME } else { LATER };
    json!({
        "id": CONNECTOR_ID,
        "tenant_id": TENANT_ID,
        "catalog_id": CATALOG_ID,
        "catalog_key": "wordpress",
        "name": "Company blog",
        "status": status,
        "status_message": null,
        "config": {"site_url": "https://blog.example.com", "username": "editor"},
        "secrets": {"application_password": {"set": true, "updated_at": updated}},
        "tags": ["blog", "main"],
        "version": version,
        "created_at": TIME,
        "updated_at": updated,
        "created_by": USER_ID,
        "updated_by": USER_ID,
        "created_by_name": "admin",
        "updated_by_name": "admin",
        "last_check": if status == "active" {
            json!({"ok": true, "code": "ok", "message": "Connected as editor", "identity": "editor", "checked_at": updated})
        } else {
            Value::Null
        }
    })
}

pub fn installed() -> Value {
    connector(1, "inactive")
}

pub fn updated() -> Value {
    connector(2, "active")
}

pub fn connector_page() -> Value {
    json!({"items": [installed()], "next_cursor": "MDE5M2E1YjItN2MxZS03ZDRhLTlmM2ItMmU4YzFhNmQ1ZjQw"})
}

pub fn install_body() -> Value {
    json!({
        "catalog_key": "wordpress",
        "name": "Company blog",
        "config": {"site_url": "https://blog.example.com", "username": "editor"},
        "auth": {"application_password": "abcd EFGH ijkl MNOP qrst UVWX"},
        "tags": ["blog", "main"]
    })
}

pub fn patch_body() -> Value {
    json!({"status": "active", "auth": {"application_password": "wxyz WXYZ wxyz WXYZ wxyz WXYZ"}})
}

pub fn replace_body() -> Value {
    json!({
        "name": "Company blog",
        "config": {"site_url": "https://blog.example.com", "username": "editor"},
        "tags": ["blog", "main"],
        "status": "active",
        "auth": {"application_password": "wxyz WXYZ wxyz WXYZ wxyz WXYZ"}
    })
}

pub fn validate_body() -> Value {
    json!({"catalog_key": "wordpress", "config": {"site_url": "https://blog.example.com", "username": "editor"}})
}

pub fn check_body() -> Value {
    json!({
        "catalog_key": "wordpress",
        "config": {"site_url": "https://blog.example.com", "username": "editor"},
        "auth": {"application_password": "abcd EFGH ijkl MNOP qrst UVWX"}
    })
}

pub fn check_answer() -> Value {
    json!({
        "valid": true,
        "errors": {},
        "check": {
            "ok": true,
            "code": "ok",
            "message": "Connected as editor",
            "identity": "editor",
            "warnings": [],
            "duration_ms": 182,
            "checked_at": "2026-12-01T08:48:44.224028Z"
        }
    })
}

pub fn credentials() -> Value {
    json!({"application_password": "wxyz WXYZ wxyz WXYZ wxyz WXYZ"})
}

pub fn publish_targets() -> Value {
    json!({
        "items": [{
            "id": CONNECTOR_ID,
            "name": "Company blog",
            "catalog_key": "wordpress",
            "capabilities": wordpress_capabilities()
        }],
        "next_cursor": null
    })
}

pub fn audit_page() -> Value {
    json!({
        "items": [
            {
                "id": "0193a5b2-9000-7000-8000-00000000f002",
                "connector_id": CONNECTOR_ID,
                "actor_id": USER_ID,
                "actor_name": "admin",
                "action": "connector.updated",
                "changes": {
                    "fields": ["status"],
                    "secrets": {"application_password": "changed"},
                    "status": {"from": "inactive", "to": "active"}
                },
                "created_at": LATER
            },
            {
                "id": "0193a5b2-9000-7000-8000-00000000f001",
                "connector_id": CONNECTOR_ID,
                "actor_id": USER_ID,
                "actor_name": "admin",
                "action": "connector.created",
                "changes": {
                    "fields": ["name", "config", "tags"],
                    "secrets": {"application_password": "set"},
                    "catalog_key": "wordpress"
                },
                "created_at": TIME
            }
        ],
        "next_cursor": "MDE5M2E1YjItOTAwMC03MDAwLTgwMDAtMDAwMDAwMDBmMDAx"
    })
}
