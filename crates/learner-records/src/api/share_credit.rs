//! `POST /records/programs/{hex}/send` with `{"username", "pathway_id"}`: emails a link to the
//! learner's public record of a program to a credit-pathway partner through SES, and records
//! the send. [`follow_up`] sends the "updated" email when the learner later completes the
//! program, and [`invoke`] dispatches the function's HTTP and EventBridge invocations.
//!
//! The checks run in upstream's order: authentication (with CSRF for cookie tokens), the rate
//! limit, the site's records switch, the body, the permission, then the program, pathway,
//! program certificate configuration and learner, each of which returns 404 when missing.
//!
//! Where this route differs from upstream Credentials on purpose:
//! * The email names the learner whose record it is (full name, else username). Upstream names
//!   the requester, so a staff member sending on a learner's behalf put their own name in.
//! * An anonymous request gets 401 JSON with `WWW-Authenticate`, not a redirect to the login
//!   page: the MFE calls this route with XHR and cannot follow a login redirect anyway.
//! * A missing or malformed body field gets 400 naming it (upstream: 500).
//! * The send is recorded only after SES accepted the email. SES rejecting it returns 502 and
//!   SES being unreachable returns 503, and neither records anything.

pub mod follow_up;

use std::convert::Infallible;

use chrono::Utc;
use lambda_http::http::{Method, StatusCode};
use lambda_http::request::LambdaRequest;
use lambda_http::{Adapter, Context, LambdaEvent, Service, service_fn};
use serde_json::{Map, Value, json};

use crate::app::App;
use crate::auth::Identity;
use crate::config::Config;
use crate::domain::{
    CredentialStatus, LearnerData, Pathway, PathwayStatus, PathwayType, Program, SiteConfiguration,
    Username, Uuid,
};
use crate::email::{self, CreditRequest, RequestKind};
use crate::events::{self, DomainEvent};
use crate::http::{
    ApiError, Request, Response, body, check_csrf, empty, has_trailing_slash, path_segments,
    require_user, serve,
};
use crate::mailer::{Email, MailError};
use crate::throttle;

pub use follow_up::{FollowUpError, handle_event};

/// Upstream's `RECORDS_RATE_LIMIT`: 15 sends per minute per requester.
pub const SEND_LIMIT_PER_MINUTE: i64 = 15;
const THROTTLE_SCOPE: &str = "send";

/// Handles one request to this function.
pub async fn handle(app: &App, request: Request) -> Response {
    serve(app, request, |request| async move {
        send_record(app, &request).await
    })
    .await
}

/// Serves one Lambda invocation: an API Gateway HTTP API event goes through lambda_http's
/// conversions to [`handle`], and an EventBridge event to [`handle_event`].
pub async fn invoke(app: &App, event: LambdaEvent<Value>) -> Result<Value, lambda_http::Error> {
    let (payload, context) = event.into_parts();
    if payload.get("detail-type").is_some() {
        return Ok(handle_event(app, payload).await?);
    }
    if payload.get("requestContext").is_some() || payload.get("rawPath").is_some() {
        return serve_http_event(app, payload, context).await;
    }
    Err(
        "unsupported invocation: expected an API Gateway HTTP API event or an EventBridge event"
            .into(),
    )
}

/// Runs an HTTP event through lambda_http's `Adapter`, the same conversion `lambda_http::run`
/// uses, so the request and response match what API Gateway exchanges with `run`.
/// NOTE: lambda_http 1.3 marks `Adapter` `#[doc(hidden)]`, but it is the only public way to
/// turn a response into a `LambdaResponse` (`LambdaResponse::from_response` is crate-private),
/// so a minor release could move it.
async fn serve_http_event(
    app: &App,
    payload: Value,
    context: Context,
) -> Result<Value, lambda_http::Error> {
    let request: LambdaRequest = serde_json::from_value(payload)?;
    let mut adapter = Adapter::from(service_fn(|request: Request| async move {
        Ok::<_, Infallible>(handle(app, request).await)
    }));
    let response = adapter.call(LambdaEvent::new(request, context)).await?;
    Ok(serde_json::to_value(response)?)
}

/// The validated body of a send request.
#[derive(Debug, Clone, PartialEq, Eq)]
struct SendBody {
    username: Username,
    pathway_id: u64,
}

/// A send request that passed every check, with what sending it needs.
struct CheckedSend {
    requester: Identity,
    username: Username,
    program: Program,
    pathway: Pathway,
    site: SiteConfiguration,
    learner: LearnerData,
}

