//! The program records REST API the MFE reads: the learner's program list and one program's
//! record, private (by program UUID) or public (by public-link UUID).
//!
//! Errors, in the order they are checked: a header token that fails verification → 401; a
//! private request without a user → 401; `?username=` from anyone but staff → 403 (401 when
//! anonymous), even for the requester's own name; a malformed id → 404 without touching
//! DynamoDB; the records switch off for a logged-in requester → 404; `?username=` naming a
//! learner of whom nothing is stored → 404; a program the catalog does not hold → 404 (upstream
//! returned 500 for an unknown or malformed program UUID).

use chrono::Utc;
use lambda_http::http::StatusCode;
use serde::Serialize;
use serde_json::json;

use super::{check_records_enabled, profile};
use crate::app::App;
use crate::auth::Identity;
use crate::domain::record::{
    EnrolledProgram, ProgramRecord, Viewer, build_program_list, build_program_record,
};
use crate::domain::{LearnerData, SiteConfiguration, Username, Uuid};
use crate::http::{ApiError, Request, Response, json, query_param, requester, require_user};
use crate::store::cache::Snapshot;

#[derive(Serialize)]
struct ProgramListBody {
    enrolled_programs: Vec<EnrolledProgram>,
}

#[derive(Serialize)]
struct ProgramRecordBody<'a> {
    record: ProgramRecord,
    is_public: bool,
    /// The id exactly as the path carried it, dashed or not.
    uuid: &'a str,
    records_help_url: String,
}

/// The learner a request is about: the requester, or the learner staff named with `?username=`.
struct Subject {
    username: Username,
    is_requester: bool,
}

/// Returns the username staff requested with `?username=`, if any. An empty value counts as
/// absent.
fn requested_username(
    request: &Request,
    requester: Option<&Identity>,
) -> Result<Option<String>, ApiError> {
    let Some(name) = query_param(request, "username").filter(|name| !name.is_empty()) else {
        return Ok(None);
    };
    match requester {
        None => Err(ApiError::not_authenticated()),
        Some(identity) if !identity.is_staff => Err(ApiError::permission_denied()),
        Some(_) => Ok(Some(name)),
    }
}

/// Resolves whom a private request is about. A name that is no valid username is an unknown
/// learner.
fn subject(requester: &Identity, requested: Option<String>) -> Result<Subject, ApiError> {
    match requested {
        None => Ok(Subject {
            username: requester.username.clone(),
            is_requester: true,
        }),
        Some(name) => {
            let username = Username::parse(&name).map_err(|_| unknown_learner(&name))?;
            let is_requester = username == requester.username;
            Ok(Subject {
                username,
                is_requester,
            })
        }
    }
}

/// 404 for a username of whom nothing is stored: no grades, credentials or visits.
fn unknown_learner(name: &str) -> ApiError {
    ApiError::NotFound(json!({
        "detail": format!("User {name:?} not found: no records are stored for this username.")
    }))
}

/// Loads the catalog snapshot and the learner's partition in one round trip, and syncs the
/// requester's profile. When the requester is someone else than `learner`, their stored profile
/// is read in the same round trip. A learner reading their own record sees the profile their
/// token just provided.
async fn load(
    app: &App,
    requester: Option<&Identity>,
    learner: &Username,
) -> Result<(Snapshot, LearnerData), ApiError> {
    match requester {
        Some(identity) if &identity.username == learner => {
            let (snapshot, data) = tokio::join!(app.snapshot(), app.store.load_learner(learner));
            let (snapshot, mut data) = (snapshot?, data?);
            if let Some(fresh) = profile::sync(app, identity, Ok(data.profile.as_ref())).await {
                data.profile = Some(fresh);
            }
            Ok((snapshot, data))
        }
        Some(identity) => {
            let (snapshot, data, stored) = tokio::join!(
                app.snapshot(),
                app.store.load_learner(learner),
                app.store.load_profile(&identity.username),
            );
            let (snapshot, data) = (snapshot?, data?);
            profile::sync(app, identity, stored.as_ref().map(Option::as_ref)).await;
            Ok((snapshot, data))
        }
        None => {
            let (snapshot, data) = tokio::join!(app.snapshot(), app.store.load_learner(learner));
            Ok((snapshot?, data?))
        }
    }
}

