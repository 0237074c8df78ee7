//! The HTTP edge shared by every function: request helpers, JSON and redirect responses, CORS,
//! body parsing with size limits, and [`serve`], which runs a handler and maps its error once.
//! Functions behave the same under `cargo lambda watch`, the local gateway and API Gateway,
//! because routing reads the raw path and query string, never API Gateway's path parameters.

pub mod body;
pub mod cors;
pub mod error;

use std::future::Future;

use lambda_http::http::{HeaderValue, Method, StatusCode, header};
use lambda_http::{Body, RequestExt};
use serde::Serialize;

pub use error::ApiError;

use crate::app::App;
use crate::auth::{Authentication, Identity, TokenSource, authenticate};

pub type Request = lambda_http::Request;
pub type Response = lambda_http::Response<Body>;

/// Returns the non-empty segments of the request path: `/records/programs/x/` → `["records", "programs", "x"]`.
pub fn path_segments(request: &Request) -> Vec<String> {
    request
        .uri()
        .path()
        .split('/')
        .filter(|segment| !segment.is_empty())
        .map(percent_decode)
        .collect()
}

/// Returns whether the raw path ends with a slash.
pub fn has_trailing_slash(request: &Request) -> bool {
    request.uri().path().ends_with('/')
}

/// Decodes `%XX` escapes in a path segment; invalid escapes stay as they are.
pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
            if let Some(value) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(value);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Returns the decoded query parameters in order. A repeated name appears once per value.
pub fn query_pairs(request: &Request) -> Vec<(String, String)> {
    request
        .uri()
        .query()
        .and_then(|query| serde_urlencoded::from_str::<Vec<(String, String)>>(query).ok())
        .unwrap_or_default()
}

/// Returns the first value of a query parameter.
pub fn query_param(request: &Request, name: &str) -> Option<String> {
    query_pairs(request)
        .into_iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value)
}

pub fn header_value<'a>(request: &'a Request, name: &str) -> Option<&'a str> {
    request
        .headers()
        .get(name)
        .and_then(|value| value.to_str().ok())
}

/// Returns the value of a cookie from any `Cookie` header of the request.
pub fn cookie(request: &Request, name: &str) -> Option<String> {
    request
        .headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim_matches('"').to_owned())
}

/// Returns the Lambda request id, or a fresh one when the request did not come through Lambda.
pub fn request_id(request: &Request) -> String {
    request
        .lambda_context_ref()
        .map(|context| context.request_id.clone())
        .filter(|id| !id.is_empty())
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string())
}

/// Builds a JSON response.
pub fn json<T: Serialize>(status: StatusCode, value: &T) -> Response {
    let body = serde_json::to_vec(value).unwrap_or_else(|_| b"{}".to_vec());
    let mut response = lambda_http::Response::new(Body::from(body));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// Builds a response with no body.
pub fn empty(status: StatusCode) -> Response {
    let mut response = lambda_http::Response::new(Body::Empty);
    *response.status_mut() = status;
    response
}

/// Builds a 302 redirect.
pub fn redirect(location: &str) -> Response {
    let mut response = empty(StatusCode::FOUND);
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// Builds an HTML page response.
pub fn html(status: StatusCode, page: String) -> Response {
    let mut response = lambda_http::Response::new(Body::from(page));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
}

fn error_response(error: &ApiError, request_id: &str) -> Response {
    let mut response = json(error.status(), &error.body(request_id));
    match error {
        ApiError::Unauthenticated(_) => {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("JWT realm=\"api\""),
            );
        }
        ApiError::Throttled { retry_after, .. } => {
            if let Ok(value) = HeaderValue::from_str(&retry_after.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
        }
        _ => {}
    }
    response
}

/// Runs a handler at the HTTP edge: it responds to CORS preflights, enforces the body size limit, maps
/// the handler's error to a response (logging unexpected ones once, with their cause chain and
/// the request id), and adds CORS headers for allowed origins.
pub async fn serve<F, Fut>(app: &App, request: Request, handler: F) -> Response
where
    F: FnOnce(Request) -> Fut,
    Fut: Future<Output = Result<Response, ApiError>>,
{
    let request_id = request_id(&request);
    let origin = header_value(&request, "origin").map(str::to_owned);
    let method = request.method().clone();
    let path = request.uri().path().to_owned();

    if method == Method::OPTIONS {
        return cors::preflight(&app.config, origin.as_deref());
    }

    let result = match body::check_size(&request, app.config.max_body_bytes) {
        Ok(()) => handler(request).await,
        Err(error) => Err(error),
    };
    let mut response = match result {
        Ok(response) => response,
        Err(error) => {
            if error.is_unexpected() {
                tracing::error!(%request_id, %method, %path, status = error.status().as_u16(), error = %error::cause_chain(&error), "request failed");
            } else {
                tracing::info!(%request_id, %method, %path, status = error.status().as_u16(), "request rejected");
            }
            error_response(&error, &request_id)
        }
    };
    cors::decorate(&app.config, origin.as_deref(), &mut response);
    response
}

/// Returns the requester, if any. A header token that fails verification ends the request with
/// 401.
pub fn requester(app: &App, request: &Request) -> Result<Option<Identity>, ApiError> {
    let authorization = header_value(request, "authorization");
    match authenticate(&app.auth, authorization, |name| cookie(request, name)) {
        Authentication::Authenticated(identity) => Ok(Some(identity)),
        Authentication::Anonymous => Ok(None),
        Authentication::Rejected(error) => Err(ApiError::Unauthenticated(error.to_string())),
    }
}

/// Returns the requester, who must be logged in (401 otherwise).
pub fn require_user(app: &App, request: &Request) -> Result<Identity, ApiError> {
    requester(app, request)?.ok_or_else(ApiError::not_authenticated)
}

/// Rejects a cookie-authenticated write that lacks a valid CSRF token or comes from an origin
/// we do not trust. Header-token requests (the LMS) need neither, as upstream.
pub fn check_csrf(app: &App, request: &Request, identity: &Identity) -> Result<(), ApiError> {
    let unsafe_method = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if identity.source != TokenSource::Cookie || !unsafe_method {
        return Ok(());
    }

    if let Some(origin) = header_value(request, "origin") {
        let origin = origin.trim_end_matches('/');
        let trusted = origin == app.config.public_base_url
            || app.config.cors_allowed_origins.iter().any(|o| o == origin);
        if !trusted {
            return Err(ApiError::Forbidden(
                serde_json::json!({"detail": "CSRF Failed: Origin checking failed - the origin is not trusted."}),
            ));
        }
    }
    let token = header_value(request, "x-csrftoken").unwrap_or_default();
    if token.is_empty() {
        return Err(ApiError::Forbidden(
            serde_json::json!({"detail": "CSRF Failed: CSRF token missing."}),
        ));
    }
    if !app
        .csrf
        .verify(token, identity.username.as_str(), chrono::Utc::now())
    {
        return Err(ApiError::Forbidden(
            serde_json::json!({"detail": "CSRF Failed: CSRF token incorrect."}),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decode_handles_escapes_and_garbage() {
        assert_eq!(
            percent_decode("course-v1%3AMITx%2B6.002x%2B2T2019"),
            "course-v1:MITx+6.002x+2T2019"
        );
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz"), "%zz");
    }
}
