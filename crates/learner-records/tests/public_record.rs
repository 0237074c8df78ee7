//! The public-record function against moto, called through `api::public_record::handle` as API
//! Gateway calls it: sharing, revoking, the public page and the CSV export, with the request
//! budget of each route.
//!
//! The CSV fixture follows the Credentials service's own CSV tests. One course has three runs
//! graded 0.70 "A", 1.00 "C" and 0.80 "B", with an awarded course certificate in each run, and
//! the program is authored by the organisations "CCC", "AAA" and "BBB". A second course has no
//! data, and a second program has no courses at all.
//!
//! Not covered: a link opened through another site's host. One deployment serves one site, so
//! there is no second site whose host could be used. Upstream's CSV view also sends analytics
//! events, which this service does not, so no download depends on an analytics client.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, TimeZone, Utc};
use lambda_http::http::{Method, StatusCode, header};
use learner_records::api::public_record::{self, handle};
use learner_records::config::CsvDownload;
use learner_records::domain::record::{Viewer, build_program_record};
use learner_records::domain::*;
use learner_records::events::EventPublisher;
use learner_records::http::Response;
use learner_records::store::Store;
use learner_records::store::cache::KIND_SITE;
use learner_records::store::keys;
use learner_records::testkit::{
    EventCapture, MFE_ORIGIN, PUBLIC_BASE_URL, RequestBuilder, TestStack, TokenClaims, body_json,
    body_text, header_of, token,
};
use serde_json::json;

const ADA: &str = "lrn_ada";
const BO: &str = "lrn_bo";
const STAFF: &str = "staff_sam";

fn uuid(n: u8) -> Uuid {
    Uuid::parse(&format!("{n:02x}{}", "0".repeat(30))).unwrap()
}

fn username(name: &str) -> Username {
    Username::parse(name).unwrap()
}

fn run_key(n: u8) -> CourseRunKey {
    CourseRunKey::parse(&format!("course-v1:TestX+C1+{n}T2024")).unwrap()
}

fn other_run_key() -> CourseRunKey {
    CourseRunKey::parse("course-v1:TestX+C2+1T2024").unwrap()
}

fn program_uuid() -> Uuid {
    uuid(50)
}

fn empty_program_uuid() -> Uuid {
    uuid(51)
}

fn at(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2021, 3, day, hour, 0, 0).unwrap()
}

fn organization(n: u8, name: &str) -> Organization {
    Organization {
        uuid: uuid(n),
        key: name.into(),
        name: name.into(),
        certificate_logo_image_url: None,
    }
}

fn course_run(n: u8, key: CourseRunKey) -> CourseRun {
    CourseRun {
        uuid: uuid(n),
        key,
        title_override: None,
        start_date: None,
        end_date: None,
    }
}

fn program(title: &str, runs: Vec<Uuid>) -> Program {
    Program {
        uuid: program_uuid(),
        title: title.into(),
        program_type: "Professional Certificate".into(),
        type_slug: "professional-certificate".into(),
        status: ProgramStatus::Active,
        total_hours_of_effort: None,
        authoring_organizations: vec![uuid(200), uuid(201), uuid(202)],
        course_runs: runs,
    }
}

/// Writes the catalog, with `title` as the program's title and `course_title` as the title of
/// the course with three runs.
async fn write_catalog(store: &Store, title: &str, course_title: &str) {
    let organizations = [
        organization(200, "CCC"),
        organization(201, "AAA"),
        organization(202, "BBB"),
    ];
    let courses = [
        Course {
            uuid: uuid(1),
            key: "TestX+C1".into(),
            title: Some(course_title.into()),
            owners: vec![uuid(200)],
            course_runs: vec![
                course_run(101, run_key(1)),
                course_run(102, run_key(2)),
                course_run(103, run_key(3)),
            ],
        },
        Course {
            uuid: uuid(2),
            key: "TestX+C2".into(),
            title: Some("Course 2".into()),
            owners: vec![uuid(201)],
            course_runs: vec![course_run(104, other_run_key())],
        },
    ];
    let empty = Program {
        uuid: empty_program_uuid(),
        title: "Empty Masters".into(),
        program_type: "Masters".into(),
        type_slug: "masters".into(),
        status: ProgramStatus::Unpublished,
        total_hours_of_effort: None,
        authoring_organizations: vec![uuid(201)],
        course_runs: Vec::new(),
    };
    let programs = [
        program(title, vec![uuid(101), uuid(102), uuid(103), uuid(104)]),
        empty,
    ];
    store
        .replace_catalog(&organizations, &courses, &programs, &[])
        .await
        .unwrap();
}

async fn put<T: serde::Serialize>(store: &Store, key: &keys::Key, kind: &str, value: &T) {
    store
        .put(Store::item(key, kind, value).unwrap())
        .await
        .unwrap();
}

/// Ada: three graded runs, each with an awarded certificate, the second issued at 02:00 UTC.
async fn write_ada(store: &Store) {
    let ada = username(ADA);
    for (n, percent, letter, day, hour) in [
        (1, "0.70", "A", 1, 12),
        (2, "1.00", "C", 2, 2),
        (3, "0.80", "B", 3, 12),
    ] {
        let grade = UserGrade {
            id: u64::from(n),
            username: ada.clone(),
            course_run: run_key(n),
            letter_grade: letter.into(),
            percent_grade: Percent::parse(percent).unwrap(),
            verified: true,
            lms_last_updated_at: None,
            created: at(day, hour),
            modified: at(day, hour),
        };
        put(store, &keys::grade(&ada, &run_key(n)), "grade", &grade).await;
        let credential = UserCredential {
            uuid: Uuid::new_v4(),
            username: ada.clone(),
            subject: CredentialSubject::CourseRun {
                course_run_key: run_key(n),
                mode: CertificateType::Verified,
            },
            status: CredentialStatus::Awarded,
            attributes: Vec::new(),
            date_override: None,
            created: at(day, hour),
            modified: at(day, hour),
        };
        let key = keys::course_credential(&ada, &run_key(n), CertificateType::Verified);
        put(store, &key, "credential", &credential).await;
    }
    write_profile(store, ADA, "Ada Testwell").await;
}

