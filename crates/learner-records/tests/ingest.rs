//! The Credentials API v2 as the LMS uses it, against moto: the payloads the LMS sends, the
//! upstream acceptance cases, idempotent retries, stale grade updates, the one-write budget,
//! events, listing and pagination, and username replacement.

#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use lambda_http::http::{Method, StatusCode, header};
use learner_records::api::ingest;
use learner_records::domain::*;
use learner_records::events::{self, DomainEvent, EventPublisher};
use learner_records::http::Response;
use learner_records::store::credentials::CredentialWrite;
use learner_records::testkit::{
    EventCapture, RequestBuilder, TestStack, TokenClaims, body_json, header_of, token,
};
use serde_json::{Value, json};

const CREDENTIALS: &str = "/api/v2/credentials/";
const GRADES: &str = "/api/v2/grades/";
const COURSE_CERTIFICATES: &str = "/api/v2/course_certificates/";
const REPLACE_USERNAMES: &str = "/api/v2/replace_usernames/";

fn uuid(n: u8) -> Uuid {
    Uuid::parse(&format!("{n:02x}{}", "0".repeat(30))).unwrap()
}

fn run_key(n: u8) -> CourseRunKey {
    CourseRunKey::parse(&format!("course-v1:TestX+C{n}+1T2024")).unwrap()
}

fn ada() -> Username {
    Username::parse("lrn_ada").unwrap()
}

/// Returns the program with runs 1 and 2 and an active program certificate configuration.
fn program() -> Uuid {
    uuid(50)
}

/// Returns a program whose certificate configuration is inactive.
fn inactive_program() -> Uuid {
    uuid(51)
}

fn course(n: u8) -> Course {
    Course {
        uuid: uuid(n),
        key: format!("TestX+C{n}"),
        title: Some(format!("Course {n}")),
        owners: vec![uuid(200)],
        course_runs: vec![CourseRun {
            uuid: uuid(100 + n),
            key: run_key(n),
            title_override: None,
            start_date: None,
            end_date: None,
        }],
    }
}

fn catalog_program(program_uuid: Uuid, runs: &[u8]) -> Program {
    Program {
        uuid: program_uuid,
        title: "Test Program".into(),
        program_type: "MicroMasters".into(),
        type_slug: "micromasters".into(),
        status: ProgramStatus::Active,
        total_hours_of_effort: None,
        authoring_organizations: vec![uuid(200)],
        course_runs: runs.iter().map(|n| uuid(100 + n)).collect(),
    }
}

/// A stack with a catalog of three courses (runs 1 to 3), a program of runs 1 and 2, events
/// recorded in memory, and the LMS service user's token.
struct Lms {
    stack: TestStack,
    events: Arc<Mutex<Vec<DomainEvent>>>,
    token: String,
}

impl Lms {
    async fn start() -> Self {
        let mut stack = TestStack::start().await;
        let events = Arc::new(Mutex::new(Vec::new()));
        stack.app.events = EventPublisher::Recording(Arc::clone(&events));
        let organization = Organization {
            uuid: uuid(200),
            key: "TestX".into(),
            name: "Test Org".into(),
            certificate_logo_image_url: None,
        };
        stack
            .app
            .store
            .replace_catalog(
                &[organization],
                &[course(1), course(2), course(3)],
                &[
                    catalog_program(program(), &[1, 2]),
                    catalog_program(inactive_program(), &[3]),
                ],
                &[],
            )
            .await
            .unwrap();
        for (uuid, is_active) in [(program(), true), (inactive_program(), false)] {
            stack
                .app
                .store
                .put_program_certificate(&ProgramCertificate {
                    program_uuid: uuid,
                    is_active,
                    language: None,
                    title: None,
                })
                .await
                .unwrap();
        }
        let token = token(&TokenClaims::staff("credentials_service_user"));
        Self {
            stack,
            events,
            token,
        }
    }

    async fn send(&self, request: RequestBuilder) -> Response {
        ingest::handle(&self.stack.app, request.build()).await
    }

    async fn post(&self, path: &str, body: Value) -> Response {
        self.send(RequestBuilder::post(path).jwt(&self.token).json(&body))
            .await
    }

    async fn get(&self, path: &str) -> Response {
        self.send(RequestBuilder::get(path).jwt(&self.token)).await
    }

    async fn post_form(&self, pairs: &[(&str, &str)]) -> Response {
        self.send(RequestBuilder::post(GRADES).jwt(&self.token).form(pairs))
            .await
    }

    fn detail_types(&self) -> Vec<&'static str> {
        self.events
            .lock()
            .unwrap()
            .iter()
            .map(|event| event.detail_type)
            .collect()
    }

    fn take_events(&self) -> Vec<DomainEvent> {
        std::mem::take(&mut *self.events.lock().unwrap())
    }

    /// DynamoDB write requests since the counter was last reset.
    fn writes(&self) -> u64 {
        let counts = self.stack.app.counter.snapshot();
        [
            "PutItem",
            "UpdateItem",
            "DeleteItem",
            "TransactWriteItems",
            "BatchWriteItem",
        ]
        .iter()
        .map(|operation| counts.get(*operation).copied().unwrap_or(0))
        .sum()
    }

    async fn learner(&self, username: &Username) -> LearnerData {
        self.stack.app.store.load_learner(username).await.unwrap()
    }
}

fn course_credential_body(run: u8, mode: &str) -> Value {
    json!({
        "username": "lrn_ada",
        "status": "awarded",
        "credential": {"course_run_key": run_key(run).as_str(), "mode": mode, "type": "course-run"},
        "date_override": null,
    })
}

fn program_award_body() -> Value {
    json!({
        "username": "lrn_ada",
        "lms_user_id": 4242,
        "credential": {"type": "program", "program_uuid": program().dashed()},
    })
}

fn parse_timestamp(value: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(value.as_str().unwrap())
        .unwrap()
        .with_timezone(&Utc)
}

fn is_drf_timestamp(value: &Value) -> bool {
    let text = value.as_str().unwrap_or_default();
    text.len() == 20 && text.ends_with('Z') && parse_timestamp(value).timestamp_subsec_nanos() == 0
}

// The payloads the LMS sends.

#[tokio::test]
async fn lms_course_credential_is_stored() {
    let lms = Lms::start().await;
    let response = lms
        .post(CREDENTIALS, course_credential_body(1, "verified"))
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);

    let body = body_json(&response);
    let uuid = Uuid::parse(body["uuid"].as_str().unwrap()).unwrap();
    assert_eq!(body["uuid"], uuid.dashed());
    assert_eq!(
        body["credential"],
        json!({"type": "course-run", "course_run_key": run_key(1).as_str(), "mode": "verified"})
    );
    assert_eq!(body["status"], "awarded");
    assert_eq!(body["date_override"], Value::Null);
    assert_eq!(
        body["certificate_url"],
        format!("http://127.0.0.1:3000/credentials/{}/", uuid.hex())
    );
    assert!(is_drf_timestamp(&body["created"]), "{}", body["created"]);
    assert!(is_drf_timestamp(&body["modified"]), "{}", body["modified"]);

    let learner = lms.learner(&ada()).await;
    assert_eq!(learner.credentials.len(), 1);
    assert_eq!(learner.credentials[0].uuid, uuid);
    assert_eq!(learner.credentials[0].status, CredentialStatus::Awarded);
}

#[tokio::test]
async fn first_course_credential_creates_active_configuration() {
    let lms = Lms::start().await;
    lms.post(CREDENTIALS, course_credential_body(1, "professional"))
        .await;
    let snapshot = lms.stack.app.snapshot().await.unwrap();
    let configuration = snapshot
        .settings
        .course_certificate(&run_key(1), CertificateType::Professional)
        .unwrap();
    assert!(configuration.is_active);
    assert_eq!(configuration.certificate_available_date, None);
}

