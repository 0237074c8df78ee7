//! CORS with credentials for the configured origins. The origin is echoed exactly, never `*`,
//! because browsers drop credentialed responses with a wildcard. Preflights carry no cookies, so
//! they are answered before any authentication.

use lambda_http::http::{HeaderValue, StatusCode, header};

use super::{Response, empty};
use crate::config::Config;

/// Request headers the MFE and the LMS send: django-cors-headers' defaults, plus
/// `use-jwt-cookie` (frontend-platform sends it on every call) and `x-csrftoken`.
pub const ALLOWED_HEADERS: &str = "accept, accept-language, authorization, content-type, user-agent, use-jwt-cookie, x-csrftoken, x-requested-with";
pub const ALLOWED_METHODS: &str = "DELETE, GET, OPTIONS, PATCH, POST, PUT";

fn allowed<'a>(config: &Config, origin: Option<&'a str>) -> Option<&'a str> {
    let origin = origin?;
    config
        .cors_allowed_origins
        .iter()
        // A `*` entry matches nothing: browsers drop credentialed responses to a wildcard, and
        // echoing every origin instead would hand any site the learner's cookies.
        .any(|allowed| allowed != "*" && allowed == origin.trim_end_matches('/'))
        .then_some(origin)
}

/// Adds the CORS response headers when the request's origin is allowed.
pub fn decorate(config: &Config, origin: Option<&str>, response: &mut Response) {
    let headers = response.headers_mut();
    headers.append(header::VARY, HeaderValue::from_static("Origin"));
    let Some(origin) = allowed(config, origin) else {
        return;
    };
    if let Ok(value) = HeaderValue::from_str(origin) {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
            HeaderValue::from_static("true"),
        );
        headers.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static("content-disposition"),
        );
    }
}

/// Answers an `OPTIONS` preflight. A foreign origin gets a plain 200 without CORS headers, which
/// the browser treats as a refusal.
pub fn preflight(config: &Config, origin: Option<&str>) -> Response {
    let mut response = empty(StatusCode::OK);
    if allowed(config, origin).is_some() {
        let headers = response.headers_mut();
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static(ALLOWED_METHODS),
        );
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static(ALLOWED_HEADERS),
        );
        headers.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static("86400"),
        );
    }
    decorate(config, origin, &mut response);
    response
}
