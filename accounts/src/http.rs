//! HTTP authentication: `Authorization: Bearer <token>` or `Basic <base64(name:password)>` becomes a
//! [`Principal`] in the request extensions. No header means anonymous; a header with wrong credentials is
//! answered 401 with `WWW-Authenticate` at once (silently treating it as anonymous would hide the mistake and
//! show the caller an empty or forbidden space instead).
//!
//! Mount with `App::new().app_data(web::Data::new(accounts)).wrap(middleware::from_fn(authenticate))`.

use crate::{Accounts, AccountsError, Principal};
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{HttpMessage as _, HttpRequest, HttpResponse, web};
use base64::Engine as _;

/// The realm announced in `WWW-Authenticate`.
pub const REALM: &str = "almagest";

/// Credentials found in a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credentials {
    /// No `Authorization` header.
    None,
    /// `Bearer <token>`.
    Bearer(String),
    /// `Basic` name and password.
    Basic(String, String),
    /// A header that cannot be read, with the reason.
    Malformed(String),
}

/// Reads the `Authorization` header.
pub fn credentials(headers: &header::HeaderMap) -> Credentials {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Credentials::None;
    };
    let Ok(value) = value.to_str() else {
        return Credentials::Malformed("the Authorization header is not ASCII".into());
    };
    let (scheme, rest) = value.trim().split_once(' ').unwrap_or((value.trim(), ""));
    let rest = rest.trim();
    if scheme.eq_ignore_ascii_case("bearer") {
        if rest.is_empty() {
            return Credentials::Malformed("Bearer without a token".into());
        }
        Credentials::Bearer(rest.to_string())
    } else if scheme.eq_ignore_ascii_case("basic") {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(rest)
            .ok()
            .and_then(|b| String::from_utf8(b).ok());
        match decoded.as_deref().and_then(|s| s.split_once(':')) {
            Some((name, password)) => Credentials::Basic(name.to_string(), password.to_string()),
            None => {
                Credentials::Malformed("Basic credentials are not base64 of 'name:password'".into())
            }
        }
    } else {
        Credentials::Malformed(format!(
            "unsupported authorization scheme '{scheme}': use Bearer <token> or Basic"
        ))
    }
}

impl Accounts {
    /// Who the credentials name: `Ok(None)` for no credentials (anonymous), `Err(Unauthorized)` for wrong ones.
    pub async fn authenticate(
        &self,
        credentials: &Credentials,
    ) -> Result<Option<Principal>, AccountsError> {
        match credentials {
            Credentials::None => Ok(None),
            Credentials::Malformed(why) => Err(AccountsError::Unauthorized(why.clone())),
            Credentials::Bearer(token) => match self.verify_token(token).await? {
                Some(p) => Ok(Some(p)),
                None => Err(AccountsError::Unauthorized(
                    "the bearer token is not valid".into(),
                )),
            },
            Credentials::Basic(name, password) => match self.verify_password(name, password).await?
            {
                Some(p) => Ok(Some(p)),
                None => Err(AccountsError::Unauthorized(format!(
                    "wrong user name or password for '{name}'"
                ))),
            },
        }
    }
}

/// The 401 answer for wrong credentials.
pub fn unauthorized(message: &str) -> HttpResponse {
    HttpResponse::Unauthorized()
        .insert_header((
            header::WWW_AUTHENTICATE,
            format!("Bearer realm=\"{REALM}\", Basic realm=\"{REALM}\""),
        ))
        .content_type("text/plain; charset=utf-8")
        .body(format!("NotAuthenticated {message}\n"))
}

/// The caller of a request, if authenticated.
pub fn principal(req: &HttpRequest) -> Option<Principal> {
    req.extensions().get::<Principal>().cloned()
}

/// Middleware (for `actix_web::middleware::from_fn`): authenticates the request with the [`Accounts`] found in
/// the app data and inserts the [`Principal`]. Without `web::Data<Accounts>` every request stays anonymous,
/// except that credentials are then refused (they could not be checked).
pub async fn authenticate(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let creds = credentials(req.headers());
    if creds != Credentials::None {
        let Some(accounts) = req.app_data::<web::Data<Accounts>>().cloned() else {
            return Ok(req.into_response(unauthorized(
                "this server has no accounts to check credentials against",
            )));
        };
        match accounts.authenticate(&creds).await {
            Ok(Some(p)) => {
                req.extensions_mut().insert(p);
            }
            Ok(None) => {}
            Err(AccountsError::Unauthorized(why)) => {
                return Ok(req.into_response(unauthorized(&why)));
            }
            Err(e) => {
                tracing::error!(error = %e, "authentication failed");
                return Ok(req.into_response(
                    HttpResponse::InternalServerError()
                        .content_type("text/plain; charset=utf-8")
                        .body(format!(
                            "InternalFault authentication is unavailable: {e}\n"
                        )),
                ));
            }
        }
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::{HeaderMap, HeaderValue};

    fn with(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, HeaderValue::from_str(v).unwrap());
        h
    }

    #[test]
    fn reads_bearer_and_basic() {
        assert_eq!(credentials(&HeaderMap::new()), Credentials::None);
        assert_eq!(
            credentials(&with("Bearer abc")),
            Credentials::Bearer("abc".into())
        );
        assert_eq!(
            credentials(&with("bearer  abc ")),
            Credentials::Bearer("abc".into())
        );
        // "alice:pa:ss" — a colon in the password is kept
        assert_eq!(
            credentials(&with("Basic YWxpY2U6cGE6c3M=")),
            Credentials::Basic("alice".into(), "pa:ss".into())
        );
        assert!(matches!(
            credentials(&with("Basic !!!")),
            Credentials::Malformed(_)
        ));
        assert!(matches!(
            credentials(&with("Bearer")),
            Credentials::Malformed(_)
        ));
        assert!(matches!(
            credentials(&with("Negotiate xyz")),
            Credentials::Malformed(_)
        ));
    }
}
