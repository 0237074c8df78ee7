//! Test support shared by the integration tests of every crate: a fresh, randomly named set of
//! AWS resources on the local moto server, an [`App`] wired to them, tokens, request builders,
//! and readers for what moto captured (sent email, published events).
//!
//! Tests need a running moto server; `make test` starts one and sets `MOTO_ENDPOINT`.

use std::collections::HashMap;

use aws_config::SdkConfig;
use jsonwebtoken::{EncodingKey, Header, encode};
use lambda_http::Body;
use lambda_http::http::{Method, header};
use serde_json::{Value, json};

use crate::app::App;
use crate::bootstrap::{self, Resources};
use crate::config::{Config, JwtConfig, JwtIssuer, Secret};
use crate::http::{Request, Response};

pub const JWT_SECRET: &str = "test-jwt-secret";
pub const JWT_ISSUER: &str = "http://127.0.0.1:18000/oauth2";
pub const JWT_AUDIENCE: &str = "lms-key";
pub const CSRF_SECRET: &str = "test-csrf-secret";
pub const PUBLIC_BASE_URL: &str = "http://127.0.0.1:3000";
pub const MFE_ORIGIN: &str = "http://localhost:1990";
pub const LMS_URL_ROOT: &str = "http://localhost:18000";
pub const PARTNER_FROM_ADDRESS: &str = "records@credentials.example.test";

/// Returns the moto endpoint from `MOTO_ENDPOINT`. Panics with instructions when it is unset, because a
/// test that silently skipped would prove nothing.
pub fn moto_endpoint() -> String {
    std::env::var("MOTO_ENDPOINT")
        .ok()
        .filter(|v| !v.is_empty())
        .expect("MOTO_ENDPOINT is not set: run the tests with `make test`, which starts moto on 127.0.0.1")
}

/// Builds an SDK configuration for moto with a fixed region and dummy static credentials.
pub async fn sdk_config(endpoint: &str) -> SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            "testing", "testing", None, None, "moto",
        ))
        .load()
        .await
}

/// Returns a short random suffix for resource names.
pub fn random_suffix() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..12].to_owned()
}

/// Builds a configuration that points at the given resources and uses the test secrets.
pub fn test_config(resources: &Resources) -> Config {
    Config {
        table_name: resources.table.clone(),
        event_bus_name: resources.bus.clone(),
        export_bucket: resources.bucket.clone(),
        public_base_url: PUBLIC_BASE_URL.to_owned(),
        lms_url_root: LMS_URL_ROOT.to_owned(),
        learner_record_mfe_url: String::new(),
        cors_allowed_origins: vec![MFE_ORIGIN.to_owned()],
        jwt: JwtConfig {
            issuers: vec![JwtIssuer {
                issuer: JWT_ISSUER.to_owned(),
                audience: JWT_AUDIENCE.to_owned(),
            }],
            secret_key: Some(Secret::new(JWT_SECRET)),
            public_jwk_set: None,
            leeway_seconds: 1,
        },
        csrf_secret_key: Secret::new(CSRF_SECRET),
        partner_from_address: PARTNER_FROM_ADDRESS.to_owned(),
        username_replacement_worker: "retirement_service_worker".to_owned(),
        max_body_bytes: 256 * 1024,
        csv_download: crate::config::CsvDownload::Auto,
    }
}

/// A fresh table, bucket and bus on moto, and an app using them.
pub struct TestStack {
    pub endpoint: String,
    pub sdk: SdkConfig,
    pub resources: Resources,
    pub app: App,
}

impl TestStack {
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// Starts a stack after letting the caller adjust the configuration.
    pub async fn start_with(adjust: impl FnOnce(&mut Config)) -> Self {
        let endpoint = moto_endpoint();
        let sdk = sdk_config(&endpoint).await;
        let suffix = random_suffix();
        let resources = Resources {
            table: format!("learner-records-{suffix}"),
            bucket: format!("learner-records-exports-{suffix}"),
            bus: format!("learner-records-{suffix}"),
            ses_identity: PARTNER_FROM_ADDRESS.to_owned(),
            cors_origins: vec![MFE_ORIGIN.to_owned()],
        };
        bootstrap::ensure(&sdk, &resources)
            .await
            .expect("bootstrap on moto");
        let mut config = test_config(&resources);
        adjust(&mut config);
        let app = App::new(config, &sdk).expect("app from test configuration");
        Self {
            endpoint,
            sdk,
            resources,
            app,
        }
    }
}

