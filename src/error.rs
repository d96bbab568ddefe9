//! The domain's error type. It says what went wrong in the terms of the product; `http::problem`
//! alone decides how each variant looks on the wire, so nothing here knows about HTTP.

/// Every failure a domain operation can report.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The database cannot be reached or has no free connection: the caller may retry (503).
    #[error("the database is unavailable")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The database answers but its schema is behind this binary's migrations (503).
    #[error("the database schema is not migrated")]
    NotMigrated,
    /// What was asked for does not exist, or the caller may not know that it does (404).
    #[error("not found")]
    NotFound,
    /// No credentials were sent (401, and RFC 6750 gives no error code for that).
    #[error("not authenticated: no credentials")]
    NoCredentials,
    /// Credentials that are malformed, invalid, expired or revoked (401).
    #[error("not authenticated: {0}")]
    Unauthenticated(&'static str),
    /// The caller is known and may see this, but their role or ownership does not allow the
    /// action (403).
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// Well-formed input that breaks a rule; `field` names the culprit (422).
    #[error("invalid {field}: {message}")]
    Invalid { field: String, message: String },
    /// The request contradicts the current state, e.g. a duplicate (409).
    #[error("conflict: {0}")]
    Conflict(String),
    /// `If-Match` named a version that is no longer current; nothing was changed (412).
    #[error("it changed since version {expected}; it is now at version {current}")]
    PreconditionFailed { expected: i32, current: i32 },
    /// The change must say which version it is based on (`If-Match`) and did not (428).
    #[error("precondition required: {0}")]
    PreconditionRequired(&'static str),
    /// The workflow does not allow this move from where the item stands (409).
    #[error("{detail}")]
    Transition {
        detail: String,
        allowed: Vec<String>,
    },
    /// An `Idempotency-Key` already used with a different request (422).
    #[error("the Idempotency-Key was used with a different request")]
    IdempotencyKeyReused,
    /// A retry of a request whose answer carried a secret (a token), which is shown once and
    /// never kept (409).
    #[error("the first answer to this Idempotency-Key carried a secret, which is shown only once")]
    SecretShownOnce,
    /// Too many changes from one client in a short time (429).
    #[error("too many writes")]
    TooManyWrites { retry_after_secs: u64 },
    /// Too many attempts; retry after the given number of seconds (429).
    #[error("too many attempts")]
    RateLimited { retry_after_secs: u64 },
    /// A bug or an unexpected state; the cause is logged, never shown (500).
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl Error {
    /// Wraps an unexpected failure whose details must stay in the logs.
    pub fn internal(cause: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self::Internal(cause.into())
    }
}

impl Error {
    /// A validation failure of `field`.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl From<diesel::result::Error> for Error {
    /// Classified by diesel's error kind (which it derives from the SQLSTATE code), never by
    /// message text, which depends on the server's `lc_messages`. Input that PostgreSQL would
    /// refuse (NUL characters, dates out of range) is refused before it reaches a statement, so
    /// anything else unexpected is ours: 500.
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error as D};
        match e {
            D::NotFound => Self::NotFound,
            // The server went away or terminated the session (57P01 and friends leave the
            // connection bad, which diesel reports as this kind too).
            D::DatabaseError(
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
                _,
            ) => Self::Unavailable(Box::new(e)),
            other => Self::Internal(Box::new(other)),
        }
    }
}

impl From<diesel::r2d2::PoolError> for Error {
    fn from(e: diesel::r2d2::PoolError) -> Self {
        Self::Unavailable(Box::new(e))
    }
}

/// Shorthand for domain results.
pub type Result<T, E = Error> = std::result::Result<T, E>;
