//! One catalog copy, start to finish. It takes the lease, fetches and parses the four listings
//! and builds the next catalog against the visible one. Then it writes only what changed, at
//! the next version, publishes that version in one conditional update, and deletes item
//! versions that no reader needs any more.

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use chrono::Utc;
use serde_json::json;

use crate::app::App;
use crate::domain::{SiteSettings, Uuid};
use crate::events::{CATALOG_REPLACED, DomainEvent};
use crate::http::error::cause_chain;
use crate::store::catalog::CatalogEntry;
use crate::store::catalog_copy::CatalogReferences;
use crate::store::keys::{self, CatalogKind};
use crate::store::{Key, StoreError};

use super::assemble::{self, Assembly, DeletionPolicy, needs_references, new_pathway_count};
use super::client::{DiscoveryClient, Resource};
use super::config::CatalogCopyConfig;
use super::error::CopyError;
use super::history::{CatalogHistory, VisibleCatalog};
use super::parse::{Listing, ParsedCatalog};
use super::summary::{CopySummary, WrittenCounts};

/// The catalog copy with its Discovery client. Build it once per process and call
/// [`CatalogCopy::run`] for every invocation; the client keeps its token between runs.
#[derive(Debug)]
pub struct CatalogCopy {
    config: CatalogCopyConfig,
    client: DiscoveryClient,
}

fn elapsed_ms(since: Instant) -> u64 {
    u64::try_from(since.elapsed().as_millis()).unwrap_or(u64::MAX)
}

impl CatalogCopy {
    pub fn new(config: CatalogCopyConfig) -> Result<Self, CopyError> {
        let client = DiscoveryClient::new(&config)?;
        Ok(Self { config, client })
    }

    pub fn config(&self) -> &CatalogCopyConfig {
        &self.config
    }

    /// Copies the catalog once. Fails without changing what readers see when another run
    /// holds the lease, when any listing cannot be fetched, or when storing fails before the
    /// publish.
    pub async fn run(&self, app: &App) -> Result<CopySummary, CopyError> {
        let started = Instant::now();
        let owner = Uuid::new_v4().hex();
        let now = Utc::now().timestamp();
        let lease_seconds = i64::try_from(self.config.lease_duration.as_secs()).unwrap_or(i64::MAX);
        let expires_at = now.saturating_add(lease_seconds);
        if !app
            .store
            .acquire_catalog_copy_lease(&owner, now, expires_at)
            .await?
        {
            tracing::warn!("catalog copy rejected: another run holds the lease");
            return Err(CopyError::AlreadyRunning);
        }

        let requests_before = self.client.requests();
        let result = self.run_leased(app).await;
        if let Err(error) = app.store.release_catalog_copy_lease(&owner).await {
            // The lease expires on its own; only the next run within its lifetime waits.
            tracing::error!(error = %cause_chain(&error), "releasing the catalog copy lease failed");
        }

        match result {
            Ok(mut summary) => {
                summary.discovery_requests = self.client.requests() - requests_before;
                summary.elapsed_ms = elapsed_ms(started);
                tracing::info!(
                    phase = "done",
                    previous_version = summary.previous_version,
                    version = summary.version,
                    items_written = summary.written.total(),
                    problems = summary.problems.len(),
                    discovery_requests = summary.discovery_requests,
                    elapsed_ms = summary.elapsed_ms,
                    "catalog copy finished"
                );
                Ok(summary)
            }
            Err(error) => {
                tracing::error!(
                    error = %cause_chain(&error),
                    elapsed_ms = elapsed_ms(started),
                    "catalog copy failed; the previous catalog stays visible"
                );
                Err(error)
            }
        }
    }

