//! Configuration read once from the environment at start-up. Secrets arrive in environment
//! variables resolved from Secrets Manager or SSM at deploy time (see template.yaml) and are
//! wrapped so they never reach a log.

use std::env;
use std::fmt;

/// A secret value whose `Debug` output is redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// A configuration value that is missing or invalid, naming the variable.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("environment variable {0} is required but not set")]
    Missing(&'static str),
    #[error("environment variable {name} is invalid: {reason}")]
    Invalid { name: &'static str, reason: String },
}

/// One accepted JWT issuer. Only the first issuer's audience is checked, as edx-drf-extensions
/// does; `iss` may match any issuer.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct JwtIssuer {
    pub issuer: String,
    #[serde(default)]
    pub audience: String,
}

#[derive(Debug, Clone)]
pub struct JwtConfig {
    pub issuers: Vec<JwtIssuer>,
    /// The HS256 secret shared with the LMS (its `JWT_SECRET_KEY`).
    pub secret_key: Option<Secret>,
    /// The LMS public JWK set JSON, for RS256/RS512 tokens.
    pub public_jwk_set: Option<String>,
    pub leeway_seconds: u64,
}

/// The delivery of a public record's CSV export to the browser.
///
/// The Learner Record MFE first fetches the CSV URL by XHR with credentials and a
/// `USE-JWT-COOKIE` header, then navigates to it. After a redirect to S3 the browser sends that
/// XHR's preflight to S3 with `Origin: null` (measured with Chromium 156). No bucket CORS rule
/// for the MFE origin matches it, so the XHR fails and the MFE reports a failed download.
/// Sending the CSV inline avoids the redirect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CsvDownload {
    /// Inline while a Learner Record MFE URL is in force, a redirect otherwise.
    #[default]
    Auto,
    /// Store the CSV in the export bucket and redirect to a presigned URL.
    Redirect,
    /// Send the CSV in the response body.
    Inline,
}

impl CsvDownload {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "" | "auto" => Some(Self::Auto),
            "redirect" => Some(Self::Redirect),
            "inline" => Some(Self::Inline),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    pub table_name: String,
    pub event_bus_name: String,
    pub export_bucket: String,
    /// This service's public base URL without a trailing slash, such as
    /// `https://credentials.example.com`. Share links, emails and `certificate_url`s use it.
    pub public_base_url: String,
    /// The LMS root URL; anonymous learners are sent to `<root>/login?next=…`.
    pub lms_url_root: String,
    /// Default base URL of the Learner Record MFE, used when the site configuration sets none.
    pub learner_record_mfe_url: String,
    /// Exact origins allowed to call with credentials (the MFE). Also the trusted CSRF origins.
    pub cors_allowed_origins: Vec<String>,
    pub jwt: JwtConfig,
    pub csrf_secret_key: Secret,
    /// Default From address for partner emails, used when the site configuration sets none.
    pub partner_from_address: String,
    /// The only user allowed to call `/api/v2/replace_usernames/`.
    pub username_replacement_worker: String,
    /// Requests with a larger body are rejected with 413.
    pub max_body_bytes: usize,
    /// The delivery of CSV exports (`CSV_DOWNLOAD`: `auto`, `redirect` or `inline`).
    pub csv_download: CsvDownload,
}

/// Checks that a URL is absolute http(s) and drops trailing slashes, so that joining paths onto
/// it can neither double nor drop a slash.
pub fn normalise_base_url(name: &'static str, value: &str) -> Result<String, ConfigError> {
    let trimmed = value.trim().trim_end_matches('/');
    let scheme_ok = trimmed.starts_with("https://") || trimmed.starts_with("http://");
    let host = trimmed.split_once("://").map_or("", |(_, rest)| rest);
    if !scheme_ok || host.is_empty() || host.contains(char::is_whitespace) {
        return Err(ConfigError::Invalid {
            name,
            reason: format!("{value:?} is not an absolute http(s) URL"),
        });
    }
    Ok(trimmed.to_owned())
}

