//! The table's definition: key schema, secondary indexes and TTL attribute. `template.yaml`
//! declares the same table for AWS; the local bootstrap creates it from this definition, and a
//! test compares the two so they cannot drift.

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, TimeToLiveSpecification,
};

use super::keys;
use super::{Store, StoreError};

/// One global secondary index: name, partition key attribute, sort key attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexDefinition {
    pub name: &'static str,
    pub partition_key: &'static str,
    pub sort_key: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableDefinition {
    pub partition_key: &'static str,
    pub sort_key: &'static str,
    pub indexes: &'static [IndexDefinition],
    pub ttl_attribute: &'static str,
}

pub const TABLE: TableDefinition = TableDefinition {
    partition_key: keys::PK,
    sort_key: keys::SK,
    indexes: &[
        IndexDefinition {
            name: keys::GSI1,
            partition_key: keys::GSI1_PK,
            sort_key: keys::GSI1_SK,
        },
        IndexDefinition {
            name: keys::GSI2,
            partition_key: keys::GSI2_PK,
            sort_key: keys::GSI2_SK,
        },
    ],
    ttl_attribute: keys::EXPIRES_AT,
};

fn string_attribute(name: &str) -> AttributeDefinition {
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(ScalarAttributeType::S)
        .build()
        .expect("name and type are set")
}

fn key_element(name: &str, key_type: KeyType) -> KeySchemaElement {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(key_type)
        .build()
        .expect("name and type are set")
}

impl Store {
    /// Creates the table with [`TABLE`]'s definition and enables TTL. An existing table is left
    /// as it is, so the bootstrap can run again.
    pub async fn create_table_if_missing(&self) -> Result<bool, StoreError> {
        let exists = self
            .client()
            .describe_table()
            .table_name(self.table())
            .send()
            .await
            .is_ok();
        if exists {
            return Ok(false);
        }

        let mut attributes = vec![
            string_attribute(TABLE.partition_key),
            string_attribute(TABLE.sort_key),
        ];
        let mut indexes = Vec::new();
        for index in TABLE.indexes {
            attributes.push(string_attribute(index.partition_key));
            attributes.push(string_attribute(index.sort_key));
            indexes.push(
                GlobalSecondaryIndex::builder()
                    .index_name(index.name)
                    .key_schema(key_element(index.partition_key, KeyType::Hash))
                    .key_schema(key_element(index.sort_key, KeyType::Range))
                    .projection(
                        Projection::builder()
                            .projection_type(ProjectionType::All)
                            .build(),
                    )
                    .build()
                    .expect("name, keys and projection are set"),
            );
        }

        self.client()
            .create_table()
            .table_name(self.table())
            .billing_mode(BillingMode::PayPerRequest)
            .set_attribute_definitions(Some(attributes))
            .key_schema(key_element(TABLE.partition_key, KeyType::Hash))
            .key_schema(key_element(TABLE.sort_key, KeyType::Range))
            .set_global_secondary_indexes(Some(indexes))
            .send()
            .await
            .map_err(|e| StoreError::from_sdk(self.table(), "CreateTable", e))?;

        self.client()
            .update_time_to_live()
            .table_name(self.table())
            .time_to_live_specification(
                TimeToLiveSpecification::builder()
                    .attribute_name(TABLE.ttl_attribute)
                    .enabled(true)
                    .build()
                    .expect("name and flag are set"),
            )
            .send()
            .await
            .map_err(|e| StoreError::from_sdk(self.table(), "UpdateTimeToLive", e))?;
        Ok(true)
    }
}
