//! Domain events on the EventBridge bus, for integrators and for the partner follow-up on
//! program completion. Publishing checks `FailedEntryCount`, because PutEvents reports
//! per-entry failures inside a successful response.

use std::sync::{Arc, Mutex, PoisonError};

use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use serde_json::Value;

/// The `source` of every event this service publishes.
pub const SOURCE: &str = "learner-records";

pub const CREDENTIAL_AWARDED: &str = "Credential Awarded";
pub const CREDENTIAL_REVOKED: &str = "Credential Revoked";
/// Published for every program credential change; `detail.first_award` is true only the
/// first time a learner is awarded the program, which is what the partner follow-up listens to.
pub const PROGRAM_CREDENTIAL_AWARDED: &str = "Program Credential Awarded";
pub const RECORD_SHARED: &str = "Record Shared";
pub const RECORD_REVOKED: &str = "Record Revoked";
pub const RECORD_SENT: &str = "Record Sent";
pub const CATALOG_REPLACED: &str = "Catalog Replaced";

/// PutEvents takes at most 10 entries per call.
const PUT_EVENTS_LIMIT: usize = 10;

#[derive(Debug, Clone, PartialEq)]
pub struct DomainEvent {
    pub detail_type: &'static str,
    pub detail: Value,
}

impl DomainEvent {
    pub fn new(detail_type: &'static str, detail: Value) -> Self {
        Self {
            detail_type,
            detail,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EventError {
    #[error("EventBridge rejected {failed} of {total} events (first error: {first_error})")]
    Rejected {
        failed: i32,
        total: usize,
        first_error: String,
    },
    #[error("EventBridge PutEvents failed")]
    Sdk(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// Where events go. `Recording` keeps them in memory and `Failing` refuses them; both exist
/// for tests that inject failures, since moto keeps no list of sent events.
#[derive(Debug, Clone)]
pub enum EventPublisher {
    EventBridge {
        client: aws_sdk_eventbridge::Client,
        bus: String,
    },
    /// No bus configured: events are logged and dropped.
    Disabled,
    Recording(Arc<Mutex<Vec<DomainEvent>>>),
    Failing,
}

impl EventPublisher {
    pub async fn publish(&self, events: Vec<DomainEvent>) -> Result<(), EventError> {
        if events.is_empty() {
            return Ok(());
        }
        match self {
            Self::EventBridge { client, bus } => {
                for chunk in events.chunks(PUT_EVENTS_LIMIT) {
                    put_events(client, bus, chunk).await?;
                }
                Ok(())
            }
            Self::Disabled => {
                for event in &events {
                    tracing::debug!(
                        detail_type = event.detail_type,
                        "event dropped: no bus configured"
                    );
                }
                Ok(())
            }
            Self::Recording(log) => {
                log.lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .extend(events);
                Ok(())
            }
            Self::Failing => Err(EventError::Sdk("injected failure".into())),
        }
    }

    /// Publishes, logging a failure instead of returning it. For events that follow a write
    /// that already succeeded: failing the request then would make the client retry a write
    /// that is done.
    pub async fn publish_or_log(&self, events: Vec<DomainEvent>) {
        let kinds: Vec<&str> = events.iter().map(|e| e.detail_type).collect();
        if let Err(error) = self.publish(events).await {
            tracing::error!(events = ?kinds, error = %crate::http::error::cause_chain(&error), "publishing events failed");
        }
    }
}

async fn put_events(
    client: &aws_sdk_eventbridge::Client,
    bus: &str,
    events: &[DomainEvent],
) -> Result<(), EventError> {
    let entries: Vec<PutEventsRequestEntry> = events
        .iter()
        .map(|event| {
            PutEventsRequestEntry::builder()
                .event_bus_name(bus)
                .source(SOURCE)
                .detail_type(event.detail_type)
                .detail(event.detail.to_string())
                .build()
        })
        .collect();
    let output = client
        .put_events()
        .set_entries(Some(entries))
        .send()
        .await
        .map_err(|e| EventError::Sdk(Box::new(e)))?;
    let failed = output.failed_entry_count();
    if failed > 0 {
        let first_error = output
            .entries()
            .iter()
            .find_map(|entry| {
                entry
                    .error_code()
                    .map(|code| format!("{code}: {}", entry.error_message().unwrap_or_default()))
            })
            .unwrap_or_default();
        return Err(EventError::Rejected {
            failed,
            total: events.len(),
            first_error,
        });
    }
    Ok(())
}
