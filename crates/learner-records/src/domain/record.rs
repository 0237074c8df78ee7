//! Program records, computed at read time from the catalog, the site's certificate
//! configurations and one learner's data. A record is never stored.
//!
//! Rules, with the choices made where upstream Credentials behaves by accident:
//! * A course credential counts only while visible: its configuration has no
//!   `certificate_available_date`, or that date has passed. An invisible credential is ignored
//!   everywhere, as if it did not exist yet.
//! * Only verified grades count. A grade counts as an attempt of its course when its run also
//!   holds a visible course credential, awarded or revoked.
//! * The grade shown for a course is the highest among runs holding an awarded credential; on a
//!   tie the run that comes first in the program's catalog order wins.
//! * The row's `course_id` and `issue_date` come from the same run as its grade. Upstream takes
//!   them from the most recently created awarded credential, which can belong to another run
//!   than the grade; that mismatch is fixed here. A course with an awarded credential but no
//!   grade shows that credential's run and date with blank grade fields.
//! * A program credential is visible once every course credential of the learner in the
//!   program's runs is visible. With no course credential in the program it is visible at once
//!   (a staff-granted program certificate shows as completed).

use std::collections::HashMap;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Serialize, Serializer};

use super::catalog::{Catalog, PathwayStatus, PathwayType, Program};
use super::ids::{CourseRunKey, Username, Uuid};
use super::learner::{
    CredentialStatus, CredentialSubject, CreditPathwayStatus, LearnerData, Percent, UserCredential,
};
use super::site::SiteSettings;

/// Formats a timestamp as Python's `isoformat()` does for an aware UTC datetime: microseconds
/// only when non-zero, and always the `+00:00` offset.
pub fn isoformat(timestamp: &DateTime<Utc>) -> String {
    let format = if timestamp.timestamp_subsec_micros() == 0 {
        SecondsFormat::Secs
    } else {
        SecondsFormat::Micros
    };
    timestamp.to_rfc3339_opts(format, false)
}

/// Who is looking at a record; decides whether the learner's email is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Viewer {
    /// The learner, or staff.
    OwnerOrStaff,
    /// Anyone holding the public link.
    Public,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LearnerBlock {
    pub full_name: String,
    pub username: String,
    /// Left out of public views unless the site shows emails publicly.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProgramBlock {
    pub name: String,
    #[serde(rename = "type")]
    pub type_slug: String,
    pub type_name: String,
    pub completed: bool,
    pub empty: bool,
    #[serde(serialize_with = "serialize_isoformat")]
    pub last_updated: DateTime<Utc>,
    pub school: String,
}

/// One course of the program. Fields a course without an earned credential lacks are empty
/// strings in the JSON, as the MFE expects; it never receives `null` for them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GradeRow {
    pub name: String,
    pub school: String,
    #[serde(serialize_with = "serialize_count_or_empty")]
    pub attempts: Option<u32>,
    pub course_id: String,
    #[serde(serialize_with = "serialize_date_or_empty")]
    pub issue_date: Option<DateTime<Utc>>,
    #[serde(serialize_with = "serialize_percent_or_empty")]
    pub percent_grade: Option<Percent>,
    pub letter_grade: String,
}

impl GradeRow {
    pub fn is_earned(&self) -> bool {
        self.issue_date.is_some()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PathwayBlock {
    pub name: String,
    pub id: u64,
    pub status: &'static str,
    pub is_active: bool,
    pub pathway_type: &'static str,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProgramRecord {
    pub learner: LearnerBlock,
    pub program: ProgramBlock,
    pub platform_name: String,
    pub grades: Vec<GradeRow>,
    pub pathways: Vec<PathwayBlock>,
    /// Hex of the learner's live public link for this program.
    pub shared_program_record_uuid: Option<String>,
}

/// One entry of a learner's program list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EnrolledProgram {
    pub name: String,
    /// 32 hex digits without dashes, the form the MFE routes on.
    pub uuid: String,
    pub partner: String,
    pub completed: bool,
    pub empty: bool,
}

fn serialize_isoformat<S: Serializer>(
    value: &DateTime<Utc>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&isoformat(value))
}

fn serialize_count_or_empty<S: Serializer>(
    value: &Option<u32>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match value {
        Some(count) => serializer.serialize_u32(*count),
        None => serializer.serialize_str(""),
    }
}

fn serialize_date_or_empty<S: Serializer>(
    value: &Option<DateTime<Utc>>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match value {
        Some(date) => serializer.serialize_str(&isoformat(date)),
        None => serializer.serialize_str(""),
    }
}

fn serialize_percent_or_empty<S: Serializer>(
    value: &Option<Percent>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match value {
        Some(percent) => serializer.serialize_f64(percent.as_f64()),
        None => serializer.serialize_str(""),
    }
}

/// The learner's visible course credentials, with their configuration's available date.
struct VisibleCredential<'a> {
    credential: &'a UserCredential,
    run_key: &'a CourseRunKey,
    available_date: Option<DateTime<Utc>>,
}

