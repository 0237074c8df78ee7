//! The `copy-catalog` Lambda function, run on a schedule or invoked by hand. Every invocation
//! copies the catalog once and returns the run summary; a failed copy fails the invocation.

use lambda_runtime::{Error, LambdaEvent, service_fn};
use learner_records::catalog_copy::{CatalogCopy, CatalogCopyConfig};
use learner_records::{App, telemetry};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let app: &'static App = Box::leak(Box::new(App::from_env().await?));
    let copy: &'static CatalogCopy =
        Box::leak(Box::new(CatalogCopy::new(CatalogCopyConfig::from_env()?)?));
    lambda_runtime::run(service_fn(move |_event: LambdaEvent<Value>| async move {
        let summary = copy.run(app).await?;
        Ok::<Value, Error>(serde_json::to_value(summary)?)
    }))
    .await
}
