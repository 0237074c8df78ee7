//! `/api/v2/credentials/`: the LMS upserts course and program credentials and reads a learner's
//! awards back; staff retrieve, change and revoke single credentials by uuid.
//!
//! An upsert reads the stored credential, merges the request into it and writes it back with one
//! conditional request, so a retried identical POST changes nothing and publishes no event.

use chrono::{DateTime, Utc};
use lambda_http::http::{Method, StatusCode};
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::app::App;
use crate::auth::Identity;
use crate::config::Config;
use crate::domain::{
    Catalog, CertificateType, CourseCertificate, CourseRunKey, CredentialAttribute,
    CredentialStatus, CredentialSubject, LearnerProfile, SiteSettings, UserCredential, Username,
    Uuid,
};
use crate::events::{self, DomainEvent};
use crate::http::{ApiError, Request, Response, body, check_csrf, json, query_pairs, require_user};
use crate::store::StoreError;
use crate::store::credentials::{CredentialWrite, ProfileWrite, credential_key, subject_key};
use crate::store::keys;
use crate::store::optimistic::Stored;

use super::wire::{self, FieldErrors, REQUIRED};
use super::{CREDENTIALS_THROTTLE, WRITE_ATTEMPTS, concurrent_change, require_staff, throttle};

/// Upstream's limit on attribute names and values.
const ATTRIBUTE_TEXT_LIMIT: usize = 255;

/// A credential as every credentials route returns it.
#[derive(Debug, Serialize)]
pub struct CredentialRepresentation {
    username: String,
    credential: Value,
    status: &'static str,
    uuid: String,
    attributes: Vec<CredentialAttribute>,
    date_override: Option<Value>,
    created: String,
    modified: String,
    certificate_url: String,
}

// NOTE: upstream adds `credential_id`, the numeric id of the program certificate configuration,
// to program credentials. Configurations here have no numeric id, so it is left out; the LMS
// does not read it.
fn represent(config: &Config, credential: &UserCredential) -> CredentialRepresentation {
    let subject = match &credential.subject {
        CredentialSubject::CourseRun {
            course_run_key,
            mode,
        } => json!({"type": "course-run", "course_run_key": course_run_key, "mode": mode}),
        CredentialSubject::Program { program_uuid } => {
            json!({"type": "program", "program_uuid": program_uuid.dashed()})
        }
    };
    CredentialRepresentation {
        username: credential.username.to_string(),
        credential: subject,
        status: credential.status.as_str(),
        uuid: credential.uuid.dashed(),
        attributes: credential.attributes.clone(),
        date_override: credential
            .date_override
            .map(|date| json!({"date": wire::timestamp(&date)})),
        created: wire::timestamp(&credential.created),
        modified: wire::timestamp(&credential.modified),
        certificate_url: config.public_url(&format!("/credentials/{}/", credential.uuid.hex())),
    }
}

/// The fields of a POST, checked for shape but not yet against the catalog and settings.
#[derive(Debug, Clone)]
struct CredentialPost {
    username: Username,
    lms_user_id: Option<u64>,
    status: CredentialStatus,
    target: Target,
    attributes: Vec<CredentialAttribute>,
    date_override: Option<DateTime<Utc>>,
}

/// The credential a POST names.
#[derive(Debug, Clone)]
enum Target {
    /// The uuid as parsed, and as posted for messages.
    Program { uuid: Uuid, posted: String },
    CourseRun {
        key: CourseRunKey,
        mode: Option<CertificateType>,
    },
}

/// `POST /api/v2/credentials/`: creates or updates a credential; 201 either way.
pub async fn create(app: &App, request: &Request) -> Result<Response, ApiError> {
    let identity = require_user(app, request)?;
    check_csrf(app, request, &identity)?;
    require_staff(&identity)?;
    throttle(app, &identity, CREDENTIALS_THROTTLE).await?;

    let post = parse_post(&body::parse_object(request)?)?;
    let mut attempt = 1;
    let outcome = loop {
        match upsert(app, &post).await {
            Err(ApiError::Store(StoreError::ConditionFailed { .. }))
                if attempt < WRITE_ATTEMPTS =>
            {
                attempt += 1;
            }
            Err(ApiError::Store(StoreError::ConditionFailed { .. })) => {
                return Err(concurrent_change("credential"));
            }
            other => break other?,
        }
    };

    tracing::info!(
        credential = %outcome.credential.uuid,
        status = outcome.credential.status.as_str(),
        changed = outcome.changed,
        created = outcome.created,
        "credential posted"
    );
    if outcome.changed {
        let events = credential_events(&outcome.credential, outcome.created, post.lms_user_id);
        app.events.publish_or_log(events).await;
    }
    Ok(json(
        StatusCode::CREATED,
        &represent(&app.config, &outcome.credential),
    ))
}

