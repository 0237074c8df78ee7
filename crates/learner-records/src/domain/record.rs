//! Program records, computed at read time from the catalog, the site's certificate
//! configurations and one learner's data. A record is never stored.
//!
//! Rules, with the choices made where upstream Credentials behaves by accident:
//! * A course credential counts only while visible: its configuration has no
//!   `certificate_available_date`, or that date has passed. An invisible credential is ignored
//!   everywhere, as if it did not exist yet.
//! * Only verified grades count. A grade counts as an attempt of its course when its run also
//!   has a visible course credential, awarded or revoked. A run that Discovery excluded from
//!   the program is not one of its runs, so nothing in it counts for that program.
//! * The grade shown for a course is the highest among runs with an awarded credential. On a
//!   tie, the run that comes first in the program's catalog order wins. A revoked run counts as
//!   an attempt but never gives the grade.
//! * The row's `course_id` and `issue_date` come from the same run as its grade. Upstream takes
//!   them from the most recently created awarded credential, which can belong to another run
//!   than the grade; that mismatch is fixed here. A course with an awarded credential but no
//!   verified grade shows that credential's run and date with blank grade fields (the newest
//!   such credential when there are several). Each course gets one row, placed at the run its
//!   data comes from, or at its first run when nothing was earned.
//! * `issue_date` is the credential's date override, else its configuration's available date,
//!   else its creation. `last_updated` is the latest issue date (without override) or grade
//!   modification among the attempts, else the time of the request. Both always carry the
//!   `+00:00` offset. Upstream's fallback was a naive local time, which browsers read in their
//!   own zone.
//! * `empty` on the record is true when no course row is earned, so a course earned without a
//!   grade makes the program "partially completed" rather than "not earned".
//! * A program credential counts only while the site has a certificate configuration for its
//!   program, as upstream, where deleting the configuration deletes its credentials. It is
//!   visible once every course credential of the learner in the program's runs is visible.
//!   With no course credential in the program it is visible at once, so a staff-granted program
//!   certificate shows as completed (upstream hid it).
//! * A program is on the learner's list when it is active or retired and contains a run with an
//!   awarded, visible course credential, or when its program credential counts. Grades alone
//!   enrol nobody. The record itself renders a program in any status.
//! * Pathways: only published credit pathways with a partner email, because the MFE offers
//!   every listed pathway in its send dialog and a send to any other can never succeed. A
//!   pathway shows `sent` only for a send of this program, or a send from before sends were
//!   tracked per program.
//! * The learner's name falls back to the username when the full name is empty.
//!
//! NOTE: the MFE prints dates with `toLocaleDateString()` in the browser's zone, so a viewer far
//! from UTC can see the calendar day before or after the UTC date of `issue_date`. It also
//! prints the blank `percent_grade` of an earned row without a grade as "0%" (it multiplies the
//! value by 100), although the API sends `""`.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Serialize, Serializer};

use super::catalog::{Catalog, Course, CourseRun, PathwayStatus, PathwayType, Program};
use super::ids::{CourseRunKey, Username, Uuid};
use super::learner::{
    CertificateType, CredentialStatus, CredentialSubject, CreditPathwayStatus, LearnerData,
    Percent, UserCredential, UserGrade,
};
use super::site::{CourseCertificate, SiteSettings};

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

/// The viewer of a record, which decides whether the learner's email is shown.
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
    /// `None` for a public viewer unless the site shows emails publicly. Written as `""` rather
    /// than left out or `null`: the MFE renders all three as an empty email, and an empty
    /// string keeps upstream's shape (always a string) for other clients.
    #[serde(serialize_with = "serialize_text_or_empty")]
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
/// strings in the JSON, as the MFE expects, and never `null`.
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
    /// Returns whether the MFE shows this course as earned, which it does exactly when
    /// `issue_date` is set.
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

