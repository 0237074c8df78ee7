//! `GET /csrf/api/v1/token`: the CSRF token the MFE sends back in `X-CSRFToken` on its writes
//! (share, send). The MFE fetches it from the host root of the URL it is about to POST to,
//! reads `csrfToken` from the JSON and caches it for the life of the page.
//!
//! The token is bound to the requester's username, or to `""` for an anonymous requester, so a
//! token minted for one learner does not verify for another. The cookie mirrors Django's CSRF
//! cookie for clients that look for one; the token checks never read it.

use chrono::Utc;
use lambda_http::http::{HeaderValue, StatusCode, header};
use serde::Serialize;

use super::profile;
use crate::app::App;
use crate::http::{ApiError, Request, Response, json, requester};

pub const CSRF_COOKIE: &str = "learner_records_csrftoken";

#[derive(Serialize)]
struct TokenBody<'a> {
    #[serde(rename = "csrfToken")]
    csrf_token: &'a str,
}

/// Issues a token for the requester. It needs no login, but a header token that fails
/// verification still gets 401, as on every route.
pub async fn issue(app: &App, request: &Request) -> Result<Response, ApiError> {
    let requester = requester(app, request)?;
    let username = requester
        .as_ref()
        .map_or("", |identity| identity.username.as_str());
    let token = app.csrf.issue(username, Utc::now());

    if let Some(identity) = &requester {
        let stored = app.store.load_profile(&identity.username).await;
        profile::sync(app, identity, stored.as_ref().map(Option::as_ref)).await;
    }

    let mut response = json(StatusCode::OK, &TokenBody { csrf_token: &token });
    let secure = if app.config.public_base_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!("{CSRF_COOKIE}={token}; Path=/; SameSite=Lax{secure}");
    let value = HeaderValue::from_str(&cookie).map_err(ApiError::internal)?;
    response.headers_mut().insert(header::SET_COOKIE, value);
    Ok(response)
}
