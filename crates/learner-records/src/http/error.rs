//! The one place where failures become HTTP responses. Handlers return [`ApiError`]; the edge
//! turns it into a status code and a JSON body, and logs unexpected failures once with their
//! cause chain. A 500 body never carries internal detail, only the request id.

use lambda_http::http::StatusCode;
use serde_json::{Value, json};

use crate::store::StoreError;
use crate::store::error::BoxedCause;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400 with this exact JSON body, such as `{"course_run": ["No CourseRun exists for key [x]"]}`.
    #[error("invalid request: {0}")]
    Invalid(Value),
    /// 401; the body is `{"detail": …}` and the response carries `WWW-Authenticate: JWT realm="api"`.
    #[error("unauthenticated: {0}")]
    Unauthenticated(String),
    /// 403 with this JSON body.
    #[error("forbidden: {0}")]
    Forbidden(Value),
    /// 404 with this JSON body.
    #[error("not found: {0}")]
    NotFound(Value),
    #[error("method {0} not allowed")]
    MethodNotAllowed(String),
    #[error("conflict: {0}")]
    Conflict(Value),
    #[error("request body larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("unsupported media type {0:?}")]
    UnsupportedMediaType(String),
    /// 429 with this JSON body and a `Retry-After` header.
    #[error("throttled for {retry_after} s")]
    Throttled { body: Value, retry_after: u64 },
    /// 502: a service we depend on refused the request.
    #[error("upstream service refused: {message}")]
    BadGateway {
        message: String,
        #[source]
        source: Option<BoxedCause>,
    },
    /// 503: a service we depend on did not answer in time.
    #[error("upstream service unavailable: {message}")]
    Unavailable {
        message: String,
        #[source]
        source: Option<BoxedCause>,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("unexpected failure")]
    Internal(#[source] BoxedCause),
}

impl ApiError {
    /// 400 naming one field: `{"<field>": ["<message>"]}`, DRF's shape.
    pub fn invalid_field(field: &str, message: impl Into<String>) -> Self {
        Self::Invalid(json!({ field: [message.into()] }))
    }

    /// 404 with DRF's body.
    pub fn not_found() -> Self {
        Self::NotFound(json!({"detail": "Not found."}))
    }

    /// 403 with DRF's body.
    pub fn permission_denied() -> Self {
        Self::Forbidden(json!({"detail": "You do not have permission to perform this action."}))
    }

    /// 401 for a request that needs a user and has none.
    pub fn not_authenticated() -> Self {
        Self::Unauthenticated("Authentication credentials were not provided.".to_owned())
    }

    pub fn internal(cause: impl Into<BoxedCause>) -> Self {
        Self::Internal(cause.into())
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::Invalid(_) => StatusCode::BAD_REQUEST,
            Self::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::BadGateway { .. } => StatusCode::BAD_GATEWAY,
            Self::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::Store(StoreError::Throttled { .. }) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Store(_) | Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The JSON body a client sees.
    pub fn body(&self, request_id: &str) -> Value {
        match self {
            Self::Invalid(body)
            | Self::Forbidden(body)
            | Self::NotFound(body)
            | Self::Conflict(body) => body.clone(),
            Self::Throttled { body, .. } => body.clone(),
            Self::Unauthenticated(detail) => json!({"detail": detail}),
            Self::MethodNotAllowed(method) => {
                json!({"detail": format!("Method \"{method}\" not allowed.")})
            }
            Self::PayloadTooLarge { limit } => {
                json!({"detail": format!("Request body is larger than {limit} bytes.")})
            }
            Self::UnsupportedMediaType(media) => {
                json!({"detail": format!("Unsupported media type \"{media}\" in request.")})
            }
            Self::BadGateway { message, .. } | Self::Unavailable { message, .. } => {
                json!({"error": message, "request_id": request_id})
            }
            Self::Store(StoreError::Throttled { .. }) => {
                json!({"error": "The service is busy; try again shortly.", "request_id": request_id})
            }
            Self::Store(_) | Self::Internal(_) => {
                json!({"error": "Internal server error", "request_id": request_id})
            }
        }
    }

    /// Whether this failure is ours (logged at error) rather than the client's.
    pub fn is_unexpected(&self) -> bool {
        self.status().is_server_error()
    }
}

/// Formats an error with its whole `source()` chain, for logs.
pub fn cause_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
