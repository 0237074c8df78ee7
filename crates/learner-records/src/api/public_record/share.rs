//! Creating and revoking public links.

use chrono::Utc;
use lambda_http::http::StatusCode;
use serde_json::{Value, json};

use super::SHARE_LIMIT_PER_MINUTE;
use crate::app::App;
use crate::auth::Identity;
use crate::domain::{PublicLink, Username, Uuid};
use crate::events::{self, DomainEvent};
use crate::http::{ApiError, Request, Response, body, check_csrf, empty, json, require_user};
use crate::store::cache::Snapshot;
use crate::throttle;

/// `POST …/share`: returns the learner's public link for the program, creating it if needed.
pub async fn share(app: &App, request: &Request, program: &Uuid) -> Result<Response, ApiError> {
    let identity = require_user(app, request)?;
    check_csrf(app, request, &identity)?;
    limit_rate(app, &identity).await?;

    // Body and permission errors are reported after the records switch, as upstream orders its
    // checks. They are known now, so the learner is loaded beside the snapshot only when the
    // request can succeed.
    let target = target_username(request, true);
    let permitted = target
        .as_ref()
        .ok()
        .and_then(Option::as_ref)
        .filter(|target| may_act_for(&identity, target));
    let (snapshot, learner) = match permitted {
        Some(target) => {
            let (snapshot, learner) = tokio::join!(app.snapshot(), app.store.load_learner(target));
            (snapshot?, Some(learner?))
        }
        None => (app.snapshot().await?, None),
    };
    ensure_records_enabled(app, &snapshot)?;

    let target = target?.ok_or_else(username_required)?;
    if !may_act_for(&identity, &target) {
        return Err(permission_denied());
    }
    let learner = learner.ok_or_else(|| ApiError::internal("the learner was not loaded"))?;
    // Staff may share for another learner, who must exist. The check comes after the
    // permission check, so learners cannot use it to probe usernames.
    if target != identity.username && !learner.exists() {
        return Err(ApiError::NotFound(json!({"error": "User does not exist"})));
    }
    let Some(program) = snapshot.catalog.program(program) else {
        return Err(ApiError::not_found());
    };

    let site = app.site_configuration(&snapshot.settings);
    let outcome = app
        .store
        .get_or_create_link(
            &target,
            &program.uuid,
            learner.link_for_program(&program.uuid),
            site.public_link_expiry_days,
            Utc::now(),
        )
        .await?;
    let link = outcome.link();
    if outcome.created() {
        tracing::info!(program = %program.uuid.hex(), link = %link.uuid.hex(), "public link created");
        app.events
            .publish_or_log(vec![link_event(events::RECORD_SHARED, link)])
            .await;
    }

    let status = if outcome.created() {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(json(status, &json!({"url": public_link_url(app, link)})))
}

/// `DELETE …/share`: revokes a learner's public link for the program.
pub async fn revoke(app: &App, request: &Request, program: &Uuid) -> Result<Response, ApiError> {
    let identity = require_user(app, request)?;
    check_csrf(app, request, &identity)?;
    limit_rate(app, &identity).await?;

    let target = target_username(request, false);
    let snapshot = app.snapshot().await?;
    ensure_records_enabled(app, &snapshot)?;

    let target = target?.unwrap_or_else(|| identity.username.clone());
    if !may_act_for(&identity, &target) {
        return Err(permission_denied());
    }
    match revoke_public_link(app, &target, program).await? {
        Some(_) => Ok(empty(StatusCode::NO_CONTENT)),
        None => Err(ApiError::not_found()),
    }
}

/// Revokes a learner's public link for a program and publishes the revocation. Returns the
/// revoked link, or `None` when the learner had none. The page, the CSV and the JSON view of
/// the link return 404 from then on, and sharing again creates a link with a new uuid.
pub async fn revoke_public_link(
    app: &App,
    username: &Username,
    program: &Uuid,
) -> Result<Option<PublicLink>, ApiError> {
    let revoked = app.store.revoke_link(username, program).await?;
    if let Some(link) = &revoked {
        tracing::info!(program = %program.hex(), link = %link.uuid.hex(), "public link revoked");
        app.events
            .publish_or_log(vec![link_event(events::RECORD_REVOKED, link)])
            .await;
    }
    Ok(revoked)
}

/// Builds the public URL of a link. It is always this service's own address, which redirects
/// to the MFE when one is configured.
pub fn public_link_url(app: &App, link: &PublicLink) -> String {
    app.config
        .public_url(&format!("/records/programs/shared/{}/", link.uuid.hex()))
}

fn link_event(detail_type: &'static str, link: &PublicLink) -> DomainEvent {
    DomainEvent::new(
        detail_type,
        json!({
            "username": link.username,
            "program_uuid": link.program_uuid,
            "link_uuid": link.uuid,
        }),
    )
}

/// Counts the request against the requester's share limit, with 429 when over it.
async fn limit_rate(app: &App, identity: &Identity) -> Result<(), ApiError> {
    let over = throttle::hit(
        &app.store,
        "share",
        &identity.username,
        SHARE_LIMIT_PER_MINUTE,
    )
    .await?;
    match over {
        Some(retry_after) => Err(ApiError::Throttled {
            body: json!({"error": "Too Many Requests"}),
            retry_after,
        }),
        None => Ok(()),
    }
}

/// Rejects the request with 404 while records are switched off for the site.
fn ensure_records_enabled(app: &App, snapshot: &Snapshot) -> Result<(), ApiError> {
    if app.site_configuration(&snapshot.settings).records_enabled {
        Ok(())
    } else {
        Err(ApiError::not_found())
    }
}

/// Checks whether the requester may share or revoke the target's links: their own, or
/// anyone's for staff.
fn may_act_for(identity: &Identity, target: &Username) -> bool {
    identity.is_staff || &identity.username == target
}

fn permission_denied() -> ApiError {
    ApiError::Forbidden(json!({"error": "Permission denied"}))
}

fn username_required() -> ApiError {
    ApiError::invalid_field("username", "This field is required.")
}

/// Reads the `username` of the body. When `required` is false a missing body or field gives
/// `None`.
fn target_username(request: &Request, required: bool) -> Result<Option<Username>, ApiError> {
    let object = body::parse_object(request)?;
    match object.get("username") {
        None | Some(Value::Null) if !required => Ok(None),
        None => Err(username_required()),
        Some(Value::Null) => Err(ApiError::invalid_field(
            "username",
            "This field may not be null.",
        )),
        Some(Value::String(text)) => Username::parse(text)
            .map(Some)
            .map_err(|error| ApiError::invalid_field("username", error.to_string())),
        Some(_) => Err(ApiError::invalid_field("username", "Not a valid string.")),
    }
}
