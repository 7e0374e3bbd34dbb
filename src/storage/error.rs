//! What a store call can fail with. Each backend maps its driver's errors
//! into [`StoreError`] in one place (its `connection` module), so a unique
//! violation becomes [`StoreError::Conflict`] wherever it happens.

#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// A unique constraint was violated; names the constraint (or columns).
    #[error("duplicate value violates {0}")]
    Conflict(String),
    /// The database cannot be reached, is read-only, full or busy.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("migration failed: {0}")]
    Migration(String),
    #[error("database error: {0}")]
    Database(String),
    /// A row holds data this version cannot read.
    #[error("corrupt row: {0}")]
    Corrupt(String),
    /// The database refused text it cannot store, such as a NUL character:
    /// bad input, not a failure of the service.
    #[error("the database cannot store some of the text given (such as a NUL character)")]
    InvalidText,
}

pub type StoreResult<T> = Result<T, StoreError>;
