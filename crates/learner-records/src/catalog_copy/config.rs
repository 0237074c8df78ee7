//! The catalog copy's own settings, read from the environment of the `copy-catalog` function.

use std::time::Duration;

use crate::config::{ConfigError, Secret, normalise_base_url};

/// How often and how patiently a failed Discovery request is retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts per request, the first one included.
    pub max_attempts: u32,
    /// The backoff ceiling of the first retry; it doubles with every further retry.
    pub base_delay: Duration,
    /// The largest wait between two attempts, also for a server's `Retry-After`.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
        }
    }
}

#[derive(Debug, Clone)]
pub struct CatalogCopyConfig {
    /// Discovery's API root with a trailing slash, such as
    /// `https://discovery.example.test/api/v1/`; resource names are appended to it.
    pub catalog_api_url: String,
    /// The LMS OAuth2 token endpoint, such as `https://lms.example.test/oauth2/access_token`.
    pub token_url: String,
    pub client_id: String,
    pub client_secret: Secret,
    /// The `page_size` sent to Discovery; `None` leaves the server's default.
    pub page_size: Option<u32>,
    /// Whether entities Discovery no longer returns are removed (unless learner data refers
    /// to them) instead of only reported.
    pub delete_missing: bool,
    /// Time limit of one HTTP request, response body included.
    pub request_timeout: Duration,
    pub retry: RetryPolicy,
    /// How long the lease keeps other runs out. It matches the function timeout (900 s in
    /// template.yaml), so a lease outlives its run only when the run was killed.
    pub lease_duration: Duration,
}

const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
const DEFAULT_LEASE_DURATION: Duration = Duration::from_secs(15 * 60);

impl CatalogCopyConfig {
    /// Reads `CATALOG_API_URL`, `DISCOVERY_TOKEN_URL`, `DISCOVERY_CLIENT_ID` and
    /// `DISCOVERY_CLIENT_SECRET` (required), and `CATALOG_PAGE_SIZE`,
    /// `CATALOG_DELETE_MISSING` and `CATALOG_REQUEST_TIMEOUT_SECONDS` (optional).
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the settings through `lookup`, which returns a variable's value if set.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let value = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let required = |name: &'static str| value(name).ok_or(ConfigError::Missing(name));

        let catalog_api_url = format!(
            "{}/",
            normalise_base_url("CATALOG_API_URL", &required("CATALOG_API_URL")?)?
        );
        let token_url =
            normalise_base_url("DISCOVERY_TOKEN_URL", &required("DISCOVERY_TOKEN_URL")?)?;
        let page_size = match value("CATALOG_PAGE_SIZE") {
            None => None,
            Some(text) => Some(
                text.parse::<u32>()
                    .ok()
                    .filter(|size| *size > 0)
                    .ok_or_else(|| ConfigError::Invalid {
                        name: "CATALOG_PAGE_SIZE",
                        reason: format!("{text:?} is not a positive whole number"),
                    })?,
            ),
        };
        let delete_missing = match value("CATALOG_DELETE_MISSING") {
            None => false,
            Some(text) => match text.to_ascii_lowercase().as_str() {
                "true" => true,
                "false" => false,
                _ => {
                    return Err(ConfigError::Invalid {
                        name: "CATALOG_DELETE_MISSING",
                        reason: format!("{text:?} is neither true nor false"),
                    });
                }
            },
        };
        let request_timeout = match value("CATALOG_REQUEST_TIMEOUT_SECONDS") {
            None => DEFAULT_REQUEST_TIMEOUT,
            Some(text) => text
                .parse::<u64>()
                .ok()
                .filter(|seconds| (1..=900).contains(seconds))
                .map(Duration::from_secs)
                .ok_or_else(|| ConfigError::Invalid {
                    name: "CATALOG_REQUEST_TIMEOUT_SECONDS",
                    reason: format!("{text:?} is not a whole number of seconds from 1 to 900"),
                })?,
        };

        Ok(Self {
            catalog_api_url,
            token_url,
            client_id: required("DISCOVERY_CLIENT_ID")?,
            client_secret: Secret::new(required("DISCOVERY_CLIENT_SECRET")?),
            page_size,
            delete_missing,
            request_timeout,
            retry: RetryPolicy::default(),
            lease_duration: DEFAULT_LEASE_DURATION,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| map.get(name).cloned()
    }

    const REQUIRED: [(&str, &str); 4] = [
        ("CATALOG_API_URL", "https://discovery.example.test/api/v1"),
        (
            "DISCOVERY_TOKEN_URL",
            "https://lms.example.test/oauth2/access_token",
        ),
        ("DISCOVERY_CLIENT_ID", "records-client"),
        ("DISCOVERY_CLIENT_SECRET", "records-secret"),
    ];

    #[test]
    fn config_defaults_optional_settings() {
        let config = CatalogCopyConfig::from_lookup(lookup(&REQUIRED)).unwrap();
        assert_eq!(
            config.catalog_api_url,
            "https://discovery.example.test/api/v1/"
        );
        assert_eq!(config.page_size, None);
        assert!(!config.delete_missing);
        assert_eq!(config.request_timeout, Duration::from_secs(30));
        assert_eq!(config.lease_duration, Duration::from_secs(900));
    }

    #[test]
    fn config_reads_optional_settings() {
        let mut pairs = REQUIRED.to_vec();
        pairs.push(("CATALOG_PAGE_SIZE", "50"));
        pairs.push(("CATALOG_DELETE_MISSING", "TRUE"));
        pairs.push(("CATALOG_REQUEST_TIMEOUT_SECONDS", "12"));
        let config = CatalogCopyConfig::from_lookup(lookup(&pairs)).unwrap();
        assert_eq!(config.page_size, Some(50));
        assert!(config.delete_missing);
        assert_eq!(config.request_timeout, Duration::from_secs(12));
    }

    #[test]
    fn config_names_missing_variable() {
        let error = CatalogCopyConfig::from_lookup(lookup(&REQUIRED[..3])).unwrap_err();
        assert!(
            error.to_string().contains("DISCOVERY_CLIENT_SECRET"),
            "{error}"
        );
    }

    #[test]
    fn config_rejects_invalid_values() {
        for (name, value) in [
            ("CATALOG_PAGE_SIZE", "0"),
            ("CATALOG_PAGE_SIZE", "ten"),
            ("CATALOG_DELETE_MISSING", "yes"),
            ("CATALOG_REQUEST_TIMEOUT_SECONDS", "0"),
            ("CATALOG_API_URL", "discovery.example.test"),
        ] {
            let mut pairs: Vec<(&str, &str)> = REQUIRED
                .iter()
                .copied()
                .filter(|(n, _)| *n != name)
                .collect();
            pairs.push((name, value));
            let error = CatalogCopyConfig::from_lookup(lookup(&pairs)).unwrap_err();
            assert!(error.to_string().contains(name), "{name}={value}: {error}");
        }
    }

    #[test]
    fn config_debug_hides_client_secret() {
        let config = CatalogCopyConfig::from_lookup(lookup(&REQUIRED)).unwrap();
        assert!(!format!("{config:?}").contains("records-secret"));
    }
}
