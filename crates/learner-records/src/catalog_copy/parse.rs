//! Turns Discovery's JSON items into catalog entities. Only the fields the copy stores are
//! read; every other field is ignored, so new Discovery fields change nothing. A bad item is a
//! [`Problem`] to report, never a reason to stop the copy: the item is skipped, or kept with
//! the bad field left empty, as each function documents.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::domain::{
    Course, CourseRun, CourseRunKey, Organization, Pathway, PathwayStatus, PathwayType, Program,
    ProgramStatus, Uuid,
};

use super::summary::{EntitySets, Problem, ProblemCode};

pub const ORGANIZATIONS: &str = "organizations";
pub const COURSES: &str = "courses";
pub const PROGRAMS: &str = "programs";
pub const PATHWAYS: &str = "pathways";

/// A pathway as Discovery lists it. Discovery's own `id` is not used: the records API needs
/// an id that stays the same across copies, which the copy assigns (see
/// [`super::assemble`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathwayListing {
    pub uuid: Uuid,
    pub name: String,
    pub org_name: String,
    pub email: String,
    pub pathway_type: PathwayType,
    pub status: PathwayStatus,
    /// Linked programs; empty unless the pathway is published.
    pub programs: Vec<Uuid>,
}

impl PathwayListing {
    pub fn with_id(self, id: u64) -> Pathway {
        Pathway {
            id,
            uuid: self.uuid,
            name: self.name,
            org_name: self.org_name,
            email: self.email,
            pathway_type: self.pathway_type,
            status: self.status,
            programs: self.programs,
        }
    }
}

/// Items of one kind keyed by uuid, in first-seen order, where a later item with the same
/// uuid replaces the earlier one.
#[derive(Debug, Clone)]
struct Collector<T> {
    slots: Vec<Option<T>>,
    index: HashMap<Uuid, usize>,
}

impl<T> Default for Collector<T> {
    fn default() -> Self {
        Self {
            slots: Vec::new(),
            index: HashMap::new(),
        }
    }
}

impl<T> Collector<T> {
    /// Adds an item; returns whether it replaced one with the same uuid.
    fn insert(&mut self, uuid: Uuid, item: T) -> bool {
        match self.index.get(&uuid) {
            Some(&slot) => {
                let replaced = self.slots[slot].is_some();
                self.slots[slot] = Some(item);
                replaced
            }
            None => {
                self.index.insert(uuid, self.slots.len());
                self.slots.push(Some(item));
                false
            }
        }
    }

    fn remove(&mut self, uuid: &Uuid) -> bool {
        self.index
            .get(uuid)
            .and_then(|&slot| self.slots[slot].take())
            .is_some()
    }

    fn into_vec(self) -> Vec<T> {
        self.slots.into_iter().flatten().collect()
    }
}

/// The whole of Discovery's catalog as read, before it is checked against the stored one.
#[derive(Debug, Default)]
pub struct Listing {
    organizations: Collector<Organization>,
    courses: Collector<Course>,
    programs: Collector<Program>,
    pathways: Collector<PathwayListing>,
    /// Entities Discovery returned that could not be read. They count as returned, so they
    /// are never treated as deleted, and their previous version stays in the catalog.
    pub rejected: EntitySets,
    /// Every course run uuid in the courses listing, readable or not.
    pub seen_runs: BTreeSet<Uuid>,
    pub problems: Vec<Problem>,
}

/// Discovery's catalog as read, with duplicates resolved.
#[derive(Debug, Clone, Default)]
pub struct ParsedCatalog {
    pub organizations: Vec<Organization>,
    pub courses: Vec<Course>,
    pub programs: Vec<Program>,
    pub pathways: Vec<PathwayListing>,
    /// Entities returned but unreadable; see [`Listing::rejected`].
    pub rejected: EntitySets,
    /// Every course run uuid in the courses listing, readable or not.
    pub seen_runs: BTreeSet<Uuid>,
    pub problems: Vec<Problem>,
}

impl Listing {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one item of the organizations listing.
    pub fn add_organization(&mut self, item: &Value) {
        let mut reader = ItemReader::new(ORGANIZATIONS, item, &mut self.problems);
        let Some(uuid) = reader.uuid() else { return };
        let organization = Organization {
            uuid,
            key: reader.required_text("key"),
            name: reader.required_text("name"),
            certificate_logo_image_url: reader.text("certificate_logo_image_url"),
        };
        if self.organizations.insert(uuid, organization) {
            self.duplicate(ORGANIZATIONS, uuid);
        }
    }

