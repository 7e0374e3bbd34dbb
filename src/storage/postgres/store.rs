//! The PostgreSQL store: a deadpool pool of tokio-postgres connections and,
//! for a serving process, the change feed that lets it remember lookups.

use super::change_feed::ChangeFeed;
use super::connection::{pool, pool_err};
use crate::storage::error::{StoreError, StoreResult};
use deadpool_postgres::{Object, Pool};
use std::sync::Arc;

pub struct PgStore {
    pub(super) pool: Pool,
    /// Where the change-feed listener connects.
    pub(super) config: tokio_postgres::Config,
    pub(super) feed: Arc<ChangeFeed>,
    pub(super) listener: std::sync::Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl Drop for PgStore {
    fn drop(&mut self) {
        if let Some(task) = self.listener.lock().ok().and_then(|mut l| l.take()) {
            task.abort();
        }
    }
}

impl PgStore {
    /// Parses the URL, builds the pool and opens one connection to prove the
    /// server is reachable. Errors never quote the URL (it may hold a
    /// password).
    pub async fn connect(url: &str) -> StoreResult<PgStore> {
        let (pool, config) = pool(url)?;
        let store = PgStore {
            pool,
            config,
            feed: Arc::new(ChangeFeed::default()),
            listener: std::sync::Mutex::new(None),
        };
        let probe = store.client().await.map_err(|e| match e {
            StoreError::Unavailable(m) => {
                StoreError::Unavailable(format!("cannot connect to PostgreSQL: {m}"))
            }
            other => other,
        })?;
        drop(probe);
        Ok(store)
    }

    pub(super) async fn client(&self) -> StoreResult<Object> {
        self.pool.get().await.map_err(pool_err)
    }
}
