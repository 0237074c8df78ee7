//! The `public-record` function: public links to program records, the page and the CSV export
//! behind them, and revocation.
//!
//! * `POST /records/programs/{program hex}/share` with `{"username": …}` returns the learner's
//!   link `{"url": …}`: 201 when this request created it, 200 when it already existed. Concurrent
//!   requests share one link (the store creates it in one conditional transaction).
//! * `DELETE /records/programs/{program hex}/share`, optionally with `{"username": …}`, revokes
//!   the link: 204, or 404 when there was none. Upstream has no way to unshare.
//! * `GET /records/programs/shared/{link hex}` (with or without a trailing slash) redirects to
//!   the Learner Record MFE when one is configured, and otherwise renders [`crate::page`].
//! * `GET /records/programs/shared/{link hex}/csv` downloads the record as CSV.
//!
//! Share and revoke need a user: a header JWT, or the JWT cookies plus a CSRF token. An
//! anonymous request gets 401 JSON rather than upstream's redirect to the login page, because
//! the MFE calls share by XHR, which cannot complete a login. Both count against one limit of
//! 15 requests per minute per requesting user.
//!
//! An unknown, revoked or expired link gets the same 404 on the page and the CSV. While
//! records are switched off for the site, logged-in requests get 404 but anonymous visitors can
//! still open public links, as upstream does. Anonymous visitors see the learner's email only
//! when the site configuration says so; the owner and staff always see it, on the page and in
//! the CSV.
//!
//! # CSV delivery
//!
//! With redirect delivery the CSV is written to the export bucket under
//! `exports/<link hex>/<SHA-256 of the bytes>.csv` (skipped when that object exists) and the
//! response is a 302 to a presigned GET URL valid for five minutes. That works for links opened
//! by a browser, such as this service's page and emailed links. It does not work for the MFE:
//! the MFE fetches the CSV URL by XHR with credentials and a `USE-JWT-COOKIE` header before
//! navigating to it, and after a cross-origin redirect the browser preflights the bucket with
//! `Origin: null`, which no CORS rule for the MFE origin matches. Headless Chromium 156 showed
//! exactly that preflight and failed the XHR. Inline delivery sends the CSV in the response
//! body with `Content-Disposition: attachment`, which satisfies both the XHR and the
//! navigation. The deployment chooses with `CSV_DOWNLOAD` (see [`crate::config::CsvDownload`]);
//! the default is inline while an MFE URL is in force and redirect otherwise.

mod share;
mod shared;

use lambda_http::http::Method;

pub use share::revoke_public_link;

use crate::api::routing::{no_route, url_hex};
use crate::app::App;
use crate::config::{Config, ConfigError, CsvDownload};
use crate::http::{ApiError, Request, Response, has_trailing_slash, path_segments, serve};

/// Share and revoke requests a user may make per minute.
pub const SHARE_LIMIT_PER_MINUTE: i64 = 15;

/// Checks what this function needs beyond the shared configuration: the export bucket, unless
/// CSV exports are always sent inline. Run at start-up, so a missing bucket fails the deploy's
/// first invocation instead of the first download.
pub fn check_config(config: &Config) -> Result<(), ConfigError> {
    if config.export_bucket.is_empty() && config.csv_download != CsvDownload::Inline {
        return Err(ConfigError::Missing("EXPORT_BUCKET"));
    }
    Ok(())
}

/// Handles one request to this function.
pub async fn handle(app: &App, request: Request) -> Response {
    serve(
        app,
        request,
        |request| async move { route(app, &request).await },
    )
    .await
}

async fn route(app: &App, request: &Request) -> Result<Response, ApiError> {
    let segments = path_segments(request);
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    let trailing_slash = has_trailing_slash(request);

    match segments.as_slice() {
        ["records", "programs", "shared", link] => {
            let link = url_hex(link)?;
            require_get(request)?;
            shared::page(app, request, &link).await
        }
        ["records", "programs", "shared", link, "csv"] if !trailing_slash => {
            let link = url_hex(link)?;
            require_get(request)?;
            shared::csv(app, request, &link).await
        }
        ["records", "programs", program, "share"] if !trailing_slash => {
            let program = url_hex(program)?;
            match *request.method() {
                Method::POST => share::share(app, request, &program).await,
                Method::DELETE => share::revoke(app, request, &program).await,
                ref other => Err(ApiError::MethodNotAllowed(other.to_string())),
            }
        }
        _ => Err(no_route()),
    }
}

fn require_get(request: &Request) -> Result<(), ApiError> {
    if request.method() == Method::GET {
        Ok(())
    } else {
        Err(ApiError::MethodNotAllowed(request.method().to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bootstrap::Resources;
    use crate::testkit::test_config;

    #[test]
    fn start_up_needs_a_bucket_unless_inline() {
        let mut config = test_config(&Resources {
            table: "table".into(),
            bucket: String::new(),
            bus: String::new(),
            ses_identity: String::new(),
            cors_origins: Vec::new(),
        });
        for (mode, accepted) in [
            (CsvDownload::Auto, false),
            (CsvDownload::Redirect, false),
            (CsvDownload::Inline, true),
        ] {
            config.csv_download = mode;
            assert_eq!(check_config(&config).is_ok(), accepted, "{mode:?}");
        }
    }
}