/// The result of one upsert.
struct Upserted {
    credential: UserCredential,
    /// Whether this request created the credential item.
    created: bool,
    /// Whether the credential differs from what was stored before.
    changed: bool,
}

/// Reads, merges and writes once. A lost race comes back as `StoreError::ConditionFailed`.
async fn upsert(app: &App, post: &CredentialPost) -> Result<Upserted, ApiError> {
    let store = &app.store;
    let guessed_key = match &post.target {
        Target::Program { uuid, .. } => Some(keys::program_credential(&post.username, uuid)),
        Target::CourseRun { key, mode } => {
            mode.map(|mode| keys::course_credential(&post.username, key, mode))
        }
    };
    let read_profile = async {
        match post.lms_user_id {
            Some(_) => {
                store
                    .get_stored::<LearnerProfile>(&keys::profile(&post.username))
                    .await
            }
            None => Ok(None),
        }
    };
    let read_guess = async {
        match &guessed_key {
            Some(key) => store.get_credential(key).await,
            None => Ok(None),
        }
    };
    let (snapshot, guessed, profile) = tokio::join!(app.snapshot(), read_guess, read_profile);
    let (snapshot, guessed, profile) = (snapshot?, guessed?, profile?);

    let now = Utc::now();
    let (subject, new_course_certificate) =
        resolve_target(&post.target, &snapshot.catalog, &snapshot.settings, now)?;
    let key = subject_key(&post.username, &subject);
    let existing = if guessed_key.as_ref() == Some(&key) {
        guessed
    } else {
        store.get_credential(&key).await?
    };

    let credential = apply_post(existing.as_ref().map(|s| &s.value), post, subject, now);
    let changed = existing
        .as_ref()
        .is_none_or(|stored| !same_content(&stored.value, &credential));
    let profile_update = post
        .lms_user_id
        .and_then(|id| profile_with_lms_user_id(&post.username, profile.as_ref(), id));

    if !changed && new_course_certificate.is_none() && profile_update.is_none() {
        let stored = existing.map(|s| s.value).unwrap_or(credential);
        return Ok(Upserted {
            credential: stored,
            created: false,
            changed: false,
        });
    }

    // An unchanged credential written along with a profile or configuration keeps its
    // `modified` and every other field as stored.
    let credential = match (&existing, changed) {
        (Some(stored), false) => stored.value.clone(),
        _ => credential,
    };
    store
        .write_credential(CredentialWrite {
            credential: &credential,
            previous: existing.as_ref().map(|s| s.data.as_str()),
            new_course_certificate: new_course_certificate.as_ref(),
            profile: profile_update.as_ref().map(|fresh| ProfileWrite {
                profile: fresh,
                previous: profile.as_ref().map(|s| s.data.as_str()),
            }),
        })
        .await?;
    Ok(Upserted {
        credential,
        created: existing.is_none(),
        changed,
    })
}

/// Returns the stored profile with the posted LMS user id, or `None` when it already has that id.
fn profile_with_lms_user_id(
    username: &Username,
    stored: Option<&Stored<LearnerProfile>>,
    lms_user_id: u64,
) -> Option<LearnerProfile> {
    let current = stored.map(|s| &s.value);
    if current.is_some_and(|profile| profile.lms_user_id == Some(lms_user_id)) {
        return None;
    }
    let mut fresh = current.cloned().unwrap_or_default();
    fresh.username = Some(username.clone());
    fresh.lms_user_id = Some(lms_user_id);
    Some(fresh)
}

