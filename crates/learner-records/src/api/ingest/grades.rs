//! `/api/v2/grades/`: the LMS posts a learner's grade in a course run, form-encoded
//! (`verified=True`, `percent_grade=0.85`, absent fields left out) or as JSON. A POST creates or
//! updates the learner's one grade for that run; `PUT`/`PATCH /grades/{id}/` change it by id.
//!
//! Unlike upstream, an update older than the stored grade is ignored: when both carry
//! `lms_last_updated_at` and the posted one is earlier, the stored grade stays and is returned.
//! An update without the field counts as the newest.

use chrono::{DateTime, Utc};
use lambda_http::http::{Method, StatusCode};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::app::App;
use crate::domain::{CourseRunKey, Percent, UserGrade, Username};
use crate::http::{ApiError, Request, Response, body, check_csrf, json, require_user};
use crate::store::StoreError;
use crate::store::grades::new_grade_id;
use crate::store::optimistic::Stored;

use super::wire::{self, FieldErrors};
use super::{GRADES_THROTTLE, WRITE_ATTEMPTS, concurrent_change, require_staff, throttle};

/// Upstream's limit on the letter grade.
const LETTER_GRADE_LIMIT: usize = 255;

/// A grade as the grades routes return it; `percent_grade` is a string with four decimals.
#[derive(Debug, Serialize)]
struct GradeRepresentation {
    id: u64,
    username: String,
    course_run: String,
    letter_grade: String,
    percent_grade: String,
    verified: bool,
    lms_last_updated_at: Option<String>,
    created: String,
    modified: String,
}

fn represent(grade: &UserGrade) -> GradeRepresentation {
    GradeRepresentation {
        id: grade.id,
        username: grade.username.to_string(),
        course_run: grade.course_run.to_string(),
        letter_grade: grade.letter_grade.clone(),
        percent_grade: grade.percent_grade.to_string(),
        verified: grade.verified,
        lms_last_updated_at: grade.lms_last_updated_at.as_ref().map(wire::timestamp),
        created: wire::timestamp(&grade.created),
        modified: wire::timestamp(&grade.modified),
    }
}

/// The fields of a grade request. `None` is a field the request left out.
#[derive(Debug, Clone, Default)]
struct GradeFields {
    username: Option<Username>,
    /// The posted key text; checked against the catalog where it matters.
    course_run: Option<String>,
    letter_grade: Option<String>,
    percent_grade: Option<Percent>,
    verified: Option<bool>,
    /// `Some(None)` for null or empty, which sets no timestamp.
    lms_last_updated_at: Option<Option<DateTime<Utc>>>,
}

/// Reads the fields; POST and PUT require username, course run and percent grade.
fn parse_fields(body: &Map<String, Value>, complete: bool) -> Result<GradeFields, ApiError> {
    let mut errors = FieldErrors::new();
    let mut fields = GradeFields::default();

    if complete || body.contains_key("username") {
        fields.username = wire::required_text(body, "username", &mut errors).and_then(|text| {
            Username::parse(text)
                .map_err(|e| errors.add("username", e.to_string()))
                .ok()
        });
    }
    if complete || body.contains_key("course_run") {
        fields.course_run = wire::required_text(body, "course_run", &mut errors).map(str::to_owned);
    }
    fields.letter_grade = match body.get("letter_grade") {
        None => None,
        // The LMS sends null for learners without a letter grade yet; stored as empty.
        Some(Value::Null) => Some(String::new()),
        Some(Value::String(text)) if text.chars().count() <= LETTER_GRADE_LIMIT => {
            Some(text.clone())
        }
        Some(Value::String(_)) => {
            errors.add(
                "letter_grade",
                format!("Ensure this field has no more than {LETTER_GRADE_LIMIT} characters."),
            );
            None
        }
        Some(_) => {
            errors.add("letter_grade", "Not a valid string.");
            None
        }
    };
    fields.percent_grade = match body.get("percent_grade") {
        None if complete => {
            errors.add("percent_grade", wire::REQUIRED);
            None
        }
        None => None,
        Some(Value::Number(number)) => parse_percent(&number.to_string(), &mut errors),
        Some(Value::String(text)) => parse_percent(text, &mut errors),
        Some(_) => {
            errors.add("percent_grade", "A valid number is required.");
            None
        }
    };
    fields.verified = wire::optional_boolean(body, "verified", &mut errors);
    fields.lms_last_updated_at = wire::optional_datetime(body, "lms_last_updated_at", &mut errors);

    errors.into_result()?;
    Ok(fields)
}

