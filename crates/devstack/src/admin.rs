//! The operator CLI, `learner-records-admin`: argument parsing and one function per
//! subcommand. It works on the table named by `--table` or `TABLE_NAME` through the normal AWS
//! configuration chain, so `AWS_ENDPOINT_URL` points it at the local moto server.
//!
//! Exit codes: 0 success, 1 failure, 2 usage error or a command that is refused (a local-only
//! command against a remote endpoint, a missing signing secret or setting).

pub mod counts;
pub mod settings;

use std::collections::HashMap;
use std::io::Write;

use aws_config::SdkConfig;
use clap::{Args, Parser, Subcommand};
use learner_records::App;
use learner_records::api::public_record::revoke_public_link;
use learner_records::bootstrap::{self, Resources};
use learner_records::catalog_copy::{CatalogCopy, CatalogCopyConfig};
use learner_records::config::Config;
use learner_records::domain::{Username, Uuid};
use learner_records::store::Store;
use serde_json::json;

use crate::dev_token::{self, SigningConfig, TokenSubject};

/// The environment variables the CLI reads, captured once so tests can pass their own.
#[derive(Debug, Clone, Default)]
pub struct Environment {
    vars: HashMap<String, String>,
}

impl Environment {
    pub fn from_process() -> Self {
        Self {
            vars: std::env::vars().collect(),
        }
    }

    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        Self {
            vars: pairs
                .into_iter()
                .map(|(name, value)| (name.to_owned(), value.to_owned()))
                .collect(),
        }
    }

    /// Returns a variable's value, treating a blank value as unset.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars
            .get(name)
            .map(|value| value.trim())
            .filter(|value| !value.is_empty())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Refused(String),
    #[error("{0}")]
    Failed(String),
}

impl AdminError {
    /// Returns the process exit code for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Failed(_) => 1,
            Self::Usage(_) | Self::Refused(_) => 2,
        }
    }
}

impl From<learner_records::store::StoreError> for AdminError {
    fn from(error: learner_records::store::StoreError) -> Self {
        Self::Failed(learner_records::http::error::cause_chain(&error))
    }
}

/// Operator commands for learner-records.
#[derive(Debug, Parser)]
#[command(name = "learner-records-admin", version)]
pub struct Cli {
    /// DynamoDB table to work on [default: $TABLE_NAME]
    #[arg(long, global = true, value_name = "NAME")]
    pub table: Option<String>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create the table, export bucket, event bus and SES sender identity on the local stack.
    /// Only runs when AWS_ENDPOINT_URL is a server on 127.0.0.1.
    Bootstrap(BootstrapArgs),
    /// Print a development JWT (HS256, signed with DEV_JWT_SECRET) for a username. Only runs
    /// when AWS_ENDPOINT_URL is a server on 127.0.0.1.
    Token(TokenArgs),
    /// Show or change the site configuration
    Site {
        #[command(subcommand)]
        command: SiteCommand,
    },
    /// Configure program certificates, which must exist and be active before the LMS can award
    /// a program credential
    ProgramCertificate {
        #[command(subcommand)]
        command: ProgramCertificateCommand,
    },
    /// Manage learners' public record links
    Link {
        #[command(subcommand)]
        command: LinkCommand,
    },
    /// Catalog operations
    Catalog {
        #[command(subcommand)]
        command: CatalogCommand,
    },
    /// Print catalog counts, and learner counts from a full table Scan. The Scan reads every
    /// item, so it costs read capacity in proportion to the table size: fine for an operator
    /// now and then, never for a request path.
    Counts,
}

#[derive(Debug, Args)]
pub struct BootstrapArgs {
    /// S3 bucket for CSV exports [default: $EXPORT_BUCKET]
    #[arg(long, value_name = "NAME")]
    pub bucket: Option<String>,
    /// EventBridge bus for domain events [default: $EVENT_BUS_NAME]
    #[arg(long, value_name = "NAME")]
    pub bus: Option<String>,
    /// SES sender address or domain to create [default: $PARTNER_FROM_ADDRESS]
    #[arg(long, value_name = "ADDRESS")]
    pub from_address: Option<String>,
    /// Comma-separated origins allowed to fetch exports [default: $CORS_ALLOWED_ORIGINS]
    #[arg(long, value_name = "ORIGINS")]
    pub cors_origins: Option<String>,
}

