//! Request bodies: the size limit, and parsing JSON or form-encoded bodies into one JSON object,
//! so handlers read fields the same way whichever encoding the client used. The LMS posts grades
//! form-encoded (`verified=True`, `percent_grade=0.85`) and everything else as JSON.

use lambda_http::Body;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::{ApiError, Request, header_value};

/// Rejects a body larger than `limit` bytes with 413.
pub fn check_size(request: &Request, limit: usize) -> Result<(), ApiError> {
    let declared =
        header_value(request, "content-length").and_then(|v| v.trim().parse::<usize>().ok());
    let actual = body_bytes(request).len();
    if actual > limit || declared.is_some_and(|length| length > limit) {
        return Err(ApiError::PayloadTooLarge { limit });
    }
    Ok(())
}

pub fn body_bytes(request: &Request) -> &[u8] {
    match request.body() {
        Body::Empty => &[],
        Body::Text(text) => text.as_bytes(),
        Body::Binary(bytes) => bytes,
        _ => &[],
    }
}

/// Parses the body as a JSON object or a form. An empty body is an empty object; fields that
/// are required are then reported missing by the handler. A form value is a JSON string, and a
/// field repeated in a form keeps its last value, as Django's `QueryDict` does.
pub fn parse_object(request: &Request) -> Result<Map<String, Value>, ApiError> {
    let bytes = body_bytes(request);
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }

    let content_type = header_value(request, "content-type")
        .unwrap_or_default()
        .to_ascii_lowercase();
    let media = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_owned();
    match media.as_str() {
        "application/x-www-form-urlencoded" => {
            let pairs: Vec<(String, String)> =
                serde_urlencoded::from_bytes(bytes).map_err(|e| {
                    ApiError::Invalid(
                        serde_json::json!({"detail": format!("Malformed form body: {e}")}),
                    )
                })?;
            Ok(pairs
                .into_iter()
                .map(|(key, value)| (key, Value::String(value)))
                .collect())
        }
        "application/json" | "" | "text/plain" => match serde_json::from_slice::<Value>(bytes) {
            Ok(Value::Object(map)) => Ok(map),
            Ok(_) => Err(ApiError::Invalid(
                serde_json::json!({"non_field_errors": ["Invalid data. Expected a dictionary."]}),
            )),
            Err(error) => Err(ApiError::Invalid(serde_json::json!({
                "detail": format!("JSON parse error - {error}")
            }))),
        },
        other => Err(ApiError::UnsupportedMediaType(other.to_owned())),
    }
}

/// Parses the body into a typed value. A missing or mistyped field is a 400 naming it.
pub fn parse<T: DeserializeOwned>(request: &Request) -> Result<T, ApiError> {
    let object = parse_object(request)?;
    from_object(object)
}

/// Converts a parsed body into a typed value, naming the failing field in the 400.
pub fn from_object<T: DeserializeOwned>(object: Map<String, Value>) -> Result<T, ApiError> {
    serde_json::from_value(Value::Object(object)).map_err(|error| {
        let message = error.to_string();
        let field = message
            .split('`')
            .nth(1)
            .filter(|_| {
                message.starts_with("missing field") || message.starts_with("unknown field")
            })
            .unwrap_or("non_field_errors")
            .to_owned();
        let text = if message.starts_with("missing field") {
            "This field is required.".to_owned()
        } else {
            message
        };
        ApiError::invalid_field(&field, text)
    })
}

/// Reads a boolean as Django's form fields do: JSON `true`/`false`, or the text `True`,
/// `true`, `1`, `False`, `false`, `0`.
pub fn boolean(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(flag) => Some(*flag),
        Value::String(text) => match text.trim() {
            "True" | "true" | "1" | "on" => Some(true),
            "False" | "false" | "0" | "off" | "" => Some(false),
            _ => None,
        },
        Value::Number(number) => number.as_i64().map(|n| n != 0),
        _ => None,
    }
}
