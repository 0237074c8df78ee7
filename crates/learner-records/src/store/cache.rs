//! The in-memory cache of the catalog and the site settings. Warm functions reuse them across
//! requests; each request checks one small versions item (one GetItem, sent in parallel with the
//! learner query) and reloads only what changed, so a finished catalog copy or a new certificate
//! date shows on the next request without a restart.

use std::collections::HashMap;
use std::sync::Arc;

use aws_sdk_dynamodb::types::AttributeValue;
use tokio::sync::RwLock;

use crate::domain::{
    Catalog, Course, CourseCertificate, Organization, Pathway, Program, ProgramCertificate,
    SiteConfiguration, SiteSettings, Uuid,
};

use super::keys::{self, CatalogKind};
use super::{Store, StoreError, number_attribute, string_attribute};

pub const CATALOG_VERSION: &str = "catalog_version";
pub const SETTINGS_VERSION: &str = "settings_version";
/// Marks a catalog item version that removes the entity.
pub const TOMBSTONE: &str = "tombstone";
/// Hash of a catalog item's data, compared by the catalog copy to skip unchanged entities.
pub const CONTENT_HASH: &str = "content_hash";

pub const KIND_SITE: &str = "site-configuration";
pub const KIND_COURSE_CERTIFICATE: &str = "course-certificate";
pub const KIND_PROGRAM_CERTIFICATE: &str = "program-certificate";

/// The versions readers validate their caches against.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Versions {
    pub catalog: u64,
    pub settings: u64,
}

/// What a request reads: the catalog and site settings, both current as of the request.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub catalog: Arc<Catalog>,
    pub settings: Arc<SiteSettings>,
}

#[derive(Debug, Default)]
pub struct SiteCache {
    catalog: RwLock<Option<Arc<Catalog>>>,
    settings: RwLock<Option<Arc<SiteSettings>>>,
}

impl SiteCache {
    pub fn new() -> Self {
        Self::default()
    }

    /// Returns the current catalog and settings: one GetItem, plus a reload of whichever of
    /// the two changed since the last request.
    pub async fn current(&self, store: &Store) -> Result<Snapshot, StoreError> {
        let versions = store.versions().await?;
        let catalog = self.catalog_at(store, versions.catalog).await?;
        let settings = self.settings_at(store, versions.settings).await?;
        Ok(Snapshot { catalog, settings })
    }

    async fn catalog_at(&self, store: &Store, version: u64) -> Result<Arc<Catalog>, StoreError> {
        if let Some(cached) = self
            .catalog
            .read()
            .await
            .as_ref()
            .filter(|c| c.version == version)
        {
            return Ok(Arc::clone(cached));
        }
        let mut slot = self.catalog.write().await;
        if let Some(cached) = slot.as_ref().filter(|c| c.version == version) {
            return Ok(Arc::clone(cached));
        }
        let loaded = Arc::new(store.load_catalog(version).await?);
        *slot = Some(Arc::clone(&loaded));
        Ok(loaded)
    }

    async fn settings_at(
        &self,
        store: &Store,
        version: u64,
    ) -> Result<Arc<SiteSettings>, StoreError> {
        if let Some(cached) = self
            .settings
            .read()
            .await
            .as_ref()
            .filter(|s| s.version == version)
        {
            return Ok(Arc::clone(cached));
        }
        let mut slot = self.settings.write().await;
        if let Some(cached) = slot.as_ref().filter(|s| s.version == version) {
            return Ok(Arc::clone(cached));
        }
        let loaded = Arc::new(store.load_settings(version).await?);
        *slot = Some(Arc::clone(&loaded));
        Ok(loaded)
    }
}

impl Store {
    /// Reads the catalog and settings versions (0 before the first copy or setting).
    pub async fn versions(&self) -> Result<Versions, StoreError> {
        let item = self.get(&keys::versions()).await?;
        Ok(item.map_or_else(Versions::default, |item| Versions {
            catalog: number_attribute(&item, CATALOG_VERSION).unwrap_or(0).max(0) as u64,
            settings: number_attribute(&item, SETTINGS_VERSION)
                .unwrap_or(0)
                .max(0) as u64,
        }))
    }

