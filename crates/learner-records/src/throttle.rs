//! Per-user rate limits in fixed one-minute windows, counted in DynamoDB so every concurrent
//! Lambda instance shares one count. The counter items expire through the table's TTL.

use chrono::Utc;

use crate::domain::Username;
use crate::store::{Store, StoreError, keys};

const WINDOW_SECONDS: i64 = 60;

/// Counts one request of `username` in `scope` and returns `Some(seconds to wait)` when this
/// request is over `limit_per_minute`. Requests over the limit are counted too, so a client that
/// keeps hammering stays limited until the window ends.
pub async fn hit(
    store: &Store,
    scope: &str,
    username: &Username,
    limit_per_minute: i64,
) -> Result<Option<u64>, StoreError> {
    let now = Utc::now().timestamp();
    let window_start = now - now.rem_euclid(WINDOW_SECONDS);
    let key = keys::throttle(scope, username, window_start);
    let count = store
        .increment(&key, "count", 1, Some(window_start + 2 * WINDOW_SECONDS))
        .await?;
    if count > limit_per_minute {
        let retry_after = (window_start + WINDOW_SECONDS - now).max(1) as u64;
        return Ok(Some(retry_after));
    }
    Ok(None)
}
