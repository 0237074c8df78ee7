//! The `records` function: a learner's program list and program records for the Learner
//! Record MFE, the legacy `/records/` pages that redirect to the MFE, and the CSRF token the
//! MFE fetches before its writes.
//!
//! Routes, all `GET` (another method on one of these paths gets 405, any other path 404):
//! * `/records/api/v1/program_records/`: the learner's program list.
//! * `/records/api/v1/program_records/{id}/?is_public=true|false`: one program record. The list
//!   and the record are also served without the final slash.
//! * `/records` and `/records/`: redirect to `<mfe>/`.
//! * `/records/programs/{hex}` and `/records/programs/{hex}/`: redirect to `<mfe>/<hex>`.
//! * `/csrf/api/v1/token`: a CSRF token for the requester, anonymous included.
//!
//! Decisions where upstream differs or is silent:
//! * With the site's `records_enabled` switch off, every logged-in request to the list, the
//!   records and the redirects gets 404. Upstream's REST API ignored the switch; here it is
//!   stricter. Anonymous public records keep working (see [`program_records`]).
//! * Every authenticated request stores the requester's profile from the token's claims when it
//!   differs from the stored one, because public views and partner emails show that profile
//!   later, when the learner is not there to provide it.
//! * DynamoDB requests on a warm cache: the list and a private record cost one GetItem (the
//!   versions item) and one Query (the learner's partition) sent together, so one round trip.
//!   A public record first resolves its link (one GetItem), then the same pair. Nothing scans.

mod csrf_token;
mod profile;
mod program_records;
mod redirects;

use lambda_http::http::Method;

use crate::api::routing::{no_route, url_hex};
use crate::app::App;
use crate::domain::{SiteConfiguration, Uuid};
use crate::http::{ApiError, Request, Response, path_segments, serve};

/// The routes of this function.
enum Route {
    ProgramList,
    /// The id exactly as the path carries it: the response echoes it.
    ProgramRecord(String),
    RecordsPage,
    ProgramPage(Uuid),
    CsrfToken,
}

/// Matches the raw path. An empty segment (`//`) matches nothing, so
/// `/records/api/v1/program_records//` is not mistaken for the list.
fn route(request: &Request) -> Result<Route, ApiError> {
    if request.uri().path().contains("//") {
        return Err(no_route());
    }
    let segments = path_segments(request);
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    match segments.as_slice() {
        ["records"] => Ok(Route::RecordsPage),
        ["records", "programs", hex] => Ok(Route::ProgramPage(url_hex(hex)?)),
        ["records", "api", "v1", "program_records"] => Ok(Route::ProgramList),
        ["records", "api", "v1", "program_records", id] => {
            Ok(Route::ProgramRecord((*id).to_owned()))
        }
        ["csrf", "api", "v1", "token"] => Ok(Route::CsrfToken),
        _ => Err(no_route()),
    }
}

/// Rejects a logged-in request with 404 while the site has records switched off, as upstream's
/// records pages do.
fn check_records_enabled(site: &SiteConfiguration) -> Result<(), ApiError> {
    if site.records_enabled {
        Ok(())
    } else {
        Err(ApiError::not_found())
    }
}

/// Handles one request to this function.
pub async fn handle(app: &App, request: Request) -> Response {
    serve(app, request, |request| async move {
        let route = route(&request)?;
        if request.method() != Method::GET {
            return Err(ApiError::MethodNotAllowed(request.method().to_string()));
        }
        match route {
            Route::ProgramList => program_records::list(app, &request).await,
            Route::ProgramRecord(id) => program_records::detail(app, &request, &id).await,
            Route::RecordsPage => redirects::records_page(app, &request).await,
            Route::ProgramPage(program) => redirects::program_page(app, &request, &program).await,
            Route::CsrfToken => csrf_token::issue(app, &request).await,
        }
    })
    .await
}
