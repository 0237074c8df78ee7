//! Sending a program record to a credit-pathway partner, against moto. The tests cover the
//! email SES accepted, the send item, the published event and failures injected into the
//! mailer. They also cover the rate limit, permissions, which pathways take requests, legacy
//! send items, and the "updated" follow-up on a first program credential award.
//!
//! moto keeps only part of a sent message (`source`, `subject`, the HTML body and the To
//! addresses), not the Reply-To or the text body. Those are checked on the `Email` rendered
//! from the same inputs, after checking that its subject and HTML equal what moto captured.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::Utc;
use lambda_http::http::{StatusCode, header};
use lambda_http::{Context, LambdaEvent};
use learner_records::api::share_credit::{self, SharedRecordLinks};
use learner_records::auth::{Identity, TokenSource};
use learner_records::config::Config;
use learner_records::domain::*;
use learner_records::email::{self, CreditRequest, RequestKind};
use learner_records::events;
use learner_records::http::{Request, Response};
use learner_records::mailer::Mailer;
use learner_records::store::Store;
use learner_records::store::cache::{KIND_PROGRAM_CERTIFICATE, KIND_SITE};
use learner_records::store::keys;
use learner_records::store::learner::{KIND_CREDENTIAL, KIND_PROFILE, KIND_SEND};
use learner_records::testkit::{
    EventCapture, PARTNER_FROM_ADDRESS, PUBLIC_BASE_URL, RequestBuilder, TestStack, TokenClaims,
    body_json, body_text, header_of, random_suffix, sent_emails, token,
};
use serde_json::{Value, json};

const ADA: &str = "lrn_ada";
const BO: &str = "lrn_bo";
const PLATFORM: &str = "Open edX Test";
const PROGRAM_TITLE: &str = "Circuits and Electronics";
const SECOND_PROGRAM_TITLE: &str = "Water Management";
const PATHWAY_NAME: &str = "Partner University Credit";

/// A published credit pathway linked to both programs.
const CREDIT: u64 = 1;
const UNPUBLISHED: u64 = 2;
const RETIRED: u64 = 3;
const INDUSTRY: u64 = 4;
const NO_EMAIL: u64 = 5;
/// A published credit pathway linked to the second program only.
const OTHER_PROGRAM_ONLY: u64 = 6;

fn ada() -> Username {
    Username::parse(ADA).unwrap()
}

fn bo() -> Username {
    Username::parse(BO).unwrap()
}

fn program() -> Uuid {
    Uuid::parse("a3f1b2c45d6e4f708192a3b4c5d6e7f8").unwrap()
}

fn second_program() -> Uuid {
    Uuid::parse("b4e2c3d56e7f40819203b4c5d6e7f809").unwrap()
}

/// In the catalog, but without a program certificate configuration.
fn unconfigured_program() -> Uuid {
    Uuid::parse("c5f3d4e67f8041929314c5d6e7f8091a").unwrap()
}

fn catalog_program(uuid: Uuid, title: &str) -> Program {
    Program {
        uuid,
        title: title.into(),
        program_type: "MicroMasters".into(),
        type_slug: "micromasters".into(),
        status: ProgramStatus::Active,
        total_hours_of_effort: None,
        authoring_organizations: vec![],
        course_runs: vec![],
    }
}

fn catalog_pathway(
    id: u64,
    email: &str,
    status: PathwayStatus,
    pathway_type: PathwayType,
    programs: Vec<Uuid>,
) -> Pathway {
    Pathway {
        id,
        uuid: Uuid::parse(&format!("{id:032x}")).unwrap(),
        name: PATHWAY_NAME.into(),
        org_name: "Partner University".into(),
        email: email.into(),
        pathway_type,
        status,
        programs,
    }
}

fn program_credential(username: &Username, program: Uuid) -> UserCredential {
    let now = Utc::now();
    UserCredential {
        uuid: Uuid::new_v4(),
        username: username.clone(),
        subject: CredentialSubject::Program {
            program_uuid: program,
        },
        status: CredentialStatus::Awarded,
        attributes: vec![],
        date_override: None,
        created: now,
        modified: now,
    }
}

/// A stack with two programs sharing the credit pathway, pathways of every status and type,
/// and two learners: Ada has the first program's credential, Bo has no credential.
struct Fixture {
    stack: TestStack,
    /// The partner address of every pathway that has one, unique to this fixture, because all
    /// tests share one moto server and its list of sent emails.
    partner: String,
}

impl Fixture {
    async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    async fn start_with(adjust: impl FnOnce(&mut Config)) -> Self {
        let stack = TestStack::start_with(adjust).await;
        let partner = format!("admissions-{}@partner.example.test", random_suffix());
        let fixture = Self { stack, partner };
        fixture.seed().await;
        fixture
    }

    fn store(&self) -> &Store {
        &self.stack.app.store
    }

