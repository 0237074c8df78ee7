#![allow(clippy::unwrap_used)]
//! The admin CLI against moto: each test runs commands as an operator would, on a fresh table,
//! and reads the result back through the library.

use clap::Parser;
use devstack::admin::{self, AdminError, Cli, Environment};
use devstack::discovery::{CLIENT_ID, CLIENT_SECRET, DiscoveryData, DiscoveryStandIn};
use learner_records::auth::TokenSource;
use learner_records::domain::{Username, Uuid};
use learner_records::testkit::{JWT_AUDIENCE, JWT_ISSUER, JWT_SECRET, TestStack, random_suffix};
use serde_json::Value;

const PROGRAM: &str = "927093e346ba4f44a8610f8c7aec4f74";

fn issuers() -> String {
    serde_json::json!([{"issuer": JWT_ISSUER, "audience": JWT_AUDIENCE}]).to_string()
}

/// The environment `make dev` writes, for the stack's resources.
fn local_env_with(stack: &TestStack, extra: &[(&str, &str)]) -> Environment {
    let issuers = issuers();
    let mut pairs = vec![
        ("AWS_ENDPOINT_URL", stack.endpoint.as_str()),
        ("DEV_JWT_SECRET", JWT_SECRET),
        ("JWT_ISSUERS", issuers.as_str()),
        ("PUBLIC_BASE_URL", "http://127.0.0.1:3000"),
        ("CSRF_SECRET_KEY", "admin-test-csrf-secret"),
        ("EVENT_BUS_NAME", stack.resources.bus.as_str()),
    ];
    pairs.extend_from_slice(extra);
    Environment::from_pairs(pairs)
}

fn local_env(stack: &TestStack) -> Environment {
    local_env_with(stack, &[])
}

/// Runs the CLI with `--table` set to the stack's table and returns what it printed.
async fn run_with(
    stack: &TestStack,
    env: &Environment,
    args: &[&str],
) -> Result<String, AdminError> {
    let mut argv = vec!["learner-records-admin", "--table", &stack.resources.table];
    argv.extend_from_slice(args);
    let cli = Cli::try_parse_from(argv).unwrap();
    let mut out = Vec::new();
    admin::run(cli, env, &stack.sdk, &mut out).await?;
    Ok(String::from_utf8(out).unwrap())
}

async fn run_json(stack: &TestStack, args: &[&str]) -> Value {
    let printed = run_with(stack, &local_env(stack), args).await.unwrap();
    serde_json::from_str(&printed).unwrap()
}

#[tokio::test]
async fn site_set_stores_the_given_fields() {
    let stack = TestStack::start().await;
    run_json(
        &stack,
        &[
            "site",
            "set",
            "--platform-name",
            "Learner Records Demo",
            "--records-enabled",
            "false",
            "--partner-from-address",
            "records@learner-records.example.test",
            "--mfe-url",
            "http://localhost:1990/",
            "--show-email-publicly",
            "true",
            "--link-expiry-days",
            "30",
        ],
    )
    .await;

    let settings = stack.app.store.load_settings(0).await.unwrap();
    let site = settings.configuration;
    assert_eq!(site.platform_name, "Learner Records Demo");
    assert!(!site.records_enabled);
    assert_eq!(
        site.partner_from_address,
        "records@learner-records.example.test"
    );
    assert_eq!(site.learner_record_mfe_url, "http://localhost:1990");
    assert!(site.show_email_publicly);
    assert_eq!(site.public_link_expiry_days, Some(30));
}

#[tokio::test]
async fn site_set_keeps_fields_it_does_not_name() {
    let stack = TestStack::start().await;
    run_json(&stack, &["site", "set", "--platform-name", "Demo"]).await;
    run_json(&stack, &["site", "set", "--records-enabled", "false"]).await;

    let site = stack
        .app
        .store
        .load_settings(0)
        .await
        .unwrap()
        .configuration;
    assert_eq!(site.platform_name, "Demo");
    assert!(!site.records_enabled);
}

#[tokio::test]
async fn site_set_bumps_the_settings_version() {
    let stack = TestStack::start().await;
    let first = run_json(&stack, &["site", "set", "--platform-name", "One"]).await;
    let second = run_json(&stack, &["site", "set", "--platform-name", "Two"]).await;

    assert_eq!(first["settings_version"], 1);
    assert_eq!(second["settings_version"], 2);
    assert_eq!(stack.app.store.versions().await.unwrap().settings, 2);
}

