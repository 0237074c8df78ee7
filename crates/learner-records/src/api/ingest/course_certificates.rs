//! `/api/v2/course_certificates/`: the LMS keeps each course run's certificate configuration,
//! and with it the `certificate_available_date` that decides when credentials become visible,
//! in sync. Staff only, as upstream's `IsAdminUser`.
//!
//! A configuration is identified by course id and certificate type. The course id in the path
//! may match several types; `certificate_type` (query parameter, or body field for PUT and
//! PATCH) then picks one.

use chrono::{DateTime, Utc};
use lambda_http::http::{Method, StatusCode};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::app::App;
use crate::domain::{Catalog, CertificateType, CourseCertificate, CourseRunKey, SiteSettings};
use crate::http::{ApiError, Request, Response, body, check_csrf, json, query_param, require_user};
use crate::store::StoreError;
use crate::store::optimistic::Stored;

use super::wire::{self, FieldErrors};
use super::{WRITE_ATTEMPTS, concurrent_change, require_staff};

/// A configuration as these routes return it. `course_run` is the run's key while the run is in
/// the catalog, else null.
// NOTE: upstream also returns the numeric `id` and `site` of the row. Configurations here have
// neither, so both are left out; the LMS only checks the status code.
#[derive(Debug, Serialize)]
struct CourseCertificateRepresentation {
    course_id: String,
    course_run: Option<String>,
    certificate_type: CertificateType,
    certificate_available_date: Option<String>,
    is_active: bool,
}

fn represent(
    catalog: &Catalog,
    configuration: &CourseCertificate,
) -> CourseCertificateRepresentation {
    CourseCertificateRepresentation {
        course_id: configuration.course_id.to_string(),
        course_run: catalog
            .run_by_key(&configuration.course_id)
            .map(|(_, run)| run.key.to_string()),
        certificate_type: configuration.certificate_type,
        certificate_available_date: configuration
            .certificate_available_date
            .as_ref()
            .map(wire::timestamp),
        is_active: configuration.is_active,
    }
}

/// The fields of a request. `None` is a field the request left out.
#[derive(Debug, Default)]
struct ConfigurationFields {
    course_id: Option<CourseRunKey>,
    certificate_type: Option<CertificateType>,
    certificate_available_date: Option<Option<DateTime<Utc>>>,
    is_active: Option<bool>,
}

/// Reads the fields; POST and PUT require `course_id` and `certificate_type`.
fn parse_fields(
    body: &Map<String, Value>,
    complete: bool,
) -> Result<ConfigurationFields, ApiError> {
    let mut errors = FieldErrors::new();
    let mut fields = ConfigurationFields::default();
    if complete || body.contains_key("course_id") {
        fields.course_id = wire::required_text(body, "course_id", &mut errors).and_then(|text| {
            CourseRunKey::parse(text)
                .map_err(|e| errors.add("course_id", e.to_string()))
                .ok()
        });
    }
    if complete || body.contains_key("certificate_type") {
        fields.certificate_type = wire::required_text(body, "certificate_type", &mut errors)
            .and_then(|text| {
                CertificateType::parse(text)
                    .map_err(|_| {
                        errors.add(
                            "certificate_type",
                            format!("\"{text}\" is not a valid choice."),
                        )
                    })
                    .ok()
            });
    }
    fields.certificate_available_date =
        wire::optional_datetime(body, "certificate_available_date", &mut errors);
    fields.is_active = wire::optional_boolean(body, "is_active", &mut errors);
    errors.into_result()?;
    Ok(fields)
}

/// Applies a request to a configuration. A new one starts inactive, as upstream's model does.
fn apply(
    stored: Option<&CourseCertificate>,
    fresh: CourseCertificate,
    fields: &ConfigurationFields,
    now: DateTime<Utc>,
) -> CourseCertificate {
    let mut configuration = stored.cloned().unwrap_or(fresh);
    if let Some(date) = fields.certificate_available_date {
        configuration.certificate_available_date = date;
    }
    if let Some(is_active) = fields.is_active {
        configuration.is_active = is_active;
    }
    configuration.modified = now;
    configuration
}

/// Merges a request into the stored configuration and writes it when it changed. With
/// `must_exist`, a missing configuration is a 404 instead of a new one.
async fn merge_and_write(
    app: &App,
    course_id: &CourseRunKey,
    certificate_type: CertificateType,
    fields: &ConfigurationFields,
    must_exist: bool,
) -> Result<(CourseCertificate, bool), ApiError> {
    let mut attempt = 1;
    loop {
        let result = async {
            let stored = app
                .store
                .get_course_certificate(course_id, certificate_type)
                .await?;
            if must_exist && stored.is_none() {
                return Err(ApiError::not_found());
            }
            let now = Utc::now();
            let fresh = CourseCertificate {
                course_id: course_id.clone(),
                certificate_type,
                certificate_available_date: None,
                is_active: false,
                created: now,
                modified: now,
            };
            let configuration = apply(stored.as_ref().map(|s| &s.value), fresh, fields, now);
            if let Some(Stored { value, .. }) = &stored {
                let mut comparable = configuration.clone();
                comparable.modified = value.modified;
                if &comparable == value {
                    return Ok((value.clone(), false));
                }
            }
            app.store
                .write_course_certificate(&configuration, stored.as_ref().map(|s| s.data.as_str()))
                .await?;
            Ok((configuration, true))
        }
        .await;
        match result {
            Err(ApiError::Store(StoreError::ConditionFailed { .. }))
                if attempt < WRITE_ATTEMPTS =>
            {
                attempt += 1;
            }
            Err(ApiError::Store(StoreError::ConditionFailed { .. })) => {
                return Err(concurrent_change("course certificate configuration"));
            }
            other => return other,
        }
    }
}

