//! Who is asking, and whether their write is really theirs: JWT authentication and CSRF tokens.

pub mod csrf;
pub mod jwt;

pub use csrf::CsrfTokens;
pub use jwt::{Authentication, Authenticator, Identity, JwtError, TokenSource, authenticate};
