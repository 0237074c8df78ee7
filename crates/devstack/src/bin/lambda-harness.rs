//! Plays the AWS Lambda Runtime API on 127.0.0.1 for a release `bootstrap`, to measure what
//! the functions cost outside AWS: cold start, per-request latency and peak memory. It also
//! counts the AWS requests each route sends, in process. Every mode prints one JSON object.
//!
//! ```text
//! lambda-harness cold-start --bootstrap PATH [--function records] [--repetitions 20]
//! lambda-harness requests   --bootstrap PATH [--function records] [--count 200]
//! lambda-harness counts
//! ```
//!
//! `--function` picks the request sent. `records` requests the learner's private record of a
//! 30-course program, `public-record` opens the public page of that record, and `ingest` lists
//! the learner's 60 credentials as the LMS service user. Any other function has only its init
//! measured. Every mode creates its own table, bucket and bus on
//! the moto server at `MOTO_ENDPOINT` and seeds them with the sample program. Set
//! `LAMBDA_HARNESS_LOG` to a file to keep the function's output.
//!
//! Timings: init runs from just before the process is spawned to its first
//! `GET /runtime/invocation/next`; first response runs from the same start to the posted
//! response of the first request, which includes the function's first DynamoDB requests. In
//! `requests` mode a request runs from handing the event to the waiting `next` call to the
//! posted response. Peak memory is `VmHWM` from `/proc/<pid>/status`, read before the process
//! is killed.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::Utc;
use learner_records::App;
use learner_records::api;
use learner_records::bootstrap::Resources;
use learner_records::domain::Uuid;
use learner_records::http::Request;
use learner_records::sample_program::{LEARNER, PATHWAY_ID, SampleProgram};
use learner_records::testkit::{
    self, CSRF_SECRET, JWT_AUDIENCE, JWT_ISSUER, JWT_SECRET, LMS_URL_ROOT, MFE_ORIGIN,
    PARTNER_FROM_ADDRESS, PUBLIC_BASE_URL, RequestBuilder, TestStack, TokenClaims,
};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::{Mutex, mpsc, oneshot};

type Failure = Box<dyn std::error::Error + Send + Sync>;

/// Courses in the program every mode seeds, as in the measured baseline.
const COURSES: usize = 30;
/// Storage round trips timed in `counts` mode.
const STORAGE_SAMPLES: usize = 200;
/// How long a function may take to reach `next` or to respond before the run is abandoned.
const STEP_TIMEOUT: Duration = Duration::from_secs(30);

/// The function's posted result of one invocation.
enum Outcome {
    Response(Bytes),
    Error(Bytes),
}

/// One event waiting for the function's next `next` call.
struct Invocation {
    event: Value,
    done: oneshot::Sender<(Outcome, Instant)>,
}

/// The Runtime API's state for one function process.
struct Runtime {
    queue: Mutex<mpsc::Receiver<Invocation>>,
    in_flight: Mutex<HashMap<String, oneshot::Sender<(Outcome, Instant)>>>,
    /// Sent once, at the first `next` call.
    first_next: Mutex<Option<oneshot::Sender<Instant>>>,
    /// Sent when the function reports an init error.
    init_error: Mutex<Option<oneshot::Sender<Bytes>>>,
    function_arn: String,
}

async fn next_invocation(State(runtime): State<Arc<Runtime>>) -> Response {
    let arrived = Instant::now();
    if let Some(sender) = runtime.first_next.lock().await.take() {
        let _ = sender.send(arrived);
    }
    let Some(invocation) = runtime.queue.lock().await.recv().await else {
        return StatusCode::GONE.into_response();
    };
    let request_id = uuid::Uuid::new_v4().to_string();
    runtime
        .in_flight
        .lock()
        .await
        .insert(request_id.clone(), invocation.done);

    let deadline = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis()
        + STEP_TIMEOUT.as_millis();
    let mut headers = HeaderMap::new();
    let pairs = [
        ("lambda-runtime-aws-request-id", request_id),
        ("lambda-runtime-deadline-ms", deadline.to_string()),
        (
            "lambda-runtime-invoked-function-arn",
            runtime.function_arn.clone(),
        ),
        ("content-type", "application/json".to_owned()),
    ];
    for (name, value) in pairs {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    }
    (headers, invocation.event.to_string()).into_response()
}

