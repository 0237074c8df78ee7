//! Public links to program records. A learner has at most one live link per program: the link
//! is created in one transaction that writes the learner's pointer item (conditional on its
//! absence) and the link item resolved by uuid, so concurrent shares cannot create two.

use aws_sdk_dynamodb::types::{Delete, Put, TransactWriteItem};
use chrono::{DateTime, Duration, Utc};

use crate::domain::{PublicLink, Username, Uuid};

use super::keys;
use super::learner::KIND_LINK;
use super::{Store, StoreError};

pub const KIND_PUBLIC_LINK: &str = "public-link";

/// Whether a link was made by this call or already existed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkOutcome {
    Created(PublicLink),
    Existing(PublicLink),
}

impl LinkOutcome {
    pub fn link(&self) -> &PublicLink {
        match self {
            Self::Created(link) | Self::Existing(link) => link,
        }
    }

    pub fn created(&self) -> bool {
        matches!(self, Self::Created(_))
    }
}

impl Store {
    /// Returns the learner's live link for a program, creating it when there is none (one
    /// TransactWriteItems; one more GetItem when another request created it first). An expired
    /// link is replaced by a new one.
    pub async fn get_or_create_link(
        &self,
        username: &Username,
        program: &Uuid,
        existing: Option<&PublicLink>,
        expiry_days: Option<u32>,
        now: DateTime<Utc>,
    ) -> Result<LinkOutcome, StoreError> {
        if let Some(link) = existing.filter(|link| link.is_live(now)) {
            return Ok(LinkOutcome::Existing(link.clone()));
        }

        let link = PublicLink {
            uuid: Uuid::new_v4(),
            username: username.clone(),
            program_uuid: *program,
            created: now,
            expires: expiry_days.map(|days| now + Duration::days(i64::from(days))),
        };
        let pointer_key = keys::learner_link(username, program);
        let mut actions = Vec::new();
        if let Some(expired) = existing {
            // Replace the expired pointer only if it is still the one we saw.
            actions.push(self.delete_action(&keys::public_link(&expired.uuid), None));
            actions.push(self.put_action(
                Self::item(&pointer_key, KIND_LINK, &link)?,
                Some((
                    "#data = :seen",
                    ":seen",
                    serde_json::to_string(expired).unwrap_or_default(),
                )),
            ));
        } else {
            actions.push(
                self.put_action(Self::item(&pointer_key, KIND_LINK, &link)?, None)
                    .condition_not_exists(),
            );
        }
        actions.push(self.put_action(
            Self::item(&keys::public_link(&link.uuid), KIND_PUBLIC_LINK, &link)?,
            None,
        ));

        match self
            .transact(actions.into_iter().map(TransactAction::build).collect())
            .await
        {
            Ok(()) => Ok(LinkOutcome::Created(link)),
            Err(StoreError::ConditionFailed { .. }) => {
                // Another request won the race; its link is the one.
                let item =
                    self.get(&pointer_key)
                        .await?
                        .ok_or_else(|| StoreError::ConditionFailed {
                            table: self.table().to_owned(),
                            operation: "TransactWriteItems",
                        })?;
                Ok(LinkOutcome::Existing(self.decode(&item)?))
            }
            Err(error) => Err(error),
        }
    }

    /// Resolves a public link by its uuid with one GetItem. Expired links resolve to `None`,
    /// exactly like links that never existed.
    pub async fn resolve_link(
        &self,
        uuid: &Uuid,
        now: DateTime<Utc>,
    ) -> Result<Option<PublicLink>, StoreError> {
        let Some(item) = self.get(&keys::public_link(uuid)).await? else {
            return Ok(None);
        };
        let link: PublicLink = self.decode(&item)?;
        Ok(link.is_live(now).then_some(link))
    }

    /// Revokes a learner's link for a program: both items go in one transaction. Returns the
    /// revoked link, or `None` when there was none.
    pub async fn revoke_link(
        &self,
        username: &Username,
        program: &Uuid,
    ) -> Result<Option<PublicLink>, StoreError> {
        let pointer_key = keys::learner_link(username, program);
        let Some(item) = self.get(&pointer_key).await? else {
            return Ok(None);
        };
        let link: PublicLink = self.decode(&item)?;
        let actions = vec![
            self.delete_action(
                &pointer_key,
                Some(serde_json::to_string(&link).unwrap_or_default()),
            )
            .build(),
            self.delete_action(&keys::public_link(&link.uuid), None)
                .build(),
        ];
        match self.transact(actions).await {
            Ok(()) => Ok(Some(link)),
            // Someone revoked or replaced it in between; there is nothing of ours left to revoke.
            Err(StoreError::ConditionFailed { .. }) => Ok(None),
            Err(error) => Err(error),
        }
    }

    fn put_action(
        &self,
        item: super::Item,
        condition: Option<(&str, &str, String)>,
    ) -> TransactAction {
        let mut put = Put::builder().table_name(self.table()).set_item(Some(item));
        if let Some((expression, placeholder, value)) = condition {
            put = put
                .condition_expression(expression)
                .expression_attribute_names("#data", super::DATA)
                .expression_attribute_values(
                    placeholder,
                    aws_sdk_dynamodb::types::AttributeValue::S(value),
                );
        }
        TransactAction::Put(put)
    }

    fn delete_action(&self, key: &keys::Key, expected_data: Option<String>) -> TransactAction {
        let mut delete = Delete::builder()
            .table_name(self.table())
            .set_key(Some(Self::key_attributes(key)));
        if let Some(data) = expected_data {
            delete = delete
                .condition_expression("#data = :seen")
                .expression_attribute_names("#data", super::DATA)
                .expression_attribute_values(
                    ":seen",
                    aws_sdk_dynamodb::types::AttributeValue::S(data),
                );
        }
        TransactAction::Delete(delete)
    }
}

/// A transaction action still being built.
enum TransactAction {
    Put(aws_sdk_dynamodb::types::builders::PutBuilder),
    Delete(aws_sdk_dynamodb::types::builders::DeleteBuilder),
}

impl TransactAction {
    fn condition_not_exists(self) -> Self {
        match self {
            Self::Put(put) => Self::Put(put.condition_expression("attribute_not_exists(PK)")),
            other => other,
        }
    }

    fn build(self) -> TransactWriteItem {
        match self {
            Self::Put(put) => TransactWriteItem::builder()
                .put(put.build().expect("table and item are set"))
                .build(),
            Self::Delete(delete) => TransactWriteItem::builder()
                .delete(delete.build().expect("table and key are set"))
                .build(),
        }
    }
}