/// Claims for a test token.
#[derive(Debug, Clone)]
pub struct TokenClaims {
    pub username: String,
    pub administrator: bool,
    pub email: String,
    pub name: String,
    pub user_id: u64,
    pub issuer: String,
    pub audience: String,
    /// Seconds from now until expiry; negative for an expired token.
    pub expires_in: i64,
}

impl TokenClaims {
    pub fn learner(username: &str) -> Self {
        Self {
            username: username.to_owned(),
            administrator: false,
            email: format!("{username}@example.test"),
            name: String::new(),
            user_id: 1000,
            issuer: JWT_ISSUER.to_owned(),
            audience: JWT_AUDIENCE.to_owned(),
            expires_in: 3600,
        }
    }

    pub fn staff(username: &str) -> Self {
        Self {
            administrator: true,
            ..Self::learner(username)
        }
    }

    pub fn named(mut self, name: &str) -> Self {
        self.name = name.to_owned();
        self
    }

    pub fn payload(&self) -> Value {
        let now = chrono::Utc::now().timestamp();
        json!({
            "iss": self.issuer, "aud": self.audience, "exp": now + self.expires_in, "iat": now,
            "preferred_username": self.username, "administrator": self.administrator,
            "email": self.email, "name": self.name, "user_id": self.user_id,
            "version": "1.2.0", "scopes": ["email", "profile", "user_id"], "filters": [], "is_restricted": false,
        })
    }
}

/// Signs an HS256 token with the test secret.
pub fn token(claims: &TokenClaims) -> String {
    sign_hs256(&claims.payload(), JWT_SECRET)
}

pub fn sign_hs256(payload: &Value, secret: &str) -> String {
    encode(
        &Header::default(),
        payload,
        &EncodingKey::from_secret(secret.as_bytes()).expect("HS256 key"),
    )
    .expect("HS256 signing")
}

/// Builds requests the way API Gateway delivers them to a function.
#[derive(Debug, Clone)]
pub struct RequestBuilder {
    method: Method,
    uri: String,
    headers: Vec<(String, String)>,
    body: Body,
}

impl RequestBuilder {
    pub fn new(method: Method, path_and_query: &str) -> Self {
        Self {
            method,
            uri: format!("{PUBLIC_BASE_URL}{path_and_query}"),
            headers: Vec::new(),
            body: Body::Empty,
        }
    }

    pub fn get(path_and_query: &str) -> Self {
        Self::new(Method::GET, path_and_query)
    }

