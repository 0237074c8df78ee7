//! HTTP client for course-discovery: OAuth2 client-credentials tokens from the LMS, paginated
//! GETs with a time limit per request, and retries with exponential backoff and full jitter on
//! timeouts, connection failures, 429 and 5xx, honouring `Retry-After`.
//!
//! Pages are requested by number (`page=1, 2, …`) while the previous page's `next` is truthy,
//! as upstream's `copy_catalog` does. The `next` URL itself is never followed, so a page can
//! never send the client to another host.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap, RETRY_AFTER};
use reqwest::{Response, StatusCode};
use serde_json::Value;
use tokio::sync::Mutex;

use crate::config::Secret;
use crate::http::error::cause_chain;

use super::config::{CatalogCopyConfig, RetryPolicy};
use super::error::CopyError;
use super::summary::FetchCounts;

/// A token is renewed this long before it expires, so it cannot expire in flight.
const TOKEN_EXPIRY_MARGIN: Duration = Duration::from_secs(5);
/// The maximum number of pages read from one listing. At a page size of 100 this is ten million
/// items, far beyond any catalog, so only a server whose `next` never ends reaches it.
pub const MAX_PAGES: u32 = 100_000;

/// The Discovery listings the copy reads, in the order it reads them: each one links to
/// entities of the ones before.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Resource {
    Organizations,
    Courses,
    Programs,
    Pathways,
}

impl Resource {
    pub const ALL: [Self; 4] = [
        Self::Organizations,
        Self::Courses,
        Self::Programs,
        Self::Pathways,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::Organizations => super::parse::ORGANIZATIONS,
            Self::Courses => super::parse::COURSES,
            Self::Programs => super::parse::PROGRAMS,
            Self::Pathways => super::parse::PATHWAYS,
        }
    }
}

#[derive(Debug)]
struct CachedToken {
    value: Secret,
    renew_at: Instant,
}

/// A Discovery client. Build it once per process: it keeps the access token between runs
/// until shortly before the token expires.
#[derive(Debug)]
pub struct DiscoveryClient {
    http: reqwest::Client,
    catalog_api_url: String,
    token_url: String,
    client_id: String,
    client_secret: Secret,
    page_size: Option<u32>,
    retry: RetryPolicy,
    token: Mutex<Option<CachedToken>>,
    requests: AtomicU64,
}

/// The failure of one attempt, and whether another attempt may help.
enum AttemptError {
    Retryable {
        reason: String,
        retry_after: Option<Duration>,
    },
    /// A client error status, which a retry would not change.
    Rejected(u16),
    Final(CopyError),
}

impl DiscoveryClient {
    pub fn new(config: &CatalogCopyConfig) -> Result<Self, CopyError> {
        let http = reqwest::Client::builder()
            .timeout(config.request_timeout)
            .connect_timeout(config.request_timeout.min(Duration::from_secs(10)))
            .user_agent(concat!(
                "learner-records-catalog-copy/",
                env!("CARGO_PKG_VERSION")
            ))
            .build()
            .map_err(|error| CopyError::Client(cause_chain(&error)))?;
        Ok(Self {
            http,
            catalog_api_url: config.catalog_api_url.clone(),
            token_url: config.token_url.clone(),
            client_id: config.client_id.clone(),
            client_secret: config.client_secret.clone(),
            page_size: config.page_size,
            retry: config.retry,
            token: Mutex::new(None),
            requests: AtomicU64::new(0),
        })
    }

    /// Requests sent so far, token requests and retries included.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Reads every page of a listing, handing each item to `add`. Stops after the first page
    /// whose `next` is null, empty or missing, or whose `results` is empty.
    pub async fn fetch_all(
        &self,
        resource: Resource,
        mut add: impl FnMut(&Value),
    ) -> Result<FetchCounts, CopyError> {
        let mut counts = FetchCounts::default();
        for page in 1..=MAX_PAGES {
            let body = self.get_page(resource, page).await?;
            let (results, has_next) =
                read_page(&body).map_err(|reason| CopyError::InvalidPage {
                    resource: resource.name(),
                    page,
                    reason,
                })?;
            counts.pages += 1;
            counts.items += results.len();
            results.iter().for_each(&mut add);
            if results.is_empty() || !has_next {
                return Ok(counts);
            }
        }
        Err(CopyError::TooManyPages {
            resource: resource.name(),
            pages: MAX_PAGES,
        })
    }

