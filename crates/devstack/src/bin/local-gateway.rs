//! `local-gateway`: serves the HTTP API of template.yaml on 127.0.0.1, routing each request to
//! its function under `cargo lambda watch` (invoke mode) or to the library handlers in this
//! process (in-process mode).

use std::net::{Ipv4Addr, SocketAddr};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use devstack::gateway::{self, Backend, Gateway, Invoker};
use devstack::routes::RouteTable;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Mode {
    /// Forward each request as an API Gateway event to `cargo lambda watch`
    Invoke,
    /// Call the library handlers in this process; needs the functions' environment
    InProcess,
}

/// Serves the routes of template.yaml on 127.0.0.1 as API Gateway would.
#[derive(Debug, Parser)]
#[command(name = "local-gateway", version)]
struct Cli {
    /// Port to listen on, on 127.0.0.1
    #[arg(long, env = "DEV_PORT", default_value_t = 3000)]
    port: u16,
    /// Destination of the requests
    #[arg(long, value_enum, default_value_t = Mode::Invoke)]
    mode: Mode,
    /// Port of `cargo lambda watch`'s invoke API on 127.0.0.1 (invoke mode)
    #[arg(long, env = "WATCH_PORT", default_value_t = 9000)]
    watch_port: u16,
    /// Seconds one invocation may take, including the compile `cargo lambda watch` runs before
    /// a function's first request (invoke mode)
    #[arg(long, value_name = "SECONDS", default_value_t = 600)]
    invoke_timeout: u64,
}

async fn shutdown_signal() {
    // Ctrl-C or SIGTERM (what `make dev` sends) both stop the server gracefully.
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = terminate => {}
    }
}

async fn backend(cli: &Cli) -> Result<Backend, String> {
    match cli.mode {
        Mode::Invoke => {
            let address = SocketAddr::from((Ipv4Addr::LOCALHOST, cli.watch_port));
            Invoker::new(address, Duration::from_secs(cli.invoke_timeout))
                .map(Backend::Invoke)
                .map_err(|e| format!("building the invoke client failed: {e}"))
        }
        Mode::InProcess => learner_records::App::from_env()
            .await
            .map(|app| Backend::InProcess(Arc::new(app)))
            .map_err(|e| format!("the functions' configuration is invalid: {e}")),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let cli = Cli::parse();

    let routes = match RouteTable::builtin() {
        Ok(routes) => routes,
        Err(error) => {
            eprintln!("local-gateway: {error}");
            return ExitCode::FAILURE;
        }
    };
    let backend = match backend(&cli).await {
        Ok(backend) => backend,
        Err(error) => {
            eprintln!("local-gateway: {error}");
            return ExitCode::FAILURE;
        }
    };
    let listener = match gateway::bind(cli.port).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!(
                "local-gateway: cannot listen on 127.0.0.1:{}: {error}; set DEV_PORT to a free port",
                cli.port
            );
            return ExitCode::FAILURE;
        }
    };

    let target = match cli.mode {
        Mode::Invoke => format!(
            "functions under cargo lambda watch at http://127.0.0.1:{}",
            cli.watch_port
        ),
        Mode::InProcess => "the library handlers in this process".to_owned(),
    };
    tracing::info!(
        routes = routes.routes().len(),
        "local gateway listening on http://127.0.0.1:{}, routing to {target}",
        cli.port
    );
    let gateway = Gateway::new(routes, backend);
    if let Err(error) = gateway::serve(listener, gateway, shutdown_signal()).await {
        eprintln!("local-gateway: the server failed: {error}");
        return ExitCode::FAILURE;
    }
    tracing::info!("local gateway stopped");
    ExitCode::SUCCESS
}