async fn write_profile(store: &Store, name: &str, full_name: &str) {
    let profile = LearnerProfile {
        username: Some(username(name)),
        full_name: full_name.into(),
        email: format!("{name}@example.test"),
        lms_user_id: Some(7),
    };
    store
        .sync_profile(&username(name), None, &profile)
        .await
        .unwrap();
}

async fn configure_site(stack: &TestStack, adjust: impl FnOnce(&mut SiteConfiguration)) {
    let mut site = SiteConfiguration {
        platform_name: "Test Platform".into(),
        ..SiteConfiguration::default()
    };
    adjust(&mut site);
    put(
        &stack.app.store,
        &keys::site_configuration(),
        KIND_SITE,
        &site,
    )
    .await;
    stack.app.store.bump_settings_version().await.unwrap();
}

/// Starts a fresh stack with the catalog, Ada's data, Bo's profile and the site configuration.
async fn stack_with(adjust: impl FnOnce(&mut learner_records::config::Config)) -> TestStack {
    let stack = TestStack::start_with(adjust).await;
    write_catalog(&stack.app.store, "Test Program", "Circuits").await;
    write_ada(&stack.app.store).await;
    write_profile(&stack.app.store, BO, "Bo Samplesen").await;
    configure_site(&stack, |_| {}).await;
    stack
}

async fn stack() -> TestStack {
    stack_with(|_| {}).await
}

fn learner_token(name: &str) -> String {
    token(&TokenClaims::learner(name))
}

fn staff_token(name: &str) -> String {
    token(&TokenClaims::staff(name))
}

fn share_path(program: &Uuid) -> String {
    format!("/records/programs/{}/share", program.hex())
}

fn share_request(as_user: &str, for_user: &str) -> RequestBuilder {
    RequestBuilder::post(&share_path(&program_uuid()))
        .jwt(&learner_token(as_user))
        .json(&json!({"username": for_user}))
}

fn revoke_request(as_token: &str, body: Option<serde_json::Value>) -> RequestBuilder {
    let request = RequestBuilder::new(Method::DELETE, &share_path(&program_uuid())).jwt(as_token);
    match body {
        Some(body) => request.json(&body),
        None => request,
    }
}

async fn send(stack: &TestStack, request: RequestBuilder) -> Response {
    handle(&stack.app, request.build()).await
}

/// Shares Ada's record as Ada and returns the link's hex.
async fn share_ada(stack: &TestStack) -> String {
    let response = send(stack, share_request(ADA, ADA)).await;
    assert!(response.status().is_success(), "{}", body_text(&response));
    link_hex(&body_json(&response)["url"])
}

fn link_hex(url: &serde_json::Value) -> String {
    let url = url.as_str().unwrap();
    let hex = url
        .strip_prefix(&format!("{PUBLIC_BASE_URL}/records/programs/shared/"))
        .and_then(|rest| rest.strip_suffix('/'))
        .unwrap_or_else(|| panic!("unexpected share URL {url}"));
    assert!(
        Uuid::parse_url_hex(hex).is_ok(),
        "{hex} is not 32 hex digits"
    );
    hex.to_owned()
}

fn page_path(hex: &str) -> String {
    format!("/records/programs/shared/{hex}/")
}

fn csv_path(hex: &str) -> String {
    format!("/records/programs/shared/{hex}/csv")
}

fn counts(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
    pairs
        .iter()
        .map(|(operation, count)| ((*operation).to_owned(), *count))
        .collect()
}

fn parse_csv(bytes: &[u8]) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes)
        .records()
        .map(|record| record.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

fn body_bytes(response: &Response) -> Vec<u8> {
    match response.body() {
        lambda_http::Body::Binary(bytes) => bytes.clone(),
        lambda_http::Body::Text(text) => text.clone().into_bytes(),
        _ => Vec::new(),
    }
}

/// Follows a CSV redirect to moto and returns the downloaded response.
async fn fetch_presigned(response: &Response) -> reqwest::Response {
    assert_eq!(
        response.status(),
        StatusCode::FOUND,
        "{}",
        body_text(response)
    );
    let url = header_of(response, header::LOCATION).unwrap();
    reqwest::get(url).await.unwrap()
}

// Sharing

// Upstream redirects an anonymous share to the login page. The MFE shares by XHR, which cannot
// follow a login, so this service returns 401 JSON instead.
#[tokio::test]
async fn anonymous_share_returns_401_json() {
    let stack = stack().await;
    let request =
        RequestBuilder::post(&share_path(&program_uuid())).json(&json!({"username": ADA}));
    let response = send(&stack, request).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        header_of(&response, header::WWW_AUTHENTICATE),
        Some("JWT realm=\"api\"")
    );
    assert_eq!(
        body_json(&response)["detail"],
        "Authentication credentials were not provided."
    );
}

#[tokio::test]
async fn first_share_creates_link_with_201() {
    let stack = stack().await;
    let capture = EventCapture::attach(&stack.endpoint, &stack.sdk, &stack.resources.bus).await;
    stack.app.snapshot().await.unwrap();
    stack.app.counter.reset();

    let response = send(&stack, share_request(ADA, ADA)).await;

    assert_eq!(response.status(), StatusCode::CREATED);
    let hex = link_hex(&body_json(&response)["url"]);
    assert_eq!(
        stack.app.counter.snapshot(),
        counts(&[
            ("GetItem", 1),
            ("PutEvents", 1),
            ("Query", 1),
            ("TransactWriteItems", 1),
            ("UpdateItem", 1),
        ])
    );
    let events = capture.drain().await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["detail-type"], "Record Shared");
    let link = Uuid::parse_url_hex(&hex).unwrap();
    assert_eq!(
        events[0]["detail"],
        json!({"username": ADA, "program_uuid": program_uuid().dashed(), "link_uuid": link.dashed()})
    );
}