/// `POST /api/v2/course_certificates/`: creates or updates a configuration; 201 either way.
pub async fn create(app: &App, request: &Request) -> Result<Response, ApiError> {
    let identity = require_user(app, request)?;
    check_csrf(app, request, &identity)?;
    require_staff(&identity)?;

    let fields = parse_fields(&body::parse_object(request)?, true)?;
    let (Some(course_id), Some(certificate_type)) = (&fields.course_id, fields.certificate_type)
    else {
        return Err(ApiError::invalid_field("non_field_errors", "Invalid data."));
    };
    // The snapshot only supplies the catalog for `course_run`, which this write does not change.
    let (snapshot, written) = tokio::join!(
        app.snapshot(),
        merge_and_write(app, course_id, certificate_type, &fields, false)
    );
    let (configuration, changed) = written?;
    let snapshot = snapshot?;
    tracing::info!(
        course_id = %configuration.course_id,
        certificate_type = configuration.certificate_type.as_str(),
        changed,
        "course certificate configuration posted"
    );
    Ok(json(
        StatusCode::CREATED,
        &represent(&snapshot.catalog, &configuration),
    ))
}

/// Parses the course id of a route; one that cannot be a course run key has no configuration.
fn path_course_id(text: &str) -> Result<CourseRunKey, ApiError> {
    CourseRunKey::parse(text).map_err(|_| ApiError::not_found())
}

/// Picks the configuration type a single-configuration route addresses: the requested one, or
/// the only one the course has.
fn pick_type(
    settings: &SiteSettings,
    course_id: &CourseRunKey,
    requested: Option<CertificateType>,
) -> Result<CertificateType, ApiError> {
    if let Some(certificate_type) = requested {
        return Ok(certificate_type);
    }
    let types: Vec<CertificateType> = settings
        .course_certificates
        .iter()
        .filter(|configuration| &configuration.course_id == course_id)
        .map(|configuration| configuration.certificate_type)
        .collect();
    match types.as_slice() {
        [] => Err(ApiError::not_found()),
        [only] => Ok(*only),
        several => {
            let names: Vec<&str> = several.iter().map(|t| t.as_str()).collect();
            Err(ApiError::invalid_field(
                "certificate_type",
                format!(
                    "Course {course_id} has configurations of several types ({}); pass certificate_type to pick one.",
                    names.join(", ")
                ),
            ))
        }
    }
}

fn requested_type(request: &Request) -> Result<Option<CertificateType>, ApiError> {
    query_param(request, "certificate_type")
        .filter(|text| !text.is_empty())
        .map(|text| {
            CertificateType::parse(&text).map_err(|_| {
                ApiError::invalid_field(
                    "certificate_type",
                    format!("\"{text}\" is not a valid choice."),
                )
            })
        })
        .transpose()
}

/// `GET /api/v2/course_certificates/{course_id}/`, from the cached settings.
pub async fn retrieve(app: &App, request: &Request, course_id: &str) -> Result<Response, ApiError> {
    let identity = require_user(app, request)?;
    require_staff(&identity)?;
    let course_id = path_course_id(course_id)?;
    let requested = requested_type(request)?;

    let snapshot = app.snapshot().await?;
    let certificate_type = pick_type(&snapshot.settings, &course_id, requested)?;
    let configuration = snapshot
        .settings
        .course_certificate(&course_id, certificate_type)
        .ok_or_else(ApiError::not_found)?;
    Ok(json(
        StatusCode::OK,
        &represent(&snapshot.catalog, configuration),
    ))
}

/// `PUT`/`PATCH /api/v2/course_certificates/{course_id}/`: changes an existing configuration's
/// available date or activity; 200.
pub async fn update(app: &App, request: &Request, course_id: &str) -> Result<Response, ApiError> {
    let identity = require_user(app, request)?;
    check_csrf(app, request, &identity)?;
    require_staff(&identity)?;
    let course_id = path_course_id(course_id)?;
    let fields = parse_fields(
        &body::parse_object(request)?,
        request.method() == Method::PUT,
    )?;
    if fields
        .course_id
        .as_ref()
        .is_some_and(|posted| posted != &course_id)
    {
        return Err(ApiError::invalid_field(
            "course_id",
            format!("The course_id in the body must match the one in the URL, {course_id}."),
        ));
    }
    let requested = match fields.certificate_type {
        Some(certificate_type) => Some(certificate_type),
        None => requested_type(request)?,
    };

    let snapshot = app.snapshot().await?;
    let certificate_type = pick_type(&snapshot.settings, &course_id, requested)?;
    let (configuration, changed) =
        merge_and_write(app, &course_id, certificate_type, &fields, true).await?;
    tracing::info!(
        course_id = %configuration.course_id,
        certificate_type = configuration.certificate_type.as_str(),
        changed,
        "course certificate configuration changed"
    );
    Ok(json(
        StatusCode::OK,
        &represent(&snapshot.catalog, &configuration),
    ))
}