async fn finish(runtime: &Runtime, request_id: &str, outcome: Outcome) -> StatusCode {
    let arrived = Instant::now();
    match runtime.in_flight.lock().await.remove(request_id) {
        Some(done) => {
            let _ = done.send((outcome, arrived));
            StatusCode::ACCEPTED
        }
        None => StatusCode::BAD_REQUEST,
    }
}

async fn invocation_response(
    State(runtime): State<Arc<Runtime>>,
    Path(request_id): Path<String>,
    body: Bytes,
) -> StatusCode {
    finish(&runtime, &request_id, Outcome::Response(body)).await
}

async fn invocation_error(
    State(runtime): State<Arc<Runtime>>,
    Path(request_id): Path<String>,
    body: Bytes,
) -> StatusCode {
    finish(&runtime, &request_id, Outcome::Error(body)).await
}

async fn report_init_error(State(runtime): State<Arc<Runtime>>, body: Bytes) -> StatusCode {
    if let Some(sender) = runtime.init_error.lock().await.take() {
        let _ = sender.send(body);
    }
    StatusCode::ACCEPTED
}

/// A started function process with its Runtime API.
struct FunctionProcess {
    child: Child,
    started: Instant,
    events: mpsc::Sender<Invocation>,
    first_next: Option<oneshot::Receiver<Instant>>,
    init_error: Option<oneshot::Receiver<Bytes>>,
    server: tokio::task::JoinHandle<()>,
}

impl FunctionProcess {
    /// Serves a Runtime API on a free port of 127.0.0.1, then starts the bootstrap against it.
    async fn start(
        bootstrap: &PathBuf,
        function: &str,
        environment: &[(String, String)],
    ) -> Result<Self, Failure> {
        let (events, queue) = mpsc::channel(1);
        let (first_next_sender, first_next) = oneshot::channel();
        let (init_error_sender, init_error) = oneshot::channel();
        let runtime = Arc::new(Runtime {
            queue: Mutex::new(queue),
            in_flight: Mutex::new(HashMap::new()),
            first_next: Mutex::new(Some(first_next_sender)),
            init_error: Mutex::new(Some(init_error_sender)),
            function_arn: format!("arn:aws:lambda:us-east-1:123456789012:function:{function}"),
        });
        let router = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next_invocation))
            .route(
                "/2018-06-01/runtime/invocation/{id}/response",
                post(invocation_response),
            )
            .route(
                "/2018-06-01/runtime/invocation/{id}/error",
                post(invocation_error),
            )
            .route("/2018-06-01/runtime/init/error", post(report_init_error))
            .with_state(runtime);
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });

        let mut command = Command::new(bootstrap);
        command
            .env_clear()
            .envs(environment.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .env("AWS_LAMBDA_RUNTIME_API", address.to_string())
            .env("AWS_LAMBDA_FUNCTION_NAME", function)
            .stdin(Stdio::null())
            .stdout(function_log()?)
            .stderr(function_log()?);
        let started = Instant::now();
        let child = command.spawn()?;
        Ok(Self {
            child,
            started,
            events,
            first_next: Some(first_next),
            init_error: Some(init_error),
            server,
        })
    }

    /// Waits for the first `next` call and returns the time since the spawn.
    async fn wait_for_init(&mut self) -> Result<Duration, Failure> {
        let (Some(first_next), Some(init_error)) = (self.first_next.take(), self.init_error.take())
        else {
            return Err("init was already awaited".into());
        };
        tokio::select! {
            arrived = first_next => Ok(arrived?.duration_since(self.started)),
            body = init_error => Err(format!("the function reported an init error: {}",
                String::from_utf8_lossy(&body.unwrap_or_default())).into()),
            status = exited(&mut self.child) => Err(format!("the function exited during init: {status}").into()),
            () = tokio::time::sleep(STEP_TIMEOUT) => Err("the function did not call next within 30 s (timed out)".into()),
        }
    }

    /// Hands one event to the function and returns its response with the time it was posted.
    async fn invoke(&mut self, event: Value) -> Result<(Value, Instant), Failure> {
        let (done, outcome) = oneshot::channel();
        self.events.send(Invocation { event, done }).await?;
        let (outcome, arrived) = tokio::select! {
            outcome = outcome => outcome?,
            status = exited(&mut self.child) => return Err(format!("the function exited during a request: {status}").into()),
            () = tokio::time::sleep(STEP_TIMEOUT) => return Err("the function did not answer within 30 s (timed out)".into()),
        };
        match outcome {
            Outcome::Response(body) => Ok((serde_json::from_slice(&body)?, arrived)),
            Outcome::Error(body) => Err(format!(
                "the function posted an invocation error: {}",
                String::from_utf8_lossy(&body)
            )
            .into()),
        }
    }

    /// Peak resident set size in KiB so far (`VmHWM`).
    fn peak_rss_kib(&self) -> Result<u64, Failure> {
        let pid = self.child.id();
        let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmHWM:"))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|kib| kib.parse().ok())
            .ok_or_else(|| "no VmHWM line in /proc/<pid>/status".into())
    }

    async fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.server.abort();
    }
}

