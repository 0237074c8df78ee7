#![allow(clippy::unwrap_used)]
//! The whole learner story through the local system, only over HTTP: the Discovery stand-in
//! (the real course-discovery samples when present, else the demo catalog), the catalog copy
//! against it, fresh moto resources and the local gateway in in-process mode. The LMS posts; the
//! learner reads, shares and sends; an anonymous client opens the public record; the learner
//! revokes it. The email and the events are read back from moto. The DynamoDB requests
//! of every step are printed at the end, and the budgets the route tests assert are asserted
//! here too.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use aws_config::SdkConfig;
use clap::Parser;
use devstack::admin::{self, Cli, Environment};
use devstack::demo::{self, DemoCatalog, LEARNERS, LMS_SERVICE_USER, LmsRequest};
use devstack::discovery::{CLIENT_ID, CLIENT_SECRET, DiscoveryData, DiscoveryStandIn};
use devstack::gateway::{self, Backend, Gateway};
use devstack::routes::RouteTable;
use learner_records::App;
use learner_records::catalog_copy::{CatalogCopy, CatalogCopyConfig};
use learner_records::domain::Uuid;
use learner_records::events;
use learner_records::testkit::{
    EventCapture, MFE_ORIGIN, TestStack, TokenClaims, sent_emails, token,
};
use reqwest::{Client, Method, StatusCode, header};
use serde_json::{Value, json};

/// Returns the folder of the course-discovery samples, found as the catalog copy tests find it.
fn fixtures_dir() -> PathBuf {
    std::env::var("DISCOVERY_FIXTURES_DIR").map_or_else(
        |_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/discovery"),
        PathBuf::from,
    )
}

fn client() -> Client {
    Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

/// DynamoDB requests per step, read from the app's counter.
#[derive(Default)]
struct Budgets {
    steps: Vec<(String, BTreeMap<String, u64>)>,
}

impl Budgets {
    /// Records what the app sent since the last reset under `step`, then resets the counter.
    fn record(&mut self, app: &App, step: &str) -> BTreeMap<String, u64> {
        let dynamodb: BTreeMap<String, u64> = app
            .counter
            .snapshot()
            .into_iter()
            .filter(|(operation, _)| is_dynamodb(operation))
            .collect();
        app.counter.reset();
        self.steps.push((step.to_owned(), dynamodb.clone()));
        dynamodb
    }

    fn print(&self) {
        println!("\nDynamoDB requests per step");
        println!("{:<44} {:>5}  operations", "step", "total");
        for (step, counts) in &self.steps {
            let total: u64 = counts.values().sum();
            let detail: Vec<String> = counts
                .iter()
                .map(|(operation, count)| format!("{operation} {count}"))
                .collect();
            println!("{step:<44} {total:>5}  {}", detail.join(", "));
        }
    }
}

/// Tells whether the counter's operation name is a DynamoDB one; the others are S3, SES and
/// EventBridge.
fn is_dynamodb(operation: &str) -> bool {
    [
        "GetItem",
        "PutItem",
        "DeleteItem",
        "UpdateItem",
        "Query",
        "Scan",
        "BatchGetItem",
        "BatchWriteItem",
        "TransactWriteItems",
        "TransactGetItems",
    ]
    .contains(&operation)
}

fn total(counts: &BTreeMap<String, u64>) -> u64 {
    counts.values().sum()
}

/// A learner's browser: the JWT cookie pair the LMS sets, and the MFE's origin.
struct Browser {
    client: Client,
    base: String,
    cookies: String,
}

impl Browser {
    fn new(base: &str, jwt: &str) -> Self {
        let (header_payload, signature) = jwt.rsplit_once('.').unwrap();
        Self {
            client: client(),
            base: base.to_owned(),
            cookies: format!(
                "edx-jwt-cookie-header-payload={header_payload}; edx-jwt-cookie-signature={signature}"
            ),
        }
    }

    fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, format!("{}{path}", self.base))
            .header(header::COOKIE, &self.cookies)
            .header(header::ORIGIN, MFE_ORIGIN)
    }

    async fn get_json(&self, path: &str) -> (StatusCode, Value) {
        let response = self.request(Method::GET, path).send().await.unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }
}

async fn anonymous_get(base: &str, path: &str) -> reqwest::Response {
    client().get(format!("{base}{path}")).send().await.unwrap()
}

