//! Optimistic concurrency for read-modify-write: a stored value together with the exact `data`
//! text it was decoded from, and writes conditioned on that text being unchanged (or on the item
//! being absent). Comparing the raw text, not a re-encoding, keeps the check exact even for items
//! written by an older version of a type.

use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem, Update};
use serde::de::DeserializeOwned;

use super::keys::{self, Key};
use super::{DATA, Item, Store, StoreError, string_attribute};

/// A decoded item value and the `data` text it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored<T> {
    pub value: T,
    pub data: String,
}

/// The condition a conditional write sets on the item it replaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect<'a> {
    /// No item with this key exists.
    Absent,
    /// The item exists and its `data` is exactly this text.
    Unchanged(&'a str),
    /// The item exists, whatever it holds.
    Present,
    /// No condition.
    Anything,
}

impl<'a> Expect<'a> {
    /// `Absent` for a new item, `Unchanged` for one read earlier.
    pub fn from_previous(previous: Option<&'a str>) -> Self {
        previous.map_or(Self::Absent, Self::Unchanged)
    }

    fn condition(self) -> Option<Condition> {
        match self {
            Self::Absent => Some(Condition {
                expression: "attribute_not_exists(#pk)",
                name: ("#pk", keys::PK),
                seen: None,
            }),
            Self::Unchanged(data) => Some(Condition {
                expression: "#data = :seen",
                name: ("#data", DATA),
                seen: Some(AttributeValue::S(data.to_owned())),
            }),
            Self::Present => Some(Condition {
                expression: "attribute_exists(#pk)",
                name: ("#pk", keys::PK),
                seen: None,
            }),
            Self::Anything => None,
        }
    }
}

/// A condition expression with the one attribute name it uses and, for `Unchanged`, the value
/// bound to `:seen`.
struct Condition {
    expression: &'static str,
    name: (&'static str, &'static str),
    seen: Option<AttributeValue>,
}

impl Store {
    /// Reads one item (strongly consistent) and decodes its value, keeping the raw `data`.
    pub async fn get_stored<T: DeserializeOwned>(
        &self,
        key: &Key,
    ) -> Result<Option<Stored<T>>, StoreError> {
        match self.get(key).await? {
            Some(item) => self.decode_stored(&item).map(Some),
            None => Ok(None),
        }
    }

    /// Decodes an item's value, keeping the raw `data`.
    pub fn decode_stored<T: DeserializeOwned>(&self, item: &Item) -> Result<Stored<T>, StoreError> {
        let value = self.decode(item)?;
        let data = string_attribute(item, DATA).unwrap_or_default().to_owned();
        Ok(Stored { value, data })
    }

    /// Writes one item with a single conditional PutItem. A failed condition comes back as
    /// [`StoreError::ConditionFailed`].
    pub async fn put_expecting(&self, item: Item, expect: Expect<'_>) -> Result<(), StoreError> {
        let mut request = self
            .client()
            .put_item()
            .table_name(self.table())
            .set_item(Some(item));
        if let Some(condition) = expect.condition() {
            request = request
                .condition_expression(condition.expression)
                .expression_attribute_names(condition.name.0, condition.name.1)
                .set_expression_attribute_values(
                    condition
                        .seen
                        .map(|seen| [(":seen".to_owned(), seen)].into()),
                );
        }
        request
            .send()
            .await
            .map_err(|e| StoreError::from_sdk(self.table(), "PutItem", e))?;
        Ok(())
    }

    /// Builds a transaction action that writes an item under a condition.
    pub fn conditional_put(&self, item: Item, expect: Expect<'_>) -> TransactWriteItem {
        let mut put = Put::builder().table_name(self.table()).set_item(Some(item));
        if let Some(condition) = expect.condition() {
            put = put
                .condition_expression(condition.expression)
                .expression_attribute_names(condition.name.0, condition.name.1)
                .set_expression_attribute_values(
                    condition
                        .seen
                        .map(|seen| [(":seen".to_owned(), seen)].into()),
                );
        }
        TransactWriteItem::builder()
            .put(put.build().expect("table and item are set"))
            .build()
    }

    /// Builds a transaction action that deletes an item under a condition.
    pub fn conditional_delete(&self, key: &Key, expect: Expect<'_>) -> TransactWriteItem {
        let mut delete = Delete::builder()
            .table_name(self.table())
            .set_key(Some(Self::key_attributes(key)));
        if let Some(condition) = expect.condition() {
            delete = delete
                .condition_expression(condition.expression)
                .expression_attribute_names(condition.name.0, condition.name.1)
                .set_expression_attribute_values(
                    condition
                        .seen
                        .map(|seen| [(":seen".to_owned(), seen)].into()),
                );
        }
        TransactWriteItem::builder()
            .delete(delete.build().expect("table and key are set"))
            .build()
    }

    /// Builds a transaction action that replaces only the `data` attribute of an item that must
    /// exist, keeping every other attribute (index keys, expiry) as it is.
    pub fn replace_data(&self, key: &Key, data: String) -> TransactWriteItem {
        let update = Update::builder()
            .table_name(self.table())
            .set_key(Some(Self::key_attributes(key)))
            .update_expression("SET #data = :data")
            .condition_expression("attribute_exists(#pk)")
            .expression_attribute_names("#data", DATA)
            .expression_attribute_names("#pk", keys::PK)
            .expression_attribute_values(":data", AttributeValue::S(data))
            .build()
            .expect("table, key and expression are set");
        TransactWriteItem::builder().update(update).build()
    }
}
