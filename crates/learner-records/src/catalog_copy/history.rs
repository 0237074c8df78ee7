//! Every stored version of every catalog entity, as the copy found them at its start. From it
//! the copy learns what readers see now, which items a failed run left behind, and which old
//! versions no reader can need any more.

use std::collections::{BTreeMap, HashMap};

use serde::de::DeserializeOwned;

use crate::domain::{Course, Organization, Pathway, Program, Uuid};
use crate::store::Key;
use crate::store::catalog_copy::CatalogItemVersion;
use crate::store::keys::CatalogKind;

/// The catalog readers see at one version, decoded, with each entity's content hash.
#[derive(Debug, Clone, Default)]
pub struct VisibleCatalog {
    pub version: u64,
    pub organizations: BTreeMap<Uuid, Organization>,
    pub courses: BTreeMap<Uuid, Course>,
    pub programs: BTreeMap<Uuid, Program>,
    pub pathways: BTreeMap<Uuid, Pathway>,
    pub hashes: HashMap<(CatalogKind, Uuid), String>,
}

impl VisibleCatalog {
    /// Lists every visible course run with its course.
    pub fn runs(&self) -> impl Iterator<Item = (&Course, &crate::domain::CourseRun)> {
        self.courses
            .values()
            .flat_map(|course| course.course_runs.iter().map(move |run| (course, run)))
    }
}

/// Item versions grouped by entity, oldest first.
#[derive(Debug, Clone, Default)]
pub struct CatalogHistory {
    entities: BTreeMap<(CatalogKind, Uuid), Vec<CatalogItemVersion>>,
}

impl CatalogHistory {
    pub fn new(items: Vec<CatalogItemVersion>) -> Self {
        let mut entities: BTreeMap<(CatalogKind, Uuid), Vec<CatalogItemVersion>> = BTreeMap::new();
        for item in items {
            entities
                .entry((item.kind, item.uuid))
                .or_default()
                .push(item);
        }
        for versions in entities.values_mut() {
            versions.sort_by_key(|item| item.version);
        }
        Self { entities }
    }

    /// Counts the stored items, all versions included.
    pub fn item_count(&self) -> usize {
        self.entities.values().map(Vec::len).sum()
    }

    /// Decodes the catalog as of `version`: each entity's newest item at or below it, unless
    /// that is a tombstone. This is the rule `Store::load_catalog` applies. An item that cannot be
    /// decoded is left out, so the copy writes the entity afresh.
    pub fn visible(&self, version: u64) -> VisibleCatalog {
        let mut visible = VisibleCatalog {
            version,
            ..VisibleCatalog::default()
        };
        for (&(kind, uuid), versions) in &self.entities {
            let Some(item) = newest_at(versions, version) else {
                continue;
            };
            let (Some(data), Some(hash)) = (&item.data, &item.content_hash) else {
                continue;
            };
            let decoded = match kind {
                CatalogKind::Organization => decode(data, kind, uuid)
                    .map(|value| visible.organizations.insert(uuid, value))
                    .is_some(),
                CatalogKind::Course => decode(data, kind, uuid)
                    .map(|value| visible.courses.insert(uuid, value))
                    .is_some(),
                CatalogKind::Program => decode(data, kind, uuid)
                    .map(|value| visible.programs.insert(uuid, value))
                    .is_some(),
                CatalogKind::Pathway => decode(data, kind, uuid)
                    .map(|value| visible.pathways.insert(uuid, value))
                    .is_some(),
            };
            if decoded {
                visible.hashes.insert((kind, uuid), hash.clone());
            }
        }
        visible
    }

    /// Items above `version`: written by a run that failed before publishing. Readers never
    /// see them, but the next publish would, so they must go before it.
    pub fn leftovers(&self, version: u64) -> Vec<Key> {
        self.entities
            .values()
            .flatten()
            .filter(|item| item.version > version)
            .map(CatalogItemVersion::key)
            .collect()
    }

    /// Finds the newest pathway id stored for a pathway, tombstoned or superseded versions
    /// included, so a pathway that comes back keeps its id.
    pub fn last_pathway_id(&self, uuid: &Uuid) -> Option<u64> {
        self.entities
            .get(&(CatalogKind::Pathway, *uuid))?
            .iter()
            .rev()
            .find_map(|item| pathway_id(item.data.as_deref()?))
    }

    /// Finds the largest pathway id in any stored item.
    pub fn max_pathway_id(&self) -> u64 {
        self.entities
            .iter()
            .filter(|((kind, _), _)| *kind == CatalogKind::Pathway)
            .flat_map(|(_, versions)| versions)
            .filter_map(|item| pathway_id(item.data.as_deref()?))
            .max()
            .unwrap_or(0)
    }

