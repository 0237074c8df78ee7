//! Storage side of the catalog copy that [`super::catalog`] does not cover. That is the lease
//! that keeps two copies apart, and the listing of every catalog item version, which the change
//! diff, the clean-up of failed runs and garbage collection need. It also allocates pathway ids
//! and finds learner data that still refers to catalog entities before any of them is deleted.

use std::collections::HashSet;

use aws_sdk_dynamodb::types::AttributeValue;

use crate::domain::{CourseRunKey, CredentialSubject, Uuid};

use super::cache::{CONTENT_HASH, TOMBSTONE};
use super::keys::{self, CatalogKind};
use super::{DATA, Item, Store, StoreError, string_attribute};

/// Attribute of the lease item naming the run that holds it.
const LEASE_OWNER: &str = "owner";
/// Attribute of the pathway id counter item holding the last id handed out.
const LAST_PATHWAY_ID: &str = "last_id";

/// One stored version of one catalog entity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogItemVersion {
    pub kind: CatalogKind,
    pub uuid: Uuid,
    pub version: u64,
    /// The entity as JSON; `None` for a tombstone.
    pub data: Option<String>,
    /// The stored content hash; `None` for a tombstone.
    pub content_hash: Option<String>,
}

impl CatalogItemVersion {
    pub fn is_tombstone(&self) -> bool {
        self.data.is_none()
    }

    pub fn key(&self) -> keys::Key {
        keys::catalog_item(self.kind, &self.uuid, self.version)
    }
}

/// Catalog entities that learner data or certificate configurations still refer to. Course
/// runs are referred to by key, because grades and course credentials store run keys.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CatalogReferences {
    pub course_runs: HashSet<CourseRunKey>,
    pub programs: HashSet<Uuid>,
    pub pathway_ids: HashSet<u64>,
}

