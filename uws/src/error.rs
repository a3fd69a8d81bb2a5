//! UWS errors and their HTTP form (UWS 1.1 §2.2: 404 unknown, 403 not allowed now or not yours, 500 machinery).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};

/// What can go wrong handling a job.
#[derive(Debug, thiserror::Error)]
pub enum UwsError {
    /// No such job or resource.
    #[error("{0}")]
    NotFound(String),
    /// Not allowed: another user's job, or not in this phase.
    #[error("{0}")]
    Forbidden(String),
    /// A malformed request.
    #[error("{0}")]
    BadRequest(String),
    /// The job store failed.
    #[error("job store: {0}")]
    Store(#[from] sqlx::Error),
    /// Local files of a job (request spool, runner scratch files) could not be read or written.
    #[error("job files: {0}")]
    Io(#[from] std::io::Error),
    /// The byte store (results, inline parameters) failed.
    #[error("job byte store: {0}")]
    Bytes(String),
    /// A caller asked for something the service cannot do now (too many jobs, shutting down).
    #[error("{0}")]
    Unavailable(String),
    /// Anything else.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<almagest_common::params::ParamError> for UwsError {
    fn from(e: almagest_common::params::ParamError) -> Self {
        UwsError::BadRequest(e.to_string())
    }
}

impl ResponseError for UwsError {
    fn status_code(&self) -> StatusCode {
        match self {
            UwsError::NotFound(_) => StatusCode::NOT_FOUND,
            UwsError::Forbidden(_) => StatusCode::FORBIDDEN,
            UwsError::BadRequest(_) => StatusCode::BAD_REQUEST,
            UwsError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if self.status_code() == StatusCode::INTERNAL_SERVER_ERROR {
            tracing::error!(error = %self, "UWS request failed");
        }
        HttpResponse::build(self.status_code())
            .content_type("text/plain; charset=utf-8")
            .body(format!("{self}\n"))
    }
}
