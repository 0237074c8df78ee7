//! Creates the AWS resources the functions expect, for the local stack on moto: the table (from
//! the same definition template.yaml declares), the export bucket, the event bus and the SES
//! sender identity. Every step tolerates a resource that already exists, so it can run again.

use aws_config::SdkConfig;

use crate::store::{Store, StoreError};

#[derive(Debug, Clone)]
pub struct Resources {
    pub table: String,
    pub bucket: String,
    pub bus: String,
    /// Sender address or domain to verify in SES; empty for none.
    pub ses_identity: String,
    /// Origins allowed to fetch exports from the bucket with credentials.
    pub cors_origins: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum BootstrapError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("creating {resource} failed")]
    Sdk {
        resource: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

fn sdk_error(
    resource: &str,
    error: impl std::error::Error + Send + Sync + 'static,
) -> BootstrapError {
    BootstrapError::Sdk {
        resource: resource.to_owned(),
        source: Box::new(error),
    }
}

/// Creates whatever of `resources` is missing.
pub async fn ensure(sdk: &SdkConfig, resources: &Resources) -> Result<(), BootstrapError> {
    let store = Store::new(aws_sdk_dynamodb::Client::new(sdk), resources.table.clone());
    store.create_table_if_missing().await?;

    let s3 = aws_sdk_s3::Client::new(sdk);
    if s3
        .head_bucket()
        .bucket(&resources.bucket)
        .send()
        .await
        .is_err()
    {
        s3.create_bucket()
            .bucket(&resources.bucket)
            .send()
            .await
            .map_err(|e| sdk_error(&format!("bucket {}", resources.bucket), e))?;
    }
    if !resources.cors_origins.is_empty() {
        use aws_sdk_s3::types::{CorsConfiguration, CorsRule};
        let rule = CorsRule::builder()
            .set_allowed_origins(Some(resources.cors_origins.clone()))
            .allowed_methods("GET")
            .allowed_methods("HEAD")
            .expose_headers("Content-Disposition")
            .expose_headers("Content-Type")
            .max_age_seconds(3600)
            .build()
            .map_err(|e| sdk_error("bucket CORS rule", e))?;
        let cors = CorsConfiguration::builder()
            .cors_rules(rule)
            .build()
            .map_err(|e| sdk_error("bucket CORS rule", e))?;
        s3.put_bucket_cors()
            .bucket(&resources.bucket)
            .cors_configuration(cors)
            .send()
            .await
            .map_err(|e| sdk_error("bucket CORS", e))?;
    }

    let events = aws_sdk_eventbridge::Client::new(sdk);
    if events
        .describe_event_bus()
        .name(&resources.bus)
        .send()
        .await
        .is_err()
    {
        events
            .create_event_bus()
            .name(&resources.bus)
            .send()
            .await
            .map_err(|e| sdk_error(&format!("event bus {}", resources.bus), e))?;
    }

    if !resources.ses_identity.is_empty() {
        let ses = aws_sdk_sesv2::Client::new(sdk);
        if ses
            .get_email_identity()
            .email_identity(&resources.ses_identity)
            .send()
            .await
            .is_err()
        {
            ses.create_email_identity()
                .email_identity(&resources.ses_identity)
                .send()
                .await
                .map_err(|e| sdk_error(&format!("SES identity {}", resources.ses_identity), e))?;
        }
    }
    Ok(())
}
