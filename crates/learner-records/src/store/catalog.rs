//! Catalog items: each version of an organization, course (with its runs), program or pathway
//! is its own item, and the `catalog_version` attribute of the versions item says which
//! versions readers see. A copy writes new versions of changed entities only, then moves the
//! version in one conditional update, so readers switch from the old catalog to the new one in
//! one step and never see half of a copy.

use aws_sdk_dynamodb::types::AttributeValue;
use serde::Serialize;

use crate::domain::{Course, Organization, Pathway, Program, Uuid};

use super::cache::{CATALOG_VERSION, CONTENT_HASH, TOMBSTONE};
use super::keys::{self, CatalogKind, Key};
use super::{Item, Store, StoreError};

pub const KIND_CATALOG: &str = "catalog";

/// Hashes an entity's stored form so a copy can skip entities that did not change. It is FNV-1a
/// over the JSON: a change detector, not a cryptographic hash.
pub fn content_hash(data: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in data.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
}

/// One catalog entity ready to be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogEntry {
    pub kind: CatalogKind,
    pub uuid: Uuid,
    /// The entity as JSON; `None` marks its removal (a tombstone).
    pub data: Option<String>,
}

impl CatalogEntry {
    fn of<T: Serialize>(kind: CatalogKind, uuid: Uuid, value: &T) -> Self {
        Self {
            kind,
            uuid,
            data: Some(serde_json::to_string(value).unwrap_or_default()),
        }
    }

    pub fn organization(value: &Organization) -> Self {
        Self::of(CatalogKind::Organization, value.uuid, value)
    }

    pub fn course(value: &Course) -> Self {
        Self::of(CatalogKind::Course, value.uuid, value)
    }

    pub fn program(value: &Program) -> Self {
        Self::of(CatalogKind::Program, value.uuid, value)
    }

    pub fn pathway(value: &Pathway) -> Self {
        Self::of(CatalogKind::Pathway, value.uuid, value)
    }

    pub fn tombstone(kind: CatalogKind, uuid: Uuid) -> Self {
        Self {
            kind,
            uuid,
            data: None,
        }
    }

    pub fn hash(&self) -> Option<String> {
        self.data.as_deref().map(content_hash)
    }

    /// Builds the item for this entry at `version`.
    pub fn item(&self, version: u64) -> Item {
        let key = keys::catalog_item(self.kind, &self.uuid, version);
        let mut item = Store::key_attributes(&key);
        item.insert(
            super::KIND.to_owned(),
            AttributeValue::S(KIND_CATALOG.to_owned()),
        );
        match &self.data {
            Some(data) => {
                item.insert(super::DATA.to_owned(), AttributeValue::S(data.clone()));
                item.insert(
                    CONTENT_HASH.to_owned(),
                    AttributeValue::S(content_hash(data)),
                );
            }
            None => {
                item.insert(TOMBSTONE.to_owned(), AttributeValue::Bool(true));
            }
        }
        item
    }
}

impl Store {
    /// Writes catalog entries at `version` in batches. They stay invisible until
    /// [`Store::publish_catalog_version`] moves readers to that version.
    pub async fn write_catalog_entries(
        &self,
        entries: &[CatalogEntry],
        version: u64,
    ) -> Result<usize, StoreError> {
        let items = entries.iter().map(|entry| entry.item(version)).collect();
        self.batch_write(items, Vec::new()).await
    }

    /// Makes `version` the catalog readers see, if the visible version is still `previous`. The
    /// condition stops a slow copy from replacing a newer one.
    pub async fn publish_catalog_version(
        &self,
        previous: u64,
        version: u64,
    ) -> Result<(), StoreError> {
        let condition = if previous == 0 {
            "attribute_not_exists(#v) OR #v = :previous"
        } else {
            "#v = :previous"
        };
        self.client()
            .update_item()
            .table_name(self.table())
            .set_key(Some(Self::key_attributes(&keys::versions())))
            .update_expression("SET #v = :version")
            .condition_expression(condition)
            .expression_attribute_names("#v", CATALOG_VERSION)
            .expression_attribute_values(":previous", AttributeValue::N(previous.to_string()))
            .expression_attribute_values(":version", AttributeValue::N(version.to_string()))
            .send()
            .await
            .map_err(|e| StoreError::from_sdk(self.table(), "UpdateItem", e))?;
        Ok(())
    }

    /// Deletes catalog items by key, in batches.
    pub async fn delete_catalog_items(&self, keys: Vec<Key>) -> Result<usize, StoreError> {
        self.batch_write(Vec::new(), keys).await
    }

    /// Replaces the visible catalog with exactly these entities in one new version. Entities
    /// of the previous version that are not given are removed. Used by tests and the demo; the
    /// catalog copy writes only what changed.
    pub async fn replace_catalog(
        &self,
        organizations: &[Organization],
        courses: &[Course],
        programs: &[Program],
        pathways: &[Pathway],
    ) -> Result<u64, StoreError> {
        let previous = self.versions().await?.catalog;
        let current = self.load_catalog(previous).await?;
        let version = previous + 1;

        let mut entries: Vec<CatalogEntry> = Vec::new();
        entries.extend(organizations.iter().map(CatalogEntry::organization));
        entries.extend(courses.iter().map(CatalogEntry::course));
        entries.extend(programs.iter().map(CatalogEntry::program));
        entries.extend(pathways.iter().map(CatalogEntry::pathway));
        let given: Vec<(CatalogKind, Uuid)> = entries.iter().map(|e| (e.kind, e.uuid)).collect();
        let removed = current
            .organizations()
            .map(|o| (CatalogKind::Organization, o.uuid))
            .chain(current.courses().map(|c| (CatalogKind::Course, c.uuid)))
            .chain(current.programs().map(|p| (CatalogKind::Program, p.uuid)))
            .chain(
                current
                    .pathways()
                    .iter()
                    .map(|p| (CatalogKind::Pathway, p.uuid)),
            )
            .filter(|entity| !given.contains(entity))
            .collect::<Vec<_>>();
        entries.extend(
            removed
                .into_iter()
                .map(|(kind, uuid)| CatalogEntry::tombstone(kind, uuid)),
        );

        self.write_catalog_entries(&entries, version).await?;
        self.publish_catalog_version(previous, version).await?;
        Ok(version)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_hash_is_stable_and_sensitive() {
        assert_eq!(content_hash("{\"a\":1}"), content_hash("{\"a\":1}"));
        assert_ne!(content_hash("{\"a\":1}"), content_hash("{\"a\":2}"));
        assert_eq!(content_hash(""), "cbf29ce484222325");
    }
}
