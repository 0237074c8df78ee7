//! The `records` function against moto, through its handler: the program list, private and
//! public records, the redirects to the MFE, the CSRF token, the records switch, profile sync,
//! and the DynamoDB requests each route costs on a warm cache.

#![allow(clippy::unwrap_used)]

mod common;

use chrono::{Duration, Utc};
use lambda_http::http::{Method, StatusCode, header};
use learner_records::api::records::handle;
use learner_records::domain::*;
use learner_records::http::Response;
use learner_records::store::Store;
use learner_records::store::cache::{KIND_PROGRAM_CERTIFICATE, KIND_SITE};
use learner_records::store::keys;
use learner_records::store::learner::{KIND_CREDENTIAL, KIND_GRADE, KIND_PROFILE};
use learner_records::testkit::{
    LMS_URL_ROOT, PUBLIC_BASE_URL, RequestBuilder, TestStack, TokenClaims, body_json, header_of,
    token,
};
use serde_json::{Value, json};

use common::*;

const MFE: &str = "http://learner-record-mfe.example.test";
const RUN_A: &str = "course-v1:TestX+C1+A";
const RUN_B: &str = "course-v1:TestX+C1+B";
const PROGRAM: u16 = 50;

fn uuid(n: u16) -> Uuid {
    Uuid::parse(&format!("{n:04x}{}", "0".repeat(28))).unwrap()
}

fn username(name: &str) -> Username {
    Username::parse(name).unwrap()
}

fn ada_token() -> String {
    token(&TokenClaims::learner("lrn_ada").named("Ada Testwell"))
}

fn staff_token() -> String {
    token(&TokenClaims::staff("staff_sam"))
}

async fn stack() -> TestStack {
    TestStack::start_with(|config| config.learner_record_mfe_url = MFE.to_owned()).await
}

async fn call(stack: &TestStack, request: RequestBuilder) -> Response {
    handle(&stack.app, request.build()).await
}

fn location(response: &Response) -> &str {
    header_of(response, header::LOCATION).unwrap_or_default()
}

fn program_path(program: &Uuid) -> String {
    format!(
        "/records/api/v1/program_records/{}/?is_public=false",
        program.hex()
    )
}

fn public_path(link: &Uuid) -> String {
    format!(
        "/records/api/v1/program_records/{}/?is_public=true",
        link.hex()
    )
}

/// Stores one program of two runs of one course, by one organization, with a credit pathway.
async fn seed_catalog(stack: &TestStack) {
    let organization = Organization {
        uuid: uuid(900),
        key: "TestX".into(),
        name: "Test Org".into(),
        certificate_logo_image_url: None,
    };
    let run = |n: u16, key: &str| CourseRun {
        uuid: uuid(n),
        key: CourseRunKey::parse(key).unwrap(),
        title_override: None,
        start_date: None,
        end_date: None,
    };
    let course = Course {
        uuid: uuid(1),
        key: "TestX+C1".into(),
        title: Some("Course One".into()),
        owners: vec![uuid(900)],
        course_runs: vec![run(11, RUN_A), run(12, RUN_B)],
    };
    let program = Program {
        uuid: uuid(PROGRAM),
        title: "Test Program".into(),
        program_type: "MicroMasters".into(),
        type_slug: "micromasters".into(),
        status: ProgramStatus::Active,
        total_hours_of_effort: None,
        authoring_organizations: vec![uuid(900)],
        course_runs: vec![uuid(11), uuid(12)],
    };
    let pathway = Pathway {
        id: 7,
        uuid: uuid(700),
        name: "Credit Pathway".into(),
        org_name: "Partner University".into(),
        email: "admissions@partner.example.test".into(),
        pathway_type: PathwayType::Credit,
        status: PathwayStatus::Published,
        programs: vec![uuid(PROGRAM)],
    };
    stack
        .app
        .store
        .replace_catalog(&[organization], &[course], &[program], &[pathway])
        .await
        .unwrap();
}

/// Stores the site configuration and a program certificate configuration for `program`.
async fn seed_settings(stack: &TestStack, configuration: &SiteConfiguration, program: &Uuid) {
    let store = &stack.app.store;
    store
        .put(Store::item(&keys::site_configuration(), KIND_SITE, configuration).unwrap())
        .await
        .unwrap();
    let certificate = ProgramCertificate {
        program_uuid: *program,
        is_active: true,
        language: None,
        title: None,
    };
    store
        .put(
            Store::item(
                &keys::program_certificate(program),
                KIND_PROGRAM_CERTIFICATE,
                &certificate,
            )
            .unwrap(),
        )
        .await
        .unwrap();
    store.bump_settings_version().await.unwrap();
}

