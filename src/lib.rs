//! connectors: a multi-tenant connectors service.
//!
//! Layers, from the inside out:
//! - [`domain`]: catalog manifests, schemas, identity, secrets — no I/O;
//! - [`storage`]: the [`storage::Store`] trait with SQLite and PostgreSQL
//!   implementations;
//! - [`service`]: the operations both the CLI and the web edge call;
//! - [`web`]: the HTTP edge (JSON API, health, errors, authentication);
//! - [`cli`] and [`app`]: the binary's commands and start-up.

pub mod app;
pub mod cli;
pub mod config;
pub mod domain;
pub mod files;
pub mod service;
pub mod storage;
pub mod telemetry;
pub mod web;
