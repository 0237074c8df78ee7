//! Benchmark of the catalog copy. It serves a synthetic catalog from the course-discovery
//! stand-in and copies it into a fresh table on moto four times. The runs are a first copy, an
//! unchanged rerun, a run after 1 % of the courses and programs changed, and an unchanged run
//! after that, which collects the versions the change superseded. For each run it prints the
//! items written, the requests by operation and the elapsed time.
//!
//! Usage: `MOTO_ENDPOINT=http://127.0.0.1:PORT bench-catalog-copy [--programs N]
//! [--courses-per-program N] [--runs-per-course N] [--page-size N] [FIXTURES_DIR]`.
//! The defaults give 2,000 programs, 10,000 courses and 20,000 runs. The items copy the shapes
//! of the real samples in FIXTURES_DIR (by default `../shared/fixtures/discovery`, relative to
//! the current directory), or of the demo catalog when that directory does not exist.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use devstack::discovery::{
    CLIENT_ID, CLIENT_SECRET, DEFAULT_FIXTURES_DIR, DataSource, DiscoveryData, DiscoveryStandIn,
};
use learner_records::catalog_copy::{CatalogCopy, CatalogCopyConfig, RetryPolicy};
use learner_records::config::Secret;
use learner_records::store::keys;
use learner_records::testkit::TestStack;

const USAGE: &str = "usage: MOTO_ENDPOINT=http://127.0.0.1:PORT bench-catalog-copy \
[--programs N] [--courses-per-program N] [--runs-per-course N] [--page-size N] [FIXTURES_DIR]";

struct Options {
    programs: usize,
    courses_per_program: usize,
    runs_per_course: usize,
    page_size: u32,
    fixtures: PathBuf,
}

fn parse_options() -> Result<Options, String> {
    let mut options = Options {
        programs: 2_000,
        courses_per_program: 5,
        runs_per_course: 2,
        page_size: 100,
        fixtures: PathBuf::from(DEFAULT_FIXTURES_DIR),
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut number = |name: &str| -> Result<usize, String> {
            args.next()
                .and_then(|value| value.parse().ok())
                .filter(|value| *value > 0)
                .ok_or_else(|| format!("{name} needs a positive whole number"))
        };
        match arg.as_str() {
            "--programs" => options.programs = number("--programs")?,
            "--courses-per-program" => {
                options.courses_per_program = number("--courses-per-program")?;
            }
            "--runs-per-course" => options.runs_per_course = number("--runs-per-course")?,
            "--page-size" => {
                options.page_size = u32::try_from(number("--page-size")?)
                    .map_err(|_| "--page-size is too large".to_owned())?;
            }
            _ if arg.starts_with('-') => return Err(format!("unknown option {arg}")),
            _ => options.fixtures = PathBuf::from(arg),
        }
    }
    Ok(options)
}

#[tokio::main]
async fn main() -> ExitCode {
    let options = match parse_options() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    if std::env::var("MOTO_ENDPOINT").map_or(true, |v| v.is_empty()) {
        eprintln!("MOTO_ENDPOINT is not set; start moto with infra/moto.sh start\n{USAGE}");
        return ExitCode::from(2);
    }

    let (template, source) = match DiscoveryData::load(&options.fixtures) {
        Ok(loaded) => loaded,
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::FAILURE;
        }
    };
    let data = DiscoveryData::synthetic(
        &template,
        options.programs,
        options.courses_per_program,
        options.runs_per_course,
    );
    let served_bytes: usize = [
        &data.organizations,
        &data.courses,
        &data.programs,
        &data.pathways,
    ]
    .iter()
    .flat_map(|items| items.iter())
    .map(|item| item.to_string().len())
    .sum();
    println!(
        "catalog: {} organizations, {} courses, {} course runs, {} programs, {} pathways \
         ({:.1} MB of JSON items, shapes from {}); page size {}",
        data.organizations.len(),
        data.courses.len(),
        options.programs * options.courses_per_program * options.runs_per_course,
        data.programs.len(),
        data.pathways.len(),
        served_bytes as f64 / 1e6,
        match &source {
            DataSource::Fixtures(dir) => dir.display().to_string(),
            DataSource::Demo => "the demo catalog".to_owned(),
        },
        options.page_size,
    );

    let discovery = match DiscoveryStandIn::start(data).await {
        Ok(discovery) => discovery,
        Err(error) => {
            eprintln!("cannot start the course-discovery stand-in: {error}");
            return ExitCode::FAILURE;
        }
    };
    let stack = TestStack::start().await;
    let config = CatalogCopyConfig {
        catalog_api_url: discovery.catalog_api_url(),
        token_url: discovery.token_url(),
        client_id: CLIENT_ID.to_owned(),
        client_secret: Secret::new(CLIENT_SECRET),
        page_size: Some(options.page_size),
        delete_missing: false,
        request_timeout: Duration::from_secs(120),
        retry: RetryPolicy::default(),
        lease_duration: Duration::from_secs(900),
    };
    let copy = match CatalogCopy::new(config) {
        Ok(copy) => copy,
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::FAILURE;
        }
    };

    // The copy logs one line per phase with its elapsed time; the table follows at the end.
    learner_records::telemetry::init();
    let mut rows = Vec::new();
    for run in [
        "first copy",
        "unchanged rerun",
        "1 % changed",
        "unchanged after the change",
    ] {
        if run == "1 % changed" {
            let mut changed = 0;
            discovery.update(|data| changed = data.retitle_every(100, " (revised)"));
            eprintln!("renamed {changed} courses and programs");
        }
        stack.app.counter.reset();
        let started = Instant::now();
        let summary = match copy.run(&stack.app).await {
            Ok(summary) => summary,
            Err(error) => {
                eprintln!("{run} failed: {error}");
                return ExitCode::FAILURE;
            }
        };
        let elapsed = started.elapsed().as_millis();
        let operations: Vec<String> = stack
            .app
            .counter
            .snapshot()
            .iter()
            .map(|(operation, count)| format!("{operation} {count}"))
            .collect();
        let stored_items = stack
            .app
            .store
            .query_partition(keys::CATALOG_PARTITION, None)
            .await
            .unwrap_or_default();
        let stored = stored_items.len();
        let stored_bytes: usize = stored_items
            .iter()
            .filter_map(|item| item.get("data").and_then(|data| data.as_s().ok()))
            .map(String::len)
            .sum();
        rows.push(format!(
            "| {run} | {elapsed} | {} | {} | {} | {} | {stored} ({:.1} MB of data) |",
            summary.written.total(),
            summary.versions_collected,
            summary.discovery_requests,
            operations.join(", "),
            stored_bytes as f64 / 1e6,
        ));
    }

    println!();
    println!(
        "| run | elapsed ms | items written | versions collected | Discovery requests | DynamoDB requests by operation | catalog items stored |"
    );
    println!("|---|---|---|---|---|---|---|");
    for row in rows {
        println!("{row}");
    }
    ExitCode::SUCCESS
}