async fn send_record(app: &App, request: &Request) -> Result<Response, ApiError> {
    let send = check_send_request(app, request).await?;
    let program_uuid = send.program.uuid;

    let now = Utc::now();
    let link = app
        .store
        .get_or_create_link(
            &send.username,
            &program_uuid,
            send.learner.link_for_program(&program_uuid),
            send.site.public_link_expiry_days,
            now,
        )
        .await?;
    let link_uuid = link.link().uuid;
    let email = initial_email(&app.config, &send, &link_uuid);
    let ids = SendIds {
        username: &send.username,
        program_uuid: &program_uuid,
        pathway_id: send.pathway.id,
    };
    let message_id = send_email(app, &email, &ids)
        .await
        .map_err(|error| mail_error_response(&error))?;

    // NOTE: if this write fails after SES accepted the email, the client gets 500 and a retry
    // emails the partner a second time.
    app.store
        .record_credit_send(
            &send.username,
            send.pathway.id,
            &program_uuid,
            &send.learner.sends,
            !link.created(),
            now,
        )
        .await?;
    app.events
        .publish_or_log(vec![DomainEvent::new(
            events::RECORD_SENT,
            json!({
                "username": send.username.as_str(),
                "program_uuid": program_uuid.dashed(),
                "pathway_id": send.pathway.id,
                "link_uuid": link_uuid.dashed(),
            }),
        )])
        .await;
    tracing::info!(
        username = %send.username,
        program_uuid = %program_uuid,
        pathway_id = send.pathway.id,
        link_created = link.created(),
        %message_id,
        "program record sent to credit pathway"
    );
    Ok(empty(StatusCode::OK))
}

/// Runs every check of a send request in upstream's order, counting it against the
/// requester's rate limit.
async fn check_send_request(app: &App, request: &Request) -> Result<CheckedSend, ApiError> {
    let program_uuid = program_of_route(request)?;
    let requester = require_user(app, request)?;
    check_csrf(app, request, &requester)?;

    if let Some(retry_after) = throttle::hit(
        &app.store,
        THROTTLE_SCOPE,
        &requester.username,
        SEND_LIMIT_PER_MINUTE,
    )
    .await?
    {
        return Err(ApiError::Throttled {
            body: json!({"error": "Too Many Requests"}),
            retry_after,
        });
    }

    // The learner is loaded in the same round trip as the catalog and settings whenever the
    // body names a learner the requester may act for. Errors still surface in upstream's order.
    let body = parse_send_body(request);
    let learner_to_load = body
        .as_ref()
        .ok()
        .filter(|body| may_act_for(&requester, &body.username))
        .map(|body| body.username.clone());
    let (snapshot, learner) = tokio::join!(app.snapshot(), async {
        match &learner_to_load {
            Some(username) => app.store.load_learner(username).await.map(Some),
            None => Ok(None),
        }
    });
    let snapshot = snapshot?;
    let site = app.site_configuration(&snapshot.settings);
    if !site.records_enabled {
        return Err(ApiError::not_found());
    }

    let body = body?;
    if !may_act_for(&requester, &body.username) {
        return Err(ApiError::Forbidden(json!({"error": "Permission denied"})));
    }

    let program = snapshot
        .catalog
        .program(&program_uuid)
        .ok_or_else(ApiError::not_found)?;
    let pathway = snapshot
        .catalog
        .pathway(body.pathway_id)
        .filter(|pathway| accepts_credit_requests(pathway, &program_uuid))
        .ok_or_else(ApiError::not_found)?;
    if snapshot
        .settings
        .program_certificate(&program_uuid)
        .is_none()
    {
        return Err(ApiError::not_found());
    }
    let learner = learner?.unwrap_or_default();
    if !learner.exists() {
        return Err(ApiError::not_found());
    }

    Ok(CheckedSend {
        requester,
        username: body.username,
        program: program.clone(),
        pathway: pathway.clone(),
        site,
        learner,
    })
}