fn serialize_text_or_empty<S: Serializer>(
    value: &Option<String>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(value.as_deref().unwrap_or_default())
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

/// A course credential of the learner with its configuration's available date.
struct CourseCredential<'a> {
    credential: &'a UserCredential,
    run_key: &'a CourseRunKey,
    available_date: Option<DateTime<Utc>>,
    visible: bool,
}

impl CourseCredential<'_> {
    /// Returns the date the credential was issued, before any override: the configuration's
    /// available date, else the credential's creation.
    fn issued(&self) -> DateTime<Utc> {
        self.available_date.unwrap_or(self.credential.created)
    }

    /// Returns the date shown to people: the learner's date override first.
    fn shown_date(&self) -> DateTime<Utc> {
        self.credential
            .date_override
            .unwrap_or_else(|| self.issued())
    }

    fn is_awarded(&self) -> bool {
        self.credential.status == CredentialStatus::Awarded
    }
}

/// Collects every course credential of the learner with its issue date and visibility at `now`.
fn course_credentials<'a>(
    learner: &'a LearnerData,
    settings: &SiteSettings,
    now: DateTime<Utc>,
) -> Vec<CourseCredential<'a>> {
    // Index the site's configurations once: a linear search per credential would cost
    // credentials × configurations on every request.
    let configurations: HashMap<(&CourseRunKey, CertificateType), &CourseCertificate> = settings
        .course_certificates
        .iter()
        .map(|configuration| {
            (
                (&configuration.course_id, configuration.certificate_type),
                configuration,
            )
        })
        .collect();

    learner
        .credentials
        .iter()
        .filter_map(|credential| match &credential.subject {
            CredentialSubject::CourseRun {
                course_run_key,
                mode,
            } => {
                let configuration = configurations.get(&(course_run_key, *mode));
                let available_date = configuration.and_then(|c| c.certificate_available_date);
                Some(CourseCredential {
                    credential,
                    run_key: course_run_key,
                    available_date,
                    visible: available_date.is_none_or(|date| date <= now),
                })
            }
            CredentialSubject::Program { .. } => None,
        })
        .collect()
}

/// Lists the program's runs found in the catalog, in the program's order, with their course.
fn program_runs<'a>(catalog: &'a Catalog, program: &Program) -> Vec<(&'a Course, &'a CourseRun)> {
    program
        .course_runs
        .iter()
        .filter_map(|uuid| catalog.run(uuid))
        .collect()
}

/// Returns whether the learner's program credential for this program counts as completion at
/// `now`.
fn program_completed(
    program: &Program,
    runs: &[(&Course, &CourseRun)],
    learner: &LearnerData,
    settings: &SiteSettings,
    credentials: &[CourseCredential],
    now: DateTime<Utc>,
) -> bool {
    let awarded = learner.credentials.iter().any(|credential| {
        credential.status == CredentialStatus::Awarded
            && credential.program_uuid() == Some(&program.uuid)
    });
    if !awarded || settings.program_certificate(&program.uuid).is_none() {
        return false;
    }

    let run_keys: HashSet<&CourseRunKey> = runs.iter().map(|(_, run)| &run.key).collect();
    credentials
        .iter()
        .filter(|credential| run_keys.contains(credential.run_key))
        .all(|credential| credential.issued() <= now)
}

/// The learner's credential and grade in one run of the program.
struct RunAttempt<'a> {
    /// Position of the run in the program's run list.
    position: usize,
    run: &'a CourseRun,
    /// The run's visible credential: an awarded one if any, else a revoked one.
    credential: Option<&'a CourseCredential<'a>>,
    /// The learner's verified grade in the run.
    grade: Option<&'a UserGrade>,
}

impl RunAttempt<'_> {
    fn is_awarded(&self) -> bool {
        self.credential.is_some_and(CourseCredential::is_awarded)
    }

    /// Returns whether the run has a verified grade and a visible credential of any status,
    /// which upstream counts as an attempt.
    fn counts_as_attempt(&self) -> bool {
        self.grade.is_some() && self.credential.is_some()
    }
}

