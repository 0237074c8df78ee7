//! `seed-demo`: posts the demo learners' data to the local gateway as the LMS would (`post`),
//! prints the demo programs (`programs`), and prints what to try next with a token for each
//! demo learner (`guide`).

use std::io::Write;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use devstack::demo::{self, DemoCatalog, LEARNERS, LMS_SERVICE_USER};
use devstack::dev_token::{self, SigningConfig, TokenSubject};
use devstack::discovery::DEFAULT_FIXTURES_DIR;
use learner_records::domain::Uuid;

/// Demo data for the local stack. Signs its tokens with DEV_JWT_SECRET for the first issuer of
/// JWT_ISSUERS, and runs only when AWS_ENDPOINT_URL and the gateway are on 127.0.0.1.
#[derive(Debug, Parser)]
#[command(name = "seed-demo", version)]
struct Cli {
    /// Base URL of the local gateway
    #[arg(
        long,
        global = true,
        value_name = "URL",
        default_value = "http://127.0.0.1:3000"
    )]
    base_url: String,
    /// The course-discovery samples the Discovery stand-in serves. The demo data uses their
    /// programs when the directory exists, else the demo catalog's, as the stand-in does.
    #[arg(
        long,
        global = true,
        value_name = "DIR",
        default_value = DEFAULT_FIXTURES_DIR
    )]
    fixtures_dir: std::path::PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Post the demo grades, certificate dates and credentials through the ingest routes with
    /// the LMS service user's staff token. Exits with 1 when any post does not get 201.
    Post,
    /// Print the UUIDs of the demo programs, one a line, whose certificates must be configured
    Programs,
    /// Print a token for each demo learner and curl commands to try
    Guide {
        /// Base URL of the moto server, for reading captured email
        #[arg(long, value_name = "URL", env = "MOTO_ENDPOINT")]
        moto_endpoint: String,
        /// File to write `export TOKEN_…=…` lines to, for `. FILE` in a shell
        #[arg(long, value_name = "PATH")]
        tokens_file: Option<std::path::PathBuf>,
        /// Seconds until the learner tokens expire
        #[arg(long, value_name = "SECONDS", default_value_t = 12 * 3600)]
        lifetime: u64,
    },
}

fn signing_config() -> Result<SigningConfig, String> {
    let var = |name: &str| std::env::var(name).ok();
    SigningConfig::new(
        var("DEV_JWT_SECRET").as_deref(),
        var("JWT_ISSUERS").as_deref(),
        var("AWS_ENDPOINT_URL").as_deref(),
    )
    .map_err(|e| e.to_string())
}

async fn post(catalog: &DemoCatalog, base_url: &str, config: &SigningConfig) -> Result<(), String> {
    let subject = TokenSubject {
        staff: true,
        ..TokenSubject::learner(LMS_SERVICE_USER)
    };
    let token = dev_token::mint(config, &subject, chrono::Utc::now().timestamp())
        .map_err(|e| e.to_string())?;
    let client = reqwest::Client::builder()
        .no_proxy()
        .build()
        .map_err(|e| format!("building the HTTP client failed: {e}"))?;

    println!("posting the demo data for {}", catalog.source);
    let total = demo::requests(catalog).len();
    let failures = demo::post_all(catalog, &client, base_url, &token, |request, outcome| {
        let outcome = match outcome {
            Ok(status) => status.to_string(),
            Err(error) => format!("failed: {error}"),
        };
        println!(
            "  POST {} {} -> {outcome}",
            request.path(),
            request.describe()
        );
    })
    .await;

    if failures.is_empty() {
        println!("posted {total} LMS requests");
        return Ok(());
    }
    for failure in &failures {
        let status = failure
            .status
            .map_or_else(|| "no response".to_owned(), |s| format!("HTTP {s}"));
        eprintln!(
            "  {}: {status} {}",
            failure.description,
            failure.body.trim()
        );
    }
    Err(format!(
        "{} of {total} LMS requests did not get 201 (an ingest route that is not implemented yet answers 404; a run missing from the catalog gives 400)",
        failures.len()
    ))
}

