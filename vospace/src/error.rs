//! VOSpace faults (VOSpace 2.1 §6.5): each knows its exact fault name and HTTP status. The body of an error
//! response is the fault name, a space and the detail, as the standard asks (§6, notes), in `text/plain`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};

/// A fault of a VOSpace operation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Fault {
    /// The service failed (500).
    #[error("InternalFault {0}")]
    Internal(String),
    /// The caller may not do this (403), or must authenticate first (401 when anonymous).
    #[error("PermissionDenied {0}")]
    PermissionDenied(String),
    /// The caller is anonymous and the operation needs an account (401).
    #[error("PermissionDenied {0}")]
    NotAuthenticated(String),
    /// A URI or path is not valid (400).
    #[error("InvalidURI {0}")]
    InvalidUri(String),
    /// The node does not exist (404).
    #[error("NodeNotFound {0}")]
    NodeNotFound(String),
    /// A parent container does not exist (404).
    #[error("ContainerNotFound {0}")]
    ContainerNotFound(String),
    /// The node exists already (409).
    #[error("DuplicateNode {0}")]
    DuplicateNode(String),
    /// A parameter or property value is not valid (400).
    #[error("InvalidArgument {0}")]
    InvalidArgument(String),
    /// The node type is not supported here (400).
    #[error("TypeNotSupported {0}")]
    TypeNotSupported(String),
    /// The view is not supported (400).
    #[error("ViewNotSupported {0}")]
    ViewNotSupported(String),
    /// None of the requested protocols is supported (400).
    #[error("ProtocolNotSupported {0}")]
    ProtocolNotSupported(String),
    /// The data does not match what was announced (400).
    #[error("InvalidData {0}")]
    InvalidData(String),
    /// A parent in the path is a LinkNode (400).
    #[error("LinkFound {0}")]
    LinkFound(String),
    /// The node is busy: another write is in progress (409).
    #[error("NodeBusy {0}")]
    NodeBusy(String),
    /// The operation is not supported (400).
    #[error("OperationNotSupported {0}")]
    OperationNotSupported(String),
    /// The write would exceed the quota of the home container (507 Insufficient Storage).
    #[error("QuotaExceeded {0}")]
    QuotaExceeded(String),
    /// The upload is larger than the service accepts for one file (413).
    #[error("RequestEntityTooLarge {0}")]
    TooLarge(String),
    /// The bytes do not match the digest the client announced (412: the CADC client retries).
    #[error("InvalidData {0}")]
    DigestMismatch(String),
    /// The requested byte range cannot be served (416).
    #[error("RangeNotSatisfiable {0}")]
    RangeNotSatisfiable(String),
    /// A transfer ticket is unknown or expired (404 would hide the reason; 403 with InvalidToken).
    #[error("InvalidToken {0}")]
    InvalidToken(String),
}

impl Fault {
    /// The exact fault name of the standard (or of this service for the non-standard ones).
    pub fn name(&self) -> &'static str {
        match self {
            Fault::Internal(_) => "InternalFault",
            Fault::PermissionDenied(_) | Fault::NotAuthenticated(_) => "PermissionDenied",
            Fault::InvalidUri(_) => "InvalidURI",
            Fault::NodeNotFound(_) => "NodeNotFound",
            Fault::ContainerNotFound(_) => "ContainerNotFound",
            Fault::DuplicateNode(_) => "DuplicateNode",
            Fault::InvalidArgument(_) => "InvalidArgument",
            Fault::TypeNotSupported(_) => "TypeNotSupported",
            Fault::ViewNotSupported(_) => "ViewNotSupported",
            Fault::ProtocolNotSupported(_) => "ProtocolNotSupported",
            Fault::InvalidData(_) | Fault::DigestMismatch(_) => "InvalidData",
            Fault::LinkFound(_) => "LinkFound",
            Fault::NodeBusy(_) => "NodeBusy",
            Fault::OperationNotSupported(_) => "OperationNotSupported",
            Fault::QuotaExceeded(_) => "QuotaExceeded",
            Fault::TooLarge(_) => "RequestEntityTooLarge",
            Fault::RangeNotSatisfiable(_) => "RangeNotSatisfiable",
            Fault::InvalidToken(_) => "InvalidToken",
        }
    }

    /// The detail after the name.
    pub fn detail(&self) -> &str {
        match self {
            Fault::Internal(d)
            | Fault::PermissionDenied(d)
            | Fault::NotAuthenticated(d)
            | Fault::InvalidUri(d)
            | Fault::NodeNotFound(d)
            | Fault::ContainerNotFound(d)
            | Fault::DuplicateNode(d)
            | Fault::InvalidArgument(d)
            | Fault::TypeNotSupported(d)
            | Fault::ViewNotSupported(d)
            | Fault::ProtocolNotSupported(d)
            | Fault::InvalidData(d)
            | Fault::LinkFound(d)
            | Fault::NodeBusy(d)
            | Fault::OperationNotSupported(d)
            | Fault::QuotaExceeded(d)
            | Fault::TooLarge(d)
            | Fault::DigestMismatch(d)
            | Fault::RangeNotSatisfiable(d)
            | Fault::InvalidToken(d) => d,
        }
    }

    /// The summary UWS shows for a failed transfer (VOSpace 2.1 §6.4 tables: "Node Not Found", ...).
    pub fn summary(&self) -> String {
        let name = self.name();
        let mut out = String::new();
        for (i, c) in name.char_indices() {
            if i > 0
                && c.is_ascii_uppercase()
                && !name[..i].ends_with(|p: char| p.is_ascii_uppercase())
            {
                out.push(' ');
            }
            out.push(c);
        }
        out
    }

    /// The HTTP status of the fault (§6).
    pub fn status(&self) -> StatusCode {
        match self {
            Fault::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Fault::PermissionDenied(_) | Fault::InvalidToken(_) => StatusCode::FORBIDDEN,
            Fault::NotAuthenticated(_) => StatusCode::UNAUTHORIZED,
            Fault::NodeNotFound(_) | Fault::ContainerNotFound(_) => StatusCode::NOT_FOUND,
            Fault::DuplicateNode(_) | Fault::NodeBusy(_) => StatusCode::CONFLICT,
            Fault::InvalidUri(_)
            | Fault::InvalidArgument(_)
            | Fault::TypeNotSupported(_)
            | Fault::ViewNotSupported(_)
            | Fault::ProtocolNotSupported(_)
            | Fault::InvalidData(_)
            | Fault::LinkFound(_)
            | Fault::OperationNotSupported(_) => StatusCode::BAD_REQUEST,
            Fault::QuotaExceeded(_) => StatusCode::INSUFFICIENT_STORAGE,
            Fault::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Fault::DigestMismatch(_) => StatusCode::PRECONDITION_FAILED,
            Fault::RangeNotSatisfiable(_) => StatusCode::RANGE_NOT_SATISFIABLE,
        }
    }
}