/// Checks the posted credential against the catalog and the certificate configurations, and
/// returns its subject, with the course certificate configuration to create when the run has
/// none yet.
fn resolve_target(
    target: &Target,
    catalog: &Catalog,
    settings: &SiteSettings,
    now: DateTime<Utc>,
) -> Result<(CredentialSubject, Option<CourseCertificate>), ApiError> {
    match target {
        Target::Program { uuid, posted } => {
            let active = settings
                .program_certificate(uuid)
                .is_some_and(|configuration| configuration.is_active);
            if !active {
                return Err(ApiError::Invalid(json!({"credential": {
                    "program_uuid": format!("No active ProgramCertificate exists for program [{posted}]")
                }})));
            }
            Ok((
                CredentialSubject::Program {
                    program_uuid: *uuid,
                },
                None,
            ))
        }
        Target::CourseRun { key, mode } => {
            if catalog.run_by_key(key).is_none() {
                return Err(run_not_in_catalog(key.as_str()));
            }
            match course_configuration(settings, key, *mode) {
                Some(configuration) if configuration.is_active => Ok((
                    CredentialSubject::CourseRun {
                        course_run_key: key.clone(),
                        mode: configuration.certificate_type,
                    },
                    None,
                )),
                Some(_) => Err(ApiError::Invalid(json!({"credential": {
                    "course_run_key": format!("No active CourseCertificate exists for course run [{key}]")
                }}))),
                None => {
                    let Some(mode) = mode else {
                        return Err(ApiError::Invalid(json!({"credential": {
                            "mode": format!("This field is required: course run {key} has no certificate configuration yet, and its mode sets the configuration's certificate type.")
                        }})));
                    };
                    let configuration = CourseCertificate {
                        course_id: key.clone(),
                        certificate_type: *mode,
                        certificate_available_date: None,
                        is_active: true,
                        created: now,
                        modified: now,
                    };
                    Ok((
                        CredentialSubject::CourseRun {
                            course_run_key: key.clone(),
                            mode: *mode,
                        },
                        Some(configuration),
                    ))
                }
            }
        }
    }
}

/// Picks the configuration a course credential attaches to. A credential POST never changes an
/// existing configuration, so a posted mode that differs from it does not create a second one.
/// The configuration of the posted mode wins, else an active one, else any.
fn course_configuration<'a>(
    settings: &'a SiteSettings,
    key: &CourseRunKey,
    mode: Option<CertificateType>,
) -> Option<&'a CourseCertificate> {
    let mut candidates: Vec<&CourseCertificate> = settings
        .course_certificates
        .iter()
        .filter(|configuration| &configuration.course_id == key)
        .collect();
    candidates.sort_by_key(|configuration| {
        (
            Some(configuration.certificate_type) != mode,
            !configuration.is_active,
            configuration.certificate_type.as_str(),
        )
    });
    candidates.first().copied()
}

fn run_not_in_catalog(key: &str) -> ApiError {
    ApiError::Invalid(json!({"credential": {
        "course_run_key": format!("CourseCertificate failed to create because the CourseRun {key} doesn't exist in the catalog")
    }}))
}

/// Applies a POST to a credential: creates it with a new uuid when there is none, sets the
/// status, merges attributes by name (attributes not posted stay), and for course credentials
/// sets or removes the date override.
fn apply_post(
    existing: Option<&UserCredential>,
    post: &CredentialPost,
    subject: CredentialSubject,
    now: DateTime<Utc>,
) -> UserCredential {
    let mut credential = existing.cloned().unwrap_or_else(|| UserCredential {
        uuid: Uuid::new_v4(),
        username: post.username.clone(),
        subject,
        status: post.status,
        attributes: Vec::new(),
        date_override: None,
        created: now,
        modified: now,
    });
    credential.status = post.status;
    for attribute in &post.attributes {
        match credential
            .attributes
            .iter_mut()
            .find(|stored| stored.name == attribute.name)
        {
            Some(stored) => stored.value.clone_from(&attribute.value),
            None => credential.attributes.push(attribute.clone()),
        }
    }
    if matches!(credential.subject, CredentialSubject::CourseRun { .. }) {
        credential.date_override = post.date_override;
    }
    credential.modified = now;
    credential
}

/// Returns true when two states of a credential differ only in `modified`.
fn same_content(stored: &UserCredential, candidate: &UserCredential) -> bool {
    let mut comparable = candidate.clone();
    comparable.modified = stored.modified;
    &comparable == stored
}

