//! The single-table store on DynamoDB. Key shapes live in [`keys`]; this module owns the
//! requests: reads of whole partitions, conditional writes, transactions and batch writes.
//! Feature modules add their own `impl Store` blocks beside it, each built on these primitives.
//!
//! Every item carries its keys, a `kind` attribute and the domain value as JSON in `data`.
//! Grades are fixed-point decimals serialised as strings, so no float reaches storage.

pub mod cache;
pub mod catalog;
pub mod catalog_copy;
pub mod certificates;
pub mod counter;
pub mod credentials;
pub mod error;
pub mod grades;
pub mod keys;
pub mod learner;
pub mod links;
pub mod optimistic;
pub mod profiles;
pub mod schema;
pub mod sends;
pub mod usernames;

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeValue, DeleteRequest, PutRequest, TransactWriteItem, WriteRequest,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

pub use cache::SiteCache;
pub use counter::RequestCounter;
pub use error::StoreError;
pub use keys::Key;

pub type Item = HashMap<String, AttributeValue>;

/// DynamoDB accepts at most 25 requests in one BatchWriteItem.
pub const BATCH_WRITE_LIMIT: usize = 25;
/// DynamoDB accepts at most 100 actions in one TransactWriteItems.
pub const TRANSACTION_LIMIT: usize = 100;

pub const DATA: &str = "data";
pub const KIND: &str = "kind";

#[derive(Debug, Clone)]
pub struct Store {
    client: Client,
    table: String,
}

impl Store {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    /// Builds an item from a key, a kind tag and a domain value stored as JSON.
    pub fn item<T: Serialize>(key: &Key, kind: &str, value: &T) -> Result<Item, StoreError> {
        let data = serde_json::to_string(value).map_err(|error| StoreError::Malformed {
            table: String::new(),
            pk: key.pk.clone(),
            sk: key.sk.clone(),
            reason: format!("cannot encode: {error}"),
        })?;
        Ok(HashMap::from([
            (keys::PK.to_owned(), AttributeValue::S(key.pk.clone())),
            (keys::SK.to_owned(), AttributeValue::S(key.sk.clone())),
            (KIND.to_owned(), AttributeValue::S(kind.to_owned())),
            (DATA.to_owned(), AttributeValue::S(data)),
        ]))
    }

    /// Decodes the domain value of an item.
    pub fn decode<T: DeserializeOwned>(&self, item: &Item) -> Result<T, StoreError> {
        let malformed = |reason: String| StoreError::Malformed {
            table: self.table.clone(),
            pk: string_attribute(item, keys::PK)
                .unwrap_or_default()
                .to_owned(),
            sk: string_attribute(item, keys::SK)
                .unwrap_or_default()
                .to_owned(),
            reason,
        };
        let data = string_attribute(item, DATA)
            .ok_or_else(|| malformed("no data attribute".to_owned()))?;
        serde_json::from_str(data).map_err(|error| malformed(error.to_string()))
    }

    pub fn key_attributes(key: &Key) -> Item {
        HashMap::from([
            (keys::PK.to_owned(), AttributeValue::S(key.pk.clone())),
            (keys::SK.to_owned(), AttributeValue::S(key.sk.clone())),
        ])
    }