#[derive(Debug, Args)]
pub struct TokenArgs {
    /// Username for the preferred_username claim
    #[arg(long, value_name = "USERNAME", value_parser = parse_username)]
    pub username: String,
    /// Set the administrator claim, as the LMS does for staff and its service user
    #[arg(long)]
    pub staff: bool,
    /// Full name for the name claim
    #[arg(long, value_name = "NAME", default_value = "")]
    pub name: String,
    /// Email for the email claim [default: <username>@example.test]
    #[arg(long, value_name = "EMAIL", default_value = "")]
    pub email: String,
    /// LMS user id for the user_id claim
    #[arg(long, value_name = "ID")]
    pub user_id: Option<u64>,
    /// Seconds until the token expires
    #[arg(long, value_name = "SECONDS", default_value_t = 3600, value_parser = parse_lifetime)]
    pub lifetime: u64,
}

#[derive(Debug, Subcommand)]
pub enum SiteCommand {
    /// Print the stored site configuration and the settings version as JSON
    Show,
    /// Change fields of the site configuration, bump the settings version (warm functions reload
    /// on their next request) and print the result as JSON. Fields not given keep their value.
    Set(SiteSetArgs),
}

/// A number of days, or none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkExpiry(pub Option<u32>);

#[derive(Debug, Args, Default, PartialEq, Eq)]
pub struct SiteSetArgs {
    /// Platform name shown on records, in the CSV and in partner emails
    #[arg(long, value_name = "NAME")]
    pub platform_name: Option<String>,
    /// Whether learners may use records; when false, logged-in record routes return 404
    #[arg(long, value_name = "true|false", value_parser = parse_bool)]
    pub records_enabled: Option<bool>,
    /// From address of partner emails; "" means no-reply@<site domain>
    #[arg(long, value_name = "ADDRESS", value_parser = parse_email_or_empty)]
    pub partner_from_address: Option<String>,
    /// Base URL of the Learner Record MFE; "" makes the service serve its own record pages
    #[arg(long, value_name = "URL", value_parser = parse_url_or_empty)]
    pub mfe_url: Option<String>,
    /// Help link shown with records; "" for none
    #[arg(long, value_name = "URL", value_parser = parse_url_or_empty)]
    pub help_url: Option<String>,
    /// Whether anonymous viewers of a public record see the learner's email
    #[arg(long, value_name = "true|false", value_parser = parse_bool)]
    pub show_email_publicly: Option<bool>,
    /// Days a new public link stays open, or "none" to keep links open until revoked
    #[arg(long, value_name = "DAYS|none", value_parser = parse_link_expiry)]
    pub link_expiry_days: Option<LinkExpiry>,
}

