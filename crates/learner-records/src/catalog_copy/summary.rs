//! The report of a catalog copy: counts per phase, problems in Discovery's data, and the
//! entities Discovery no longer returns with what happened to them. The function returns the summary as
//! its result, so an operator who invokes the copy by hand reads it directly.

use std::collections::BTreeMap;
use std::collections::BTreeSet;

use serde::Serialize;

use crate::domain::Uuid;
use crate::domain::catalog::CatalogCounts;

/// The kind of problem found in one item of Discovery's data, and the copy's action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemCode {
    /// The item is not a JSON object; it was skipped.
    NotAnObject,
    /// The item's uuid is missing or invalid; it was skipped.
    InvalidUuid,
    /// A status or type value the copy does not know; the entity was not updated.
    UnknownStatus,
    /// A course run key that is not a valid key; the run was not updated.
    InvalidCourseRunKey,
    /// A required text field is missing or null; the entity was kept with an empty value.
    MissingField,
    /// A date that is not RFC 3339; the date was left empty.
    InvalidDate,
    /// A number that is not a non-negative whole number; the value was left empty.
    InvalidNumber,
    /// Two items with the same uuid; the last one was kept.
    DuplicateUuid,
    /// A link to a course run that is not in the catalog; the link was dropped.
    UnknownCourseRun,
    /// A link to an organization that is not in the catalog; the link was dropped.
    UnknownOrganization,
    /// A link to a program that is not in the catalog; the link was dropped.
    UnknownProgram,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The Discovery resource the item came from: `organizations`, `courses`, `programs` or
    /// `pathways`.
    pub resource: &'static str,
    /// The item's uuid, when it has a valid one.
    pub uuid: Option<Uuid>,
    pub code: ProblemCode,
    /// Description of the problem. It names fields, keys and uuids, but never titles, names or
    /// addresses.
    pub detail: String,
}

impl Problem {
    pub fn new(
        resource: &'static str,
        uuid: Option<Uuid>,
        code: ProblemCode,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            resource,
            uuid,
            code,
            detail: detail.into(),
        }
    }
}

/// Uuids of each kind of catalog entity.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct EntitySets {
    pub organizations: BTreeSet<Uuid>,
    pub courses: BTreeSet<Uuid>,
    pub course_runs: BTreeSet<Uuid>,
    pub programs: BTreeSet<Uuid>,
    pub pathways: BTreeSet<Uuid>,
}

impl EntitySets {
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn len(&self) -> usize {
        self.organizations.len()
            + self.courses.len()
            + self.course_runs.len()
            + self.programs.len()
            + self.pathways.len()
    }

    /// Returns the entities in `self` but not in `other`.
    pub fn difference(&self, other: &Self) -> Self {
        let minus = |a: &BTreeSet<Uuid>, b: &BTreeSet<Uuid>| a.difference(b).copied().collect();
        Self {
            organizations: minus(&self.organizations, &other.organizations),
            courses: minus(&self.courses, &other.courses),
            course_runs: minus(&self.course_runs, &other.course_runs),
            programs: minus(&self.programs, &other.programs),
            pathways: minus(&self.pathways, &other.pathways),
        }
    }

    pub fn counts(&self) -> CatalogCounts {
        CatalogCounts {
            organizations: self.organizations.len(),
            courses: self.courses.len(),
            course_runs: self.course_runs.len(),
            programs: self.programs.len(),
            pathways: self.pathways.len(),
        }
    }
}

/// Entities of the visible catalog that Discovery did not return.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Deletions {
    /// Whether removal was enabled for this run (`CATALOG_DELETE_MISSING`).
    pub enabled: bool,
    /// Everything Discovery no longer returns.
    pub missing: EntitySets,
    /// Missing entities removed from the catalog by this run.
    pub removed: EntitySets,
    /// Missing entities still in the catalog: all of them when removal is off, else those
    /// that learner data, certificate configurations or kept entities still refer to.
    pub kept: EntitySets,
}

/// Catalog items written by one run, by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct WrittenCounts {
    pub organizations: usize,
    pub courses: usize,
    pub programs: usize,
    pub pathways: usize,
    /// Tombstones of removed entities, of any kind.
    pub tombstones: usize,
}

impl WrittenCounts {
    pub fn total(&self) -> usize {
        self.organizations + self.courses + self.programs + self.pathways + self.tombstones
    }
}

/// Pages and items fetched from one Discovery resource.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct FetchCounts {
    pub pages: u32,
    pub items: usize,
}

/// The result of one catalog copy.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CopySummary {
    /// Set when the copy did nothing, with the reason.
    pub skipped: Option<String>,
    /// The catalog version readers saw when the copy started.
    pub previous_version: u64,
    /// The catalog version readers see now; equal to `previous_version` when nothing changed.
    pub version: u64,
    /// Pages and items per Discovery resource.
    pub fetched: BTreeMap<&'static str, FetchCounts>,
    /// Discovery requests sent, retries and the token request included.
    pub discovery_requests: u64,
    /// Entities of the catalog now visible.
    pub counts: CatalogCounts,
    /// Catalog items written: new or changed entities, and tombstones.
    pub written: WrittenCounts,
    /// Items of earlier failed runs deleted before writing.
    pub leftovers_deleted: usize,
    /// Superseded item versions deleted after publishing.
    pub versions_collected: usize,
    /// Entities Discovery returned but that could not be read; their previous version stays.
    pub rejected: EntitySets,
    pub problems: Vec<Problem>,
    pub deletions: Deletions,
    pub elapsed_ms: u64,
}