    /// Adds one item of the courses listing with its runs. A run with an invalid key is left
    /// out of the course and reported; its previous version, if any, stays.
    pub fn add_course(&mut self, item: &Value) {
        let mut reader = ItemReader::new(COURSES, item, &mut self.problems);
        let Some(uuid) = reader.uuid() else { return };
        let key = reader.required_text("key");
        let title = reader.text("title");
        if title.is_none() {
            reader.report(
                ProblemCode::MissingField,
                "title is missing; the course is kept without a title",
            );
        }
        let owners = reader.linked_uuids("owners");

        let mut course_runs = Vec::new();
        for run in reader.list("course_runs") {
            match parse_run(run, uuid, title.as_deref(), &mut reader) {
                RunOutcome::Parsed(run) => {
                    self.seen_runs.insert(run.uuid);
                    course_runs.push(run);
                }
                RunOutcome::Rejected(run_uuid) => {
                    self.seen_runs.insert(run_uuid);
                    self.rejected.course_runs.insert(run_uuid);
                }
                RunOutcome::Skipped => {}
            }
        }

        let course = Course {
            uuid,
            key,
            title,
            owners,
            course_runs,
        };
        if self.courses.insert(uuid, course) {
            self.duplicate(COURSES, uuid);
        }
    }

    /// Adds one item of the programs listing. A program with an unknown status is rejected:
    /// its previous version stays.
    pub fn add_program(&mut self, item: &Value) {
        let mut reader = ItemReader::new(PROGRAMS, item, &mut self.problems);
        let Some(uuid) = reader.uuid() else { return };
        let status = match reader.text("status") {
            None => ProgramStatus::Active,
            Some(text) => match ProgramStatus::parse(&text) {
                Ok(status) => status,
                Err(error) => {
                    reader.report(
                        ProblemCode::UnknownStatus,
                        format!("{error}; the program was not updated"),
                    );
                    self.reject_program(uuid);
                    return;
                }
            },
        };
        let title = reader.required_text("title");
        let program_type = reader.required_text("type");
        let type_slug = item
            .get("type_attrs")
            .and_then(|attrs| attrs.get("slug"))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let total_hours_of_effort = reader.whole_number("total_hours_of_effort");
        let authoring_organizations = reader.linked_uuids("authoring_organizations");

        let mut course_runs = Vec::new();
        for course in reader.list("courses") {
            let Some(runs) = course.get("course_runs").and_then(Value::as_array) else {
                continue;
            };
            for run in runs {
                match run.get("uuid").and_then(Value::as_str).map(Uuid::parse) {
                    Some(Ok(run_uuid)) => course_runs.push(run_uuid),
                    _ => reader.report(
                        ProblemCode::InvalidUuid,
                        "a course run has a missing or invalid uuid; it was left out of the program",
                    ),
                }
            }
        }

        let program = Program {
            uuid,
            title,
            program_type,
            type_slug,
            status,
            total_hours_of_effort,
            authoring_organizations,
            course_runs,
        };
        let replaced_rejected = self.rejected.programs.remove(&uuid);
        if self.programs.insert(uuid, program) || replaced_rejected {
            self.duplicate(PROGRAMS, uuid);
        }
    }