    async fn run_leased(&self, app: &App) -> Result<CopySummary, CopyError> {
        let store = &app.store;
        let previous = store.versions().await?.catalog;
        let mut summary = CopySummary {
            previous_version: previous,
            version: previous,
            ..CopySummary::default()
        };
        let settings = store.load_settings(0).await?;
        if !settings.configuration.records_enabled {
            // As upstream skips sites with records switched off.
            let reason = "records are disabled in the site configuration";
            tracing::info!(phase = "skipped", reason, "catalog copy skipped");
            summary.skipped = Some(reason.to_owned());
            return Ok(summary);
        }

        let parsed = self.fetch(&mut summary).await?;

        let phase = Instant::now();
        let history = CatalogHistory::new(store.catalog_item_versions().await?);
        let visible = history.visible(previous);
        tracing::info!(
            phase = "loaded",
            stored_items = history.item_count(),
            visible_version = previous,
            elapsed_ms = elapsed_ms(phase),
            "catalog copy read the stored catalog"
        );

        let phase = Instant::now();
        let fresh_ids = new_pathway_count(&parsed.pathways, &visible, &history);
        let first_fresh_id = if fresh_ids > 0 {
            store
                .allocate_pathway_ids(fresh_ids, history.max_pathway_id() + 1)
                .await?
        } else {
            0
        };
        let policy = self
            .deletion_policy(app, &parsed, &visible, &settings)
            .await?;
        let assembly = assemble::assemble(parsed, &visible, &history, first_fresh_id, &policy);
        let counts = assembly.entity_sets().counts();
        tracing::info!(
            phase = "validated",
            organizations = counts.organizations,
            courses = counts.courses,
            course_runs = counts.course_runs,
            programs = counts.programs,
            pathways = counts.pathways,
            problems = assembly.problems.len(),
            missing = assembly.deletions.missing.len(),
            elapsed_ms = elapsed_ms(phase),
            "catalog copy validated the listings"
        );

        let (entries, written) = changed_entries(&assembly, &visible);
        let version = previous + 1;
        let phase = Instant::now();
        let overwritten: HashSet<Key> = entries
            .iter()
            .map(|entry| keys::catalog_item(entry.kind, &entry.uuid, version))
            .collect();
        let leftovers: Vec<Key> = history
            .leftovers(previous)
            .into_iter()
            .filter(|key| !overwritten.contains(key))
            .collect();
        if !entries.is_empty() || !leftovers.is_empty() {
            let puts = entries.iter().map(|entry| entry.item(version)).collect();
            store.batch_write(puts, leftovers.clone()).await?;
        }
        tracing::info!(
            phase = "written",
            items = written.total(),
            organizations = written.organizations,
            courses = written.courses,
            programs = written.programs,
            pathways = written.pathways,
            tombstones = written.tombstones,
            leftovers_deleted = leftovers.len(),
            elapsed_ms = elapsed_ms(phase),
            "catalog copy wrote changed items"
        );
        // The tombstones of removed entities went out in the batch above.
        tracing::info!(
            phase = "deleted",
            enabled = assembly.deletions.enabled,
            missing = assembly.deletions.missing.len(),
            removed = assembly.deletions.removed.len(),
            kept = assembly.deletions.kept.len(),
            elapsed_ms = elapsed_ms(phase),
            "catalog copy handled entities course-discovery no longer returns"
        );

        let phase = Instant::now();
        let published = if entries.is_empty() {
            previous
        } else {
            match store.publish_catalog_version(previous, version).await {
                Ok(()) => version,
                Err(StoreError::ConditionFailed { .. }) => {
                    return Err(CopyError::Superseded { expected: previous });
                }
                Err(error) => return Err(error.into()),
            }
        };
        tracing::info!(
            phase = "published",
            version = published,
            previous_version = previous,
            changed = published != previous,
            elapsed_ms = elapsed_ms(phase),
            "catalog copy made its version visible"
        );
        let written_entities: HashMap<(CatalogKind, Uuid), bool> = entries
            .iter()
            .map(|entry| ((entry.kind, entry.uuid), entry.data.is_none()))
            .collect();
        let versions_collected = self
            .collect_garbage(app, &history, previous, published, &written_entities)
            .await;

        if published != previous {
            let event = DomainEvent::new(
                CATALOG_REPLACED,
                json!({
                    "previous_version": previous,
                    "version": published,
                    "counts": counts,
                    "written": written,
                    "removed": assembly.deletions.removed.counts(),
                }),
            );
            app.events.publish_or_log(vec![event]).await;
        }

        summary.version = published;
        summary.counts = counts;
        summary.written = written;
        summary.leftovers_deleted = leftovers.len();
        summary.versions_collected = versions_collected;
        summary.rejected = assembly.rejected;
        summary.problems = assembly.problems;
        summary.deletions = assembly.deletions;
        Ok(summary)
    }

