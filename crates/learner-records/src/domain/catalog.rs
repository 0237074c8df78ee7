//! The catalog copied from course-discovery: organizations, courses with their runs, programs and
//! pathways. Order matters in several lists (a program's runs, its authoring organizations, a
//! course's owners, a pathway's programs) because records render in that order, so every list
//! keeps Discovery's order.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::ids::{CourseRunKey, Uuid};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organization {
    pub uuid: Uuid,
    pub key: String,
    pub name: String,
    #[serde(default)]
    pub certificate_logo_image_url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Course {
    pub uuid: Uuid,
    pub key: String,
    #[serde(default)]
    pub title: Option<String>,
    /// Owner organizations, in Discovery's order.
    #[serde(default)]
    pub owners: Vec<Uuid>,
    /// The course's runs, in Discovery's order.
    #[serde(default)]
    pub course_runs: Vec<CourseRun>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CourseRun {
    pub uuid: Uuid,
    pub key: CourseRunKey,
    /// The run's own title, kept only when it differs from the course title.
    #[serde(default)]
    pub title_override: Option<String>,
    #[serde(default)]
    pub start_date: Option<DateTime<Utc>>,
    #[serde(default)]
    pub end_date: Option<DateTime<Utc>>,
}

/// A program's lifecycle status in Discovery. Stored verbatim; filtering happens at read time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProgramStatus {
    Active,
    Retired,
    Unpublished,
    Deleted,
}

impl ProgramStatus {
    pub fn parse(text: &str) -> Result<Self, StatusError> {
        match text {
            "active" => Ok(Self::Active),
            "retired" => Ok(Self::Retired),
            "unpublished" => Ok(Self::Unpublished),
            "deleted" => Ok(Self::Deleted),
            _ => Err(StatusError::Program(text.to_owned())),
        }
    }

    /// Whether a learner's program list shows programs in this status. Retired programs stay
    /// listed so learners keep access to records they earned.
    pub fn is_listed(self) -> bool {
        matches!(self, Self::Active | Self::Retired)
    }
}

