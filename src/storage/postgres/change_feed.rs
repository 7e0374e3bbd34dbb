//! What a PostgreSQL replica remembers between requests, and how it hears
//! that it must forget.
//!
//! Triggers (migration 0002) send a notification on channel
//! [`CHANNEL`] whenever a statement changes the rows a bearer token resolves
//! through (tokens, users, memberships, tenants; payload `auth`) or the
//! catalog (payload `catalog`). A listening connection per serving process
//! hears them and drops what it remembered of that kind.
//!
//! Nothing is remembered unless the listener is connected: when it is not
//! (not started, as in the command-line tools, or lost), every lookup goes
//! to the database. A lookup remembers its answer only if no notification
//! (and no loss or gain of the listener) came between the moment it started
//! and the moment it finished, so an answer read before a change is never
//! kept after it. Entries also expire after [`MAX_AGE`], and the store's own
//! writes forget at once, so a change made through this process is seen by
//! its next request; other replicas see it as soon as the notification
//! arrives (normally well under a millisecond after the commit).
//!
//! [`listen_for_changes`] is the listener a serving store starts.

use super::connection::describe;
use crate::domain::identity::Principal;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};
use tokio_postgres::NoTls;

/// The notification channel the migration's triggers send on.
pub const CHANNEL: &str = "connectors_changes";
/// Longest time an answer is reused even without a notification.
pub const MAX_AGE: Duration = Duration::from_secs(30);
/// Most token answers kept; beyond it they are all dropped and refilled.
const MAX_PRINCIPALS: usize = 10_000;

/// The kind of rows a notification (or a local write) changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Changed {
    /// Tokens, users, memberships or tenants.
    Auth,
    /// Catalog entries.
    Catalog,
}

impl Changed {
    /// The kind named by a notification payload; an unknown payload
    /// forgets everything.
    pub fn from_payload(payload: &str) -> Option<Changed> {
        match payload {
            "auth" => Some(Changed::Auth),
            "catalog" => Some(Changed::Catalog),
            _ => None,
        }
    }
}

pub type CatalogVersion = (i64, Option<DateTime<Utc>>);

#[derive(Default)]
pub struct ChangeFeed {
    live: AtomicBool,
    state: RwLock<Remembered>,
}

#[derive(Default)]
struct Remembered {
    /// Bumped by every notification and every change of `live`.
    generation: u64,
    principals: HashMap<String, (Principal, Instant)>,
    catalog_version: Option<(CatalogVersion, Instant)>,
}

/// A lookup's ticket: taken before it reads the database, presented when
/// it wants to remember the answer.
#[derive(Clone, Copy)]
pub struct Ticket(u64);

impl ChangeFeed {
    fn fresh(at: Instant) -> bool {
        at.elapsed() < MAX_AGE
    }

    pub fn principal(&self, token_hash: &str) -> Option<Principal> {
        if !self.live.load(Ordering::Acquire) {
            return None;
        }
        let state = self.state.read().ok()?;
        state
            .principals
            .get(token_hash)
            .filter(|(_, at)| Self::fresh(*at))
            .map(|(p, _)| p.clone())
    }

    pub fn catalog_version(&self) -> Option<CatalogVersion> {
        if !self.live.load(Ordering::Acquire) {
            return None;
        }
        let state = self.state.read().ok()?;
        state
            .catalog_version
            .filter(|(_, at)| Self::fresh(*at))
            .map(|(v, _)| v)
    }

    /// A ticket for a lookup about to read, if answers can be remembered.
    pub fn ticket(&self) -> Option<Ticket> {
        if !self.live.load(Ordering::Acquire) {
            return None;
        }
        self.state.read().ok().map(|s| Ticket(s.generation))
    }

    /// Runs `keep` on the remembered state if nothing changed since the
    /// ticket was taken.
    fn keep(&self, ticket: Option<Ticket>, keep: impl FnOnce(&mut Remembered)) {
        let Some(Ticket(generation)) = ticket else {
            return;
        };
        if let Ok(mut state) = self.state.write() {
            if state.generation == generation && self.live.load(Ordering::Acquire) {
                keep(&mut state);
            }
        }
    }

    pub fn remember_principal(&self, ticket: Option<Ticket>, token_hash: &str, p: &Principal) {
        self.keep(ticket, |state| {
            if state.principals.len() >= MAX_PRINCIPALS {
                state.principals.clear();
            }
            state
                .principals
                .insert(token_hash.to_string(), (p.clone(), Instant::now()));
        });
    }

    pub fn remember_catalog_version(&self, ticket: Option<Ticket>, v: CatalogVersion) {
        self.keep(ticket, |state| {
            state.catalog_version = Some((v, Instant::now()));
        });
    }

