//! User accounts of Almagest: who is calling.
//!
//! The HTTP layer authenticates a request (HTTP Bearer token or Basic password) and inserts a [`Principal`] into
//! the request's extensions; every service (UWS job owners, VOSpace permissions) reads it from there. A request
//! without a `Principal` extension is anonymous.

/// The authenticated caller of a request.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Principal {
    /// The account name (also the name of the user's VOSpace home container).
    pub name: String,
}
