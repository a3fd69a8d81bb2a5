//! TAP errors and their wire form: a VOTable whose results RESOURCE holds `INFO name="QUERY_STATUS"
//! value="ERROR"` with a message that names the problem (DALI 1.1 §4.2, TAP 1.1 §3.3).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use almagest_common::params::ParamError;
use almagest_common::xml::escape_text;

/// Everything that can stop a TAP request.
#[derive(Debug, thiserror::Error)]
pub enum TapError {
    /// Wrong or missing parameters.
    #[error("{0}")]
    BadRequest(String),
    /// The request body could not be read or was too big.
    #[error(transparent)]
    Params(#[from] ParamError),
    /// The ADQL query is invalid (syntax, unknown names, types); the message carries the position.
    #[error("{0}")]
    Query(String),
    /// An uploaded table could not be read.
    #[error("upload: {0}")]
    Upload(String),
    /// The query ran longer than the time limit.
    #[error("query aborted: it ran longer than the limit of {0} s; use /async for long queries")]
    Timeout(u64),
    /// The database failed while running a valid query.
    #[error("query failed in the database: {0}")]
    Database(String),
    /// The service cannot answer now.
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// A bug or an infrastructure failure.
    #[error("internal error: {0}")]
    Internal(String),
}

impl TapError {
    /// The HTTP status for a synchronous answer.
    pub fn status(&self) -> StatusCode {
        match self {
            TapError::BadRequest(_) | TapError::Query(_) | TapError::Upload(_) => {
                StatusCode::BAD_REQUEST
            }
            TapError::Params(ParamError::TooLarge(_)) => StatusCode::PAYLOAD_TOO_LARGE,
            TapError::Params(_) => StatusCode::BAD_REQUEST,
            TapError::Timeout(_) => StatusCode::REQUEST_TIMEOUT,
            TapError::Database(_) | TapError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            TapError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The error document.
    pub fn votable(&self) -> String {
        error_votable(&self.to_string())
    }
}

/// A VOTable 1.4 error document with the message in the QUERY_STATUS INFO.
pub fn error_votable(message: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <VOTABLE version=\"1.4\" xmlns=\"http://www.ivoa.net/xml/VOTable/v1.3\" \
         xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\n\
         \x20 <RESOURCE type=\"results\">\n\
         \x20   <INFO name=\"QUERY_STATUS\" value=\"ERROR\">{}</INFO>\n\
         \x20 </RESOURCE>\n\
         </VOTABLE>\n",
        escape_text(message)
    )
}

impl ResponseError for TapError {
    fn status_code(&self) -> StatusCode {
        self.status()
    }

    fn error_response(&self) -> HttpResponse {
        if matches!(self, TapError::Internal(_) | TapError::Database(_)) {
            tracing::error!(error = %self, "TAP request failed");
        }
        HttpResponse::build(self.status())
            .content_type("application/x-votable+xml")
            .body(self.votable())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_document_is_a_valid_votable_with_the_message() {
        let doc = TapError::Query(
            "line 1, column 8: no column 'rra' in hip.main; did you mean 'ra'?".into(),
        )
        .votable();
        assert!(doc.contains("value=\"ERROR\">line 1, column 8: no column 'rra'"));
        almagest_common::testing::xmllint(&doc, "VOTable-1.4.xsd");
    }
}