/// Downloads the CSV behind a CSV route: the body itself, or the presigned S3 object its
/// redirect names.
async fn csv_bytes(response: reqwest::Response) -> Vec<u8> {
    match response.status() {
        StatusCode::OK => response.bytes().await.unwrap().to_vec(),
        StatusCode::FOUND => {
            let location = response.headers()[header::LOCATION].to_str().unwrap();
            let download = client().get(location).send().await.unwrap();
            assert_eq!(download.status(), StatusCode::OK);
            download.bytes().await.unwrap().to_vec()
        }
        status => panic!("the CSV route answered {status}"),
    }
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

/// Returns the grades the LMS posted for a learner, by run: (letter grade, percent as text).
fn posted_grades(catalog: &DemoCatalog, username: &str) -> BTreeMap<String, (String, String)> {
    demo::requests(catalog)
        .into_iter()
        .filter_map(|request| match request {
            LmsRequest::Grade {
                username: user,
                course_run,
                letter_grade,
                percent_grade,
                ..
            } if user == username => Some((
                course_run.to_owned(),
                (letter_grade.to_owned(), percent_grade.to_owned()),
            )),
            _ => None,
        })
        .collect()
}

/// Runs one admin CLI command against the table, as an operator would.
async fn admin_command(endpoint: &str, sdk: &SdkConfig, table: &str, args: &[&str]) {
    let mut argv = vec!["learner-records-admin", "--table", table];
    argv.extend_from_slice(args);
    let env = Environment::from_pairs([("AWS_ENDPOINT_URL", endpoint)]);
    let mut out = Vec::new();
    admin::run(Cli::try_parse_from(argv).unwrap(), &env, sdk, &mut out)
        .await
        .unwrap();
}

/// Opens a record link as an anonymous viewer and returns the public record JSON.
async fn public_record_of(base: &str, link: &str) -> Value {
    let response = anonymous_get(
        base,
        &format!("/records/api/v1/program_records/{link}/?is_public=true"),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

/// Extracts the 32-hex id at the end of a public record URL on `base`.
fn link_of(base: &str, url: &str) -> String {
    url.strip_prefix(&format!("{base}/records/programs/shared/"))
        .and_then(|rest| rest.strip_suffix('/'))
        .unwrap_or_else(|| panic!("unexpected record URL {url}"))
        .to_owned()
}

/// Collects the `href` targets of an HTML text, in order.
fn hrefs(html: &str) -> Vec<String> {
    html.split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(|href| href.replace("&amp;", "&"))
        .collect()
}

#[tokio::test]
async fn learner_story_runs_end_to_end_over_http() {
    // The local system on free ports. The gateway's port is taken first so the app's public
    // base URL, which links and emails carry, is the gateway's own.
    let fixtures = fixtures_dir();
    let catalog = DemoCatalog::for_fixtures_dir(&fixtures);
    let (data, source) = DiscoveryData::load(&fixtures).unwrap();
    println!("Discovery stand-in serves {source:?}");
    let discovery = DiscoveryStandIn::start(data).await.unwrap();
    let listener = gateway::bind(0).await.unwrap();
    let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let TestStack {
        endpoint,
        sdk,
        resources,
        app,
    } = TestStack::start_with(|config| config.public_base_url.clone_from(&base)).await;
    // The gateway serves this same app, so its counter sees every request of every route.
    let app = Arc::new(app);
    let table = resources.table.as_str();
    let capture = EventCapture::attach(&endpoint, &sdk, &resources.bus).await;

    let copy_config = CatalogCopyConfig::from_lookup(|name| match name {
        "CATALOG_API_URL" => Some(discovery.catalog_api_url()),
        "DISCOVERY_TOKEN_URL" => Some(discovery.token_url()),
        "DISCOVERY_CLIENT_ID" => Some(CLIENT_ID.to_owned()),
        "DISCOVERY_CLIENT_SECRET" => Some(CLIENT_SECRET.to_owned()),
        _ => None,
    })
    .unwrap();
    let summary = CatalogCopy::new(copy_config)
        .unwrap()
        .run(&app)
        .await
        .unwrap();
    assert!(summary.counts.programs >= 2, "{summary:?}");
    for program in catalog.programs() {
        admin_command(
            &endpoint,
            &sdk,
            table,
            &["program-certificate", "set", "--program", program],
        )
        .await;
    }

    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(gateway::serve(
        listener,
        Gateway::new(
            RouteTable::builtin().unwrap(),
            Backend::InProcess(app.clone()),
        ),
        async {
            let _ = stopped.await;
        },
    ));
    let mut budgets = Budgets::default();
    app.counter.reset();

    // The LMS posts grades (form-encoded), certificate dates and credentials (JSON) with its
    // service user's staff token.
    let lms_token = token(&TokenClaims::staff(LMS_SERVICE_USER));
    let failures = demo::post_all(catalog, &client(), &base, &lms_token, |_, _| {}).await;
    assert!(failures.is_empty(), "{failures:#?}");
    budgets.record(&app, "LMS posts (all demo requests)");

    let ana = LEARNERS[0];
    let ana_jwt = token(&TokenClaims::learner(ana.username).named(ana.name));
    let browser = Browser::new(&base, &ana_jwt);
    let program = Uuid::parse(catalog.completed_program).unwrap().hex();

    // The learner lists programs.
    let (status, list) = browser.get_json("/records/api/v1/program_records/").await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let listed = list["enrolled_programs"].as_array().unwrap();
    let entry = listed.iter().find(|p| p["uuid"] == program.as_str());
    assert_eq!(entry.unwrap()["completed"], true, "{list}");
    // The first request also stores the learner's name and email from the token.
    budgets.record(&app, "learner lists programs (first request)");
    let (status, again) = browser.get_json("/records/api/v1/program_records/").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again, list);
    let list_cost = budgets.record(&app, "learner lists programs again");
    assert!(total(&list_cost) <= 2, "{list_cost:?}");

    // The learner opens the record; its values are those the LMS posted.
    let record_path = format!("/records/api/v1/program_records/{program}/?is_public=false");
    let (status, first_view) = browser.get_json(&record_path).await;
    assert_eq!(status, StatusCode::OK, "{first_view}");
    budgets.record(&app, "learner opens a record");
    let (status, record) = browser.get_json(&record_path).await;
    assert_eq!(status, StatusCode::OK, "{record}");
    let record_cost = budgets.record(&app, "learner opens the record again");
    assert!(total(&record_cost) <= 2, "{record_cost:?}");
    assert_eq!(record["record"]["grades"], first_view["record"]["grades"]);
    assert_eq!(record["record"]["program"]["completed"], true);
    assert_eq!(record["record"]["learner"]["username"], ana.username);
    assert_eq!(record["record"]["learner"]["full_name"], ana.name);
    let posted = posted_grades(catalog, ana.username);
    let grades = record["record"]["grades"].as_array().unwrap();
    assert_eq!(grades.len(), catalog.completed_runs.len());
    for (run, (letter, percent)) in &posted {
        let row = grades.iter().find(|row| row["course_id"] == run.as_str());
        let row = row.unwrap_or_else(|| panic!("no grade row for {run}: {record}"));
        assert_eq!(row["letter_grade"], letter.as_str(), "{run}");
        assert_eq!(
            row["percent_grade"].as_f64().unwrap(),
            percent.parse::<f64>().unwrap(),
            "{run}"
        );
        assert!(row["issue_date"].is_string(), "{run}: {row}");
    }

    // The learner gets a CSRF token and creates a link: 201, then 200 with the same URL.
    let (status, csrf) = browser.get_json("/csrf/api/v1/token").await;
    assert_eq!(status, StatusCode::OK);
    let csrf = csrf["csrfToken"].as_str().unwrap().to_owned();
    budgets.record(&app, "learner gets a CSRF token");
    let share_path = format!("/records/programs/{program}/share");
    let share = || async {
        browser
            .request(Method::POST, &share_path)
            .header("x-csrftoken", &csrf)
            .json(&json!({"username": ana.username}))
            .send()
            .await
            .unwrap()
    };
    let created = share().await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let url = created.json::<Value>().await.unwrap()["url"]
        .as_str()
        .unwrap()
        .to_owned();
    budgets.record(&app, "learner creates a link (201)");
    let again = share().await;
    assert_eq!(again.status(), StatusCode::OK);
    assert_eq!(again.json::<Value>().await.unwrap()["url"], url.as_str());
    budgets.record(&app, "learner shares again (200)");
    let link = link_of(&base, &url);

    // An anonymous client opens the public record, the page and the CSV.
    let public = public_record_of(&base, &link).await;
    let public_cost = budgets.record(&app, "anonymous opens the public record");
    // One GetItem resolves the link, one checks the cache versions, one Query loads the learner.
    assert_eq!(
        public_cost,
        BTreeMap::from([("GetItem".to_owned(), 2), ("Query".to_owned(), 1)])
    );
    assert_eq!(public["is_public"], true);
    assert_eq!(public["record"]["grades"], record["record"]["grades"]);
    assert_eq!(public["record"]["program"], record["record"]["program"]);

    let page = anonymous_get(&base, &format!("/records/programs/shared/{link}/")).await;
    assert_eq!(page.status(), StatusCode::OK);
    let page_type = page.headers()[header::CONTENT_TYPE].to_str().unwrap();
    assert!(page_type.starts_with("text/html"), "{page_type}");
    let html = page.text().await.unwrap();
    let program_name = record["record"]["program"]["name"].as_str().unwrap();
    assert!(html.contains(program_name), "the page lacks {program_name}");
    budgets.record(&app, "anonymous opens the page");

    let csv_response = anonymous_get(&base, &format!("/records/programs/shared/{link}/csv")).await;
    let bytes = csv_bytes(csv_response).await;
    budgets.record(&app, "anonymous downloads the CSV");
    let rows = parse_csv(&bytes);
    assert_eq!(rows[0], ["Program Name", program_name]);
    assert_eq!(rows[5], ["Username", ana.username]);
    let header_row = rows.iter().position(|row| row[0] == "name").unwrap();
    assert_eq!(
        rows[header_row],
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
    let csv_grades = &rows[header_row + 1..];
    assert_eq!(csv_grades.len(), posted.len());
    for (run, (letter, percent)) in &posted {
        let row = csv_grades
            .iter()
            .find(|row| row[3] == run.as_str())
            .unwrap();
        assert_eq!(row[6], letter.as_str(), "{run}");
        assert_eq!(
            row[5].parse::<f64>().unwrap(),
            percent.parse::<f64>().unwrap(),
            "{run}"
        );
    }

    // The learner sends the record to a credit pathway of the program.
    let pathway = record["record"]["pathways"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["pathway_type"] == "credit" && p["is_active"] == true)
        .unwrap_or_else(|| panic!("the record offers no active credit pathway: {record}"))
        .clone();
    let sent = browser
        .request(Method::POST, &format!("/records/programs/{program}/send"))
        .header("x-csrftoken", &csrf)
        .json(&json!({"username": ana.username, "pathway_id": pathway["id"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        sent.status(),
        StatusCode::OK,
        "{}",
        sent.text().await.unwrap()
    );
    budgets.record(&app, "learner sends to a credit pathway");

    // The email, read back from moto: both its links open the same public record.
    let emails = sent_emails(&endpoint).await;
    let email = emails
        .iter()
        .find(|email| {
            email["body"]
                .as_str()
                .is_some_and(|body| body.contains(&link))
        })
        .unwrap_or_else(|| panic!("no captured email links to {link}"));
    let links = hrefs(email["body"].as_str().unwrap());
    assert_eq!(links.len(), 2, "{links:?}");
    assert_eq!(links[0], url);
    assert_eq!(links[1], format!("{url}csv"));
    let from_email = public_record_of(&base, &link_of(&base, &links[0])).await;
    assert_eq!(from_email["uuid"], public["uuid"]);
    let page_from_email = client().get(&links[0]).send().await.unwrap();
    assert_eq!(page_from_email.status(), StatusCode::OK);
    let csv_from_email = csv_bytes(client().get(&links[1]).send().await.unwrap()).await;
    assert_eq!(parse_csv(&csv_from_email), rows);
    app.counter.reset();

    // The events, read back through a rule that targets an SQS queue.
    let kinds = capture.detail_types().await;
    for kind in [
        events::CREDENTIAL_AWARDED,
        events::PROGRAM_CREDENTIAL_AWARDED,
        events::RECORD_SHARED,
        events::RECORD_SENT,
    ] {
        assert!(kinds.contains_key(kind), "no {kind} event in {kinds:?}");
    }

    // The learner revokes the link; page, CSV and JSON answer 404.
    let revoked = browser
        .request(Method::DELETE, &share_path)
        .header("x-csrftoken", &csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    budgets.record(&app, "learner revokes the link");
    for (step, path) in [
        (
            "anonymous opens the revoked page",
            format!("/records/programs/shared/{link}/"),
        ),
        (
            "anonymous opens the revoked CSV",
            format!("/records/programs/shared/{link}/csv"),
        ),
        (
            "anonymous opens the revoked record JSON",
            format!("/records/api/v1/program_records/{link}/?is_public=true"),
        ),
    ] {
        let response = anonymous_get(&base, &path).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        // One GetItem finds no live link; at most one more checks the cache versions, which
        // runs alongside it. The learner's data is never read.
        let cost = budgets.record(&app, step);
        assert!(
            cost.get("GetItem").copied().unwrap_or(0) <= 2,
            "{step}: {cost:?}"
        );
        assert_eq!(cost.keys().collect::<Vec<_>>(), ["GetItem"], "{step}");
    }
    let revoked_kinds = capture.detail_types().await;
    assert!(
        revoked_kinds.contains_key(events::RECORD_REVOKED),
        "{revoked_kinds:?}"
    );

    // The operator turns the records switch off; the learner's routes answer 404.
    admin_command(
        &endpoint,
        &sdk,
        table,
        &["site", "set", "--records-enabled", "false"],
    )
    .await;
    app.counter.reset();
    let (status, _) = browser.get_json("/records/api/v1/program_records/").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = browser.get_json(&record_path).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    budgets.record(&app, "learner list and record, records off");

    budgets.print();
    let _ = stop.send(());
    server.await.unwrap().unwrap();
}