fn guide(
    catalog: &DemoCatalog,
    base_url: &str,
    moto_endpoint: &str,
    tokens_file: Option<&std::path::Path>,
    lifetime: u64,
    config: &SigningConfig,
) -> Result<(), String> {
    let now = chrono::Utc::now().timestamp();
    let mut exports = String::new();
    println!(
        "Demo learners (tokens valid for {} hours):",
        lifetime / 3600
    );
    for learner in LEARNERS {
        let subject = TokenSubject {
            name: learner.name.to_owned(),
            user_id: Some(learner.lms_user_id),
            lifetime_seconds: lifetime,
            ..TokenSubject::learner(learner.username)
        };
        let token = dev_token::mint(config, &subject, now).map_err(|e| e.to_string())?;
        println!("  {:<17} {}", learner.username, learner.story);
        println!("  export {}={token}", learner.token_variable);
        exports.push_str(&format!("export {}={token}\n", learner.token_variable));
    }
    if let Some(path) = tokens_file {
        std::fs::write(path, &exports)
            .map_err(|e| format!("writing {} failed: {e}", path.display()))?;
        println!(
            "  (the export lines are also in {}: run `. {0}`)",
            path.display()
        );
    }

    let program = Uuid::parse(catalog.completed_program)
        .map_err(|e| e.to_string())?
        .hex();
    let ana = LEARNERS[0].username;
    let base = base_url.trim_end_matches('/');
    let auth = "-H \"Authorization: JWT $TOKEN_ANA\"";
    let json = "-H 'Content-Type: application/json'";
    let mut out = std::io::stdout().lock();
    let lines = [
        String::new(),
        "Try, as Ana:".to_owned(),
        "  # the program list".to_owned(),
        format!("  curl -s {auth} {base}/records/api/v1/program_records/"),
        format!("  # the {} record", catalog.completed_program_title),
        format!(
            "  curl -s {auth} '{base}/records/api/v1/program_records/{program}/?is_public=false'"
        ),
        "  # a public link: 201 the first time, then 200 with the same URL".to_owned(),
        format!(
            "  curl -s -X POST {auth} {json} -d '{{\"username\": \"{ana}\"}}' {base}/records/programs/{program}/share"
        ),
        "  # as anyone, with LINK set to the hex id at the end of that URL:".to_owned(),
        format!("  curl -s '{base}/records/api/v1/program_records/'$LINK'/?is_public=true'"),
        format!("  curl -s {base}/records/programs/shared/$LINK/"),
        format!("  curl -sL {base}/records/programs/shared/$LINK/csv"),
        "  # send the record to a credit pathway, with an id from the record's \"pathways\""
            .to_owned(),
        format!(
            "  curl -s -X POST {auth} {json} -d '{{\"username\": \"{ana}\", \"pathway_id\": 1}}' {base}/records/programs/{program}/send"
        ),
        "  # the emails moto captured (its ses.Message list)".to_owned(),
        format!(
            "  curl -s {}/moto-api/data.json | python3 -c 'import json, sys; print(json.dumps(json.load(sys.stdin)[\"ses\"][\"Message\"], indent=2))'",
            moto_endpoint.trim_end_matches('/')
        ),
    ];
    for line in lines {
        writeln!(out, "{line}").map_err(|e| format!("writing output failed: {e}"))?;
    }
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let checked = dev_token::require_local_url("--base-url", Some(&cli.base_url))
        .map_err(|e| e.to_string())
        .and_then(|()| signing_config());
    let config = match checked {
        Ok(config) => config,
        Err(error) => {
            eprintln!("seed-demo: {error}");
            return ExitCode::from(2);
        }
    };
    let catalog = DemoCatalog::for_fixtures_dir(&cli.fixtures_dir);
    let result = match cli.command {
        Command::Post => post(catalog, &cli.base_url, &config).await,
        Command::Programs => {
            for program in catalog.programs() {
                println!("{program}");
            }
            Ok(())
        }
        Command::Guide {
            moto_endpoint,
            tokens_file,
            lifetime,
        } => guide(
            catalog,
            &cli.base_url,
            &moto_endpoint,
            tokens_file.as_deref(),
            lifetime,
            &config,
        ),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("seed-demo: {error}");
            ExitCode::FAILURE
        }
    }
}