impl VisibleCredential<'_> {
    /// The date a credential was issued, before any override: the configuration's available
    /// date, else the credential's creation.
    fn issued(&self) -> DateTime<Utc> {
        self.available_date.unwrap_or(self.credential.created)
    }

    /// The date shown to people: the learner's date override first.
    fn shown_date(&self) -> DateTime<Utc> {
        self.credential
            .date_override
            .unwrap_or_else(|| self.issued())
    }

    fn is_awarded(&self) -> bool {
        self.credential.status == CredentialStatus::Awarded
    }
}

/// Every course credential of the learner with its issue date and visibility.
fn course_credentials<'a>(
    learner: &'a LearnerData,
    settings: &SiteSettings,
) -> Vec<(VisibleCredential<'a>, bool)> {
    let now = Utc::now();
    learner
        .credentials
        .iter()
        .filter_map(|credential| match &credential.subject {
            CredentialSubject::CourseRun {
                course_run_key,
                mode,
            } => {
                let configuration = settings.course_certificate(course_run_key, *mode);
                let available_date = configuration.and_then(|c| c.certificate_available_date);
                let visible = available_date.is_none_or(|date| date <= now);
                Some((
                    VisibleCredential {
                        credential,
                        run_key: course_run_key,
                        available_date,
                    },
                    visible,
                ))
            }
            CredentialSubject::Program { .. } => None,
        })
        .collect()
}

/// Whether the learner holds an awarded, visible credential for the program.
fn program_completed(
    program: &Program,
    catalog: &Catalog,
    learner: &LearnerData,
    settings: &SiteSettings,
) -> bool {
    let awarded = learner.credentials.iter().any(|credential| {
        credential.status == CredentialStatus::Awarded
            && credential.program_uuid() == Some(&program.uuid)
    });
    if !awarded {
        return false;
    }

    let now = Utc::now();
    let program_runs: Vec<&CourseRunKey> = program
        .course_runs
        .iter()
        .filter_map(|uuid| catalog.run(uuid).map(|(_, run)| &run.key))
        .collect();
    course_credentials(learner, settings)
        .iter()
        .filter(|(credential, _)| program_runs.contains(&credential.run_key))
        .all(|(credential, _)| credential.issued() <= now)
}

/// Builds one program's record for one learner.
pub fn build_program_record(
    catalog: &Catalog,
    settings: &SiteSettings,
    program: &Program,
    username: &Username,
    learner: &LearnerData,
    viewer: Viewer,
) -> ProgramRecord {
    let now = Utc::now();
    let credentials = course_credentials(learner, settings);
    let visible: Vec<&VisibleCredential> = credentials
        .iter()
        .filter(|(_, visible)| *visible)
        .map(|(credential, _)| credential)
        .collect();

    // The program's runs in catalog order, with their course.
    let runs: Vec<(&crate::domain::Course, &crate::domain::CourseRun)> = program
        .course_runs
        .iter()
        .filter_map(|uuid| catalog.run(uuid))
        .collect();

    let mut attempts: HashMap<Uuid, u32> = HashMap::new();
    let mut best: HashMap<Uuid, (Percent, usize)> = HashMap::new();
    let mut last_updated: Option<DateTime<Utc>> = None;
    let mut latest_awarded: HashMap<Uuid, (DateTime<Utc>, usize)> = HashMap::new();

    for (position, (course, run)) in runs.iter().enumerate() {
        let run_credentials: Vec<&&VisibleCredential> = visible
            .iter()
            .filter(|credential| credential.run_key == &run.key)
            .collect();
        let awarded = run_credentials
            .iter()
            .find(|credential| credential.is_awarded());

        if let Some(credential) = awarded {
            let created = credential.credential.created;
            let newer = latest_awarded
                .get(&course.uuid)
                .is_none_or(|(seen, _)| created > *seen);
            if newer {
                latest_awarded.insert(course.uuid, (created, position));
            }
        }

        let grade = learner
            .grades
            .iter()
            .find(|grade| grade.course_run == run.key && grade.verified);
        let (Some(grade), Some(credential)) = (grade, awarded.or(run_credentials.first())) else {
            continue;
        };

        *attempts.entry(course.uuid).or_default() += 1;
        let touched = credential.issued().max(grade.modified);
        last_updated = Some(last_updated.map_or(touched, |previous| previous.max(touched)));

        if credential.is_awarded() {
            let better = best
                .get(&course.uuid)
                .is_none_or(|(percent, _)| grade.percent_grade > *percent);
            if better {
                best.insert(course.uuid, (grade.percent_grade, position));
            }
        }
    }

    // Each course gets one row, placed at the run its data comes from, or at its first run.
    let mut rows = Vec::new();
    let mut done: Vec<Uuid> = Vec::new();
    for (position, (course, run)) in runs.iter().enumerate() {
        if done.contains(&course.uuid) {
            continue;
        }
        let source = best
            .get(&course.uuid)
            .map(|(_, p)| *p)
            .or_else(|| latest_awarded.get(&course.uuid).map(|(_, p)| *p));
        let row_base = |course: &crate::domain::Course| GradeRow {
            name: course.title.clone().unwrap_or_default(),
            school: catalog.organization_names(&course.owners),
            attempts: None,
            course_id: String::new(),
            issue_date: None,
            percent_grade: None,
            letter_grade: String::new(),
        };

        match source {
            Some(source) if source != position => continue,
            Some(_) => {
                let credential = visible
                    .iter()
                    .find(|credential| credential.run_key == &run.key && credential.is_awarded());
                let grade = learner
                    .grades
                    .iter()
                    .find(|grade| grade.course_run == run.key && grade.verified);
                let mut row = row_base(course);
                row.course_id = run.key.to_string();
                row.issue_date = credential.map(|c| c.shown_date());
                if let Some(grade) = grade.filter(|_| best.contains_key(&course.uuid)) {
                    row.attempts = attempts.get(&course.uuid).copied();
                    row.percent_grade = Some(grade.percent_grade);
                    row.letter_grade = if grade.letter_grade.is_empty() {
                        "N/A".to_owned()
                    } else {
                        grade.letter_grade.clone()
                    };
                }
                rows.push(row);
            }
            None => rows.push(row_base(course)),
        }
        done.push(course.uuid);
    }

    let profile = learner.profile.clone().unwrap_or_default();
    let show_email = viewer == Viewer::OwnerOrStaff || settings.configuration.show_email_publicly;
    let link = learner
        .link_for_program(&program.uuid)
        .filter(|link| link.is_live(now));

    ProgramRecord {
        learner: LearnerBlock {
            full_name: profile.display_name(username).to_owned(),
            username: username.to_string(),
            email: show_email.then(|| profile.email.clone()),
        },
        program: ProgramBlock {
            name: program.title.clone(),
            type_slug: program.type_slug.clone(),
            type_name: program.program_type.clone(),
            completed: program_completed(program, catalog, learner, settings),
            empty: !rows.iter().any(GradeRow::is_earned),
            last_updated: last_updated.unwrap_or(now),
            school: catalog.organization_names(&program.authoring_organizations),
        },
        platform_name: settings.configuration.platform_name.clone(),
        grades: rows,
        pathways: pathway_blocks(catalog, program, learner),
        shared_program_record_uuid: link.map(|link| link.uuid.hex()),
    }
}