/// Returns where the function's output goes: appended to the file named by
/// `LAMBDA_HARNESS_LOG`, or nowhere. Writing logs costs time, so `make bench` leaves it unset.
fn function_log() -> Result<Stdio, Failure> {
    match std::env::var_os("LAMBDA_HARNESS_LOG") {
        Some(path) => Ok(std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?
            .into()),
        None => Ok(Stdio::null()),
    }
}

/// Resolves once the child has exited, with how it exited. Polls, because the child is a
/// `std` process: tokio's process support is not among this crate's features.
async fn exited(child: &mut Child) -> String {
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return status.to_string(),
            Ok(None) => tokio::time::sleep(Duration::from_millis(5)).await,
            Err(error) => return format!("unknown ({error})"),
        }
    }
}

/// The resources of one run and the sample seeded into them.
struct Fixture {
    resources: Resources,
    sample: SampleProgram,
    link: Uuid,
    endpoint: String,
}

impl Fixture {
    async fn create() -> Result<Self, Failure> {
        let stack = TestStack::start().await;
        let sample = SampleProgram::new(COURSES);
        sample.seed(&stack.app.store).await?;
        // Stores the profile from the token's claims now, so that no measured request
        // spends a write on it.
        let list = RequestBuilder::get("/records/api/v1/program_records/")
            .jwt(&learner_token())
            .build();
        let response = api::records::handle(&stack.app, list).await;
        if response.status() != 200 {
            return Err(format!("seeding: the program list returned {}", response.status()).into());
        }
        let link = stack
            .app
            .store
            .get_or_create_link(
                &sample.username,
                &sample.program.uuid,
                None,
                None,
                Utc::now(),
            )
            .await?
            .link()
            .uuid;
        Ok(Self {
            resources: stack.resources,
            sample,
            link,
            endpoint: stack.endpoint,
        })
    }

