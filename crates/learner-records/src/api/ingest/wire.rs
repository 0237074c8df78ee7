//! The wire conventions of the Credentials API v2, shared by its resources: DRF's timestamp
//! format, the datetime texts the LMS sends, DRF-shaped validation errors that name every failing
//! field at once, and DRF's page envelope.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::config::Config;
use crate::http::{ApiError, Request, query_pairs};

/// DRF's `DATETIME_FORMAT` in the Credentials service: second precision and a literal `Z`.
pub fn timestamp(value: &DateTime<Utc>) -> String {
    value.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Parses a datetime as Django's `parse_datetime` reads it: ISO 8601 with `T` or a space between
/// date and time, optional seconds and fraction, and an optional offset (`Z`, `+00:00`, `+0000`).
/// A datetime without an offset is UTC, the service's time zone.
pub fn parse_datetime(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    let normalised = match text.char_indices().nth(10) {
        Some((10, ' ')) => format!("{}T{}", &text[..10], &text[11..]),
        _ => text.to_owned(),
    };
    if let Ok(parsed) = DateTime::parse_from_rfc3339(&normalised) {
        return Some(parsed.with_timezone(&Utc));
    }
    let with_offset = ["%Y-%m-%dT%H:%M:%S%.f%#z", "%Y-%m-%dT%H:%M%#z"];
    if let Some(parsed) = with_offset
        .iter()
        .find_map(|format| DateTime::parse_from_str(&normalised, format).ok())
    {
        return Some(parsed.with_timezone(&Utc));
    }
    let naive = ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"];
    naive
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(&normalised, format).ok())
        .map(|parsed| parsed.and_utc())
}

/// DRF's message for a datetime it cannot parse.
pub const DATETIME_FORMAT_MESSAGE: &str = "Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].";

