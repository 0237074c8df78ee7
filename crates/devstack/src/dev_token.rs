//! Development tokens: HS256 JWTs with the claims the LMS puts in its tokens, signed with the
//! local development secret (`DEV_JWT_SECRET`, the same value the local functions get as
//! `JWT_SECRET_KEY`). They exist for the local stack only, so minting one requires the AWS
//! endpoint to be a server on 127.0.0.1.

use jsonwebtoken::{EncodingKey, Header, encode};
use learner_records::config::JwtIssuer;
use serde_json::{Value, json};

/// The `version` claim edx-drf-extensions 10 puts in LMS tokens.
const TOKEN_VERSION: &str = "1.2.0";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    #[error(
        "DEV_JWT_SECRET is not set; dev tokens are signed only with the local development secret that `make dev` writes to .dev/secrets/jwt-secret"
    )]
    MissingSecret,
    #[error(
        "JWT_ISSUERS is not set; set it to the JSON list the functions use, such as [{{\"issuer\": \"http://localhost:18000/oauth2\", \"audience\": \"lms-key\"}}]"
    )]
    MissingIssuers,
    #[error("JWT_ISSUERS is invalid: {0}")]
    InvalidIssuers(String),
    #[error(transparent)]
    NotLocal(#[from] NotLocalError),
    #[error("signing the token failed: {0}")]
    Signing(String),
}

/// A URL that must point at the local stack does not.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum NotLocalError {
    #[error(
        "{0} is not set; this command is for the local stack only and needs a server on 127.0.0.1 (for AWS_ENDPOINT_URL, load .dev/moto/moto.env first)"
    )]
    Unset(&'static str),
    #[error(
        "{name} {url:?} is not a server on 127.0.0.1; this command is for the local stack only"
    )]
    Remote { name: &'static str, url: String },
}

/// Checks that `url`, the value of the variable or option `name`, is an http(s) URL whose host
/// is exactly 127.0.0.1.
pub fn require_local_url(name: &'static str, url: Option<&str>) -> Result<(), NotLocalError> {
    let Some(url) = url.map(str::trim).filter(|u| !u.is_empty()) else {
        return Err(NotLocalError::Unset(name));
    };
    let remote = || NotLocalError::Remote {
        name,
        url: url.to_owned(),
    };
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
        .ok_or_else(remote)?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = match authority.rsplit_once(':') {
        Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) => host,
        _ => authority,
    };
    if host == "127.0.0.1" {
        Ok(())
    } else {
        Err(remote())
    }
}

/// Checks that `AWS_ENDPOINT_URL` points at a server on 127.0.0.1, so that no request of a
/// local-only command can reach AWS.
pub fn require_local_endpoint(endpoint: Option<&str>) -> Result<(), NotLocalError> {
    require_local_url("AWS_ENDPOINT_URL", endpoint)
}

/// The secret and the issuer a dev token is signed for.
#[derive(Clone)]
pub struct SigningConfig {
    secret: String,
    issuer: JwtIssuer,
}

impl std::fmt::Debug for SigningConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningConfig")
            .field("issuer", &self.issuer)
            .finish_non_exhaustive()
    }
}

impl SigningConfig {
    /// Reads the signing secret (`DEV_JWT_SECRET`) and the first issuer of `JWT_ISSUERS`, and
    /// checks `AWS_ENDPOINT_URL` is local.
    pub fn new(
        dev_secret: Option<&str>,
        jwt_issuers: Option<&str>,
        aws_endpoint: Option<&str>,
    ) -> Result<Self, TokenError> {
        let secret = dev_secret
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or(TokenError::MissingSecret)?;
        require_local_endpoint(aws_endpoint)?;
        let issuers = jwt_issuers
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or(TokenError::MissingIssuers)?;
        let issuers: Vec<JwtIssuer> =
            serde_json::from_str(issuers).map_err(|e| TokenError::InvalidIssuers(e.to_string()))?;
        let issuer = issuers
            .into_iter()
            .next()
            .ok_or_else(|| TokenError::InvalidIssuers("the list is empty".to_owned()))?;
        Ok(Self {
            secret: secret.to_owned(),
            issuer,
        })
    }
}

/// The user a dev token is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenSubject {
    pub username: String,
    /// The `administrator` claim, which the LMS sets for staff such as its service user.
    pub staff: bool,
    /// Full name; empty leaves the claim empty.
    pub name: String,
    /// Email; empty means `<username>@example.test`.
    pub email: String,
    pub user_id: Option<u64>,
    pub lifetime_seconds: u64,
}

impl TokenSubject {
    pub fn learner(username: &str) -> Self {
        Self {
            username: username.to_owned(),
            staff: false,
            name: String::new(),
            email: String::new(),
            user_id: None,
            lifetime_seconds: 3600,
        }
    }