fn parse_post(body: &Map<String, Value>) -> Result<CredentialPost, ApiError> {
    let mut errors = FieldErrors::new();

    let username = wire::required_text(body, "username", &mut errors).and_then(|text| {
        Username::parse(text)
            .map_err(|e| errors.add("username", e.to_string()))
            .ok()
    });
    let lms_user_id = match body.get("lms_user_id") {
        None | Some(Value::Null) => None,
        Some(Value::Number(number)) => number.as_u64().or_else(|| {
            errors.add("lms_user_id", "A valid integer is required.");
            None
        }),
        Some(Value::String(text)) => text.trim().parse().ok().or_else(|| {
            errors.add("lms_user_id", "A valid integer is required.");
            None
        }),
        Some(_) => {
            errors.add("lms_user_id", "A valid integer is required.");
            None
        }
    };
    let status = match body.get("status") {
        None | Some(Value::Null) => Some(CredentialStatus::Awarded),
        Some(Value::String(text)) => CredentialStatus::parse(text)
            .map_err(|_| errors.add("status", format!("\"{text}\" is not a valid choice.")))
            .ok(),
        Some(other) => {
            errors.add("status", format!("\"{other}\" is not a valid choice."));
            None
        }
    };
    let target = parse_target(body.get("credential"), &mut errors);
    let attributes = parse_attributes(body.get("attributes"), &mut errors);
    let date_override = parse_date_override(body.get("date_override"), &mut errors);

    errors.into_result()?;
    match (username, status, target, attributes, date_override) {
        (Some(username), Some(status), Some(target), Some(attributes), Some(date_override)) => {
            Ok(CredentialPost {
                username,
                lms_user_id,
                status,
                target,
                attributes,
                date_override,
            })
        }
        _ => Err(ApiError::invalid_field("non_field_errors", "Invalid data.")),
    }
}

fn parse_target(value: Option<&Value>, errors: &mut FieldErrors) -> Option<Target> {
    let fields = match value {
        None => {
            errors.add("credential", REQUIRED);
            return None;
        }
        Some(Value::Object(fields)) => fields,
        Some(_) => {
            errors.add(
                "credential",
                "Expected an object with course_run_key and mode, or program_uuid.",
            );
            return None;
        }
    };

    match fields.get("program_uuid") {
        None | Some(Value::Null) => {}
        Some(Value::String(text)) if text.is_empty() => {}
        Some(Value::String(text)) => {
            return match Uuid::parse(text) {
                Ok(uuid) => Some(Target::Program {
                    uuid,
                    posted: text.clone(),
                }),
                Err(error) => {
                    errors.set("credential", json!({"program_uuid": error.to_string()}));
                    None
                }
            };
        }
        Some(other) => {
            errors.set(
                "credential",
                json!({"program_uuid": format!("invalid UUID {other}: expected a string")}),
            );
            return None;
        }
    }

    let key_text = match fields.get("course_run_key") {
        Some(Value::String(text)) if !text.is_empty() => text,
        _ => {
            errors.add("credential", "Credential identifier is missing.");
            return None;
        }
    };
    let mode = match fields.get("mode") {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) => match CertificateType::parse(text) {
            Ok(mode) => Some(mode),
            Err(error) => {
                errors.set("credential", json!({"mode": error.to_string()}));
                return None;
            }
        },
        Some(other) => {
            errors.set(
                "credential",
                json!({"mode": format!("invalid certificate type {other}: expected a string")}),
            );
            return None;
        }
    };
    // A key that does not parse cannot be in the catalog either, so it gets the catalog message.
    match CourseRunKey::parse(key_text) {
        Ok(key) => Some(Target::CourseRun { key, mode }),
        Err(_) => {
            errors.set(
                "credential",
                json!({"course_run_key": format!("CourseCertificate failed to create because the CourseRun {key_text} doesn't exist in the catalog")}),
            );
            None
        }
    }
}