#[tokio::test]
async fn repeated_share_returns_same_url_with_200() {
    let stack = stack().await;
    let first = send(&stack, share_request(ADA, ADA)).await;
    stack.app.counter.reset();

    let second = send(&stack, share_request(ADA, ADA)).await;

    assert_eq!(second.status(), StatusCode::OK);
    assert_eq!(body_json(&second), body_json(&first));
    assert_eq!(
        stack.app.counter.snapshot(),
        counts(&[("GetItem", 1), ("Query", 1), ("UpdateItem", 1)])
    );
}

#[tokio::test]
async fn concurrent_shares_create_one_link() {
    let stack = stack().await;
    let (a, b) = tokio::join!(
        send(&stack, share_request(ADA, ADA)),
        send(&stack, share_request(ADA, ADA)),
    );
    let mut statuses = [a.status().as_u16(), b.status().as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 201]);
    assert_eq!(body_json(&a), body_json(&b));
    let links = stack
        .app
        .store
        .load_learner(&username(ADA))
        .await
        .unwrap()
        .links;
    assert_eq!(links.len(), 1);
}

#[tokio::test]
async fn sharing_for_another_learner_is_forbidden() {
    let stack = stack().await;
    let response = send(&stack, share_request(BO, ADA)).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(body_json(&response), json!({"error": "Permission denied"}));
    let ada = stack.app.store.load_learner(&username(ADA)).await.unwrap();
    assert!(ada.links.is_empty(), "no link was created");
}

#[tokio::test]
async fn staff_may_share_for_another_learner() {
    let stack = stack().await;
    let request = RequestBuilder::post(&share_path(&program_uuid()))
        .jwt(&staff_token(STAFF))
        .json(&json!({"username": ADA}));
    let response = send(&stack, request).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let ada = stack.app.store.load_learner(&username(ADA)).await.unwrap();
    assert_eq!(
        ada.links[0].uuid.hex(),
        link_hex(&body_json(&response)["url"])
    );
}

#[tokio::test]
async fn staff_sharing_for_unknown_learner_gets_404() {
    let stack = stack().await;
    let request = RequestBuilder::post(&share_path(&program_uuid()))
        .jwt(&staff_token(STAFF))
        .json(&json!({"username": "nobody_here"}));
    let response = send(&stack, request).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        body_json(&response),
        json!({"error": "User does not exist"})
    );
}

