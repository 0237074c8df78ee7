//! Credit-pathway sends: one item per learner, pathway and program, written only after SES
//! accepted the email. Repeat sends refresh the item instead of adding one. Items from before
//! sends were tracked per program have no program. The first send of a program whose public
//! link already existed takes such an item over, as upstream does.

use aws_sdk_dynamodb::types::{Delete, Put, TransactWriteItem};
use chrono::{DateTime, Utc};

use crate::domain::{CreditPathwaySend, CreditPathwayStatus, Username, Uuid};

use super::keys;
use super::learner::KIND_SEND;
use super::{Store, StoreError};

/// The write that records a send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendWrite<'a> {
    /// The item for this program exists: mark it sent and update `modified`.
    Refresh(&'a CreditPathwaySend),
    /// A legacy item without a program becomes this program's item, keeping its `created`.
    UpgradeLegacy(&'a CreditPathwaySend),
    Create,
}

/// Chooses the write for a send of `program` to `pathway_id`, given the learner's stored sends.
/// A legacy item is taken over only when the learner's public link for the program existed
/// before this send: upstream reads such a link as evidence that the legacy send was of this
/// program. Otherwise the legacy item stays for whichever program it was.
pub fn plan_send_write<'a>(
    sends: &'a [CreditPathwaySend],
    pathway_id: u64,
    program: &Uuid,
    link_preexisted: bool,
) -> SendWrite<'a> {
    let of_pathway = || sends.iter().filter(|send| send.pathway_id == pathway_id);
    if let Some(existing) = of_pathway().find(|send| send.program_uuid.as_ref() == Some(program)) {
        return SendWrite::Refresh(existing);
    }
    if link_preexisted && let Some(legacy) = of_pathway().find(|send| send.program_uuid.is_none()) {
        return SendWrite::UpgradeLegacy(legacy);
    }
    SendWrite::Create
}

impl Store {
    /// Records that the learner's record of `program` was sent to `pathway_id` (one PutItem, or
    /// one TransactWriteItems when a legacy item is upgraded). `sends` are the learner's stored
    /// sends, as loaded with the learner.
    pub async fn record_credit_send(
        &self,
        username: &Username,
        pathway_id: u64,
        program: &Uuid,
        sends: &[CreditPathwaySend],
        link_preexisted: bool,
        now: DateTime<Utc>,
    ) -> Result<CreditPathwaySend, StoreError> {
        let plan = plan_send_write(sends, pathway_id, program, link_preexisted);
        let created = match plan {
            SendWrite::Refresh(previous) | SendWrite::UpgradeLegacy(previous) => previous.created,
            SendWrite::Create => now,
        };
        let send = CreditPathwaySend {
            username: username.clone(),
            pathway_id,
            program_uuid: Some(*program),
            status: CreditPathwayStatus::Sent,
            created,
            modified: now,
        };
        let item = Self::item(
            &keys::credit_send(username, pathway_id, Some(program)),
            KIND_SEND,
            &send,
        )?;

        match plan {
            SendWrite::Refresh(_) | SendWrite::Create => self.put(item).await?,
            SendWrite::UpgradeLegacy(_) => {
                // One transaction, so the learner never has both items or neither.
                let legacy_key = keys::credit_send(username, pathway_id, None);
                let delete = Delete::builder()
                    .table_name(self.table())
                    .set_key(Some(Self::key_attributes(&legacy_key)))
                    .build()
                    .map_err(|error| self.request_error("TransactWriteItems", error))?;
                let put = Put::builder()
                    .table_name(self.table())
                    .set_item(Some(item))
                    .build()
                    .map_err(|error| self.request_error("TransactWriteItems", error))?;
                self.transact(vec![
                    TransactWriteItem::builder().delete(delete).build(),
                    TransactWriteItem::builder().put(put).build(),
                ])
                .await?;
            }
        }
        Ok(send)
    }

    fn request_error(
        &self,
        operation: &'static str,
        error: aws_sdk_dynamodb::error::BuildError,
    ) -> StoreError {
        StoreError::Sdk {
            table: self.table().to_owned(),
            operation,
            source: Box::new(error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn send(pathway_id: u64, program: Option<Uuid>) -> CreditPathwaySend {
        CreditPathwaySend {
            username: Username::parse("lrn_ada").unwrap(),
            pathway_id,
            program_uuid: program,
            status: CreditPathwayStatus::Other,
            created: DateTime::UNIX_EPOCH,
            modified: DateTime::UNIX_EPOCH,
        }
    }

    fn program(n: u8) -> Uuid {
        Uuid::parse(&format!("{n:032x}")).unwrap()
    }

    #[test]
    fn existing_program_item_is_refreshed() {
        let sends = [send(7, None), send(7, Some(program(1)))];
        assert_eq!(
            plan_send_write(&sends, 7, &program(1), true),
            SendWrite::Refresh(&sends[1])
        );
    }

    #[test]
    fn legacy_item_is_upgraded_when_link_preexisted() {
        let sends = [send(7, None)];
        assert_eq!(
            plan_send_write(&sends, 7, &program(1), true),
            SendWrite::UpgradeLegacy(&sends[0])
        );
    }

    #[test]
    fn legacy_item_stays_when_link_is_new() {
        let sends = [send(7, None)];
        assert_eq!(
            plan_send_write(&sends, 7, &program(1), false),
            SendWrite::Create
        );
    }

    #[test]
    fn items_of_other_pathways_and_programs_are_ignored() {
        let sends = [
            send(8, None),
            send(8, Some(program(1))),
            send(7, Some(program(2))),
        ];
        assert_eq!(
            plan_send_write(&sends, 7, &program(1), true),
            SendWrite::Create
        );
    }
}
