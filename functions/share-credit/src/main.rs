//! The `share-credit` Lambda function: builds the app once and serves both of its triggers,
//! the HTTP route and the EventBridge rule for first program credential awards.

use lambda_runtime::{Error, service_fn};
use learner_records::{App, api, telemetry};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let app: &'static App = Box::leak(Box::new(App::from_env().await?));
    lambda_runtime::run(service_fn(move |event| {
        api::share_credit::invoke(app, event)
    }))
    .await
}
