//! Integration tests: the real application over HTTP and the real binary,
//! each test on a fresh SQLite file and on a fresh PostgreSQL database.
//! Each suite is named after the capability it covers.

mod support;

mod api_catalog;
mod api_docs;
mod catalog_schemas;
mod checks;
mod cli;
mod connector_forms;
mod connectors_crud;
mod connectors_replace;
mod connectors_secrets;
mod error_pages;
mod faults;
mod file_modes;
mod hostile_input;
mod input_text;
mod installed_cards;
mod logs;
mod metrics;
mod nested_secrets;
mod oauth_apps;
mod oauth_client;
mod outbound_guard;
mod outbound_tls;
mod properties;
mod publish_targets;
mod races;
mod realworld;
mod secret_states;
mod secrets_at_rest;
mod secrets_reimport;
mod security_headers;
mod sessions;
mod signin;
mod startup;
mod store_conformance;
mod tenancy;
