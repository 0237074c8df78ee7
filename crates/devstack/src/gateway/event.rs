//! Conversions between plain HTTP and the events and responses of a Lambda function behind an
//! API Gateway HTTP API (payload format 2.0).
//!
//! Both gateway modes share this: invoke mode sends the event JSON to `cargo lambda watch`, and
//! in-process mode deserializes the same JSON with lambda_http's own event type before calling
//! the handler. A request therefore reaches a handler in the same shape in both modes and on
//! AWS, and a test of one conversion covers the other.

use std::net::IpAddr;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{DateTime, Utc};
use http::header::{CONTENT_TYPE, COOKIE, HOST, SET_COOKIE};
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use lambda_http::aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use lambda_http::request::LambdaRequest;
use lambda_http::{Body, IntoResponse, RequestExt};
use serde_json::{Map, Value, json};

use crate::routes::RouteMatch;

/// The account id in the events, the one AWS documentation uses in its samples.
const ACCOUNT_ID: &str = "123456789012";

/// An HTTP request as the gateway received it.
#[derive(Debug, Clone)]
pub struct IncomingRequest {
    pub method: Method,
    /// Path and query string as the client sent them, still percent-encoded.
    pub uri: Uri,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    pub source_ip: IpAddr,
}

/// An HTTP response to send back to the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl GatewayResponse {
    /// Builds a JSON `{"message": …}` response, the shape API Gateway uses for its own errors.
    pub fn message(status: StatusCode, message: &str) -> Self {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        Self {
            status,
            headers,
            body: json!({ "message": message }).to_string().into_bytes(),
        }
    }

    /// Builds API Gateway's response when no route matches.
    pub fn not_found() -> Self {
        Self::message(StatusCode::NOT_FOUND, "Not Found")
    }

    /// Builds API Gateway's response when the function fails or returns something it cannot
    /// read.
    pub fn internal_error() -> Self {
        Self::message(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
    }
}

/// A failure to turn a function's response into an HTTP response.
#[derive(Debug, thiserror::Error)]
pub enum ResponseError {
    #[error("the function failed: {error_type}: {message}")]
    Function { error_type: String, message: String },
    #[error("the function's response is not JSON: {0}")]
    NotJson(serde_json::Error),
    #[error("the function's response is malformed: {0}")]
    Malformed(String),
}

/// Returns whether a body with this `Content-Type` travels as text. The list follows
/// lambda_http's own for responses, plus form bodies, which the LMS posts and which are ASCII.
pub fn is_text_content_type(content_type: &str) -> bool {
    let media = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    media.starts_with("text/")
        || matches!(
            media.as_str(),
            "application/json"
                | "application/javascript"
                | "application/xml"
                | "application/yaml"
                | "application/x-www-form-urlencoded"
        )
        || ["+json", "+xml", "+yaml"]
            .iter()
            .any(|suffix| media.ends_with(suffix))
}

/// Builds the header map of the event: lower-case names, repeated headers joined with commas, no
/// `Cookie` (cookies travel in their own list), and the `X-Forwarded-*` headers API Gateway
/// adds. `Host` is kept as the client sent it, because lambda_http builds the request URI from
/// it; a request without one gets `127.0.0.1:<port>`.
fn event_headers(request: &IncomingRequest, local_port: u16) -> Map<String, Value> {
    let mut headers = Map::new();
    for name in request.headers.keys() {
        if name == COOKIE {
            continue;
        }
        let joined = request
            .headers
            .get_all(name)
            .iter()
            .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
            .collect::<Vec<_>>()
            .join(",");
        headers.insert(name.as_str().to_owned(), Value::String(joined));
    }

    if !headers.contains_key(HOST.as_str()) {
        headers.insert(
            HOST.as_str().to_owned(),
            Value::String(format!("127.0.0.1:{local_port}")),
        );
    }
    let forwarded_for = match headers.get("x-forwarded-for").and_then(Value::as_str) {
        Some(earlier) => format!("{earlier}, {}", request.source_ip),
        None => request.source_ip.to_string(),
    };
    headers.insert("x-forwarded-for".to_owned(), Value::String(forwarded_for));
    headers.insert(
        "x-forwarded-port".to_owned(),
        Value::String(local_port.to_string()),
    );
    // lambda_http assumes https when this header is missing.
    headers.insert(
        "x-forwarded-proto".to_owned(),
        Value::String("http".to_owned()),
    );
    headers
}