#[tokio::test]
async fn lms_program_award_without_status_is_awarded() {
    let lms = Lms::start().await;
    let response = lms.post(CREDENTIALS, program_award_body()).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body = body_json(&response);
    assert_eq!(body["status"], "awarded");
    assert_eq!(
        body["credential"],
        json!({"type": "program", "program_uuid": program().dashed()})
    );

    let learner = lms.learner(&ada()).await;
    assert_eq!(learner.credentials[0].program_uuid(), Some(&program()));
    let profile = learner.profile.unwrap();
    assert_eq!(profile.lms_user_id, Some(4242));
    assert_eq!(profile.username, Some(ada()));
}

#[tokio::test]
async fn lms_program_award_keeps_existing_profile_fields() {
    let lms = Lms::start().await;
    let stored = LearnerProfile {
        username: Some(ada()),
        full_name: "Ada Testwell".into(),
        email: "ada@example.test".into(),
        lms_user_id: None,
    };
    lms.stack
        .app
        .store
        .sync_profile(&ada(), None, &stored)
        .await
        .unwrap();
    lms.post(CREDENTIALS, program_award_body()).await;
    let profile = lms.learner(&ada()).await.profile.unwrap();
    assert_eq!(profile.full_name, "Ada Testwell");
    assert_eq!(profile.email, "ada@example.test");
    assert_eq!(profile.lms_user_id, Some(4242));
}

