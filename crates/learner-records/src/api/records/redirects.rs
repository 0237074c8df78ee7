//! The legacy records pages, which now only send the browser on: `/records/` to the Learner
//! Record MFE's program list and `/records/programs/{hex}/` to its record of that program. The
//! LMS profile page and program dashboard still link to them.
//!
//! Checks, in upstream's order: not logged in → 302 to the LMS login, which returns the
//! learner here; records switched off → 404; then the redirect. Whether the program exists is
//! not checked, as upstream: the MFE shows its own error for an unknown program.

use serde_json::json;

use super::{check_records_enabled, profile};
use crate::app::App;
use crate::domain::{SiteConfiguration, Uuid};
use crate::http::{ApiError, Request, Response, redirect, requester};

/// `GET /records/`: redirect to `<mfe>/`.
pub async fn records_page(app: &App, request: &Request) -> Result<Response, ApiError> {
    mfe_redirect(app, request, "").await
}

/// `GET /records/programs/{hex}/`: redirect to `<mfe>/<hex>`.
pub async fn program_page(
    app: &App,
    request: &Request,
    program: &Uuid,
) -> Result<Response, ApiError> {
    mfe_redirect(app, request, &program.hex()).await
}

/// Redirects to `path` under the MFE base URL, joined with exactly one `/`.
async fn mfe_redirect(app: &App, request: &Request, path: &str) -> Result<Response, ApiError> {
    let requester = requester(app, request)?;
    let Some(identity) = requester else {
        let snapshot = app.snapshot().await?;
        return login_redirect(app, &app.site_configuration(&snapshot.settings), request);
    };

    let (snapshot, stored) =
        tokio::join!(app.snapshot(), app.store.load_profile(&identity.username));
    let snapshot = snapshot?;
    profile::sync(app, &identity, stored.as_ref().map(Option::as_ref)).await;

    let site = app.site_configuration(&snapshot.settings);
    check_records_enabled(&site)?;
    if site.learner_record_mfe_url.is_empty() {
        return Err(ApiError::NotFound(json!({
            "detail": "The Learner Record MFE is not configured: set learner_record_mfe_url in the site configuration or LEARNER_RECORD_MFE_URL in the environment."
        })));
    }
    Ok(redirect(&format!("{}/{path}", site.learner_record_mfe_url)))
}

/// 302 to `<lms>/login?next=<this request's absolute URL>`. Without an LMS URL there is no
/// login page to send the browser to, so the request gets a plain 401.
fn login_redirect(
    app: &App,
    site: &SiteConfiguration,
    request: &Request,
) -> Result<Response, ApiError> {
    if site.lms_url_root.is_empty() {
        return Err(ApiError::not_authenticated());
    }
    let path_and_query = request
        .uri()
        .path_and_query()
        .map_or("/", |path| path.as_str());
    let next = app.config.public_url(path_and_query);
    let query =
        serde_urlencoded::to_string([("next", next.as_str())]).map_err(ApiError::internal)?;
    Ok(redirect(&format!("{}/login?{query}", site.lms_url_root)))
}