fn parse_attributes(
    value: Option<&Value>,
    errors: &mut FieldErrors,
) -> Option<Vec<CredentialAttribute>> {
    let items = match value {
        None | Some(Value::Null) => return Some(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(_) => {
            errors.add(
                "attributes",
                "Expected a list of items but got another type.",
            );
            return None;
        }
    };

    let mut attributes = Vec::with_capacity(items.len());
    for item in items {
        let text = |field: &str| match item.get(field) {
            Some(Value::String(text)) if text.chars().count() <= ATTRIBUTE_TEXT_LIMIT => {
                Some(text.clone())
            }
            _ => None,
        };
        match (text("name"), text("value")) {
            (Some(name), Some(value)) if !name.is_empty() => {
                attributes.push(CredentialAttribute { name, value });
            }
            _ => {
                errors.add(
                    "attributes",
                    format!("Each attribute needs a non-empty name and a value, both strings of at most {ATTRIBUTE_TEXT_LIMIT} characters."),
                );
                return None;
            }
        }
    }

    let mut names: Vec<&str> = attributes.iter().map(|a| a.name.as_str()).collect();
    names.sort_unstable();
    if names.windows(2).any(|pair| pair[0] == pair[1]) {
        errors.add("attributes", "Attribute names cannot be duplicated.");
        return None;
    }
    Some(attributes)
}

/// `None` when the field is invalid; `Some(None)` when the override is absent or null, which
/// removes a stored one.
fn parse_date_override(
    value: Option<&Value>,
    errors: &mut FieldErrors,
) -> Option<Option<DateTime<Utc>>> {
    match value {
        None | Some(Value::Null) => Some(None),
        Some(Value::Object(fields)) => match fields.get("date") {
            Some(Value::String(text)) => match wire::parse_datetime(text) {
                Some(date) => Some(Some(date)),
                None => {
                    errors.set(
                        "date_override",
                        json!({"date": [wire::DATETIME_FORMAT_MESSAGE]}),
                    );
                    None
                }
            },
            None => {
                errors.set("date_override", json!({"date": [REQUIRED]}));
                None
            }
            Some(_) => {
                errors.set(
                    "date_override",
                    json!({"date": [wire::DATETIME_FORMAT_MESSAGE]}),
                );
                None
            }
        },
        Some(_) => {
            errors.add(
                "date_override",
                "Invalid data. Expected a dictionary with a date.",
            );
            None
        }
    }
}

/// Builds the events of an accepted credential change: awarded or revoked for every credential,
/// plus the program award that the partner follow-up listens to. Its `first_award` is true only
/// when this request created the credential.
fn credential_events(
    credential: &UserCredential,
    first_award: bool,
    lms_user_id: Option<u64>,
) -> Vec<DomainEvent> {
    let detail_type = match credential.status {
        CredentialStatus::Awarded => events::CREDENTIAL_AWARDED,
        CredentialStatus::Revoked => events::CREDENTIAL_REVOKED,
    };
    let mut detail = json!({
        "username": credential.username,
        "credential_uuid": credential.uuid.dashed(),
        "status": credential.status.as_str(),
    });
    match &credential.subject {
        CredentialSubject::CourseRun { course_run_key, .. } => {
            detail["type"] = json!("course-run");
            detail["course_run_key"] = json!(course_run_key);
        }
        CredentialSubject::Program { program_uuid } => {
            detail["type"] = json!("program");
            detail["program_uuid"] = json!(program_uuid.dashed());
        }
    }
    let mut published = vec![DomainEvent::new(detail_type, detail)];

    if let (Some(program_uuid), CredentialStatus::Awarded) =
        (credential.program_uuid(), credential.status)
    {
        published.push(DomainEvent::new(
            events::PROGRAM_CREDENTIAL_AWARDED,
            json!({
                "username": credential.username,
                "program_uuid": program_uuid.dashed(),
                "credential_uuid": credential.uuid.dashed(),
                "lms_user_id": lms_user_id,
                "first_award": first_award,
            }),
        ));
    }
    published
}

/// The filters of the credentials listing.
#[derive(Debug, Default)]
struct ListFilters {
    username: Option<String>,
    status: Option<CredentialStatus>,
    kind: Option<&'static str>,
    /// `Some(None)` for a program uuid that does not parse, which matches nothing.
    program: Option<Option<Uuid>>,
    only_visible: bool,
}

impl ListFilters {
    /// Reads the filters as django-filter does: empty values are no filter, an unknown `type`
    /// or `only_visible` is ignored, an unknown `status` is a 400.
    fn parse(request: &Request) -> Result<Self, ApiError> {
        let mut filters = Self::default();
        for (name, value) in query_pairs(request) {
            if value.is_empty() {
                continue;
            }
            match name.as_str() {
                "username" => filters.username = Some(value),
                "status" => {
                    filters.status = Some(CredentialStatus::parse(&value).map_err(|_| {
                        ApiError::invalid_field(
                            "status",
                            format!("Select a valid choice. {value} is not one of the available choices."),
                        )
                    })?);
                }
                "type" => {
                    filters.kind = match value.as_str() {
                        "program" => Some("program"),
                        "course-run" => Some("course-run"),
                        _ => None,
                    }
                }
                "program_uuid" => filters.program = Some(Uuid::parse(&value).ok()),
                "only_visible" => {
                    filters.only_visible = matches!(value.as_str(), "True" | "true" | "1")
                }
                _ => {}
            }
        }
        Ok(filters)
    }
}

/// `GET /api/v2/credentials/`: a DRF page of credentials. Staff list anyone's; a learner may
/// list only their own, by passing their username (compared case-insensitively).
pub async fn list(app: &App, request: &Request) -> Result<Response, ApiError> {
    let identity = require_user(app, request)?;
    let filters = ListFilters::parse(request)?;
    let own = filters
        .username
        .as_deref()
        .is_some_and(|name| name.to_lowercase() == identity.username.as_str().to_lowercase());
    if !identity.is_staff && !own {
        return Err(ApiError::permission_denied());
    }
    throttle(app, &identity, CREDENTIALS_THROTTLE).await?;

    let (snapshot, credentials) = load_for_listing(app, &identity, &filters).await?;
    let now = Utc::now();
    let program_runs: Vec<CourseRunKey> = match filters.program {
        Some(Some(uuid)) => snapshot
            .catalog
            .program(&uuid)
            .map(|program| {
                program
                    .course_runs
                    .iter()
                    .filter_map(|run| snapshot.catalog.run(run).map(|(_, run)| run.key.clone()))
                    .collect()
            })
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    // Program visibility depends on the learner's other credentials, so it is decided over the
    // whole unfiltered set.
    let mut selected: Vec<UserCredential> = credentials
        .iter()
        .filter(|credential| {
            !filters.only_visible
                || is_visible(
                    credential,
                    &credentials,
                    &snapshot.catalog,
                    &snapshot.settings,
                    now,
                )
        })
        .filter(|credential| matches_filters(credential, &filters, &program_runs))
        .cloned()
        .collect();
    selected.sort_by(|a, b| a.created.cmp(&b.created).then(a.uuid.cmp(&b.uuid)));

    let page = wire::paginate(&app.config, request, selected)?;
    let results: Vec<CredentialRepresentation> = page
        .results
        .iter()
        .map(|credential| represent(&app.config, credential))
        .collect();
    Ok(json(
        StatusCode::OK,
        &wire::Page {
            count: page.count,
            next: page.next,
            previous: page.previous,
            results,
        },
    ))
}

/// Loads the catalog snapshot and the credentials to filter: one learner partition when a
/// username is given (the requester's own, for a learner), else every credential.
async fn load_for_listing(
    app: &App,
    identity: &Identity,
    filters: &ListFilters,
) -> Result<(crate::store::cache::Snapshot, Vec<UserCredential>), ApiError> {
    let partition = match &filters.username {
        Some(_) if !identity.is_staff => Some(identity.username.clone()),
        Some(name) => match Username::parse(name) {
            Ok(username) => Some(username),
            // A name that cannot be a username has no credentials.
            Err(_) => return Ok((app.snapshot().await?, Vec::new())),
        },
        None => None,
    };
    match partition {
        Some(username) => {
            let (snapshot, learner) =
                tokio::join!(app.snapshot(), app.store.load_learner(&username));
            Ok((snapshot?, learner?.credentials))
        }
        None => {
            let (snapshot, credentials) =
                tokio::join!(app.snapshot(), app.store.list_all_credentials());
            Ok((snapshot?, credentials?))
        }
    }
}

fn matches_filters(
    credential: &UserCredential,
    filters: &ListFilters,
    program_runs: &[CourseRunKey],
) -> bool {
    if filters
        .status
        .is_some_and(|status| status != credential.status)
    {
        return false;
    }
    let kind = match credential.subject {
        CredentialSubject::CourseRun { .. } => "course-run",
        CredentialSubject::Program { .. } => "program",
    };
    if filters.kind.is_some_and(|wanted| wanted != kind) {
        return false;
    }
    match &filters.program {
        None => true,
        Some(None) => false,
        Some(Some(uuid)) => match &credential.subject {
            CredentialSubject::Program { program_uuid } => program_uuid == uuid,
            CredentialSubject::CourseRun { course_run_key, .. } => {
                program_runs.contains(course_run_key)
            }
        },
    }
}

/// Decides visibility as the records do. A course credential is visible once its
/// configuration's `certificate_available_date` has passed, or when it has none. A program
/// credential is visible once every course credential of the same learner in the program's runs
/// is visible.
fn is_visible(
    credential: &UserCredential,
    all: &[UserCredential],
    catalog: &Catalog,
    settings: &SiteSettings,
    now: DateTime<Utc>,
) -> bool {
    let course_visible = |key: &CourseRunKey, mode: CertificateType| {
        settings
            .course_certificate(key, mode)
            .is_none_or(|configuration| configuration.is_visible(now))
    };
    match &credential.subject {
        CredentialSubject::CourseRun {
            course_run_key,
            mode,
        } => course_visible(course_run_key, *mode),
        CredentialSubject::Program { program_uuid } => {
            let Some(program) = catalog.program(program_uuid) else {
                return true;
            };
            let runs: Vec<&CourseRunKey> = program
                .course_runs
                .iter()
                .filter_map(|run| catalog.run(run).map(|(_, run)| &run.key))
                .collect();
            all.iter()
                .filter(|other| other.username == credential.username)
                .all(|other| match &other.subject {
                    CredentialSubject::CourseRun {
                        course_run_key,
                        mode,
                    } => !runs.contains(&course_run_key) || course_visible(course_run_key, *mode),
                    CredentialSubject::Program { .. } => true,
                })
        }
    }
}

/// Parses the uuid of a credential route; anything else did not route upstream.
fn credential_uuid(id: &str) -> Result<Uuid, ApiError> {
    Uuid::parse(id).map_err(|_| ApiError::not_found())
}

/// `GET /api/v2/credentials/{uuid}/` (staff only, as upstream's view permission).
pub async fn retrieve(app: &App, request: &Request, id: &str) -> Result<Response, ApiError> {
    let identity = require_user(app, request)?;
    require_staff(&identity)?;
    let uuid = credential_uuid(id)?;
    let stored = app
        .store
        .find_credential(&uuid)
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok(json(StatusCode::OK, &represent(&app.config, &stored.value)))
}

/// `PUT`/`PATCH /api/v2/credentials/{uuid}/` change the status (the only field upstream lets
/// these change); `DELETE` revokes without deleting. Each returns 200 with the representation.
pub async fn update(app: &App, request: &Request, id: &str) -> Result<Response, ApiError> {
    let identity = require_user(app, request)?;
    check_csrf(app, request, &identity)?;
    require_staff(&identity)?;
    throttle(app, &identity, CREDENTIALS_THROTTLE).await?;
    let uuid = credential_uuid(id)?;

    let status = if request.method() == Method::DELETE {
        Some(CredentialStatus::Revoked)
    } else {
        parse_status_change(
            &body::parse_object(request)?,
            request.method() == Method::PUT,
        )?
    };

    let mut attempt = 1;
    let (credential, changed) = loop {
        match change_status(app, &uuid, status).await {
            Err(ApiError::Store(StoreError::ConditionFailed { .. }))
                if attempt < WRITE_ATTEMPTS =>
            {
                attempt += 1;
            }
            Err(ApiError::Store(StoreError::ConditionFailed { .. })) => {
                return Err(concurrent_change("credential"));
            }
            other => break other?,
        }
    };
    tracing::info!(credential = %credential.uuid, status = credential.status.as_str(), changed, "credential changed");
    if changed {
        app.events
            .publish_or_log(credential_events(&credential, false, None))
            .await;
    }
    Ok(json(StatusCode::OK, &represent(&app.config, &credential)))
}

/// Reads the status a PUT or PATCH sets. PUT requires it, PATCH may leave it out.
fn parse_status_change(
    body: &Map<String, Value>,
    required: bool,
) -> Result<Option<CredentialStatus>, ApiError> {
    match body.get("status") {
        None if required => Err(ApiError::invalid_field("status", REQUIRED)),
        None => Ok(None),
        Some(Value::String(text)) => CredentialStatus::parse(text).map(Some).map_err(|_| {
            ApiError::invalid_field("status", format!("\"{text}\" is not a valid choice."))
        }),
        Some(other) => Err(ApiError::invalid_field(
            "status",
            format!("\"{other}\" is not a valid choice."),
        )),
    }
}

/// Sets a credential's status; returns it and whether it changed.
async fn change_status(
    app: &App,
    uuid: &Uuid,
    status: Option<CredentialStatus>,
) -> Result<(UserCredential, bool), ApiError> {
    let indexed = app
        .store
        .find_credential(uuid)
        .await?
        .ok_or_else(ApiError::not_found)?;
    // The index is eventually consistent; the write must merge into the current item.
    let Stored {
        value: mut credential,
        data,
    } = app
        .store
        .get_credential(&credential_key(&indexed.value))
        .await?
        .ok_or_else(ApiError::not_found)?;
    match status {
        Some(status) if status != credential.status => {
            credential.status = status;
            credential.modified = Utc::now();
            app.store
                .write_credential(CredentialWrite {
                    credential: &credential,
                    previous: Some(&data),
                    new_course_certificate: None,
                    profile: None,
                })
                .await?;
            Ok((credential, true))
        }
        _ => Ok((credential, false)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(body: Value) -> Result<CredentialPost, ApiError> {
        match body {
            Value::Object(map) => parse_post(&map),
            _ => unreachable!("test bodies are objects"),
        }
    }

    fn error_body(result: Result<CredentialPost, ApiError>) -> Value {
        match result {
            Err(ApiError::Invalid(body)) => body,
            other => panic!("expected a 400, got {other:?}"),
        }
    }

    #[test]
    fn program_award_without_status_is_awarded() {
        let parsed = post(json!({
            "username": "lrn_ada", "lms_user_id": 7,
            "credential": {"type": "program", "program_uuid": "a3f1b2c4-5d6e-4f70-8192-a3b4c5d6e7f8"},
        }))
        .unwrap();
        assert_eq!(parsed.status, CredentialStatus::Awarded);
        assert_eq!(parsed.lms_user_id, Some(7));
    }

    #[test]
    fn empty_program_uuid_means_identifier_missing() {
        let body = error_body(post(
            json!({"username": "lrn_ada", "credential": {"program_uuid": ""}}),
        ));
        assert_eq!(
            body,
            json!({"credential": ["Credential identifier is missing."]})
        );
    }

    #[test]
    fn duplicate_attribute_names_are_rejected() {
        let body = error_body(post(json!({
            "username": "lrn_ada",
            "credential": {"course_run_key": "course-v1:A+B+C", "mode": "verified"},
            "attributes": [{"name": "a", "value": "1"}, {"name": "a", "value": "2"}],
        })));
        assert_eq!(
            body,
            json!({"attributes": ["Attribute names cannot be duplicated."]})
        );
    }

    #[test]
    fn every_failing_field_is_named() {
        let body = error_body(post(
            json!({"status": "lost", "date_override": {"date": "soon"}}),
        ));
        assert!(body.get("username").is_some(), "{body}");
        assert!(body.get("credential").is_some(), "{body}");
        assert!(body.get("status").is_some(), "{body}");
        assert!(body.get("date_override").is_some(), "{body}");
    }

    #[test]
    fn attributes_merge_by_name() {
        let now = Utc::now();
        let stored = UserCredential {
            uuid: Uuid::new_v4(),
            username: Username::parse("lrn_ada").unwrap(),
            subject: CredentialSubject::Program {
                program_uuid: Uuid::new_v4(),
            },
            status: CredentialStatus::Awarded,
            attributes: vec![
                CredentialAttribute {
                    name: "a".into(),
                    value: "1".into(),
                },
                CredentialAttribute {
                    name: "b".into(),
                    value: "2".into(),
                },
            ],
            date_override: None,
            created: now,
            modified: now,
        };
        let request = post(json!({
            "username": "lrn_ada",
            "credential": {"program_uuid": "a3f1b2c4-5d6e-4f70-8192-a3b4c5d6e7f8"},
            "attributes": [{"name": "b", "value": "3"}, {"name": "c", "value": "4"}],
        }))
        .unwrap();
        let merged = apply_post(Some(&stored), &request, stored.subject.clone(), now);
        let pairs: Vec<(&str, &str)> = merged
            .attributes
            .iter()
            .map(|a| (a.name.as_str(), a.value.as_str()))
            .collect();
        assert_eq!(pairs, vec![("a", "1"), ("b", "3"), ("c", "4")]);
    }
}