#[tokio::test]
async fn lms_program_revoke_revokes_credential() {
    let lms = Lms::start().await;
    lms.post(CREDENTIALS, program_award_body()).await;
    lms.take_events();
    let response = lms
        .post(
            CREDENTIALS,
            json!({
                "username": "lrn_ada", "status": "revoked",
                "credential": {"type": "program", "program_uuid": program().dashed()},
            }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(body_json(&response)["status"], "revoked");
    assert_eq!(
        lms.learner(&ada()).await.credentials[0].status,
        CredentialStatus::Revoked
    );
    assert_eq!(lms.detail_types(), vec![events::CREDENTIAL_REVOKED]);
}

#[tokio::test]
async fn lms_form_grade_is_stored() {
    let lms = Lms::start().await;
    let response = lms
        .post_form(&[
            ("username", "lrn_ada"),
            ("course_run", run_key(1).as_str()),
            ("letter_grade", "Pass"),
            ("percent_grade", "0.85"),
            ("verified", "True"),
            ("lms_last_updated_at", "2024-03-01 12:00:00.123456+00:00"),
        ])
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body = body_json(&response);
    assert_eq!(body["percent_grade"], "0.8500");
    assert_eq!(body["verified"], true);
    assert_eq!(body["letter_grade"], "Pass");
    assert_eq!(body["lms_last_updated_at"], "2024-03-01T12:00:00Z");
    assert!(body["id"].as_u64().unwrap() < 1 << 53);

    let grade = &lms.learner(&ada()).await.grades[0];
    assert_eq!(grade.percent_grade, Percent::parse("0.85").unwrap());
    assert_eq!(grade.course_run, run_key(1));
    assert_eq!(
        grade.lms_last_updated_at,
        Some(parse_timestamp(&json!("2024-03-01T12:00:00.123456Z")))
    );
}

#[tokio::test]
async fn form_grade_with_t_separator_is_stored() {
    let lms = Lms::start().await;
    let response = lms
        .post_form(&[
            ("username", "lrn_ada"),
            ("course_run", run_key(1).as_str()),
            ("percent_grade", "1.0"),
            ("verified", "True"),
            ("lms_last_updated_at", "2024-03-01T12:00:00.5+00:00"),
        ])
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body = body_json(&response);
    assert_eq!(body["letter_grade"], "");
    assert_eq!(body["percent_grade"], "1.0000");
    assert_eq!(body["lms_last_updated_at"], "2024-03-01T12:00:00Z");
}

#[tokio::test]
async fn lms_course_certificate_date_with_space_is_stored() {
    let lms = Lms::start().await;
    let response = lms
        .post(
            COURSE_CERTIFICATES,
            json!({
                "course_id": run_key(1).as_str(), "certificate_type": "verified",
                "certificate_available_date": "2024-03-01 12:00:00+00:00", "is_active": true,
            }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(
        body_json(&response),
        json!({
            "course_id": run_key(1).as_str(), "course_run": run_key(1).as_str(),
            "certificate_type": "verified", "certificate_available_date": "2024-03-01T12:00:00Z",
            "is_active": true,
        })
    );
    let snapshot = lms.stack.app.snapshot().await.unwrap();
    let configuration = snapshot
        .settings
        .course_certificate(&run_key(1), CertificateType::Verified)
        .unwrap();
    assert_eq!(
        configuration.certificate_available_date,
        Some(parse_timestamp(&json!("2024-03-01T12:00:00Z")))
    );
}

#[tokio::test]
async fn lms_course_certificate_null_date_clears_it() {
    let lms = Lms::start().await;
    let mut body = json!({
        "course_id": run_key(1).as_str(), "certificate_type": "verified",
        "certificate_available_date": "2024-03-01 12:00:00+00:00", "is_active": true,
    });
    lms.post(COURSE_CERTIFICATES, body.clone()).await;
    body["certificate_available_date"] = Value::Null;
    let response = lms.post(COURSE_CERTIFICATES, body).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(
        body_json(&response)["certificate_available_date"],
        Value::Null
    );
}

#[tokio::test]
async fn certificate_outside_catalog_has_null_run() {
    let lms = Lms::start().await;
    let response = lms
        .post(
            COURSE_CERTIFICATES,
            json!({"course_id": "course-v1:OtherX+New+2T2030", "certificate_type": "honor",
                   "certificate_available_date": null, "is_active": true}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(body_json(&response)["course_run"], Value::Null);
}

#[tokio::test]
async fn course_certificate_with_invalid_type_returns_400() {
    let lms = Lms::start().await;
    let response = lms
        .post(
            COURSE_CERTIFICATES,
            json!({"course_id": run_key(1).as_str(), "certificate_type": "audit", "is_active": true}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(body_json(&response).get("certificate_type").is_some());
}

// Request budgets, idempotence and events.

#[tokio::test]
async fn credential_post_costs_one_write() {
    let lms = Lms::start().await;
    lms.stack.app.snapshot().await.unwrap();
    lms.stack.app.counter.reset();
    let response = lms
        .post(CREDENTIALS, course_credential_body(1, "verified"))
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(lms.writes(), 1, "{:?}", lms.stack.app.counter.snapshot());
    // The versions item and the credential are read in parallel; the new configuration goes
    // into the credential's transaction.
    assert_eq!(
        lms.stack.app.counter.snapshot(),
        [
            ("GetItem".to_owned(), 2),
            ("TransactWriteItems".to_owned(), 1)
        ]
        .into()
    );

    lms.stack.app.counter.reset();
    let response = lms
        .post(CREDENTIALS, course_credential_body(2, "verified"))
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(lms.writes(), 1, "{:?}", lms.stack.app.counter.snapshot());
}

#[tokio::test]
async fn concurrent_first_credentials_share_one_configuration() {
    let lms = Lms::start().await;
    let mut bo = course_credential_body(1, "verified");
    bo["username"] = json!("lrn_bo");
    let (a, b) = tokio::join!(
        lms.post(CREDENTIALS, course_credential_body(1, "verified")),
        lms.post(CREDENTIALS, bo),
    );
    assert_eq!(a.status(), StatusCode::CREATED);
    assert_eq!(b.status(), StatusCode::CREATED);
    let snapshot = lms.stack.app.snapshot().await.unwrap();
    assert_eq!(snapshot.settings.course_certificates.len(), 1);
    assert_eq!(lms.learner(&ada()).await.credentials.len(), 1);
    let bo = Username::parse("lrn_bo").unwrap();
    assert_eq!(lms.learner(&bo).await.credentials.len(), 1);
}

#[tokio::test]
async fn concurrent_identical_grades_store_one() {
    let lms = Lms::start().await;
    let (a, b) = tokio::join!(
        lms.post(GRADES, grade_body("lrn_ada")),
        lms.post(GRADES, grade_body("lrn_ada")),
    );
    assert_eq!(a.status(), StatusCode::CREATED);
    assert_eq!(b.status(), StatusCode::CREATED);
    assert_eq!(body_json(&a)["id"], body_json(&b)["id"]);
    assert_eq!(lms.learner(&ada()).await.grades.len(), 1);
}

#[tokio::test]
async fn program_award_with_profile_costs_one_write() {
    let lms = Lms::start().await;
    lms.stack.app.snapshot().await.unwrap();
    lms.stack.app.counter.reset();
    lms.post(CREDENTIALS, program_award_body()).await;
    assert_eq!(lms.writes(), 1, "{:?}", lms.stack.app.counter.snapshot());
}

#[tokio::test]
async fn retried_credential_post_changes_nothing() {
    let lms = Lms::start().await;
    let mut body = course_credential_body(1, "verified");
    body["attributes"] = json!([{"name": "visible_date", "value": "2024-01-01T00:00:00Z"}]);
    body["date_override"] = json!({"date": "2024-05-11T00:00:00Z"});
    let first = body_json(&lms.post(CREDENTIALS, body.clone()).await);
    let stored_before = lms.learner(&ada()).await.credentials;
    lms.stack.app.counter.reset();

    let second = lms.post(CREDENTIALS, body).await;
    assert_eq!(second.status(), StatusCode::CREATED);
    assert_eq!(body_json(&second), first);
    assert_eq!(lms.writes(), 0);
    assert_eq!(lms.learner(&ada()).await.credentials, stored_before);
    assert_eq!(lms.detail_types(), vec![events::CREDENTIAL_AWARDED]);
}

#[tokio::test]
async fn retried_program_award_publishes_once() {
    let lms = Lms::start().await;
    lms.post(CREDENTIALS, program_award_body()).await;
    lms.post(CREDENTIALS, program_award_body()).await;
    assert_eq!(
        lms.detail_types(),
        vec![
            events::CREDENTIAL_AWARDED,
            events::PROGRAM_CREDENTIAL_AWARDED
        ]
    );
}

#[tokio::test]
async fn program_award_events_carry_first_award() {
    let lms = Lms::start().await;
    let body = body_json(&lms.post(CREDENTIALS, program_award_body()).await);
    let published = lms.take_events();
    assert_eq!(
        published[0].detail,
        json!({
            "username": "lrn_ada", "credential_uuid": body["uuid"], "type": "program",
            "program_uuid": program().dashed(), "status": "awarded",
        })
    );
    assert_eq!(
        published[1].detail,
        json!({
            "username": "lrn_ada", "program_uuid": program().dashed(),
            "credential_uuid": body["uuid"], "lms_user_id": 4242, "first_award": true,
        })
    );

    // Revoked, then awarded again: the credential existed, so this is no first award.
    let mut revoke = program_award_body();
    revoke["status"] = json!("revoked");
    lms.post(CREDENTIALS, revoke).await;
    lms.take_events();
    lms.post(CREDENTIALS, program_award_body()).await;
    let published = lms.take_events();
    assert_eq!(published[1].detail_type, events::PROGRAM_CREDENTIAL_AWARDED);
    assert_eq!(published[1].detail["first_award"], false);
}

#[tokio::test]
async fn course_credential_event_names_the_run() {
    let lms = Lms::start().await;
    let body = body_json(
        &lms.post(CREDENTIALS, course_credential_body(1, "verified"))
            .await,
    );
    let published = lms.take_events();
    assert_eq!(published.len(), 1);
    assert_eq!(
        published[0].detail,
        json!({
            "username": "lrn_ada", "credential_uuid": body["uuid"], "type": "course-run",
            "course_run_key": run_key(1).as_str(), "status": "awarded",
        })
    );
}

#[tokio::test]
async fn program_award_reaches_the_event_bus() {
    let lms = Lms::start().await;
    let mut stack = lms.stack;
    stack.app.events = EventPublisher::EventBridge {
        client: aws_sdk_eventbridge::Client::new(&stack.sdk),
        bus: stack.resources.bus.clone(),
    };
    let capture = EventCapture::attach(&stack.endpoint, &stack.sdk, &stack.resources.bus).await;
    let request = RequestBuilder::post(CREDENTIALS)
        .jwt(&lms.token)
        .json(&program_award_body());
    ingest::handle(&stack.app, request.build()).await;

    let envelopes = capture.drain().await;
    let award = envelopes
        .iter()
        .find(|event| event["detail-type"] == events::PROGRAM_CREDENTIAL_AWARDED)
        .unwrap();
    assert_eq!(award["source"], events::SOURCE);
    assert_eq!(award["detail"]["first_award"], true);
    assert_eq!(envelopes.len(), 2);
}

#[tokio::test]
async fn grade_post_costs_one_write() {
    let lms = Lms::start().await;
    lms.stack.app.snapshot().await.unwrap();
    lms.stack.app.counter.reset();
    let response = lms
        .post_form(&[
            ("username", "lrn_ada"),
            ("course_run", run_key(1).as_str()),
            ("percent_grade", "0.85"),
        ])
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(lms.writes(), 1);
    assert_eq!(lms.stack.app.counter.snapshot().get("PutItem"), Some(&1));
}

#[tokio::test]
async fn retried_grade_post_writes_nothing() {
    let lms = Lms::start().await;
    let run = run_key(1);
    let form = [
        ("username", "lrn_ada"),
        ("course_run", run.as_str()),
        ("letter_grade", "A"),
        ("percent_grade", "0.85"),
        ("verified", "True"),
        ("lms_last_updated_at", "2024-03-01 12:00:00+00:00"),
    ];
    let first = body_json(&lms.post_form(&form).await);
    lms.stack.app.counter.reset();
    let second = lms.post_form(&form).await;
    assert_eq!(second.status(), StatusCode::CREATED);
    assert_eq!(body_json(&second), first);
    assert_eq!(lms.writes(), 0);
}

#[tokio::test]
async fn older_grade_update_is_ignored() {
    let lms = Lms::start().await;
    let newer = body_json(
        &lms.post_form(&[
            ("username", "lrn_ada"),
            ("course_run", run_key(1).as_str()),
            ("letter_grade", "A"),
            ("percent_grade", "0.90"),
            ("lms_last_updated_at", "2024-03-02 12:00:00+00:00"),
        ])
        .await,
    );
    let response = lms
        .post_form(&[
            ("username", "lrn_ada"),
            ("course_run", run_key(1).as_str()),
            ("letter_grade", "C"),
            ("percent_grade", "0.70"),
            ("lms_last_updated_at", "2024-03-01 12:00:00+00:00"),
        ])
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(body_json(&response), newer);
    assert_eq!(
        lms.learner(&ada()).await.grades[0].percent_grade,
        Percent::parse("0.9").unwrap()
    );
}

#[tokio::test]
async fn grade_update_without_timestamp_counts_as_newest() {
    let lms = Lms::start().await;
    lms.post_form(&[
        ("username", "lrn_ada"),
        ("course_run", run_key(1).as_str()),
        ("percent_grade", "0.90"),
        ("lms_last_updated_at", "2024-03-02 12:00:00+00:00"),
    ])
    .await;
    let response = lms
        .post_form(&[
            ("username", "lrn_ada"),
            ("course_run", run_key(1).as_str()),
            ("percent_grade", "0.70"),
        ])
        .await;
    let body = body_json(&response);
    assert_eq!(body["percent_grade"], "0.7000");
    assert_eq!(body["lms_last_updated_at"], "2024-03-02T12:00:00Z");
}

// Credentials API v2 acceptance cases.

#[tokio::test]
async fn anonymous_listing_returns_401_and_staff_200() {
    let lms = Lms::start().await;
    let anonymous = lms.send(RequestBuilder::get(CREDENTIALS)).await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        header_of(&anonymous, header::WWW_AUTHENTICATE),
        Some("JWT realm=\"api\"")
    );
    assert_eq!(lms.get(CREDENTIALS).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn program_credential_post_needs_staff() {
    let lms = Lms::start().await;
    let mut body = program_award_body();
    body["date_override"] = Value::Null;
    body["attributes"] = json!([{"name": "visible_date", "value": "2024-01-01T00:00:00Z"}]);

    let learner = token(&TokenClaims::learner("lrn_ada"));
    let forbidden = lms
        .send(RequestBuilder::post(CREDENTIALS).jwt(&learner).json(&body))
        .await;
    assert_eq!(forbidden.status(), StatusCode::FORBIDDEN);
    assert!(lms.learner(&ada()).await.credentials.is_empty());

    let created = lms.post(CREDENTIALS, body).await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let created = body_json(&created);
    let stored = lms
        .get(&format!(
            "{CREDENTIALS}{}/",
            created["uuid"].as_str().unwrap()
        ))
        .await;
    assert_eq!(body_json(&stored), created);
    assert_eq!(created["attributes"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn duplicate_attribute_names_return_400() {
    let lms = Lms::start().await;
    let mut body = program_award_body();
    body["attributes"] = json!([
        {"name": "visible_date", "value": "2024-01-01T00:00:00Z"},
        {"name": "visible_date", "value": "2024-02-01T00:00:00Z"},
    ]);
    let response = lms.post(CREDENTIALS, body).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        body_json(&response),
        json!({"attributes": ["Attribute names cannot be duplicated."]})
    );
}

#[tokio::test]
async fn reposted_representation_duplicates_nothing() {
    let lms = Lms::start().await;
    let created = body_json(&lms.post(CREDENTIALS, program_award_body()).await);
    let again = lms.post(CREDENTIALS, created.clone()).await;
    assert_eq!(again.status(), StatusCode::CREATED);
    assert_eq!(body_json(&again)["uuid"], created["uuid"]);
    assert_eq!(lms.learner(&ada()).await.credentials.len(), 1);

    let mut revoked = created.clone();
    revoked["status"] = json!("revoked");
    revoked["attributes"] = json!([{"name": "reason", "value": "cheating"}]);
    let response = body_json(&lms.post(CREDENTIALS, revoked).await);
    assert_eq!(response["status"], "revoked");
    assert_eq!(
        response["attributes"],
        json!([{"name": "reason", "value": "cheating"}])
    );
    assert_eq!(response["uuid"], created["uuid"]);
}

#[tokio::test]
async fn posted_attributes_merge_with_stored_ones() {
    let lms = Lms::start().await;
    let mut body = course_credential_body(1, "verified");
    body["attributes"] = json!([{"name": "a", "value": "1"}, {"name": "b", "value": "2"}]);
    lms.post(CREDENTIALS, body.clone()).await;
    body["attributes"] = json!([{"name": "b", "value": "3"}]);
    let merged = body_json(&lms.post(CREDENTIALS, body.clone()).await);
    assert_eq!(
        merged["attributes"],
        json!([{"name": "a", "value": "1"}, {"name": "b", "value": "3"}])
    );
    body["attributes"] = json!([]);
    let after_empty_list = body_json(&lms.post(CREDENTIALS, body).await);
    assert_eq!(after_empty_list["attributes"], merged["attributes"]);
}

#[tokio::test]
async fn date_override_is_set_and_removed() {
    let lms = Lms::start().await;
    let mut body = course_credential_body(1, "verified");
    body["date_override"] = json!({"date": "9999-05-11T00:00:00Z"});
    let response = body_json(&lms.post(CREDENTIALS, body.clone()).await);
    assert_eq!(
        response["date_override"],
        json!({"date": "9999-05-11T00:00:00Z"})
    );
    assert_eq!(
        lms.learner(&ada()).await.credentials[0].date_override,
        Some(parse_timestamp(&json!("9999-05-11T00:00:00Z")))
    );

    body["date_override"] = Value::Null;
    let response = body_json(&lms.post(CREDENTIALS, body).await);
    assert_eq!(response["date_override"], Value::Null);
    assert_eq!(lms.learner(&ada()).await.credentials[0].date_override, None);
}

#[tokio::test]
async fn delete_revokes_credential() {
    let lms = Lms::start().await;
    let created = body_json(
        &lms.post(CREDENTIALS, course_credential_body(1, "verified"))
            .await,
    );
    let path = format!("{CREDENTIALS}{}/", created["uuid"].as_str().unwrap());
    lms.take_events();

    let learner = token(&TokenClaims::learner("lrn_ada"));
    let forbidden = lms
        .send(RequestBuilder::new(Method::DELETE, &path).jwt(&learner))
        .await;
    assert_eq!(forbidden.status(), StatusCode::FORBIDDEN);

    let response = lms
        .send(RequestBuilder::new(Method::DELETE, &path).jwt(&lms.token))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body = body_json(&response);
    assert_eq!(body["status"], "revoked");
    assert_eq!(body["uuid"], created["uuid"]);
    assert_eq!(
        lms.learner(&ada()).await.credentials[0].status,
        CredentialStatus::Revoked
    );
    assert_eq!(lms.detail_types(), vec![events::CREDENTIAL_REVOKED]);
}

#[tokio::test]
async fn retrieving_own_credential_needs_staff() {
    let lms = Lms::start().await;
    let created = body_json(
        &lms.post(CREDENTIALS, course_credential_body(1, "verified"))
            .await,
    );
    let path = format!("{CREDENTIALS}{}/", created["uuid"].as_str().unwrap());
    let learner = token(&TokenClaims::learner("lrn_ada"));
    let own = lms.send(RequestBuilder::get(&path).jwt(&learner)).await;
    assert_eq!(own.status(), StatusCode::FORBIDDEN);
    let staff = lms.get(&path).await;
    assert_eq!(staff.status(), StatusCode::OK);
    assert_eq!(body_json(&staff), created);
}

#[tokio::test]
async fn credential_by_hex_uuid_and_unknown_uuid() {
    let lms = Lms::start().await;
    let created = body_json(
        &lms.post(CREDENTIALS, course_credential_body(1, "verified"))
            .await,
    );
    let uuid = Uuid::parse(created["uuid"].as_str().unwrap()).unwrap();
    let by_hex = lms.get(&format!("{CREDENTIALS}{}/", uuid.hex())).await;
    assert_eq!(by_hex.status(), StatusCode::OK);
    let unknown = lms.get(&format!("{CREDENTIALS}{}/", Uuid::new_v4())).await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    let malformed = lms.get(&format!("{CREDENTIALS}not-a-uuid/")).await;
    assert_eq!(malformed.status(), StatusCode::NOT_FOUND);
}

/// Ada has a visible course credential in run 1, a course credential in run 2 whose
/// configuration becomes available in 9999, a revoked credential in run 3 (outside the
/// program), and the program credential. Bo has one course credential in run 1.
async fn listing_fixture(lms: &Lms) -> Value {
    lms.post(
        COURSE_CERTIFICATES,
        json!({"course_id": run_key(2).as_str(), "certificate_type": "verified",
               "certificate_available_date": "9999-01-01 00:00:00+00:00", "is_active": true}),
    )
    .await;
    lms.post(CREDENTIALS, course_credential_body(1, "verified"))
        .await;
    lms.post(CREDENTIALS, course_credential_body(2, "verified"))
        .await;
    let mut revoked = course_credential_body(3, "honor");
    revoked["status"] = json!("revoked");
    lms.post(CREDENTIALS, revoked).await;
    let program = body_json(&lms.post(CREDENTIALS, program_award_body()).await);
    let mut bo = course_credential_body(1, "verified");
    bo["username"] = json!("lrn_bo");
    lms.post(CREDENTIALS, bo).await;
    program
}

fn listed_keys(response: &Response) -> Vec<String> {
    body_json(response)["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|credential| {
            let subject = &credential["credential"];
            let id = subject["course_run_key"]
                .as_str()
                .or(subject["program_uuid"].as_str())
                .unwrap();
            format!("{}:{id}", credential["username"].as_str().unwrap())
        })
        .collect()
}

fn ada_run(n: u8) -> String {
    format!("lrn_ada:{}", run_key(n))
}

fn ada_program() -> String {
    format!("lrn_ada:{}", program().dashed())
}

#[tokio::test]
async fn list_filters_select_credentials() {
    let lms = Lms::start().await;
    listing_fixture(&lms).await;
    let base = "/api/v2/credentials/?username=lrn_ada";

    let cases: Vec<(String, Vec<String>)> = vec![
        (
            base.to_owned(),
            vec![ada_run(1), ada_run(2), ada_run(3), ada_program()],
        ),
        (
            format!("{base}&status=awarded"),
            vec![ada_run(1), ada_run(2), ada_program()],
        ),
        (format!("{base}&status=revoked"), vec![ada_run(3)]),
        (format!("{base}&type=program"), vec![ada_program()]),
        (
            format!("{base}&type=course-run"),
            vec![ada_run(1), ada_run(2), ada_run(3)],
        ),
        (
            format!("{base}&type=badge"),
            vec![ada_run(1), ada_run(2), ada_run(3), ada_program()],
        ),
        (
            format!("{base}&program_uuid={}", program().dashed()),
            vec![ada_run(1), ada_run(2), ada_program()],
        ),
        (format!("{base}&program_uuid=1234fewef"), vec![]),
        (
            format!("{base}&only_visible=True"),
            vec![ada_run(1), ada_run(3)],
        ),
        (
            format!("{base}&only_visible=False"),
            vec![ada_run(1), ada_run(2), ada_run(3), ada_program()],
        ),
    ];
    for (path, expected) in cases {
        let response = lms.get(&path).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(listed_keys(&response), expected, "{path}");
    }
}

#[tokio::test]
async fn lms_award_check_query_returns_dashed_program_uuid() {
    let lms = Lms::start().await;
    listing_fixture(&lms).await;
    let learner = token(&TokenClaims::learner("lrn_ada"));
    let path = format!(
        "/api/v2/credentials/?username=lrn_ada&status=awarded&only_visible=True&type=program&program_uuid={}",
        program().dashed()
    );
    lms.post(
        COURSE_CERTIFICATES,
        json!({"course_id": run_key(2).as_str(), "certificate_type": "verified",
               "certificate_available_date": null, "is_active": true}),
    )
    .await;
    let response = lms.send(RequestBuilder::get(&path).jwt(&learner)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body = body_json(&response);
    assert_eq!(body["count"], 1);
    assert_eq!(
        body["results"][0]["credential"]["program_uuid"],
        program().dashed()
    );
    assert_eq!(body["next"], Value::Null);
    assert_eq!(body["previous"], Value::Null);
}

#[tokio::test]
async fn invalid_status_filter_returns_400() {
    let lms = Lms::start().await;
    let response = lms.get("/api/v2/credentials/?status=lost").await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(body_json(&response).get("status").is_some());
}

#[tokio::test]
async fn learner_lists_only_own_credentials() {
    let lms = Lms::start().await;
    listing_fixture(&lms).await;
    let learner = token(&TokenClaims::learner("lrn_ada"));
    let cases = [
        ("/api/v2/credentials/?username=lrn_ada", StatusCode::OK),
        ("/api/v2/credentials/?username=LRN_ADA", StatusCode::OK),
        (
            "/api/v2/credentials/?username=lrn_bo",
            StatusCode::FORBIDDEN,
        ),
        ("/api/v2/credentials/", StatusCode::FORBIDDEN),
    ];
    for (path, status) in cases {
        let response = lms.send(RequestBuilder::get(path).jwt(&learner)).await;
        assert_eq!(response.status(), status, "{path}");
    }
    let own = lms
        .send(RequestBuilder::get("/api/v2/credentials/?username=LRN_ADA").jwt(&learner))
        .await;
    assert_eq!(body_json(&own)["count"], 4);
}

#[tokio::test]
async fn staff_listing_without_username_shows_everyone() {
    let lms = Lms::start().await;
    listing_fixture(&lms).await;
    let response = lms.get(CREDENTIALS).await;
    let keys = listed_keys(&response);
    assert_eq!(keys.len(), 5);
    assert_eq!(keys.last().unwrap(), &format!("lrn_bo:{}", run_key(1)));
    let bo_only = lms.get("/api/v2/credentials/?username=lrn_bo").await;
    assert_eq!(body_json(&bo_only)["count"], 1);
}

#[tokio::test]
async fn listing_pages_hold_twenty() {
    let lms = Lms::start().await;
    let now = Utc::now();
    for n in 0..21_i64 {
        let credential = UserCredential {
            uuid: Uuid::new_v4(),
            username: ada(),
            subject: CredentialSubject::CourseRun {
                course_run_key: CourseRunKey::parse(&format!("course-v1:PageX+C{n}+1T2024"))
                    .unwrap(),
                mode: CertificateType::Verified,
            },
            status: CredentialStatus::Awarded,
            attributes: Vec::new(),
            date_override: None,
            created: now + chrono::Duration::seconds(n),
            modified: now,
        };
        lms.stack
            .app
            .store
            .write_credential(CredentialWrite {
                credential: &credential,
                previous: None,
                new_course_certificate: None,
                profile: None,
            })
            .await
            .unwrap();
    }

    let first = body_json(&lms.get("/api/v2/credentials/?username=lrn_ada").await);
    assert_eq!(first["count"], 21);
    assert_eq!(first["results"].as_array().unwrap().len(), 20);
    assert_eq!(
        first["next"],
        "http://127.0.0.1:3000/api/v2/credentials/?page=2&username=lrn_ada"
    );
    assert_eq!(first["previous"], Value::Null);

    let second = body_json(
        &lms.get("/api/v2/credentials/?username=lrn_ada&page=2")
            .await,
    );
    assert_eq!(second["results"].as_array().unwrap().len(), 1);
    assert_eq!(
        second["results"][0]["credential"]["course_run_key"],
        "course-v1:PageX+C20+1T2024"
    );
    assert_eq!(second["next"], Value::Null);
    assert_eq!(
        second["previous"],
        "http://127.0.0.1:3000/api/v2/credentials/?username=lrn_ada"
    );

    for page in ["3", "0", "x"] {
        let response = lms
            .get(&format!(
                "/api/v2/credentials/?username=lrn_ada&page={page}"
            ))
            .await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{page}");
        assert_eq!(body_json(&response), json!({"detail": "Invalid page."}));
    }
}

#[tokio::test]
async fn put_and_patch_change_status() {
    let lms = Lms::start().await;
    let created = body_json(
        &lms.post(CREDENTIALS, course_credential_body(1, "verified"))
            .await,
    );
    let path = format!("{CREDENTIALS}{}/", created["uuid"].as_str().unwrap());
    let learner = token(&TokenClaims::learner("lrn_ada"));

    for method in [Method::PUT, Method::PATCH] {
        let forbidden = lms
            .send(
                RequestBuilder::new(method.clone(), &path)
                    .jwt(&learner)
                    .json(&json!({"status": "revoked"})),
            )
            .await;
        assert_eq!(forbidden.status(), StatusCode::FORBIDDEN, "{method}");
    }

    let put = lms
        .send(
            RequestBuilder::new(Method::PUT, &path)
                .jwt(&lms.token)
                .json(&json!({"status": "revoked"})),
        )
        .await;
    assert_eq!(put.status(), StatusCode::OK);
    assert_eq!(body_json(&put)["status"], "revoked");

    let patch = lms
        .send(
            RequestBuilder::new(Method::PATCH, &path)
                .jwt(&lms.token)
                .json(&json!({"status": "awarded"})),
        )
        .await;
    assert_eq!(patch.status(), StatusCode::OK);
    assert_eq!(body_json(&patch)["status"], "awarded");
    assert_eq!(
        lms.learner(&ada()).await.credentials[0].status,
        CredentialStatus::Awarded
    );
}

#[tokio::test]
async fn credential_field_rules() {
    let lms = Lms::start().await;
    lms.post(
        COURSE_CERTIFICATES,
        json!({"course_id": run_key(2).as_str(), "certificate_type": "verified",
               "certificate_available_date": null, "is_active": true}),
    )
    .await;
    lms.post(
        COURSE_CERTIFICATES,
        json!({"course_id": run_key(3).as_str(), "certificate_type": "verified",
               "certificate_available_date": null, "is_active": false}),
    )
    .await;
    let unknown_program = Uuid::new_v4().dashed();

    let cases: Vec<(Value, Value)> = vec![
        (
            json!({"program_uuid": ""}),
            json!({"credential": ["Credential identifier is missing."]}),
        ),
        (
            json!({"program_uuid": unknown_program}),
            json!({"credential": {"program_uuid": format!("No active ProgramCertificate exists for program [{unknown_program}]")}}),
        ),
        (
            json!({"program_uuid": inactive_program().dashed()}),
            json!({"credential": {"program_uuid": format!("No active ProgramCertificate exists for program [{}]", inactive_program().dashed())}}),
        ),
        (
            json!({"course_run_key": "fake-run", "mode": "verified"}),
            json!({"credential": {"course_run_key": "CourseCertificate failed to create because the CourseRun fake-run doesn't exist in the catalog"}}),
        ),
        (
            json!({"course_run_key": "course-v1:TestX+Missing+1T2024", "mode": "verified"}),
            json!({"credential": {"course_run_key": "CourseCertificate failed to create because the CourseRun course-v1:TestX+Missing+1T2024 doesn't exist in the catalog"}}),
        ),
        (
            json!({"course_run_key": run_key(3).as_str(), "mode": "verified"}),
            json!({"credential": {"course_run_key": format!("No active CourseCertificate exists for course run [{}]", run_key(3))}}),
        ),
    ];
    for (credential, expected) in cases {
        let response = lms
            .post(
                CREDENTIALS,
                json!({"username": "lrn_ada", "credential": credential}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{credential}");
        assert_eq!(body_json(&response), expected, "{credential}");
    }

    // An existing verified configuration posted with mode honor stays verified.
    let response = lms
        .post(CREDENTIALS, course_credential_body(2, "honor"))
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(body_json(&response)["credential"]["mode"], "verified");
    let snapshot = lms.stack.app.snapshot().await.unwrap();
    assert!(
        snapshot
            .settings
            .course_certificate(&run_key(2), CertificateType::Honor)
            .is_none()
    );
}

#[tokio::test]
async fn missing_fields_are_named() {
    let lms = Lms::start().await;
    let response = lms.post(CREDENTIALS, json!({})).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        body_json(&response),
        json!({"username": ["This field is required."], "credential": ["This field is required."]})
    );
    let status = lms
        .post(
            CREDENTIALS,
            json!({"username": "lrn_ada", "status": "lost",
                   "credential": {"program_uuid": program().dashed()}}),
        )
        .await;
    assert_eq!(
        body_json(&status),
        json!({"status": ["\"lost\" is not a valid choice."]})
    );
}

#[tokio::test]
async fn program_credential_representation() {
    let lms = Lms::start().await;
    let body = body_json(&lms.post(CREDENTIALS, program_award_body()).await);
    let uuid = Uuid::parse(body["uuid"].as_str().unwrap()).unwrap();
    assert_eq!(
        body,
        json!({
            "username": "lrn_ada",
            "credential": {"type": "program", "program_uuid": program().dashed()},
            "status": "awarded",
            "uuid": uuid.dashed(),
            "attributes": [],
            "date_override": null,
            "created": body["created"],
            "modified": body["modified"],
            "certificate_url": format!("http://127.0.0.1:3000/credentials/{}/", uuid.hex()),
        })
    );
    assert!(is_drf_timestamp(&body["created"]));
}

#[tokio::test]
async fn program_credential_ignores_date_override() {
    let lms = Lms::start().await;
    let mut body = program_award_body();
    body["date_override"] = json!({"date": "2024-05-11T00:00:00Z"});
    let response = body_json(&lms.post(CREDENTIALS, body).await);
    assert_eq!(response["date_override"], Value::Null);
}

// Grades API acceptance cases.

fn grade_body(username: &str) -> Value {
    json!({"username": username, "course_run": run_key(1).as_str(), "letter_grade": "A",
           "percent_grade": 0.9, "verified": true})
}

#[tokio::test]
async fn grade_post_needs_a_user_and_staff() {
    let lms = Lms::start().await;
    let anonymous = lms
        .send(RequestBuilder::post(GRADES).json(&grade_body("test_user")))
        .await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let learner = token(&TokenClaims::learner("test_user"));
    let forbidden = lms
        .send(
            RequestBuilder::post(GRADES)
                .jwt(&learner)
                .json(&grade_body("test_user")),
        )
        .await;
    assert_eq!(forbidden.status(), StatusCode::FORBIDDEN);

    let created = lms.post(GRADES, grade_body("test_user")).await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let body = body_json(&created);
    let stored = &lms
        .learner(&Username::parse("test_user").unwrap())
        .await
        .grades[0];
    assert_eq!(
        body,
        json!({
            "id": stored.id, "username": "test_user", "course_run": run_key(1).as_str(),
            "letter_grade": "A", "percent_grade": "0.9000", "verified": true,
            "lms_last_updated_at": null, "created": body["created"], "modified": body["modified"],
        })
    );
    assert_eq!(stored.percent_grade, Percent::parse("0.9").unwrap());
    assert!(stored.verified);
}

#[tokio::test]
async fn blank_letter_grade_is_stored_empty() {
    let lms = Lms::start().await;
    let cases = [
        ("lrn_empty", json!("")),
        ("lrn_missing", Value::Null),
        ("lrn_null", json!(null)),
    ];
    for (username, letter) in cases {
        let mut body = grade_body(username);
        if username == "lrn_missing" {
            body.as_object_mut().unwrap().remove("letter_grade");
        } else {
            body["letter_grade"] = letter;
        }
        let response = lms.post(GRADES, body).await;
        assert_eq!(response.status(), StatusCode::CREATED, "{username}");
        let stored = &lms
            .learner(&Username::parse(username).unwrap())
            .await
            .grades[0];
        assert_eq!(stored.letter_grade, "", "{username}");
    }
}

#[tokio::test]
async fn grade_post_updates_the_same_row() {
    let lms = Lms::start().await;
    let first = body_json(&lms.post(GRADES, grade_body("lrn_ada")).await);
    let mut body = grade_body("lrn_ada");
    body["letter_grade"] = json!("B");
    let second = lms.post(GRADES, body).await;
    assert_eq!(second.status(), StatusCode::CREATED);
    let second = body_json(&second);
    assert_eq!(second["id"], first["id"]);
    assert_eq!(second["letter_grade"], "B");
    let grades = lms.learner(&ada()).await.grades;
    assert_eq!(grades.len(), 1);
    assert_eq!(grades[0].letter_grade, "B");
}

#[tokio::test]
async fn grade_put_and_patch_by_id() {
    let lms = Lms::start().await;
    let created = body_json(&lms.post(GRADES, grade_body("lrn_ada")).await);
    let path = format!("{GRADES}{}/", created["id"]);
    let learner = token(&TokenClaims::learner("lrn_ada"));

    let forbidden = lms
        .send(
            RequestBuilder::new(Method::PATCH, &path)
                .jwt(&learner)
                .json(&json!({"letter_grade": "F"})),
        )
        .await;
    assert_eq!(forbidden.status(), StatusCode::FORBIDDEN);

    let patch = lms
        .send(
            RequestBuilder::new(Method::PATCH, &path)
                .jwt(&lms.token)
                .json(&json!({"letter_grade": "B"})),
        )
        .await;
    assert_eq!(patch.status(), StatusCode::OK);
    assert_eq!(body_json(&patch)["letter_grade"], "B");
    assert_eq!(body_json(&patch)["percent_grade"], "0.9000");

    let mut full = grade_body("lrn_ada");
    full["percent_grade"] = json!("0.75");
    let put = lms
        .send(
            RequestBuilder::new(Method::PUT, &path)
                .jwt(&lms.token)
                .json(&full),
        )
        .await;
    assert_eq!(put.status(), StatusCode::OK);
    assert_eq!(body_json(&put)["percent_grade"], "0.7500");

    let incomplete = lms
        .send(
            RequestBuilder::new(Method::PUT, &path)
                .jwt(&lms.token)
                .json(&json!({"letter_grade": "C"})),
        )
        .await;
    assert_eq!(incomplete.status(), StatusCode::BAD_REQUEST);

    let unknown = lms
        .send(
            RequestBuilder::new(Method::PATCH, &format!("{GRADES}12345/"))
                .jwt(&lms.token)
                .json(&json!({"letter_grade": "B"})),
        )
        .await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn grade_timestamp_is_stored_as_given() {
    let lms = Lms::start().await;
    lms.post(GRADES, grade_body("lrn_ada")).await;
    let now = Utc::now();
    let mut body = grade_body("lrn_ada");
    body["lms_last_updated_at"] = json!(now.to_rfc3339());
    let response = lms.post(GRADES, body).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(
        lms.learner(&ada()).await.grades[0].lms_last_updated_at,
        Some(now)
    );
}

#[tokio::test]
async fn grade_for_unknown_run_returns_400() {
    let lms = Lms::start().await;
    for key in ["nope", "course-v1:TestX+Missing+1T2024"] {
        let mut body = grade_body("lrn_ada");
        body["course_run"] = json!(key);
        let response = lms.post(GRADES, body).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{key}");
        assert_eq!(
            body_json(&response),
            json!({"course_run": [format!("No CourseRun exists for key [{key}]")]})
        );
    }
}

#[tokio::test]
async fn grade_validation_names_fields() {
    let lms = Lms::start().await;
    let cases = [
        (json!({"percent_grade": "0.12345"}), "percent_grade"),
        (json!({"percent_grade": "12"}), "percent_grade"),
        (json!({"verified": "maybe"}), "verified"),
        (
            json!({"lms_last_updated_at": "yesterday"}),
            "lms_last_updated_at",
        ),
        (json!({"username": ""}), "username"),
    ];
    for (change, field) in cases {
        let mut body = grade_body("lrn_ada");
        for (name, value) in change.as_object().unwrap() {
            body[name] = value.clone();
        }
        let response = lms.post(GRADES, body).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{change}");
        assert!(body_json(&response).get(field).is_some(), "{change}");
    }
}

// Course certificate configuration routes.

#[tokio::test]
async fn course_certificate_get_put_and_patch() {
    let lms = Lms::start().await;
    let old_form = "DelftX/CTB3300WCx/2T2014";
    lms.post(
        COURSE_CERTIFICATES,
        json!({"course_id": old_form, "certificate_type": "honor",
               "certificate_available_date": null, "is_active": true}),
    )
    .await;

    let path = format!("{COURSE_CERTIFICATES}{old_form}/");
    let got = lms.get(&path).await;
    assert_eq!(got.status(), StatusCode::OK);
    assert_eq!(body_json(&got)["course_id"], old_form);

    let patched = lms
        .send(
            RequestBuilder::new(Method::PATCH, &path)
                .jwt(&lms.token)
                .json(&json!({"certificate_available_date": "2030-01-01 00:00:00+00:00"})),
        )
        .await;
    assert_eq!(patched.status(), StatusCode::OK);
    assert_eq!(
        body_json(&patched)["certificate_available_date"],
        "2030-01-01T00:00:00Z"
    );

    let put = lms
        .send(
            RequestBuilder::new(Method::PUT, &path)
                .jwt(&lms.token)
                .json(&json!({
                    "course_id": old_form, "certificate_type": "honor",
                    "certificate_available_date": null, "is_active": false,
                })),
        )
        .await;
    assert_eq!(put.status(), StatusCode::OK);
    assert_eq!(body_json(&put)["is_active"], false);

    let learner = token(&TokenClaims::learner("lrn_ada"));
    let forbidden = lms.send(RequestBuilder::get(&path).jwt(&learner)).await;
    assert_eq!(forbidden.status(), StatusCode::FORBIDDEN);
    let unknown = lms
        .get(&format!("{COURSE_CERTIFICATES}course-v1:NoX+No+No/"))
        .await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn course_certificate_with_several_types_needs_type() {
    let lms = Lms::start().await;
    for certificate_type in ["honor", "verified"] {
        lms.post(
            COURSE_CERTIFICATES,
            json!({"course_id": run_key(1).as_str(), "certificate_type": certificate_type,
                   "certificate_available_date": null, "is_active": true}),
        )
        .await;
    }
    let path = format!("{COURSE_CERTIFICATES}{}/", run_key(1));
    let ambiguous = lms.get(&path).await;
    assert_eq!(ambiguous.status(), StatusCode::BAD_REQUEST);
    let picked = lms.get(&format!("{path}?certificate_type=verified")).await;
    assert_eq!(picked.status(), StatusCode::OK);
    assert_eq!(body_json(&picked)["certificate_type"], "verified");
}

#[tokio::test]
async fn course_certificate_change_bumps_settings_version() {
    let lms = Lms::start().await;
    let before = lms.stack.app.store.versions().await.unwrap().settings;
    lms.post(
        COURSE_CERTIFICATES,
        json!({"course_id": run_key(1).as_str(), "certificate_type": "verified",
               "certificate_available_date": null, "is_active": true}),
    )
    .await;
    let after = lms.stack.app.store.versions().await.unwrap().settings;
    assert_eq!(after, before + 1);
}

// Routing and throttling.

#[tokio::test]
async fn routes_answer_with_and_without_trailing_slash() {
    let lms = Lms::start().await;
    assert_eq!(
        lms.get("/api/v2/credentials").await.status(),
        StatusCode::OK
    );
    assert_eq!(
        lms.get("/api/v2/credentials/").await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn unknown_path_returns_404_and_wrong_method_405() {
    let lms = Lms::start().await;
    assert_eq!(
        lms.get("/api/v2/programs/").await.status(),
        StatusCode::NOT_FOUND
    );
    let wrong = lms.get(GRADES).await;
    assert_eq!(wrong.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(
        body_json(&wrong),
        json!({"detail": "Method \"GET\" not allowed."})
    );
    let delete = lms
        .send(RequestBuilder::new(Method::DELETE, CREDENTIALS).jwt(&lms.token))
        .await;
    assert_eq!(delete.status(), StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn learner_listing_is_throttled_after_fifteen() {
    let lms = Lms::start().await;
    let learner = token(&TokenClaims::learner("lrn_ada"));
    let path = "/api/v2/credentials/?username=lrn_ada";
    // The limit counts per clock minute; a run that crosses a minute boundary starts over.
    for _ in 0..3 {
        let window = Utc::now().timestamp() / 60;
        let mut statuses = Vec::new();
        let mut last = None;
        for _ in 0..16 {
            let response = lms.send(RequestBuilder::get(path).jwt(&learner)).await;
            statuses.push(response.status());
            last = Some(response);
        }
        if Utc::now().timestamp() / 60 != window {
            continue;
        }
        assert!(statuses[..15].iter().all(|s| *s == StatusCode::OK));
        let last = last.unwrap();
        assert_eq!(last.status(), StatusCode::TOO_MANY_REQUESTS);
        let detail = body_json(&last)["detail"].as_str().unwrap().to_owned();
        assert!(
            detail.starts_with("Request was throttled. Expected available in "),
            "{detail}"
        );
        assert!(header_of(&last, header::RETRY_AFTER).is_some());

        let staff = lms.get(path).await;
        assert_eq!(staff.status(), StatusCode::OK, "staff are never throttled");
        return;
    }
    panic!("every attempt crossed a minute boundary");
}

// Username replacement.

fn worker() -> String {
    token(&TokenClaims::learner("retirement_service_worker"))
}

async fn replace(lms: &Lms, body: Value) -> Response {
    lms.send(
        RequestBuilder::post(REPLACE_USERNAMES)
            .jwt(&worker())
            .json(&body),
    )
    .await
}

#[tokio::test]
async fn replace_usernames_needs_the_worker() {
    let lms = Lms::start().await;
    let body = json!({"username_mappings": [{"lrn_ada": "retired_ada"}]});
    let anonymous = lms
        .send(RequestBuilder::post(REPLACE_USERNAMES).json(&body))
        .await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let staff = lms.post(REPLACE_USERNAMES, body.clone()).await;
    assert_eq!(staff.status(), StatusCode::FORBIDDEN);
    assert_eq!(replace(&lms, body).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn malformed_username_mappings_return_400() {
    let lms = Lms::start().await;
    for body in [
        json!({}),
        json!({"username_mappings": "lrn_ada"}),
        json!({"username_mappings": [{"a": "b", "c": "d"}]}),
        json!({"username_mappings": [["a", "b"]]}),
        json!({"username_mappings": [{"a": 1}]}),
    ] {
        let response = replace(&lms, body.clone()).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{body}");
    }
}

#[tokio::test]
async fn replace_usernames_moves_everything() {
    let lms = Lms::start().await;
    let store = &lms.stack.app.store;
    let credential = body_json(&lms.post(CREDENTIALS, program_award_body()).await);
    lms.post(CREDENTIALS, course_credential_body(1, "verified"))
        .await;
    lms.post(GRADES, grade_body("lrn_ada")).await;
    let profile = LearnerProfile {
        username: Some(ada()),
        full_name: "Ada Testwell".into(),
        email: "ada@example.test".into(),
        lms_user_id: Some(4242),
    };
    let stored = lms.learner(&ada()).await.profile;
    store
        .sync_profile(&ada(), stored.as_ref(), &profile)
        .await
        .unwrap();
    let link = store
        .get_or_create_link(&ada(), &program(), None, None, Utc::now())
        .await
        .unwrap()
        .link()
        .clone();

    let response = replace(
        &lms,
        json!({"username_mappings": [{"lrn_ada": "retired_ada"}, {"ghost": "retired_ghost"}]}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        body_json(&response),
        json!({
            "successful_replacements": [{"lrn_ada": "retired_ada"}, {"ghost": "retired_ghost"}],
            "failed_replacements": [],
        })
    );

    let retired = Username::parse("retired_ada").unwrap();
    assert!(!lms.learner(&ada()).await.exists());
    let moved = lms.learner(&retired).await;
    assert_eq!(moved.credentials.len(), 2);
    assert!(moved.credentials.iter().all(|c| c.username == retired));
    assert_eq!(moved.grades.len(), 1);
    assert_eq!(moved.grades[0].username, retired);
    assert_eq!(moved.links.len(), 1);
    assert_eq!(moved.links[0].username, retired);
    let profile = moved.profile.unwrap();
    assert_eq!(profile.full_name, "");
    assert_eq!(profile.username, Some(retired.clone()));
    assert_eq!(profile.email, "ada@example.test");

    let resolved = store
        .resolve_link(&link.uuid, Utc::now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(resolved.username, retired);
    let by_uuid = lms
        .get(&format!(
            "{CREDENTIALS}{}/",
            credential["uuid"].as_str().unwrap()
        ))
        .await;
    assert_eq!(body_json(&by_uuid)["username"], "retired_ada");
    let grade_id = moved.grades[0].id;
    let patched = lms
        .send(
            RequestBuilder::new(Method::PATCH, &format!("{GRADES}{grade_id}/"))
                .jwt(&lms.token)
                .json(&json!({"letter_grade": "B"})),
        )
        .await;
    assert_eq!(body_json(&patched)["username"], "retired_ada");
}

#[tokio::test]
async fn replace_username_onto_taken_name_fails() {
    let lms = Lms::start().await;
    lms.post(GRADES, grade_body("lrn_ada")).await;
    lms.post(GRADES, grade_body("lrn_bo")).await;
    let response = replace(&lms, json!({"username_mappings": [{"lrn_ada": "lrn_bo"}]})).await;
    assert_eq!(
        body_json(&response),
        json!({"successful_replacements": [], "failed_replacements": [{"lrn_ada": "lrn_bo"}]})
    );
    assert_eq!(lms.learner(&ada()).await.grades.len(), 1);
}

#[tokio::test]
async fn replace_username_of_large_learner_moves_in_batches() {
    let lms = Lms::start().await;
    let now = Utc::now();
    for n in 0..60 {
        let grade = UserGrade {
            id: 1000 + n,
            username: ada(),
            course_run: CourseRunKey::parse(&format!("course-v1:BulkX+C{n}+1T2024")).unwrap(),
            letter_grade: String::new(),
            percent_grade: Percent::parse("0.5").unwrap(),
            verified: true,
            lms_last_updated_at: None,
            created: now,
            modified: now,
        };
        lms.stack.app.store.write_grade(&grade, None).await.unwrap();
    }
    lms.stack.app.counter.reset();
    let response = replace(
        &lms,
        json!({"username_mappings": [{"lrn_ada": "retired_ada"}]}),
    )
    .await;
    assert_eq!(
        body_json(&response)["successful_replacements"],
        json!([{"lrn_ada": "retired_ada"}])
    );
    assert_eq!(
        lms.stack.app.counter.snapshot().get("TransactWriteItems"),
        Some(&2),
        "120 actions need two transactions"
    );
    let retired = Username::parse("retired_ada").unwrap();
    assert_eq!(lms.learner(&retired).await.grades.len(), 60);
    assert!(!lms.learner(&ada()).await.exists());
}