/// Renders the email of a checked send request, linking to the public link `link_uuid`.
fn initial_email(config: &Config, send: &CheckedSend, link_uuid: &Uuid) -> Email {
    let (learner_name, learner_address) =
        learner_contact(&send.learner, &send.username, &send.requester);
    let links = SharedRecordLinks::new(config, link_uuid);
    let from_address = sender_address(config, &send.site);
    email::render_credit_request(&CreditRequest {
        kind: RequestKind::Initial,
        platform_name: &send.site.platform_name,
        from_address: &from_address,
        partner_address: &send.pathway.email,
        learner_address: learner_address.as_deref(),
        learner_name: &learner_name,
        pathway_name: &send.pathway.name,
        program_title: &send.program.title,
        program_completed: program_completed(&send.learner, &send.program.uuid),
        record_url: &links.record,
        csv_url: &links.csv,
    })
}

/// Extracts the program uuid from `/records/programs/<32 lowercase hex>/send`. Any other path
/// returns 404, because it did not route upstream, and a method other than POST returns 405.
fn program_of_route(request: &Request) -> Result<Uuid, ApiError> {
    let segments = path_segments(request);
    let hex = match segments.as_slice() {
        [records, programs, hex, send]
            if records == "records"
                && programs == "programs"
                && send == "send"
                && !has_trailing_slash(request) =>
        {
            hex
        }
        _ => return Err(ApiError::not_found()),
    };
    let program_uuid = Uuid::parse_url_hex(hex).map_err(|_| ApiError::not_found())?;
    if request.method() != Method::POST {
        return Err(ApiError::MethodNotAllowed(request.method().to_string()));
    }
    Ok(program_uuid)
}

/// Parses `{"username": <string>, "pathway_id": <integer or numeric string>}`, reporting every
/// missing or malformed field in one 400 as DRF does.
fn parse_send_body(request: &Request) -> Result<SendBody, ApiError> {
    let object = body::parse_object(request)?;

    let username = match object.get("username") {
        None | Some(Value::Null) => Err("This field is required.".to_owned()),
        Some(Value::String(text)) => Username::parse(text).map_err(|error| error.to_string()),
        Some(_) => Err("Not a valid string.".to_owned()),
    };
    let pathway_id = match object.get("pathway_id") {
        None | Some(Value::Null) => Err("This field is required."),
        Some(Value::Number(number)) => number.as_u64().ok_or("A valid integer is required."),
        Some(Value::String(text)) => text
            .trim()
            .parse::<u64>()
            .map_err(|_| "A valid integer is required."),
        Some(_) => Err("A valid integer is required."),
    };

    match (username, pathway_id) {
        (Ok(username), Ok(pathway_id)) => Ok(SendBody {
            username,
            pathway_id,
        }),
        (username, pathway_id) => {
            let mut errors = Map::new();
            if let Err(message) = username {
                errors.insert("username".to_owned(), json!([message]));
            }
            if let Err(message) = pathway_id {
                errors.insert("pathway_id".to_owned(), json!([message]));
            }
            Err(ApiError::Invalid(Value::Object(errors)))
        }
    }
}

/// Checks whether the requester may send `username`'s records: their own, or anyone's for staff.
fn may_act_for(requester: &Identity, username: &Username) -> bool {
    requester.is_staff || &requester.username == username
}

/// Checks whether a pathway takes credit requests for a program: linked to it, published, of
/// type credit, and with a partner address to send to.
pub fn accepts_credit_requests(pathway: &Pathway, program_uuid: &Uuid) -> bool {
    pathway.programs.contains(program_uuid)
        && pathway.status == PathwayStatus::Published
        && pathway.pathway_type == PathwayType::Credit
        && !pathway.email.trim().is_empty()
}

/// Checks whether the learner has an awarded program credential for the program. Visibility
/// does not matter here, as upstream.
pub fn program_completed(learner: &LearnerData, program_uuid: &Uuid) -> bool {
    learner.credentials.iter().any(|credential| {
        credential.status == CredentialStatus::Awarded
            && credential.program_uuid() == Some(program_uuid)
    })
}

/// Returns the learner's display name and address from their stored profile. When learners
/// send their own record, their token's claims fill what the profile lacks, as upstream's user row is
/// synced from the token on every request.
pub fn learner_contact(
    learner: &LearnerData,
    username: &Username,
    requester: &Identity,
) -> (String, Option<String>) {
    let mut profile = learner.profile.clone().unwrap_or_default();
    if &requester.username == username {
        if profile.full_name.trim().is_empty() {
            profile.full_name.clone_from(&requester.full_name);
        }
        if profile.email.trim().is_empty() {
            profile.email.clone_from(&requester.email);
        }
    }
    let name = profile.display_name(username).to_owned();
    let address = Some(profile.email).filter(|email| !email.trim().is_empty());
    (name, address)
}