    /// Adds one item of the pathways listing. A pathway with an unknown status or type is
    /// rejected: its previous version stays.
    pub fn add_pathway(&mut self, item: &Value) {
        let mut reader = ItemReader::new(PATHWAYS, item, &mut self.problems);
        let Some(uuid) = reader.uuid() else { return };
        let status = reader
            .text("status")
            .map_or(Ok(PathwayStatus::Published), |text| {
                PathwayStatus::parse(&text)
            });
        let pathway_type = reader
            .text("pathway_type")
            .map_or(Ok(PathwayType::Credit), |text| PathwayType::parse(&text));
        let (status, pathway_type) = match (status, pathway_type) {
            (Ok(status), Ok(pathway_type)) => (status, pathway_type),
            (Err(error), _) | (_, Err(error)) => {
                reader.report(
                    ProblemCode::UnknownStatus,
                    format!("{error}; the pathway was not updated"),
                );
                self.reject_pathway(uuid);
                return;
            }
        };

        let name = reader.required_text("name");
        let org_name = reader.text("org_name").unwrap_or_default();
        let email = reader.text("email").unwrap_or_default();
        // Upstream links only published pathways; the others keep their row but vanish from
        // records.
        let programs = match status {
            PathwayStatus::Published => reader.linked_uuids("programs"),
            PathwayStatus::Unpublished | PathwayStatus::Retired => Vec::new(),
        };

        let pathway = PathwayListing {
            uuid,
            name,
            org_name,
            email,
            pathway_type,
            status,
            programs,
        };
        let replaced_rejected = self.rejected.pathways.remove(&uuid);
        if self.pathways.insert(uuid, pathway) || replaced_rejected {
            self.duplicate(PATHWAYS, uuid);
        }
    }

    fn reject_program(&mut self, uuid: Uuid) {
        let replaced_parsed = self.programs.remove(&uuid);
        if !self.rejected.programs.insert(uuid) || replaced_parsed {
            self.duplicate(PROGRAMS, uuid);
        }
    }

    fn reject_pathway(&mut self, uuid: Uuid) {
        let replaced_parsed = self.pathways.remove(&uuid);
        if !self.rejected.pathways.insert(uuid) || replaced_parsed {
            self.duplicate(PATHWAYS, uuid);
        }
    }

    fn duplicate(&mut self, resource: &'static str, uuid: Uuid) {
        self.problems.push(Problem::new(
            resource,
            Some(uuid),
            ProblemCode::DuplicateUuid,
            format!("{uuid} appears more than once; the last item was kept"),
        ));
    }

    /// Returns the entities read, with duplicates resolved. A course run listed more than once
    /// stays only at its last place, in the last course that lists it.
    pub fn finish(mut self) -> ParsedCatalog {
        let mut courses = std::mem::take(&mut self.courses).into_vec();
        let mut last_place: HashMap<Uuid, (usize, usize)> = HashMap::new();
        for (course_position, course) in courses.iter().enumerate() {
            for (run_position, run) in course.course_runs.iter().enumerate() {
                last_place.insert(run.uuid, (course_position, run_position));
            }
        }
        for (course_position, course) in courses.iter_mut().enumerate() {
            let runs = std::mem::take(&mut course.course_runs);
            for (run_position, run) in runs.into_iter().enumerate() {
                if last_place.get(&run.uuid) == Some(&(course_position, run_position)) {
                    course.course_runs.push(run);
                } else {
                    self.problems.push(Problem::new(
                        COURSES,
                        Some(course.uuid),
                        ProblemCode::DuplicateUuid,
                        format!(
                            "course run {} appears more than once; the last one was kept",
                            run.uuid
                        ),
                    ));
                }
            }
        }

        ParsedCatalog {
            organizations: self.organizations.into_vec(),
            courses,
            programs: self.programs.into_vec(),
            pathways: self.pathways.into_vec(),
            rejected: self.rejected,
            seen_runs: self.seen_runs,
            problems: self.problems,
        }
    }
}

enum RunOutcome {
    Parsed(CourseRun),
    /// The run has a valid uuid but cannot be stored.
    Rejected(Uuid),
    /// The run has no valid uuid, so it cannot even be named.
    Skipped,
}

fn parse_run(
    run: &Value,
    course_uuid: Uuid,
    course_title: Option<&str>,
    reader: &mut ItemReader<'_>,
) -> RunOutcome {
    let Some(run_uuid) = run.get("uuid").and_then(Value::as_str).map(Uuid::parse) else {
        reader.report(
            ProblemCode::InvalidUuid,
            format!("a run of course {course_uuid} has no uuid; it was skipped"),
        );
        return RunOutcome::Skipped;
    };
    let Ok(run_uuid) = run_uuid else {
        reader.report(
            ProblemCode::InvalidUuid,
            format!("a run of course {course_uuid} has an invalid uuid; it was skipped"),
        );
        return RunOutcome::Skipped;
    };
    let key_text = run.get("key").and_then(Value::as_str).unwrap_or_default();
    let Ok(key) = CourseRunKey::parse(key_text) else {
        reader.report(
            ProblemCode::InvalidCourseRunKey,
            format!(
                "course run {run_uuid} has the invalid key {key_text:?}; the run was not updated"
            ),
        );
        return RunOutcome::Rejected(run_uuid);
    };

    // Upstream keeps a run's own title only when it differs from the course title.
    let title = run.get("title").and_then(Value::as_str);
    let title_override = title
        .filter(|title| Some(*title) != course_title)
        .map(str::to_owned);
    let start_date = run_date(run, &["start_date", "start"], run_uuid, reader);
    let end_date = run_date(run, &["end_date", "end"], run_uuid, reader);

    RunOutcome::Parsed(CourseRun {
        uuid: run_uuid,
        key,
        title_override,
        start_date,
        end_date,
    })
}