    /// Reads one item with a strongly consistent read.
    pub async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(Self::key_attributes(key)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| StoreError::from_sdk(&self.table, "GetItem", e))?;
        Ok(output.item)
    }

    /// Writes an item, replacing any item with the same key.
    pub async fn put(&self, item: Item) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| StoreError::from_sdk(&self.table, "PutItem", e))?;
        Ok(())
    }

    /// Writes an item only if no item with its key exists yet.
    pub async fn put_new(&self, item: Item) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(PK)")
            .send()
            .await
            .map_err(|e| StoreError::from_sdk(&self.table, "PutItem", e))?;
        Ok(())
    }

    pub async fn delete(&self, key: &Key) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(Self::key_attributes(key)))
            .send()
            .await
            .map_err(|e| StoreError::from_sdk(&self.table, "DeleteItem", e))?;
        Ok(())
    }

    /// Reads every item of a partition, optionally only sort keys with a prefix, following
    /// pages until the end.
    pub async fn query_partition(
        &self,
        pk: &str,
        sk_prefix: Option<&str>,
    ) -> Result<Vec<Item>, StoreError> {
        let mut items = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let mut request = self
                .client
                .query()
                .table_name(&self.table)
                .consistent_read(true)
                .expression_attribute_names("#pk", keys::PK)
                .expression_attribute_values(":pk", AttributeValue::S(pk.to_owned()))
                .set_exclusive_start_key(start.take());
            request = match sk_prefix {
                Some(prefix) => request
                    .key_condition_expression("#pk = :pk AND begins_with(#sk, :prefix)")
                    .expression_attribute_names("#sk", keys::SK)
                    .expression_attribute_values(":prefix", AttributeValue::S(prefix.to_owned())),
                None => request.key_condition_expression("#pk = :pk"),
            };
            let output = request
                .send()
                .await
                .map_err(|e| StoreError::from_sdk(&self.table, "Query", e))?;
            items.extend(output.items.unwrap_or_default());
            match output.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => return Ok(items),
            }
        }
    }

    /// Reads the items of one partition of a global secondary index (eventually consistent).
    pub async fn query_index(
        &self,
        index: &str,
        pk_attribute: &str,
        pk: &str,
        limit: Option<i32>,
        start: Option<Item>,
    ) -> Result<(Vec<Item>, Option<Item>), StoreError> {
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(index)
            .key_condition_expression("#pk = :pk")
            .expression_attribute_names("#pk", pk_attribute)
            .expression_attribute_values(":pk", AttributeValue::S(pk.to_owned()))
            .set_limit(limit)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(|e| StoreError::from_sdk(&self.table, "Query", e))?;
        let next = output.last_evaluated_key.filter(|key| !key.is_empty());
        Ok((output.items.unwrap_or_default(), next))
    }

    /// Applies up to 100 writes atomically. A failed condition cancels all of them and comes
    /// back as [`StoreError::ConditionFailed`].
    pub async fn transact(&self, actions: Vec<TransactWriteItem>) -> Result<(), StoreError> {
        debug_assert!(actions.len() <= TRANSACTION_LIMIT);
        let result = self
            .client
            .transact_write_items()
            .set_transact_items(Some(actions))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(error) => {
                let condition_failed = error
                    .as_service_error()
                    .and_then(|e| match e {
                        aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(c) => {
                            Some(c.cancellation_reasons().iter().any(|r| r.code() == Some("ConditionalCheckFailed")))
                        }
                        _ => None,
                    })
                    .unwrap_or(false);
                if condition_failed {
                    Err(StoreError::ConditionFailed {
                        table: self.table.clone(),
                        operation: "TransactWriteItems",
                    })
                } else {
                    Err(StoreError::from_sdk(
                        &self.table,
                        "TransactWriteItems",
                        error,
                    ))
                }
            }
        }
    }

    /// Writes and deletes many items in batches of 25, retrying what DynamoDB leaves
    /// unprocessed with exponential backoff. Not atomic: callers that need readers to see all or
    /// nothing must make the batch invisible until a final single write (the catalog copy does).
    pub async fn batch_write(
        &self,
        puts: Vec<Item>,
        deletes: Vec<Key>,
    ) -> Result<usize, StoreError> {
        let requests: Vec<WriteRequest> = puts
            .into_iter()
            .map(|item| {
                WriteRequest::builder()
                    .put_request(
                        PutRequest::builder()
                            .set_item(Some(item))
                            .build()
                            .expect("item is set"),
                    )
                    .build()
            })
            .chain(deletes.iter().map(|key| {
                WriteRequest::builder()
                    .delete_request(
                        DeleteRequest::builder()
                            .set_key(Some(Self::key_attributes(key)))
                            .build()
                            .expect("key is set"),
                    )
                    .build()
            }))
            .collect();
        let written = requests.len();

        for chunk in requests.chunks(BATCH_WRITE_LIMIT) {
            let mut pending = chunk.to_vec();
            let mut attempt = 0_u32;
            while !pending.is_empty() {
                let output = self
                    .client
                    .batch_write_item()
                    .request_items(&self.table, pending)
                    .send()
                    .await
                    .map_err(|e| StoreError::from_sdk(&self.table, "BatchWriteItem", e))?;
                pending = output
                    .unprocessed_items
                    .and_then(|mut unprocessed| unprocessed.remove(&self.table))
                    .unwrap_or_default();
                if pending.is_empty() {
                    break;
                }
                attempt += 1;
                if attempt > 8 {
                    return Err(StoreError::Throttled {
                        table: self.table.clone(),
                        operation: "BatchWriteItem",
                        source: format!(
                            "{} items still unprocessed after {attempt} attempts",
                            pending.len()
                        )
                        .into(),
                    });
                }
                tokio::time::sleep(backoff(attempt)).await;
            }
        }
        Ok(written)
    }

    /// Adds `amount` to a numeric attribute and returns the new value; creates the item when
    /// missing. Used for counters (rate limits, ids, versions).
    pub async fn increment(
        &self,
        key: &Key,
        attribute: &str,
        amount: i64,
        expires_at: Option<i64>,
    ) -> Result<i64, StoreError> {
        let mut request = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::key_attributes(key)))
            .expression_attribute_names("#n", attribute)
            .expression_attribute_values(":amount", AttributeValue::N(amount.to_string()))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::UpdatedNew);
        request = match expires_at {
            Some(expires_at) => request
                .update_expression("ADD #n :amount SET #ttl = if_not_exists(#ttl, :ttl)")
                .expression_attribute_names("#ttl", keys::EXPIRES_AT)
                .expression_attribute_values(":ttl", AttributeValue::N(expires_at.to_string())),
            None => request.update_expression("ADD #n :amount"),
        };
        let output = request
            .send()
            .await
            .map_err(|e| StoreError::from_sdk(&self.table, "UpdateItem", e))?;
        output
            .attributes
            .as_ref()
            .and_then(|attributes| number_attribute(attributes, attribute))
            .ok_or_else(|| StoreError::Malformed {
                table: self.table.clone(),
                pk: key.pk.clone(),
                sk: key.sk.clone(),
                reason: format!("counter {attribute} missing after update"),
            })
    }
}

/// Exponential backoff with full jitter: a random wait up to 50 ms × 2^attempt, capped at 5 s.
pub fn backoff(attempt: u32) -> Duration {
    let ceiling_ms = (50_u64 << attempt.min(7)).min(5_000);
    Duration::from_millis(rand::random_range(0..=ceiling_ms))
}

pub fn string_attribute<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    item.get(name)
        .and_then(|value| value.as_s().ok())
        .map(String::as_str)
}

pub fn number_attribute(item: &Item, name: &str) -> Option<i64> {
    item.get(name)
        .and_then(|value| value.as_n().ok())
        .and_then(|n| n.parse().ok())
}