    async fn seed(&self) {
        let both = vec![program(), second_program()];
        let partner = self.partner.as_str();
        let pathways = [
            catalog_pathway(
                CREDIT,
                partner,
                PathwayStatus::Published,
                PathwayType::Credit,
                both.clone(),
            ),
            catalog_pathway(
                UNPUBLISHED,
                partner,
                PathwayStatus::Unpublished,
                PathwayType::Credit,
                both.clone(),
            ),
            catalog_pathway(
                RETIRED,
                partner,
                PathwayStatus::Retired,
                PathwayType::Credit,
                both.clone(),
            ),
            catalog_pathway(
                INDUSTRY,
                partner,
                PathwayStatus::Published,
                PathwayType::Industry,
                both.clone(),
            ),
            catalog_pathway(
                NO_EMAIL,
                "",
                PathwayStatus::Published,
                PathwayType::Credit,
                both,
            ),
            catalog_pathway(
                OTHER_PROGRAM_ONLY,
                partner,
                PathwayStatus::Published,
                PathwayType::Credit,
                vec![second_program()],
            ),
        ];
        let programs = [
            catalog_program(program(), PROGRAM_TITLE),
            catalog_program(second_program(), SECOND_PROGRAM_TITLE),
            catalog_program(unconfigured_program(), "Unconfigured"),
        ];
        self.store()
            .replace_catalog(&[], &[], &programs, &pathways)
            .await
            .unwrap();

        self.set_site(SiteConfiguration {
            platform_name: PLATFORM.into(),
            partner_from_address: PARTNER_FROM_ADDRESS.into(),
            ..SiteConfiguration::default()
        })
        .await;
        // The second program's configuration is inactive: any configuration will do.
        for (uuid, is_active) in [(program(), true), (second_program(), false)] {
            let certificate = ProgramCertificate {
                program_uuid: uuid,
                is_active,
                language: None,
                title: None,
            };
            self.put(
                &keys::program_certificate(&uuid),
                KIND_PROGRAM_CERTIFICATE,
                &certificate,
            )
            .await;
        }
        self.store().bump_settings_version().await.unwrap();

        self.set_profile(&ada(), "Ada Testwell", "ada@example.test")
            .await;
        self.set_profile(&bo(), "Bo Samplesen", "bo@example.test")
            .await;
        self.award(&ada(), program()).await;
    }

    async fn put<T: serde::Serialize>(&self, key: &keys::Key, kind: &str, value: &T) {
        self.store()
            .put(Store::item(key, kind, value).unwrap())
            .await
            .unwrap();
    }

    async fn set_site(&self, site: SiteConfiguration) {
        self.put(&keys::site_configuration(), KIND_SITE, &site)
            .await;
        self.store().bump_settings_version().await.unwrap();
    }

    async fn set_profile(&self, username: &Username, full_name: &str, email: &str) {
        let profile = LearnerProfile {
            username: Some(username.clone()),
            full_name: full_name.into(),
            email: email.into(),
            lms_user_id: Some(7),
        };
        self.put(&keys::profile(username), KIND_PROFILE, &profile)
            .await;
    }

    async fn award(&self, username: &Username, program: Uuid) {
        self.put(
            &keys::program_credential(username, &program),
            KIND_CREDENTIAL,
            &program_credential(username, program),
        )
        .await;
    }

    async fn put_send(&self, program: Option<Uuid>, status: CreditPathwayStatus) {
        let created = Utc::now() - chrono::Duration::days(30);
        let send = CreditPathwaySend {
            username: ada(),
            pathway_id: CREDIT,
            program_uuid: program,
            status,
            created,
            modified: created,
        };
        self.put(
            &keys::credit_send(&ada(), CREDIT, program.as_ref()),
            KIND_SEND,
            &send,
        )
        .await;
    }

    async fn create_link(&self, username: &Username, program: Uuid) -> PublicLink {
        let outcome = self
            .store()
            .get_or_create_link(username, &program, None, None, Utc::now())
            .await
            .unwrap();
        outcome.link().clone()
    }

    async fn learner(&self, username: &Username) -> LearnerData {
        self.store().load_learner(username).await.unwrap()
    }

    async fn sends_to_credit(&self) -> Vec<CreditPathwaySend> {
        self.learner(&ada())
            .await
            .sends
            .into_iter()
            .filter(|send| send.pathway_id == CREDIT)
            .collect()
    }

    /// Emails moto captured for this fixture's partner address.
    async fn partner_emails(&self) -> Vec<Value> {
        sent_emails(&self.stack.endpoint)
            .await
            .into_iter()
            .filter(|message| {
                message["destinations"]["ToAddresses"]
                    .as_array()
                    .is_some_and(|to| to.iter().any(|a| a == self.partner.as_str()))
            })
            .collect()
    }

    async fn send(&self, request: Request) -> Response {
        share_credit::handle(&self.stack.app, request).await
    }

    /// Ada sends her record of `program` to `pathway_id` with a header token.
    async fn ada_sends(&self, program: Uuid, pathway_id: u64) -> Response {
        self.send(send_request(&ada_token(), program, ADA, json!(pathway_id)))
            .await
    }

    async fn capture_events(&self) -> EventCapture {
        EventCapture::attach(
            &self.stack.endpoint,
            &self.stack.sdk,
            &self.stack.resources.bus,
        )
        .await
    }

    async fn follow_up(&self, username: &str, program: Uuid, first_award: bool) -> Value {
        share_credit::handle_event(&self.stack.app, award_event(username, program, first_award))
            .await
            .unwrap()
    }
}