    /// Returns the environment the template gives the functions, pointed at moto.
    fn environment(&self) -> Vec<(String, String)> {
        let issuers = json!([{"issuer": JWT_ISSUER, "audience": JWT_AUDIENCE}]);
        [
            ("AWS_ENDPOINT_URL", self.endpoint.as_str()),
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("AWS_REGION", "us-east-1"),
            ("AWS_DEFAULT_REGION", "us-east-1"),
            // Keeps the SDK away from the instance metadata address.
            ("AWS_EC2_METADATA_DISABLED", "true"),
            ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"),
            ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"),
            ("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/harness"),
            ("AWS_LAMBDA_LOG_STREAM_NAME", "harness"),
            ("TABLE_NAME", self.resources.table.as_str()),
            ("EVENT_BUS_NAME", self.resources.bus.as_str()),
            ("EXPORT_BUCKET", self.resources.bucket.as_str()),
            ("PUBLIC_BASE_URL", PUBLIC_BASE_URL),
            ("LMS_URL_ROOT", LMS_URL_ROOT),
            ("CORS_ALLOWED_ORIGINS", MFE_ORIGIN),
            ("JWT_ISSUERS", &issuers.to_string()),
            ("JWT_SECRET_KEY", JWT_SECRET),
            ("JWT_LEEWAY_SECONDS", "1"),
            ("CSRF_SECRET_KEY", CSRF_SECRET),
            ("PARTNER_FROM_ADDRESS", PARTNER_FROM_ADDRESS),
            // copy-catalog reads these at init. Nothing listens on port 9 and init opens no
            // connection, so the harness measures its start without a course-discovery server.
            ("CATALOG_API_URL", "http://127.0.0.1:9/api/v1/"),
            (
                "DISCOVERY_TOKEN_URL",
                "http://127.0.0.1:9/oauth2/access_token",
            ),
            ("DISCOVERY_CLIENT_ID", "harness"),
            ("DISCOVERY_CLIENT_SECRET", "harness"),
        ]
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect()
    }

    /// The API Gateway (HTTP API, payload 2.0) event this function is measured with.
    fn event(&self, function: &str) -> Option<Value> {
        let token = learner_token();
        match function {
            "records" => Some(http_event(
                &format!(
                    "/records/api/v1/program_records/{}/",
                    self.sample.program.uuid.hex()
                ),
                "is_public=false",
                Some(&token),
            )),
            "public-record" => Some(http_event(
                &format!("/records/programs/shared/{}/", self.link.hex()),
                "",
                None,
            )),
            "ingest" => Some(http_event(
                "/api/v2/credentials/",
                &format!("username={LEARNER}"),
                Some(&testkit::token(&TokenClaims::staff("lms_service"))),
            )),
            _ => None,
        }
    }
}

/// Returns a token whose claims match the sample learner's stored profile, so requests do not
/// rewrite the profile.
fn learner_token() -> String {
    let profile = SampleProgram::new(0).learner.profile.unwrap_or_default();
    let claims = TokenClaims {
        email: profile.email,
        user_id: profile.lms_user_id.unwrap_or_default(),
        ..TokenClaims::learner(LEARNER).named(&profile.full_name)
    };
    testkit::token(&claims)
}

fn http_event(path: &str, query: &str, token: Option<&str>) -> Value {
    let mut headers = json!({"host": "127.0.0.1", "user-agent": "lambda-harness"});
    if let Some(token) = token {
        headers["authorization"] = json!(format!("JWT {token}"));
    }
    let now = Utc::now();
    json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        "headers": headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "harness",
            "domainName": "127.0.0.1",
            "domainPrefix": "harness",
            "http": {"method": "GET", "path": path, "protocol": "HTTP/1.1",
                     "sourceIp": "127.0.0.1", "userAgent": "lambda-harness"},
            "requestId": uuid::Uuid::new_v4().to_string(),
            "routeKey": "$default",
            "stage": "$default",
            "time": now.format("%d/%b/%Y:%H:%M:%S %z").to_string(),
            "timeEpoch": now.timestamp_millis(),
        },
        "isBase64Encoded": false,
    })
}