/// The row of one course, placed at `position`, and the course's latest activity.
struct CourseOutcome {
    position: usize,
    row: GradeRow,
    last_updated: Option<DateTime<Utc>>,
}

/// Builds the row of one course from its runs in the program, in program order.
fn course_outcome(course: &Course, school: String, attempts: &[RunAttempt]) -> CourseOutcome {
    let mut row = GradeRow {
        name: course.title.clone().unwrap_or_default(),
        school,
        attempts: None,
        course_id: String::new(),
        issue_date: None,
        percent_grade: None,
        letter_grade: String::new(),
    };

    let counted: Vec<&RunAttempt> = attempts.iter().filter(|a| a.counts_as_attempt()).collect();
    let last_updated = counted
        .iter()
        .filter_map(|attempt| {
            let credential = attempt.credential?;
            let grade = attempt.grade?;
            Some(credential.issued().max(grade.modified))
        })
        .max();

    // Strictly greater replaces, so on a tie the earlier run keeps the row.
    let mut best: Option<(&RunAttempt, &UserGrade)> = None;
    for attempt in attempts.iter().filter(|a| a.is_awarded()) {
        if let Some(grade) = attempt.grade
            && best.is_none_or(|(_, seen)| grade.percent_grade > seen.percent_grade)
        {
            best = Some((attempt, grade));
        }
    }

    let source = match best {
        Some((attempt, grade)) => {
            row.attempts = Some(counted.len() as u32);
            row.percent_grade = Some(grade.percent_grade);
            row.letter_grade = if grade.letter_grade.is_empty() {
                "N/A".to_owned()
            } else {
                grade.letter_grade.clone()
            };
            Some(attempt)
        }
        None => newest_awarded(attempts),
    };

    let position = match source {
        Some(attempt) => {
            row.course_id = attempt.run.key.to_string();
            row.issue_date = attempt.credential.map(CourseCredential::shown_date);
            attempt.position
        }
        None => attempts.first().map_or(0, |attempt| attempt.position),
    };
    CourseOutcome {
        position,
        row,
        last_updated,
    }
}

/// Finds the run whose awarded credential was created last, keeping the earlier run on a tie.
fn newest_awarded<'a, 'b>(attempts: &'b [RunAttempt<'a>]) -> Option<&'b RunAttempt<'a>> {
    let mut newest: Option<(&RunAttempt, DateTime<Utc>)> = None;
    for attempt in attempts {
        let Some(credential) = attempt.credential.filter(|c| c.is_awarded()) else {
            continue;
        };
        let created = credential.credential.created;
        if newest.is_none_or(|(_, seen)| created > seen) {
            newest = Some((attempt, created));
        }
    }
    newest.map(|(attempt, _)| attempt)
}

/// Builds one program's record for one learner, as of now.
pub fn build_program_record(
    catalog: &Catalog,
    settings: &SiteSettings,
    program: &Program,
    username: &Username,
    learner: &LearnerData,
    viewer: Viewer,
) -> ProgramRecord {
    build_program_record_at(
        catalog,
        settings,
        program,
        username,
        learner,
        viewer,
        Utc::now(),
    )
}