    /// Builds the claims as the LMS's `create_jwt_for_user` sets them for the scopes `email`,
    /// `profile` and `user_id`.
    pub fn claims(&self, issuer: &JwtIssuer, issued_at: i64) -> Value {
        let email = if self.email.is_empty() {
            format!("{}@example.test", self.username)
        } else {
            self.email.clone()
        };
        let expires_at =
            issued_at.saturating_add(i64::try_from(self.lifetime_seconds).unwrap_or(i64::MAX));
        let mut claims = json!({
            "iss": issuer.issuer,
            "aud": issuer.audience,
            "iat": issued_at,
            "exp": expires_at,
            "preferred_username": self.username,
            "administrator": self.staff,
            "email": email,
            "email_verified": true,
            "name": self.name,
            "scopes": ["email", "profile", "user_id"],
            "filters": [],
            "is_restricted": false,
            "version": TOKEN_VERSION,
            "grant_type": "",
        });
        if let Some(user_id) = self.user_id {
            claims["user_id"] = json!(user_id);
        }
        claims
    }
}

/// Signs a dev token for `subject`, issued at `issued_at` (epoch seconds).
pub fn mint(
    config: &SigningConfig,
    subject: &TokenSubject,
    issued_at: i64,
) -> Result<String, TokenError> {
    let key = EncodingKey::from_secret(config.secret.as_bytes())
        .map_err(|e| TokenError::Signing(e.to_string()))?;
    encode(
        &Header::default(),
        &subject.claims(&config.issuer, issued_at),
        &key,
    )
    .map_err(|e| TokenError::Signing(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISSUERS: &str = r#"[{"issuer": "http://localhost:18000/oauth2", "audience": "lms-key"}]"#;
    const MOTO: &str = "http://127.0.0.1:4566";

    #[test]
    fn local_endpoints_pass() {
        for endpoint in [
            "http://127.0.0.1:4566",
            "http://127.0.0.1",
            "https://127.0.0.1:443/",
        ] {
            assert_eq!(require_local_endpoint(Some(endpoint)), Ok(()), "{endpoint}");
        }
    }

    #[test]
    fn other_endpoints_are_rejected() {
        for endpoint in [
            "http://localhost:4566",
            "https://dynamodb.us-east-1.amazonaws.com",
            "http://127.0.0.1.example.test:4566",
            "http://10.0.0.1:4566",
            "127.0.0.1:4566",
        ] {
            assert!(
                matches!(
                    require_local_endpoint(Some(endpoint)),
                    Err(NotLocalError::Remote { .. })
                ),
                "{endpoint}"
            );
        }
    }

    #[test]
    fn unset_endpoint_is_rejected() {
        let unset = Err(NotLocalError::Unset("AWS_ENDPOINT_URL"));
        assert_eq!(require_local_endpoint(None), unset);
        assert_eq!(require_local_endpoint(Some(" ")), unset);
    }

    #[test]
    fn signing_needs_the_dev_secret() {
        let error = SigningConfig::new(None, Some(ISSUERS), Some(MOTO)).unwrap_err();
        assert_eq!(error, TokenError::MissingSecret);
        assert!(error.to_string().contains("DEV_JWT_SECRET"));
    }

    #[test]
    fn signing_needs_a_local_endpoint() {
        let error = SigningConfig::new(
            Some("secret"),
            Some(ISSUERS),
            Some("https://dynamodb.us-east-1.amazonaws.com"),
        )
        .unwrap_err();
        assert!(matches!(
            error,
            TokenError::NotLocal(NotLocalError::Remote { .. })
        ));
    }

    #[test]
    fn signing_needs_issuers() {
        let error = SigningConfig::new(Some("secret"), None, Some(MOTO)).unwrap_err();
        assert_eq!(error, TokenError::MissingIssuers);
    }

    #[test]
    fn invalid_issuers_are_reported() {
        let error = SigningConfig::new(Some("secret"), Some("issuer"), Some(MOTO)).unwrap_err();
        assert!(matches!(error, TokenError::InvalidIssuers(_)));
    }

    #[test]
    fn claims_follow_the_lms_shape() {
        let issuer = JwtIssuer {
            issuer: "http://localhost:18000/oauth2".to_owned(),
            audience: "lms-key".to_owned(),
        };
        let subject = TokenSubject {
            staff: true,
            user_id: Some(7),
            ..TokenSubject::learner("ana_completed")
        };
        let claims = subject.claims(&issuer, 1_000);
        assert_eq!(claims["preferred_username"], "ana_completed");
        assert_eq!(claims["administrator"], true);
        assert_eq!(claims["email"], "ana_completed@example.test");
        assert_eq!(claims["exp"], 4_600);
        assert_eq!(claims["aud"], "lms-key");
        assert_eq!(claims["user_id"], 7);
    }
}