/// A rejected status or type value, naming the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatusError {
    #[error("invalid program status {0:?}: expected active, retired, unpublished or deleted")]
    Program(String),
    #[error("invalid pathway status {0:?}: expected published, unpublished or retired")]
    Pathway(String),
    #[error("invalid pathway type {0:?}: expected credit or industry")]
    PathwayType(String),
    #[error("invalid credential status {0:?}: expected awarded or revoked")]
    Credential(String),
    #[error(
        "invalid certificate type {0:?}: expected honor, verified, professional, no-id-professional or masters"
    )]
    CertificateType(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Program {
    pub uuid: Uuid,
    pub title: String,
    /// The raw program type, such as "MicroMasters" or "Professional Certificate".
    #[serde(rename = "type")]
    pub program_type: String,
    pub type_slug: String,
    pub status: ProgramStatus,
    #[serde(default)]
    pub total_hours_of_effort: Option<u32>,
    /// Authoring organizations, in Discovery's order.
    #[serde(default)]
    pub authoring_organizations: Vec<Uuid>,
    /// The course runs Discovery lists for this program, in its order. Runs, not courses,
    /// because Discovery can exclude single runs of a course from a program.
    #[serde(default)]
    pub course_runs: Vec<Uuid>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PathwayType {
    Credit,
    Industry,
}

impl PathwayType {
    pub fn parse(text: &str) -> Result<Self, StatusError> {
        match text {
            "credit" => Ok(Self::Credit),
            "industry" => Ok(Self::Industry),
            _ => Err(StatusError::PathwayType(text.to_owned())),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Credit => "credit",
            Self::Industry => "industry",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PathwayStatus {
    Published,
    Unpublished,
    Retired,
}

impl PathwayStatus {
    pub fn parse(text: &str) -> Result<Self, StatusError> {
        match text {
            "published" => Ok(Self::Published),
            "unpublished" => Ok(Self::Unpublished),
            "retired" => Ok(Self::Retired),
            _ => Err(StatusError::Pathway(text.to_owned())),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pathway {
    /// A small integer id, stable across catalog copies. The MFE sends it back as `pathway_id`.
    pub id: u64,
    pub uuid: Uuid,
    pub name: String,
    #[serde(default)]
    pub org_name: String,
    /// The partner's address; empty while the partner has none ("not yet available").
    #[serde(default)]
    pub email: String,
    pub pathway_type: PathwayType,
    pub status: PathwayStatus,
    /// Linked programs, in Discovery's order. Empty unless the pathway is published.
    #[serde(default)]
    pub programs: Vec<Uuid>,
}

/// The whole catalog of one site, indexed for the lookups records need.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    pub version: u64,
    organizations: HashMap<Uuid, Organization>,
    courses: HashMap<Uuid, Course>,
    programs: HashMap<Uuid, Program>,
    pathways: Vec<Pathway>,
    /// Course run uuid → (course uuid, index of the run in the course).
    run_index: HashMap<Uuid, (Uuid, usize)>,
    run_by_key: HashMap<CourseRunKey, Uuid>,
}

impl Catalog {
    pub fn new(
        version: u64,
        organizations: Vec<Organization>,
        courses: Vec<Course>,
        programs: Vec<Program>,
        mut pathways: Vec<Pathway>,
    ) -> Self {
        let mut run_index = HashMap::new();
        let mut run_by_key = HashMap::new();
        for course in &courses {
            for (position, run) in course.course_runs.iter().enumerate() {
                run_index.insert(run.uuid, (course.uuid, position));
                run_by_key.insert(run.key.clone(), run.uuid);
            }
        }
        pathways.sort_by_key(|pathway| pathway.id);

        Self {
            version,
            organizations: organizations.into_iter().map(|o| (o.uuid, o)).collect(),
            courses: courses.into_iter().map(|c| (c.uuid, c)).collect(),
            programs: programs.into_iter().map(|p| (p.uuid, p)).collect(),
            pathways,
            run_index,
            run_by_key,
        }
    }

    pub fn program(&self, uuid: &Uuid) -> Option<&Program> {
        self.programs.get(uuid)
    }

    pub fn programs(&self) -> impl Iterator<Item = &Program> {
        self.programs.values()
    }

    pub fn organization(&self, uuid: &Uuid) -> Option<&Organization> {
        self.organizations.get(uuid)
    }

    pub fn organizations(&self) -> impl Iterator<Item = &Organization> {
        self.organizations.values()
    }

    pub fn course(&self, uuid: &Uuid) -> Option<&Course> {
        self.courses.get(uuid)
    }

    pub fn courses(&self) -> impl Iterator<Item = &Course> {
        self.courses.values()
    }

    pub fn pathways(&self) -> &[Pathway] {
        &self.pathways
    }

    pub fn pathway(&self, id: u64) -> Option<&Pathway> {
        self.pathways.iter().find(|pathway| pathway.id == id)
    }

    /// The course and run of a run uuid.
    pub fn run(&self, uuid: &Uuid) -> Option<(&Course, &CourseRun)> {
        let (course_uuid, position) = self.run_index.get(uuid)?;
        let course = self.courses.get(course_uuid)?;
        Some((course, course.course_runs.get(*position)?))
    }

    /// The course and run of a course run key, matched exactly.
    pub fn run_by_key(&self, key: &CourseRunKey) -> Option<(&Course, &CourseRun)> {
        self.run(self.run_by_key.get(key)?)
    }

    /// Names of the given organizations joined by ", ", in the given order; unknown ones are
    /// skipped. Used for a program's "school"/"partner" and a course's "school".
    pub fn organization_names(&self, uuids: &[Uuid]) -> String {
        uuids
            .iter()
            .filter_map(|uuid| self.organizations.get(uuid))
            .map(|organization| organization.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Published pathways linked to a program, in pathway id order.
    pub fn pathways_of_program(&self, program: &Uuid) -> impl Iterator<Item = &Pathway> {
        self.pathways
            .iter()
            .filter(move |pathway| pathway.programs.contains(program))
    }

    pub fn counts(&self) -> CatalogCounts {
        CatalogCounts {
            organizations: self.organizations.len(),
            courses: self.courses.len(),
            course_runs: self.run_index.len(),
            programs: self.programs.len(),
            pathways: self.pathways.len(),
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogCounts {
    pub organizations: usize,
    pub courses: usize,
    pub course_runs: usize,
    pub programs: usize,
    pub pathways: usize,
}
