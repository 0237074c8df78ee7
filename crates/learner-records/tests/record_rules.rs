//! The record rules over in-memory catalogs, settings and learner data: grade rows, attempts,
//! visibility, completion, the program list, pathways and the learner block. No AWS needed.
//!
//! The first part replays Credentials' own record tests on a small catalog built in code. The
//! second part turns public bug reports into cases over the real Discovery sample of three
//! programs. Those tests print a note and pass when the sample is not beside the repository.

#![allow(clippy::unwrap_used)]

mod common;

use chrono::{DateTime, Utc};
use learner_records::domain::record::{
    EnrolledProgram, ProgramRecord, Viewer, build_program_list_at, build_program_record_at,
    isoformat,
};
use learner_records::domain::*;
use serde_json::{Value, json};

use common::*;

// ---------------------------------------------------------------------------------------------
// Building blocks

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

/// Returns the time every record in these tests is built at.
fn now() -> DateTime<Utc> {
    at("2026-06-01T12:00:00Z")
}

fn far_future() -> DateTime<Utc> {
    at("9999-05-11T03:14:01Z")
}

fn uuid(n: u16) -> Uuid {
    Uuid::parse(&format!("{n:04x}{}", "0".repeat(28))).unwrap()
}

fn ada() -> Username {
    Username::parse("lrn_ada").unwrap()
}

fn key(text: &str) -> CourseRunKey {
    CourseRunKey::parse(text).unwrap()
}

fn organization(n: u16, name: &str) -> Organization {
    Organization {
        uuid: uuid(n),
        key: name.replace(' ', ""),
        name: name.to_owned(),
        certificate_logo_image_url: None,
    }
}

fn run(n: u16, run_key: &str) -> CourseRun {
    CourseRun {
        uuid: uuid(n),
        key: key(run_key),
        title_override: None,
        start_date: None,
        end_date: None,
    }
}

fn course(n: u16, title: &str, owners: &[u16], runs: Vec<CourseRun>) -> Course {
    Course {
        uuid: uuid(n),
        key: format!("TestX+C{n}"),
        title: Some(title.to_owned()),
        owners: owners.iter().map(|o| uuid(*o)).collect(),
        course_runs: runs,
    }
}

fn program(n: u16, title: &str, status: ProgramStatus, orgs: &[u16], runs: &[u16]) -> Program {
    Program {
        uuid: uuid(n),
        title: title.to_owned(),
        program_type: "Professional Certificate".to_owned(),
        type_slug: "professional-certificate".to_owned(),
        status,
        total_hours_of_effort: None,
        authoring_organizations: orgs.iter().map(|o| uuid(*o)).collect(),
        course_runs: runs.iter().map(|r| uuid(*r)).collect(),
    }
}

fn pathway(id: u64, name: &str, kind: PathwayType, email: &str, programs: &[u16]) -> Pathway {
    Pathway {
        id,
        uuid: uuid(3000 + id as u16),
        name: name.to_owned(),
        org_name: "Partner University".to_owned(),
        email: email.to_owned(),
        pathway_type: kind,
        status: PathwayStatus::Published,
        programs: programs.iter().map(|p| uuid(*p)).collect(),
    }
}

/// A catalog, site settings and one learner's data, from which records are built.
#[derive(Debug, Clone, Default)]
struct World {
    organizations: Vec<Organization>,
    courses: Vec<Course>,
    programs: Vec<Program>,
    pathways: Vec<Pathway>,
    settings: SiteSettings,
    learner: LearnerData,
}

impl World {
    fn catalog(&self) -> Catalog {
        Catalog::new(
            1,
            self.organizations.clone(),
            self.courses.clone(),
            self.programs.clone(),
            self.pathways.clone(),
        )
    }

    fn record_as(&self, program: Uuid, viewer: Viewer) -> ProgramRecord {
        let catalog = self.catalog();
        let program = catalog
            .program(&program)
            .expect("program in catalog")
            .clone();
        build_program_record_at(
            &catalog,
            &self.settings,
            &program,
            &ada(),
            &self.learner,
            viewer,
            now(),
        )
    }

    fn record(&self, program: Uuid) -> ProgramRecord {
        self.record_as(program, Viewer::OwnerOrStaff)
    }

    /// Returns the record as the MFE receives it.
    fn record_json(&self, program: Uuid) -> Value {
        serde_json::to_value(self.record(program)).unwrap()
    }

    fn list(&self) -> Vec<EnrolledProgram> {
        build_program_list_at(&self.catalog(), &self.settings, &self.learner, now())
    }

    fn listed_titles(&self) -> Vec<String> {
        self.list().into_iter().map(|p| p.name).collect()
    }

    fn grade(&mut self, run_key: &str, percent: &str, letter: &str, modified: DateTime<Utc>) {
        self.learner.grades.push(UserGrade {
            id: self.learner.grades.len() as u64 + 1,
            username: ada(),
            course_run: key(run_key),
            letter_grade: letter.to_owned(),
            percent_grade: Percent::parse(percent).unwrap(),
            verified: true,
            lms_last_updated_at: None,
            created: modified,
            modified,
        });
    }

    fn unverified_grade(&mut self, run_key: &str, percent: &str, modified: DateTime<Utc>) {
        self.grade(run_key, percent, "", modified);
        self.learner.grades.last_mut().unwrap().verified = false;
    }

    fn credential_in_mode(
        &mut self,
        run_key: &str,
        mode: CertificateType,
        status: CredentialStatus,
        created: DateTime<Utc>,
    ) {
        self.learner.credentials.push(UserCredential {
            uuid: Uuid::new_v4(),
            username: ada(),
            subject: CredentialSubject::CourseRun {
                course_run_key: key(run_key),
                mode,
            },
            status,
            attributes: Vec::new(),
            date_override: None,
            created,
            modified: created,
        });
    }

