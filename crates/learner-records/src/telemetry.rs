//! Logging set-up. On Lambda the runtime's subscriber follows the function's log level and JSON
//! format settings and adds the request id; locally it prints text.

/// Initialises the global tracing subscriber once.
pub fn init() {
    lambda_runtime::tracing::init_default_subscriber();
}