    /// Fetches and parses the four listings in dependency order.
    async fn fetch(&self, summary: &mut CopySummary) -> Result<ParsedCatalog, CopyError> {
        let mut listing = Listing::new();
        for resource in Resource::ALL {
            let phase = Instant::now();
            let counts = self
                .client
                .fetch_all(resource, |item| match resource {
                    Resource::Organizations => listing.add_organization(item),
                    Resource::Courses => listing.add_course(item),
                    Resource::Programs => listing.add_program(item),
                    Resource::Pathways => listing.add_pathway(item),
                })
                .await?;
            tracing::info!(
                phase = "fetched",
                resource = resource.name(),
                pages = counts.pages,
                items = counts.items,
                elapsed_ms = elapsed_ms(phase),
                "catalog copy fetched a listing"
            );
            summary.fetched.insert(resource.name(), counts);
        }
        Ok(listing.finish())
    }

    /// Decides what happens to entities Discovery no longer returns. Learner references are
    /// looked up only when removal is enabled and something that can be referred to is
    /// missing, because the lookup scans the table.
    async fn deletion_policy(
        &self,
        app: &App,
        parsed: &ParsedCatalog,
        visible: &VisibleCatalog,
        settings: &SiteSettings,
    ) -> Result<DeletionPolicy, CopyError> {
        if !self.config.delete_missing {
            return Ok(DeletionPolicy::KeepMissing);
        }
        let missing = assemble::missing(parsed, visible);
        if !needs_references(&missing) {
            return Ok(DeletionPolicy::RemoveUnreferenced(
                CatalogReferences::default(),
            ));
        }

        let phase = Instant::now();
        let mut references = app.store.learner_catalog_references().await?;
        // Certificate configurations refer to runs and programs too; upstream protects
        // those rows from deletion as well.
        for certificate in &settings.course_certificates {
            references.course_runs.insert(certificate.course_id.clone());
        }
        for certificate in &settings.program_certificates {
            references.programs.insert(certificate.program_uuid);
        }
        tracing::info!(
            phase = "references",
            course_runs = references.course_runs.len(),
            programs = references.programs.len(),
            pathways = references.pathway_ids.len(),
            elapsed_ms = elapsed_ms(phase),
            "catalog copy read what learner data refers to"
        );
        Ok(DeletionPolicy::RemoveUnreferenced(references))
    }

    /// Deletes superseded item versions; returns how many. A failure here is logged and not
    /// returned, because the new catalog is already visible and the next run collects the
    /// same items again.
    async fn collect_garbage(
        &self,
        app: &App,
        history: &CatalogHistory,
        previous: u64,
        published: u64,
        written: &HashMap<(CatalogKind, Uuid), bool>,
    ) -> usize {
        let phase = Instant::now();
        let garbage = history.garbage(previous, published, written);
        let count = garbage.len();
        if count == 0 {
            return 0;
        }
        match app.store.delete_catalog_items(garbage).await {
            Ok(deleted) => {
                tracing::info!(
                    phase = "collected",
                    items = deleted,
                    elapsed_ms = elapsed_ms(phase),
                    "catalog copy deleted superseded item versions"
                );
                deleted
            }
            Err(error) => {
                tracing::error!(
                    error = %cause_chain(&error),
                    items = count,
                    "deleting superseded catalog items failed; the next run retries"
                );
                0
            }
        }
    }
}

/// The entries to write: every entity whose content differs from its visible version, and a
/// tombstone for every removed entity.
fn changed_entries(
    assembly: &Assembly,
    visible: &VisibleCatalog,
) -> (Vec<CatalogEntry>, WrittenCounts) {
    let changed = |entry: &CatalogEntry| {
        visible.hashes.get(&(entry.kind, entry.uuid)) != entry.hash().as_ref()
    };
    let mut written = WrittenCounts::default();
    let mut entries = Vec::new();

    let organizations = assembly
        .organizations
        .iter()
        .map(CatalogEntry::organization);
    let courses = assembly.courses.iter().map(CatalogEntry::course);
    let programs = assembly.programs.iter().map(CatalogEntry::program);
    let pathways = assembly.pathways.iter().map(CatalogEntry::pathway);
    for entry in organizations.chain(courses).chain(programs).chain(pathways) {
        if !changed(&entry) {
            continue;
        }
        match entry.kind {
            CatalogKind::Organization => written.organizations += 1,
            CatalogKind::Course => written.courses += 1,
            CatalogKind::Program => written.programs += 1,
            CatalogKind::Pathway => written.pathways += 1,
        }
        entries.push(entry);
    }
    for &(kind, uuid) in &assembly.removed {
        written.tombstones += 1;
        entries.push(CatalogEntry::tombstone(kind, uuid));
    }
    (entries, written)
}