fn ada_token() -> String {
    token(&TokenClaims::learner(ADA).named("Ada Testwell"))
}

fn send_path(program: Uuid) -> String {
    format!("/records/programs/{}/send", program.hex())
}

fn send_request(token: &str, program: Uuid, username: &str, pathway_id: Value) -> Request {
    RequestBuilder::post(&send_path(program))
        .jwt(token)
        .json(&json!({"username": username, "pathway_id": pathway_id}))
        .build()
}

fn award_event(username: &str, program: Uuid, first_award: bool) -> Value {
    json!({
        "version": "0",
        "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "detail-type": events::PROGRAM_CREDENTIAL_AWARDED,
        "source": events::SOURCE,
        "account": "123456789012",
        "time": "2026-01-01T00:00:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail": {
            "username": username,
            "program_uuid": program.dashed(),
            "credential_uuid": Uuid::new_v4().dashed(),
            "lms_user_id": 7,
            "first_award": first_award,
        },
    })
}

/// Extracts the link uuid from the first `<base>/records/programs/shared/<hex>/…` in `text`.
fn shared_link_uuid(text: &str) -> Uuid {
    let marker = format!("{PUBLIC_BASE_URL}/records/programs/shared/");
    let start = text.find(&marker).unwrap() + marker.len();
    Uuid::parse_url_hex(&text[start..start + 32]).unwrap()
}

// The happy path: what the partner receives, what is stored and published.

#[tokio::test]
async fn send_returns_200_with_empty_body() {
    let fixture = Fixture::start().await;
    let response = fixture.ada_sends(program(), CREDIT).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(body_text(&response), "");
}

#[tokio::test]
async fn partner_receives_one_email_with_subject_and_sender() {
    let fixture = Fixture::start().await;
    fixture.ada_sends(program(), CREDIT).await;

    let emails = fixture.partner_emails().await;
    assert_eq!(emails.len(), 1);
    let email = &emails[0];
    assert_eq!(
        email["destinations"]["ToAddresses"],
        json!([fixture.partner])
    );
    assert_eq!(
        email["subject"],
        "Circuits and Electronics Credit Request for Ada Testwell"
    );
    assert_eq!(
        email["source"],
        format!("\"{PLATFORM}\" <{PARTNER_FROM_ADDRESS}>")
    );
}