/// Parses the first of `fields` that is present and not null as an RFC 3339 date.
fn run_date(
    run: &Value,
    fields: &[&str],
    run_uuid: Uuid,
    reader: &mut ItemReader<'_>,
) -> Option<DateTime<Utc>> {
    let (field, value) = fields.iter().find_map(|field| {
        run.get(*field)
            .filter(|v| !v.is_null())
            .map(|v| (*field, v))
    })?;
    let parsed = value
        .as_str()
        .and_then(|text| DateTime::parse_from_rfc3339(text).ok())
        .map(|date| date.with_timezone(&Utc));
    if parsed.is_none() {
        reader.report(
            ProblemCode::InvalidDate,
            format!("{field} of course run {run_uuid} is not an RFC 3339 date; it was left empty"),
        );
    }
    parsed
}

/// Reads the fields of one item, reporting problems against it.
struct ItemReader<'a> {
    resource: &'static str,
    item: &'a Value,
    uuid: Option<Uuid>,
    problems: &'a mut Vec<Problem>,
}

impl<'a> ItemReader<'a> {
    fn new(resource: &'static str, item: &'a Value, problems: &'a mut Vec<Problem>) -> Self {
        Self {
            resource,
            item,
            uuid: None,
            problems,
        }
    }

    fn report(&mut self, code: ProblemCode, detail: impl Into<String>) {
        self.problems
            .push(Problem::new(self.resource, self.uuid, code, detail));
    }

    /// Reads the item's uuid, or reports a problem and returns `None` when the item cannot be
    /// used.
    fn uuid(&mut self) -> Option<Uuid> {
        if !self.item.is_object() {
            self.report(
                ProblemCode::NotAnObject,
                "an item is not a JSON object; it was skipped",
            );
            return None;
        }
        let text = self.item.get("uuid").and_then(Value::as_str);
        match text.map(Uuid::parse) {
            Some(Ok(uuid)) => {
                self.uuid = Some(uuid);
                Some(uuid)
            }
            _ => {
                self.report(
                    ProblemCode::InvalidUuid,
                    format!(
                        "an item has a missing or invalid uuid ({:?}); it was skipped",
                        text.unwrap_or_default()
                    ),
                );
                None
            }
        }
    }

    /// Reads a text field, which is `None` when missing, null or not a string.
    fn text(&self, field: &str) -> Option<String> {
        self.item
            .get(field)
            .and_then(Value::as_str)
            .map(str::to_owned)
    }

    /// A text field that should be present; empty, with a reported problem, when it is not.
    fn required_text(&mut self, field: &str) -> String {
        self.text(field).unwrap_or_else(|| {
            self.report(
                ProblemCode::MissingField,
                format!("{field} is missing; it was stored empty"),
            );
            String::new()
        })
    }

    /// Reads a non-negative whole number that fits 32 bits, or `None` when null or invalid.
    fn whole_number(&mut self, field: &str) -> Option<u32> {
        let value = self.item.get(field).filter(|v| !v.is_null())?;
        let number = value.as_u64().and_then(|n| u32::try_from(n).ok());
        if number.is_none() {
            self.report(
                ProblemCode::InvalidNumber,
                format!("{field} is not a non-negative whole number; it was left empty"),
            );
        }
        number
    }