/// The credit pathways a learner can send this program's record to. Industry pathways are left
/// out: the MFE offers every listed pathway in its send dialog, and a send to an industry pathway
/// can never succeed.
fn pathway_blocks(
    catalog: &Catalog,
    program: &Program,
    learner: &LearnerData,
) -> Vec<PathwayBlock> {
    catalog
        .pathways_of_program(&program.uuid)
        .filter(|pathway| {
            pathway.status == PathwayStatus::Published
                && pathway.pathway_type == PathwayType::Credit
        })
        .map(|pathway| {
            let sent = learner.sends.iter().any(|send| {
                send.pathway_id == pathway.id
                    && send.status == CreditPathwayStatus::Sent
                    && send.program_uuid.is_none_or(|uuid| uuid == program.uuid)
            });
            PathwayBlock {
                name: pathway.name.clone(),
                id: pathway.id,
                status: if sent {
                    CreditPathwayStatus::Sent.as_str()
                } else {
                    CreditPathwayStatus::Other.as_str()
                },
                is_active: !pathway.email.trim().is_empty(),
                pathway_type: pathway.pathway_type.as_str(),
            }
        })
        .collect()
}

/// The programs a learner is enrolled in, ordered by title: listed programs (active or
/// retired) that hold a run with one of the learner's awarded, visible course credentials, or
/// for which the learner holds an awarded, visible program credential.
pub fn build_program_list(
    catalog: &Catalog,
    settings: &SiteSettings,
    learner: &LearnerData,
) -> Vec<EnrolledProgram> {
    let credentials = course_credentials(learner, settings);
    let earned_runs: Vec<Uuid> = credentials
        .iter()
        .filter(|(credential, visible)| *visible && credential.is_awarded())
        .filter_map(|(credential, _)| {
            catalog
                .run_by_key(credential.run_key)
                .map(|(_, run)| run.uuid)
        })
        .collect();

    let mut programs: Vec<EnrolledProgram> = catalog
        .programs()
        .filter(|program| program.status.is_listed())
        .filter_map(|program| {
            let has_course = program
                .course_runs
                .iter()
                .any(|run| earned_runs.contains(run));
            let completed = program_completed(program, catalog, learner, settings);
            (has_course || completed).then(|| EnrolledProgram {
                name: program.title.clone(),
                uuid: program.uuid.hex(),
                partner: catalog.organization_names(&program.authoring_organizations),
                completed,
                empty: !has_course,
            })
        })
        .collect();
    programs.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.uuid.cmp(&b.uuid)));
    programs
}
