//! `POST /api/v2/replace_usernames/`: account retirement renames learners across services. Only
//! the configured worker may call it. Each pair is applied on its own, so one failure does not
//! stop the others; a username with nothing stored counts as replaced.

use lambda_http::http::StatusCode;
use serde_json::{Map, Value, json};

use crate::app::App;
use crate::domain::Username;
use crate::http::{ApiError, Request, Response, body, check_csrf, json, require_user};
use crate::store::usernames::UsernameReplacement;

/// Reads `{"username_mappings": [{"old": "new"}, ...]}`; anything else is a 400.
fn parse_mappings(body: &Map<String, Value>) -> Result<Vec<(String, String)>, ApiError> {
    let invalid = || {
        ApiError::invalid_field(
            "username_mappings",
            "Expected a list of objects, each mapping one current username to its new username.",
        )
    };
    let Some(Value::Array(items)) = body.get("username_mappings") else {
        return Err(invalid());
    };
    items
        .iter()
        .map(|item| match item {
            Value::Object(pair) if pair.len() == 1 => match pair.iter().next() {
                Some((old, Value::String(new))) => Ok((old.clone(), new.clone())),
                _ => Err(invalid()),
            },
            _ => Err(invalid()),
        })
        .collect()
}

/// Renames each pair and reports which succeeded. A pair fails when its new name is not a valid
/// username or already has items stored.
pub async fn replace(app: &App, request: &Request) -> Result<Response, ApiError> {
    let identity = require_user(app, request)?;
    check_csrf(app, request, &identity)?;
    if identity.username.as_str() != app.config.username_replacement_worker {
        return Err(ApiError::permission_denied());
    }
    let mappings = parse_mappings(&body::parse_object(request)?)?;

    let mut successful = Vec::new();
    let mut failed = Vec::new();
    for (index, (old, new)) in mappings.into_iter().enumerate() {
        let pair = json!({ old.clone(): new.clone() });
        // A current name that is not a valid username cannot have anything stored.
        let Ok(old_name) = Username::parse(&old) else {
            successful.push(pair);
            continue;
        };
        let Ok(new_name) = Username::parse(&new) else {
            tracing::warn!(
                pair = index,
                "username replacement failed: invalid new username"
            );
            failed.push(pair);
            continue;
        };
        match app.store.replace_username(&old_name, &new_name).await {
            Ok(UsernameReplacement::Unknown) => {
                tracing::info!(pair = index, "username replacement: nothing stored");
                successful.push(pair);
            }
            Ok(UsernameReplacement::Moved {
                items,
                transactions,
            }) => {
                tracing::info!(pair = index, items, transactions, "username replaced");
                successful.push(pair);
            }
            Err(error) => {
                tracing::error!(
                    pair = index,
                    error = %crate::http::error::cause_chain(&error),
                    "username replacement failed"
                );
                failed.push(pair);
            }
        }
    }
    Ok(json(
        StatusCode::OK,
        &json!({"successful_replacements": successful, "failed_replacements": failed}),
    ))
}