    fn credential(&mut self, run_key: &str, status: CredentialStatus, created: DateTime<Utc>) {
        self.credential_in_mode(run_key, CertificateType::Verified, status, created);
    }

    fn program_credential(&mut self, program: Uuid, status: CredentialStatus) {
        self.learner.credentials.push(UserCredential {
            uuid: Uuid::new_v4(),
            username: ada(),
            subject: CredentialSubject::Program {
                program_uuid: program,
            },
            status,
            attributes: Vec::new(),
            date_override: None,
            created: at("2024-03-01T00:00:00Z"),
            modified: at("2024-03-01T00:00:00Z"),
        });
    }

    fn program_certificate(&mut self, program: Uuid) {
        self.settings.program_certificates.push(ProgramCertificate {
            program_uuid: program,
            is_active: true,
            language: None,
            title: None,
        });
    }

    /// Sets the certificate available date of a run's verified configuration.
    fn available_date(&mut self, run_key: &str, date: Option<DateTime<Utc>>) {
        self.settings
            .course_certificates
            .retain(|c| c.course_id != key(run_key));
        self.settings.course_certificates.push(CourseCertificate {
            course_id: key(run_key),
            certificate_type: CertificateType::Verified,
            certificate_available_date: date,
            is_active: true,
            created: at("2024-01-01T00:00:00Z"),
            modified: at("2024-01-01T00:00:00Z"),
        });
    }

    fn remove_grade(&mut self, run_key: &str) {
        self.learner.grades.retain(|g| g.course_run != key(run_key));
    }

    fn remove_credential(&mut self, run_key: &str) {
        self.learner
            .credentials
            .retain(|c| c.course_run_key() != Some(&key(run_key)));
    }

    fn set_credential_status(&mut self, run_key: &str, status: CredentialStatus) {
        for credential in &mut self.learner.credentials {
            if credential.course_run_key() == Some(&key(run_key)) {
                credential.status = status;
            }
        }
    }

    fn set_program_credential_status(&mut self, program: Uuid, status: CredentialStatus) {
        for credential in &mut self.learner.credentials {
            if credential.program_uuid() == Some(&program) {
                credential.status = status;
            }
        }
    }

    fn profile(&mut self, full_name: &str, email: &str) {
        self.learner.profile = Some(LearnerProfile {
            username: Some(ada()),
            full_name: full_name.to_owned(),
            email: email.to_owned(),
            lms_user_id: Some(9),
        });
    }
}

/// Finds the row of one course in a record by course title.
fn row<'a>(record: &'a Value, course_title: &str) -> &'a Value {
    record["grades"]
        .as_array()
        .unwrap()
        .iter()
        .find(|row| row["name"] == course_title)
        .unwrap_or_else(|| panic!("no row for {course_title} in {record}"))
}

/// Asserts that a row is not earned: everything but the name and school is an empty string.
fn assert_blank(row: &Value) {
    for field in [
        "attempts",
        "course_id",
        "issue_date",
        "percent_grade",
        "letter_grade",
    ] {
        assert_eq!(row[field], json!(""), "{field} of {row}");
    }
}