/// `GET /records/api/v1/program_records/`: the programs the learner is enrolled in.
pub async fn list(app: &App, request: &Request) -> Result<Response, ApiError> {
    let requester = require_user(app, request)?;
    let subject = subject(&requester, requested_username(request, Some(&requester))?)?;

    let (snapshot, learner) = load(app, Some(&requester), &subject.username).await?;
    check_records_enabled(&app.site_configuration(&snapshot.settings))?;
    if !subject.is_requester && !learner.exists() {
        return Err(unknown_learner(subject.username.as_str()));
    }

    let enrolled_programs = build_program_list(&snapshot.catalog, &snapshot.settings, &learner);
    tracing::info!(
        programs = enrolled_programs.len(),
        on_behalf = !subject.is_requester,
        "program list built"
    );
    Ok(json(StatusCode::OK, &ProgramListBody { enrolled_programs }))
}

/// `GET /records/api/v1/program_records/{id}/?is_public=…`: one program record. `is_public`
/// is true when it reads `true` in any case; anything else, or nothing, means private.
pub async fn detail(app: &App, request: &Request, id: &str) -> Result<Response, ApiError> {
    let requester = requester(app, request)?;
    let is_public =
        query_param(request, "is_public").is_some_and(|value| value.to_lowercase() == "true");
    let requested = requested_username(request, requester.as_ref())?;

    if is_public {
        // `?username=` was checked above, as upstream does, but a public link names its learner.
        return public_record(app, requester.as_ref(), id).await;
    }
    let requester = requester.ok_or_else(ApiError::not_authenticated)?;
    let subject = subject(&requester, requested)?;
    private_record(app, &requester, &subject, id).await
}

/// Builds the record of a program UUID for the requester, or for the learner a staff member named.
async fn private_record(
    app: &App,
    requester: &Identity,
    subject: &Subject,
    id: &str,
) -> Result<Response, ApiError> {
    let program_uuid = Uuid::parse(id).map_err(|_| ApiError::not_found())?;

    let (snapshot, learner) = load(app, Some(requester), &subject.username).await?;
    let site = app.site_configuration(&snapshot.settings);
    check_records_enabled(&site)?;
    if !subject.is_requester && !learner.exists() {
        return Err(unknown_learner(subject.username.as_str()));
    }
    let program = snapshot
        .catalog
        .program(&program_uuid)
        .ok_or_else(ApiError::not_found)?;

    let record = build_program_record(
        &snapshot.catalog,
        &snapshot.settings,
        program,
        &subject.username,
        &learner,
        Viewer::OwnerOrStaff,
    );
    tracing::info!(program = %program_uuid, on_behalf = !subject.is_requester, "private record built");
    Ok(record_response(record, false, id, site))
}

/// Builds the record behind a public-link UUID: the link owner's record of its program. Revoked,
/// expired and unknown links all get the same 404, so a link's history cannot be probed.
async fn public_record(
    app: &App,
    requester: Option<&Identity>,
    id: &str,
) -> Result<Response, ApiError> {
    let link_uuid = Uuid::parse(id).map_err(|_| ApiError::not_found())?;
    let link = app
        .store
        .resolve_link(&link_uuid, Utc::now())
        .await?
        .ok_or_else(ApiError::not_found)?;

    let (snapshot, learner) = load(app, requester, &link.username).await?;
    let site = app.site_configuration(&snapshot.settings);
    // Anonymous viewers pass even with records switched off, as upstream: the learner chose to
    // publish the record, and partners hold links emailed to them that must keep working.
    if requester.is_some() {
        check_records_enabled(&site)?;
    }
    let program = snapshot
        .catalog
        .program(&link.program_uuid)
        .ok_or_else(ApiError::not_found)?;

    let viewer = match requester {
        Some(identity) if identity.is_staff || identity.username == link.username => {
            Viewer::OwnerOrStaff
        }
        _ => Viewer::Public,
    };
    let record = build_program_record(
        &snapshot.catalog,
        &snapshot.settings,
        program,
        &link.username,
        &learner,
        viewer,
    );
    tracing::info!(program = %link.program_uuid, anonymous = requester.is_none(), "public record built");
    Ok(record_response(record, true, id, site))
}

fn record_response(
    record: ProgramRecord,
    is_public: bool,
    id: &str,
    site: SiteConfiguration,
) -> Response {
    json(
        StatusCode::OK,
        &ProgramRecordBody {
            record,
            is_public,
            uuid: id,
            records_help_url: site.records_help_url,
        },
    )
}
