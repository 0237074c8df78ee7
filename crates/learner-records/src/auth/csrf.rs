//! Stateless CSRF tokens for cookie-authenticated writes. The MFE fetches a token from
//! `GET /csrf/api/v1/token`, caches it for the life of the page and sends it back in
//! `X-CSRFToken`. A token is an HMAC over (issue time, random nonce, username), so it proves it
//! came from us for this learner: a token another user minted for themselves does not verify.

use aws_lc_rs::hmac;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};

use crate::config::Secret;

/// How long a token stays valid. The MFE never refreshes its token, so this is generous.
pub const TOKEN_LIFETIME_SECONDS: i64 = 7 * 24 * 3600;

const NONCE_BYTES: usize = 16;
const TAG_BYTES: usize = 32;

#[derive(Clone)]
pub struct CsrfTokens {
    key: hmac::Key,
}

impl std::fmt::Debug for CsrfTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CsrfTokens(..)")
    }
}

impl CsrfTokens {
    pub fn new(secret: &Secret) -> Self {
        Self {
            key: hmac::Key::new(hmac::HMAC_SHA256, secret.expose().as_bytes()),
        }
    }

    fn tag(&self, issued: i64, nonce: &[u8], username: &str) -> hmac::Tag {
        let mut context = hmac::Context::with_key(&self.key);
        context.update(b"csrf-v1\0");
        context.update(&issued.to_be_bytes());
        context.update(nonce);
        context.update(username.as_bytes());
        context.sign()
    }

    /// Issues a token for a username (empty for an anonymous requester).
    pub fn issue(&self, username: &str, now: DateTime<Utc>) -> String {
        let issued = now.timestamp();
        let nonce: [u8; NONCE_BYTES] = rand::random();
        let tag = self.tag(issued, &nonce, username);

        let mut bytes = Vec::with_capacity(8 + NONCE_BYTES + TAG_BYTES);
        bytes.extend_from_slice(&issued.to_be_bytes());
        bytes.extend_from_slice(&nonce);
        bytes.extend_from_slice(tag.as_ref());
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// Whether a token was issued by us for this username and has not expired.
    pub fn verify(&self, token: &str, username: &str, now: DateTime<Utc>) -> bool {
        let Ok(bytes) = URL_SAFE_NO_PAD.decode(token.trim()) else {
            return false;
        };
        if bytes.len() != 8 + NONCE_BYTES + TAG_BYTES {
            return false;
        }
        let (issued, rest) = bytes.split_at(8);
        let (nonce, tag) = rest.split_at(NONCE_BYTES);
        let issued = i64::from_be_bytes(issued.try_into().unwrap_or_default());
        let age = now.timestamp() - issued;
        if !(-60..=TOKEN_LIFETIME_SECONDS).contains(&age) {
            return false;
        }

        let mut message = Vec::new();
        message.extend_from_slice(b"csrf-v1\0");
        message.extend_from_slice(&issued.to_be_bytes());
        message.extend_from_slice(nonce);
        message.extend_from_slice(username.as_bytes());
        hmac::verify(&self.key, &message, tag).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn tokens() -> CsrfTokens {
        CsrfTokens::new(&Secret::new("test-csrf-secret"))
    }

    #[test]
    fn token_verifies_for_its_user() {
        let now = Utc::now();
        let token = tokens().issue("lrn_ada", now);
        assert!(tokens().verify(&token, "lrn_ada", now + Duration::hours(5)));
    }

    #[test]
    fn token_of_another_user_fails() {
        let now = Utc::now();
        let token = tokens().issue("lrn_bo", now);
        assert!(!tokens().verify(&token, "lrn_ada", now));
    }

    #[test]
    fn expired_or_tampered_token_fails() {
        let now = Utc::now();
        let token = tokens().issue("lrn_ada", now);
        assert!(!tokens().verify(
            &token,
            "lrn_ada",
            now + Duration::seconds(TOKEN_LIFETIME_SECONDS + 1)
        ));
        let mut tampered = token.clone().into_bytes();
        let last = tampered.len() - 1;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        assert!(!tokens().verify(&String::from_utf8(tampered).unwrap(), "lrn_ada", now));
        assert!(!CsrfTokens::new(&Secret::new("other")).verify(&token, "lrn_ada", now));
        assert!(!tokens().verify("", "lrn_ada", now));
    }
}
