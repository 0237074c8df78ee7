//! The "updated credit request" email. When the ingest function publishes a learner's first
//! award of a program credential, every credit pathway the learner already sent that program's
//! record to gets one email saying the program is now complete, with the same public links.
//!
//! Only first awards qualify (the EventBridge rule and this handler both check `first_award`),
//! so a re-issued credential sends no email. Nothing is sent when the site's records are off,
//! when the learner has no live public link for the program, or for pathways that no longer
//! take credit requests.
//!
//! Retries: Lambda retries an EventBridge invocation that returns an error, which would send
//! again every email that already went out. So an error is returned only when nothing was sent:
//! a store failure before sending, or SES failing for every partner. When some emails went out,
//! the failed ones are logged and not retried.

use chrono::Utc;
use serde_json::{Value, json};

use crate::app::App;
use crate::domain::{CreditPathwayStatus, LearnerData, Pathway, Username, Uuid};
use crate::email::{self, CreditRequest, RequestKind};
use crate::events;
use crate::mailer::MailError;
use crate::store::StoreError;

use super::{SendIds, SharedRecordLinks, accepts_credit_requests, send_email, sender_address};

#[derive(Debug, thiserror::Error)]
pub enum FollowUpError {
    /// A first-award event without a valid username or program uuid.
    #[error("invalid {detail_type} event: {reason}")]
    InvalidEvent {
        detail_type: &'static str,
        reason: String,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    /// SES failed for every partner, so nothing was sent and a retry duplicates nothing.
    #[error("no follow-up email could be sent ({failed} failed)")]
    Mail {
        failed: usize,
        #[source]
        last: MailError,
    },
}

/// Handles one EventBridge event. Returns a summary such as `{"sent": 1, "failed": 0}`, or
/// `{"ignored": "<reason>"}` for events that call for no email.
pub async fn handle_event(app: &App, event: Value) -> Result<Value, FollowUpError> {
    let detail_type = event
        .get("detail-type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if detail_type != events::PROGRAM_CREDENTIAL_AWARDED {
        tracing::warn!(detail_type, "event ignored: not a program credential award");
        return Ok(ignored("not a program credential award"));
    }
    let detail = event.get("detail").unwrap_or(&Value::Null);
    if detail.get("first_award") != Some(&Value::Bool(true)) {
        tracing::debug!("event ignored: not a first award");
        return Ok(ignored("not a first award"));
    }
    let (username, program_uuid) = parse_award(detail)?;

    let (snapshot, learner) = tokio::join!(app.snapshot(), app.store.load_learner(&username));
    let snapshot = snapshot?;
    let site = app.site_configuration(&snapshot.settings);
    if !site.records_enabled {
        return Ok(ignored("records are disabled"));
    }
    let Some(program) = snapshot.catalog.program(&program_uuid) else {
        tracing::info!(%username, %program_uuid, "no follow-up: program not in the catalog");
        return Ok(ignored("program not in the catalog"));
    };
    let learner = learner?;
    let now = Utc::now();
    let Some(link) = learner
        .link_for_program(&program_uuid)
        .filter(|link| link.is_live(now))
    else {
        tracing::debug!(%username, %program_uuid, "no follow-up: no live public link");
        return Ok(ignored("no live public link"));
    };

    let profile = learner.profile.clone().unwrap_or_default();
    let learner_name = profile.display_name(&username).to_owned();
    let learner_address = Some(profile.email.as_str()).filter(|email| !email.trim().is_empty());
    let links = SharedRecordLinks::new(&app.config, &link.uuid);
    let from_address = sender_address(&app.config, &site);

    let mut sent = 0;
    let mut failures = Vec::new();
    let linked: Vec<&Pathway> = snapshot
        .catalog
        .pathways_of_program(&program_uuid)
        .collect();
    for pathway in pathways_sent_to(&linked, &learner, &program_uuid) {
        let email = email::render_credit_request(&CreditRequest {
            kind: RequestKind::Update,
            platform_name: &site.platform_name,
            from_address: &from_address,
            partner_address: &pathway.email,
            learner_address,
            learner_name: &learner_name,
            pathway_name: &pathway.name,
            program_title: &program.title,
            program_completed: true,
            record_url: &links.record,
            csv_url: &links.csv,
        });
        let ids = SendIds {
            username: &username,
            program_uuid: &program_uuid,
            pathway_id: pathway.id,
        };
        match send_email(app, &email, &ids).await {
            Ok(message_id) => {
                sent += 1;
                tracing::info!(
                    %username,
                    %program_uuid,
                    pathway_id = pathway.id,
                    %message_id,
                    "updated program record sent to credit pathway"
                );
            }
            Err(error) => failures.push(error),
        }
    }

    let failed = failures.len();
    if sent == 0
        && let Some(last) = failures.pop()
    {
        return Err(FollowUpError::Mail { failed, last });
    }
    Ok(json!({"sent": sent, "failed": failed}))
}

fn ignored(reason: &str) -> Value {
    json!({"ignored": reason})
}

fn parse_award(detail: &Value) -> Result<(Username, Uuid), FollowUpError> {
    let invalid = |reason: String| FollowUpError::InvalidEvent {
        detail_type: events::PROGRAM_CREDENTIAL_AWARDED,
        reason,
    };
    let username = detail
        .get("username")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid("detail.username is missing".to_owned()))?;
    let username = Username::parse(username).map_err(|error| invalid(error.to_string()))?;
    let program_uuid = detail
        .get("program_uuid")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid("detail.program_uuid is missing".to_owned()))?;
    let program_uuid = Uuid::parse(program_uuid).map_err(|error| invalid(error.to_string()))?;
    Ok((username, program_uuid))
}

/// Selects the pathways linked to the program that still take credit requests and that the
/// learner sent this program's record to: a `sent` item for this program, or a legacy item
/// without a program (which upstream also counts).
pub fn pathways_sent_to<'a>(
    linked: &[&'a Pathway],
    learner: &LearnerData,
    program_uuid: &Uuid,
) -> Vec<&'a Pathway> {
    linked
        .iter()
        .copied()
        .filter(|pathway| accepts_credit_requests(pathway, program_uuid))
        .filter(|pathway| {
            learner.sends.iter().any(|send| {
                send.pathway_id == pathway.id
                    && send.status == CreditPathwayStatus::Sent
                    && send
                        .program_uuid
                        .is_none_or(|program| &program == program_uuid)
            })
        })
        .collect()
}