#[tokio::test]
async fn share_of_unknown_program_returns_404() {
    let stack = stack().await;
    let request = RequestBuilder::post(&share_path(&uuid(99)))
        .jwt(&learner_token(ADA))
        .json(&json!({"username": ADA}));
    assert_eq!(send(&stack, request).await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn share_with_bad_body_returns_400() {
    let stack = stack().await;
    let path = share_path(&program_uuid());
    let cases = [
        (RequestBuilder::post(&path), "This field is required."),
        (
            RequestBuilder::post(&path).json(&json!({"user": ADA})),
            "This field is required.",
        ),
        (
            RequestBuilder::post(&path).json(&json!({"username": 7})),
            "Not a valid string.",
        ),
        (
            RequestBuilder::post(&path).json(&json!({"username": null})),
            "This field may not be null.",
        ),
    ];
    for (request, message) in cases {
        let response = send(&stack, request.jwt(&learner_token(ADA))).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert_eq!(body_json(&response), json!({"username": [message]}));
    }
}

#[tokio::test]
async fn share_with_malformed_json_returns_400() {
    let stack = stack().await;
    let request = RequestBuilder::post(&share_path(&program_uuid()))
        .jwt(&learner_token(ADA))
        .header("content-type", "application/json")
        .body(lambda_http::Body::Text("{\"username\":".into()));
    let response = send(&stack, request).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(body_json(&response)["detail"].is_string());
}

#[tokio::test]
async fn cookie_share_needs_csrf_token() {
    let stack = stack().await;
    let cookie_token = learner_token(ADA);
    let without_token = RequestBuilder::post(&share_path(&program_uuid()))
        .jwt_cookies(&cookie_token)
        .header("origin", MFE_ORIGIN)
        .json(&json!({"username": ADA}));
    assert_eq!(
        send(&stack, without_token).await.status(),
        StatusCode::FORBIDDEN
    );

    let csrf = stack.app.csrf.issue(ADA, Utc::now());
    let with_token = RequestBuilder::post(&share_path(&program_uuid()))
        .jwt_cookies(&cookie_token)
        .header("origin", MFE_ORIGIN)
        .header("x-csrftoken", &csrf)
        .json(&json!({"username": ADA}));
    let response = send(&stack, with_token).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(
        header_of(&response, header::ACCESS_CONTROL_ALLOW_ORIGIN),
        Some(MFE_ORIGIN)
    );
}

#[tokio::test]
async fn sixteenth_share_in_a_minute_returns_429() {
    let stack = stack().await;
    // A minute boundary between two requests resets the count, so allow one window's worth
    // of extra requests before giving up.
    let mut throttled = None;
    for attempt in 1..=31 {
        let response = send(&stack, share_request(ADA, ADA)).await;
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            throttled = Some((attempt, response));
            break;
        }
        assert!(response.status().is_success());
    }
    let (attempt, response) = throttled.expect("no request was throttled");
    assert!(attempt >= 16, "throttled after {attempt} requests");
    assert_eq!(body_json(&response), json!({"error": "Too Many Requests"}));
    assert!(header_of(&response, header::RETRY_AFTER).is_some());

    let other = send(&stack, share_request(BO, BO)).await;
    assert_eq!(other.status(), StatusCode::CREATED, "limits are per user");
}

#[tokio::test]
async fn records_disabled_hides_share_from_learners() {
    let stack = stack().await;
    configure_site(&stack, |site| site.records_enabled = false).await;
    let response = send(&stack, share_request(ADA, ADA)).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn share_succeeds_when_events_fail() {
    let mut stack = stack().await;
    stack.app.events = EventPublisher::Failing;
    let response = send(&stack, share_request(ADA, ADA)).await;
    assert_eq!(response.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn share_link_expires_as_configured() {
    let stack = stack().await;
    configure_site(&stack, |site| site.public_link_expiry_days = Some(30)).await;
    share_ada(&stack).await;
    let link = stack
        .app
        .store
        .load_learner(&username(ADA))
        .await
        .unwrap()
        .links[0]
        .clone();
    assert_eq!(link.expires, Some(link.created + Duration::days(30)));
}

// Routing

#[tokio::test]
async fn malformed_ids_return_404() {
    let stack = stack().await;
    // Ids that would parse elsewhere but do not route: upper case, dashes, trailing slashes.
    let upper = "ABCDEF00000000000000000000000000";
    let dashed = "abcdef00-0000-0000-0000-000000000000";
    for path in [
        format!("/records/programs/{upper}/share"),
        format!("/records/programs/{dashed}/share"),
        format!("/records/programs/{}/share/", program_uuid().hex()),
        "/records/programs/shared/xyz/".to_owned(),
        format!("/records/programs/shared/{upper}/csv"),
        format!("/records/programs/shared/{}/csv/", program_uuid().hex()),
    ] {
        let request = RequestBuilder::post(&path).jwt(&learner_token(ADA));
        let response = send(&stack, request).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
    }
}

#[tokio::test]
async fn other_methods_return_405() {
    let stack = stack().await;
    let hex = program_uuid().hex();
    for (method, path) in [
        (Method::GET, share_path(&program_uuid())),
        (Method::PUT, share_path(&program_uuid())),
        (Method::POST, page_path(&hex)),
        (Method::DELETE, csv_path(&hex)),
    ] {
        let request = RequestBuilder::new(method.clone(), &path).jwt(&learner_token(ADA));
        let response = send(&stack, request).await;
        assert_eq!(
            response.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}"
        );
    }
}

// Revoking

#[tokio::test]
async fn revoked_link_returns_404_everywhere() {
    let stack = stack().await;
    let hex = share_ada(&stack).await;
    let link = Uuid::parse_url_hex(&hex).unwrap();

    let response = send(&stack, revoke_request(&learner_token(ADA), None)).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);

    let page = send(&stack, RequestBuilder::get(&page_path(&hex))).await;
    assert_eq!(page.status(), StatusCode::NOT_FOUND);
    let csv = send(&stack, RequestBuilder::get(&csv_path(&hex))).await;
    assert_eq!(csv.status(), StatusCode::NOT_FOUND);
    // The JSON view resolves links through the same store call.
    let resolved = stack
        .app
        .store
        .resolve_link(&link, Utc::now())
        .await
        .unwrap();
    assert_eq!(resolved, None);
}

#[tokio::test]
async fn revoked_link_looks_like_unknown_link() {
    let stack = stack().await;
    let hex = share_ada(&stack).await;
    send(&stack, revoke_request(&learner_token(ADA), None)).await;

    let revoked = send(&stack, RequestBuilder::get(&page_path(&hex))).await;
    let unknown = send(&stack, RequestBuilder::get(&page_path(&uuid(77).hex()))).await;
    assert_eq!(revoked.status(), unknown.status());
    assert_eq!(body_text(&revoked), body_text(&unknown));
}

#[tokio::test]
async fn sharing_after_revoke_creates_new_link() {
    let stack = stack().await;
    let first = share_ada(&stack).await;
    send(&stack, revoke_request(&learner_token(ADA), None)).await;

    let response = send(&stack, share_request(ADA, ADA)).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let second = link_hex(&body_json(&response)["url"]);
    assert_ne!(second, first);
    let old = send(&stack, RequestBuilder::get(&page_path(&first))).await;
    assert_eq!(
        old.status(),
        StatusCode::NOT_FOUND,
        "the old link stays dead"
    );
}

#[tokio::test]
async fn revoke_without_link_returns_404() {
    let stack = stack().await;
    let response = send(&stack, revoke_request(&learner_token(ADA), None)).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn revoking_another_learners_link_is_forbidden() {
    let stack = stack().await;
    let hex = share_ada(&stack).await;
    let response = send(
        &stack,
        revoke_request(&learner_token(BO), Some(json!({"username": ADA}))),
    )
    .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let page = send(&stack, RequestBuilder::get(&page_path(&hex))).await;
    assert_eq!(page.status(), StatusCode::OK);
}

#[tokio::test]
async fn staff_revoke_costs_one_transaction() {
    let stack = stack().await;
    let capture = EventCapture::attach(&stack.endpoint, &stack.sdk, &stack.resources.bus).await;
    share_ada(&stack).await;
    capture.drain().await;
    stack.app.counter.reset();

    let response = send(
        &stack,
        revoke_request(&staff_token(STAFF), Some(json!({"username": ADA}))),
    )
    .await;

    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        stack.app.counter.snapshot(),
        counts(&[
            ("GetItem", 2),
            ("PutEvents", 1),
            ("TransactWriteItems", 1),
            ("UpdateItem", 1),
        ])
    );
    let types = capture.detail_types().await;
    assert_eq!(types.get("Record Revoked"), Some(&1));
}

#[tokio::test]
async fn revoke_public_link_serves_the_admin() {
    let stack = stack().await;
    let hex = share_ada(&stack).await;
    let revoked = public_record::revoke_public_link(&stack.app, &username(ADA), &program_uuid())
        .await
        .unwrap();
    assert_eq!(revoked.map(|link| link.uuid.hex()), Some(hex));
    let again = public_record::revoke_public_link(&stack.app, &username(ADA), &program_uuid())
        .await
        .unwrap();
    assert_eq!(again, None);
}

// The public page

#[tokio::test]
async fn anonymous_page_shows_record_without_email() {
    let stack = stack().await;
    let hex = share_ada(&stack).await;
    let response = send(&stack, RequestBuilder::get(&page_path(&hex))).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        header_of(&response, header::CONTENT_TYPE),
        Some("text/html; charset=utf-8")
    );
    let html = body_text(&response);
    for text in [
        "<h1>Test Program</h1>",
        "<dd>Ada Testwell</dd>",
        "<dd>CCC, AAA, BBB</dd>",
        "<dd>Test Platform</dd>",
        "<th scope=\"row\">Circuits<span class=\"course-id\">TestX+C1+2T2024</span></th>",
        "<td class=\"number\">100%</td><td>C</td><td class=\"number\">3</td>",
        "<th scope=\"row\">Course 2</th><td>AAA</td><td class=\"nowrap\">Not earned</td>",
        "Download program record</a>",
    ] {
        assert!(html.contains(text), "missing {text}");
    }
    assert!(!html.contains("lrn_ada@example.test"));
}

#[tokio::test]
async fn page_without_trailing_slash_is_served() {
    let stack = stack().await;
    let hex = share_ada(&stack).await;
    let path = format!("/records/programs/shared/{hex}");
    let response = send(&stack, RequestBuilder::get(&path)).await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn page_links_to_the_csv() {
    let stack = stack().await;
    let hex = share_ada(&stack).await;
    let html = body_text(&send(&stack, RequestBuilder::get(&page_path(&hex))).await);
    let href = format!("href=\"{PUBLIC_BASE_URL}{}\"", csv_path(&hex));
    assert!(html.contains(&href), "missing {href}");
}

#[tokio::test]
async fn owner_and_staff_see_email_on_page() {
    let stack = stack().await;
    let hex = share_ada(&stack).await;
    for viewer in [learner_token(ADA), staff_token(STAFF)] {
        let request = RequestBuilder::get(&page_path(&hex)).jwt_cookies(&viewer);
        let html = body_text(&send(&stack, request).await);
        assert!(html.contains("<dd>lrn_ada@example.test</dd>"));
    }
    let other = RequestBuilder::get(&page_path(&hex)).jwt_cookies(&learner_token(BO));
    let html = body_text(&send(&stack, other).await);
    assert!(!html.contains("lrn_ada@example.test"));
}

#[tokio::test]
async fn site_can_show_email_publicly() {
    let stack = stack().await;
    configure_site(&stack, |site| site.show_email_publicly = true).await;
    let hex = share_ada(&stack).await;
    let html = body_text(&send(&stack, RequestBuilder::get(&page_path(&hex))).await);
    assert!(html.contains("<dd>lrn_ada@example.test</dd>"));
}

#[tokio::test]
async fn page_costs_two_get_items_and_one_query() {
    let stack = stack().await;
    let hex = share_ada(&stack).await;
    stack.app.counter.reset();
    let response = send(&stack, RequestBuilder::get(&page_path(&hex))).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        stack.app.counter.snapshot(),
        counts(&[("GetItem", 2), ("Query", 1)])
    );
}

#[tokio::test]
async fn page_headers_keep_the_record_private() {
    let stack = stack().await;
    let hex = share_ada(&stack).await;
    let response = send(&stack, RequestBuilder::get(&page_path(&hex))).await;
    assert_eq!(
        header_of(&response, header::CACHE_CONTROL),
        Some("no-store")
    );
    assert_eq!(
        header_of(&response, header::HeaderName::from_static("x-robots-tag")),
        Some("noindex, nofollow")
    );
    assert_eq!(header_of(&response, header::CONTENT_LANGUAGE), Some("en"));
    let policy = header_of(&response, header::CONTENT_SECURITY_POLICY).unwrap();
    assert!(policy.starts_with("default-src 'none'"), "{policy}");
}

#[tokio::test]
async fn script_in_program_title_stays_text() {
    let stack = stack().await;
    write_catalog(
        &stack.app.store,
        "<script>alert(\"x\")</script> & Co",
        "Circuits",
    )
    .await;
    let hex = share_ada(&stack).await;
    let html = body_text(&send(&stack, RequestBuilder::get(&page_path(&hex))).await);
    assert!(!html.contains("<script"));
    assert!(html.contains("<h1>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co</h1>"));
}

#[tokio::test]
async fn dates_show_the_utc_calendar_day() {
    let stack = stack().await;
    let hex = share_ada(&stack).await;
    let html = body_text(&send(&stack, RequestBuilder::get(&page_path(&hex))).await);
    // Issued 2021-03-02T02:00:00Z, which is still 1 March in New York.
    assert!(html.contains("<time datetime=\"2021-03-02\">2021-03-02</time>"));
    assert!(html.contains(">Date earned (UTC)</th>"));
}

#[tokio::test]
async fn unknown_link_page_returns_html_404() {
    let stack = stack().await;
    let response = send(&stack, RequestBuilder::get(&page_path(&uuid(77).hex()))).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(body_text(&response).contains("<h1>Program record not found</h1>"));
}

#[tokio::test]
async fn expired_link_returns_404() {
    let stack = stack().await;
    let long_ago = Utc::now() - Duration::days(10);
    let link = stack
        .app
        .store
        .get_or_create_link(&username(ADA), &program_uuid(), None, Some(1), long_ago)
        .await
        .unwrap()
        .link()
        .clone();
    let hex = link.uuid.hex();
    let page = send(&stack, RequestBuilder::get(&page_path(&hex))).await;
    assert_eq!(page.status(), StatusCode::NOT_FOUND);
    let csv = send(&stack, RequestBuilder::get(&csv_path(&hex))).await;
    assert_eq!(csv.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn page_redirects_to_configured_mfe() {
    let stack = stack().await;
    configure_site(&stack, |site| {
        site.learner_record_mfe_url = "http://learner-record-mfe/".into();
    })
    .await;
    let hex = share_ada(&stack).await;
    let response = send(&stack, RequestBuilder::get(&page_path(&hex))).await;
    assert_eq!(response.status(), StatusCode::FOUND);
    assert_eq!(
        header_of(&response, header::LOCATION),
        Some(format!("http://learner-record-mfe/shared/{hex}").as_str())
    );
}

#[tokio::test]
async fn deployment_mfe_url_also_redirects() {
    let stack = stack_with(|config| {
        config.learner_record_mfe_url = "http://learner-record-mfe".into();
    })
    .await;
    let hex = share_ada(&stack).await;
    let response = send(&stack, RequestBuilder::get(&page_path(&hex))).await;
    assert_eq!(
        header_of(&response, header::LOCATION),
        Some(format!("http://learner-record-mfe/shared/{hex}").as_str())
    );
}

#[tokio::test]
async fn records_disabled_keeps_anonymous_links_working() {
    let stack = stack().await;
    let hex = share_ada(&stack).await;
    configure_site(&stack, |site| site.records_enabled = false).await;

    let anonymous = send(&stack, RequestBuilder::get(&page_path(&hex))).await;
    assert_eq!(anonymous.status(), StatusCode::OK);
    let anonymous_csv = send(&stack, RequestBuilder::get(&csv_path(&hex))).await;
    assert_eq!(anonymous_csv.status(), StatusCode::FOUND);

    let owner = RequestBuilder::get(&page_path(&hex)).jwt_cookies(&learner_token(ADA));
    assert_eq!(send(&stack, owner).await.status(), StatusCode::NOT_FOUND);
    let owner_csv = RequestBuilder::get(&csv_path(&hex)).jwt_cookies(&learner_token(ADA));
    assert_eq!(
        send(&stack, owner_csv).await.status(),
        StatusCode::NOT_FOUND
    );
}

// The CSV export

#[tokio::test]
async fn csv_matches_the_record() {
    let stack = stack().await;
    let hex = share_ada(&stack).await;
    let response = send(&stack, RequestBuilder::get(&csv_path(&hex))).await;
    let download = fetch_presigned(&response).await;
    let rows = parse_csv(&download.bytes().await.unwrap());

    let snapshot = stack.app.snapshot().await.unwrap();
    let learner = stack.app.store.load_learner(&username(ADA)).await.unwrap();
    let program = snapshot.catalog.program(&program_uuid()).unwrap();
    let record = build_program_record(
        &snapshot.catalog,
        &snapshot.settings,
        program,
        &username(ADA),
        &learner,
        Viewer::Public,
    );

    let metadata: Vec<Vec<String>> = rows[..8].to_vec();
    let expected_metadata = [
        vec!["Program Name", "Test Program"],
        vec!["Program Type", "Professional Certificate"],
        vec!["Platform Provider", "Test Platform"],
        vec!["Authoring Organization(s)", "CCC, AAA, BBB"],
        vec!["Learner Name", "Ada Testwell"],
        vec!["Username", ADA],
        vec!["Email", ""],
        vec![""],
    ];
    assert_eq!(metadata, expected_metadata);
    assert_eq!(
        rows[8],
        [
            "name",
            "school",
            "attempts",
            "course_id",
            "issue_date",
            "percent_grade",
            "letter_grade"
        ]
    );
    let grades: Vec<Vec<String>> = record
        .grades
        .iter()
        .map(|row| {
            vec![
                row.name.clone(),
                row.school.clone(),
                row.attempts.map(|n| n.to_string()).unwrap_or_default(),
                row.course_id.clone(),
                row.issue_date
                    .as_ref()
                    .map(learner_records::domain::record::isoformat)
                    .unwrap_or_default(),
                row.percent_grade
                    .map(Percent::python_float_text)
                    .unwrap_or_default(),
                row.letter_grade.clone(),
            ]
        })
        .collect();
    assert_eq!(rows[9..].to_vec(), grades);
}

#[tokio::test]
async fn csv_row_shows_best_grade_and_its_run() {
    let stack = stack().await;
    let hex = share_ada(&stack).await;
    let response = send(&stack, RequestBuilder::get(&csv_path(&hex))).await;
    let rows = parse_csv(&fetch_presigned(&response).await.bytes().await.unwrap());
    // Upstream takes course_id from the newest awarded run (run 3) while the grade comes from
    // run 2; here both come from run 2, the run whose grade is shown.
    assert_eq!(
        rows[9],
        [
            "Circuits",
            "CCC",
            "3",
            "course-v1:TestX+C1+2T2024",
            "2021-03-02T02:00:00+00:00",
            "1.0",
            "C"
        ]
    );
    assert_eq!(rows[10], ["Course 2", "AAA", "", "", "", "", ""]);
}

#[tokio::test]
async fn csv_bytes_are_quoted_crlf_utf8() {
    let stack = stack().await;
    write_catalog(&stack.app.store, "Électronique", "Circuits").await;
    let hex = share_ada(&stack).await;
    let response = send(&stack, RequestBuilder::get(&csv_path(&hex))).await;
    let bytes = fetch_presigned(&response).await.bytes().await.unwrap();
    let text = std::str::from_utf8(&bytes).unwrap();
    assert!(text.starts_with("\"Program Name\",\"Électronique\"\r\n"));
    assert!(text.contains("\r\n\"\"\r\n\"name\",\"school\","));
    assert!(text.ends_with("\"\"\r\n"));
    assert!(!text.contains("\n\n"));
}

#[tokio::test]
async fn csv_is_stored_with_download_headers() {
    let stack = stack().await;
    let hex = share_ada(&stack).await;
    let response = send(&stack, RequestBuilder::get(&csv_path(&hex))).await;
    assert_eq!(response.status(), StatusCode::FOUND);

    let s3 = aws_sdk_s3::Client::new(&stack.sdk);
    let listed = s3
        .list_objects_v2()
        .bucket(&stack.resources.bucket)
        .prefix(format!("exports/{hex}/"))
        .send()
        .await
        .unwrap();
    let keys: Vec<&str> = listed.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys.len(), 1);
    assert!(keys[0].ends_with(".csv"));
    let head = s3
        .head_object()
        .bucket(&stack.resources.bucket)
        .key(keys[0])
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_type(), Some("text/csv"));
    assert_eq!(
        head.content_disposition(),
        Some(
            "attachment; filename=\"lrn_ada_test_program_grades.csv\"; \
             filename*=UTF-8''lrn_ada_test_program_grades.csv"
        )
    );
}

#[tokio::test]
async fn presigned_url_downloads_the_csv() {
    let stack = stack().await;
    let hex = share_ada(&stack).await;
    let response = send(&stack, RequestBuilder::get(&csv_path(&hex))).await;
    let location = header_of(&response, header::LOCATION).unwrap();
    assert!(location.contains("X-Amz-Expires=300"), "{location}");
    assert!(location.contains("response-content-disposition="));
    assert_eq!(
        header_of(&response, header::CACHE_CONTROL),
        Some("no-store")
    );

    // moto does not check signatures or expiry, so this shows that the URL names the object
    // and the response headers, not that AWS would accept the signature.
    let download = fetch_presigned(&response).await;
    assert_eq!(download.status(), 200);
    let header = |name: &str| {
        download
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    assert_eq!(header("content-type").as_deref(), Some("text/csv"));
    assert_eq!(
        header("content-disposition").as_deref(),
        Some(
            "attachment; filename=\"lrn_ada_test_program_grades.csv\"; \
             filename*=UTF-8''lrn_ada_test_program_grades.csv"
        )
    );
    let rows = parse_csv(&download.bytes().await.unwrap());
    assert_eq!(rows[0], ["Program Name", "Test Program"]);
}

#[tokio::test]
async fn download_name_follows_upstream_pattern() {
    let stack = stack().await;
    write_profile(&stack.app.store, "test-user", "Test User").await;
    write_catalog(&stack.app.store, "Test Program abcd", "Circuits").await;
    let request = RequestBuilder::post(&share_path(&program_uuid()))
        .jwt(&learner_token("test-user"))
        .json(&json!({"username": "test-user"}));
    let hex = link_hex(&body_json(&send(&stack, request).await)["url"]);
    let response = send(&stack, RequestBuilder::get(&csv_path(&hex))).await;
    let download = fetch_presigned(&response).await;
    let disposition = download.headers()["content-disposition"].to_str().unwrap();
    // Upstream sends only the `filename` parameter; `filename*` is added for non-ASCII titles.
    assert!(
        disposition.starts_with("attachment; filename=\"test-user_test_program_abcd_grades.csv\";"),
        "{disposition}"
    );
}

#[tokio::test]
async fn non_ascii_title_gets_utf8_file_name() {
    let stack = stack().await;
    write_catalog(&stack.app.store, "Électronique Ñ", "Circuits").await;
    let hex = share_ada(&stack).await;
    let response = send(&stack, RequestBuilder::get(&csv_path(&hex))).await;
    let download = fetch_presigned(&response).await;
    assert_eq!(
        download.headers()["content-disposition"].to_str().unwrap(),
        "attachment; filename=\"lrn_ada__lectronique___grades.csv\"; \
         filename*=UTF-8''lrn_ada_%C3%A9lectronique_%C3%B1_grades.csv"
    );
}

// The counter sees presigning as one GetObject, because presigning runs the SDK's interceptors
// up to the point of sending; no GetObject request leaves the function.

#[tokio::test]
async fn unchanged_record_reuses_the_export() {
    let stack = stack().await;
    let hex = share_ada(&stack).await;
    let first = send(&stack, RequestBuilder::get(&csv_path(&hex))).await;
    assert_eq!(first.status(), StatusCode::FOUND);
    stack.app.counter.reset();

    let second = send(&stack, RequestBuilder::get(&csv_path(&hex))).await;

    assert_eq!(second.status(), StatusCode::FOUND);
    assert_eq!(
        stack.app.counter.snapshot(),
        counts(&[
            ("GetItem", 2),
            ("GetObject", 1),
            ("HeadObject", 1),
            ("Query", 1)
        ])
    );
    let object = |response: &Response| {
        let location = header_of(response, header::LOCATION).unwrap().to_owned();
        location.split('?').next().unwrap().to_owned()
    };
    assert_eq!(object(&first), object(&second));
}

#[tokio::test]
async fn first_export_costs_one_put() {
    let stack = stack().await;
    let hex = share_ada(&stack).await;
    stack.app.counter.reset();
    let response = send(&stack, RequestBuilder::get(&csv_path(&hex))).await;
    assert_eq!(response.status(), StatusCode::FOUND);
    assert_eq!(
        stack.app.counter.snapshot(),
        counts(&[
            ("GetItem", 2),
            ("GetObject", 1),
            ("HeadObject", 1),
            ("PutObject", 1),
            ("Query", 1)
        ])
    );
}

#[tokio::test]
async fn owner_csv_has_email_and_public_csv_does_not() {
    let stack = stack().await;
    let hex = share_ada(&stack).await;
    let public = send(&stack, RequestBuilder::get(&csv_path(&hex))).await;
    let public_rows = parse_csv(&fetch_presigned(&public).await.bytes().await.unwrap());
    let owner = RequestBuilder::get(&csv_path(&hex)).jwt_cookies(&learner_token(ADA));
    let owner = send(&stack, owner).await;
    let owner_rows = parse_csv(&fetch_presigned(&owner).await.bytes().await.unwrap());

    assert_eq!(public_rows[6], ["Email", ""]);
    assert_eq!(owner_rows[6], ["Email", "lrn_ada@example.test"]);
    assert_ne!(
        header_of(&public, header::LOCATION)
            .unwrap()
            .split('?')
            .next(),
        header_of(&owner, header::LOCATION)
            .unwrap()
            .split('?')
            .next(),
        "each version has its own object"
    );
}

#[tokio::test]
async fn program_without_courses_gives_metadata_and_header() {
    let stack = stack().await;
    let link = stack
        .app
        .store
        .get_or_create_link(
            &username(ADA),
            &empty_program_uuid(),
            None,
            None,
            Utc::now(),
        )
        .await
        .unwrap()
        .link()
        .clone();
    let response = send(&stack, RequestBuilder::get(&csv_path(&link.uuid.hex()))).await;
    let rows = parse_csv(&fetch_presigned(&response).await.bytes().await.unwrap());
    assert_eq!(rows.len(), 9);
    assert_eq!(rows[0], ["Program Name", "Empty Masters"]);
    assert_eq!(rows[8][0], "name");

    let page = send(&stack, RequestBuilder::get(&page_path(&link.uuid.hex()))).await;
    assert!(body_text(&page).contains("This program has no courses."));
}

#[tokio::test]
async fn formula_cells_are_neutralised() {
    let stack = stack().await;
    write_catalog(&stack.app.store, "=HYPERLINK(\"x\")", "@SUM(A1)").await;
    write_profile(&stack.app.store, ADA, "+Ada").await;
    let hex = share_ada(&stack).await;
    let response = send(&stack, RequestBuilder::get(&csv_path(&hex))).await;
    let rows = parse_csv(&fetch_presigned(&response).await.bytes().await.unwrap());
    assert_eq!(rows[0][1], "'=HYPERLINK(\"x\")");
    assert_eq!(rows[4][1], "'+Ada");
    assert_eq!(rows[9][0], "'@SUM(A1)");
    assert_eq!(rows[9][5], "1.0", "numbers are not touched");
}

#[tokio::test]
async fn quoted_course_title_round_trips() {
    let stack = stack().await;
    write_catalog(&stack.app.store, "Test Program", "Circuits, \"Part 1\"").await;
    let hex = share_ada(&stack).await;
    let response = send(&stack, RequestBuilder::get(&csv_path(&hex))).await;
    let bytes = fetch_presigned(&response).await.bytes().await.unwrap();
    assert!(
        std::str::from_utf8(&bytes)
            .unwrap()
            .contains("\"Circuits, \"\"Part 1\"\"\"")
    );
    assert_eq!(parse_csv(&bytes)[9][0], "Circuits, \"Part 1\"");
}

#[tokio::test]
async fn csv_column_order_is_stable() {
    let stack = stack().await;
    let hex = share_ada(&stack).await;
    let first = send(&stack, RequestBuilder::get(&csv_path(&hex))).await;
    let first = fetch_presigned(&first).await.bytes().await.unwrap();
    let second = send(&stack, RequestBuilder::get(&csv_path(&hex))).await;
    let second = fetch_presigned(&second).await.bytes().await.unwrap();
    assert_eq!(first, second);
}

#[tokio::test]
async fn unknown_link_csv_returns_404() {
    let stack = stack().await;
    let path = csv_path(&uuid(77).hex());
    let response = send(&stack, RequestBuilder::get(&path)).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(body_json(&response), json!({"detail": "Not found."}));

    let browser = RequestBuilder::get(&path).header("accept", "text/html,*/*;q=0.8");
    let response = send(&stack, browser).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(body_text(&response).contains("Program record not found"));
}

#[tokio::test]
async fn export_storage_failure_returns_502() {
    let stack = stack_with(|config| config.export_bucket = "missing-export-bucket".into()).await;
    let hex = share_ada(&stack).await;
    let response = send(&stack, RequestBuilder::get(&csv_path(&hex))).await;
    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    assert_eq!(
        body_json(&response)["error"],
        "Storing the CSV export failed; try again shortly."
    );
}

#[tokio::test]
async fn csv_is_inline_while_an_mfe_is_configured() {
    let stack = stack().await;
    configure_site(&stack, |site| {
        site.learner_record_mfe_url = "http://learner-record-mfe".into();
    })
    .await;
    let hex = share_ada(&stack).await;
    stack.app.counter.reset();

    let request = RequestBuilder::get(&csv_path(&hex)).header("origin", MFE_ORIGIN);
    let response = send(&stack, request).await;

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header_of(&response, header::CONTENT_TYPE), Some("text/csv"));
    assert!(
        header_of(&response, header::CONTENT_DISPOSITION)
            .unwrap()
            .starts_with("attachment; filename=\"lrn_ada_test_program_grades.csv\"")
    );
    assert_eq!(
        header_of(&response, header::ACCESS_CONTROL_ALLOW_ORIGIN),
        Some(MFE_ORIGIN)
    );
    assert_eq!(
        parse_csv(&body_bytes(&response))[0],
        ["Program Name", "Test Program"]
    );
    assert_eq!(
        stack.app.counter.snapshot(),
        counts(&[("GetItem", 2), ("Query", 1)]),
        "inline delivery does not touch S3"
    );
}

#[tokio::test]
async fn redirect_mode_overrides_the_mfe_default() {
    let stack = stack_with(|config| config.csv_download = CsvDownload::Redirect).await;
    configure_site(&stack, |site| {
        site.learner_record_mfe_url = "http://learner-record-mfe".into();
    })
    .await;
    let hex = share_ada(&stack).await;
    let response = send(&stack, RequestBuilder::get(&csv_path(&hex))).await;
    assert_eq!(response.status(), StatusCode::FOUND);
}

#[tokio::test]
async fn inline_mode_needs_no_bucket() {
    let stack = stack_with(|config| {
        config.csv_download = CsvDownload::Inline;
        config.export_bucket = String::new();
    })
    .await;
    let hex = share_ada(&stack).await;
    let response = send(&stack, RequestBuilder::get(&csv_path(&hex))).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(parse_csv(&body_bytes(&response)).len(), 11);
}
