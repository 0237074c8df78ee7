//! Small routing helpers shared by the handler modules.

use crate::domain::Uuid;
use crate::http::ApiError;

/// Parses a 32-lowercase-hex id from a records URL. Anything else is a 404, because upstream's
/// URL patterns did not route it.
pub fn url_hex(segment: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_url_hex(segment).map_err(|_| ApiError::not_found())
}

/// The route did not match: 404 with DRF's body.
pub fn no_route() -> ApiError {
    ApiError::not_found()
}