#[tokio::test]
async fn site_change_reaches_a_warm_cache() {
    let stack = TestStack::start().await;
    let before = stack.app.snapshot().await.unwrap();
    assert_eq!(before.settings.configuration.platform_name, "");

    run_json(&stack, &["site", "set", "--platform-name", "Demo"]).await;

    let after = stack.app.snapshot().await.unwrap();
    assert_eq!(after.settings.configuration.platform_name, "Demo");
}

#[tokio::test]
async fn site_set_prints_the_stored_configuration() {
    let stack = TestStack::start().await;
    let printed = run_json(&stack, &["site", "set", "--link-expiry-days", "none"]).await;
    assert_eq!(
        printed["site_configuration"]["public_link_expiry_days"],
        Value::Null
    );
    assert_eq!(printed["site_configuration"]["records_enabled"], true);
}

#[tokio::test]
async fn site_set_without_fields_is_a_usage_error() {
    let stack = TestStack::start().await;
    let error = run_with(&stack, &local_env(&stack), &["site", "set"])
        .await
        .unwrap_err();
    assert_eq!(error.exit_code(), 2);
}

#[tokio::test]
async fn site_show_prints_defaults_before_any_set() {
    let stack = TestStack::start().await;
    let printed = run_json(&stack, &["site", "show"]).await;
    assert_eq!(printed["settings_version"], 0);
    assert_eq!(printed["site_configuration"]["records_enabled"], true);
}

#[tokio::test]
async fn program_certificate_set_is_loaded_with_the_settings() {
    let stack = TestStack::start().await;
    run_json(
        &stack,
        &[
            "program-certificate",
            "set",
            "--program",
            PROGRAM,
            "--language",
            "en",
        ],
    )
    .await;

    let settings = stack.app.store.load_settings(0).await.unwrap();
    let certificate = settings
        .program_certificate(&Uuid::parse(PROGRAM).unwrap())
        .unwrap();
    assert!(certificate.is_active);
    assert_eq!(certificate.language.as_deref(), Some("en"));
}

#[tokio::test]
async fn inactive_program_certificate_is_stored_inactive() {
    let stack = TestStack::start().await;
    run_json(
        &stack,
        &[
            "program-certificate",
            "set",
            "--program",
            PROGRAM,
            "--inactive",
        ],
    )
    .await;

    let settings = stack.app.store.load_settings(0).await.unwrap();
    let certificate = settings
        .program_certificate(&Uuid::parse(PROGRAM).unwrap())
        .unwrap();
    assert!(!certificate.is_active);
}

#[tokio::test]
async fn token_is_accepted_by_the_functions() {
    let stack = TestStack::start().await;
    let printed = run_with(
        &stack,
        &local_env(&stack),
        &[
            "token",
            "--username",
            "ana_completed",
            "--staff",
            "--name",
            "Ana Okafor",
        ],
    )
    .await
    .unwrap();

    let identity = stack
        .app
        .auth
        .verify(printed.trim(), TokenSource::Header)
        .unwrap();
    assert_eq!(identity.username.as_str(), "ana_completed");
    assert!(identity.is_staff);
    assert_eq!(identity.full_name, "Ana Okafor");
}

#[tokio::test]
async fn token_without_dev_secret_is_refused() {
    let stack = TestStack::start().await;
    let issuers = issuers();
    let env = Environment::from_pairs([
        ("AWS_ENDPOINT_URL", stack.endpoint.as_str()),
        ("JWT_ISSUERS", issuers.as_str()),
    ]);
    let error = run_with(&stack, &env, &["token", "--username", "ana"])
        .await
        .unwrap_err();
    assert_eq!(error.exit_code(), 2);
    assert!(error.to_string().contains("DEV_JWT_SECRET"), "{error}");
}

#[tokio::test]
async fn link_revoke_removes_the_link() {
    let stack = TestStack::start().await;
    let store = &stack.app.store;
    let username = Username::parse("ana_completed").unwrap();
    let program = Uuid::parse(PROGRAM).unwrap();
    let created = store
        .get_or_create_link(&username, &program, None, None, chrono::Utc::now())
        .await
        .unwrap();

    let printed = run_json(
        &stack,
        &[
            "link",
            "revoke",
            "--username",
            "ana_completed",
            "--program",
            PROGRAM,
        ],
    )
    .await;

    assert_eq!(printed["link"], created.link().uuid.hex());
    let resolved = store
        .resolve_link(&created.link().uuid, chrono::Utc::now())
        .await
        .unwrap();
    assert!(resolved.is_none());
}