/// Asserts that a completed program never shows an awarded course certificate of its runs as
/// not earned.
fn assert_completion_agrees_with_rows(world: &World, program: Uuid) {
    let record = world.record(program);
    if !record.program.completed {
        return;
    }
    let catalog = world.catalog();
    let runs: Vec<&CourseRunKey> = catalog
        .program(&program)
        .unwrap()
        .course_runs
        .iter()
        .filter_map(|uuid| catalog.run(uuid))
        .map(|(_, run)| &run.key)
        .collect();
    for credential in &world.learner.credentials {
        let Some(run_key) = credential.course_run_key() else {
            continue;
        };
        if credential.status != CredentialStatus::Awarded || !runs.contains(&run_key) {
            continue;
        }
        let (course, _) = catalog.run_by_key(run_key).unwrap();
        let title = course.title.clone().unwrap_or_default();
        let shown = record.grades.iter().find(|row| row.name == title).unwrap();
        assert!(
            shown.is_earned(),
            "{title} is not earned in a completed program"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Credentials' own record tests, on a small catalog: course 1 has runs A and B, courses 2 and 3
// one run each; P1 = [1A, 1B, 2A], P2 = [1A, 3A].

const C1A: &str = "course-v1:TestX+C1+A";
const C1B: &str = "course-v1:TestX+C1+B";
const C2A: &str = "course-v1:TestX+C2+A";
const C3A: &str = "course-v1:TestX+C3+A";
const P1: u16 = 100;
const P2: u16 = 200;

fn c1a_created() -> DateTime<Utc> {
    at("2024-02-01T00:00:00Z")
}
fn c1b_created() -> DateTime<Utc> {
    at("2024-02-02T00:00:00Z")
}
fn c2a_created() -> DateTime<Utc> {
    at("2024-02-03T00:00:00Z")
}
fn c3a_created() -> DateTime<Utc> {
    at("2024-02-04T00:00:00.123456Z")
}

/// Builds the learner's grades, then awarded credentials in every run, an awarded P1 credential,
/// a credit pathway on P1 the learner has sent to, and a public link for P1.
fn upstream_world() -> World {
    let mut world = World {
        organizations: vec![organization(901, "TestOrg1"), organization(902, "TestOrg2")],
        courses: vec![
            course(1, "Course One", &[901], vec![run(11, C1A), run(12, C1B)]),
            course(2, "Course Two", &[902], vec![run(21, C2A)]),
            course(3, "Course Three", &[], vec![run(31, C3A)]),
        ],
        programs: vec![
            program(
                P1,
                "TestProgram1",
                ProgramStatus::Active,
                &[901, 902],
                &[11, 12, 21],
            ),
            program(P2, "TestProgram2", ProgramStatus::Active, &[901], &[11, 31]),
        ],
        pathways: vec![pathway(
            7,
            "Credit Pathway W",
            PathwayType::Credit,
            "admissions@partner.example.test",
            &[P1],
        )],
        ..World::default()
    };
    world.settings.configuration.platform_name = "Test Platform".to_owned();
    world.profile("Ada Testwell", "ada@example.test");

    let graded = at("2024-01-01T00:00:00Z");
    world.grade(C1A, "0.75", "C", graded);
    world.grade(C1B, "1.0", "A", graded);
    world.grade(C2A, "0.85", "B", graded);
    world.grade(C3A, "0.91", "A", graded);
    world.credential(C1A, CredentialStatus::Awarded, c1a_created());
    world.credential(C1B, CredentialStatus::Awarded, c1b_created());
    world.credential(C2A, CredentialStatus::Awarded, c2a_created());
    world.credential(C3A, CredentialStatus::Awarded, c3a_created());

    world.program_certificate(uuid(P1));
    world.program_certificate(uuid(P2));
    world.program_credential(uuid(P1), CredentialStatus::Awarded);
    world.learner.sends.push(CreditPathwaySend {
        username: ada(),
        pathway_id: 7,
        program_uuid: Some(uuid(P1)),
        status: CreditPathwayStatus::Sent,
        created: at("2024-03-02T00:00:00Z"),
        modified: at("2024-03-02T00:00:00Z"),
    });
    world.learner.links.push(PublicLink {
        uuid: uuid(4000),
        username: ada(),
        program_uuid: uuid(P1),
        created: at("2024-03-03T00:00:00Z"),
        expires: None,
    });
    world
}

#[test]
fn list_item_has_upstream_fields() {
    let mut world = upstream_world();
    world.programs.retain(|p| p.uuid == uuid(P1));
    assert_eq!(
        serde_json::to_value(world.list()).unwrap(),
        json!([{
            "name": "TestProgram1",
            "uuid": uuid(P1).hex(),
            "partner": "TestOrg1, TestOrg2",
            "completed": true,
            "empty": false,
        }])
    );
}

#[test]
fn list_drops_completion_without_program_certificate_configuration() {
    let mut world = upstream_world();
    world.settings.program_certificates.clear();
    let p1 = world
        .list()
        .into_iter()
        .find(|p| p.name == "TestProgram1")
        .unwrap();
    assert!(!p1.completed);
    assert!(!p1.empty);
}

#[test]
fn list_drops_program_removed_from_catalog() {
    let mut world = upstream_world();
    world.programs.clear();
    assert_eq!(world.list(), Vec::new());
}

#[test]
fn record_has_upstream_program_and_learner_blocks() {
    let mut world = upstream_world();
    world.pathways.clear();
    let record = world.record_json(uuid(P1));
    assert_eq!(record["program"]["school"], "TestOrg1, TestOrg2");
    assert_eq!(record["program"]["name"], "TestProgram1");
    assert_eq!(record["program"]["type"], "professional-certificate");
    assert_eq!(record["program"]["type_name"], "Professional Certificate");
    assert_eq!(record["platform_name"], "Test Platform");
    assert_eq!(record["pathways"], json!([]));
    assert_eq!(
        record["learner"],
        json!({"full_name": "Ada Testwell", "username": "lrn_ada", "email": "ada@example.test"})
    );
}

#[test]
fn retired_program_listed_in_title_order() {
    let mut world = upstream_world();
    world.programs[1] = program(
        P2,
        "TestProgram2",
        ProgramStatus::Retired,
        &[901],
        &[11, 12],
    );
    world.program_credential(uuid(P2), CredentialStatus::Awarded);
    let list = world.list();
    assert_eq!(
        list.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(),
        ["TestProgram1", "TestProgram2"]
    );
    assert!(list.iter().all(|p| p.completed), "{list:?}");
    assert!(list.iter().all(|p| !p.empty), "{list:?}");
}

#[test]
fn program_without_runs_is_not_listed() {
    let mut world = upstream_world();
    world.programs.push(program(
        300,
        "Empty Program",
        ProgramStatus::Active,
        &[],
        &[],
    ));
    assert!(!world.listed_titles().contains(&"Empty Program".to_owned()));
}

#[test]
fn revoked_course_credential_enrols_in_nothing() {
    let mut world = upstream_world();
    world.learner.credentials.clear();
    world.credential(C3A, CredentialStatus::Revoked, c3a_created());
    assert_eq!(world.list(), Vec::new());

    world.credential(C2A, CredentialStatus::Awarded, c2a_created());
    assert_eq!(world.listed_titles(), ["TestProgram1"]);
}

#[test]
fn rows_show_best_grade_attempts_and_issue_dates() {
    let record = upstream_world().record_json(uuid(P1));
    assert_eq!(
        record["grades"],
        json!([
            {"name": "Course One", "school": "TestOrg1", "attempts": 2, "course_id": C1B,
             "issue_date": isoformat(&c1b_created()), "percent_grade": 1.0, "letter_grade": "A"},
            {"name": "Course Two", "school": "TestOrg2", "attempts": 1, "course_id": C2A,
             "issue_date": isoformat(&c2a_created()), "percent_grade": 0.85, "letter_grade": "B"},
        ])
    );
    assert_eq!(record["program"]["last_updated"], isoformat(&c2a_created()));
    assert_eq!(record["program"]["empty"], false);
}

#[test]
fn course_without_grade_shows_credential_with_blank_grade() {
    let mut world = upstream_world();
    world.remove_grade(C2A);
    let record = world.record_json(uuid(P1));
    let course_two = row(&record, "Course Two");
    assert_eq!(course_two["attempts"], "");
    assert_eq!(course_two["course_id"], C2A);
    assert_eq!(course_two["issue_date"], isoformat(&c2a_created()));
    assert_eq!(course_two["percent_grade"], "");
    assert_eq!(course_two["letter_grade"], "");
    assert_eq!(row(&record, "Course One")["percent_grade"], 1.0);
    assert_eq!(record["program"]["last_updated"], isoformat(&c1b_created()));
}

#[test]
fn no_grades_or_credentials_leave_every_row_blank() {
    let mut world = upstream_world();
    world.learner.grades.clear();
    world.learner.credentials.clear();
    let record = world.record_json(uuid(P1));
    assert_eq!(record["grades"].as_array().unwrap().len(), 2);
    assert_blank(row(&record, "Course One"));
    assert_blank(row(&record, "Course Two"));
    assert_eq!(record["program"]["empty"], true);
    assert_eq!(record["program"]["last_updated"], isoformat(&now()));
}

#[test]
fn course_without_anything_is_blank_row() {
    let mut world = upstream_world();
    world.remove_grade(C2A);
    world.remove_credential(C2A);
    let record = world.record_json(uuid(P1));
    assert_blank(row(&record, "Course Two"));
    assert_eq!(row(&record, "Course One")["course_id"], C1B);
    assert_eq!(row(&record, "Course One")["attempts"], 2);
}

#[test]
fn future_available_date_hides_credential_everywhere() {
    let mut world = upstream_world();
    world.available_date(C1B, Some(far_future()));
    let record = world.record_json(uuid(P1));
    let course_one = row(&record, "Course One");
    assert_eq!(course_one["attempts"], 1);
    assert_eq!(course_one["course_id"], C1A);
    assert_eq!(course_one["percent_grade"], 0.75);
    assert_eq!(course_one["letter_grade"], "C");
    // An invisible course credential also keeps the program credential hidden.
    assert_eq!(record["program"]["completed"], false);

    // Hidden everywhere: with only that credential, nothing is listed.
    let mut hidden = World {
        learner: LearnerData::default(),
        ..world.clone()
    };
    hidden.credential(C1B, CredentialStatus::Awarded, c1b_created());
    assert_eq!(hidden.list(), Vec::new());
}

#[test]
fn available_date_reached_makes_credential_visible() {
    let mut world = upstream_world();
    world.available_date(C1B, Some(now()));
    let record = world.record_json(uuid(P1));
    assert_eq!(row(&record, "Course One")["course_id"], C1B);
    assert_eq!(
        row(&record, "Course One")["issue_date"],
        isoformat(&now()),
        "the available date is the issue date"
    );
}

#[test]
fn run_excluded_from_program_does_not_count() {
    let world = upstream_world();
    let record = world.record_json(uuid(P2));
    let course_one = row(&record, "Course One");
    assert_eq!(course_one["attempts"], 1);
    assert_eq!(course_one["course_id"], C1A);
    assert_eq!(course_one["percent_grade"], 0.75);
    assert_eq!(course_one["letter_grade"], "C");
    let course_three = row(&record, "Course Three");
    assert_eq!(course_three["course_id"], C3A);
    assert_eq!(course_three["percent_grade"], 0.91);
    assert_eq!(course_three["letter_grade"], "A");
}

#[test]
fn course_three_without_grade_keeps_run_and_date() {
    let mut world = upstream_world();
    world.remove_grade(C3A);
    let record = world.record_json(uuid(P2));
    let course_three = row(&record, "Course Three");
    assert_eq!(course_three["course_id"], C3A);
    assert_eq!(course_three["issue_date"], isoformat(&c3a_created()));
    assert_eq!(course_three["attempts"], "");
    assert_eq!(course_three["percent_grade"], "");
    assert_eq!(course_three["letter_grade"], "");
    assert_eq!(record["program"]["last_updated"], isoformat(&c1a_created()));
}

#[test]
fn revoked_program_credential_is_not_completion() {
    let mut world = upstream_world();
    assert!(world.record(uuid(P1)).program.completed);
    world.set_program_credential_status(uuid(P1), CredentialStatus::Revoked);
    assert!(!world.record(uuid(P1)).program.completed);
}

#[test]
fn pathway_block_shows_sent_credit_pathway() {
    let record = upstream_world().record_json(uuid(P1));
    assert_eq!(
        record["pathways"],
        json!([{"name": "Credit Pathway W", "id": 7, "status": "sent", "is_active": true,
                "pathway_type": "credit"}])
    );
}

#[test]
fn shared_record_uuid_follows_link() {
    let mut world = upstream_world();
    assert_eq!(
        world.record_json(uuid(P1))["shared_program_record_uuid"],
        uuid(4000).hex()
    );
    world.learner.links.clear();
    assert_eq!(
        world.record_json(uuid(P1))["shared_program_record_uuid"],
        Value::Null
    );
}

// ---------------------------------------------------------------------------------------------
// Further rules

#[test]
fn revoked_run_counts_only_as_attempt() {
    let mut world = upstream_world();
    world.set_credential_status(C1B, CredentialStatus::Revoked);
    let record = world.record_json(uuid(P1));
    let course_one = row(&record, "Course One");
    assert_eq!(course_one["attempts"], 2);
    assert_eq!(course_one["course_id"], C1A);
    assert_eq!(course_one["percent_grade"], 0.75);
}

#[test]
fn only_revoked_attempt_leaves_course_not_earned() {
    let mut world = upstream_world();
    world.remove_grade(C1A);
    world.remove_credential(C1A);
    world.set_credential_status(C1B, CredentialStatus::Revoked);
    let record = world.record_json(uuid(P1));
    assert_blank(row(&record, "Course One"));
}

#[test]
fn grade_and_run_come_from_the_same_run() {
    // Upstream showed the newest credential's run beside the best grade of another run.
    let mut world = upstream_world();
    world.learner.credentials.clear();
    world.credential(C1A, CredentialStatus::Awarded, at("2024-02-05T00:00:00Z"));
    world.credential(C1B, CredentialStatus::Awarded, c1b_created());
    let record = world.record_json(uuid(P1));
    let course_one = row(&record, "Course One");
    assert_eq!(course_one["percent_grade"], 1.0);
    assert_eq!(course_one["course_id"], C1B);
    assert_eq!(course_one["issue_date"], isoformat(&c1b_created()));
}

#[test]
fn tie_keeps_earlier_run_in_catalog_order() {
    let mut world = upstream_world();
    world.remove_grade(C1B);
    world.grade(C1B, "0.75", "B", at("2024-01-02T00:00:00Z"));
    let record = world.record_json(uuid(P1));
    assert_eq!(row(&record, "Course One")["course_id"], C1A);
    assert_eq!(row(&record, "Course One")["letter_grade"], "C");
}

#[test]
fn earned_row_sits_at_its_run_position() {
    // Course Two's only run comes before Course One's earned run B.
    let mut world = upstream_world();
    world.programs[0].course_runs = vec![uuid(11), uuid(21), uuid(12)];
    let record = world.record_json(uuid(P1));
    let names: Vec<&str> = record["grades"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Course Two", "Course One"]);
}

#[test]
fn unverified_grade_is_ignored() {
    let mut world = upstream_world();
    world.remove_grade(C2A);
    world.unverified_grade(C2A, "0.99", at("2024-01-03T00:00:00Z"));
    let record = world.record_json(uuid(P1));
    let course_two = row(&record, "Course Two");
    assert_eq!(course_two["percent_grade"], "");
    assert_eq!(
        course_two["course_id"], C2A,
        "the credential still earns the row"
    );
}

#[test]
fn grades_without_certificate_never_enrol() {
    let mut world = upstream_world();
    world.learner.credentials.clear();
    assert_eq!(world.list(), Vec::new());
    let record = world.record_json(uuid(P1));
    assert_blank(row(&record, "Course One"));
    assert_blank(row(&record, "Course Two"));
}

#[test]
fn certificate_outside_any_program_shows_nowhere() {
    let mut world = upstream_world();
    world.learner = LearnerData::default();
    world.courses.push(course(
        4,
        "Course Four",
        &[],
        vec![run(41, "course-v1:TestX+C4+A")],
    ));
    world.grade("course-v1:TestX+C4+A", "0.9", "A", c1a_created());
    world.credential(
        "course-v1:TestX+C4+A",
        CredentialStatus::Awarded,
        c1a_created(),
    );
    // A certificate for a run the catalog does not know at all.
    world.credential(
        "course-v1:Other+X+1",
        CredentialStatus::Awarded,
        c1a_created(),
    );
    assert_eq!(world.list(), Vec::new());
    for program in [P1, P2] {
        let record = world.record_json(uuid(program));
        assert_eq!(record["program"]["empty"], true);
        assert_eq!(record["program"]["last_updated"], isoformat(&now()));
    }
}

#[test]
fn program_without_course_runs_renders_empty_record() {
    let mut world = upstream_world();
    world.programs.push(program(
        300,
        "Empty Program",
        ProgramStatus::Active,
        &[],
        &[],
    ));
    let record = world.record_json(uuid(300));
    assert_eq!(record["grades"], json!([]));
    assert_eq!(record["program"]["empty"], true);
    assert_eq!(record["program"]["completed"], false);
}

#[test]
fn runs_missing_from_catalog_are_skipped() {
    let mut world = upstream_world();
    world.programs[0].course_runs.insert(0, uuid(999));
    let record = world.record_json(uuid(P1));
    assert_eq!(record["grades"].as_array().unwrap().len(), 2);
}

#[test]
fn credential_without_configuration_is_visible() {
    let world = upstream_world();
    assert!(world.settings.course_certificates.is_empty());
    assert_eq!(
        row(&world.record_json(uuid(P1)), "Course Two")["course_id"],
        C2A
    );
}

#[test]
fn awarded_credential_in_any_mode_counts() {
    let mut world = upstream_world();
    world.remove_credential(C2A);
    world.credential_in_mode(
        C2A,
        CertificateType::Honor,
        CredentialStatus::Revoked,
        c2a_created(),
    );
    world.credential_in_mode(
        C2A,
        CertificateType::Professional,
        CredentialStatus::Awarded,
        c2a_created(),
    );
    let record = world.record_json(uuid(P1));
    assert_eq!(row(&record, "Course Two")["percent_grade"], 0.85);
    assert_eq!(row(&record, "Course Two")["attempts"], 1);
}

#[test]
fn date_override_skips_last_updated() {
    let mut world = upstream_world();
    let overridden = at("2023-12-24T00:00:00Z");
    for credential in &mut world.learner.credentials {
        if credential.course_run_key() == Some(&key(C2A)) {
            credential.date_override = Some(overridden);
        }
    }
    let record = world.record_json(uuid(P1));
    assert_eq!(
        row(&record, "Course Two")["issue_date"],
        isoformat(&overridden)
    );
    assert_eq!(record["program"]["last_updated"], isoformat(&c2a_created()));
}

#[test]
fn last_updated_follows_latest_grade_change() {
    let mut world = upstream_world();
    let regraded = at("2025-05-05T05:05:05.5Z");
    world.remove_grade(C1A);
    world.grade(C1A, "0.8", "B", regraded);
    assert_eq!(
        world.record_json(uuid(P1))["program"]["last_updated"],
        "2025-05-05T05:05:05.500000+00:00"
    );
}

#[test]
fn timestamps_always_carry_utc_offset() {
    let mut world = upstream_world();
    let record = world.record_json(uuid(P1));
    assert!(
        record["program"]["last_updated"]
            .as_str()
            .unwrap()
            .ends_with("+00:00")
    );
    world.learner.grades.clear();
    world.learner.credentials.clear();
    let fallback = world.record_json(uuid(P1))["program"]["last_updated"].clone();
    assert_eq!(fallback, "2026-06-01T12:00:00+00:00");
}

#[test]
fn isoformat_prints_micros_only_when_present() {
    assert_eq!(
        isoformat(&at("2024-01-02T03:04:05Z")),
        "2024-01-02T03:04:05+00:00"
    );
    assert_eq!(
        isoformat(&at("2024-01-02T03:04:05.123456Z")),
        "2024-01-02T03:04:05.123456+00:00"
    );
}

#[test]
fn program_credential_waits_for_course_visibility() {
    let mut world = upstream_world();
    world.available_date(C2A, Some(far_future()));
    assert!(!world.record(uuid(P1)).program.completed);
    world.available_date(C2A, Some(at("2024-04-01T00:00:00Z")));
    assert!(world.record(uuid(P1)).program.completed);
}

#[test]
fn completion_needs_program_certificate_configuration() {
    let mut world = upstream_world();
    world.settings.program_certificates.clear();
    assert!(!world.record(uuid(P1)).program.completed);
}

#[test]
fn completed_program_rows_are_all_earned() {
    let mut world = upstream_world();
    assert_completion_agrees_with_rows(&world, uuid(P1));
    world.remove_grade(C2A);
    assert_completion_agrees_with_rows(&world, uuid(P1));
}

#[test]
fn list_orders_by_title_and_filters_status() {
    let mut world = upstream_world();
    world.programs = vec![
        program(301, "Zeta", ProgramStatus::Active, &[], &[11]),
        program(302, "Alpha", ProgramStatus::Retired, &[], &[11]),
        program(303, "Beta", ProgramStatus::Unpublished, &[], &[11]),
        program(304, "Gamma", ProgramStatus::Deleted, &[], &[11]),
    ];
    assert_eq!(world.listed_titles(), ["Alpha", "Zeta"]);
}

#[test]
fn record_renders_program_in_any_status() {
    let mut world = upstream_world();
    world.programs[0].status = ProgramStatus::Unpublished;
    let record = world.record_json(uuid(P1));
    assert_eq!(row(&record, "Course One")["course_id"], C1B);
    world.programs[0].status = ProgramStatus::Deleted;
    assert_eq!(
        world.record_json(uuid(P1))["grades"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn pathways_offer_only_published_credit_with_email() {
    let mut world = upstream_world();
    let mut retired = pathway(
        8,
        "Retired",
        PathwayType::Credit,
        "r@partner.example.test",
        &[P1],
    );
    retired.status = PathwayStatus::Retired;
    let mut unpublished = pathway(
        9,
        "Unpublished",
        PathwayType::Credit,
        "u@example.test",
        &[P1],
    );
    unpublished.status = PathwayStatus::Unpublished;
    world.pathways.extend([
        retired,
        unpublished,
        pathway(
            10,
            "Industry",
            PathwayType::Industry,
            "i@example.test",
            &[P1],
        ),
        pathway(11, "No Email Yet", PathwayType::Credit, " ", &[P1]),
        pathway(
            12,
            "Other Program",
            PathwayType::Credit,
            "o@example.test",
            &[P2],
        ),
        pathway(
            13,
            "Second Credit",
            PathwayType::Credit,
            "s@example.test",
            &[P1],
        ),
    ]);
    let record = world.record(uuid(P1));
    let names: Vec<&str> = record.pathways.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["Credit Pathway W", "Second Credit"]);
    assert_eq!(record.pathways[1].status, "");
    assert!(record.pathways.iter().all(|p| p.is_active));
}

#[test]
fn other_program_send_leaves_pathway_unsent() {
    let mut world = upstream_world();
    world.pathways[0].programs.push(uuid(P2));
    assert_eq!(world.record(uuid(P2)).pathways[0].status, "");

    world.learner.sends[0].program_uuid = None;
    assert_eq!(
        world.record(uuid(P2)).pathways[0].status,
        "sent",
        "a send from before sends were tracked per program counts for every program"
    );
}

#[test]
fn expired_link_is_not_shared_record() {
    let mut world = upstream_world();
    world.learner.links[0].expires = Some(at("2026-01-01T00:00:00Z"));
    assert_eq!(world.record(uuid(P1)).shared_program_record_uuid, None);
}

#[test]
fn public_viewer_gets_empty_email() {
    let world = upstream_world();
    let record = serde_json::to_value(world.record_as(uuid(P1), Viewer::Public)).unwrap();
    assert_eq!(record["learner"]["email"], "");
    assert_eq!(record["learner"]["full_name"], "Ada Testwell");
    assert_eq!(record["learner"]["username"], "lrn_ada");
}

#[test]
fn site_may_show_email_publicly() {
    let mut world = upstream_world();
    world.settings.configuration.show_email_publicly = true;
    let record = serde_json::to_value(world.record_as(uuid(P1), Viewer::Public)).unwrap();
    assert_eq!(record["learner"]["email"], "ada@example.test");
}

#[test]
fn public_and_owner_views_differ_only_in_email() {
    let world = upstream_world();
    let mut public = world.record_as(uuid(P1), Viewer::Public);
    let owner = world.record(uuid(P1));
    public.learner.email = owner.learner.email.clone();
    assert_eq!(public, owner);
}

// ---------------------------------------------------------------------------------------------
// Bug reports as cases, over the real Discovery sample: "Circuits and Electronics" (active, three
// courses of one run), "Accounting" (retired, one course of seven runs), "Water Management"
// (active, one course of ten runs), and the course-less unpublished "Master of Business
// Administration".

/// Builds a world from the Discovery sample, with no learner data yet.
fn discovery_world() -> Option<World> {
    let sample = discovery_sample()?;
    let mut world = World {
        organizations: sample.organizations,
        courses: sample.courses,
        programs: sample.programs,
        ..World::default()
    };
    world.settings.configuration.platform_name = "edX".to_owned();
    Some(world)
}

fn program_id(text: &str) -> Uuid {
    Uuid::parse(text).unwrap()
}

#[test]
fn discovery_sample_builds_expected_catalog() {
    let Some(world) = discovery_world() else {
        return;
    };
    let catalog = world.catalog();
    let counts = catalog.counts();
    assert_eq!(counts.programs, 4);
    assert_eq!(counts.courses, 5);
    assert_eq!(counts.course_runs, 20);
    assert_eq!(
        catalog.program(&program_id(P_ACCT)).unwrap().status,
        ProgramStatus::Retired
    );
    assert!(
        catalog
            .run_by_key(&key("DelftX/CTB3300WCx/2T2014"))
            .is_some()
    );
}

#[test]
fn earned_certificate_without_grade_is_earned_row() {
    let Some(mut world) = discovery_world() else {
        return;
    };
    world.credential(
        CIRC_1,
        CredentialStatus::Awarded,
        at("2024-05-01T00:00:00Z"),
    );
    let record = world.record_json(program_id(P_CIRC));
    let circuits = row(&record, CIRC_1_TITLE);
    assert_eq!(circuits["course_id"], CIRC_1);
    assert_eq!(circuits["issue_date"], "2024-05-01T00:00:00+00:00");
    assert_eq!(circuits["percent_grade"], "");
    assert_eq!(circuits["letter_grade"], "");
    assert_eq!(record["program"]["empty"], false);

    world.set_credential_status(CIRC_1, CredentialStatus::Revoked);
    assert_blank(row(&world.record_json(program_id(P_CIRC)), CIRC_1_TITLE));
}

#[test]
fn late_grades_keep_rows_earned_in_completed_program() {
    let Some(mut world) = discovery_world() else {
        return;
    };
    let certified = at("2024-05-01T00:00:00Z");
    let graded = at("2024-05-03T00:00:00Z");
    for run in [CIRC_1, CIRC_2, CIRC_3] {
        world.credential(run, CredentialStatus::Awarded, certified);
    }
    world.program_certificate(program_id(P_CIRC));
    world.program_credential(program_id(P_CIRC), CredentialStatus::Awarded);
    for run in [CIRC_1, CIRC_2, CIRC_3] {
        world.grade(run, "0.9", "A", graded);
    }

    let record = world.record(program_id(P_CIRC));
    assert!(record.program.completed);
    assert_eq!(record.grades.len(), 3);
    assert!(
        record.grades.iter().all(|row| row.is_earned()),
        "{record:?}"
    );
    assert_eq!(record.program.last_updated, graded);
    assert_completion_agrees_with_rows(&world, program_id(P_CIRC));
}

#[test]
fn grade_without_certificate_shows_no_zero() {
    let Some(mut world) = discovery_world() else {
        return;
    };
    world.grade(CIRC_2, "0.62", "D", at("2024-05-01T00:00:00Z"));
    let record = world.record_json(program_id(P_CIRC));
    assert_blank(row(&record, CIRC_2_TITLE));
    assert_eq!(record["program"]["empty"], true);
}

#[test]
fn passed_run_beats_later_failed_and_revoked_runs() {
    let Some(mut world) = discovery_world() else {
        return;
    };
    let passed = "course-v1:IUx+BUKD-A500+2T2019";
    world.grade(passed, "0.81", "B", at("2019-11-10T00:00:00Z"));
    world.credential(
        passed,
        CredentialStatus::Awarded,
        at("2019-11-11T00:00:00Z"),
    );
    world.grade(
        "course-v1:IUx+BUKD-A500+2T2021",
        "0.40",
        "F",
        at("2021-08-14T00:00:00Z"),
    );
    world.grade(
        "course-v1:IUx+BUKD-A500+3T2021",
        "0.88",
        "A",
        at("2022-02-19T00:00:00Z"),
    );
    world.credential(
        "course-v1:IUx+BUKD-A500+3T2021",
        CredentialStatus::Revoked,
        at("2022-02-20T00:00:00Z"),
    );

    let record = world.record_json(program_id(P_ACCT));
    let accounting = row(&record, ACCT_TITLE);
    assert_eq!(accounting["percent_grade"], 0.81);
    assert_eq!(accounting["course_id"], passed);
    assert_eq!(
        accounting["attempts"], 2,
        "attempts count runs with a certificate, awarded or revoked"
    );
}

#[test]
fn tied_runs_keep_the_earlier_run() {
    let Some(mut world) = discovery_world() else {
        return;
    };
    for run in [
        "course-v1:IUx+BUKD-A500+2T2020",
        "course-v1:IUx+BUKD-A500+2T2019",
    ] {
        world.grade(run, "0.81", "B", at("2020-09-01T00:00:00Z"));
        world.credential(run, CredentialStatus::Awarded, at("2020-09-02T00:00:00Z"));
    }
    let record = world.record_json(program_id(P_ACCT));
    assert_eq!(
        row(&record, ACCT_TITLE)["course_id"],
        "course-v1:IUx+BUKD-A500+2T2019"
    );
}

#[test]
fn empty_letter_grade_shows_n_a() {
    let Some(mut world) = discovery_world() else {
        return;
    };
    world.grade(CIRC_1, "0.35", "", at("2024-05-01T00:00:00Z"));
    world.credential(
        CIRC_1,
        CredentialStatus::Awarded,
        at("2024-05-02T00:00:00Z"),
    );
    let record = world.record_json(program_id(P_CIRC));
    assert_eq!(row(&record, CIRC_1_TITLE)["letter_grade"], "N/A");
    assert_eq!(row(&record, CIRC_1_TITLE)["percent_grade"], 0.35);
}

#[test]
fn audit_grade_without_certificate_is_not_earned() {
    let Some(mut world) = discovery_world() else {
        return;
    };
    world.unverified_grade(
        "course-v1:Delftx+CTB3300WCx+3T2022",
        "0.95",
        at("2024-01-01T00:00:00Z"),
    );
    let record = world.record_json(program_id(P_WATER));
    assert_blank(row(&record, WATER_TITLE));
    assert_eq!(world.list(), Vec::new());
}

#[test]
fn revoked_run_beside_awarded_run_only_adds_attempt() {
    let Some(mut world) = discovery_world() else {
        return;
    };
    let revoked = "course-v1:Delftx+CTB3300WCx+3T2021";
    let awarded = "DelftX/CTB3300WCx/2T2014";
    world.grade(revoked, "0.97", "A", at("2022-09-01T00:00:00Z"));
    world.credential(
        revoked,
        CredentialStatus::Revoked,
        at("2022-09-02T00:00:00Z"),
    );
    world.grade(awarded, "0.72", "C", at("2014-11-05T00:00:00Z"));
    world.credential(
        awarded,
        CredentialStatus::Awarded,
        at("2014-11-06T00:00:00Z"),
    );

    let record = world.record_json(program_id(P_WATER));
    let water = row(&record, WATER_TITLE);
    assert_eq!(water["course_id"], awarded);
    assert_eq!(water["percent_grade"], 0.72);
    assert_eq!(water["attempts"], 2);
}

#[test]
fn date_override_is_the_issue_date() {
    let Some(mut world) = discovery_world() else {
        return;
    };
    world.grade(CIRC_1, "0.9", "A", at("2021-03-02T00:00:00Z"));
    world.credential(
        CIRC_1,
        CredentialStatus::Awarded,
        at("2021-03-02T23:30:00Z"),
    );
    assert_eq!(
        row(&world.record_json(program_id(P_CIRC)), CIRC_1_TITLE)["issue_date"],
        "2021-03-02T23:30:00+00:00"
    );

    world.learner.credentials[0].date_override = Some(at("2021-03-01T00:00:00Z"));
    assert_eq!(
        row(&world.record_json(program_id(P_CIRC)), CIRC_1_TITLE)["issue_date"],
        "2021-03-01T00:00:00+00:00"
    );
}

#[test]
fn no_id_professional_certificate_earns_row() {
    let Some(mut world) = discovery_world() else {
        return;
    };
    world.grade(CIRC_3, "0.77", "B", at("2024-05-01T00:00:00Z"));
    world.credential_in_mode(
        CIRC_3,
        CertificateType::NoIdProfessional,
        CredentialStatus::Awarded,
        at("2024-05-02T00:00:00Z"),
    );
    let record = world.record(program_id(P_CIRC));
    assert_eq!(record.grades.iter().filter(|r| r.is_earned()).count(), 1);
    assert_eq!(world.listed_titles(), ["Circuits and Electronics"]);
}

#[test]
fn program_certificate_alone_lists_completed_program() {
    let Some(mut world) = discovery_world() else {
        return;
    };
    world.program_certificate(program_id(P_CIRC));
    world.program_credential(program_id(P_CIRC), CredentialStatus::Awarded);

    let list = world.list();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].name, "Circuits and Electronics");
    assert!(list[0].completed);
    assert!(list[0].empty);

    let record = world.record(program_id(P_CIRC));
    assert!(record.program.completed);
    assert!(record.grades.iter().all(|row| !row.is_earned()));
}

#[test]
fn list_keeps_retired_skips_unearned() {
    let Some(mut world) = discovery_world() else {
        return;
    };
    world.grade(
        "course-v1:IUx+BUKD-A500+3T2020",
        "0.8",
        "B",
        at("2021-02-20T00:00:00Z"),
    );
    world.credential(
        "course-v1:IUx+BUKD-A500+3T2020",
        CredentialStatus::Awarded,
        at("2021-02-21T00:00:00Z"),
    );
    world.grade(
        "course-v1:Delftx+CTB3300WCx+1T2024",
        "0.9",
        "A",
        at("2025-05-29T00:00:00Z"),
    );

    let list = world.list();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].name, "Accounting");
    assert_eq!(list[0].uuid, "84811e4894e647388e15e019b289e374");
    assert_eq!(list[0].partner, "Indiana University");
}

#[test]
fn course_less_unpublished_program_renders_empty_record() {
    let Some(world) = discovery_world() else {
        return;
    };
    let mba = world
        .programs
        .iter()
        .find(|p| p.status == ProgramStatus::Unpublished)
        .unwrap()
        .uuid;
    let record = world.record_json(mba);
    assert_eq!(record["grades"], json!([]));
    assert_eq!(record["program"]["type_name"], "Masters");
    assert_eq!(
        record["program"]["school"],
        "University of California, Davis"
    );
}

#[test]
fn header_shows_full_name_or_username() {
    let Some(mut world) = discovery_world() else {
        return;
    };
    world.profile("Ada Testwell", "ada@example.test");
    assert_eq!(
        world.record(program_id(P_CIRC)).learner.full_name,
        "Ada Testwell"
    );

    world.profile("", "ada@example.test");
    assert_eq!(
        world.record(program_id(P_CIRC)).learner.full_name,
        "lrn_ada"
    );

    world.learner.profile = None;
    let record = world.record_json(program_id(P_CIRC));
    assert_eq!(record["learner"]["full_name"], "lrn_ada");
    assert_eq!(record["learner"]["email"], "");

    world.profile("Zoë Ñandú-Test", "ada@example.test");
    let text = serde_json::to_string(&world.record(program_id(P_CIRC))).unwrap();
    assert!(text.contains("\"full_name\":\"Zoë Ñandú-Test\""), "{text}");
}
