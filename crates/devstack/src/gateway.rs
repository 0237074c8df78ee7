//! The local API gateway: an HTTP server on 127.0.0.1 that routes every request as the HTTP API
//! in template.yaml would, and hands it to the matching function in one of two ways.
//!
//! * **Invoke mode** (`make dev`): the request becomes an API Gateway event that goes to
//!   `cargo lambda watch`'s invoke API, so each function runs as a real Lambda process with hot
//!   reload.
//! * **In-process mode** (tests): the same event becomes a `lambda_http::Request` that goes
//!   straight to the library handler of the function, sharing one [`App`] whose request
//!   counter then counts every DynamoDB call.
//!
//! Unknown routes get API Gateway's 404 `{"message":"Not Found"}`.

pub mod event;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, State};
use learner_records::{App, api};
use tokio::net::TcpListener;

pub use event::{GatewayResponse, IncomingRequest};

use crate::routes::{RouteMatch, RouteTable};

/// API Gateway HTTP APIs accept request bodies up to 10 MB.
pub const MAX_BODY_BYTES: usize = 10 * 1024 * 1024;

/// The destination of matched requests.
#[derive(Debug, Clone)]
pub enum Backend {
    /// Call the library handlers in this process.
    InProcess(Arc<App>),
    /// Invoke the functions through `cargo lambda watch`.
    Invoke(Invoker),
}

/// A client for the Lambda invoke API of `cargo lambda watch`.
#[derive(Debug, Clone)]
pub struct Invoker {
    client: reqwest::Client,
    endpoint: String,
}

impl Invoker {
    /// Builds a client for the invoke API at `address`. `timeout` bounds one invocation,
    /// including the compile that `cargo lambda watch` runs before a function's first request.
    pub fn new(address: SocketAddr, timeout: Duration) -> Result<Self, reqwest::Error> {
        // No proxy: a proxy from the environment must never see local traffic.
        let client = reqwest::Client::builder()
            .no_proxy()
            .timeout(timeout)
            .build()?;
        Ok(Self {
            client,
            endpoint: format!("http://{address}"),
        })
    }

    fn url(&self, binary: &str) -> String {
        format!(
            "{}/2015-03-31/functions/{binary}/invocations",
            self.endpoint
        )
    }

    /// Invokes a function with an event and returns its response payload.
    pub async fn invoke(
        &self,
        binary: &str,
        event: &serde_json::Value,
    ) -> Result<Vec<u8>, InvokeError> {
        let url = self.url(binary);
        let response = self
            .client
            .post(&url)
            .json(event)
            .send()
            .await
            .map_err(|source| InvokeError::Unreachable {
                url: url.clone(),
                source,
            })?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|source| InvokeError::Unreachable {
                url: url.clone(),
                source,
            })?;
        if !status.is_success() {
            return Err(InvokeError::Rejected {
                url,
                status: status.as_u16(),
                body: String::from_utf8_lossy(&body).into_owned(),
            });
        }
        Ok(body.to_vec())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum InvokeError {
    #[error("invoke request to {url} failed; is `cargo lambda watch` running?")]
    Unreachable {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("invoke request to {url} returned HTTP {status}: {body}")]
    Rejected {
        url: String,
        status: u16,
        body: String,
    },
}

/// The route table and the backend behind it.
#[derive(Debug)]
pub struct Gateway {
    routes: RouteTable,
    backend: Backend,
}

impl Gateway {
    pub fn new(routes: RouteTable, backend: Backend) -> Self {
        Self { routes, backend }
    }