    /// Returns the elements of a list field, which are none when it is missing or not a list.
    fn list(&self, field: &str) -> &'a [Value] {
        self.item
            .get(field)
            .and_then(Value::as_array)
            .map_or(&[], Vec::as_slice)
    }

    /// Reads the `uuid`s of a list of objects in order. Invalid ones are reported and left out.
    fn linked_uuids(&mut self, field: &str) -> Vec<Uuid> {
        let mut uuids = Vec::new();
        for linked in self.list(field) {
            match linked.get("uuid").and_then(Value::as_str).map(Uuid::parse) {
                Some(Ok(uuid)) => {
                    if !uuids.contains(&uuid) {
                        uuids.push(uuid);
                    }
                }
                _ => self.report(
                    ProblemCode::InvalidUuid,
                    format!("an entry of {field} has a missing or invalid uuid; it was left out"),
                ),
            }
        }
        uuids
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const COURSE: &str = "8f9c73ef-73f5-45dd-aca1-7dad3696f743";
    const RUN: &str = "4d39edd3-8c7a-4038-80cd-f6edab483b8a";
    const ORG: &str = "2a73d2ce-c34a-4e08-8223-83bca9d2f01d";
    const PROGRAM: &str = "927093e3-46ba-4f44-a861-0f8c7aec4f74";

    fn course_item(run_title: &str) -> Value {
        json!({
            "uuid": COURSE, "key": "MITx+6.002.1x", "title": "Circuits 1",
            "owners": [{"uuid": ORG, "key": "MITx", "name": "MIT"}],
            "course_runs": [{
                "uuid": RUN, "key": "course-v1:MITx+6.002.1x+2T2019", "title": run_title,
                "start": "2019-06-20T15:00:00Z", "end": "2025-05-26T15:00:00Z",
                "seats": [{"type": "verified"}], "status": "published"
            }],
            "marketing_url": "https://example.test/course"
        })
    }

    fn parse_course(item: &Value) -> (Vec<Course>, Vec<Problem>) {
        let mut listing = Listing::new();
        listing.add_course(item);
        let parsed = listing.finish();
        (parsed.courses, parsed.problems)
    }

    #[test]
    fn run_title_same_as_course_has_no_override() {
        let (courses, problems) = parse_course(&course_item("Circuits 1"));
        assert_eq!(courses[0].course_runs[0].title_override, None);
        assert!(problems.is_empty(), "{problems:?}");
    }

    #[test]
    fn run_title_different_from_course_is_kept() {
        let (courses, _) = parse_course(&course_item("Circuits 1 (2019)"));
        assert_eq!(
            courses[0].course_runs[0].title_override.as_deref(),
            Some("Circuits 1 (2019)")
        );
    }

    #[test]
    fn run_dates_prefer_start_date_over_start() {
        let mut item = course_item("Circuits 1");
        item["course_runs"][0]["start_date"] = json!("2020-01-01T00:00:00Z");
        let (courses, _) = parse_course(&item);
        let run = &courses[0].course_runs[0];
        assert_eq!(
            run.start_date.unwrap().to_rfc3339(),
            "2020-01-01T00:00:00+00:00"
        );
        assert_eq!(
            run.end_date.unwrap().to_rfc3339(),
            "2025-05-26T15:00:00+00:00"
        );
    }

    #[test]
    fn invalid_run_date_is_reported_and_left_empty() {
        let mut item = course_item("Circuits 1");
        item["course_runs"][0]["start"] = json!("June 2019");
        let (courses, problems) = parse_course(&item);
        assert_eq!(courses[0].course_runs[0].start_date, None);
        assert_eq!(problems[0].code, ProblemCode::InvalidDate);
    }

    #[test]
    fn invalid_run_key_rejects_only_the_run() {
        let mut item = course_item("Circuits 1");
        item["course_runs"][0]["key"] = json!("not a key");
        let mut listing = Listing::new();
        listing.add_course(&item);
        let parsed = listing.finish();
        let run = Uuid::parse(RUN).unwrap();
        assert!(parsed.courses[0].course_runs.is_empty());
        assert!(parsed.rejected.course_runs.contains(&run));
        assert!(parsed.seen_runs.contains(&run));
        assert_eq!(parsed.problems[0].code, ProblemCode::InvalidCourseRunKey);
    }

    #[test]
    fn missing_course_title_is_reported_and_kept_empty() {
        let mut item = course_item("Circuits 1");
        item["title"] = Value::Null;
        let (courses, problems) = parse_course(&item);
        assert_eq!(courses[0].title, None);
        assert_eq!(problems[0].code, ProblemCode::MissingField);
    }

    fn program_item(status: &str) -> Value {
        json!({
            "uuid": PROGRAM, "title": "Circuits and Electronics", "type": "XSeries",
            "status": status, "type_attrs": {"slug": "xseries", "coaching_supported": false},
            "total_hours_of_effort": null,
            "authoring_organizations": [{"uuid": ORG, "key": "MITx"}],
            "courses": [{"uuid": COURSE, "course_runs": [{"uuid": RUN, "key": "x"}]}],
            "degree": {"unknown": "fields are ignored"}
        })
    }

    #[test]
    fn program_keeps_listed_fields_and_ignores_others() {
        let mut listing = Listing::new();
        listing.add_program(&program_item("retired"));
        let parsed = listing.finish();
        let program = &parsed.programs[0];
        assert_eq!(program.status, ProgramStatus::Retired);
        assert_eq!(program.type_slug, "xseries");
        assert_eq!(program.program_type, "XSeries");
        assert_eq!(program.course_runs, vec![Uuid::parse(RUN).unwrap()]);
        assert_eq!(
            program.authoring_organizations,
            vec![Uuid::parse(ORG).unwrap()]
        );
        assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
    }

    #[test]
    fn unknown_program_status_rejects_program() {
        let mut listing = Listing::new();
        listing.add_program(&program_item("archived"));
        let parsed = listing.finish();
        assert!(parsed.programs.is_empty());
        assert!(
            parsed
                .rejected
                .programs
                .contains(&Uuid::parse(PROGRAM).unwrap())
        );
        assert_eq!(parsed.problems[0].code, ProblemCode::UnknownStatus);
        assert!(parsed.problems[0].detail.contains("archived"));
    }

    #[test]
    fn duplicate_program_keeps_last() {
        let mut listing = Listing::new();
        listing.add_program(&program_item("active"));
        let mut second = program_item("active");
        second["title"] = json!("Renamed");
        listing.add_program(&second);
        let parsed = listing.finish();
        assert_eq!(parsed.programs.len(), 1);
        assert_eq!(parsed.programs[0].title, "Renamed");
        assert_eq!(parsed.problems[0].code, ProblemCode::DuplicateUuid);
    }

    #[test]
    fn valid_program_after_rejected_one_wins() {
        let mut listing = Listing::new();
        listing.add_program(&program_item("archived"));
        listing.add_program(&program_item("active"));
        let parsed = listing.finish();
        assert_eq!(parsed.programs.len(), 1);
        assert!(parsed.rejected.programs.is_empty());
        assert_eq!(parsed.problems[1].code, ProblemCode::DuplicateUuid);
    }

    #[test]
    fn unpublished_pathway_links_no_programs() {
        let mut listing = Listing::new();
        listing.add_pathway(&json!({
            "uuid": "5d0c6a1e-2f4b-4c1e-9a57-0d4b8e2f7c31", "name": "Retired", "org_name": "X",
            "email": "registrar@poly.example.test", "pathway_type": "credit", "status": "retired",
            "programs": [{"uuid": PROGRAM}]
        }));
        let parsed = listing.finish();
        assert!(parsed.pathways[0].programs.is_empty());
        assert_eq!(parsed.pathways[0].status, PathwayStatus::Retired);
    }

    #[test]
    fn item_without_uuid_is_skipped() {
        let mut listing = Listing::new();
        listing.add_organization(&json!({"key": "MITx", "name": "MIT"}));
        listing.add_organization(&json!("not an object"));
        let parsed = listing.finish();
        assert!(parsed.organizations.is_empty());
        assert_eq!(parsed.problems[0].code, ProblemCode::InvalidUuid);
        assert_eq!(parsed.problems[1].code, ProblemCode::NotAnObject);
    }

    #[test]
    fn run_in_two_courses_stays_in_last() {
        let mut listing = Listing::new();
        listing.add_course(&course_item("Circuits 1"));
        let mut other = course_item("Circuits 1");
        other["uuid"] = json!("f6623bd8-ea35-42b2-880c-77a2f9c744b0");
        listing.add_course(&other);
        let parsed = listing.finish();
        assert!(parsed.courses[0].course_runs.is_empty());
        assert_eq!(parsed.courses[1].course_runs.len(), 1);
        assert_eq!(parsed.problems[0].code, ProblemCode::DuplicateUuid);
    }
}