#[tokio::test]
async fn link_revoke_without_a_link_fails() {
    let stack = TestStack::start().await;
    let error = run_with(
        &stack,
        &local_env(&stack),
        &[
            "link",
            "revoke",
            "--username",
            "nobody",
            "--program",
            PROGRAM,
        ],
    )
    .await
    .unwrap_err();
    assert_eq!(error.exit_code(), 1);
    assert!(error.to_string().contains("nobody"), "{error}");
}

#[tokio::test]
async fn counts_report_learners_and_their_links() {
    let stack = TestStack::start().await;
    let program = Uuid::parse(PROGRAM).unwrap();
    for name in ["ana_completed", "ben_partway"] {
        let username = Username::parse(name).unwrap();
        stack
            .app
            .store
            .get_or_create_link(&username, &program, None, None, chrono::Utc::now())
            .await
            .unwrap();
    }

    let printed = run_json(&stack, &["counts"]).await;

    assert_eq!(printed["learners"]["learners"], 2);
    assert_eq!(printed["learners"]["public_links"], 2);
    assert_eq!(printed["catalog"]["programs"], 0);
}

#[tokio::test]
async fn catalog_copy_copies_the_stand_in_catalog() {
    let stack = TestStack::start().await;
    let discovery = DiscoveryStandIn::start(DiscoveryData::demo())
        .await
        .unwrap();
    let api_url = discovery.catalog_api_url();
    let token_url = discovery.token_url();
    let env = local_env_with(
        &stack,
        &[
            ("CATALOG_API_URL", api_url.as_str()),
            ("DISCOVERY_TOKEN_URL", token_url.as_str()),
            ("DISCOVERY_CLIENT_ID", CLIENT_ID),
            ("DISCOVERY_CLIENT_SECRET", CLIENT_SECRET),
        ],
    );

    let printed = run_with(&stack, &env, &["catalog", "copy"]).await.unwrap();
    let summary: Value = serde_json::from_str(&printed).unwrap();

    assert_eq!(summary["version"], 1, "{summary}");
    let catalog = stack.app.snapshot().await.unwrap().catalog;
    let program = Uuid::parse("f1a4888c-59a3-489e-9307-3e38f3d01c9f").unwrap();
    assert!(catalog.program(&program).is_some());
}

#[tokio::test]
async fn catalog_copy_without_discovery_settings_names_the_variable() {
    let stack = TestStack::start().await;
    let error = run_with(&stack, &local_env(&stack), &["catalog", "copy"])
        .await
        .unwrap_err();
    assert_eq!(error.exit_code(), 2);
    assert!(error.to_string().contains("CATALOG_API_URL"), "{error}");
}

#[tokio::test]
async fn link_revoke_without_app_settings_names_the_variable() {
    let stack = TestStack::start().await;
    let issuers = issuers();
    let env = Environment::from_pairs([
        ("AWS_ENDPOINT_URL", stack.endpoint.as_str()),
        ("JWT_ISSUERS", issuers.as_str()),
    ]);
    let error = run_with(
        &stack,
        &env,
        &["link", "revoke", "--username", "ana", "--program", PROGRAM],
    )
    .await
    .unwrap_err();
    assert_eq!(error.exit_code(), 2);
    assert!(error.to_string().contains("PUBLIC_BASE_URL"), "{error}");
}

#[tokio::test]
async fn bootstrap_creates_the_resources() {
    let stack = TestStack::start().await;
    let suffix = random_suffix();
    let table = format!("admin-bootstrap-{suffix}");
    let bucket = format!("admin-bootstrap-{suffix}");
    let argv = [
        "learner-records-admin",
        "--table",
        &table,
        "bootstrap",
        "--bucket",
        &bucket,
        "--bus",
        &table,
        "--from-address",
        "records@learner-records.example.test",
    ];
    let cli = Cli::try_parse_from(argv).unwrap();
    let mut out = Vec::new();
    admin::run(cli, &local_env(&stack), &stack.sdk, &mut out)
        .await
        .unwrap();

    let store = learner_records::store::Store::new(
        aws_sdk_dynamodb::Client::new(&stack.sdk),
        table.clone(),
    );
    assert!(!store.create_table_if_missing().await.unwrap());
}

#[tokio::test]
async fn bootstrap_against_a_remote_endpoint_is_refused() {
    let stack = TestStack::start().await;
    let env = Environment::from_pairs([(
        "AWS_ENDPOINT_URL",
        "https://dynamodb.us-east-1.amazonaws.com",
    )]);
    let error = run_with(&stack, &env, &["bootstrap", "--bucket", "b", "--bus", "e"])
        .await
        .unwrap_err();
    assert_eq!(error.exit_code(), 2);
    assert!(error.to_string().contains("127.0.0.1"), "{error}");
}
