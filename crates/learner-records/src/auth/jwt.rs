//! JWT authentication as edx-drf-extensions does it: tokens from `Authorization: JWT <token>`
//! (the LMS, server to server, usually HS256) or from the split cookie pair the LMS sets for
//! browsers (usually RS512). The algorithm picks the key: HS256 is checked only against the
//! shared secret and RS256/RS512 only against the configured public JWK set, so a token cannot
//! make us treat a public key as an HMAC secret. Every other algorithm, `none` included, fails.

use jsonwebtoken::jwk::{AlgorithmParameters, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use serde::Deserialize;

use crate::config::JwtConfig;
use crate::domain::Username;

pub const HEADER_PAYLOAD_COOKIE: &str = "edx-jwt-cookie-header-payload";
pub const SIGNATURE_COOKIE: &str = "edx-jwt-cookie-signature";
/// The whole token in one cookie, which edx-drf-extensions also accepts.
pub const WHOLE_COOKIE: &str = "edx-jwt-cookie";

/// Where a request's token came from. CSRF checks apply only to cookie tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenSource {
    Header,
    Cookie,
}

/// An authenticated requester.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub username: Username,
    /// The `administrator` claim: LMS staff, including the LMS service user.
    pub is_staff: bool,
    pub email: String,
    pub full_name: String,
    pub lms_user_id: Option<u64>,
    pub source: TokenSource,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwtError {
    #[error("Invalid token.")]
    Invalid(String),
    #[error("Signature has expired.")]
    Expired,
}

#[derive(Debug, Deserialize)]
struct Claims {
    iss: String,
    #[allow(dead_code)]
    exp: i64,
    #[allow(dead_code)]
    iat: i64,
    #[serde(default)]
    preferred_username: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    administrator: bool,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    full_name: Option<String>,
    #[serde(default)]
    user_id: Option<u64>,
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    is_restricted: bool,
}

/// Verifies tokens against the configured issuers and keys. Built once at start-up.
pub struct Authenticator {
    config: JwtConfig,
    secret: Option<DecodingKey>,
    rsa_keys: Vec<(Option<String>, DecodingKey)>,
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticator")
            .field("issuers", &self.config.issuers)
            .field("has_secret", &self.secret.is_some())
            .field("rsa_keys", &self.rsa_keys.len())
            .finish()
    }
}

/// The highest `version` claim major this service understands (edx-drf-extensions' 1.2.0).
const SUPPORTED_VERSION_MAJOR: u64 = 1;

impl Authenticator {
    /// Loads the keys. A JWK set that does not parse is a configuration error.
    pub fn new(config: JwtConfig) -> Result<Self, String> {
        let secret = match &config.secret_key {
            Some(secret) => Some(
                DecodingKey::from_secret(secret.expose().as_bytes())
                    .map_err(|e| format!("JWT_SECRET_KEY is unusable: {e}"))?,
            ),
            None => None,
        };
        let mut rsa_keys = Vec::new();
        if let Some(text) = &config.public_jwk_set {
            let set: JwkSet = serde_json::from_str(text)
                .map_err(|e| format!("JWT_PUBLIC_SIGNING_JWK_SET is not a JWK set: {e}"))?;
            for jwk in &set.keys {
                if matches!(jwk.algorithm, AlgorithmParameters::RSA(_)) {
                    let key = DecodingKey::from_jwk(jwk)
                        .map_err(|e| format!("JWK {:?} is unusable: {e}", jwk.common.key_id))?;
                    rsa_keys.push((jwk.common.key_id.clone(), key));
                }
            }
        }
        Ok(Self {
            config,
            secret,
            rsa_keys,
        })
    }