fn site() -> SiteConfiguration {
    SiteConfiguration {
        platform_name: "Test Platform".into(),
        records_help_url: "https://support.example.test/records".into(),
        ..SiteConfiguration::default()
    }
}

async fn put_grade(stack: &TestStack, learner: &str, run: &str, percent: &str, letter: &str) {
    let now = Utc::now();
    let grade = UserGrade {
        id: 1,
        username: username(learner),
        course_run: CourseRunKey::parse(run).unwrap(),
        letter_grade: letter.into(),
        percent_grade: Percent::parse(percent).unwrap(),
        verified: true,
        lms_last_updated_at: None,
        created: now,
        modified: now,
    };
    let key = keys::grade(&grade.username, &grade.course_run);
    stack
        .app
        .store
        .put(Store::item(&key, KIND_GRADE, &grade).unwrap())
        .await
        .unwrap();
}

async fn put_credential(stack: &TestStack, learner: &str, subject: CredentialSubject) {
    let now = Utc::now();
    let credential = UserCredential {
        uuid: Uuid::new_v4(),
        username: username(learner),
        subject: subject.clone(),
        status: CredentialStatus::Awarded,
        attributes: Vec::new(),
        date_override: None,
        created: now,
        modified: now,
    };
    let key = match &subject {
        CredentialSubject::CourseRun {
            course_run_key,
            mode,
        } => keys::course_credential(&credential.username, course_run_key, *mode),
        CredentialSubject::Program { program_uuid } => {
            keys::program_credential(&credential.username, program_uuid)
        }
    };
    stack
        .app
        .store
        .put(Store::item(&key, KIND_CREDENTIAL, &credential).unwrap())
        .await
        .unwrap();
}

async fn put_course_credential(stack: &TestStack, learner: &str, run: &str) {
    let subject = CredentialSubject::CourseRun {
        course_run_key: CourseRunKey::parse(run).unwrap(),
        mode: CertificateType::Verified,
    };
    put_credential(stack, learner, subject).await;
}

async fn put_profile(stack: &TestStack, learner: &str, full_name: &str, email: &str) {
    let profile = LearnerProfile {
        username: Some(username(learner)),
        full_name: full_name.into(),
        email: email.into(),
        lms_user_id: Some(7),
    };
    stack
        .app
        .store
        .put(Store::item(&keys::profile(&username(learner)), KIND_PROFILE, &profile).unwrap())
        .await
        .unwrap();
}

/// Starts a stack where lrn_ada passed run B with 0.9 "A" and completed the program.
async fn seeded_stack() -> TestStack {
    let stack = stack().await;
    seed_catalog(&stack).await;
    seed_settings(&stack, &site(), &uuid(PROGRAM)).await;
    put_grade(&stack, "lrn_ada", RUN_B, "0.9", "A").await;
    put_course_credential(&stack, "lrn_ada", RUN_B).await;
    put_credential(
        &stack,
        "lrn_ada",
        CredentialSubject::Program {
            program_uuid: uuid(PROGRAM),
        },
    )
    .await;
    stack
}

async fn create_link(stack: &TestStack, learner: &str) -> Uuid {
    stack
        .app
        .store
        .get_or_create_link(&username(learner), &uuid(PROGRAM), None, None, Utc::now())
        .await
        .unwrap()
        .link()
        .uuid
}

/// DynamoDB requests by operation since the last reset, ordered by operation name.
fn requests(stack: &TestStack) -> Vec<(String, u64)> {
    stack.app.counter.snapshot().into_iter().collect()
}

// ---------------------------------------------------------------------------------------------
// Program list

#[tokio::test]
async fn anonymous_list_returns_401() {
    let stack = stack().await;
    let response = call(
        &stack,
        RequestBuilder::get("/records/api/v1/program_records/"),
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        header_of(&response, header::WWW_AUTHENTICATE),
        Some("JWT realm=\"api\"")
    );
}

#[tokio::test]
async fn list_returns_enrolled_programs() {
    let stack = seeded_stack().await;
    let response = call(
        &stack,
        RequestBuilder::get("/records/api/v1/program_records/").jwt_cookies(&ada_token()),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        header_of(&response, header::CONTENT_TYPE),
        Some("application/json")
    );
    assert_eq!(
        body_json(&response),
        json!({"enrolled_programs": [{
            "name": "Test Program", "uuid": uuid(PROGRAM).hex(), "partner": "Test Org",
            "completed": true, "empty": false,
        }]})
    );
}