/// Returns the sender address: the site's partner address (the deployment's when the site sets
/// none), else `no-reply@<site domain>`.
pub fn sender_address(config: &Config, site: &SiteConfiguration) -> String {
    let configured = site.partner_from_address.trim();
    if configured.is_empty() {
        format!("no-reply@{}", config.site_domain())
    } else {
        configured.to_owned()
    }
}

/// The absolute links to a public record and its CSV, both built from the public base URL and
/// the link's uuid only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedRecordLinks {
    pub record: String,
    pub csv: String,
}

impl SharedRecordLinks {
    pub fn new(config: &Config, link_uuid: &Uuid) -> Self {
        let record_path = format!("/records/programs/shared/{}/", link_uuid.hex());
        Self {
            record: config.public_url(&record_path),
            csv: config.public_url(&format!("{record_path}csv")),
        }
    }
}

/// The ids a send is logged with. No addresses or names: those stay out of the logs.
#[derive(Debug, Clone, Copy)]
struct SendIds<'a> {
    username: &'a Username,
    program_uuid: &'a Uuid,
    pathway_id: u64,
}

/// Sends one email, logging a failure with the ids involved and the SES error code or
/// connection failure. SES error messages quote addresses, so their text is not logged.
async fn send_email(app: &App, email: &Email, ids: &SendIds<'_>) -> Result<String, MailError> {
    let result = app.mailer.send(email).await;
    if let Err(error) = &result {
        tracing::error!(
            username = %ids.username,
            program_uuid = %ids.program_uuid,
            pathway_id = ids.pathway_id,
            error = %mail_failure_detail(error),
            "partner email failed"
        );
    }
    result
}

/// Describes a mail failure for the log: the SES error code of a rejection, or the cause chain
/// of a connection failure, which names no address.
fn mail_failure_detail(error: &MailError) -> String {
    use aws_sdk_sesv2::error::{ProvideErrorMetadata, SdkError};
    use aws_sdk_sesv2::operation::send_email::SendEmailError;

    match error {
        MailError::Rejected(source) => {
            let code = source
                .downcast_ref::<SdkError<SendEmailError>>()
                .and_then(SdkError::as_service_error)
                .and_then(ProvideErrorMetadata::code)
                .unwrap_or("no error code");
            format!("{error} ({code})")
        }
        MailError::Unavailable(_) => crate::http::error::cause_chain(error),
    }
}

