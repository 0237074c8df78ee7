//! Runs the course-discovery stand-in on 127.0.0.1 until interrupted.
//!
//! Usage: `discovery-stand-in [FIXTURES_DIR] [--port PORT]`. Without a directory it serves the
//! real samples in `../shared/fixtures/discovery` when that exists (relative to the current
//! directory), else the demo catalog. Port 0, the default, picks a free port.

use std::path::PathBuf;
use std::process::ExitCode;

use devstack::discovery::{
    CLIENT_ID, CLIENT_SECRET, DEFAULT_FIXTURES_DIR, DataSource, DiscoveryData, DiscoveryStandIn,
};

const USAGE: &str = "usage: discovery-stand-in [FIXTURES_DIR] [--port PORT]";

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let mut fixtures = PathBuf::from(DEFAULT_FIXTURES_DIR);
    let mut port: u16 = 0;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => match args.next().and_then(|p| p.parse().ok()) {
                Some(value) => port = value,
                None => {
                    eprintln!("--port needs a port number from 0 to 65535\n{USAGE}");
                    return ExitCode::from(2);
                }
            },
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            _ if arg.starts_with('-') => {
                eprintln!("unknown option {arg}\n{USAGE}");
                return ExitCode::from(2);
            }
            _ => fixtures = PathBuf::from(arg),
        }
    }

    let (data, source) = match DiscoveryData::load(&fixtures) {
        Ok(loaded) => loaded,
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::FAILURE;
        }
    };
    let stand_in = match DiscoveryStandIn::start_on(data, port).await {
        Ok(stand_in) => stand_in,
        Err(error) => {
            eprintln!("cannot listen on 127.0.0.1:{port}: {error}");
            return ExitCode::FAILURE;
        }
    };

    match source {
        DataSource::Fixtures(dir) => println!("serving the fixtures in {}", dir.display()),
        DataSource::Demo => println!(
            "serving the demo catalog ({} does not exist)",
            fixtures.display()
        ),
    }
    println!("CATALOG_API_URL={}", stand_in.catalog_api_url());
    println!("DISCOVERY_TOKEN_URL={}", stand_in.token_url());
    println!("DISCOVERY_CLIENT_ID={CLIENT_ID}");
    println!("DISCOVERY_CLIENT_SECRET={CLIENT_SECRET}");
    std::future::pending::<()>().await;
    ExitCode::SUCCESS
}