impl ResponseError for Fault {
    fn status_code(&self) -> StatusCode {
        self.status()
    }

    fn error_response(&self) -> HttpResponse {
        if let Fault::Internal(d) = self {
            tracing::error!(detail = %d, "VOSpace internal fault");
        }
        let mut r = HttpResponse::build(self.status());
        r.content_type("text/plain; charset=utf-8");
        if matches!(self, Fault::NotAuthenticated(_)) {
            r.insert_header((
                actix_web::http::header::WWW_AUTHENTICATE,
                format!(
                    "Bearer realm=\"{0}\", Basic realm=\"{0}\"",
                    accounts::http::REALM
                ),
            ));
        }
        r.body(format!("{self}\n"))
    }
}

impl From<sqlx::Error> for Fault {
    fn from(e: sqlx::Error) -> Self {
        Fault::Internal(format!("node database: {e}"))
    }
}

impl From<opendal::Error> for Fault {
    fn from(e: opendal::Error) -> Self {
        Fault::Internal(format!("byte store: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_statuses_and_summaries() {
        let f = Fault::NodeNotFound("vos://x!vospace/a".into());
        assert_eq!(f.to_string(), "NodeNotFound vos://x!vospace/a");
        assert_eq!(f.status(), StatusCode::NOT_FOUND);
        assert_eq!(f.summary(), "Node Not Found");
        assert_eq!(Fault::InvalidUri(String::new()).summary(), "Invalid URI");
        assert_eq!(Fault::QuotaExceeded(String::new()).status().as_u16(), 507);
        assert_eq!(Fault::DuplicateNode(String::new()).status().as_u16(), 409);
    }
}

impl Fault {
    /// The fault a message written by `Display` stands for (a failed transfer job keeps only the message).
    pub fn from_message(msg: &str) -> Fault {
        let (name, detail) = msg.split_once(' ').unwrap_or((msg, ""));
        let d = detail.to_string();
        match name {
            "PermissionDenied" => Fault::PermissionDenied(d),
            "InvalidURI" => Fault::InvalidUri(d),
            "NodeNotFound" => Fault::NodeNotFound(d),
            "ContainerNotFound" => Fault::ContainerNotFound(d),
            "DuplicateNode" => Fault::DuplicateNode(d),
            "InvalidArgument" => Fault::InvalidArgument(d),
            "TypeNotSupported" => Fault::TypeNotSupported(d),
            "ViewNotSupported" => Fault::ViewNotSupported(d),
            "ProtocolNotSupported" => Fault::ProtocolNotSupported(d),
            "InvalidData" => Fault::InvalidData(d),
            "LinkFound" => Fault::LinkFound(d),
            "NodeBusy" => Fault::NodeBusy(d),
            "OperationNotSupported" => Fault::OperationNotSupported(d),
            "QuotaExceeded" => Fault::QuotaExceeded(d),
            "RequestEntityTooLarge" => Fault::TooLarge(d),
            "InvalidToken" => Fault::InvalidToken(d),
            _ => Fault::Internal(msg.to_string()),
        }
    }
}