    /// Routes one request and returns the response. `local_port` is the port the gateway
    /// listens on.
    pub async fn respond(&self, request: IncomingRequest, local_port: u16) -> GatewayResponse {
        let started = Instant::now();
        let method = request.method.clone();
        let path = request.uri.path().to_owned();
        let Some(matched) = self.routes.find(method.as_str(), &path) else {
            tracing::info!(%method, %path, status = 404, "no route");
            return GatewayResponse::not_found();
        };

        let request_id = uuid::Uuid::new_v4().to_string();
        let event = event::api_gateway_event(
            &request,
            &matched,
            local_port,
            &request_id,
            chrono::Utc::now(),
        );
        let binary = matched.route.binary.as_str();
        let response = match &self.backend {
            Backend::InProcess(app) => self.call_in_process(app, &matched, &event).await,
            Backend::Invoke(invoker) => Self::call_invoke(invoker, binary, &event).await,
        };

        let mut response = response.unwrap_or_else(|error| {
            tracing::error!(%request_id, %method, %path, function = binary, %error, "function call failed");
            GatewayResponse::internal_error()
        });
        if let Ok(value) = http::HeaderValue::from_str(&request_id) {
            response.headers.insert("apigw-requestid", value);
        }
        tracing::info!(
            %request_id,
            %method,
            %path,
            function = binary,
            status = response.status.as_u16(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "request"
        );
        response
    }

    async fn call_in_process(
        &self,
        app: &App,
        matched: &RouteMatch<'_>,
        event: &serde_json::Value,
    ) -> Result<GatewayResponse, GatewayError> {
        let request = event::lambda_request(event).map_err(GatewayError::Event)?;
        let response = match matched.route.binary.as_str() {
            "records" => api::records::handle(app, request).await,
            "public-record" => api::public_record::handle(app, request).await,
            "share-credit" => api::share_credit::handle(app, request).await,
            "ingest" => api::ingest::handle(app, request).await,
            other => return Err(GatewayError::NoHandler(other.to_owned())),
        };
        let payload = event::lambda_response_payload(response).await;
        Ok(event::http_response(payload.to_string().as_bytes())?)
    }

    async fn call_invoke(
        invoker: &Invoker,
        binary: &str,
        event: &serde_json::Value,
    ) -> Result<GatewayResponse, GatewayError> {
        let payload = invoker.invoke(binary, event).await?;
        Ok(event::http_response(&payload)?)
    }
}

#[derive(Debug, thiserror::Error)]
enum GatewayError {
    #[error("the event does not deserialize as an HTTP API request: {0}")]
    Event(serde_json::Error),
    #[error("no in-process handler for the function binary {0:?}")]
    NoHandler(String),
    #[error(transparent)]
    Invoke(#[from] InvokeError),
    #[error(transparent)]
    Response(#[from] event::ResponseError),
}

#[derive(Debug, Clone)]
struct Served {
    gateway: Arc<Gateway>,
    port: u16,
}

async fn handle(
    State(served): State<Served>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: axum::extract::Request,
) -> axum::response::Response {
    let (parts, body) = request.into_parts();
    let body = match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(bytes) => bytes.to_vec(),
        Err(_) => {
            return into_axum(GatewayResponse::message(
                http::StatusCode::PAYLOAD_TOO_LARGE,
                "Request Entity Too Large",
            ));
        }
    };
    let incoming = IncomingRequest {
        method: parts.method,
        uri: parts.uri,
        headers: parts.headers,
        body,
        source_ip: peer.ip(),
    };
    into_axum(served.gateway.respond(incoming, served.port).await)
}

fn into_axum(response: GatewayResponse) -> axum::response::Response {
    let mut converted = axum::response::Response::new(axum::body::Body::from(response.body));
    *converted.status_mut() = response.status;
    *converted.headers_mut() = response.headers;
    converted
}

/// Binds the gateway's listener on 127.0.0.1; port 0 picks a free port.
pub async fn bind(port: u16) -> std::io::Result<TcpListener> {
    TcpListener::bind((Ipv4Addr::LOCALHOST, port)).await
}

/// Serves the gateway on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    gateway: Gateway,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let port = listener.local_addr()?.port();
    let served = Served {
        gateway: Arc::new(gateway),
        port,
    };
    let router = axum::Router::new().fallback(handle).with_state(served);
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// A gateway serving in the background, as tests start it. Dropping it stops the server.
#[derive(Debug)]
pub struct RunningGateway {
    /// `http://127.0.0.1:<port>`, without a trailing slash.
    pub base_url: String,
    pub port: u16,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl RunningGateway {
    /// Stops the server and waits until it has closed its listener.
    pub async fn stop(mut self) -> std::io::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match (&mut self.task).await {
            Ok(result) => result,
            Err(error) => Err(std::io::Error::other(error)),
        }
    }
}

impl Drop for RunningGateway {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Starts a gateway on a free port of 127.0.0.1 in a background task.
pub async fn spawn(gateway: Gateway) -> std::io::Result<RunningGateway> {
    let listener = bind(0).await?;
    let port = listener.local_addr()?.port();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(serve(listener, gateway, async {
        let _ = stopped.await;
    }));
    Ok(RunningGateway {
        base_url: format!("http://127.0.0.1:{port}"),
        port,
        stop: Some(stop),
        task,
    })
}