impl Config {
    /// Reads the configuration from the environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| env::var(name).ok())
    }

    /// Reads the configuration through `lookup`, which returns a variable's value if set. Tools
    /// that carry their own environment (the admin CLI, tests) pass it here.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let optional = |name: &str| lookup(name).unwrap_or_default().trim().to_owned();
        let required = |name: &'static str| match lookup(name) {
            Some(value) if !value.trim().is_empty() => Ok(value),
            _ => Err(ConfigError::Missing(name)),
        };
        let issuers: Vec<JwtIssuer> = match lookup("JWT_ISSUERS") {
            Some(text) if !text.trim().is_empty() => {
                serde_json::from_str(&text).map_err(|e| ConfigError::Invalid {
                    name: "JWT_ISSUERS",
                    reason: e.to_string(),
                })?
            }
            _ => Vec::new(),
        };
        let leeway_seconds = match lookup("JWT_LEEWAY_SECONDS") {
            Some(text) if !text.trim().is_empty() => {
                text.trim().parse().map_err(|_| ConfigError::Invalid {
                    name: "JWT_LEEWAY_SECONDS",
                    reason: format!("{text:?} is not a whole number of seconds"),
                })?
            }
            _ => 1,
        };
        let max_body_bytes = match lookup("MAX_BODY_BYTES") {
            Some(text) if !text.trim().is_empty() => {
                text.trim().parse().map_err(|_| ConfigError::Invalid {
                    name: "MAX_BODY_BYTES",
                    reason: format!("{text:?} is not a number of bytes"),
                })?
            }
            _ => 256 * 1024,
        };
        let secret_key = Some(optional("JWT_SECRET_KEY"))
            .filter(|s| !s.is_empty())
            .map(Secret::new);
        let public_jwk_set = Some(optional("JWT_PUBLIC_SIGNING_JWK_SET")).filter(|s| !s.is_empty());
        let learner_record_mfe_url = match optional("LEARNER_RECORD_MFE_URL") {
            empty if empty.is_empty() => empty,
            url => normalise_base_url("LEARNER_RECORD_MFE_URL", &url)?,
        };
        let csv_download_text = optional("CSV_DOWNLOAD");
        let csv_download =
            CsvDownload::parse(&csv_download_text).ok_or_else(|| ConfigError::Invalid {
                name: "CSV_DOWNLOAD",
                reason: format!("{csv_download_text:?} is not auto, redirect or inline"),
            })?;
        let lms_url_root = match optional("LMS_URL_ROOT") {
            empty if empty.is_empty() => empty,
            url => normalise_base_url("LMS_URL_ROOT", &url)?,
        };

        Ok(Self {
            table_name: required("TABLE_NAME")?,
            event_bus_name: optional("EVENT_BUS_NAME"),
            export_bucket: optional("EXPORT_BUCKET"),
            public_base_url: normalise_base_url("PUBLIC_BASE_URL", &required("PUBLIC_BASE_URL")?)?,
            lms_url_root,
            learner_record_mfe_url,
            cors_allowed_origins: optional("CORS_ALLOWED_ORIGINS")
                .split(',')
                .map(|origin| origin.trim().trim_end_matches('/').to_owned())
                .filter(|origin| !origin.is_empty())
                .collect(),
            jwt: JwtConfig {
                issuers,
                secret_key,
                public_jwk_set,
                leeway_seconds,
            },
            csrf_secret_key: Secret::new(required("CSRF_SECRET_KEY")?),
            partner_from_address: optional("PARTNER_FROM_ADDRESS"),
            username_replacement_worker: match optional("USERNAME_REPLACEMENT_WORKER") {
                empty if empty.is_empty() => "retirement_service_worker".to_owned(),
                worker => worker,
            },
            max_body_bytes,
            csv_download,
        })
    }

    /// The host of the public base URL, used for `no-reply@<site domain>`.
    pub fn site_domain(&self) -> &str {
        let rest = self
            .public_base_url
            .split_once("://")
            .map_or("", |(_, rest)| rest);
        let host_port = rest.split('/').next().unwrap_or_default();
        host_port.split(':').next().unwrap_or_default()
    }

    /// An absolute URL on this service for a path that starts with `/`.
    pub fn public_url(&self, path: &str) -> String {
        debug_assert!(path.starts_with('/'));
        format!("{}{path}", self.public_base_url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_url_loses_trailing_slashes() {
        assert_eq!(
            normalise_base_url("X", "https://credentials.example.test//").unwrap(),
            "https://credentials.example.test"
        );
        assert_eq!(
            normalise_base_url("X", "http://127.0.0.1:3000/").unwrap(),
            "http://127.0.0.1:3000"
        );
    }

    #[test]
    fn base_url_rejects_relative_and_empty() {
        for bad in [
            "",
            "/records",
            "credentials.example.test",
            "ftp://x",
            "https://",
        ] {
            let error = normalise_base_url("PUBLIC_BASE_URL", bad).unwrap_err();
            assert!(error.to_string().contains("PUBLIC_BASE_URL"), "{error}");
        }
    }

    #[test]
    fn csv_download_parses_its_three_values() {
        assert_eq!(CsvDownload::parse(""), Some(CsvDownload::Auto));
        assert_eq!(CsvDownload::parse("auto"), Some(CsvDownload::Auto));
        assert_eq!(CsvDownload::parse("redirect"), Some(CsvDownload::Redirect));
        assert_eq!(CsvDownload::parse("inline"), Some(CsvDownload::Inline));
        assert_eq!(CsvDownload::parse("Inline"), None);
    }

    #[test]
    fn secret_debug_is_redacted() {
        assert_eq!(format!("{:?}", Secret::new("lms-secret")), "Secret(..)");
    }
}