fn parse_percent(text: &str, errors: &mut FieldErrors) -> Option<Percent> {
    Percent::parse(text)
        .map_err(|error| errors.add("percent_grade", error.to_string()))
        .ok()
}

fn unknown_run(key: &str) -> ApiError {
    ApiError::invalid_field("course_run", format!("No CourseRun exists for key [{key}]"))
}

/// Returns true when an update carries an `lms_last_updated_at` earlier than the stored one.
fn is_stale(stored: &UserGrade, fields: &GradeFields) -> bool {
    match (stored.lms_last_updated_at, fields.lms_last_updated_at) {
        (Some(stored_at), Some(Some(posted_at))) => posted_at < stored_at,
        _ => false,
    }
}

/// Applies a request to a grade. Left-out fields keep their stored value; on a new
/// grade, `verified` defaults to true and the letter grade to empty. A null timestamp keeps a
/// stored one, so an update without it cannot erase what orders later updates.
fn apply(
    stored: Option<&UserGrade>,
    fields: &GradeFields,
    fresh: UserGrade,
    now: DateTime<Utc>,
) -> UserGrade {
    let mut grade = stored.cloned().unwrap_or(fresh);
    if let Some(letter_grade) = &fields.letter_grade {
        grade.letter_grade.clone_from(letter_grade);
    }
    if let Some(percent_grade) = fields.percent_grade {
        grade.percent_grade = percent_grade;
    }
    if let Some(verified) = fields.verified {
        grade.verified = verified;
    }
    if let Some(Some(at)) = fields.lms_last_updated_at {
        grade.lms_last_updated_at = Some(at);
    }
    grade.modified = now;
    grade
}

/// Returns true when two states of a grade differ only in `modified`.
fn same_content(stored: &UserGrade, candidate: &UserGrade) -> bool {
    let mut comparable = candidate.clone();
    comparable.modified = stored.modified;
    &comparable == stored
}

/// Applies a request to a stored grade (or creates it) and writes the result when it changed.
/// Returns the grade as stored after the request.
async fn merge_and_write(
    app: &App,
    stored: Option<Stored<UserGrade>>,
    fields: &GradeFields,
    fresh: UserGrade,
) -> Result<(UserGrade, &'static str), ApiError> {
    if let Some(stored) = &stored
        && is_stale(&stored.value, fields)
    {
        return Ok((stored.value.clone(), "stale"));
    }
    let now = Utc::now();
    let grade = apply(stored.as_ref().map(|s| &s.value), fields, fresh, now);
    if let Some(stored) = &stored
        && same_content(&stored.value, &grade)
    {
        return Ok((stored.value.clone(), "unchanged"));
    }
    app.store
        .write_grade(&grade, stored.as_ref().map(|s| s.data.as_str()))
        .await?;
    Ok((
        grade,
        if stored.is_some() {
            "updated"
        } else {
            "created"
        },
    ))
}

/// Runs a read-modify-write again when a concurrent change beats it.
async fn with_retries<F, Fut>(mut attempt_once: F) -> Result<(UserGrade, &'static str), ApiError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(UserGrade, &'static str), ApiError>>,
{
    let mut attempt = 1;
    loop {
        match attempt_once().await {
            Err(ApiError::Store(StoreError::ConditionFailed { .. }))
                if attempt < WRITE_ATTEMPTS =>
            {
                attempt += 1;
            }
            Err(ApiError::Store(StoreError::ConditionFailed { .. })) => {
                return Err(concurrent_change("grade"));
            }
            other => return other,
        }
    }
}

/// `POST /api/v2/grades/`: creates or updates the learner's grade in the run; 201 either way.
pub async fn create(app: &App, request: &Request) -> Result<Response, ApiError> {
    let identity = require_user(app, request)?;
    check_csrf(app, request, &identity)?;
    require_staff(&identity)?;
    throttle(app, &identity, GRADES_THROTTLE).await?;

    let fields = parse_fields(&body::parse_object(request)?, true)?;
    let (Some(username), Some(run_text), Some(percent_grade)) =
        (&fields.username, &fields.course_run, fields.percent_grade)
    else {
        return Err(ApiError::invalid_field("non_field_errors", "Invalid data."));
    };
    let course_run = CourseRunKey::parse(run_text).map_err(|_| unknown_run(run_text))?;

    let (grade, outcome) = with_retries(|| async {
        let (snapshot, stored) =
            tokio::join!(app.snapshot(), app.store.get_grade(username, &course_run));
        let (snapshot, stored) = (snapshot?, stored?);
        if snapshot.catalog.run_by_key(&course_run).is_none() {
            return Err(unknown_run(run_text));
        }
        let now = Utc::now();
        let fresh = UserGrade {
            id: new_grade_id(),
            username: username.clone(),
            course_run: course_run.clone(),
            letter_grade: String::new(),
            percent_grade,
            verified: true,
            lms_last_updated_at: None,
            created: now,
            modified: now,
        };
        merge_and_write(app, stored, &fields, fresh).await
    })
    .await?;

    tracing::info!(grade = grade.id, outcome, "grade posted");
    Ok(json(StatusCode::CREATED, &represent(&grade)))
}

