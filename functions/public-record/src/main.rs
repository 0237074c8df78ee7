//! The `public-record` Lambda function: builds the app once and serves its HTTP routes.

use lambda_http::{Error, service_fn};
use learner_records::{App, api, telemetry};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let app = App::from_env().await?;
    api::public_record::check_config(&app.config)?;
    let app: &'static App = Box::leak(Box::new(app));
    lambda_http::run(service_fn(move |request| async move {
        Ok::<_, Error>(api::public_record::handle(app, request).await)
    }))
    .await
}