    /// Fetches one page's body, with retries.
    async fn get_page(&self, resource: Resource, page: u32) -> Result<String, CopyError> {
        let url = format!("{}{}/", self.catalog_api_url, resource.name());
        let mut query = vec![("exclude_utm", "1".to_owned()), ("page", page.to_string())];
        if let Some(size) = self.page_size {
            query.push(("page_size", size.to_string()));
        }
        if resource == Resource::Courses {
            query.push(("include_hidden_course_runs", "1".to_owned()));
        }

        let mut token_renewed = false;
        let mut last_reason = String::new();
        for attempt in 1..=self.retry.max_attempts {
            let token = self.access_token().await?;
            self.requests.fetch_add(1, Ordering::Relaxed);
            let sent = self
                .http
                .get(&url)
                .query(&query)
                .header(AUTHORIZATION, format!("JWT {}", token.expose()))
                .send()
                .await;
            let failure = match sent {
                Ok(response) if response.status() == StatusCode::UNAUTHORIZED && !token_renewed => {
                    // The token may have been revoked early; one fresh token settles it.
                    token_renewed = true;
                    *self.token.lock().await = None;
                    AttemptError::Retryable {
                        reason: "HTTP 401 with a cached token".to_owned(),
                        retry_after: Some(Duration::ZERO),
                    }
                }
                Ok(response) => match classify(response).await {
                    Ok(body) => return Ok(body),
                    Err(failure) => failure,
                },
                Err(error) => transport_failure(&error),
            };
            match failure {
                AttemptError::Rejected(status) => {
                    return Err(CopyError::Rejected {
                        resource: resource.name(),
                        page,
                        status,
                    });
                }
                AttemptError::Final(error) => return Err(error),
                AttemptError::Retryable {
                    reason,
                    retry_after,
                } => {
                    if attempt < self.retry.max_attempts {
                        let delay = self.delay(attempt, retry_after);
                        tracing::warn!(
                            resource = resource.name(),
                            page,
                            attempt,
                            delay_ms = delay.as_millis() as u64,
                            %reason,
                            "course-discovery request failed; retrying"
                        );
                        tokio::time::sleep(delay).await;
                    }
                    last_reason = reason;
                }
            }
        }
        Err(CopyError::Fetch {
            resource: resource.name(),
            page,
            attempts: self.retry.max_attempts,
            reason: last_reason,
        })
    }

    /// Returns the cached access token, or requests a new one when there is none or it is
    /// about to expire.
    async fn access_token(&self) -> Result<Secret, CopyError> {
        let mut cached = self.token.lock().await;
        if let Some(token) = cached.as_ref().filter(|t| Instant::now() < t.renew_at) {
            return Ok(token.value.clone());
        }
        let (value, expires_in) = self.request_token().await?;
        let renew_at = Instant::now() + expires_in.saturating_sub(TOKEN_EXPIRY_MARGIN);
        *cached = Some(CachedToken {
            value: value.clone(),
            renew_at,
        });
        Ok(value)
    }

    /// Requests a token with the client-credentials grant, asking for a JWT as the LMS
    /// issues them to services; returns it with its lifetime.
    async fn request_token(&self) -> Result<(Secret, Duration), CopyError> {
        let token_error = |reason: String| CopyError::Token {
            url: self.token_url.clone(),
            reason,
        };
        let form = serde_urlencoded::to_string([
            ("grant_type", "client_credentials"),
            ("client_id", self.client_id.as_str()),
            ("client_secret", self.client_secret.expose()),
            ("token_type", "jwt"),
        ])
        .map_err(|error| token_error(error.to_string()))?;

        let mut last_reason = String::new();
        for attempt in 1..=self.retry.max_attempts {
            self.requests.fetch_add(1, Ordering::Relaxed);
            let sent = self
                .http
                .post(&self.token_url)
                .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(form.clone())
                .send()
                .await;
            let failure = match sent {
                Ok(response) => match classify(response).await {
                    Ok(body) => return parse_token(&body).map_err(token_error),
                    Err(failure) => failure,
                },
                Err(error) => transport_failure(&error),
            };
            match failure {
                AttemptError::Rejected(status) => {
                    return Err(token_error(format!("HTTP {status}")));
                }
                AttemptError::Final(error) => return Err(error),
                AttemptError::Retryable {
                    reason,
                    retry_after,
                } => {
                    if attempt < self.retry.max_attempts {
                        let delay = self.delay(attempt, retry_after);
                        tracing::warn!(attempt, delay_ms = delay.as_millis() as u64, %reason, "token request failed; retrying");
                        tokio::time::sleep(delay).await;
                    }
                    last_reason = reason;
                }
            }
        }
        Err(token_error(format!(
            "{last_reason} (after {} attempts)",
            self.retry.max_attempts
        )))
    }