impl SiteSetArgs {
    fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

#[derive(Debug, Subcommand)]
pub enum ProgramCertificateCommand {
    /// Create or replace a program's certificate configuration and bump the settings version
    Set(ProgramCertificateArgs),
}

#[derive(Debug, Args)]
pub struct ProgramCertificateArgs {
    /// Catalog UUID of the program, dashed or as 32 hex digits
    #[arg(long, value_name = "UUID", value_parser = parse_uuid)]
    pub program: Uuid,
    /// Store the configuration as inactive, so the LMS cannot award it
    #[arg(long)]
    pub inactive: bool,
    /// Language of the certificate, such as "en"
    #[arg(long, value_name = "LANGUAGE")]
    pub language: Option<String>,
    /// Title printed on the certificate instead of the program title
    #[arg(long, value_name = "TITLE")]
    pub title: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum LinkCommand {
    /// Revoke a learner's public link to a program record; the link's URLs then return 404
    Revoke(LinkRevokeArgs),
}

#[derive(Debug, Args)]
pub struct LinkRevokeArgs {
    /// The learner's username
    #[arg(long, value_name = "USERNAME", value_parser = parse_username)]
    pub username: String,
    /// Program UUID, as 32 hex digits (the form in records URLs) or dashed
    #[arg(long, value_name = "HEX", value_parser = parse_uuid)]
    pub program: Uuid,
}

#[derive(Debug, Subcommand)]
pub enum CatalogCommand {
    /// Copy the catalog from course-discovery now
    Copy,
}

fn parse_bool(text: &str) -> Result<bool, String> {
    match text {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err("expected true or false".to_owned()),
    }
}

fn parse_username(text: &str) -> Result<String, String> {
    Username::parse(text)
        .map(|username| username.as_str().to_owned())
        .map_err(|error| error.to_string())
}

fn parse_uuid(text: &str) -> Result<Uuid, String> {
    Uuid::parse(text).map_err(|_| "expected a UUID, dashed or as 32 hex digits".to_owned())
}

fn parse_lifetime(text: &str) -> Result<u64, String> {
    match text.parse::<u64>() {
        Ok(seconds) if seconds > 0 => Ok(seconds),
        _ => Err("expected a positive whole number of seconds".to_owned()),
    }
}

fn parse_link_expiry(text: &str) -> Result<LinkExpiry, String> {
    if text == "none" {
        return Ok(LinkExpiry(None));
    }
    match text.parse::<u32>() {
        Ok(days) if days > 0 => Ok(LinkExpiry(Some(days))),
        _ => Err("expected a positive number of days or none".to_owned()),
    }
}

fn parse_email_or_empty(text: &str) -> Result<String, String> {
    let valid = text.is_empty()
        || text.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && !domain.is_empty()
                && !domain.contains('@')
                && !text.contains(char::is_whitespace)
        });
    if valid {
        Ok(text.to_owned())
    } else {
        Err("expected an email address such as records@example.com, or \"\"".to_owned())
    }
}

fn parse_url_or_empty(text: &str) -> Result<String, String> {
    if text.is_empty() {
        return Ok(String::new());
    }
    learner_records::config::normalise_base_url("URL", text)
        .map_err(|_| "expected an absolute http(s) URL, or \"\"".to_owned())
}

fn table_name(cli_table: Option<&str>, env: &Environment) -> Result<String, AdminError> {
    cli_table
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .or_else(|| env.get("TABLE_NAME"))
        .map(str::to_owned)
        .ok_or_else(|| {
            AdminError::Usage(format!(
                "no table given: pass --table or set TABLE_NAME{DEV_ENV_HINT}"
            ))
        })
}

fn store(cli_table: Option<&str>, env: &Environment, sdk: &SdkConfig) -> Result<Store, AdminError> {
    let table = table_name(cli_table, env)?;
    Ok(Store::new(aws_sdk_dynamodb::Client::new(sdk), table))
}

/// Appended to a missing-variable error: where the local stack's environment is.
const DEV_ENV_HINT: &str =
    "; for the local stack, load the environment make dev wrote with `. .dev/dev.env`";

/// Builds the functions' `App` from the environment, as a function does at start-up, with
/// `--table` taking the place of `TABLE_NAME` when given.
fn app(cli_table: Option<&str>, env: &Environment, sdk: &SdkConfig) -> Result<App, AdminError> {
    let table = table_name(cli_table, env)?;
    let config = Config::from_lookup(|name| match name {
        "TABLE_NAME" => Some(table.clone()),
        _ => env.get(name).map(str::to_owned),
    })
    .map_err(|e| AdminError::Usage(format!("{e}{DEV_ENV_HINT}")))?;
    App::new(config, sdk).map_err(|e| AdminError::Usage(format!("{e}{DEV_ENV_HINT}")))
}

fn print_json(out: &mut impl Write, value: &serde_json::Value) -> Result<(), AdminError> {
    let text = serde_json::to_string_pretty(value).unwrap_or_default();
    writeln!(out, "{text}").map_err(|e| AdminError::Failed(format!("writing output failed: {e}")))
}