    /// Forgets what `changed` (or, with `None`, everything) may have made
    /// stale, and refuses answers from lookups already under way.
    pub fn forget(&self, changed: Option<Changed>) {
        if let Ok(mut state) = self.state.write() {
            state.generation += 1;
            match changed {
                Some(Changed::Auth) => state.principals.clear(),
                Some(Changed::Catalog) => state.catalog_version = None,
                None => {
                    state.principals.clear();
                    state.catalog_version = None;
                }
            }
        }
    }

    /// The listener connected (and is listening) or was lost. Either way
    /// nothing remembered before is trusted.
    pub fn set_live(&self, live: bool) {
        if let Ok(mut state) = self.state.write() {
            state.generation += 1;
            state.principals.clear();
            state.catalog_version = None;
            self.live.store(live, Ordering::Release);
        }
    }

    pub fn is_live(&self) -> bool {
        self.live.load(Ordering::Acquire)
    }
}

/// Wait before connecting the listener again after losing it.
const LISTEN_RETRY: Duration = Duration::from_secs(1);

/// Keeps one connection listening on the change channel for as long as the
/// store lives, reconnecting when it is lost; the feed remembers nothing
/// while it is not listening.
pub(super) async fn listen_for_changes(config: tokio_postgres::Config, feed: Arc<ChangeFeed>) {
    loop {
        match config.connect(NoTls).await {
            Ok((client, mut connection)) => {
                let (tx, mut notes) = tokio::sync::mpsc::unbounded_channel();
                let driver = tokio::spawn(async move {
                    while let Some(Ok(message)) =
                        std::future::poll_fn(|cx| connection.poll_message(cx)).await
                    {
                        if let tokio_postgres::AsyncMessage::Notification(n) = message {
                            if tx.send(Changed::from_payload(n.payload())).is_err() {
                                break;
                            }
                        }
                    }
                });
                match client.batch_execute(&format!("LISTEN {}", CHANNEL)).await {
                    Ok(()) => {
                        feed.set_live(true);
                        while let Some(changed) = notes.recv().await {
                            feed.forget(changed);
                        }
                        tracing::warn!("lost the PostgreSQL change listener; reconnecting");
                    }
                    Err(e) => tracing::warn!(error = %describe(&e), "cannot listen for changes"),
                }
                feed.set_live(false);
                driver.abort();
            }
            Err(e) => {
                tracing::warn!(error = %describe(&e), "cannot connect the change listener")
            }
        }
        tokio::time::sleep(LISTEN_RETRY).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::identity::{AuthMethod, Role};

    fn principal() -> Principal {
        Principal {
            user_id: "u".into(),
            email: "a@b.c".into(),
            display_name: "a".into(),
            tenant_id: crate::storage::ids::stored_tenant_id("t".into()),
            tenant_slug: "acme".into(),
            role: Role::Admin,
            scopes: vec![],
            via: AuthMethod::Token,
        }
    }

    #[test]
    fn nothing_is_remembered_without_a_listener() {
        let feed = ChangeFeed::default();
        let ticket = feed.ticket();
        assert!(ticket.is_none());
        feed.remember_principal(ticket, "h", &principal());
        assert!(feed.principal("h").is_none());
    }

    #[test]
    fn answers_are_kept_until_a_change_of_their_kind() {
        let feed = ChangeFeed::default();
        feed.set_live(true);
        feed.remember_principal(feed.ticket(), "h", &principal());
        feed.remember_catalog_version(feed.ticket(), (4, None));
        assert_eq!(feed.principal("h").unwrap().tenant_slug, "acme");
        feed.forget(Some(Changed::Catalog));
        assert!(feed.catalog_version().is_none());
        assert!(feed.principal("h").is_some());
        feed.forget(Some(Changed::Auth));
        assert!(feed.principal("h").is_none());
    }

    #[test]
    fn an_answer_read_before_a_change_is_not_kept() {
        let feed = ChangeFeed::default();
        feed.set_live(true);
        let ticket = feed.ticket();
        feed.forget(Some(Changed::Auth));
        feed.remember_principal(ticket, "h", &principal());
        assert!(feed.principal("h").is_none());
    }

    #[test]
    fn losing_the_listener_forgets_and_stops_remembering() {
        let feed = ChangeFeed::default();
        feed.set_live(true);
        feed.remember_principal(feed.ticket(), "h", &principal());
        let ticket = feed.ticket();
        feed.set_live(false);
        assert!(feed.principal("h").is_none());
        feed.remember_principal(ticket, "h", &principal());
        feed.set_live(true);
        assert!(feed.principal("h").is_none());
    }
}