    /// Lists the items that no reader needs once `published` is visible. For each entity,
    /// those are all items except its newest at or below `published` and its newest at or
    /// below `previous`, because a reader that fetched the version just before the publish may
    /// still be loading `previous`. An entity whose newest item at both versions is the same
    /// tombstone is absent for both readers, so all of its items go. `written` maps the
    /// entities this run wrote at `published` to whether the item is a tombstone. Items above
    /// `previous` that this run did not write must already be deleted.
    pub fn garbage(
        &self,
        previous: u64,
        published: u64,
        written: &HashMap<(CatalogKind, Uuid), bool>,
    ) -> Vec<Key> {
        let mut garbage = Vec::new();
        for (entity, stored) in &self.entities {
            let mut versions: Vec<(u64, bool)> = stored
                .iter()
                .filter(|item| item.version <= previous)
                .map(|item| (item.version, item.is_tombstone()))
                .collect();
            if let Some(&tombstone) = written.get(entity).filter(|_| published > previous) {
                versions.push((published, tombstone));
            }
            let newest_published = versions
                .iter()
                .rev()
                .find(|(v, _)| *v <= published)
                .copied();
            let newest_previous = versions.iter().rev().find(|(v, _)| *v <= previous).copied();

            let absent_for_both = matches!(
                (newest_published, newest_previous),
                (Some(a), Some(b)) if a == b && a.1
            );
            for &(version, _) in &versions {
                let keep = !absent_for_both
                    && (Some(version) == newest_published.map(|(v, _)| v)
                        || Some(version) == newest_previous.map(|(v, _)| v));
                if !keep && version <= previous {
                    garbage.push(crate::store::keys::catalog_item(
                        entity.0, &entity.1, version,
                    ));
                }
            }
        }
        garbage
    }
}

fn newest_at(versions: &[CatalogItemVersion], version: u64) -> Option<&CatalogItemVersion> {
    versions.iter().rev().find(|item| item.version <= version)
}

fn decode<T: DeserializeOwned>(data: &str, kind: CatalogKind, uuid: Uuid) -> Option<T> {
    match serde_json::from_str(data) {
        Ok(value) => Some(value),
        Err(error) => {
            tracing::warn!(kind = kind.tag(), %uuid, %error, "stored catalog item cannot be decoded; it will be rewritten");
            None
        }
    }
}

fn pathway_id(data: &str) -> Option<u64> {
    serde_json::from_str::<serde_json::Value>(data)
        .ok()?
        .get("id")?
        .as_u64()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uuid(n: u8) -> Uuid {
        Uuid::parse(&format!("{n:02x}{}", "0".repeat(30))).unwrap()
    }

    fn item(n: u8, version: u64, tombstone: bool) -> CatalogItemVersion {
        let program = crate::domain::Program {
            uuid: uuid(n),
            title: format!("Program {n} at {version}"),
            program_type: "XSeries".into(),
            type_slug: "xseries".into(),
            status: crate::domain::ProgramStatus::Active,
            total_hours_of_effort: None,
            authoring_organizations: Vec::new(),
            course_runs: Vec::new(),
        };
        let data = serde_json::to_string(&program).unwrap();
        CatalogItemVersion {
            kind: CatalogKind::Program,
            uuid: uuid(n),
            version,
            content_hash: (!tombstone).then(|| crate::store::catalog::content_hash(&data)),
            data: (!tombstone).then_some(data),
        }
    }

    fn versions_of(keys: &[Key]) -> Vec<String> {
        let mut versions: Vec<String> = keys.iter().map(|k| k.sk.clone()).collect();
        versions.sort();
        versions
    }

    #[test]
    fn garbage_keeps_newest_at_previous_and_published() {
        let history = CatalogHistory::new(vec![
            item(1, 1, false),
            item(1, 2, false),
            item(1, 3, false),
        ]);
        let written = HashMap::from([((CatalogKind::Program, uuid(1)), false)]);
        let garbage = history.garbage(3, 4, &written);
        assert_eq!(
            versions_of(&garbage),
            versions_of(&[
                crate::store::keys::catalog_item(CatalogKind::Program, &uuid(1), 1),
                crate::store::keys::catalog_item(CatalogKind::Program, &uuid(1), 2),
            ])
        );
    }

    #[test]
    fn garbage_keeps_unchanged_entity_single_item() {
        let history = CatalogHistory::new(vec![item(1, 1, false)]);
        assert!(history.garbage(1, 2, &HashMap::new()).is_empty());
    }

    #[test]
    fn garbage_removes_old_tombstoned_entity_entirely() {
        let history = CatalogHistory::new(vec![item(1, 1, false), item(1, 2, true)]);
        assert_eq!(history.garbage(2, 3, &HashMap::new()).len(), 2);
    }

    #[test]
    fn garbage_keeps_data_behind_new_tombstone() {
        let history = CatalogHistory::new(vec![item(1, 1, false)]);
        let written = HashMap::from([((CatalogKind::Program, uuid(1)), true)]);
        assert!(history.garbage(1, 2, &written).is_empty());
    }

    #[test]
    fn leftovers_are_items_above_version() {
        let history =
            CatalogHistory::new(vec![item(1, 1, false), item(1, 2, false), item(2, 2, true)]);
        assert_eq!(history.leftovers(1).len(), 2);
        assert!(history.leftovers(2).is_empty());
    }

    #[test]
    fn visible_skips_tombstones_and_newer_items() {
        let history =
            CatalogHistory::new(vec![item(1, 1, false), item(1, 2, true), item(2, 3, false)]);
        let at_two = history.visible(2);
        assert!(at_two.programs.is_empty());
        assert!(at_two.hashes.is_empty());
        let at_one = history.visible(1);
        assert_eq!(at_one.programs[&uuid(1)].title, "Program 1 at 1");
        assert_eq!(at_one.hashes.len(), 1);
    }
}
