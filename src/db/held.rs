//! One connection and one transaction for a whole request. The `Idempotency-Key` middleware
//! begins a transaction, claims the key in it, runs the handler with the connection held here
//! (every [`run`](super::run) and [`transaction`](super::transaction) of that request uses it,
//! each in a savepoint), stores the answer and commits: the claim, the work and the stored answer
//! commit together, or, after a crash at any point, not at all.

use std::sync::{Arc, Mutex};

use diesel::PgConnection;
use diesel::connection::{AnsiTransactionManager, Connection, TransactionManager};

use super::{PgPool, PooledConn};
use crate::error::{Error, Result};

tokio::task_local! {
    static HELD: Held;
}

/// A pooled connection with an open transaction, shared by the code of one request.
#[derive(Clone)]
pub struct Held(Arc<Mutex<Option<PooledConn>>>);

impl std::fmt::Debug for Held {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Held")
    }
}

impl Held {
    /// Checks out a connection and begins a transaction on it.
    pub async fn begin(pool: &PgPool) -> Result<Self> {
        let pool = pool.clone();
        let conn = tokio::task::spawn_blocking(move || {
            let mut conn = pool.get()?;
            AnsiTransactionManager::begin_transaction(&mut **conn)?;
            Ok::<_, Error>(conn)
        })
        .await
        .map_err(Error::internal)??;
        Ok(Self(Arc::new(Mutex::new(Some(conn)))))
    }

    /// The connection held for the current request, if any.
    pub fn current() -> Option<Self> {
        HELD.try_with(Clone::clone).ok()
    }

    /// Runs `fut` (the rest of the request) with this connection held for it.
    pub async fn scope<F: std::future::Future>(&self, fut: F) -> F::Output {
        HELD.scope(self.clone(), fut).await
    }

    /// Runs `work` on the held connection, in a savepoint: a failed piece of work is undone
    /// without spoiling the request's transaction.
    pub async fn run<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut PgConnection) -> Result<T> + Send + 'static,
    {
        let slot = self.0.clone();
        tokio::task::spawn_blocking(move || {
            let mut guard = slot
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let conn: &mut PgConnection = guard
                .as_mut()
                .ok_or_else(|| Error::internal("the request's connection was already released"))?;
            conn.transaction(work)
        })
        .await
        .map_err(Error::internal)?
    }

    /// Ends the request's transaction: commits when `commit`, else rolls back, and returns the
    /// connection to the pool.
    pub async fn finish(self, commit: bool) -> Result<()> {
        let slot = self.0.clone();
        tokio::task::spawn_blocking(move || {
            let mut guard = slot
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let Some(mut conn) = guard.take() else {
                return Ok(());
            };
            if commit {
                AnsiTransactionManager::commit_transaction(&mut **conn)?;
            } else {
                AnsiTransactionManager::rollback_transaction(&mut **conn)?;
            }
            Ok(())
        })
        .await
        .map_err(Error::internal)?
    }
}