#[tokio::test]
async fn list_answers_without_final_slash() {
    let stack = seeded_stack().await;
    let response = call(
        &stack,
        RequestBuilder::get("/records/api/v1/program_records").jwt(&ada_token()),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        body_json(&response)["enrolled_programs"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn new_learner_gets_empty_list() {
    let stack = seeded_stack().await;
    let response = call(
        &stack,
        RequestBuilder::get("/records/api/v1/program_records/")
            .jwt(&token(&TokenClaims::learner("lrn_new"))),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(body_json(&response), json!({"enrolled_programs": []}));
}

#[tokio::test]
async fn empty_catalog_gives_empty_list_and_record_404() {
    let stack = stack().await;
    put_course_credential(&stack, "lrn_ada", RUN_B).await;
    let list = call(
        &stack,
        RequestBuilder::get("/records/api/v1/program_records/").jwt(&ada_token()),
    )
    .await;
    assert_eq!(list.status(), StatusCode::OK);
    assert_eq!(body_json(&list), json!({"enrolled_programs": []}));
    let record = call(
        &stack,
        RequestBuilder::get(&program_path(&uuid(PROGRAM))).jwt(&ada_token()),
    )
    .await;
    assert_eq!(record.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn non_staff_username_param_returns_403() {
    let stack = seeded_stack().await;
    for path in [
        "/records/api/v1/program_records/?username=lrn_bo".to_owned(),
        "/records/api/v1/program_records/?username=lrn_ada".to_owned(),
        format!("{}&username=lrn_bo", program_path(&uuid(PROGRAM))),
        format!("{}&username=lrn_ada", public_path(&Uuid::new_v4())),
    ] {
        let response = call(&stack, RequestBuilder::get(&path).jwt(&ada_token())).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{path}");
    }
}

#[tokio::test]
async fn anonymous_username_param_returns_401() {
    let stack = seeded_stack().await;
    let link = create_link(&stack, "lrn_ada").await;
    let path = format!("{}&username=lrn_ada", public_path(&link));
    let response = call(&stack, RequestBuilder::get(&path)).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn staff_reads_another_learners_list_and_record() {
    let stack = seeded_stack().await;
    let list = call(
        &stack,
        RequestBuilder::get("/records/api/v1/program_records/?username=lrn_ada")
            .jwt(&staff_token()),
    )
    .await;
    assert_eq!(list.status(), StatusCode::OK);
    assert_eq!(
        body_json(&list)["enrolled_programs"][0]["name"],
        "Test Program"
    );

    let path = format!("{}&username=lrn_ada", program_path(&uuid(PROGRAM)));
    let record = call(&stack, RequestBuilder::get(&path).jwt(&staff_token())).await;
    assert_eq!(record.status(), StatusCode::OK);
    let body = body_json(&record);
    assert_eq!(body["record"]["learner"]["username"], "lrn_ada");
    assert_eq!(body["record"]["grades"][0]["percent_grade"], 0.9);
}

#[tokio::test]
async fn staff_unknown_username_returns_404() {
    let stack = seeded_stack().await;
    for path in [
        "/records/api/v1/program_records/?username=invalid_user".to_owned(),
        format!("{}&username=invalid_user", program_path(&uuid(PROGRAM))),
        format!("{}&username=%20padded", program_path(&uuid(PROGRAM))),
    ] {
        let response = call(&stack, RequestBuilder::get(&path).jwt(&staff_token())).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
    }
}

// ---------------------------------------------------------------------------------------------
// Private records

#[tokio::test]
async fn anonymous_private_record_returns_401() {
    let stack = seeded_stack().await;
    let response = call(&stack, RequestBuilder::get(&program_path(&uuid(PROGRAM)))).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn private_record_renders_learners_data() {
    let stack = seeded_stack().await;
    let response = call(
        &stack,
        RequestBuilder::get(&program_path(&uuid(PROGRAM))).jwt_cookies(&ada_token()),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);

    let body = body_json(&response);
    assert_eq!(body["is_public"], false);
    assert_eq!(body["uuid"], uuid(PROGRAM).hex());
    assert_eq!(
        body["records_help_url"],
        "https://support.example.test/records"
    );

    let record = &body["record"];
    assert_eq!(
        record["learner"],
        json!({"full_name": "Ada Testwell", "username": "lrn_ada", "email": "lrn_ada@example.test"})
    );
    assert_eq!(record["platform_name"], "Test Platform");
    assert_eq!(record["program"]["completed"], true);
    assert_eq!(record["program"]["school"], "Test Org");

    assert_eq!(record["grades"][0]["course_id"], RUN_B);
    assert_eq!(record["grades"][0]["attempts"], 1);
    assert_eq!(record["grades"][0]["letter_grade"], "A");

    assert_eq!(record["pathways"][0]["name"], "Credit Pathway");
    assert_eq!(record["pathways"][0]["status"], "");
    assert_eq!(record["shared_program_record_uuid"], Value::Null);
    assert!(
        record["program"]["last_updated"]
            .as_str()
            .unwrap()
            .ends_with("+00:00")
    );
}

#[tokio::test]
async fn private_record_echoes_path_id_in_any_form() {
    let stack = seeded_stack().await;
    let program = uuid(PROGRAM);
    let upper = program.hex().to_uppercase();
    for (path, echoed) in [
        (program_path(&program), program.hex()),
        (
            format!("/records/api/v1/program_records/{}/", program.dashed()),
            program.dashed(),
        ),
        (
            format!(
                "/records/api/v1/program_records/{}?is_public=false",
                program.hex()
            ),
            program.hex(),
        ),
        (
            format!("/records/api/v1/program_records/{upper}/?is_public=nonsense"),
            upper.clone(),
        ),
    ] {
        let response = call(&stack, RequestBuilder::get(&path).jwt(&ada_token())).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(body_json(&response)["uuid"], echoed, "{path}");
    }
}

#[tokio::test]
async fn unknown_program_returns_404() {
    let stack = seeded_stack().await;
    let response = call(
        &stack,
        RequestBuilder::get(&program_path(&Uuid::new_v4())).jwt(&ada_token()),
    )
    .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(body_json(&response), json!({"detail": "Not found."}));
}

#[tokio::test]
async fn malformed_program_id_returns_404_without_reading() {
    let stack = seeded_stack().await;
    for id in ["1234fewef", "not-a-uuid", "%7Bbraces%7D", "0000"] {
        stack.app.counter.reset();
        let path = format!("/records/api/v1/program_records/{id}/?is_public=false");
        let response = call(&stack, RequestBuilder::get(&path).jwt(&ada_token())).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{id}");
        assert_eq!(stack.app.counter.total(), 0, "{id}");
    }
}

#[tokio::test]
async fn doubled_slash_is_no_route() {
    let stack = seeded_stack().await;
    let response = call(
        &stack,
        RequestBuilder::get("/records/api/v1/program_records//").jwt(&ada_token()),
    )
    .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

// ---------------------------------------------------------------------------------------------
// Public records

#[tokio::test]
async fn public_record_opens_anonymously() {
    let stack = seeded_stack().await;
    put_profile(&stack, "lrn_ada", "Ada Testwell", "ada@example.test").await;
    let link = create_link(&stack, "lrn_ada").await;

    let response = call(&stack, RequestBuilder::get(&public_path(&link))).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body = body_json(&response);
    assert_eq!(body["is_public"], true);
    assert_eq!(body["uuid"], link.hex());
    assert_eq!(
        body["record"]["learner"],
        json!({"full_name": "Ada Testwell", "username": "lrn_ada", "email": ""})
    );
    assert_eq!(body["record"]["shared_program_record_uuid"], link.hex());
    assert_eq!(body["record"]["program"]["completed"], true);
}

#[tokio::test]
async fn public_record_accepts_dashed_link_id() {
    let stack = seeded_stack().await;
    let link = create_link(&stack, "lrn_ada").await;
    let path = format!(
        "/records/api/v1/program_records/{}?is_public=True",
        link.dashed()
    );
    let response = call(&stack, RequestBuilder::get(&path)).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(body_json(&response)["uuid"], link.dashed());
}

#[tokio::test]
async fn owner_and_staff_see_email_on_public_record() {
    let stack = seeded_stack().await;
    put_profile(&stack, "lrn_ada", "Ada Testwell", "ada@example.test").await;
    let link = create_link(&stack, "lrn_ada").await;

    let owner = call(
        &stack,
        RequestBuilder::get(&public_path(&link)).jwt_cookies(&ada_token()),
    )
    .await;
    assert_eq!(
        body_json(&owner)["record"]["learner"]["email"],
        "lrn_ada@example.test",
        "the owner's visit stored the email from their token"
    );

    let staff = call(
        &stack,
        RequestBuilder::get(&public_path(&link)).jwt(&staff_token()),
    )
    .await;
    assert_eq!(
        body_json(&staff)["record"]["learner"]["email"],
        "lrn_ada@example.test"
    );

    let other = call(
        &stack,
        RequestBuilder::get(&public_path(&link)).jwt(&token(&TokenClaims::learner("lrn_bo"))),
    )
    .await;
    assert_eq!(other.status(), StatusCode::OK);
    assert_eq!(body_json(&other)["record"]["learner"]["email"], "");
}

#[tokio::test]
async fn site_can_show_email_publicly() {
    let stack = seeded_stack().await;
    let configuration = SiteConfiguration {
        show_email_publicly: true,
        ..site()
    };
    seed_settings(&stack, &configuration, &uuid(PROGRAM)).await;
    put_profile(&stack, "lrn_ada", "Ada Testwell", "ada@example.test").await;
    let link = create_link(&stack, "lrn_ada").await;
    let response = call(&stack, RequestBuilder::get(&public_path(&link))).await;
    assert_eq!(
        body_json(&response)["record"]["learner"]["email"],
        "ada@example.test"
    );
}

#[tokio::test]
async fn revoked_link_returns_404() {
    let stack = seeded_stack().await;
    let link = create_link(&stack, "lrn_ada").await;
    stack
        .app
        .store
        .revoke_link(&username("lrn_ada"), &uuid(PROGRAM))
        .await
        .unwrap();
    let response = call(&stack, RequestBuilder::get(&public_path(&link))).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(body_json(&response), json!({"detail": "Not found."}));
}

#[tokio::test]
async fn expired_link_returns_404() {
    let stack = seeded_stack().await;
    let created = Utc::now() - Duration::days(3);
    let link = stack
        .app
        .store
        .get_or_create_link(&username("lrn_ada"), &uuid(PROGRAM), None, Some(1), created)
        .await
        .unwrap()
        .link()
        .uuid;
    let response = call(&stack, RequestBuilder::get(&public_path(&link))).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(body_json(&response), json!({"detail": "Not found."}));
}

#[tokio::test]
async fn unknown_or_malformed_link_returns_404() {
    let stack = seeded_stack().await;
    for path in [
        public_path(&Uuid::new_v4()),
        "/records/api/v1/program_records/nope/?is_public=true".to_owned(),
    ] {
        let response = call(&stack, RequestBuilder::get(&path)).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
    }
}

#[tokio::test]
async fn program_id_is_not_a_public_link() {
    let stack = seeded_stack().await;
    let response = call(&stack, RequestBuilder::get(&public_path(&uuid(PROGRAM)))).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn public_link_to_removed_program_returns_404() {
    let stack = seeded_stack().await;
    let link = create_link(&stack, "lrn_ada").await;
    stack
        .app
        .store
        .replace_catalog(&[], &[], &[], &[])
        .await
        .unwrap();
    let response = call(&stack, RequestBuilder::get(&public_path(&link))).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn public_record_bad_header_token_401() {
    let stack = seeded_stack().await;
    let link = create_link(&stack, "lrn_ada").await;
    let response = call(
        &stack,
        RequestBuilder::get(&public_path(&link)).jwt("not.a.token"),
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn bad_cookie_token_views_public_record_anonymously() {
    let stack = seeded_stack().await;
    put_profile(&stack, "lrn_ada", "Ada Testwell", "ada@example.test").await;
    let link = create_link(&stack, "lrn_ada").await;
    let expired = token(&TokenClaims {
        expires_in: -3600,
        ..TokenClaims::learner("lrn_ada")
    });
    let response = call(
        &stack,
        RequestBuilder::get(&public_path(&link)).jwt_cookies(&expired),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(body_json(&response)["record"]["learner"]["email"], "");
}

// ---------------------------------------------------------------------------------------------
// The records switch

#[tokio::test]
async fn records_switch_off_hides_logged_in_routes() {
    let stack = seeded_stack().await;
    let link = create_link(&stack, "lrn_ada").await;
    let configuration = SiteConfiguration {
        records_enabled: false,
        ..site()
    };
    seed_settings(&stack, &configuration, &uuid(PROGRAM)).await;

    for path in [
        "/records/api/v1/program_records/".to_owned(),
        program_path(&uuid(PROGRAM)),
        public_path(&link),
        "/records/".to_owned(),
        format!("/records/programs/{}/", uuid(PROGRAM).hex()),
    ] {
        let response = call(&stack, RequestBuilder::get(&path).jwt_cookies(&ada_token())).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
    }
}

#[tokio::test]
async fn records_switch_off_keeps_anonymous_public_record() {
    let stack = seeded_stack().await;
    let link = create_link(&stack, "lrn_ada").await;
    let configuration = SiteConfiguration {
        records_enabled: false,
        ..site()
    };
    seed_settings(&stack, &configuration, &uuid(PROGRAM)).await;

    let response = call(&stack, RequestBuilder::get(&public_path(&link))).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(body_json(&response)["is_public"], true);
}

// ---------------------------------------------------------------------------------------------
// Redirects to the MFE

#[tokio::test]
async fn records_page_redirects_to_mfe() {
    let stack = seeded_stack().await;
    for path in ["/records", "/records/"] {
        let response = call(&stack, RequestBuilder::get(path).jwt_cookies(&ada_token())).await;
        assert_eq!(response.status(), StatusCode::FOUND, "{path}");
        assert_eq!(location(&response), format!("{MFE}/"), "{path}");
    }
}

#[tokio::test]
async fn program_page_redirects_to_mfe_record() {
    let stack = seeded_stack().await;
    let hex = uuid(PROGRAM).hex();
    for path in [
        format!("/records/programs/{hex}"),
        format!("/records/programs/{hex}/"),
    ] {
        let response = call(&stack, RequestBuilder::get(&path).jwt_cookies(&ada_token())).await;
        assert_eq!(response.status(), StatusCode::FOUND, "{path}");
        assert_eq!(location(&response), format!("{MFE}/{hex}"), "{path}");
    }
}

#[tokio::test]
async fn program_page_needs_lowercase_hex() {
    let stack = seeded_stack().await;
    let program = Uuid::parse("a3f1b2c45d6e4f708192a3b4c5d6e7f8").unwrap();
    for id in [
        program.dashed(),
        program.hex().to_uppercase(),
        "shared".to_owned(),
    ] {
        let path = format!("/records/programs/{id}/");
        let response = call(&stack, RequestBuilder::get(&path).jwt_cookies(&ada_token())).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
    }
}

#[tokio::test]
async fn anonymous_redirect_goes_to_lms_login() {
    let stack = seeded_stack().await;
    let hex = uuid(PROGRAM).hex();
    let response = call(
        &stack,
        RequestBuilder::get(&format!("/records/programs/{hex}/")),
    )
    .await;
    assert_eq!(response.status(), StatusCode::FOUND);
    let next = format!("{PUBLIC_BASE_URL}/records/programs/{hex}/");
    let expected = format!(
        "{LMS_URL_ROOT}/login?{}",
        serde_urlencoded::to_string([("next", next.as_str())]).unwrap()
    );
    assert_eq!(location(&response), expected);
    assert!(location(&response).contains("next=http%3A%2F%2F127.0.0.1%3A3000%2Frecords%2F"));
}

#[tokio::test]
async fn login_next_keeps_query_string() {
    let stack = seeded_stack().await;
    let response = call(&stack, RequestBuilder::get("/records/?from=profile")).await;
    assert_eq!(
        location(&response),
        format!(
            "{LMS_URL_ROOT}/login?next=http%3A%2F%2F127.0.0.1%3A3000%2Frecords%2F%3Ffrom%3Dprofile"
        )
    );
}

#[tokio::test]
async fn redirect_without_mfe_returns_404() {
    let stack = TestStack::start().await;
    seed_settings(&stack, &site(), &uuid(PROGRAM)).await;
    let response = call(
        &stack,
        RequestBuilder::get("/records/").jwt_cookies(&ada_token()),
    )
    .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let detail = body_json(&response)["detail"].as_str().unwrap().to_owned();
    assert!(detail.contains("not configured"), "{detail}");
}

#[tokio::test]
async fn site_configuration_mfe_url_wins() {
    let stack = seeded_stack().await;
    let configuration = SiteConfiguration {
        learner_record_mfe_url: "https://records.example.test/learner-record/".into(),
        ..site()
    };
    seed_settings(&stack, &configuration, &uuid(PROGRAM)).await;
    let hex = uuid(PROGRAM).hex();
    let response = call(
        &stack,
        RequestBuilder::get(&format!("/records/programs/{hex}")).jwt_cookies(&ada_token()),
    )
    .await;
    assert_eq!(
        location(&response),
        format!("https://records.example.test/learner-record/{hex}")
    );
}

// ---------------------------------------------------------------------------------------------
// CSRF token

#[tokio::test]
async fn csrf_token_round_trip() {
    let stack = stack().await;
    let response = call(
        &stack,
        RequestBuilder::get("/csrf/api/v1/token").jwt_cookies(&ada_token()),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let token = body_json(&response)["csrfToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let now = Utc::now();
    assert!(stack.app.csrf.verify(&token, "lrn_ada", now));
    assert!(!stack.app.csrf.verify(&token, "lrn_bo", now));
    assert!(!stack.app.csrf.verify(&token, "", now));
    assert_eq!(
        header_of(&response, header::SET_COOKIE),
        Some(format!("learner_records_csrftoken={token}; Path=/; SameSite=Lax").as_str())
    );
}

#[tokio::test]
async fn anonymous_csrf_token_binds_empty_username() {
    let stack = stack().await;
    let response = call(&stack, RequestBuilder::get("/csrf/api/v1/token")).await;
    assert_eq!(response.status(), StatusCode::OK);
    let token = body_json(&response)["csrfToken"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(stack.app.csrf.verify(&token, "", Utc::now()));
    assert!(!stack.app.csrf.verify(&token, "lrn_ada", Utc::now()));
}

#[tokio::test]
async fn csrf_cookie_is_secure_on_https() {
    let stack = TestStack::start_with(|config| {
        config.public_base_url = "https://credentials.example.test".to_owned();
    })
    .await;
    let response = call(&stack, RequestBuilder::get("/csrf/api/v1/token")).await;
    let cookie = header_of(&response, header::SET_COOKIE).unwrap();
    assert!(cookie.ends_with("; Secure"), "{cookie}");
}

// ---------------------------------------------------------------------------------------------
// Methods and paths

#[tokio::test]
async fn other_methods_return_405() {
    let stack = seeded_stack().await;
    for (method, path) in [
        (Method::POST, "/records/api/v1/program_records/".to_owned()),
        (Method::DELETE, program_path(&uuid(PROGRAM))),
        (Method::PUT, "/records/".to_owned()),
        (Method::POST, "/csrf/api/v1/token".to_owned()),
    ] {
        let response = call(
            &stack,
            RequestBuilder::new(method.clone(), &path).jwt(&ada_token()),
        )
        .await;
        assert_eq!(
            response.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}"
        );
    }
}

#[tokio::test]
async fn other_paths_return_404() {
    let stack = seeded_stack().await;
    for path in [
        "/",
        "/records/api/v1/",
        "/records/api/v1/program_records/x/y/",
        "/records/programs/shared/0123456789abcdef0123456789abcdef/",
        "/api/v2/credentials/",
    ] {
        let response = call(&stack, RequestBuilder::get(path).jwt(&ada_token())).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
    }
}

#[tokio::test]
async fn preflight_is_answered_without_login() {
    let stack = seeded_stack().await;
    let response = call(
        &stack,
        RequestBuilder::new(Method::OPTIONS, "/records/api/v1/program_records/")
            .header("origin", learner_records::testkit::MFE_ORIGIN),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        header_of(&response, header::ACCESS_CONTROL_ALLOW_ORIGIN),
        Some(learner_records::testkit::MFE_ORIGIN)
    );
}

// ---------------------------------------------------------------------------------------------
// Profile sync

#[tokio::test]
async fn visit_stores_profile_from_claims() {
    let stack = seeded_stack().await;
    call(
        &stack,
        RequestBuilder::get("/records/api/v1/program_records/").jwt_cookies(&ada_token()),
    )
    .await;
    let stored = stack
        .app
        .store
        .load_profile(&username("lrn_ada"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.full_name, "Ada Testwell");
    assert_eq!(stored.email, "lrn_ada@example.test");
    assert_eq!(stored.lms_user_id, Some(1000));
}

#[tokio::test]
async fn unchanged_claims_write_nothing() {
    let stack = seeded_stack().await;
    let request = || RequestBuilder::get("/records/api/v1/program_records/").jwt(&ada_token());
    call(&stack, request()).await;
    stack.app.counter.reset();
    call(&stack, request()).await;
    assert_eq!(stack.app.counter.snapshot().get("PutItem"), None);
}

#[tokio::test]
async fn changed_claims_update_profile_everywhere() {
    let stack = seeded_stack().await;
    put_profile(&stack, "lrn_ada", "Old Name", "old@example.test").await;
    let link = create_link(&stack, "lrn_ada").await;
    call(
        &stack,
        RequestBuilder::get("/records/").jwt_cookies(&ada_token()),
    )
    .await;

    let public = call(&stack, RequestBuilder::get(&public_path(&link))).await;
    assert_eq!(
        body_json(&public)["record"]["learner"]["full_name"],
        "Ada Testwell"
    );
    let stored = stack
        .app
        .store
        .load_profile(&username("lrn_ada"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.email, "lrn_ada@example.test");
}

#[tokio::test]
async fn empty_name_claim_keeps_stored_name() {
    let stack = seeded_stack().await;
    put_profile(&stack, "lrn_ada", "Ada Testwell", "ada@example.test").await;
    let unnamed = token(&TokenClaims::learner("lrn_ada"));
    call(
        &stack,
        RequestBuilder::get("/csrf/api/v1/token").jwt_cookies(&unnamed),
    )
    .await;
    let stored = stack
        .app
        .store
        .load_profile(&username("lrn_ada"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.full_name, "Ada Testwell");
    assert_eq!(stored.email, "lrn_ada@example.test");
}

#[tokio::test]
async fn staff_visit_stores_only_staff_profile() {
    let stack = seeded_stack().await;
    call(
        &stack,
        RequestBuilder::get("/records/api/v1/program_records/?username=lrn_ada")
            .jwt(&staff_token()),
    )
    .await;
    let store = &stack.app.store;
    assert!(
        store
            .load_profile(&username("staff_sam"))
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        store
            .load_profile(&username("lrn_ada"))
            .await
            .unwrap()
            .is_none()
    );
}

// ---------------------------------------------------------------------------------------------
// Request budgets, on a warm cache (the second request)

fn assert_no_scan(stack: &TestStack) {
    assert!(
        requests(stack)
            .iter()
            .all(|(operation, _)| operation != "Scan"),
        "{:?}",
        requests(stack)
    );
}

#[tokio::test]
async fn program_list_costs_one_get_and_one_query() {
    let stack = seeded_stack().await;
    let request = || RequestBuilder::get("/records/api/v1/program_records/").jwt(&ada_token());
    call(&stack, request()).await;
    stack.app.counter.reset();
    let response = call(&stack, request()).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        requests(&stack),
        [("GetItem".to_owned(), 1), ("Query".to_owned(), 1)]
    );
    assert_no_scan(&stack);
}

#[tokio::test]
async fn private_record_costs_one_get_and_one_query() {
    let stack = seeded_stack().await;
    let request = || RequestBuilder::get(&program_path(&uuid(PROGRAM))).jwt(&ada_token());
    call(&stack, request()).await;
    stack.app.counter.reset();
    let response = call(&stack, request()).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        requests(&stack),
        [("GetItem".to_owned(), 1), ("Query".to_owned(), 1)]
    );
    assert_no_scan(&stack);
}

#[tokio::test]
async fn public_record_costs_two_gets_and_one_query() {
    let stack = seeded_stack().await;
    let link = create_link(&stack, "lrn_ada").await;
    call(&stack, RequestBuilder::get(&public_path(&link))).await;
    stack.app.counter.reset();
    let response = call(&stack, RequestBuilder::get(&public_path(&link))).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        requests(&stack),
        [("GetItem".to_owned(), 2), ("Query".to_owned(), 1)]
    );
    assert_no_scan(&stack);
}

#[tokio::test]
async fn redirect_costs_two_gets() {
    let stack = seeded_stack().await;
    let request = || RequestBuilder::get("/records/").jwt_cookies(&ada_token());
    call(&stack, request()).await;
    stack.app.counter.reset();
    call(&stack, request()).await;
    assert_eq!(requests(&stack), [("GetItem".to_owned(), 2)]);
}

// ---------------------------------------------------------------------------------------------
// The real Discovery sample through the store

#[tokio::test]
async fn discovery_sample_list_and_record() {
    let Some(sample) = discovery_sample() else {
        return;
    };
    let stack = stack().await;
    stack
        .app
        .store
        .replace_catalog(
            &sample.organizations,
            &sample.courses,
            &sample.programs,
            &[],
        )
        .await
        .unwrap();
    seed_settings(&stack, &site(), &Uuid::parse(P_CIRC).unwrap()).await;
    for run in [CIRC_1, CIRC_2] {
        put_grade(&stack, "lrn_ada", run, "0.88", "B").await;
        put_course_credential(&stack, "lrn_ada", run).await;
    }
    put_grade(
        &stack,
        "lrn_ada",
        "course-v1:IUx+BUKD-A500+2T2022",
        "0.7",
        "C",
    )
    .await;
    put_course_credential(&stack, "lrn_ada", "course-v1:IUx+BUKD-A500+2T2022").await;
    put_grade(&stack, "lrn_ada", "DelftX/CTB3300WCx/2T2014", "0.95", "A").await;

    let list = call(
        &stack,
        RequestBuilder::get("/records/api/v1/program_records/").jwt(&ada_token()),
    )
    .await;
    let names: Vec<String> = body_json(&list)["enrolled_programs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["Accounting", "Circuits and Electronics"]);

    let hex = Uuid::parse(P_CIRC).unwrap().hex();
    let path = format!("/records/api/v1/program_records/{hex}/?is_public=false");
    let record = body_json(&call(&stack, RequestBuilder::get(&path).jwt(&ada_token())).await);
    let grades = record["record"]["grades"].as_array().unwrap();
    assert_eq!(grades.len(), 3);
    assert_eq!(grades[0]["name"], CIRC_1_TITLE);
    assert_eq!(grades[0]["percent_grade"], 0.88);
    assert_eq!(grades[1]["name"], CIRC_2_TITLE);
    assert_eq!(grades[2]["issue_date"], "");
    assert_eq!(
        record["record"]["program"]["school"],
        "Massachusetts Institute of Technology"
    );
    assert_eq!(record["record"]["program"]["type"], "xseries");
}