/// Builds one program's record for one learner as of `now`, which decides visibility and the
/// fallback `last_updated`.
pub fn build_program_record_at(
    catalog: &Catalog,
    settings: &SiteSettings,
    program: &Program,
    username: &Username,
    learner: &LearnerData,
    viewer: Viewer,
    now: DateTime<Utc>,
) -> ProgramRecord {
    let credentials = course_credentials(learner, settings, now);
    let runs = program_runs(catalog, program);

    // Each run of the program with the visible credential and verified grade it has,
    // grouped by course in the order each course first appears.
    let mut courses: Vec<&Course> = Vec::new();
    let mut attempts_by_course: HashMap<Uuid, Vec<RunAttempt>> = HashMap::new();
    // Index the learner's visible credentials and verified grades by run once, so each run of
    // the program is a lookup rather than a scan.
    let mut visible_by_run: HashMap<&CourseRunKey, Vec<&CourseCredential>> = HashMap::new();
    for credential in credentials.iter().filter(|credential| credential.visible) {
        visible_by_run
            .entry(credential.run_key)
            .or_default()
            .push(credential);
    }
    let mut grade_by_run: HashMap<&CourseRunKey, &UserGrade> = HashMap::new();
    for grade in learner.grades.iter().filter(|grade| grade.verified) {
        grade_by_run.entry(&grade.course_run).or_insert(grade);
    }

    for (position, (course, run)) in runs.iter().enumerate() {
        let in_run = visible_by_run
            .get(&run.key)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let credential = in_run
            .iter()
            .find(|credential| credential.is_awarded())
            .or_else(|| in_run.first())
            .copied();
        let grade = grade_by_run.get(&run.key).copied();

        if !attempts_by_course.contains_key(&course.uuid) {
            courses.push(course);
        }
        attempts_by_course
            .entry(course.uuid)
            .or_default()
            .push(RunAttempt {
                position,
                run,
                credential,
                grade,
            });
    }

    let mut outcomes: Vec<CourseOutcome> = courses
        .iter()
        .map(|course| {
            let school = catalog.organization_names(&course.owners);
            let attempts = attempts_by_course
                .get(&course.uuid)
                .map_or(&[][..], Vec::as_slice);
            course_outcome(course, school, attempts)
        })
        .collect();
    outcomes.sort_by_key(|outcome| outcome.position);

    let last_updated = outcomes.iter().filter_map(|o| o.last_updated).max();
    let rows: Vec<GradeRow> = outcomes.into_iter().map(|outcome| outcome.row).collect();

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
            completed: program_completed(program, &runs, learner, settings, &credentials, now),
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

/// Lists the credit pathways a learner can send this program's record to, with the learner's
/// send status.
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
                && !pathway.email.trim().is_empty()
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

/// Lists the programs a learner is enrolled in, ordered by title, as of now.
pub fn build_program_list(
    catalog: &Catalog,
    settings: &SiteSettings,
    learner: &LearnerData,
) -> Vec<EnrolledProgram> {
    build_program_list_at(catalog, settings, learner, Utc::now())
}

/// Lists the programs a learner is enrolled in as of `now`, ordered by title (then uuid):
/// programs (active or retired) that contain a run with one of the learner's awarded, visible
/// course credentials, or whose program credential counts as completion.
pub fn build_program_list_at(
    catalog: &Catalog,
    settings: &SiteSettings,
    learner: &LearnerData,
    now: DateTime<Utc>,
) -> Vec<EnrolledProgram> {
    let credentials = course_credentials(learner, settings, now);
    let earned_runs: HashSet<Uuid> = credentials
        .iter()
        .filter(|credential| credential.visible && credential.is_awarded())
        .filter_map(|credential| {
            catalog
                .run_by_key(credential.run_key)
                .map(|(_, run)| run.uuid)
        })
        .collect();
    let awarded_programs: HashSet<&Uuid> = learner
        .credentials
        .iter()
        .filter(|credential| credential.status == CredentialStatus::Awarded)
        .filter_map(UserCredential::program_uuid)
        .collect();

    let mut programs: Vec<EnrolledProgram> = catalog
        .programs()
        .filter(|program| program.status.is_listed())
        .filter_map(|program| {
            let has_course = program
                .course_runs
                .iter()
                .any(|run| earned_runs.contains(run));
            // Only programs the learner has a credential for can be completed, so the
            // program's runs are looked up for those alone.
            let completed = awarded_programs.contains(&program.uuid) && {
                let runs = program_runs(catalog, program);
                program_completed(program, &runs, learner, settings, &credentials, now)
            };
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