    pub fn post(path_and_query: &str) -> Self {
        Self::new(Method::POST, path_and_query)
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Authenticates as the LMS does: `Authorization: JWT <token>`.
    pub fn jwt(self, token: &str) -> Self {
        self.header("authorization", &format!("JWT {token}"))
    }

    /// Authenticates as a browser does: the split JWT cookie pair.
    pub fn jwt_cookies(self, token: &str) -> Self {
        let (header_payload, signature) = token.rsplit_once('.').expect("a JWT has three parts");
        self.header(
            "cookie",
            &format!("edx-jwt-cookie-header-payload={header_payload}; edx-jwt-cookie-signature={signature}"),
        )
    }

    pub fn json(mut self, value: &Value) -> Self {
        self.body = Body::Text(value.to_string());
        self.header("content-type", "application/json")
    }

    pub fn form(mut self, pairs: &[(&str, &str)]) -> Self {
        self.body = Body::Text(serde_urlencoded::to_string(pairs).expect("form encoding"));
        self.header("content-type", "application/x-www-form-urlencoded")
    }

    pub fn body(mut self, body: Body) -> Self {
        self.body = body;
        self
    }

    pub fn build(self) -> Request {
        let mut builder = lambda_http::http::Request::builder()
            .method(self.method)
            .uri(&self.uri);
        for (name, value) in &self.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        builder.body(self.body).expect("valid test request")
    }
}

/// Returns the response body as text.
pub fn body_text(response: &Response) -> String {
    match response.body() {
        Body::Text(text) => text.clone(),
        Body::Binary(bytes) => String::from_utf8_lossy(bytes).into_owned(),
        _ => String::new(),
    }
}

/// Returns the response body as JSON (`Value::Null` when empty or not JSON).
pub fn body_json(response: &Response) -> Value {
    serde_json::from_str(&body_text(response)).unwrap_or(Value::Null)
}

pub fn header_of(response: &Response, name: header::HeaderName) -> Option<&str> {
    response.headers().get(name).and_then(|v| v.to_str().ok())
}

/// Everything moto stores, from its `/moto-api/data.json`. moto 5.2.5 builds that file while
/// other requests keep changing its models, so a concurrent DynamoDB write can make it fail with
/// HTTP 500 (`TypeError: keys must be str … not DynamoType`). A failed read is retried.
pub async fn moto_data(endpoint: &str) -> Value {
    const ATTEMPTS: u32 = 10;
    let url = format!("{endpoint}/moto-api/data.json");
    let mut last_error = String::new();
    for _ in 0..ATTEMPTS {
        let response = reqwest::get(&url).await.expect("moto data.json");
        let status = response.status();
        match response.json::<Value>().await {
            Ok(data) if status.is_success() => return data,
            Ok(_) => last_error = format!("HTTP {status}"),
            Err(error) => last_error = format!("HTTP {status}: {error}"),
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("moto data.json failed {ATTEMPTS} times, last with {last_error}")
}

/// Emails moto's SES captured: its `ses.Message` list (`id`, `source`, `subject`, `body`,
/// `destinations`). moto keeps only the HTML part when a message has both.
pub async fn sent_emails(endpoint: &str) -> Vec<Value> {
    let data = moto_data(endpoint).await;
    data.pointer("/ses/Message")
        .and_then(Value::as_object)
        .map(|by_region| {
            by_region
                .values()
                .flat_map(|v| v.as_array().cloned().unwrap_or_default())
                .collect()
        })
        .or_else(|| {
            data.pointer("/ses/Message")
                .and_then(Value::as_array)
                .cloned()
        })
        .unwrap_or_default()
}

/// Captures events published on a bus, through a rule that targets an SQS queue; moto keeps no
/// list of events itself. SQS is called over its JSON protocol with plain HTTP, which moto
/// accepts without signatures.
pub struct EventCapture {
    endpoint: String,
    queue_url: String,
}

async fn sqs(endpoint: &str, action: &str, body: Value) -> Value {
    let response = reqwest::Client::new()
        .post(endpoint)
        .header("content-type", "application/x-amz-json-1.0")
        .header("x-amz-target", format!("AmazonSQS.{action}"))
        .header("authorization", "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=0")
        .body(body.to_string())
        .send()
        .await
        .expect("SQS request to moto");
    response.json().await.unwrap_or(Value::Null)
}

impl EventCapture {
    /// Routes every event with source `learner-records` on `bus` to a new queue.
    pub async fn attach(endpoint: &str, sdk: &SdkConfig, bus: &str) -> Self {
        let queue_name = format!("events-{}", random_suffix());
        let created = sqs(endpoint, "CreateQueue", json!({"QueueName": queue_name})).await;
        let queue_url = created["QueueUrl"].as_str().expect("queue URL").to_owned();
        let arn = format!("arn:aws:sqs:us-east-1:123456789012:{queue_name}");

        let events = aws_sdk_eventbridge::Client::new(sdk);
        let rule = format!("capture-{}", random_suffix());
        events
            .put_rule()
            .name(&rule)
            .event_bus_name(bus)
            .event_pattern(json!({"source": [crate::events::SOURCE]}).to_string())
            .send()
            .await
            .expect("capture rule");
        events
            .put_targets()
            .rule(&rule)
            .event_bus_name(bus)
            .targets(
                aws_sdk_eventbridge::types::Target::builder()
                    .id("queue")
                    .arn(arn)
                    .build()
                    .expect("target"),
            )
            .send()
            .await
            .expect("capture target");
        Self {
            endpoint: endpoint.to_owned(),
            queue_url,
        }
    }

    /// Drains the queue and returns the events' envelopes (`detail-type`, `detail`, …).
    pub async fn drain(&self) -> Vec<Value> {
        let mut events = Vec::new();
        loop {
            let received = sqs(
                &self.endpoint,
                "ReceiveMessage",
                json!({"QueueUrl": self.queue_url, "MaxNumberOfMessages": 10, "WaitTimeSeconds": 0}),
            )
            .await;
            let messages = received["Messages"].as_array().cloned().unwrap_or_default();
            if messages.is_empty() {
                return events;
            }
            for message in messages {
                if let Some(body) = message["Body"].as_str() {
                    events.push(serde_json::from_str(body).unwrap_or(Value::Null));
                }
                sqs(
                    &self.endpoint,
                    "DeleteMessage",
                    json!({"QueueUrl": self.queue_url, "ReceiptHandle": message["ReceiptHandle"]}),
                )
                .await;
            }
        }
    }

    /// Drains the queue and returns the detail types seen, counted.
    pub async fn detail_types(&self) -> HashMap<String, usize> {
        let mut counts = HashMap::new();
        for event in self.drain().await {
            *counts
                .entry(event["detail-type"].as_str().unwrap_or_default().to_owned())
                .or_default() += 1;
        }
        counts
    }
}