    /// Computes the wait before the next attempt. That is the server's `Retry-After` when it
    /// sent one, else a random time up to the exponential ceiling ("full jitter"), both capped.
    fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(wait) = retry_after {
            return wait.min(self.retry.max_delay);
        }
        let ceiling = self
            .retry
            .base_delay
            .saturating_mul(1_u32 << (attempt - 1).min(16))
            .min(self.retry.max_delay);
        let ceiling_ms = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
        Duration::from_millis(rand::random_range(0..=ceiling_ms))
    }
}

/// Reads a response. Success gives the body. A 429 or 5xx status, or a body that cannot be
/// read in time, gives a retryable failure, and any other status a rejection.
async fn classify(response: Response) -> Result<String, AttemptError> {
    let status = response.status();
    if status.is_success() {
        return response
            .text()
            .await
            .map_err(|error| transport_failure(&error));
    }
    if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
        return Err(AttemptError::Retryable {
            reason: format!("HTTP {}", status.as_u16()),
            retry_after: retry_after(response.headers()),
        });
    }
    Err(AttemptError::Rejected(status.as_u16()))
}

/// Classifies a failure to send or read as retryable, unless the request could not be built.
fn transport_failure(error: &reqwest::Error) -> AttemptError {
    let reason = if error.is_timeout() {
        format!("timed out: {}", cause_chain(error))
    } else {
        cause_chain(error)
    };
    if error.is_builder() {
        return AttemptError::Final(CopyError::Client(reason));
    }
    AttemptError::Retryable {
        reason,
        retry_after: None,
    }
}

/// Reads `Retry-After` in seconds. The HTTP-date form is ignored, so the backoff applies then.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    headers
        .get(RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

fn parse_token(body: &str) -> Result<(Secret, Duration), String> {
    let value: Value = serde_json::from_str(body)
        .map_err(|error| format!("the token response is not JSON: {error}"))?;
    let token = value
        .get("access_token")
        .and_then(Value::as_str)
        .filter(|token| !token.is_empty())
        .ok_or("the token response has no access_token")?;
    let expires_in = value.get("expires_in").and_then(Value::as_u64).unwrap_or(0);
    Ok((Secret::new(token), Duration::from_secs(expires_in)))
}

/// Splits a page into its results and whether another page follows. `next` counts as Python's
/// truthiness does, as in upstream's `copy_catalog`, so null, `""`, `false` and a missing
/// `next` all end the listing.
pub fn read_page(body: &str) -> Result<(Vec<Value>, bool), String> {
    let page: Value =
        serde_json::from_str(body).map_err(|error| format!("the body is not JSON: {error}"))?;
    let Value::Object(mut page) = page else {
        return Err("the body is not a JSON object".to_owned());
    };
    let results = match page.remove("results") {
        Some(Value::Array(results)) => results,
        Some(_) => return Err("results is not a list".to_owned()),
        None => return Err("the page has no results".to_owned()),
    };
    let has_next = match page.get("next") {
        None | Some(Value::Null) => false,
        Some(Value::String(next)) => !next.is_empty(),
        Some(Value::Bool(next)) => *next,
        Some(Value::Number(next)) => next.as_f64().is_some_and(|n| n != 0.0),
        Some(Value::Array(next)) => !next.is_empty(),
        Some(Value::Object(next)) => !next.is_empty(),
    };
    Ok((results, has_next))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_with_null_next_is_last() {
        let (results, has_next) = read_page(r#"{"count":1,"next":null,"results":[{}]}"#).unwrap();
        assert_eq!(results.len(), 1);
        assert!(!has_next);
    }

    #[test]
    fn page_with_empty_next_is_last() {
        let (_, has_next) = read_page(r#"{"next":"","results":[]}"#).unwrap();
        assert!(!has_next);
    }

    #[test]
    fn page_with_next_url_continues() {
        let body =
            r#"{"next":"https://discovery.example.test/api/v1/programs/?page=2","results":[]}"#;
        assert!(read_page(body).unwrap().1);
    }

    #[test]
    fn page_without_results_is_invalid() {
        for body in [r#"{"next":null}"#, "[1, 2]", "<html>", r#"{"results":{}}"#] {
            assert!(read_page(body).is_err(), "{body}");
        }
    }

    #[test]
    fn token_response_needs_access_token() {
        let (token, lifetime) = parse_token(r#"{"access_token":"abc","expires_in":3600}"#).unwrap();
        assert_eq!(token.expose(), "abc");
        assert_eq!(lifetime, Duration::from_secs(3600));
        assert!(parse_token(r#"{"error":"invalid_client"}"#).is_err());
    }

    #[test]
    fn retry_after_reads_seconds() {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, "7".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(7)));
        headers.insert(
            RETRY_AFTER,
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after(&headers), None);
    }
}
