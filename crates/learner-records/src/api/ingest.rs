//! Placeholder until this function's routes land.

use crate::app::App;
use crate::http::{ApiError, Request, Response, serve};

/// Handles one request to this function.
pub async fn handle(app: &App, request: Request) -> Response {
    serve(app, request, |_request| async {
        Err::<Response, _>(ApiError::not_found())
    })
    .await
}