    /// Verifies a token and returns the requester it names.
    pub fn verify(&self, token: &str, source: TokenSource) -> Result<Identity, JwtError> {
        let header = decode_header(token).map_err(|e| JwtError::Invalid(format!("header: {e}")))?;
        let keys: Vec<&DecodingKey> = match header.alg {
            Algorithm::HS256 => self.secret.iter().collect(),
            Algorithm::RS256 | Algorithm::RS512 => self
                .rsa_keys
                .iter()
                .filter(|(kid, _)| header.kid.is_none() || kid.is_none() || kid == &header.kid)
                .map(|(_, key)| key)
                .collect(),
            other => {
                return Err(JwtError::Invalid(format!(
                    "algorithm {other:?} is not accepted"
                )));
            }
        };
        if keys.is_empty() {
            return Err(JwtError::Invalid(format!(
                "no key configured for {:?}",
                header.alg
            )));
        }

        let mut validation = Validation::new(header.alg);
        validation.leeway = self.config.leeway_seconds;
        validation.set_required_spec_claims(&["exp", "iss"]);
        match self
            .config
            .issuers
            .first()
            .map(|issuer| issuer.audience.as_str())
        {
            Some(audience) if !audience.is_empty() => {
                validation.set_audience(&[audience]);
                // jsonwebtoken checks `aud` only when the token has one; PyJWT, which
                // edx-drf-extensions uses, rejects a token without it once an audience is set.
                validation.set_required_spec_claims(&["exp", "iss", "aud"]);
            }
            _ => validation.validate_aud = false,
        }

        let mut last_error = JwtError::Invalid("no key matched".to_owned());
        for key in keys {
            match decode::<Claims>(token, key, &validation) {
                Ok(data) => return self.identity(data.claims, source),
                Err(error) => {
                    last_error = match error.kind() {
                        jsonwebtoken::errors::ErrorKind::ExpiredSignature => JwtError::Expired,
                        _ => JwtError::Invalid(error.to_string()),
                    }
                }
            }
        }
        Err(last_error)
    }

    fn identity(&self, claims: Claims, source: TokenSource) -> Result<Identity, JwtError> {
        if !self
            .config
            .issuers
            .iter()
            .any(|issuer| issuer.issuer == claims.iss)
        {
            return Err(JwtError::Invalid(format!(
                "issuer {:?} is not accepted",
                claims.iss
            )));
        }
        if let Some(version) = &claims.version {
            let major = version
                .split('.')
                .next()
                .and_then(|m| m.parse::<u64>().ok());
            if major.is_none_or(|major| major > SUPPORTED_VERSION_MAJOR) {
                return Err(JwtError::Invalid(format!(
                    "token version {version:?} is not supported"
                )));
            }
        }
        if claims.is_restricted {
            return Err(JwtError::Invalid(
                "restricted tokens are not accepted".to_owned(),
            ));
        }

        let name = claims
            .preferred_username
            .or(claims.username)
            .unwrap_or_default();
        let username = Username::parse(&name).map_err(|e| JwtError::Invalid(e.to_string()))?;
        Ok(Identity {
            username,
            is_staff: claims.administrator,
            email: claims.email.unwrap_or_default(),
            full_name: claims
                .full_name
                .filter(|n| !n.is_empty())
                .or(claims.name)
                .unwrap_or_default(),
            lms_user_id: claims.user_id,
            source,
        })
    }
}

/// The outcome of looking for credentials on a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Authentication {
    Authenticated(Identity),
    Anonymous,
    /// A header token that failed: upstream fails hard with 401 rather than falling back.
    Rejected(JwtError),
}

/// Finds and verifies a request's token. `authorization` is the `Authorization` header and
/// `cookie` a lookup of request cookies.
pub fn authenticate(
    authenticator: &Authenticator,
    authorization: Option<&str>,
    cookie: impl Fn(&str) -> Option<String>,
) -> Authentication {
    if let Some(value) = authorization.map(str::trim).filter(|v| !v.is_empty()) {
        let mut parts = value.splitn(2, char::is_whitespace);
        let prefix = parts.next().unwrap_or_default();
        let token = parts.next().map(str::trim).unwrap_or_default();
        if prefix.eq_ignore_ascii_case("JWT") {
            if token.is_empty() {
                return Authentication::Rejected(JwtError::Invalid("empty token".to_owned()));
            }
            return match authenticator.verify(token, TokenSource::Header) {
                Ok(identity) => Authentication::Authenticated(identity),
                Err(error) => Authentication::Rejected(error),
            };
        }
        // Another scheme (Bearer, Basic) is not ours, and edx-drf-extensions does not fall back
        // to the cookie in that case either.
        return Authentication::Anonymous;
    }

    let token = match (cookie(HEADER_PAYLOAD_COOKIE), cookie(SIGNATURE_COOKIE)) {
        (Some(header_payload), Some(signature)) => Some(format!("{header_payload}.{signature}")),
        _ => cookie(WHOLE_COOKIE),
    };
    match token {
        // A bad cookie token is forgiven: the request goes on anonymously, which is how a
        // public record still opens in a browser with an expired LMS cookie.
        Some(token) => authenticator
            .verify(&token, TokenSource::Cookie)
            .map_or(Authentication::Anonymous, Authentication::Authenticated),
        None => Authentication::Anonymous,
    }
}
