//! The `counts` command: catalog counts from the cached catalog, and learner counts from a Scan.
//!
//! The Scan reads the whole table, page by page, and keeps only learner items. That is fine for
//! an operator command run now and then; no request path scans, and no function's IAM role
//! allows it.

use std::collections::{BTreeMap, HashSet};

use aws_sdk_dynamodb::types::AttributeValue;
use learner_records::store::learner::{
    KIND_CREDENTIAL, KIND_GRADE, KIND_LINK, KIND_PROFILE, KIND_SEND,
};
use learner_records::store::{KIND, SiteCache, Store, StoreError, keys, string_attribute};
use serde_json::{Value, json};

use super::AdminError;

/// Item counts of the learner partitions.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct LearnerCounts {
    /// Distinct learner partitions: every learner with any stored item.
    pub learners: usize,
    /// Items per `kind` attribute.
    pub items: BTreeMap<String, usize>,
}

/// Counts learner partitions and their items with a paginated Scan.
pub async fn learner_counts(store: &Store) -> Result<LearnerCounts, StoreError> {
    let mut partitions = HashSet::new();
    let mut items: BTreeMap<String, usize> = BTreeMap::new();
    let mut start = None;
    loop {
        let output = store
            .client()
            .scan()
            .table_name(store.table())
            .projection_expression("#pk, #kind")
            .filter_expression("begins_with(#pk, :prefix)")
            .expression_attribute_names("#pk", keys::PK)
            .expression_attribute_names("#kind", KIND)
            .expression_attribute_values(
                ":prefix",
                AttributeValue::S(keys::LEARNER_PREFIX.to_owned()),
            )
            .set_exclusive_start_key(start.take())
            .send()
            .await
            .map_err(|e| StoreError::from_sdk(store.table(), "Scan", e))?;
        for item in output.items.unwrap_or_default() {
            if let Some(pk) = string_attribute(&item, keys::PK) {
                partitions.insert(pk.to_owned());
            }
            let kind = string_attribute(&item, KIND).unwrap_or("unknown");
            *items.entry(kind.to_owned()).or_default() += 1;
        }
        match output.last_evaluated_key {
            Some(key) if !key.is_empty() => start = Some(key),
            _ => break,
        }
    }
    Ok(LearnerCounts {
        learners: partitions.len(),
        items,
    })
}

/// Catalog counts at the current catalog version, and learner counts.
pub async fn counts(store: &Store) -> Result<Value, AdminError> {
    let snapshot = SiteCache::new().current(store).await?;
    let catalog = snapshot.catalog.counts();
    let learners = learner_counts(store).await?;
    let count = |kind: &str| learners.items.get(kind).copied().unwrap_or(0);
    Ok(json!({
        "catalog": {
            "version": snapshot.catalog.version,
            "organizations": catalog.organizations,
            "courses": catalog.courses,
            "course_runs": catalog.course_runs,
            "programs": catalog.programs,
            "pathways": catalog.pathways,
        },
        "learners": {
            "learners": learners.learners,
            "profiles": count(KIND_PROFILE),
            "grades": count(KIND_GRADE),
            "credentials": count(KIND_CREDENTIAL),
            "public_links": count(KIND_LINK),
            "credit_sends": count(KIND_SEND),
        },
        "settings_version": snapshot.settings.version,
    }))
}
