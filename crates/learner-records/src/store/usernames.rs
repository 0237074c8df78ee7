//! Renaming a learner for account retirement. Every item of the old learner partition moves to
//! the new one, with its keys rewritten and the username inside its `data` replaced. Public
//! links live outside the partition and get the new username too. The profile keeps no name.

use serde_json::Value;

use crate::domain::{PublicLink, Username};

use super::keys::{self, Key};
use super::optimistic::Expect;
use super::{DATA, Item, Store, StoreError, TRANSACTION_LIMIT, string_attribute};

/// The outcome of renaming one learner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UsernameReplacement {
    /// Nothing is stored under the old username.
    Unknown,
    /// `items` learner items moved in `transactions` TransactWriteItems.
    Moved { items: usize, transactions: usize },
}

/// The writes that move one learner item.
struct ItemMove {
    actions: Vec<aws_sdk_dynamodb::types::TransactWriteItem>,
    is_profile: bool,
}

impl Store {
    /// Moves everything stored for `old` to `new`. A learner whose moves fit into one
    /// transaction of 100 actions is renamed atomically. Each item needs 2 actions (3 for a
    /// public link), so a larger learner moves in ordered batches, profile last.
    // NOTE: when a later batch fails, the items of earlier batches are already under the new
    // name. Calling again with the same pair moves the rest, because every move is conditioned
    // on the old item being unchanged and the new one absent.
    pub async fn replace_username(
        &self,
        old: &Username,
        new: &Username,
    ) -> Result<UsernameReplacement, StoreError> {
        let items = self
            .query_partition(&keys::learner_partition(old), None)
            .await?;
        if items.is_empty() {
            return Ok(UsernameReplacement::Unknown);
        }

        let mut moves = items
            .iter()
            .map(|item| self.plan_move(item, old, new))
            .collect::<Result<Vec<_>, _>>()?;
        moves.sort_by_key(|planned| planned.is_profile);

        let mut batches: Vec<Vec<aws_sdk_dynamodb::types::TransactWriteItem>> = vec![Vec::new()];
        for planned in moves {
            let current = batches.last_mut().expect("batches start non-empty");
            if current.len() + planned.actions.len() > TRANSACTION_LIMIT {
                batches.push(planned.actions);
            } else {
                current.extend(planned.actions);
            }
        }
        let transactions = batches.len();
        for batch in batches {
            self.transact(batch).await?;
        }
        Ok(UsernameReplacement::Moved {
            items: items.len(),
            transactions,
        })
    }

    fn plan_move(
        &self,
        item: &Item,
        old: &Username,
        new: &Username,
    ) -> Result<ItemMove, StoreError> {
        let old_key = Key {
            pk: string_attribute(item, keys::PK)
                .unwrap_or_default()
                .to_owned(),
            sk: string_attribute(item, keys::SK)
                .unwrap_or_default()
                .to_owned(),
        };
        let is_profile = old_key == keys::profile(old);
        let old_data = string_attribute(item, DATA);

        let mut moved = item.clone();
        moved.insert(
            keys::PK.to_owned(),
            aws_sdk_dynamodb::types::AttributeValue::S(keys::learner_partition(new)),
        );
        let new_data = match old_data {
            Some(data) => Some(rename_in_data(data, new, is_profile).map_err(|reason| {
                StoreError::Malformed {
                    table: self.table().to_owned(),
                    pk: old_key.pk.clone(),
                    sk: old_key.sk.clone(),
                    reason,
                }
            })?),
            None => None,
        };
        if let Some(data) = &new_data {
            moved.insert(
                DATA.to_owned(),
                aws_sdk_dynamodb::types::AttributeValue::S(data.clone()),
            );
        }

        let delete_expectation = old_data.map_or(Expect::Present, Expect::Unchanged);
        let mut actions = vec![
            self.conditional_delete(&old_key, delete_expectation),
            self.conditional_put(moved, Expect::Absent),
        ];
        if old_key.sk.starts_with(keys::LINK_PREFIX)
            && let Some(data) = &new_data
            && let Ok(link) = serde_json::from_str::<PublicLink>(data)
        {
            actions.push(self.replace_data(&keys::public_link(&link.uuid), data.clone()));
        }
        Ok(ItemMove {
            actions,
            is_profile,
        })
    }
}

/// Replaces the top-level `username` of an item's JSON value, and blanks the `full_name` of a
/// profile, as retirement requires. Every learner item type keeps the username at the top level.
fn rename_in_data(data: &str, new: &Username, is_profile: bool) -> Result<String, String> {
    let mut value: Value = serde_json::from_str(data).map_err(|e| e.to_string())?;
    if let Value::Object(fields) = &mut value {
        if fields.contains_key("username") {
            fields.insert("username".to_owned(), Value::String(new.to_string()));
        }
        if is_profile {
            fields.insert("full_name".to_owned(), Value::String(String::new()));
        }
    }
    serde_json::to_string(&value).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bo() -> Username {
        Username::parse("lrn_bo").unwrap()
    }

    #[test]
    fn rename_replaces_username_and_keeps_other_fields() {
        let renamed = rename_in_data(r#"{"username":"lrn_ada","id":7}"#, &bo(), false).unwrap();
        assert_eq!(renamed, r#"{"id":7,"username":"lrn_bo"}"#);
    }

    #[test]
    fn rename_blanks_profile_full_name() {
        let renamed = rename_in_data(
            r#"{"username":"lrn_ada","full_name":"Ada Testwell","email":"ada@example.test"}"#,
            &bo(),
            true,
        )
        .unwrap();
        let value: Value = serde_json::from_str(&renamed).unwrap();
        assert_eq!(value["full_name"], "");
        assert_eq!(value["username"], "lrn_bo");
        assert_eq!(value["email"], "ada@example.test");
    }

    #[test]
    fn rename_leaves_values_without_username_alone() {
        assert_eq!(rename_in_data("[1,2]", &bo(), false).unwrap(), "[1,2]");
    }
}
