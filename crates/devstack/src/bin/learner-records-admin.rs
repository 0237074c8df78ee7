//! `learner-records-admin`: operator commands for learner-records (see `--help`).

use std::process::ExitCode;

use clap::Parser;
use devstack::admin::{self, Cli, Environment};

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let env = Environment::from_process();
    let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let mut stdout = std::io::stdout().lock();
    match admin::run(cli, &env, &sdk, &mut stdout).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("learner-records-admin: {error}");
            ExitCode::from(error.exit_code())
        }
    }
}
