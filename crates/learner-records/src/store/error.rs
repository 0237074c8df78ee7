//! The store's typed errors. Adapters keep the SDK error as the source, so the cause chain
//! reaches the log; the HTTP edge maps the variants to status codes once.

use aws_sdk_dynamodb::error::SdkError;

pub type BoxedCause = Box<dyn std::error::Error + Send + Sync + 'static>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A conditional write found the item in another state than required.
    #[error("conditional write on {table} failed ({operation})")]
    ConditionFailed {
        table: String,
        operation: &'static str,
    },
    /// DynamoDB asked us to slow down and retries did not help.
    #[error("DynamoDB throttled {operation} on {table}")]
    Throttled {
        table: String,
        operation: &'static str,
        #[source]
        source: BoxedCause,
    },
    /// A stored item could not be decoded; data written by another version or by hand.
    #[error("item {pk}/{sk} in {table} is malformed: {reason}")]
    Malformed {
        table: String,
        pk: String,
        sk: String,
        reason: String,
    },
    #[error("DynamoDB {operation} on {table} failed")]
    Sdk {
        table: String,
        operation: &'static str,
        #[source]
        source: BoxedCause,
    },
}

impl StoreError {
    /// Wraps an SDK error, telling throttling apart from other failures.
    pub fn from_sdk<E, R>(table: &str, operation: &'static str, error: SdkError<E, R>) -> Self
    where
        E: std::error::Error
            + Send
            + Sync
            + 'static
            + aws_sdk_dynamodb::error::ProvideErrorMetadata,
        R: std::fmt::Debug + Send + Sync + 'static,
    {
        let code = error
            .as_service_error()
            .and_then(|e| e.code())
            .map(str::to_owned);
        let table = table.to_owned();
        match code.as_deref() {
            Some("ConditionalCheckFailedException") => Self::ConditionFailed { table, operation },
            Some(
                "ProvisionedThroughputExceededException"
                | "ThrottlingException"
                | "RequestLimitExceeded",
            ) => Self::Throttled {
                table,
                operation,
                source: Box::new(error),
            },
            _ => Self::Sdk {
                table,
                operation,
                source: Box::new(error),
            },
        }
    }
}