/// Maps a failed send to its response. The cause is already logged and may quote addresses,
/// so it is not attached.
fn mail_error_response(error: &MailError) -> ApiError {
    match error {
        MailError::Rejected(_) => ApiError::BadGateway {
            message: "The email service rejected the message, so nothing was sent.".to_owned(),
            source: None,
        },
        MailError::Unavailable(_) => ApiError::Unavailable {
            message: "The email service did not respond, so nothing was sent. Try again later."
                .to_owned(),
            source: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::RequestBuilder;

    fn program() -> Uuid {
        Uuid::parse("a3f1b2c45d6e4f708192a3b4c5d6e7f8").unwrap()
    }

    fn pathway() -> Pathway {
        Pathway {
            id: 3,
            uuid: Uuid::parse("0123456789abcdef0123456789abcdef").unwrap(),
            name: "Partner Credit Pathway".into(),
            org_name: "Partner".into(),
            email: "admissions@partner.example.test".into(),
            pathway_type: PathwayType::Credit,
            status: PathwayStatus::Published,
            programs: vec![program()],
        }
    }

    fn post(body: Value) -> Request {
        RequestBuilder::post("/records/programs/a3f1b2c45d6e4f708192a3b4c5d6e7f8/send")
            .json(&body)
            .build()
    }

    #[test]
    fn route_takes_lowercase_hex_program() {
        assert_eq!(program_of_route(&post(json!({}))).unwrap(), program());
    }

    #[test]
    fn route_rejects_other_shapes() {
        for path in [
            "/records/programs/A3F1B2C45D6E4F708192A3B4C5D6E7F8/send",
            "/records/programs/a3f1b2c4-5d6e-4f70-8192-a3b4c5d6e7f8/send",
            "/records/programs/a3f1b2c45d6e4f708192a3b4c5d6e7f8/send/",
            "/records/programs/a3f1b2c45d6e4f708192a3b4c5d6e7f8/share",
            "/records/programs/send",
        ] {
            let error = program_of_route(&RequestBuilder::post(path).build()).unwrap_err();
            assert_eq!(error.status(), StatusCode::NOT_FOUND, "{path}");
        }
    }

    #[test]
    fn route_rejects_get_with_405() {
        let request =
            RequestBuilder::get("/records/programs/a3f1b2c45d6e4f708192a3b4c5d6e7f8/send").build();
        let error = program_of_route(&request).unwrap_err();
        assert_eq!(error.status(), StatusCode::METHOD_NOT_ALLOWED);
    }

    #[test]
    fn body_accepts_integer_and_numeric_string_ids() {
        for id in [json!(7), json!("7"), json!(" 7 ")] {
            let parsed = parse_send_body(&post(json!({"username": "lrn_ada", "pathway_id": id})));
            assert_eq!(parsed.unwrap().pathway_id, 7);
        }
    }

    #[test]
    fn body_names_every_missing_field() {
        let ApiError::Invalid(errors) = parse_send_body(&post(json!({}))).unwrap_err() else {
            panic!("expected 400");
        };
        assert_eq!(errors["username"], json!(["This field is required."]));
        assert_eq!(errors["pathway_id"], json!(["This field is required."]));
    }

    #[test]
    fn body_rejects_malformed_ids() {
        for id in [json!(-1), json!(1.5), json!("x"), json!(true), json!([1])] {
            let body = json!({"username": "lrn_ada", "pathway_id": id});
            let ApiError::Invalid(errors) = parse_send_body(&post(body)).unwrap_err() else {
                panic!("expected 400 for {id}");
            };
            assert_eq!(
                errors["pathway_id"],
                json!(["A valid integer is required."]),
                "{id}"
            );
        }
    }

    #[test]
    fn body_rejects_malformed_username() {
        for username in [json!(""), json!(42), json!("a#b")] {
            let body = json!({"username": username, "pathway_id": 3});
            let ApiError::Invalid(errors) = parse_send_body(&post(body)).unwrap_err() else {
                panic!("expected 400 for {username}");
            };
            assert!(errors.get("username").is_some(), "{username}");
        }
    }

    #[test]
    fn pathway_must_be_linked_published_credit_with_email() {
        assert!(accepts_credit_requests(&pathway(), &program()));
        let unlinked = Pathway {
            programs: vec![],
            ..pathway()
        };
        let retired = Pathway {
            status: PathwayStatus::Retired,
            ..pathway()
        };
        let unpublished = Pathway {
            status: PathwayStatus::Unpublished,
            ..pathway()
        };
        let industry = Pathway {
            pathway_type: PathwayType::Industry,
            ..pathway()
        };
        let no_email = Pathway {
            email: " ".into(),
            ..pathway()
        };
        for (name, rejected) in [
            ("unlinked", unlinked),
            ("retired", retired),
            ("unpublished", unpublished),
            ("industry", industry),
            ("no email", no_email),
        ] {
            assert!(!accepts_credit_requests(&rejected, &program()), "{name}");
        }
    }

    #[test]
    fn links_are_built_from_base_url_and_uuid() {
        let resources = crate::bootstrap::Resources {
            table: "t".into(),
            bucket: "b".into(),
            bus: "e".into(),
            ses_identity: String::new(),
            cors_origins: vec![],
        };
        let config = crate::testkit::test_config(&resources);
        let links = SharedRecordLinks::new(&config, &program());
        assert_eq!(
            links.record,
            "http://127.0.0.1:3000/records/programs/shared/a3f1b2c45d6e4f708192a3b4c5d6e7f8/"
        );
        assert_eq!(
            links.csv,
            "http://127.0.0.1:3000/records/programs/shared/a3f1b2c45d6e4f708192a3b4c5d6e7f8/csv"
        );
    }

    #[test]
    fn sender_defaults_to_no_reply() {
        let resources = crate::bootstrap::Resources {
            table: "t".into(),
            bucket: "b".into(),
            bus: "e".into(),
            ses_identity: String::new(),
            cors_origins: vec![],
        };
        let config = crate::testkit::test_config(&resources);
        let mut site = SiteConfiguration {
            partner_from_address: "partners@example.test".into(),
            ..SiteConfiguration::default()
        };
        assert_eq!(sender_address(&config, &site), "partners@example.test");
        site.partner_from_address.clear();
        assert_eq!(sender_address(&config, &site), "no-reply@127.0.0.1");
    }
}
