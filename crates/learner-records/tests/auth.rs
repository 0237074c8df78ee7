//! Request safety at the HTTP edge, seen through the ingest function: JWT verification from the
//! header and from the split cookie pair, CSRF for cookie-authenticated writes, CORS for the
//! MFE's origin, body limits and malformed bodies.

#![allow(clippy::unwrap_used)]

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use lambda_http::Body;
use lambda_http::http::{Method, StatusCode, header};
use learner_records::api::ingest;
use learner_records::http::Response;
use learner_records::testkit::{
    JWT_SECRET, MFE_ORIGIN, RequestBuilder, TestStack, TokenClaims, body_json, header_of,
    sign_hs256, token,
};
use serde_json::{Value, json};

/// A key pair made for these tests only; see tests/fixtures/README.md.
const PRIVATE_PEM: &str = include_str!("fixtures/test-only-jwt-rsa-private.pem");
const PUBLIC_PEM: &str = include_str!("fixtures/test-only-jwt-rsa-public.pem");

const OWN_LIST: &str = "/api/v2/credentials/?username=lrn_ada";
const NOT_PROVIDED: &str = "Authentication credentials were not provided.";

/// Builds the public JWK set of the test key pair, as an operator configures the LMS's.
fn public_jwk_set() -> String {
    let key = EncodingKey::from_rsa_pem(PRIVATE_PEM.as_bytes()).unwrap();
    let jwk = Jwk::from_encoding_key(&key, Algorithm::RS512).unwrap();
    serde_json::to_string(&JwkSet { keys: vec![jwk] }).unwrap()
}

async fn stack_with_jwk_set() -> TestStack {
    TestStack::start_with(|config| config.jwt.public_jwk_set = Some(public_jwk_set())).await
}

fn sign_rsa(payload: &Value, algorithm: Algorithm) -> String {
    let key = EncodingKey::from_rsa_pem(PRIVATE_PEM.as_bytes()).unwrap();
    encode(&Header::new(algorithm), payload, &key).unwrap()
}

fn ada() -> TokenClaims {
    TokenClaims::learner("lrn_ada")
}

async fn send(stack: &TestStack, request: RequestBuilder) -> Response {
    ingest::handle(&stack.app, request.build()).await
}