/// Runs one command, printing its result to `out`.
pub async fn run(
    cli: Cli,
    env: &Environment,
    sdk: &SdkConfig,
    out: &mut impl Write,
) -> Result<(), AdminError> {
    let table = cli.table.as_deref();
    match cli.command {
        Command::Bootstrap(args) => {
            let summary = run_bootstrap(table, &args, env, sdk).await?;
            print_json(out, &summary)
        }
        Command::Token(args) => {
            let token = mint_token(&args, env, chrono::Utc::now().timestamp())?;
            writeln!(out, "{token}")
                .map_err(|e| AdminError::Failed(format!("writing output failed: {e}")))
        }
        Command::Site { command } => {
            let store = store(table, env, sdk)?;
            let result = match command {
                SiteCommand::Show => settings::show(&store).await?,
                SiteCommand::Set(args) => {
                    if args.is_empty() {
                        return Err(AdminError::Usage(
                            "site set needs at least one field to change; see site set --help"
                                .to_owned(),
                        ));
                    }
                    settings::set_site(&store, &args).await?
                }
            };
            print_json(out, &result)
        }
        Command::ProgramCertificate {
            command: ProgramCertificateCommand::Set(args),
        } => {
            let store = store(table, env, sdk)?;
            print_json(
                out,
                &settings::set_program_certificate(&store, &args).await?,
            )
        }
        Command::Link {
            command: LinkCommand::Revoke(args),
        } => {
            let app = app(table, env, sdk)?;
            print_json(out, &revoke_link(&app, &args).await?)
        }
        Command::Catalog {
            command: CatalogCommand::Copy,
        } => {
            let app = app(table, env, sdk)?;
            print_json(out, &copy_catalog(&app, env).await?)
        }
        Command::Counts => {
            let store = store(table, env, sdk)?;
            print_json(out, &counts::counts(&store).await?)
        }
    }
}

async fn run_bootstrap(
    table: Option<&str>,
    args: &BootstrapArgs,
    env: &Environment,
    sdk: &SdkConfig,
) -> Result<serde_json::Value, AdminError> {
    dev_token::require_local_endpoint(env.get("AWS_ENDPOINT_URL"))
        .map_err(|e| AdminError::Refused(e.to_string()))?;
    let required = |flag: Option<&String>, variable: &str, option: &str| {
        flag.map(String::as_str)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .or_else(|| env.get(variable))
            .map(str::to_owned)
            .ok_or_else(|| {
                AdminError::Usage(format!(
                    "no {option} given: pass --{option} or set {variable}"
                ))
            })
    };
    let resources = Resources {
        table: table_name(table, env)?,
        bucket: required(args.bucket.as_ref(), "EXPORT_BUCKET", "bucket")?,
        bus: required(args.bus.as_ref(), "EVENT_BUS_NAME", "bus")?,
        ses_identity: args
            .from_address
            .clone()
            .or_else(|| env.get("PARTNER_FROM_ADDRESS").map(str::to_owned))
            .unwrap_or_default(),
        cors_origins: args
            .cors_origins
            .clone()
            .or_else(|| env.get("CORS_ALLOWED_ORIGINS").map(str::to_owned))
            .unwrap_or_default()
            .split(',')
            .map(|origin| origin.trim().trim_end_matches('/').to_owned())
            .filter(|origin| !origin.is_empty())
            .collect(),
    };
    bootstrap::ensure(sdk, &resources)
        .await
        .map_err(|e| AdminError::Failed(learner_records::http::error::cause_chain(&e)))?;
    Ok(json!({
        "table": resources.table,
        "bucket": resources.bucket,
        "bus": resources.bus,
        "ses_identity": resources.ses_identity,
        "cors_origins": resources.cors_origins,
    }))
}