/// `PUT`/`PATCH /api/v2/grades/{id}/`: changes a grade by id; 200. PUT requires the same fields
/// as a POST. The stale-update rule applies as for a POST.
// NOTE: upstream also lets these move a grade to another learner or course run. That would
// change the grade's key here, so it is rejected with a 400; post a new grade instead.
pub async fn update(app: &App, request: &Request, id: &str) -> Result<Response, ApiError> {
    let identity = require_user(app, request)?;
    check_csrf(app, request, &identity)?;
    require_staff(&identity)?;
    throttle(app, &identity, GRADES_THROTTLE).await?;
    let id: u64 = id.parse().map_err(|_| ApiError::not_found())?;

    let fields = parse_fields(
        &body::parse_object(request)?,
        request.method() == Method::PUT,
    )?;
    let (grade, outcome) = with_retries(|| async {
        let stored = app
            .store
            .find_grade(id)
            .await?
            .ok_or_else(ApiError::not_found)?;
        if fields
            .username
            .as_ref()
            .is_some_and(|username| username != &stored.value.username)
        {
            return Err(ApiError::invalid_field(
                "username",
                "A grade cannot move to another learner; post a new grade instead.",
            ));
        }
        if fields
            .course_run
            .as_deref()
            .is_some_and(|run| run != stored.value.course_run.as_str())
        {
            return Err(ApiError::invalid_field(
                "course_run",
                "A grade cannot move to another course run; post a new grade instead.",
            ));
        }
        let fresh = stored.value.clone();
        merge_and_write(app, Some(stored), &fields, fresh).await
    })
    .await?;

    tracing::info!(grade = grade.id, outcome, "grade changed");
    Ok(json(StatusCode::OK, &represent(&grade)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields(body: Value, complete: bool) -> Result<GradeFields, ApiError> {
        match body {
            Value::Object(map) => parse_fields(&map, complete),
            _ => unreachable!("test bodies are objects"),
        }
    }

    #[test]
    fn form_values_parse_as_the_lms_sends_them() {
        let parsed = fields(
            json!({
                "username": "lrn_ada", "course_run": "course-v1:A+B+C", "letter_grade": "",
                "percent_grade": "0.85", "verified": "True",
                "lms_last_updated_at": "2024-03-01 12:00:00.123456+00:00",
            }),
            true,
        )
        .unwrap();
        assert_eq!(parsed.percent_grade.unwrap().ten_thousandths(), 8500);
        assert_eq!(parsed.verified, Some(true));
        assert_eq!(parsed.letter_grade.as_deref(), Some(""));
        assert!(matches!(parsed.lms_last_updated_at, Some(Some(_))));
    }

    #[test]
    fn json_null_letter_grade_is_empty() {
        let parsed = fields(
            json!({"username": "lrn_ada", "course_run": "x", "percent_grade": 0.9, "letter_grade": null}),
            true,
        )
        .unwrap();
        assert_eq!(parsed.letter_grade.as_deref(), Some(""));
        assert_eq!(parsed.percent_grade.unwrap().to_string(), "0.9000");
    }

    #[test]
    fn five_decimal_places_are_rejected() {
        let error = fields(
            json!({"username": "lrn_ada", "course_run": "x", "percent_grade": "0.12345"}),
            true,
        )
        .unwrap_err();
        match error {
            ApiError::Invalid(body) => assert!(body.get("percent_grade").is_some(), "{body}"),
            other => panic!("expected a 400, got {other:?}"),
        }
    }

    #[test]
    fn patch_needs_no_fields() {
        assert!(fields(json!({}), false).is_ok());
        assert!(fields(json!({}), true).is_err());
    }
}
