//! The ways a catalog copy fails. Every variant leaves the previously visible catalog in
//! service: the copy publishes its new version only after all of its steps before it worked.

use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    /// The LMS token endpoint did not issue a token.
    #[error(
        "requesting a course-discovery access token from {url} failed: {reason}; check \
         DISCOVERY_TOKEN_URL, DISCOVERY_CLIENT_ID and DISCOVERY_CLIENT_SECRET"
    )]
    Token { url: String, reason: String },
    /// A page could not be fetched, retries included.
    #[error(
        "fetching page {page} of the {resource} listing from course-discovery failed after \
         {attempts} attempts: {reason}"
    )]
    Fetch {
        resource: &'static str,
        page: u32,
        attempts: u32,
        reason: String,
    },
    /// Discovery responded with a client error status, which a retry would not change.
    #[error(
        "course-discovery rejected the request for page {page} of the {resource} listing with \
         HTTP {status}; check CATALOG_API_URL and the OAuth client's permissions"
    )]
    Rejected {
        resource: &'static str,
        page: u32,
        status: u16,
    },
    /// A page is not the paginated envelope `{count, next, previous, results}`.
    #[error("page {page} of the {resource} listing is invalid: {reason}")]
    InvalidPage {
        resource: &'static str,
        page: u32,
        reason: String,
    },
    /// Discovery kept announcing further pages past the limit.
    #[error(
        "the {resource} listing still announced a next page after {pages} pages; the copy \
         stopped so that a faulty server cannot keep it running"
    )]
    TooManyPages { resource: &'static str, pages: u32 },
    /// Another run holds the copy lease.
    #[error(
        "another catalog copy is running, so this run did nothing; a lease left by a run that \
         was killed expires 15 minutes after that run started"
    )]
    AlreadyRunning,
    /// The visible catalog version changed while this run copied, so it did not publish.
    #[error(
        "the visible catalog version is no longer {expected}; another copy published first, \
         so this run's items stay invisible and the next run deletes them"
    )]
    Superseded { expected: u64 },
    /// The HTTP client could not be built.
    #[error("building the course-discovery HTTP client failed: {0}")]
    Client(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}
