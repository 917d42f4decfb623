//! The one error type of Shopflow. Server functions return it, components show it next to
//! the field it names, and the HTTP layer maps it to a status code.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("please sign in")]
    Unauthenticated,
    #[error("you do not have permission for this")]
    Forbidden,
    #[error("not found")]
    NotFound,
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    #[error("{0}")]
    Conflict(String),
    #[error("this record was changed by someone else; reload and try again")]
    StaleVersion,
    #[error("'{action}' is not possible while the record is '{state}'")]
    InvalidTransition { action: String, state: String },
    #[error("too many failed attempts; try again in {retry_after_secs} seconds")]
    Throttled { retry_after_secs: i64 },
    #[error("the service is unavailable; try again shortly")]
    Unavailable,
    /// Details are in the server log under this reference; the user sees only the reference.
    #[error("something went wrong (ref {0})")]
    Internal(String),
    /// The request never reached the server function (network, encoding).
    #[error("request failed: {0}")]
    Request(String),
}

pub type AppResult<T> = Result<T, AppError>;

/// The answer of a step taken on several records at once: each record's id and its outcome
/// (the clerk's bulk confirm; read back by the form that posted it, `components::BulkReport`).
pub type BulkResult = Vec<(i64, Result<(), AppError>)>;

impl AppError {
    pub fn invalid(field: &str, message: &str) -> Self {
        AppError::Invalid { field: field.to_string(), message: message.to_string() }
    }

    /// Moves a field error onto line `line_no` of a list field (`lines`, `skus`): the message
    /// becomes "line N: field: message", which the form shows under the list and translates.
    pub fn at_line(self, list: &str, line_no: usize) -> Self {
        match self {
            AppError::Invalid { field, message } => {
                AppError::Invalid { field: list.to_string(), message: format!("line {line_no}: {field}: {message}") }
            }
            other => other,
        }
    }

    /// The message for one form field, if this error is about it.
    pub fn field_message(&self, field: &str) -> Option<String> {
        match self {
            AppError::Invalid { field: f, message } if f == field => Some(message.clone()),
            _ => None,
        }
    }

    pub fn http_status(&self) -> u16 {
        match self {
            AppError::Unauthenticated => 401,
            AppError::Forbidden => 403,
            AppError::NotFound => 404,
            AppError::Invalid { .. } => 422,
            AppError::Conflict(_) | AppError::StaleVersion | AppError::InvalidTransition { .. } => 409,
            AppError::Throttled { .. } => 429,
            AppError::Unavailable => 503,
            // A request whose arguments do not decode is the client's mistake, not ours.
            AppError::Request(_) => 400,
            AppError::Internal(_) => 500,
        }
    }
}

impl leptos::server_fn::error::FromServerFnError for AppError {
    type Encoder = leptos::server_fn::codec::JsonEncoding;

    fn from_server_fn_error(value: leptos::server_fn::error::ServerFnErrorErr) -> Self {
        AppError::Request(value.to_string())
    }
}

#[cfg(feature = "ssr")]
impl From<sqlx::Error> for AppError {
    fn from(err: sqlx::Error) -> Self {
        match err {
            sqlx::Error::RowNotFound => AppError::NotFound,
            // The database is busy or gone for a moment (a connection dropped by a restarted
            // server): "try again" is true, an internal error with a reference is not.
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => AppError::Unavailable,
            other => AppError::internal(other),
        }
    }
}

#[cfg(feature = "ssr")]
impl AppError {
    /// Logs an unexpected failure with a fresh reference the user can quote to support.
    pub fn internal(err: impl std::fmt::Display) -> Self {
        use rand::Rng;
        let reference: String = rand::thread_rng()
            .sample_iter(&rand::distributions::Alphanumeric)
            .take(8)
            .map(char::from)
            .collect();
        tracing::error!(reference, error = %err, "internal error");
        AppError::Internal(reference)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_follow_the_kind_of_error() {
        assert_eq!(AppError::Forbidden.http_status(), 403);
        assert_eq!(AppError::Unauthenticated.http_status(), 401);
        assert_eq!(AppError::invalid("title", "required").http_status(), 422);
        assert_eq!(AppError::StaleVersion.http_status(), 409);
        assert_eq!(AppError::Internal("x".into()).http_status(), 500);
        assert_eq!(AppError::Request("bad arguments".into()).http_status(), 400);
    }

    #[test]
    fn errors_round_trip_through_json_for_server_functions() {
        let e = AppError::invalid("email", "not an email address");
        let json = serde_json::to_string(&e).unwrap();
        assert_eq!(serde_json::from_str::<AppError>(&json).unwrap(), e);
        assert_eq!(e.field_message("email").as_deref(), Some("not an email address"));
        assert_eq!(e.field_message("password"), None);
    }
}
