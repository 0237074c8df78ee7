//! The `records` Lambda function: builds the app once and serves its HTTP routes.

use lambda_http::{Error, service_fn};
use learner_records::{App, api, telemetry};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let app: &'static App = Box::leak(Box::new(App::from_env().await?));
    lambda_http::run(service_fn(move |request| async move {
        Ok::<_, Error>(api::records::handle(app, request).await)
    }))
    .await
}
