#![allow(clippy::unwrap_used)]
//! The local gateway over real HTTP on 127.0.0.1: in-process mode against moto, and invoke mode
//! against a stand-in for `cargo lambda watch`'s invoke API that responds as a function would.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, State};
use devstack::gateway::{self, Backend, Gateway, Invoker, RunningGateway};
use devstack::routes::RouteTable;
use lambda_http::request::LambdaRequest;
use learner_records::testkit::{MFE_ORIGIN, TestStack};
use serde_json::{Value, json};

const PROGRAM: &str = "927093e346ba4f44a8610f8c7aec4f74";

async fn start_gateway(backend: Backend) -> RunningGateway {
    gateway::spawn(Gateway::new(RouteTable::builtin().unwrap(), backend))
        .await
        .unwrap()
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

#[tokio::test]
async fn unknown_route_gets_api_gateway_not_found() {
    let stack = TestStack::start().await;
    let gateway = start_gateway(Backend::InProcess(Arc::new(stack.app))).await;

    let response = client()
        .get(format!("{}/records/api/v1/", gateway.base_url))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 404);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({"message": "Not Found"})
    );
}

#[tokio::test]
async fn preflight_reaches_the_function() {
    let stack = TestStack::start().await;
    let gateway = start_gateway(Backend::InProcess(Arc::new(stack.app))).await;

    let response = client()
        .request(
            reqwest::Method::OPTIONS,
            format!(
                "{}/records/api/v1/program_records/{PROGRAM}/",
                gateway.base_url
            ),
        )
        .header("origin", MFE_ORIGIN)
        .header("access-control-request-method", "GET")
        .header("access-control-request-headers", "use-jwt-cookie")
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["access-control-allow-origin"],
        MFE_ORIGIN
    );
}

#[tokio::test]
async fn matched_route_reaches_the_function() {
    let stack = TestStack::start().await;
    let gateway = start_gateway(Backend::InProcess(Arc::new(stack.app))).await;

    let response = client()
        .get(format!(
            "{}/api/v2/course_certificates/course-v1:A+B+C/",
            gateway.base_url
        ))
        .send()
        .await
        .unwrap();

    // The function responded, whatever its status, rather than the gateway's own 404.
    let body: Value = response.json().await.unwrap();
    assert!(body.get("message") != Some(&json!("Not Found")), "{body}");
}

#[tokio::test]
async fn stopped_gateway_refuses_connections() {
    let stack = TestStack::start().await;
    let gateway = start_gateway(Backend::InProcess(Arc::new(stack.app))).await;
    let base_url = gateway.base_url.clone();

    gateway.stop().await.unwrap();

    assert!(
        client()
            .get(format!("{base_url}/records/"))
            .send()
            .await
            .is_err()
    );
}

#[tokio::test]
async fn response_carries_a_request_id() {
    let stack = TestStack::start().await;
    let gateway = start_gateway(Backend::InProcess(Arc::new(stack.app))).await;

    let response = client()
        .get(format!("{}/csrf/api/v1/token", gateway.base_url))
        .send()
        .await
        .unwrap();

    assert!(response.headers().contains_key("apigw-requestid"));
}

/// What the invoke stand-in saw: the function name and the event.
type Invocations = Arc<Mutex<Vec<(String, Value)>>>;

/// Responds to invocations as a function would. It parses the event with lambda_http and echoes
/// what it read, with a cookie, or with the binary body when the request had one.
async fn invoke(
    State(seen): State<Invocations>,
    Path(function): Path<String>,
    body: axum::body::Bytes,
) -> axum::Json<Value> {
    let event: Value = serde_json::from_slice(&body).unwrap();
    seen.lock().unwrap().push((function.clone(), event.clone()));
    let request: lambda_http::Request = serde_json::from_value::<LambdaRequest>(event)
        .unwrap()
        .into();
    let echoed = json!({
        "function": function,
        "method": request.method().as_str(),
        "uri": request.uri().to_string(),
        "cookie": request.headers().get("cookie").map(|v| v.to_str().unwrap()),
    });
    let payload = match request.body() {
        lambda_http::Body::Binary(bytes) => json!({
            "statusCode": 200,
            "headers": {"content-type": "application/octet-stream"},
            "body": base64_encode(bytes),
            "isBase64Encoded": true,
            "cookies": [],
        }),
        _ => json!({
            "statusCode": 201,
            "headers": {"content-type": "application/json"},
            "body": echoed.to_string(),
            "isBase64Encoded": false,
            "cookies": ["csrftoken=abc; Path=/"],
        }),
    };
    axum::Json(payload)
}

fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

async fn start_invoke_stand_in() -> (u16, Invocations) {
    let seen: Invocations = Arc::default();
    let router = axum::Router::new()
        .route(
            "/2015-03-31/functions/{function}/invocations",
            axum::routing::post(invoke),
        )
        .with_state(Arc::clone(&seen));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, router).await });
    (port, seen)
}

async fn start_invoke_gateway() -> (RunningGateway, Invocations) {
    let (port, seen) = start_invoke_stand_in().await;
    let invoker = Invoker::new(([127, 0, 0, 1], port).into(), Duration::from_secs(30)).unwrap();
    (start_gateway(Backend::Invoke(invoker)).await, seen)
}

#[tokio::test]
async fn invoke_mode_calls_the_routed_function() {
    let (gateway, seen) = start_invoke_gateway().await;

    client()
        .post(format!(
            "{}/records/programs/{PROGRAM}/share",
            gateway.base_url
        ))
        .json(&json!({"username": "ana_completed"}))
        .send()
        .await
        .unwrap();

    let invocations = seen.lock().unwrap().clone();
    assert_eq!(invocations.len(), 1);
    assert_eq!(invocations[0].0, "public-record");
    assert_eq!(invocations[0].1["pathParameters"]["hex"], PROGRAM);
}

#[tokio::test]
async fn invoke_mode_passes_uri_and_cookies() {
    let (gateway, _seen) = start_invoke_gateway().await;

    let response = client()
        .get(format!(
            "{}/records/api/v1/program_records/{PROGRAM}/?is_public=false",
            gateway.base_url
        ))
        .header(
            "cookie",
            "edx-jwt-cookie-header-payload=a.b; edx-jwt-cookie-signature=c",
        )
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 201);
    let echoed: Value = response.json().await.unwrap();
    assert_eq!(
        echoed["uri"],
        format!(
            "{}/records/api/v1/program_records/{PROGRAM}/?is_public=false",
            gateway.base_url
        )
    );
    assert_eq!(
        echoed["cookie"],
        "edx-jwt-cookie-header-payload=a.b; edx-jwt-cookie-signature=c"
    );
}

#[tokio::test]
async fn invoke_mode_returns_function_cookies() {
    let (gateway, _seen) = start_invoke_gateway().await;

    let response = client()
        .get(format!("{}/csrf/api/v1/token", gateway.base_url))
        .send()
        .await
        .unwrap();

    assert_eq!(response.headers()["set-cookie"], "csrftoken=abc; Path=/");
}

#[tokio::test]
async fn invoke_mode_keeps_binary_bodies_intact() {
    let (gateway, _seen) = start_invoke_gateway().await;
    let bytes = vec![0_u8, 159, 146, 150, 255, 10, 13];

    let response = client()
        .post(format!(
            "{}/records/programs/{PROGRAM}/send",
            gateway.base_url
        ))
        .header("content-type", "application/octet-stream")
        .body(bytes.clone())
        .send()
        .await
        .unwrap();

    assert_eq!(response.bytes().await.unwrap().to_vec(), bytes);
}

#[tokio::test]
async fn invoke_mode_without_watch_is_an_internal_error() {
    // A port that was free a moment ago: nothing listens there.
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().port()
    };
    let invoker = Invoker::new(([127, 0, 0, 1], port).into(), Duration::from_secs(5)).unwrap();
    let gateway = start_gateway(Backend::Invoke(invoker)).await;

    let response = client()
        .get(format!("{}/records/", gateway.base_url))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 500);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({"message": "Internal Server Error"})
    );
}