/// Mints a dev token from the arguments and `DEV_JWT_SECRET`, `JWT_ISSUERS` and
/// `AWS_ENDPOINT_URL` in `env`.
pub fn mint_token(args: &TokenArgs, env: &Environment, now: i64) -> Result<String, AdminError> {
    let config = SigningConfig::new(
        env.get("DEV_JWT_SECRET"),
        env.get("JWT_ISSUERS"),
        env.get("AWS_ENDPOINT_URL"),
    )
    .map_err(|e| AdminError::Refused(e.to_string()))?;
    let subject = TokenSubject {
        username: args.username.clone(),
        staff: args.staff,
        name: args.name.clone(),
        email: args.email.clone(),
        user_id: args.user_id,
        lifetime_seconds: args.lifetime,
    };
    dev_token::mint(&config, &subject, now).map_err(|e| AdminError::Failed(e.to_string()))
}

/// Revokes a learner's public link as the learner's own `DELETE …/share` does, so the
/// record-revoked event is published too.
async fn revoke_link(app: &App, args: &LinkRevokeArgs) -> Result<serde_json::Value, AdminError> {
    let username = Username::parse(&args.username).map_err(|e| AdminError::Usage(e.to_string()))?;
    let revoked = revoke_public_link(app, &username, &args.program)
        .await
        .map_err(|e| AdminError::Failed(format!("revoking the link failed: {e}")))?;
    match revoked {
        Some(link) => Ok(json!({
            "revoked": true,
            "username": username.as_str(),
            "program": args.program.hex(),
            "link": link.uuid.hex(),
        })),
        None => Err(AdminError::Failed(format!(
            "user {:?} has no public link for program {}",
            username.as_str(),
            args.program.hex()
        ))),
    }
}