/// Fails unless the function returned status 200, quoting the response otherwise.
fn check_status(response: &Value) -> Result<(), Failure> {
    match response["statusCode"].as_u64() {
        Some(200) => Ok(()),
        _ => Err(format!("expected statusCode 200, got: {response}").into()),
    }
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// Returns the median, 95th percentile (nearest rank), min and max of `values`, in milliseconds.
fn summary(mut values: Vec<f64>) -> Value {
    values.sort_by(f64::total_cmp);
    let at = |fraction: f64| {
        let index = ((values.len() as f64 - 1.0) * fraction).round() as usize;
        values.get(index).copied().unwrap_or(f64::NAN)
    };
    let middle = values.len() / 2;
    let median = match values.len() {
        0 => f64::NAN,
        length if length % 2 == 0 => (values[middle - 1] + values[middle]) / 2.0,
        _ => values[middle],
    };
    json!({
        "count": values.len(),
        "median_ms": median,
        "p95_ms": at(0.95),
        "min_ms": at(0.0),
        "max_ms": at(1.0),
    })
}

async fn cold_start(
    bootstrap: &PathBuf,
    function: &str,
    repetitions: usize,
) -> Result<Value, Failure> {
    let fixture = Fixture::create().await?;
    let environment = fixture.environment();
    let event = fixture.event(function);
    let mut inits = Vec::new();
    let mut first_responses = Vec::new();
    let mut init_rss_kib = Vec::new();
    for _ in 0..repetitions {
        let mut process = FunctionProcess::start(bootstrap, function, &environment).await?;
        let init = process.wait_for_init().await;
        let init = match init {
            Ok(init) => init,
            Err(error) => {
                process.stop().await;
                return Err(error);
            }
        };
        inits.push(millis(init));
        init_rss_kib.push(process.peak_rss_kib()? as f64);
        if let Some(event) = &event {
            let (response, arrived) = process.invoke(event.clone()).await?;
            check_status(&response)?;
            first_responses.push(millis(arrived.duration_since(process.started)));
        }
        process.stop().await;
    }
    init_rss_kib.sort_by(f64::total_cmp);
    Ok(json!({
        "mode": "cold-start",
        "function": function,
        "init": summary(inits),
        "first_response": if first_responses.is_empty() { Value::Null } else { summary(first_responses) },
        "rss_after_init_kib_median": init_rss_kib.get(init_rss_kib.len() / 2),
    }))
}

async fn requests(bootstrap: &PathBuf, function: &str, count: usize) -> Result<Value, Failure> {
    let fixture = Fixture::create().await?;
    let event = fixture
        .event(function)
        .ok_or_else(|| format!("no request is defined for the function {function}"))?;
    let mut process = FunctionProcess::start(bootstrap, function, &fixture.environment()).await?;
    let result = async {
        process.wait_for_init().await?;
        // The first request fills the catalog and settings caches; it is measured in
        // cold-start mode and left out here.
        let (response, _) = process.invoke(event.clone()).await?;
        check_status(&response)?;
        let mut latencies = Vec::with_capacity(count);
        for _ in 0..count {
            let handed = Instant::now();
            let (response, arrived) = process.invoke(event.clone()).await?;
            check_status(&response)?;
            latencies.push(millis(arrived.duration_since(handed)));
        }
        Ok::<_, Failure>(json!({
            "mode": "requests",
            "function": function,
            "latency": summary(latencies),
            "peak_rss_kib": process.peak_rss_kib()?,
        }))
    }
    .await;
    process.stop().await;
    result
}

/// Sends one request through a handler in process and returns its status with the AWS
/// requests it cost, by operation.
async fn counted<F, Fut>(app: &'static App, request: Request, handler: F) -> Value
where
    F: FnOnce(&'static App, Request) -> Fut,
    Fut: std::future::Future<Output = learner_records::http::Response>,
{
    app.counter.reset();
    let response = handler(app, request).await;
    json!({
        "status": response.status().as_u16(),
        "requests": app.counter.snapshot(),
        "total": app.counter.total(),
    })
}

async fn counts() -> Result<Value, Failure> {
    let stack = TestStack::start().await;
    let sample = SampleProgram::new(COURSES);
    sample.seed(&stack.app.store).await?;
    let app: &'static App = Box::leak(Box::new(stack.app));
    let token = learner_token();
    let program = sample.program.uuid.hex();
    let record_path = format!("/records/api/v1/program_records/{program}/?is_public=false");

    // Fills the catalog and settings caches, as any earlier request on a warm function has.
    let mut routes = serde_json::Map::new();
    let warm_up = RequestBuilder::get(&record_path).jwt(&token);
    routes.insert(
        "private record, cold caches".into(),
        counted(app, warm_up.build(), |app, request| {
            api::records::handle(app, request)
        })
        .await,
    );
    let list = RequestBuilder::get("/records/api/v1/program_records/").jwt(&token);
    routes.insert(
        "program list".into(),
        counted(app, list.build(), |app, request| {
            api::records::handle(app, request)
        })
        .await,
    );
    let private = RequestBuilder::get(&record_path).jwt(&token);
    routes.insert(
        "private record".into(),
        counted(app, private.build(), |app, request| {
            api::records::handle(app, request)
        })
        .await,
    );
    let share = RequestBuilder::post(&format!("/records/programs/{program}/share"))
        .jwt(&token)
        .json(&json!({"username": LEARNER}));
    routes.insert(
        "share (creates the link)".into(),
        counted(app, share.build(), |app, request| {
            api::public_record::handle(app, request)
        })
        .await,
    );
    let link = app
        .store
        .load_learner(&sample.username)
        .await?
        .link_for_program(&sample.program.uuid)
        .map(|link| link.uuid.hex())
        .ok_or("share created no link")?;
    let public = RequestBuilder::get(&format!(
        "/records/api/v1/program_records/{link}/?is_public=true"
    ));
    routes.insert(
        "public record".into(),
        counted(app, public.build(), |app, request| {
            api::records::handle(app, request)
        })
        .await,
    );
    let csv = RequestBuilder::get(&format!("/records/programs/shared/{link}/csv"));
    routes.insert(
        "CSV".into(),
        counted(app, csv.build(), |app, request| {
            api::public_record::handle(app, request)
        })
        .await,
    );
    let send = RequestBuilder::post(&format!("/records/programs/{program}/send"))
        .jwt(&token)
        .json(&json!({"username": LEARNER, "pathway_id": PATHWAY_ID}));
    routes.insert(
        "send to partner".into(),
        counted(app, send.build(), |app, request| {
            api::share_credit::handle(app, request)
        })
        .await,
    );

    // The storage part of a warm private record alone, in process: the versions GetItem and
    // the learner's Query sent together, as the handler sends them.
    let mut storage = Vec::with_capacity(STORAGE_SAMPLES);
    for _ in 0..STORAGE_SAMPLES {
        let started = Instant::now();
        let (snapshot, learner) =
            tokio::join!(app.snapshot(), app.store.load_learner(&sample.username));
        snapshot?;
        learner?;
        storage.push(millis(started.elapsed()));
    }
    Ok(json!({
        "mode": "counts",
        "courses": COURSES,
        "routes": routes,
        "private_record_storage": summary(storage),
    }))
}

/// Returns the value after `name` on the command line, or `default`.
fn option(arguments: &[String], name: &str, default: &str) -> String {
    arguments
        .iter()
        .position(|argument| argument == name)
        .and_then(|index| arguments.get(index + 1))
        .cloned()
        .unwrap_or_else(|| default.to_owned())
}

async fn run(arguments: Vec<String>) -> Result<Value, Failure> {
    let mode = arguments.first().cloned().unwrap_or_default();
    let function = option(&arguments, "--function", "records");
    let bootstrap = || -> Result<PathBuf, Failure> {
        let path = PathBuf::from(option(&arguments, "--bootstrap", ""));
        if path.is_file() {
            Ok(path)
        } else {
            Err(format!(
                "--bootstrap {path:?} is not a file: build it with `cargo lambda build --release`"
            )
            .into())
        }
    };
    let number = |name: &str, default: &str| -> Result<usize, Failure> {
        let text = option(&arguments, name, default);
        text.parse()
            .map_err(|_| format!("{name} {text:?} is not a whole number").into())
    };
    match mode.as_str() {
        "cold-start" => cold_start(&bootstrap()?, &function, number("--repetitions", "20")?).await,
        "requests" => requests(&bootstrap()?, &function, number("--count", "200")?).await,
        "counts" => counts().await,
        _ => Err("usage: lambda-harness cold-start|requests|counts [--bootstrap PATH] [--function NAME] [--repetitions N] [--count N]".into()),
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    match run(arguments).await {
        Ok(report) => {
            println!("{report}");
            std::process::ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("lambda-harness: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}
