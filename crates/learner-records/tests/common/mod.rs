//! Test support shared by the record tests: catalog values built from the real Discovery
//! samples kept beside the repository.

#![allow(clippy::unwrap_used, dead_code)]

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use learner_records::domain::{
    Course, CourseRun, CourseRunKey, Organization, Program, ProgramStatus, Uuid,
};
use serde_json::Value;

/// "Circuits and Electronics": active, three courses of one run each.
pub const P_CIRC: &str = "927093e3-46ba-4f44-a861-0f8c7aec4f74";
/// "Accounting": retired, one course of seven runs.
pub const P_ACCT: &str = "84811e48-94e6-4738-8e15-e019b289e374";
/// "Water Management": active, one course of ten runs, one of them with an old-style key.
pub const P_WATER: &str = "0445d855-1d24-480a-87ff-01a9186e237a";
pub const CIRC_1: &str = "course-v1:MITx+6.002.1x+2T2019";
pub const CIRC_2: &str = "course-v1:MITx+6.002.2x+2T2019";
pub const CIRC_3: &str = "course-v1:MITx+6.002.3x+2T2019";
pub const CIRC_1_TITLE: &str = "Circuits and Electronics 1: Basic Circuit Analysis";
pub const CIRC_2_TITLE: &str = "Circuits and Electronics 2: Amplification, Speed, and Delay";
pub const ACCT_TITLE: &str = "Financial Reporting I";
pub const WATER_TITLE: &str = "Introduction to Water and Climate";

/// Catalog values as the catalog copy keeps them.
#[derive(Debug, Clone, Default)]
pub struct DiscoverySample {
    pub organizations: Vec<Organization>,
    pub courses: Vec<Course>,
    pub programs: Vec<Program>,
}

/// The Discovery samples' folder: `../shared` beside the repository, whether it is the main
/// checkout or a worktree one level further down.
fn discovery_folder() -> Option<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    [root.join("../shared"), root.join("../../shared")]
        .into_iter()
        .map(|shared| shared.join("fixtures/discovery"))
        .find(|folder| {
            folder
                .join("discovery_programs_list_3_programs.json")
                .is_file()
        })
}

fn read_json(path: PathBuf) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn text(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_owned()
}

fn uuid_of(value: &Value) -> Uuid {
    Uuid::parse(value["uuid"].as_str().unwrap()).unwrap()
}

fn date(value: &Value) -> Option<DateTime<Utc>> {
    value.as_str().map(|text| {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    })
}

impl DiscoverySample {
    fn add_organization(&mut self, value: &Value) {
        let uuid = uuid_of(value);
        if self.organizations.iter().all(|o| o.uuid != uuid) {
            self.organizations.push(Organization {
                uuid,
                key: text(&value["key"]),
                name: text(&value["name"]),
                certificate_logo_image_url: None,
            });
        }
    }

    /// Adds one Discovery program object with its courses, runs and organizations.
    fn add_program(&mut self, value: &Value) {
        let mut runs = Vec::new();
        for course_value in value["courses"].as_array().unwrap() {
            for owner in course_value["owners"].as_array().unwrap() {
                self.add_organization(owner);
            }
            let course_runs: Vec<CourseRun> = course_value["course_runs"]
                .as_array()
                .unwrap()
                .iter()
                .map(|run| CourseRun {
                    uuid: uuid_of(run),
                    key: CourseRunKey::parse(run["key"].as_str().unwrap()).unwrap(),
                    title_override: None,
                    start_date: date(&run["start"]),
                    end_date: date(&run["end"]),
                })
                .collect();
            runs.extend(course_runs.iter().map(|run| run.uuid));
            self.courses.push(Course {
                uuid: uuid_of(course_value),
                key: text(&course_value["key"]),
                title: course_value["title"].as_str().map(str::to_owned),
                owners: course_value["owners"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(uuid_of)
                    .collect(),
                course_runs,
            });
        }
        for organization in value["authoring_organizations"].as_array().unwrap() {
            self.add_organization(organization);
        }
        self.programs.push(Program {
            uuid: uuid_of(value),
            title: text(&value["title"]),
            program_type: text(&value["type"]),
            type_slug: text(&value["type_attrs"]["slug"]),
            status: ProgramStatus::parse(value["status"].as_str().unwrap()).unwrap(),
            total_hours_of_effort: value["total_hours_of_effort"]
                .as_u64()
                .map(|hours| hours as u32),
            authoring_organizations: value["authoring_organizations"]
                .as_array()
                .unwrap()
                .iter()
                .map(uuid_of)
                .collect(),
            course_runs: runs,
        });
    }
}

/// The three-program sample plus the course-less, unpublished "Master of Business
/// Administration", or `None` with a printed note when the samples are not there.
pub fn discovery_sample() -> Option<DiscoverySample> {
    let Some(folder) = discovery_folder() else {
        println!("note: skipped, the Discovery samples (../shared/fixtures/discovery) are absent");
        return None;
    };
    let mut sample = DiscoverySample::default();
    for program in read_json(folder.join("discovery_programs_list_3_programs.json"))
        .as_array()
        .unwrap()
    {
        sample.add_program(program);
    }
    sample.add_program(&read_json(
        folder.join("discovery_program_unpublished_masters_no_courses.json"),
    ));
    Some(sample)
}