fn event_cookies(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .map(str::trim)
        .filter(|cookie| !cookie.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Decoded query parameters; a repeated name gets its values joined with commas, as API
/// Gateway does. Handlers read the raw query string instead, which keeps every value apart.
fn query_parameters(raw_query: &str) -> Map<String, Value> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw_query).unwrap_or_default();
    let mut parameters = Map::new();
    for (name, value) in pairs {
        match parameters.get_mut(&name) {
            Some(Value::String(existing)) => {
                existing.push(',');
                existing.push_str(&value);
            }
            _ => {
                parameters.insert(name, Value::String(value));
            }
        }
    }
    parameters
}

/// Builds the API Gateway HTTP API event (payload format 2.0) for a request matched to a route.
pub fn api_gateway_event(
    request: &IncomingRequest,
    matched: &RouteMatch<'_>,
    local_port: u16,
    request_id: &str,
    now: DateTime<Utc>,
) -> Value {
    let raw_path = request.uri.path();
    let raw_query = request.uri.query().unwrap_or_default();
    let headers = event_headers(request, local_port);
    let route_key = matched.route.route_key();
    let host = headers
        .get(HOST.as_str())
        .and_then(Value::as_str)
        .unwrap_or_default();
    let domain_name = host.split(':').next().unwrap_or_default().to_owned();
    let domain_prefix = domain_name.split('.').next().unwrap_or_default().to_owned();
    let user_agent = request
        .headers
        .get(http::header::USER_AGENT)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();

    let mut event = json!({
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": raw_path,
        "rawQueryString": raw_query,
        "headers": headers,
        "requestContext": {
            "accountId": ACCOUNT_ID,
            "apiId": "local",
            "domainName": domain_name,
            "domainPrefix": domain_prefix,
            "http": {
                "method": request.method.as_str(),
                "path": raw_path,
                "protocol": "HTTP/1.1",
                "sourceIp": request.source_ip.to_string(),
                "userAgent": user_agent,
            },
            "requestId": request_id,
            "routeKey": route_key,
            "stage": "$default",
            "time": now.format("%d/%b/%Y:%H:%M:%S %z").to_string(),
            "timeEpoch": now.timestamp_millis(),
        },
        "isBase64Encoded": false,
    });

    let cookies = event_cookies(&request.headers);
    if !cookies.is_empty() {
        event["cookies"] = json!(cookies);
    }
    let query = query_parameters(raw_query);
    if !query.is_empty() {
        event["queryStringParameters"] = Value::Object(query);
    }
    if !matched.path_parameters.is_empty() {
        event["pathParameters"] = json!(matched.path_parameters);
    }

    if !request.body.is_empty() {
        let content_type = request
            .headers
            .get(CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default();
        match std::str::from_utf8(&request.body) {
            Ok(text) if is_text_content_type(content_type) => {
                event["body"] = Value::String(text.to_owned());
            }
            _ => {
                event["body"] = Value::String(BASE64.encode(&request.body));
                event["isBase64Encoded"] = Value::Bool(true);
            }
        }
    }
    event
}

/// Turns an event into the request a handler receives, exactly as the Lambda runtime does. It
/// uses lambda_http's event type and its conversion to `http::Request`, and adds a Lambda
/// context with the request id.
pub fn lambda_request(event: &Value) -> Result<lambda_http::Request, serde_json::Error> {
    let payload: ApiGatewayV2httpRequest = serde_json::from_value(event.clone())?;
    let request_id = payload.request_context.request_id.clone();
    let request: lambda_http::Request = LambdaRequest::ApiGatewayV2(payload).into();
    let mut context = lambda_http::Context::default();
    context.request_id = request_id.unwrap_or_default();
    Ok(request.with_lambda_context(context))
}

/// Serializes a handler's response the way lambda_http does on Lambda for an HTTP API event.
/// The body is converted by content type and `Set-Cookie` moves to `cookies`. Each header name
/// keeps one value, because lambda_http 1.3 serializes only the first value of a repeated
/// header.
pub async fn lambda_response_payload(response: lambda_http::Response<Body>) -> Value {
    let response = response.into_response().await;
    let (parts, body) = response.into_parts();
    let (is_base64_encoded, body) = match body {
        Body::Empty => (false, None),
        body @ Body::Text(_) => (false, Some(body)),
        body @ Body::Binary(_) => (true, Some(body)),
        _ => (false, None),
    };

    let mut headers = parts.headers;
    let cookies = headers
        .get_all(SET_COOKIE)
        .iter()
        .map(|value| value.to_str().unwrap_or_default().to_owned())
        .collect();
    headers.remove(SET_COOKIE);

    let mut payload = ApiGatewayV2httpResponse::default();
    payload.status_code = i64::from(parts.status.as_u16());
    payload.headers = headers;
    payload.body = body;
    payload.is_base64_encoded = is_base64_encoded;
    payload.cookies = cookies;
    serde_json::to_value(&payload).unwrap_or(Value::Null)
}

fn header_pair(name: &str, value: &str) -> Result<(HeaderName, HeaderValue), ResponseError> {
    let name = HeaderName::from_bytes(name.as_bytes())
        .map_err(|_| ResponseError::Malformed(format!("invalid header name {name:?}")))?;
    let value = HeaderValue::from_str(value)
        .map_err(|_| ResponseError::Malformed(format!("invalid value for header {name}")))?;
    Ok((name, value))
}

fn string_list(value: &Value) -> Vec<&str> {
    match value {
        Value::String(text) => vec![text.as_str()],
        Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// Turns a function's response payload into the HTTP response API Gateway would send. A JSON
/// payload without `statusCode` is, as on API Gateway, a 200 with that JSON as the body.
pub fn http_response(payload: &[u8]) -> Result<GatewayResponse, ResponseError> {
    let value: Value = serde_json::from_slice(payload).map_err(ResponseError::NotJson)?;
    let Some(object) = value.as_object().filter(|o| o.contains_key("statusCode")) else {
        if let (Some(error_type), Some(message)) = (
            value.get("errorType").and_then(Value::as_str),
            value.get("errorMessage").and_then(Value::as_str),
        ) {
            return Err(ResponseError::Function {
                error_type: error_type.to_owned(),
                message: message.to_owned(),
            });
        }
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        return Ok(GatewayResponse {
            status: StatusCode::OK,
            headers,
            body: payload.to_vec(),
        });
    };

    let status = object
        .get("statusCode")
        .and_then(Value::as_u64)
        .and_then(|code| u16::try_from(code).ok())
        .and_then(|code| StatusCode::from_u16(code).ok())
        .ok_or_else(|| {
            ResponseError::Malformed(format!("statusCode {} is invalid", object["statusCode"]))
        })?;

    let mut headers = HeaderMap::new();
    if let Some(map) = object.get("headers").and_then(Value::as_object) {
        for (name, value) in map {
            for text in string_list(value) {
                let (name, value) = header_pair(name, text)?;
                headers.append(name, value);
            }
        }
    }
    if let Some(map) = object.get("multiValueHeaders").and_then(Value::as_object) {
        for (name, values) in map {
            for text in string_list(values) {
                let (name, value) = header_pair(name, text)?;
                if !headers.get_all(&name).iter().any(|seen| seen == value) {
                    headers.append(name, value);
                }
            }
        }
    }
    if let Some(cookies) = object.get("cookies") {
        for cookie in string_list(cookies) {
            let (name, value) = header_pair(SET_COOKIE.as_str(), cookie)?;
            headers.append(name, value);
        }
    }

    let text = object
        .get("body")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let base64 = object
        .get("isBase64Encoded")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let body = if base64 {
        BASE64
            .decode(text)
            .map_err(|e| ResponseError::Malformed(format!("body is not valid base64: {e}")))?
    } else {
        text.as_bytes().to_vec()
    };
    Ok(GatewayResponse {
        status,
        headers,
        body,
    })
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use super::*;
    use crate::routes::RouteTable;

    const PORT: u16 = 3000;
    const PROGRAM: &str = "927093e346ba4f44a8610f8c7aec4f74";

    fn incoming(
        method: Method,
        uri: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> IncomingRequest {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.append(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        IncomingRequest {
            method,
            uri: uri.parse().unwrap(),
            headers: map,
            body: body.to_vec(),
            source_ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
        }
    }

    fn event_for(request: &IncomingRequest) -> Value {
        let table = RouteTable::builtin().unwrap();
        let matched = table
            .find(request.method.as_str(), request.uri.path())
            .unwrap();
        api_gateway_event(request, &matched, PORT, "req-1", Utc::now())
    }

    fn record_request() -> IncomingRequest {
        incoming(
            Method::GET,
            &format!("/records/api/v1/program_records/{PROGRAM}/?is_public=false&x=a%20b&x=c"),
            &[
                ("host", "127.0.0.1:3000"),
                (
                    "cookie",
                    "edx-jwt-cookie-header-payload=aaa.bbb; edx-jwt-cookie-signature=ccc",
                ),
                ("cookie", "csrftoken=ddd"),
                ("use-jwt-cookie", "true"),
                ("accept", "application/json"),
                ("accept", "text/plain"),
            ],
            b"",
        )
    }

    fn grade_request() -> IncomingRequest {
        incoming(
            Method::POST,
            "/api/v2/grades/",
            &[
                ("host", "127.0.0.1:3000"),
                ("content-type", "application/x-www-form-urlencoded"),
                ("authorization", "JWT abc"),
            ],
            b"username=ana&course_run=course-v1%3AMITx%2B6.002.1x%2B2T2019&percent_grade=0.92&verified=True",
        )
    }

    fn binary_request() -> IncomingRequest {
        incoming(
            Method::POST,
            &format!("/records/programs/{PROGRAM}/share"),
            &[
                ("host", "127.0.0.1:3000"),
                ("content-type", "application/octet-stream"),
            ],
            &[0, 159, 146, 150, 255],
        )
    }

    #[test]
    fn event_deserializes_as_http_api_request() {
        let event = event_for(&record_request());
        let parsed: LambdaRequest = serde_json::from_value(event).unwrap();
        assert!(matches!(parsed, LambdaRequest::ApiGatewayV2(_)));
    }

    #[test]
    fn event_carries_route_and_raw_path() {
        let event = event_for(&record_request());
        assert_eq!(
            event["routeKey"],
            "ANY /records/api/v1/program_records/{id}/"
        );
        assert_eq!(
            event["rawPath"],
            format!("/records/api/v1/program_records/{PROGRAM}/")
        );
        assert_eq!(event["rawQueryString"], "is_public=false&x=a%20b&x=c");
        assert_eq!(event["pathParameters"]["id"], PROGRAM);
    }

    #[test]
    fn event_query_parameters_join_repeats() {
        let event = event_for(&record_request());
        assert_eq!(event["queryStringParameters"]["x"], "a b,c");
        assert_eq!(event["queryStringParameters"]["is_public"], "false");
    }

    #[test]
    fn event_moves_cookies_out_of_headers() {
        let event = event_for(&record_request());
        assert_eq!(
            event["cookies"],
            json!([
                "edx-jwt-cookie-header-payload=aaa.bbb",
                "edx-jwt-cookie-signature=ccc",
                "csrftoken=ddd"
            ])
        );
        assert!(event["headers"].get("cookie").is_none());
    }

    #[test]
    fn event_joins_repeated_headers() {
        let event = event_for(&record_request());
        assert_eq!(event["headers"]["accept"], "application/json,text/plain");
    }

    #[test]
    fn event_request_context_names_method_and_source() {
        let event = event_for(&grade_request());
        assert_eq!(event["requestContext"]["http"]["method"], "POST");
        assert_eq!(event["requestContext"]["http"]["path"], "/api/v2/grades/");
        assert_eq!(event["requestContext"]["http"]["sourceIp"], "127.0.0.1");
        assert_eq!(event["requestContext"]["stage"], "$default");
    }

    #[test]
    fn form_body_travels_as_text() {
        let event = event_for(&grade_request());
        assert_eq!(event["isBase64Encoded"], false);
        assert!(event["body"].as_str().unwrap().starts_with("username=ana&"));
    }

    #[test]
    fn binary_body_travels_as_base64() {
        let event = event_for(&binary_request());
        assert_eq!(event["isBase64Encoded"], true);
        assert_eq!(event["body"], BASE64.encode([0, 159, 146, 150, 255]));
    }

    #[test]
    fn empty_body_is_left_out() {
        let event = event_for(&record_request());
        assert!(event.get("body").is_none());
    }

    #[test]
    fn lambda_request_has_full_uri() {
        let request = lambda_request(&event_for(&record_request())).unwrap();
        assert_eq!(
            request.uri().to_string(),
            format!(
                "http://127.0.0.1:3000/records/api/v1/program_records/{PROGRAM}/?is_public=false&x=a%20b&x=c"
            )
        );
    }

    #[test]
    fn lambda_request_without_host_uses_the_gateway_address() {
        let mut request = record_request();
        request.headers.remove(HOST);
        let converted = lambda_request(&event_for(&request)).unwrap();
        assert_eq!(
            converted.uri().authority().unwrap().as_str(),
            "127.0.0.1:3000"
        );
    }

    #[test]
    fn lambda_request_keeps_method_and_headers() {
        let request = lambda_request(&event_for(&grade_request())).unwrap();
        assert_eq!(request.method(), Method::POST);
        assert_eq!(request.headers()["authorization"], "JWT abc");
        assert_eq!(
            request.headers()["content-type"],
            "application/x-www-form-urlencoded"
        );
    }

    #[test]
    fn lambda_request_joins_cookies_into_one_header() {
        let request = lambda_request(&event_for(&record_request())).unwrap();
        assert_eq!(
            request.headers()[COOKIE],
            "edx-jwt-cookie-header-payload=aaa.bbb; edx-jwt-cookie-signature=ccc; csrftoken=ddd"
        );
    }

    #[test]
    fn lambda_request_has_text_body_for_forms() {
        let request = lambda_request(&event_for(&grade_request())).unwrap();
        assert!(matches!(request.body(), Body::Text(text) if text.contains("percent_grade=0.92")));
    }

    #[test]
    fn lambda_request_has_binary_body_for_octets() {
        let request = lambda_request(&event_for(&binary_request())).unwrap();
        assert!(matches!(request.body(), Body::Binary(bytes) if bytes == &[0, 159, 146, 150, 255]));
    }

    #[test]
    fn lambda_request_carries_path_parameters() {
        let request = lambda_request(&event_for(&record_request())).unwrap();
        assert_eq!(request.path_parameters().first("id"), Some(PROGRAM));
    }

    #[test]
    fn lambda_request_carries_request_id() {
        let request = lambda_request(&event_for(&record_request())).unwrap();
        assert_eq!(request.lambda_context().request_id, "req-1");
    }

    #[test]
    fn content_types_split_into_text_and_binary() {
        for text in [
            "application/json",
            "application/json; charset=utf-8",
            "text/csv",
            "application/x-www-form-urlencoded",
            "application/problem+json",
        ] {
            assert!(is_text_content_type(text), "{text}");
        }
        for binary in [
            "",
            "application/octet-stream",
            "image/png",
            "multipart/form-data",
        ] {
            assert!(!is_text_content_type(binary), "{binary}");
        }
    }

    async fn round_trip(response: lambda_http::Response<Body>) -> GatewayResponse {
        let payload = lambda_response_payload(response).await;
        http_response(payload.to_string().as_bytes()).unwrap()
    }

    #[tokio::test]
    async fn response_keeps_status_headers_and_text_body() {
        let response = http::Response::builder()
            .status(201)
            .header("content-type", "application/json")
            .header("location", "/x")
            .body(Body::from(r#"{"url":"http://127.0.0.1:3000/x"}"#))
            .unwrap();
        let converted = round_trip(response).await;
        assert_eq!(converted.status, StatusCode::CREATED);
        assert_eq!(converted.headers["location"], "/x");
        assert_eq!(converted.body, br#"{"url":"http://127.0.0.1:3000/x"}"#);
    }

    #[tokio::test]
    async fn response_turns_cookies_into_set_cookie_headers() {
        let response = http::Response::builder()
            .header("set-cookie", "csrftoken=a; Path=/")
            .header("set-cookie", "other=b; Path=/")
            .body(Body::Empty)
            .unwrap();
        let converted = round_trip(response).await;
        let cookies: Vec<&str> = converted
            .headers
            .get_all(SET_COOKIE)
            .iter()
            .map(|value| value.to_str().unwrap())
            .collect();
        assert_eq!(cookies, ["csrftoken=a; Path=/", "other=b; Path=/"]);
    }

    #[tokio::test]
    async fn response_keeps_binary_bodies_intact() {
        let bytes = vec![0_u8, 1, 2, 254, 255];
        let response = http::Response::builder()
            .header("content-type", "application/octet-stream")
            .body(Body::from(bytes.clone()))
            .unwrap();
        let converted = round_trip(response).await;
        assert_eq!(converted.body, bytes);
    }

    #[tokio::test]
    async fn response_keeps_csv_bytes() {
        let csv = "Program Name,Grade\r\n\"Circuits, Part 1\",0.92\r\n";
        let response = http::Response::builder()
            .header("content-type", "text/csv")
            .header("content-disposition", "attachment; filename=\"record.csv\"")
            .body(Body::from(csv))
            .unwrap();
        let converted = round_trip(response).await;
        assert_eq!(converted.body, csv.as_bytes());
    }

    #[test]
    fn payload_with_multi_value_headers_keeps_every_value() {
        let payload = json!({
            "statusCode": 200,
            "headers": {"vary": "origin"},
            "multiValueHeaders": {"vary": ["origin", "cookie"]},
            "cookies": [],
            "body": "ok",
        });
        let converted = http_response(payload.to_string().as_bytes()).unwrap();
        let vary: Vec<&str> = converted
            .headers
            .get_all("vary")
            .iter()
            .map(|value| value.to_str().unwrap())
            .collect();
        assert_eq!(vary, ["origin", "cookie"]);
    }

    #[test]
    fn payload_without_status_code_is_a_json_200() {
        let converted = http_response(br#"{"hello":"world"}"#).unwrap();
        assert_eq!(converted.status, StatusCode::OK);
        assert_eq!(converted.headers[CONTENT_TYPE], "application/json");
        assert_eq!(converted.body, br#"{"hello":"world"}"#);
    }

    #[test]
    fn function_error_payload_is_an_error() {
        let error = http_response(br#"{"errorType":"Panic","errorMessage":"boom"}"#).unwrap_err();
        assert!(matches!(error, ResponseError::Function { .. }), "{error}");
    }

    #[test]
    fn payload_that_is_not_json_is_an_error() {
        assert!(matches!(
            http_response(b"<html>").unwrap_err(),
            ResponseError::NotJson(_)
        ));
    }

    #[test]
    fn invalid_status_code_is_an_error() {
        assert!(matches!(
            http_response(br#"{"statusCode": 42}"#).unwrap_err(),
            ResponseError::Malformed(_)
        ));
    }
}