#[tokio::test]
async fn email_links_one_public_record() {
    let fixture = Fixture::start().await;
    fixture.ada_sends(program(), CREDIT).await;

    let html = fixture.partner_emails().await[0]["body"]
        .as_str()
        .unwrap()
        .to_owned();
    let link_uuid = shared_link_uuid(&html);
    let links = SharedRecordLinks::new(&fixture.stack.app.config, &link_uuid);
    assert!(html.contains(&format!(
        "<a href=\"{}\">View Program Record</a>",
        links.record
    )));
    assert!(html.contains(&format!(
        "<a href=\"{}\">Download Record (CSV)</a>",
        links.csv
    )));
    assert_eq!(links.csv, format!("{}csv", links.record));

    let resolved = fixture
        .store()
        .resolve_link(&link_uuid, Utc::now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(resolved.username, ada());
    assert_eq!(resolved.program_uuid, program());
}

#[tokio::test]
async fn email_body_states_completed_record_and_pathway() {
    let fixture = Fixture::start().await;
    fixture.ada_sends(program(), CREDIT).await;

    let html = fixture.partner_emails().await[0]["body"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(html.contains(&format!(
        "Ada Testwell would like to apply for credit in the {PATHWAY_NAME}."
    )));
    assert!(html.contains(&format!(
        "has sent their completed program record for {PROGRAM_TITLE}."
    )));
    assert!(html.contains(&format!("The {PLATFORM} Team")));
}

#[tokio::test]
async fn reply_to_is_the_learners_stored_address() {
    let fixture = Fixture::start().await;
    fixture.ada_sends(program(), CREDIT).await;
    let captured = fixture.partner_emails().await.remove(0);

    // Render from the inputs the handler had; equal subject and HTML show it rendered the same.
    let learner = fixture.learner(&ada()).await;
    let requester = Identity {
        username: ada(),
        is_staff: false,
        email: "lrn_ada@example.test".into(),
        full_name: "Ada Testwell".into(),
        lms_user_id: Some(1000),
        source: TokenSource::Header,
    };
    let (name, address) = share_credit::learner_contact(&learner, &ada(), &requester);
    let links = SharedRecordLinks::new(
        &fixture.stack.app.config,
        &shared_link_uuid(captured["body"].as_str().unwrap()),
    );
    let rendered = email::render_credit_request(&CreditRequest {
        kind: RequestKind::Initial,
        platform_name: PLATFORM,
        from_address: PARTNER_FROM_ADDRESS,
        partner_address: &fixture.partner,
        learner_address: address.as_deref(),
        learner_name: &name,
        pathway_name: PATHWAY_NAME,
        program_title: PROGRAM_TITLE,
        program_completed: true,
        record_url: &links.record,
        csv_url: &links.csv,
    });
    assert_eq!(captured["subject"], rendered.subject.as_str());
    assert_eq!(captured["body"], rendered.html.as_str());
    assert_eq!(captured["source"], rendered.from.as_str());
    assert_eq!(rendered.reply_to, vec!["ada@example.test"]);
    assert!(
        rendered
            .text
            .contains(&format!("View Program Record: {}", links.record))
    );
    assert!(
        rendered
            .text
            .contains(&format!("Download Record (CSV): {}", links.csv))
    );
}

#[tokio::test]
async fn send_is_recorded_as_sent() {
    let fixture = Fixture::start().await;
    fixture.ada_sends(program(), CREDIT).await;

    let sends = fixture.sends_to_credit().await;
    assert_eq!(sends.len(), 1);
    assert_eq!(sends[0].program_uuid, Some(program()));
    assert_eq!(sends[0].status, CreditPathwayStatus::Sent);
}

#[tokio::test]
async fn send_creates_the_public_link() {
    let fixture = Fixture::start().await;
    assert!(fixture.learner(&ada()).await.links.is_empty());

    fixture.ada_sends(program(), CREDIT).await;

    let learner = fixture.learner(&ada()).await;
    assert!(learner.link_for_program(&program()).is_some());
}

#[tokio::test]
async fn send_reuses_an_existing_public_link() {
    let fixture = Fixture::start().await;
    let link = fixture.create_link(&ada(), program()).await;

    fixture.ada_sends(program(), CREDIT).await;

    let html = fixture.partner_emails().await[0]["body"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(shared_link_uuid(&html), link.uuid);
}

#[tokio::test]
async fn record_sent_event_is_published() {
    let fixture = Fixture::start().await;
    let capture = fixture.capture_events().await;

    fixture.ada_sends(program(), CREDIT).await;

    let link = fixture.learner(&ada()).await.links.remove(0);
    let sent: Vec<Value> = capture
        .drain()
        .await
        .into_iter()
        .filter(|event| event["detail-type"] == events::RECORD_SENT)
        .collect();
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sent[0]["detail"],
        json!({
            "username": ADA,
            "program_uuid": program().dashed(),
            "pathway_id": CREDIT,
            "link_uuid": link.uuid.dashed(),
        })
    );
}

#[tokio::test]
async fn send_costs_one_request_per_step() {
    let fixture = Fixture::start().await;
    fixture.stack.app.snapshot().await.unwrap();
    fixture.stack.app.counter.reset();

    let response = fixture.ada_sends(program(), CREDIT).await;

    assert_eq!(response.status(), StatusCode::OK);
    let expected: BTreeMap<String, u64> = [
        ("UpdateItem", 1),         // rate limit counter
        ("GetItem", 1),            // cache versions
        ("Query", 1),              // the learner's partition
        ("TransactWriteItems", 1), // the new public link
        ("SendEmail", 1),
        ("PutItem", 1), // the send item
        ("PutEvents", 1),
    ]
    .into_iter()
    .map(|(operation, count)| (operation.to_owned(), count))
    .collect();
    assert_eq!(fixture.stack.app.counter.snapshot(), expected);
}

// SES failures: an error status, and nothing recorded as sent.

#[tokio::test]
async fn ses_rejection_returns_502_and_records_nothing() {
    let mut fixture = Fixture::start().await;
    fixture.stack.app.mailer = Mailer::Failing { unavailable: false };
    let capture = fixture.capture_events().await;

    let response = fixture.ada_sends(program(), CREDIT).await;

    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    assert!(body_json(&response)["error"].is_string());
    assert!(fixture.sends_to_credit().await.is_empty());
    assert!(
        !capture
            .detail_types()
            .await
            .contains_key(events::RECORD_SENT)
    );
}

#[tokio::test]
async fn ses_timeout_returns_503_and_records_nothing() {
    let mut fixture = Fixture::start().await;
    fixture.stack.app.mailer = Mailer::Failing { unavailable: true };

    let response = fixture.ada_sends(program(), CREDIT).await;

    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(body_json(&response)["error"].is_string());
    assert!(fixture.sends_to_credit().await.is_empty());
}

#[tokio::test]
async fn unverified_sender_is_rejected_by_ses_with_502() {
    let fixture = Fixture::start().await;
    fixture
        .set_site(SiteConfiguration {
            platform_name: PLATFORM.into(),
            partner_from_address: format!("unverified-{}@elsewhere.test", random_suffix()),
            ..SiteConfiguration::default()
        })
        .await;

    let response = fixture.ada_sends(program(), CREDIT).await;

    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    assert!(fixture.partner_emails().await.is_empty());
    assert!(fixture.sends_to_credit().await.is_empty());
}

#[tokio::test]
async fn failed_send_can_be_retried() {
    let mut fixture = Fixture::start().await;
    let ses = fixture.stack.app.mailer.clone();
    fixture.stack.app.mailer = Mailer::Failing { unavailable: true };
    fixture.ada_sends(program(), CREDIT).await;
    fixture.stack.app.mailer = ses;

    let response = fixture.ada_sends(program(), CREDIT).await;

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(fixture.partner_emails().await.len(), 1);
    assert_eq!(fixture.sends_to_credit().await.len(), 1);
}

// Authentication, rate limit and permissions.

#[tokio::test]
async fn anonymous_send_returns_401_json() {
    let fixture = Fixture::start().await;
    let request = RequestBuilder::post(&send_path(program()))
        .json(&json!({"username": ADA, "pathway_id": CREDIT}))
        .build();

    let response = fixture.send(request).await;

    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(body_json(&response)["detail"].is_string());
    assert_eq!(
        header_of(&response, header::WWW_AUTHENTICATE),
        Some("JWT realm=\"api\"")
    );
}

#[tokio::test]
async fn cookie_send_without_csrf_token_returns_403() {
    let fixture = Fixture::start().await;
    let request = RequestBuilder::post(&send_path(program()))
        .jwt_cookies(&ada_token())
        .json(&json!({"username": ADA, "pathway_id": CREDIT}))
        .build();

    let response = fixture.send(request).await;

    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(fixture.partner_emails().await.is_empty());
}

#[tokio::test]
async fn cookie_send_with_csrf_token_succeeds() {
    let fixture = Fixture::start().await;
    let csrf = fixture.stack.app.csrf.issue(ADA, Utc::now());
    let request = RequestBuilder::post(&send_path(program()))
        .jwt_cookies(&ada_token())
        .header("x-csrftoken", &csrf)
        .header("origin", learner_records::testkit::MFE_ORIGIN)
        .json(&json!({"username": ADA, "pathway_id": CREDIT}))
        .build();

    let response = fixture.send(request).await;

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(fixture.partner_emails().await.len(), 1);
}

/// Waits for the next one-minute rate-limit window when the current one is nearly over, so a
/// burst of requests cannot straddle two windows and escape the limit.
async fn wait_for_fresh_window() {
    let second = Utc::now().timestamp().rem_euclid(60);
    if second > 40 {
        tokio::time::sleep(Duration::from_secs((61 - second) as u64)).await;
    }
}

#[tokio::test]
async fn sixteenth_send_returns_429() {
    let fixture = Fixture::start().await;
    wait_for_fresh_window().await;
    for attempt in 1..=15 {
        let response = fixture.ada_sends(program(), CREDIT).await;
        assert_eq!(response.status(), StatusCode::OK, "send {attempt}");
    }

    let response = fixture.ada_sends(program(), CREDIT).await;

    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(body_json(&response), json!({"error": "Too Many Requests"}));
    assert!(header_of(&response, header::RETRY_AFTER).is_some());
    assert_eq!(fixture.partner_emails().await.len(), 15);
}

#[tokio::test]
async fn rate_limit_is_per_requester() {
    let fixture = Fixture::start().await;
    wait_for_fresh_window().await;
    for _ in 0..16 {
        fixture.ada_sends(program(), CREDIT).await;
    }

    let bo_token = token(&TokenClaims::learner(BO));
    let response = fixture
        .send(send_request(&bo_token, program(), BO, json!(CREDIT)))
        .await;

    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn other_learners_record_returns_403() {
    let fixture = Fixture::start().await;
    let bo_token = token(&TokenClaims::learner(BO));

    let response = fixture
        .send(send_request(&bo_token, program(), ADA, json!(CREDIT)))
        .await;

    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(body_json(&response), json!({"error": "Permission denied"}));
    assert!(fixture.partner_emails().await.is_empty());
    assert!(fixture.learner(&ada()).await.links.is_empty());
}

#[tokio::test]
async fn staff_send_names_the_learner_not_the_requester() {
    let fixture = Fixture::start().await;
    let staff_token = token(&TokenClaims::staff("staff_sam").named("Sam Staff"));

    let response = fixture
        .send(send_request(&staff_token, program(), ADA, json!(CREDIT)))
        .await;

    assert_eq!(response.status(), StatusCode::OK);
    let emails = fixture.partner_emails().await;
    assert_eq!(
        emails[0]["subject"],
        "Circuits and Electronics Credit Request for Ada Testwell"
    );
    assert_eq!(fixture.sends_to_credit().await.len(), 1);
}

#[test]
fn staff_requester_gets_the_learners_reply_to() {
    let learner = LearnerData {
        profile: Some(LearnerProfile {
            username: Some(ada()),
            full_name: String::new(),
            email: "ada@example.test".into(),
            lms_user_id: None,
        }),
        ..LearnerData::default()
    };
    let staff = Identity {
        username: Username::parse("staff_sam").unwrap(),
        is_staff: true,
        email: "sam@example.test".into(),
        full_name: "Sam Staff".into(),
        lms_user_id: None,
        source: TokenSource::Header,
    };
    let (name, address) = share_credit::learner_contact(&learner, &ada(), &staff);
    assert_eq!(name, ADA);
    assert_eq!(address.as_deref(), Some("ada@example.test"));
}

#[tokio::test]
async fn unknown_learner_returns_404() {
    let fixture = Fixture::start().await;
    let staff_token = token(&TokenClaims::staff("staff_sam"));

    let response = fixture
        .send(send_request(
            &staff_token,
            program(),
            "lrn_ghost",
            json!(CREDIT),
        ))
        .await;

    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(body_json(&response), json!({"detail": "Not found."}));
}

#[tokio::test]
async fn records_disabled_returns_404() {
    let fixture = Fixture::start().await;
    fixture
        .set_site(SiteConfiguration {
            platform_name: PLATFORM.into(),
            records_enabled: false,
            ..SiteConfiguration::default()
        })
        .await;

    let response = fixture.ada_sends(program(), CREDIT).await;

    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(fixture.partner_emails().await.is_empty());
}

// The body, the program and the pathway.

#[tokio::test]
async fn missing_fields_return_400_naming_them() {
    let fixture = Fixture::start().await;
    let request = RequestBuilder::post(&send_path(program()))
        .jwt(&ada_token())
        .json(&json!({}))
        .build();

    let response = fixture.send(request).await;

    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body = body_json(&response);
    assert_eq!(body["username"], json!(["This field is required."]));
    assert_eq!(body["pathway_id"], json!(["This field is required."]));
}

#[tokio::test]
async fn malformed_pathway_id_returns_400() {
    let fixture = Fixture::start().await;

    let response = fixture
        .send(send_request(&ada_token(), program(), ADA, json!("one")))
        .await;

    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        body_json(&response)["pathway_id"],
        json!(["A valid integer is required."])
    );
}

#[tokio::test]
async fn numeric_string_pathway_id_is_accepted() {
    let fixture = Fixture::start().await;

    let response = fixture
        .send(send_request(&ada_token(), program(), ADA, json!("1")))
        .await;

    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn unknown_program_returns_404() {
    let fixture = Fixture::start().await;
    let unknown = Uuid::parse("00000000000040008000000000000000").unwrap();

    let response = fixture.ada_sends(unknown, CREDIT).await;

    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(body_json(&response), json!({"detail": "Not found."}));
}

#[tokio::test]
async fn program_without_certificate_configuration_returns_404() {
    let fixture = Fixture::start().await;

    let response = fixture.ada_sends(unconfigured_program(), CREDIT).await;

    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn inactive_certificate_configuration_is_enough() {
    let fixture = Fixture::start().await;

    let response = fixture.ada_sends(second_program(), CREDIT).await;

    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn pathways_that_take_no_requests_return_404() {
    let fixture = Fixture::start().await;
    let cases = [
        ("unpublished", UNPUBLISHED),
        ("retired", RETIRED),
        ("industry", INDUSTRY),
        ("without email", NO_EMAIL),
        ("not linked to the program", OTHER_PROGRAM_ONLY),
        ("unknown", 99),
    ];
    for (name, pathway_id) in cases {
        let response = fixture.ada_sends(program(), pathway_id).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{name} pathway");
        assert_eq!(
            body_json(&response),
            json!({"detail": "Not found."}),
            "{name} pathway"
        );
    }
    assert!(fixture.partner_emails().await.is_empty());
    assert!(fixture.learner(&ada()).await.sends.is_empty());
}

#[tokio::test]
async fn sender_defaults_to_no_reply() {
    let fixture = Fixture::start_with(|config| config.partner_from_address.clear()).await;
    fixture
        .set_site(SiteConfiguration {
            platform_name: PLATFORM.into(),
            ..SiteConfiguration::default()
        })
        .await;
    // moto accepts a sender whose domain is a verified identity.
    aws_sdk_sesv2::Client::new(&fixture.stack.sdk)
        .create_email_identity()
        .email_identity("127.0.0.1")
        .send()
        .await
        .unwrap();

    let response = fixture.ada_sends(program(), CREDIT).await;

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        fixture.partner_emails().await[0]["source"],
        format!("\"{PLATFORM}\" <no-reply@127.0.0.1>")
    );
}

#[tokio::test]
async fn learner_without_full_name_is_named_by_username() {
    let fixture = Fixture::start().await;
    fixture.set_profile(&ada(), "", "ada@example.test").await;
    let unnamed = token(&TokenClaims::learner(ADA));

    fixture
        .send(send_request(&unnamed, program(), ADA, json!(CREDIT)))
        .await;

    assert_eq!(
        fixture.partner_emails().await[0]["subject"],
        "Circuits and Electronics Credit Request for lrn_ada"
    );
}

#[tokio::test]
async fn line_breaks_in_names_stay_out_of_headers() {
    let fixture = Fixture::start().await;
    fixture
        .set_profile(&ada(), "Ada\r\nBcc: eve@example.test", "ada@example.test")
        .await;

    let response = fixture.ada_sends(program(), CREDIT).await;

    assert_eq!(response.status(), StatusCode::OK);
    let subject = fixture.partner_emails().await[0]["subject"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(!subject.contains(['\r', '\n']), "{subject:?}");
}

#[tokio::test]
async fn record_without_program_credential_is_partially_completed() {
    let fixture = Fixture::start().await;
    fixture
        .store()
        .delete(&keys::program_credential(&ada(), &program()))
        .await
        .unwrap();

    fixture.ada_sends(program(), CREDIT).await;

    let html = fixture.partner_emails().await[0]["body"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(html.contains("has sent their partially completed program record for"));
}

// Send items: repeat sends, legacy items, one pathway for two programs.

#[tokio::test]
async fn repeat_send_updates_the_one_item() {
    let fixture = Fixture::start().await;
    fixture.ada_sends(program(), CREDIT).await;
    let first = fixture.sends_to_credit().await.remove(0);

    let response = fixture.ada_sends(program(), CREDIT).await;

    assert_eq!(response.status(), StatusCode::OK);
    let sends = fixture.sends_to_credit().await;
    assert_eq!(sends.len(), 1);
    assert_eq!(sends[0].created, first.created);
    assert!(sends[0].modified > first.modified);
    assert_eq!(fixture.partner_emails().await.len(), 2);
}

#[tokio::test]
async fn prior_item_with_other_status_becomes_sent() {
    let fixture = Fixture::start().await;
    fixture
        .put_send(Some(program()), CreditPathwayStatus::Other)
        .await;

    let response = fixture.ada_sends(program(), CREDIT).await;

    assert_eq!(response.status(), StatusCode::OK);
    let sends = fixture.sends_to_credit().await;
    assert_eq!(sends.len(), 1);
    assert_eq!(sends[0].status, CreditPathwayStatus::Sent);
}

#[tokio::test]
async fn legacy_item_is_upgraded_when_link_preexisted() {
    let fixture = Fixture::start().await;
    fixture.create_link(&ada(), program()).await;
    fixture.put_send(None, CreditPathwayStatus::Other).await;

    let response = fixture.ada_sends(program(), CREDIT).await;

    assert_eq!(response.status(), StatusCode::OK);
    let sends = fixture.sends_to_credit().await;
    assert_eq!(sends.len(), 1);
    assert_eq!(sends[0].program_uuid, Some(program()));
    assert_eq!(sends[0].status, CreditPathwayStatus::Sent);
}

#[tokio::test]
async fn legacy_item_stays_for_other_link() {
    let fixture = Fixture::start().await;
    fixture.create_link(&ada(), second_program()).await;
    fixture.put_send(None, CreditPathwayStatus::Other).await;

    let response = fixture.ada_sends(program(), CREDIT).await;

    assert_eq!(response.status(), StatusCode::OK);
    let mut programs: Vec<Option<Uuid>> = fixture
        .sends_to_credit()
        .await
        .iter()
        .map(|send| send.program_uuid)
        .collect();
    programs.sort();
    assert_eq!(programs, vec![None, Some(program())]);
    let legacy = fixture
        .sends_to_credit()
        .await
        .into_iter()
        .find(|send| send.program_uuid.is_none())
        .unwrap();
    assert_eq!(legacy.status, CreditPathwayStatus::Other);

    let again = fixture.ada_sends(program(), CREDIT).await;
    assert_eq!(again.status(), StatusCode::OK);
    assert_eq!(fixture.sends_to_credit().await.len(), 2);
}

#[tokio::test]
async fn one_pathway_takes_two_programs() {
    let fixture = Fixture::start().await;

    fixture.ada_sends(program(), CREDIT).await;
    fixture.ada_sends(second_program(), CREDIT).await;
    fixture.ada_sends(program(), CREDIT).await;

    let mut programs: Vec<Option<Uuid>> = fixture
        .sends_to_credit()
        .await
        .iter()
        .map(|send| send.program_uuid)
        .collect();
    programs.sort();
    assert_eq!(programs, vec![Some(program()), Some(second_program())]);
    assert_eq!(fixture.partner_emails().await.len(), 3);
}

// The follow-up on a first program credential award.

#[tokio::test]
async fn first_award_sends_one_update() {
    let fixture = Fixture::start().await;
    fixture
        .store()
        .delete(&keys::program_credential(&ada(), &program()))
        .await
        .unwrap();
    fixture.ada_sends(program(), CREDIT).await;
    fixture.award(&ada(), program()).await;

    let summary = fixture.follow_up(ADA, program(), true).await;

    assert_eq!(summary, json!({"sent": 1, "failed": 0}));
    let emails = fixture.partner_emails().await;
    assert_eq!(emails.len(), 2);
    let first = emails[0]["body"].as_str().unwrap();
    let update = emails[1]["body"].as_str().unwrap();
    assert_eq!(
        emails[1]["subject"],
        "Circuits and Electronics Updated Credit Request for Ada Testwell"
    );
    assert!(update.contains(&format!(
        "has sent an updated program record for {PROGRAM_TITLE}."
    )));
    assert_eq!(shared_link_uuid(update), shared_link_uuid(first));
}

#[tokio::test]
async fn repeat_award_sends_no_update() {
    let fixture = Fixture::start().await;
    fixture.ada_sends(program(), CREDIT).await;

    let summary = fixture.follow_up(ADA, program(), false).await;

    assert_eq!(summary, json!({"ignored": "not a first award"}));
    assert_eq!(fixture.partner_emails().await.len(), 1);
}

#[tokio::test]
async fn learner_who_never_sent_gets_no_update() {
    let fixture = Fixture::start().await;
    fixture.create_link(&bo(), program()).await;
    fixture.award(&bo(), program()).await;

    let summary = fixture.follow_up(BO, program(), true).await;

    assert_eq!(summary, json!({"sent": 0, "failed": 0}));
    assert!(fixture.partner_emails().await.is_empty());
}

#[tokio::test]
async fn update_goes_only_to_sends_of_this_program() {
    let fixture = Fixture::start().await;
    fixture.create_link(&ada(), program()).await;
    fixture
        .ada_sends(second_program(), OTHER_PROGRAM_ONLY)
        .await;
    fixture.ada_sends(second_program(), CREDIT).await;

    let summary = fixture.follow_up(ADA, program(), true).await;

    assert_eq!(summary, json!({"sent": 0, "failed": 0}));
    assert_eq!(fixture.partner_emails().await.len(), 2);
}

#[tokio::test]
async fn legacy_send_item_gets_an_update() {
    let fixture = Fixture::start().await;
    fixture.create_link(&ada(), program()).await;
    fixture.put_send(None, CreditPathwayStatus::Sent).await;

    let summary = fixture.follow_up(ADA, program(), true).await;

    assert_eq!(summary, json!({"sent": 1, "failed": 0}));
    assert_eq!(fixture.partner_emails().await.len(), 1);
}

#[tokio::test]
async fn revoked_link_means_no_update() {
    let fixture = Fixture::start().await;
    fixture.ada_sends(program(), CREDIT).await;
    fixture
        .store()
        .revoke_link(&ada(), &program())
        .await
        .unwrap();

    let summary = fixture.follow_up(ADA, program(), true).await;

    assert_eq!(summary, json!({"ignored": "no live public link"}));
    assert_eq!(fixture.partner_emails().await.len(), 1);
}

#[tokio::test]
async fn records_disabled_means_no_update() {
    let fixture = Fixture::start().await;
    fixture.ada_sends(program(), CREDIT).await;
    fixture
        .set_site(SiteConfiguration {
            records_enabled: false,
            ..SiteConfiguration::default()
        })
        .await;

    let summary = fixture.follow_up(ADA, program(), true).await;

    assert_eq!(summary, json!({"ignored": "records are disabled"}));
    assert_eq!(fixture.partner_emails().await.len(), 1);
}

#[tokio::test]
async fn update_failing_for_every_partner_is_an_error() {
    let mut fixture = Fixture::start().await;
    fixture.ada_sends(program(), CREDIT).await;
    fixture.stack.app.mailer = Mailer::Failing { unavailable: true };

    let result =
        share_credit::handle_event(&fixture.stack.app, award_event(ADA, program(), true)).await;

    assert!(matches!(
        result,
        Err(share_credit::FollowUpError::Mail { failed: 1, .. })
    ));
}

#[tokio::test]
async fn award_event_without_username_is_an_error() {
    let fixture = Fixture::start().await;
    let mut event = award_event(ADA, program(), true);
    event["detail"]["username"] = Value::Null;

    let result = share_credit::handle_event(&fixture.stack.app, event).await;

    assert!(matches!(
        result,
        Err(share_credit::FollowUpError::InvalidEvent { .. })
    ));
}

// The Lambda entry point: one function, two kinds of invocation.

fn http_event(token: &str, program: Uuid, body: &Value) -> Value {
    let path = send_path(program);
    json!({
        "version": "2.0",
        "routeKey": "ANY /records/programs/{hex}/send",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {
            "authorization": format!("JWT {token}"),
            "content-type": "application/json",
            "host": "127.0.0.1:3000",
        },
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": "127.0.0.1:3000",
            "domainPrefix": "local",
            "http": {
                "method": "POST",
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": "test",
            },
            "requestId": "request-1",
            "routeKey": "ANY /records/programs/{hex}/send",
            "stage": "$default",
            "time": "01/Jan/2026:00:00:00 +0000",
            "timeEpoch": 1767225600000_i64,
        },
        "body": body.to_string(),
        "isBase64Encoded": false,
    })
}

#[tokio::test]
async fn http_invocation_reaches_the_route() {
    let fixture = Fixture::start().await;
    let event = http_event(
        &ada_token(),
        program(),
        &json!({"username": ADA, "pathway_id": CREDIT}),
    );

    let response = share_credit::invoke(
        &fixture.stack.app,
        LambdaEvent::new(event, Context::default()),
    )
    .await
    .unwrap();

    assert_eq!(response["statusCode"], 200);
    assert_eq!(fixture.partner_emails().await.len(), 1);
}

#[tokio::test]
async fn http_invocation_returns_error_json() {
    let fixture = Fixture::start().await;
    let event = http_event(&ada_token(), program(), &json!({"username": ADA}));

    let response = share_credit::invoke(
        &fixture.stack.app,
        LambdaEvent::new(event, Context::default()),
    )
    .await
    .unwrap();

    assert_eq!(response["statusCode"], 400);
    let body: Value = serde_json::from_str(response["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["pathway_id"], json!(["This field is required."]));
}

#[tokio::test]
async fn eventbridge_invocation_reaches_the_follow_up() {
    let fixture = Fixture::start().await;
    fixture.ada_sends(program(), CREDIT).await;

    let summary = share_credit::invoke(
        &fixture.stack.app,
        LambdaEvent::new(award_event(ADA, program(), true), Context::default()),
    )
    .await
    .unwrap();

    assert_eq!(summary, json!({"sent": 1, "failed": 0}));
}

#[tokio::test]
async fn unknown_invocation_is_an_error() {
    let fixture = Fixture::start().await;

    let result = share_credit::invoke(
        &fixture.stack.app,
        LambdaEvent::new(json!({"hello": "world"}), Context::default()),
    )
    .await;

    assert!(result.is_err());
}