/// Validation errors collected across fields, reported together as DRF does:
/// `{"field": ["message"], "other": {"nested": "message"}}`.
#[derive(Debug, Default)]
pub struct FieldErrors(Map<String, Value>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a message to a field's list.
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        let entry = self
            .0
            .entry(field.to_owned())
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(messages) = entry {
            messages.push(Value::String(message.into()));
        }
    }

    /// Sets a field's error to a structured value, such as `{"course_run_key": "…"}`.
    pub fn set(&mut self, field: &str, value: Value) {
        self.0.insert(field.to_owned(), value);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok(())` when no field failed, else the 400 naming every failing field.
    pub fn into_result(self) -> Result<(), ApiError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Invalid(Value::Object(self.0)))
        }
    }
}

pub const REQUIRED: &str = "This field is required.";

/// Reads a required string field. Missing, null or not a string is an error on that field.
pub fn required_text<'a>(
    body: &'a Map<String, Value>,
    field: &str,
    errors: &mut FieldErrors,
) -> Option<&'a str> {
    match body.get(field) {
        None => {
            errors.add(field, REQUIRED);
            None
        }
        Some(Value::Null) => {
            errors.add(field, "This field may not be null.");
            None
        }
        Some(Value::String(text)) => Some(text),
        Some(_) => {
            errors.add(field, "Not a valid string.");
            None
        }
    }
}

/// Reads an optional datetime field: `None` when absent, `Some(None)` for null or an empty
/// string, which clears the stored value.
pub fn optional_datetime(
    body: &Map<String, Value>,
    field: &str,
    errors: &mut FieldErrors,
) -> Option<Option<DateTime<Utc>>> {
    match body.get(field)? {
        Value::Null => Some(None),
        Value::String(text) if text.trim().is_empty() => Some(None),
        Value::String(text) => match parse_datetime(text) {
            Some(parsed) => Some(Some(parsed)),
            None => {
                errors.add(field, DATETIME_FORMAT_MESSAGE);
                None
            }
        },
        _ => {
            errors.add(field, DATETIME_FORMAT_MESSAGE);
            None
        }
    }
}

/// Reads an optional boolean field as Django's form fields do (`True`, `false`, `1`, …).
pub fn optional_boolean(
    body: &Map<String, Value>,
    field: &str,
    errors: &mut FieldErrors,
) -> Option<bool> {
    let value = body.get(field)?;
    let parsed = crate::http::body::boolean(value);
    if parsed.is_none() {
        errors.add(field, "Must be a valid boolean.");
    }
    parsed
}

/// DRF's page size for the Credentials API.
pub const PAGE_SIZE: usize = 20;

/// DRF's `PageNumberPagination` envelope.
#[derive(Debug, Serialize)]
pub struct Page<T> {
    pub count: usize,
    pub next: Option<String>,
    pub previous: Option<String>,
    pub results: Vec<T>,
}

/// Cuts one page out of `items` by the request's `page` parameter (1 when absent, `last` for
/// the last page). A page number that is not a positive integer, or lies past the last page, is
/// DRF's 404 `{"detail": "Invalid page."}`. Page 1 of an empty list is a valid empty page.
/// `next` and `previous` are absolute URLs on the public base URL, and they keep the other query
/// parameters in sorted order as DRF does.
pub fn paginate<T>(config: &Config, request: &Request, items: Vec<T>) -> Result<Page<T>, ApiError> {
    let invalid_page = || ApiError::NotFound(json!({"detail": "Invalid page."}));
    let pairs = query_pairs(request);
    let number = match pairs.iter().find(|(name, _)| name == "page") {
        None => 1,
        Some((_, text)) if text == "last" => items.len().div_ceil(PAGE_SIZE).max(1),
        Some((_, text)) => text
            .parse::<usize>()
            .ok()
            .filter(|n| *n >= 1)
            .ok_or_else(invalid_page)?,
    };
    let count = items.len();
    let pages = count.div_ceil(PAGE_SIZE).max(1);
    if number > pages {
        return Err(invalid_page());
    }

    let link = |page: Option<usize>| {
        let mut query: Vec<(String, String)> = pairs
            .iter()
            .filter(|(name, _)| name != "page")
            .cloned()
            .collect();
        if let Some(page) = page {
            query.push(("page".to_owned(), page.to_string()));
        }
        query.sort_by(|a, b| a.0.cmp(&b.0));
        let path = config.public_url(request.uri().path());
        match serde_urlencoded::to_string(&query) {
            Ok(encoded) if !encoded.is_empty() => format!("{path}?{encoded}"),
            _ => path,
        }
    };
    let next = (number < pages).then(|| link(Some(number + 1)));
    // DRF's link to page 1 drops the `page` parameter.
    let previous = match number {
        1 => None,
        2 => Some(link(None)),
        n => Some(link(Some(n - 1))),
    };
    let results = items
        .into_iter()
        .skip((number - 1) * PAGE_SIZE)
        .take(PAGE_SIZE)
        .collect();
    Ok(Page {
        count,
        next,
        previous,
        results,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn datetime_accepts_the_lms_forms() {
        let cases = [
            (
                "2024-03-01T12:00:00.123456+00:00",
                "2024-03-01T12:00:00.123456Z",
            ),
            (
                "2024-03-01 12:00:00.123456+00:00",
                "2024-03-01T12:00:00.123456Z",
            ),
            ("2024-03-01 12:00:00+00:00", "2024-03-01T12:00:00Z"),
            ("2024-03-01T12:00:00Z", "2024-03-01T12:00:00Z"),
            ("2024-03-01T14:00:00+02:00", "2024-03-01T12:00:00Z"),
            ("2024-03-01T12:00:00+0000", "2024-03-01T12:00:00Z"),
            ("2024-03-01T12:00", "2024-03-01T12:00:00Z"),
            ("2024-03-01 12:00:00", "2024-03-01T12:00:00Z"),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_datetime(text), Some(utc(expected)), "{text}");
        }
    }

    #[test]
    fn datetime_rejects_garbage() {
        for text in [
            "",
            "yesterday",
            "2024-03-01",
            "2024-13-01T00:00:00Z",
            "2024-03-01X12:00",
        ] {
            assert_eq!(parse_datetime(text), None, "{text}");
        }
    }

    #[test]
    fn timestamp_has_second_precision_and_z() {
        assert_eq!(
            timestamp(&utc("2024-03-01T12:00:00.987654Z")),
            "2024-03-01T12:00:00Z"
        );
    }
}