impl Store {
    /// Takes the catalog copy lease for `owner` until `expires_at` (epoch seconds). Returns
    /// `false` when another run holds a lease that has not expired yet. The lease carries the
    /// table's TTL attribute, so DynamoDB also removes a lease that a crashed run left behind.
    pub async fn acquire_catalog_copy_lease(
        &self,
        owner: &str,
        now: i64,
        expires_at: i64,
    ) -> Result<bool, StoreError> {
        let mut item = Self::key_attributes(&keys::catalog_copy_lease());
        item.insert(LEASE_OWNER.to_owned(), AttributeValue::S(owner.to_owned()));
        item.insert(
            keys::EXPIRES_AT.to_owned(),
            AttributeValue::N(expires_at.to_string()),
        );
        let result = self
            .client()
            .put_item()
            .table_name(self.table())
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(#pk) OR #expires < :now")
            .expression_attribute_names("#pk", keys::PK)
            .expression_attribute_names("#expires", keys::EXPIRES_AT)
            .expression_attribute_values(":now", AttributeValue::N(now.to_string()))
            .send()
            .await
            .map_err(|e| StoreError::from_sdk(self.table(), "PutItem", e));
        match result {
            Ok(_) => Ok(true),
            Err(StoreError::ConditionFailed { .. }) => Ok(false),
            Err(error) => Err(error),
        }
    }

    /// Releases the lease if `owner` still holds it. A lease that expired and was taken by
    /// another run is left alone.
    pub async fn release_catalog_copy_lease(&self, owner: &str) -> Result<(), StoreError> {
        let result = self
            .client()
            .delete_item()
            .table_name(self.table())
            .set_key(Some(Self::key_attributes(&keys::catalog_copy_lease())))
            .condition_expression("#owner = :owner")
            .expression_attribute_names("#owner", LEASE_OWNER)
            .expression_attribute_values(":owner", AttributeValue::S(owner.to_owned()))
            .send()
            .await
            .map_err(|e| StoreError::from_sdk(self.table(), "DeleteItem", e));
        match result {
            Ok(_) | Err(StoreError::ConditionFailed { .. }) => Ok(()),
            Err(error) => Err(error),
        }
    }

    /// Lists every version of every catalog entity, visible or not, with one paginated Query
    /// of the catalog partition.
    pub async fn catalog_item_versions(&self) -> Result<Vec<CatalogItemVersion>, StoreError> {
        let items = self.query_partition(keys::CATALOG_PARTITION, None).await?;
        Ok(items.iter().filter_map(catalog_item_version).collect())
    }

    /// Reserves `count` new pathway ids and returns the first. Ids are never reused, so a
    /// credit-pathway send never points at another pathway. `at_least` is the smallest id the
    /// caller may use (one above every id it has seen), in case the counter is behind ids
    /// written by other means.
    pub async fn allocate_pathway_ids(&self, count: u64, at_least: u64) -> Result<u64, StoreError> {
        let amount = i64::try_from(count).unwrap_or(i64::MAX);
        let last = self
            .increment(&keys::pathway_id_counter(), LAST_PATHWAY_ID, amount, None)
            .await?;
        let last = u64::try_from(last).unwrap_or(0);
        let first = last.saturating_sub(count) + 1;
        if first >= at_least {
            return Ok(first);
        }

        // The counter was behind: move it past the ids already in use and take the range
        // from there.
        let shortfall = at_least - first;
        let last = self
            .increment(
                &keys::pathway_id_counter(),
                LAST_PATHWAY_ID,
                i64::try_from(shortfall).unwrap_or(i64::MAX),
                None,
            )
            .await?;
        Ok(u64::try_from(last).unwrap_or(0).saturating_sub(count) + 1)
    }

    /// Finds the course runs, programs and pathways that learners' grades, credentials, public
    /// links and credit-pathway sends refer to. This is a paginated Scan of the whole table
    /// that reads only learner items' keys and data, so it is meant for the catalog copy's
    /// deletion step and must never run on a request path.
    pub async fn learner_catalog_references(&self) -> Result<CatalogReferences, StoreError> {
        let mut references = CatalogReferences::default();
        let mut start: Option<Item> = None;
        loop {
            let output = self
                .client()
                .scan()
                .table_name(self.table())
                .consistent_read(true)
                .projection_expression("#pk, #sk, #data")
                .filter_expression(
                    "begins_with(#pk, :learner) AND (begins_with(#sk, :grade) OR \
                     begins_with(#sk, :credential) OR begins_with(#sk, :link) OR \
                     begins_with(#sk, :send))",
                )
                .expression_attribute_names("#pk", keys::PK)
                .expression_attribute_names("#sk", keys::SK)
                .expression_attribute_names("#data", DATA)
                .expression_attribute_values(
                    ":learner",
                    AttributeValue::S(keys::LEARNER_PREFIX.to_owned()),
                )
                .expression_attribute_values(
                    ":grade",
                    AttributeValue::S(keys::GRADE_PREFIX.to_owned()),
                )
                .expression_attribute_values(
                    ":credential",
                    AttributeValue::S(keys::CREDENTIAL_PREFIX.to_owned()),
                )
                .expression_attribute_values(
                    ":link",
                    AttributeValue::S(keys::LINK_PREFIX.to_owned()),
                )
                .expression_attribute_values(
                    ":send",
                    AttributeValue::S(keys::SEND_PREFIX.to_owned()),
                )
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| StoreError::from_sdk(self.table(), "Scan", e))?;

            let learner = self.decode_learner(output.items())?;
            for grade in learner.grades {
                references.course_runs.insert(grade.course_run);
            }
            for credential in learner.credentials {
                match credential.subject {
                    CredentialSubject::CourseRun { course_run_key, .. } => {
                        references.course_runs.insert(course_run_key);
                    }
                    CredentialSubject::Program { program_uuid } => {
                        references.programs.insert(program_uuid);
                    }
                }
            }
            for link in learner.links {
                references.programs.insert(link.program_uuid);
            }
            for send in learner.sends {
                references.pathway_ids.insert(send.pathway_id);
                if let Some(program) = send.program_uuid {
                    references.programs.insert(program);
                }
            }

            match output.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => return Ok(references),
            }
        }
    }
}

fn catalog_item_version(item: &Item) -> Option<CatalogItemVersion> {
    let sk = string_attribute(item, keys::SK)?;
    let (kind, uuid, version) = keys::parse_catalog_sort_key(sk)?;
    let tombstone = item
        .get(TOMBSTONE)
        .and_then(|v| v.as_bool().ok())
        .copied()
        .unwrap_or(false);
    let data = string_attribute(item, DATA)
        .filter(|_| !tombstone)
        .map(str::to_owned);
    let content_hash = data.as_ref().map(|data| {
        string_attribute(item, CONTENT_HASH)
            .map_or_else(|| super::catalog::content_hash(data), str::to_owned)
    });
    Some(CatalogItemVersion {
        kind,
        uuid,
        version,
        data,
        content_hash,
    })
}
