//! The `ingest` function: the Credentials REST API v2 the LMS calls to post certificates,
//! grades and certificate dates, that `notify_credentials` backfills through, and that account
//! retirement renames learners with.
//!
//! Routes match with and without the trailing slash. Access follows upstream: every route needs
//! a user (401), writes need staff (the LMS service user carries `administrator: true`), and a
//! learner may only list their own credentials. Non-staff requests are throttled per user.

mod course_certificates;
mod credentials;
mod grades;
mod usernames;
pub mod wire;

use lambda_http::http::Method;
use serde_json::json;

use crate::app::App;
use crate::auth::Identity;
use crate::http::{ApiError, Request, Response, percent_decode, serve};
use crate::throttle;

/// Throttle scope and per-minute limit of the credentials routes, as upstream's
/// `credential_view` rate.
const CREDENTIALS_THROTTLE: (&str, i64) = ("credentials", 15);
/// Throttle scope and per-minute limit of the grades routes, as upstream's `grade_view` rate.
const GRADES_THROTTLE: (&str, i64) = ("grades", 90);

/// Handles one request to this function.
pub async fn handle(app: &App, request: Request) -> Response {
    serve(app, request, |request| async move {
        let Some(route) = Route::parse(request.uri().path()) else {
            return Err(ApiError::not_found());
        };
        let method = request.method().clone();
        match (route, method) {
            (Route::Credentials, Method::GET) => credentials::list(app, &request).await,
            (Route::Credentials, Method::POST) => credentials::create(app, &request).await,
            (Route::Credential(id), Method::GET) => credentials::retrieve(app, &request, &id).await,
            (Route::Credential(id), Method::PUT | Method::PATCH | Method::DELETE) => {
                credentials::update(app, &request, &id).await
            }
            (Route::Grades, Method::POST) => grades::create(app, &request).await,
            (Route::Grade(id), Method::PUT | Method::PATCH) => {
                grades::update(app, &request, &id).await
            }
            (Route::CourseCertificates, Method::POST) => {
                course_certificates::create(app, &request).await
            }
            (Route::CourseCertificate(course_id), Method::GET) => {
                course_certificates::retrieve(app, &request, &course_id).await
            }
            (Route::CourseCertificate(course_id), Method::PUT | Method::PATCH) => {
                course_certificates::update(app, &request, &course_id).await
            }
            (Route::ReplaceUsernames, Method::POST) => usernames::replace(app, &request).await,
            (_, method) => Err(ApiError::MethodNotAllowed(method.to_string())),
        }
    })
    .await
}

/// The resources of the API, with the id from the path where there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Route {
    Credentials,
    Credential(String),
    Grades,
    Grade(String),
    CourseCertificates,
    /// The course id, percent-decoded; it may contain `/` in the old `Org/Course/Run` form.
    CourseCertificate(String),
    ReplaceUsernames,
}

impl Route {
    /// Matches a raw path. One trailing slash is optional; ids never contain `/`, except course
    /// ids, which take the whole rest of the path.
    fn parse(path: &str) -> Option<Self> {
        let rest = path.strip_prefix("/api/v2/")?;
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        let (collection, id) = match rest.split_once('/') {
            Some((collection, id)) => (collection, Some(id)),
            None => (rest, None),
        };
        let single_segment = |id: &str| !id.is_empty() && !id.contains('/');
        match (collection, id) {
            ("credentials", None) => Some(Self::Credentials),
            ("credentials", Some(id)) if single_segment(id) => {
                Some(Self::Credential(percent_decode(id)))
            }
            ("grades", None) => Some(Self::Grades),
            ("grades", Some(id)) if single_segment(id) => Some(Self::Grade(percent_decode(id))),
            ("course_certificates", None) => Some(Self::CourseCertificates),
            ("course_certificates", Some(id)) if !id.is_empty() => {
                Some(Self::CourseCertificate(percent_decode(id)))
            }
            ("replace_usernames", None) => Some(Self::ReplaceUsernames),
            _ => None,
        }
    }
}

/// 403 unless the requester is staff.
fn require_staff(identity: &Identity) -> Result<(), ApiError> {
    if identity.is_staff {
        Ok(())
    } else {
        Err(ApiError::permission_denied())
    }
}

/// Counts a request against the requester's per-minute limit in a scope; 429 when over.
/// Staff are never throttled, so the LMS service user is not slowed by backfills.
async fn throttle(
    app: &App,
    identity: &Identity,
    (scope, limit): (&str, i64),
) -> Result<(), ApiError> {
    if identity.is_staff {
        return Ok(());
    }
    match throttle::hit(&app.store, scope, &identity.username, limit).await? {
        Some(retry_after) => {
            tracing::info!(scope, retry_after, "request throttled");
            Err(ApiError::Throttled {
                body: json!({
                    "detail": format!("Request was throttled. Expected available in {retry_after} seconds.")
                }),
                retry_after,
            })
        }
        None => Ok(()),
    }
}

/// How many times a read-modify-write runs when a concurrent change beats it.
const WRITE_ATTEMPTS: usize = 3;

/// Builds the 409 returned after [`WRITE_ATTEMPTS`] lost races. The LMS retries failed requests.
fn concurrent_change(resource: &str) -> ApiError {
    ApiError::Conflict(json!({
        "detail": format!("The {resource} changed while this request was applied. Retry the request.")
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_match_with_and_without_trailing_slash() {
        assert_eq!(
            Route::parse("/api/v2/credentials/"),
            Some(Route::Credentials)
        );
        assert_eq!(
            Route::parse("/api/v2/credentials"),
            Some(Route::Credentials)
        );
        assert_eq!(
            Route::parse("/api/v2/grades/42"),
            Some(Route::Grade("42".into()))
        );
        assert_eq!(
            Route::parse("/api/v2/replace_usernames/"),
            Some(Route::ReplaceUsernames)
        );
    }

    #[test]
    fn course_certificate_route_takes_the_whole_course_id() {
        assert_eq!(
            Route::parse("/api/v2/course_certificates/course-v1:MITx+6.002x+2T2019/"),
            Some(Route::CourseCertificate(
                "course-v1:MITx+6.002x+2T2019".into()
            ))
        );
        assert_eq!(
            Route::parse("/api/v2/course_certificates/DelftX/CTB3300WCx/2T2014/"),
            Some(Route::CourseCertificate("DelftX/CTB3300WCx/2T2014".into()))
        );
        assert_eq!(
            Route::parse("/api/v2/course_certificates/course-v1%3AMITx%2B6.002x%2B2T2019"),
            Some(Route::CourseCertificate(
                "course-v1:MITx+6.002x+2T2019".into()
            ))
        );
    }

    #[test]
    fn unknown_paths_do_not_route() {
        for path in [
            "/api/v2/",
            "/api/v2/programs/",
            "/api/v1/credentials/",
            "/api/v2/credentials/a/b/",
            "/records/",
        ] {
            assert_eq!(Route::parse(path), None, "{path}");
        }
    }
}