    /// Bumps the settings version so every warm function reloads the settings on its next
    /// request. Call after any change to the settings partition.
    pub async fn bump_settings_version(&self) -> Result<u64, StoreError> {
        let version = self
            .increment(&keys::versions(), SETTINGS_VERSION, 1, None)
            .await?;
        Ok(version.max(0) as u64)
    }

    /// The update that bumps the settings version, for use inside a transaction.
    pub fn settings_version_bump(&self) -> aws_sdk_dynamodb::types::TransactWriteItem {
        let update = aws_sdk_dynamodb::types::Update::builder()
            .table_name(self.table())
            .set_key(Some(Self::key_attributes(&keys::versions())))
            .update_expression("ADD #v :one")
            .expression_attribute_names("#v", SETTINGS_VERSION)
            .expression_attribute_values(":one", AttributeValue::N("1".to_owned()))
            .build()
            .expect("table, key and expression are set");
        aws_sdk_dynamodb::types::TransactWriteItem::builder()
            .update(update)
            .build()
    }

    /// Loads the site configuration and every certificate configuration.
    pub async fn load_settings(&self, version: u64) -> Result<SiteSettings, StoreError> {
        let items = self.query_partition(keys::SETTINGS_PARTITION, None).await?;
        let mut settings = SiteSettings {
            version,
            ..SiteSettings::default()
        };
        for item in &items {
            match string_attribute(item, super::KIND) {
                Some(KIND_SITE) => {
                    settings.configuration = self.decode::<SiteConfiguration>(item)?
                }
                Some(KIND_COURSE_CERTIFICATE) => settings
                    .course_certificates
                    .push(self.decode::<CourseCertificate>(item)?),
                Some(KIND_PROGRAM_CERTIFICATE) => settings
                    .program_certificates
                    .push(self.decode::<ProgramCertificate>(item)?),
                _ => {}
            }
        }
        Ok(settings)
    }

    /// Loads the catalog as of `version`: for each entity, its newest item at or below that
    /// version, unless that item is a tombstone. Items above it belong to a copy that is not
    /// visible yet (or failed) and are ignored.
    pub async fn load_catalog(&self, version: u64) -> Result<Catalog, StoreError> {
        let items = self.query_partition(keys::CATALOG_PARTITION, None).await?;
        let mut newest: HashMap<(CatalogKind, Uuid), (u64, usize)> = HashMap::new();
        for (index, item) in items.iter().enumerate() {
            let sk = string_attribute(item, keys::SK).unwrap_or_default();
            let Some((kind, uuid, item_version)) = keys::parse_catalog_sort_key(sk) else {
                continue;
            };
            if item_version > version {
                continue;
            }
            let entry = newest.entry((kind, uuid)).or_insert((item_version, index));
            if item_version >= entry.0 {
                *entry = (item_version, index);
            }
        }

        let mut organizations = Vec::new();
        let mut courses = Vec::new();
        let mut programs = Vec::new();
        let mut pathways = Vec::new();
        for ((kind, _), (_, index)) in newest {
            let item = &items[index];
            if item
                .get(TOMBSTONE)
                .and_then(|v| v.as_bool().ok())
                .copied()
                .unwrap_or(false)
            {
                continue;
            }
            match kind {
                CatalogKind::Organization => organizations.push(self.decode::<Organization>(item)?),
                CatalogKind::Course => courses.push(self.decode::<Course>(item)?),
                CatalogKind::Program => programs.push(self.decode::<Program>(item)?),
                CatalogKind::Pathway => pathways.push(self.decode::<Pathway>(item)?),
            }
        }
        Ok(Catalog::new(
            version,
            organizations,
            courses,
            programs,
            pathways,
        ))
    }
}