fn detail(response: &Response) -> String {
    body_json(response)["detail"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

// JWT from the Authorization header.

#[tokio::test]
async fn valid_header_token_lists_own_credentials() {
    let stack = TestStack::start().await;
    let response = send(&stack, RequestBuilder::get(OWN_LIST).jwt(&token(&ada()))).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(body_json(&response)["count"], 0);
}

#[tokio::test]
async fn expired_header_token_returns_401() {
    let stack = TestStack::start().await;
    let expired = TokenClaims {
        expires_in: -120,
        ..ada()
    };
    let response = send(&stack, RequestBuilder::get(OWN_LIST).jwt(&token(&expired))).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        header_of(&response, header::WWW_AUTHENTICATE),
        Some("JWT realm=\"api\"")
    );
    assert_eq!(detail(&response), "Signature has expired.");
}

#[tokio::test]
async fn wrong_audience_returns_401() {
    let stack = TestStack::start().await;
    let claims = TokenClaims {
        audience: "another-service".into(),
        ..ada()
    };
    let response = send(&stack, RequestBuilder::get(OWN_LIST).jwt(&token(&claims))).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(detail(&response), "Invalid token.");
}

#[tokio::test]
async fn missing_audience_returns_401() {
    let stack = TestStack::start().await;
    let mut payload = ada().payload();
    payload.as_object_mut().unwrap().remove("aud");
    let response = send(
        &stack,
        RequestBuilder::get(OWN_LIST).jwt(&sign_hs256(&payload, JWT_SECRET)),
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn unknown_issuer_returns_401() {
    let stack = TestStack::start().await;
    let claims = TokenClaims {
        issuer: "http://127.0.0.1:9/oauth2".into(),
        ..ada()
    };
    let response = send(&stack, RequestBuilder::get(OWN_LIST).jwt(&token(&claims))).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn missing_issued_at_returns_401() {
    let stack = TestStack::start().await;
    let mut payload = ada().payload();
    payload.as_object_mut().unwrap().remove("iat");
    let response = send(
        &stack,
        RequestBuilder::get(OWN_LIST).jwt(&sign_hs256(&payload, JWT_SECRET)),
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn unsigned_token_returns_401() {
    let stack = TestStack::start().await;
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(ada().payload().to_string());
    let unsigned = format!("{header}.{payload}.");
    let response = send(&stack, RequestBuilder::get(OWN_LIST).jwt(&unsigned)).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn wrong_secret_returns_401() {
    let stack = TestStack::start().await;
    let forged = sign_hs256(&ada().payload(), "not-the-lms-secret");
    let response = send(&stack, RequestBuilder::get(OWN_LIST).jwt(&forged)).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn restricted_or_newer_version_token_returns_401() {
    let stack = TestStack::start().await;
    for (claim, value) in [("is_restricted", json!(true)), ("version", json!("2.0.0"))] {
        let mut payload = ada().payload();
        payload[claim] = value;
        let response = send(
            &stack,
            RequestBuilder::get(OWN_LIST).jwt(&sign_hs256(&payload, JWT_SECRET)),
        )
        .await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{claim}");
    }
}

#[tokio::test]
async fn rsa_token_without_jwk_set_returns_401() {
    let stack = TestStack::start().await;
    let signed = sign_rsa(&ada().payload(), Algorithm::RS256);
    let response = send(&stack, RequestBuilder::get(OWN_LIST).jwt(&signed)).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn rsa_tokens_verify_against_jwk_set() {
    let stack = stack_with_jwk_set().await;
    for algorithm in [Algorithm::RS256, Algorithm::RS512] {
        let signed = sign_rsa(&ada().payload(), algorithm);
        let response = send(&stack, RequestBuilder::get(OWN_LIST).jwt(&signed)).await;
        assert_eq!(response.status(), StatusCode::OK, "{algorithm:?}");
    }
}

#[tokio::test]
async fn rs384_token_returns_401() {
    let stack = stack_with_jwk_set().await;
    let signed = sign_rsa(&ada().payload(), Algorithm::RS384);
    let response = send(&stack, RequestBuilder::get(OWN_LIST).jwt(&signed)).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn public_key_used_as_hmac_secret_returns_401() {
    // The classic algorithm confusion: a forger who has the public key signs HS256 with it.
    let stack = stack_with_jwk_set().await;
    let forged = sign_hs256(&ada().payload(), PUBLIC_PEM);
    let response = send(&stack, RequestBuilder::get(OWN_LIST).jwt(&forged)).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(detail(&response), "Invalid token.");
}

#[tokio::test]
async fn empty_jwt_header_returns_401() {
    let stack = TestStack::start().await;
    let response = send(
        &stack,
        RequestBuilder::get(OWN_LIST).header("authorization", "JWT"),
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(detail(&response), "Invalid token.");
}

// JWT from the split cookie pair.

#[tokio::test]
async fn cookie_pair_authenticates() {
    let stack = stack_with_jwk_set().await;
    let signed = sign_rsa(&ada().payload(), Algorithm::RS512);
    let response = send(&stack, RequestBuilder::get(OWN_LIST).jwt_cookies(&signed)).await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn tampered_cookie_half_is_anonymous() {
    let stack = TestStack::start().await;
    let signed = token(&ada());
    let (header_payload, signature) = signed.rsplit_once('.').unwrap();
    let staff_payload = URL_SAFE_NO_PAD.encode(TokenClaims::staff("lrn_ada").payload().to_string());
    let header_part = header_payload.split('.').next().unwrap();
    let cookie = format!(
        "edx-jwt-cookie-header-payload={header_part}.{staff_payload}; edx-jwt-cookie-signature={signature}"
    );
    let response = send(
        &stack,
        RequestBuilder::get(OWN_LIST).header("cookie", &cookie),
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(detail(&response), NOT_PROVIDED);
}

#[tokio::test]
async fn missing_cookie_half_is_anonymous() {
    let stack = TestStack::start().await;
    let signed = token(&ada());
    let (header_payload, signature) = signed.rsplit_once('.').unwrap();
    for cookie in [
        format!("edx-jwt-cookie-header-payload={header_payload}"),
        format!("edx-jwt-cookie-signature={signature}"),
    ] {
        let response = send(
            &stack,
            RequestBuilder::get(OWN_LIST).header("cookie", &cookie),
        )
        .await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{cookie}");
        assert_eq!(detail(&response), NOT_PROVIDED, "{cookie}");
    }
}

#[tokio::test]
async fn expired_cookie_is_anonymous() {
    let stack = TestStack::start().await;
    let expired = token(&TokenClaims {
        expires_in: -120,
        ..ada()
    });
    let response = send(&stack, RequestBuilder::get(OWN_LIST).jwt_cookies(&expired)).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(detail(&response), NOT_PROVIDED);
}

#[tokio::test]
async fn bearer_header_is_anonymous_without_cookie_fallback() {
    let stack = TestStack::start().await;
    let valid = token(&ada());
    let response = send(
        &stack,
        RequestBuilder::get(OWN_LIST)
            .header("authorization", &format!("Bearer {valid}"))
            .jwt_cookies(&valid),
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(detail(&response), NOT_PROVIDED);
}

// CSRF for cookie-authenticated writes. Course certificate configurations need no catalog, so
// they make a small write to try.

fn certificate_body() -> Value {
    json!({
        "course_id": "course-v1:TestX+C1+1T2024", "certificate_type": "verified",
        "certificate_available_date": null, "is_active": true,
    })
}

fn staff_cookie_post(staff_token: &str) -> RequestBuilder {
    RequestBuilder::post("/api/v2/course_certificates/")
        .jwt_cookies(staff_token)
        .header("origin", MFE_ORIGIN)
        .json(&certificate_body())
}

#[tokio::test]
async fn cookie_post_without_csrf_token_returns_403() {
    let stack = TestStack::start().await;
    let staff = token(&TokenClaims::staff("staff_sam"));
    let response = send(&stack, staff_cookie_post(&staff)).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(detail(&response), "CSRF Failed: CSRF token missing.");
}

#[tokio::test]
async fn cookie_post_with_csrf_token_succeeds() {
    let stack = TestStack::start().await;
    let staff = token(&TokenClaims::staff("staff_sam"));
    let csrf = stack.app.csrf.issue("staff_sam", chrono::Utc::now());
    let response = send(
        &stack,
        staff_cookie_post(&staff).header("x-csrftoken", &csrf),
    )
    .await;
    assert_eq!(response.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn csrf_token_of_another_user_returns_403() {
    let stack = TestStack::start().await;
    let staff = token(&TokenClaims::staff("staff_sam"));
    let csrf = stack.app.csrf.issue("lrn_ada", chrono::Utc::now());
    let response = send(
        &stack,
        staff_cookie_post(&staff).header("x-csrftoken", &csrf),
    )
    .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(detail(&response), "CSRF Failed: CSRF token incorrect.");
}

#[tokio::test]
async fn cookie_post_from_foreign_origin_returns_403() {
    let stack = TestStack::start().await;
    let staff = token(&TokenClaims::staff("staff_sam"));
    let csrf = stack.app.csrf.issue("staff_sam", chrono::Utc::now());
    let response = send(
        &stack,
        RequestBuilder::post("/api/v2/course_certificates/")
            .jwt_cookies(&staff)
            .header("origin", "http://127.0.0.1:8666")
            .header("x-csrftoken", &csrf)
            .json(&certificate_body()),
    )
    .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(detail(&response).contains("Origin checking failed"));
}

#[tokio::test]
async fn header_token_post_needs_no_csrf_token() {
    let stack = TestStack::start().await;
    let staff = token(&TokenClaims::staff("staff_sam"));
    let response = send(
        &stack,
        RequestBuilder::post("/api/v2/course_certificates/")
            .jwt(&staff)
            .header("origin", "http://127.0.0.1:8666")
            .json(&certificate_body()),
    )
    .await;
    assert_eq!(response.status(), StatusCode::CREATED);
}

// CORS.

fn preflight(origin: &str) -> RequestBuilder {
    RequestBuilder::new(Method::OPTIONS, "/api/v2/credentials/")
        .header("origin", origin)
        .header("access-control-request-method", "GET")
        .header(
            "access-control-request-headers",
            "use-jwt-cookie,x-csrftoken,content-type,authorization",
        )
}

#[tokio::test]
async fn preflight_from_allowed_origin_is_allowed() {
    let stack = TestStack::start().await;
    let response = send(&stack, preflight(MFE_ORIGIN)).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        header_of(&response, header::ACCESS_CONTROL_ALLOW_ORIGIN),
        Some(MFE_ORIGIN)
    );
    assert_eq!(
        header_of(&response, header::ACCESS_CONTROL_ALLOW_CREDENTIALS),
        Some("true")
    );
    let allowed = header_of(&response, header::ACCESS_CONTROL_ALLOW_HEADERS).unwrap_or_default();
    for name in [
        "use-jwt-cookie",
        "x-csrftoken",
        "content-type",
        "authorization",
    ] {
        assert!(allowed.contains(name), "{name} missing from {allowed}");
    }
}

#[tokio::test]
async fn preflight_from_foreign_origin_gets_no_cors_headers() {
    let stack = TestStack::start().await;
    let response = send(&stack, preflight("http://127.0.0.1:8666")).await;
    assert_eq!(
        header_of(&response, header::ACCESS_CONTROL_ALLOW_ORIGIN),
        None
    );
    assert_eq!(
        header_of(&response, header::ACCESS_CONTROL_ALLOW_CREDENTIALS),
        None
    );
    assert_eq!(
        header_of(&response, header::ACCESS_CONTROL_ALLOW_HEADERS),
        None
    );
}

#[tokio::test]
async fn response_to_allowed_origin_echoes_it() {
    let stack = TestStack::start().await;
    let response = send(
        &stack,
        RequestBuilder::get(OWN_LIST)
            .jwt(&token(&ada()))
            .header("origin", MFE_ORIGIN),
    )
    .await;
    assert_eq!(
        header_of(&response, header::ACCESS_CONTROL_ALLOW_ORIGIN),
        Some(MFE_ORIGIN)
    );
    assert_eq!(
        header_of(&response, header::ACCESS_CONTROL_ALLOW_CREDENTIALS),
        Some("true")
    );
}

#[tokio::test]
async fn wildcard_origin_setting_never_allows_credentials() {
    let stack =
        TestStack::start_with(|config| config.cors_allowed_origins = vec!["*".into()]).await;
    for origin in ["*", MFE_ORIGIN] {
        let response = send(&stack, preflight(origin)).await;
        assert_eq!(
            header_of(&response, header::ACCESS_CONTROL_ALLOW_ORIGIN),
            None,
            "{origin}"
        );
        assert_eq!(
            header_of(&response, header::ACCESS_CONTROL_ALLOW_CREDENTIALS),
            None,
            "{origin}"
        );
    }
}

// Bodies.

#[tokio::test]
async fn oversized_body_returns_413() {
    let stack = TestStack::start_with(|config| config.max_body_bytes = 1024).await;
    let staff = token(&TokenClaims::staff("staff_sam"));
    let response = send(
        &stack,
        RequestBuilder::post("/api/v2/course_certificates/")
            .jwt(&staff)
            .header("content-type", "application/json")
            .body(Body::Text(format!(
                "{{\"padding\": \"{}\"}}",
                "x".repeat(2000)
            ))),
    )
    .await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn malformed_json_returns_400() {
    let stack = TestStack::start().await;
    let staff = token(&TokenClaims::staff("staff_sam"));
    let response = send(
        &stack,
        RequestBuilder::post("/api/v2/course_certificates/")
            .jwt(&staff)
            .header("content-type", "application/json")
            .body(Body::Text("{\"course_id\": ".into())),
    )
    .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(detail(&response).starts_with("JSON parse error"));
}

#[tokio::test]
async fn json_array_body_returns_400() {
    let stack = TestStack::start().await;
    let staff = token(&TokenClaims::staff("staff_sam"));
    let response = send(
        &stack,
        RequestBuilder::post("/api/v2/course_certificates/")
            .jwt(&staff)
            .json(&json!([certificate_body()])),
    )
    .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(body_json(&response).get("non_field_errors").is_some());
}