/// Copies the catalog from course-discovery once, as the scheduled `copy-catalog` function
/// does, and returns the run summary.
async fn copy_catalog(app: &App, env: &Environment) -> Result<serde_json::Value, AdminError> {
    let config = CatalogCopyConfig::from_lookup(|name| env.get(name).map(str::to_owned))
        .map_err(|e| AdminError::Usage(format!("{e}{DEV_ENV_HINT}")))?;
    let copy = CatalogCopy::new(config)
        .map_err(|e| AdminError::Failed(learner_records::http::error::cause_chain(&e)))?;
    let summary = copy
        .run(app)
        .await
        .map_err(|e| AdminError::Failed(learner_records::http::error::cause_chain(&e)))?;
    serde_json::to_value(summary)
        .map_err(|e| AdminError::Failed(format!("printing the summary failed: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("learner-records-admin").chain(args.iter().copied()))
    }

    fn parse_error(args: &[&str]) -> String {
        parse(args).unwrap_err().to_string()
    }

    fn site_set(args: &[&str]) -> SiteSetArgs {
        let mut full = vec!["site", "set"];
        full.extend_from_slice(args);
        match parse(&full).unwrap().command {
            Command::Site {
                command: SiteCommand::Set(args),
            } => args,
            other => panic!("parsed as {other:?}"),
        }
    }

    #[test]
    fn site_set_parses_every_field() {
        let args = site_set(&[
            "--platform-name",
            "Learner Records Demo",
            "--records-enabled",
            "false",
            "--partner-from-address",
            "records@learner-records.example.test",
            "--mfe-url",
            "http://localhost:1990/",
            "--help-url",
            "https://help.example.test/records",
            "--show-email-publicly",
            "true",
            "--link-expiry-days",
            "30",
        ]);
        assert_eq!(
            args,
            SiteSetArgs {
                platform_name: Some("Learner Records Demo".to_owned()),
                records_enabled: Some(false),
                partner_from_address: Some("records@learner-records.example.test".to_owned()),
                mfe_url: Some("http://localhost:1990".to_owned()),
                help_url: Some("https://help.example.test/records".to_owned()),
                show_email_publicly: Some(true),
                link_expiry_days: Some(LinkExpiry(Some(30))),
            }
        );
    }

    #[test]
    fn link_expiry_accepts_none() {
        let args = site_set(&["--link-expiry-days", "none"]);
        assert_eq!(args.link_expiry_days, Some(LinkExpiry(None)));
    }

    #[test]
    fn empty_strings_clear_urls_and_address() {
        let args = site_set(&["--mfe-url", "", "--partner-from-address", ""]);
        assert_eq!(args.mfe_url.as_deref(), Some(""));
        assert_eq!(args.partner_from_address.as_deref(), Some(""));
    }

    #[test]
    fn bad_values_are_named_in_errors() {
        let cases: [(&[&str], &str); 7] = [
            (&["site", "set", "--records-enabled", "maybe"], "maybe"),
            (&["site", "set", "--show-email-publicly", "yes"], "yes"),
            (&["site", "set", "--link-expiry-days", "0"], "0"),
            (
                &["site", "set", "--mfe-url", "localhost:1990"],
                "localhost:1990",
            ),
            (
                &["site", "set", "--partner-from-address", "records"],
                "records",
            ),
            (
                &["link", "revoke", "--username", "ana", "--program", "xyz"],
                "xyz",
            ),
            (&["token", "--username", "ana", "--lifetime", "-5"], "-5"),
        ];
        for (args, bad) in cases {
            let message = parse_error(args);
            assert!(message.contains(bad), "{args:?}: {message}");
        }
    }

    #[test]
    fn usage_errors_exit_with_two() {
        let error = parse(&["site", "set", "--records-enabled", "maybe"]).unwrap_err();
        assert_eq!(error.exit_code(), 2);
    }

    #[test]
    fn token_needs_a_username() {
        assert!(parse_error(&["token"]).contains("--username"));
    }

    #[test]
    fn token_rejects_an_invalid_username() {
        assert!(parse(&["token", "--username", "a#b"]).is_err());
    }

    #[test]
    fn token_defaults_to_an_hour_as_a_learner() {
        match parse(&["token", "--username", "ana"]).unwrap().command {
            Command::Token(args) => {
                assert_eq!(args.lifetime, 3600);
                assert!(!args.staff);
            }
            other => panic!("parsed as {other:?}"),
        }
    }

    #[test]
    fn program_accepts_hex_and_dashed_uuids() {
        for program in [
            "927093e346ba4f44a8610f8c7aec4f74",
            "927093e3-46ba-4f44-a861-0f8c7aec4f74",
        ] {
            assert!(
                parse(&["program-certificate", "set", "--program", program]).is_ok(),
                "{program}"
            );
        }
    }

    #[test]
    fn table_comes_from_flag_then_environment() {
        let env = Environment::from_pairs([("TABLE_NAME", "from-env")]);
        assert_eq!(table_name(Some("from-flag"), &env).unwrap(), "from-flag");
        assert_eq!(table_name(None, &env).unwrap(), "from-env");
    }

    #[test]
    fn missing_table_is_a_usage_error() {
        let error = table_name(None, &Environment::default()).unwrap_err();
        assert_eq!(error.exit_code(), 2);
        assert!(error.to_string().contains("TABLE_NAME"));
    }

    #[test]
    fn token_without_secret_is_refused() {
        let env = Environment::from_pairs([
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:4566"),
            ("JWT_ISSUERS", r#"[{"issuer": "i", "audience": "a"}]"#),
        ]);
        let args = match parse(&["token", "--username", "ana"]).unwrap().command {
            Command::Token(args) => args,
            other => panic!("parsed as {other:?}"),
        };
        let error = mint_token(&args, &env, 0).unwrap_err();
        assert_eq!(error.exit_code(), 2);
        assert!(error.to_string().contains("DEV_JWT_SECRET"), "{error}");
    }

    #[test]
    fn token_against_remote_endpoint_is_refused() {
        let env = Environment::from_pairs([
            (
                "AWS_ENDPOINT_URL",
                "https://dynamodb.us-east-1.amazonaws.com",
            ),
            ("DEV_JWT_SECRET", "secret"),
            ("JWT_ISSUERS", r#"[{"issuer": "i", "audience": "a"}]"#),
        ]);
        let args = match parse(&["token", "--username", "ana"]).unwrap().command {
            Command::Token(args) => args,
            other => panic!("parsed as {other:?}"),
        };
        let error = mint_token(&args, &env, 0).unwrap_err();
        assert_eq!(error.exit_code(), 2);
        assert!(error.to_string().contains("127.0.0.1"), "{error}");
    }
}
