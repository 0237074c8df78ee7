//! A generated program of a chosen number of courses, five runs each, and one learner with two
//! graded, certified runs in every course. This is the shape the Python Credentials service was
//! measured with, so the benchmarks and the local tools build it here once: the record build
//! benchmark from the values alone, the function harness after writing them to a table.

use chrono::{DateTime, TimeZone, Utc};

use crate::domain::{
    CertificateType, Course, CourseCertificate, CourseRun, CourseRunKey, CredentialStatus,
    CredentialSubject, LearnerData, LearnerProfile, Organization, Pathway, PathwayStatus,
    PathwayType, Percent, Program, ProgramCertificate, ProgramStatus, SiteConfiguration,
    SiteSettings, UserCredential, UserGrade, Username, Uuid,
};
use crate::store::cache::{KIND_COURSE_CERTIFICATE, KIND_PROGRAM_CERTIFICATE, KIND_SITE};
use crate::store::learner::{KIND_CREDENTIAL, KIND_GRADE, KIND_PROFILE};
use crate::store::{Store, StoreError, keys};

/// Runs per course, as in the measured baseline.
pub const RUNS_PER_COURSE: usize = 5;
/// Runs per course in which the learner has a verified grade and an awarded credential.
pub const CERTIFIED_RUNS_PER_COURSE: usize = 2;
pub const LEARNER: &str = "sample_learner";
pub const PATHWAY_ID: u64 = 1;

/// Catalog, site settings and learner data of one sample program.
#[derive(Debug, Clone)]
pub struct SampleProgram {
    pub organization: Organization,
    pub courses: Vec<Course>,
    pub program: Program,
    pub pathway: Pathway,
    pub settings: SiteSettings,
    pub username: Username,
    pub learner: LearnerData,
}

/// Returns a fixed UUID per kind of entity and index, so repeated runs build identical data.
fn sample_uuid(kind: u32, index: usize) -> Uuid {
    let text = format!("{kind:08x}-0000-4000-8000-{index:012x}");
    Uuid::parse(&text).unwrap_or_else(|_| unreachable!("{text} is a valid UUID"))
}

fn run_key(course: usize, run: usize) -> CourseRunKey {
    let text = format!("course-v1:SampleX+C{course}+R{run}");
    CourseRunKey::parse(&text).unwrap_or_else(|_| unreachable!("{text} is a valid run key"))
}

/// Returns noon on 1 January 2024 plus `day` days, so records look the same on every run.
fn day(day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 1, 1, 12, 0, 0)
        .single()
        .unwrap_or_default()
        + chrono::Duration::days(i64::from(day))
}

impl SampleProgram {
    /// Builds a program of `course_count` courses.
    pub fn new(course_count: usize) -> Self {
        let organization = Organization {
            uuid: sample_uuid(1, 0),
            key: "SampleX".into(),
            name: "Sample University".into(),
            certificate_logo_image_url: None,
        };
        let courses: Vec<Course> = (0..course_count)
            .map(|course| Course {
                uuid: sample_uuid(2, course),
                key: format!("SampleX+C{course}"),
                title: Some(format!("Sample Course {course}")),
                owners: vec![organization.uuid],
                course_runs: (0..RUNS_PER_COURSE)
                    .map(|run| CourseRun {
                        uuid: sample_uuid(3, course * RUNS_PER_COURSE + run),
                        key: run_key(course, run),
                        title_override: None,
                        start_date: Some(day(run as u32 * 60)),
                        end_date: Some(day(run as u32 * 60 + 45)),
                    })
                    .collect(),
            })
            .collect();
        let program = Program {
            uuid: sample_uuid(4, 0),
            title: format!("Sample Program of {course_count} Courses"),
            program_type: "MicroMasters".into(),
            type_slug: "micromasters".into(),
            status: ProgramStatus::Active,
            total_hours_of_effort: Some(120),
            authoring_organizations: vec![organization.uuid],
            course_runs: courses
                .iter()
                .flat_map(|course| course.course_runs.iter().map(|run| run.uuid))
                .collect(),
        };
        let pathway = Pathway {
            id: PATHWAY_ID,
            uuid: sample_uuid(5, 0),
            name: "Sample Credit Pathway".into(),
            org_name: "Sample Partner College".into(),
            email: "admissions@partner.example.test".into(),
            pathway_type: PathwayType::Credit,
            status: PathwayStatus::Published,
            programs: vec![program.uuid],
        };

        let username = Username::parse(LEARNER)
            .unwrap_or_else(|_| unreachable!("{LEARNER} is a valid username"));
        let mut learner = LearnerData {
            profile: Some(LearnerProfile {
                username: Some(username.clone()),
                full_name: "Sample Learner".into(),
                email: "sample.learner@example.test".into(),
                lms_user_id: Some(1),
            }),
            ..LearnerData::default()
        };
        let mut course_certificates = Vec::new();
        for course in 0..course_count {
            for run in 0..CERTIFIED_RUNS_PER_COURSE {
                let key = run_key(course, run);
                let index = course * CERTIFIED_RUNS_PER_COURSE + run;
                let when = day(run as u32 * 60 + 50);
                let ten_thousandths = 7000 + (index % 30) as i32 * 100;
                let percent = Percent::from_ten_thousandths(ten_thousandths)
                    .unwrap_or_else(|_| unreachable!("{ten_thousandths} is between 0 and 10000"));
                learner.grades.push(UserGrade {
                    id: index as u64 + 1,
                    username: username.clone(),
                    course_run: key.clone(),
                    letter_grade: "B".into(),
                    percent_grade: percent,
                    verified: true,
                    lms_last_updated_at: Some(when),
                    created: when,
                    modified: when,
                });
                learner.credentials.push(UserCredential {
                    uuid: sample_uuid(6, index),
                    username: username.clone(),
                    subject: CredentialSubject::CourseRun {
                        course_run_key: key.clone(),
                        mode: CertificateType::Verified,
                    },
                    status: CredentialStatus::Awarded,
                    attributes: Vec::new(),
                    date_override: None,
                    created: when,
                    modified: when,
                });
                course_certificates.push(CourseCertificate {
                    course_id: key,
                    certificate_type: CertificateType::Verified,
                    certificate_available_date: None,
                    is_active: true,
                    created: when,
                    modified: when,
                });
            }
        }
        let settings = SiteSettings {
            version: 1,
            configuration: SiteConfiguration {
                platform_name: "Sample Platform".into(),
                ..SiteConfiguration::default()
            },
            course_certificates,
            program_certificates: vec![ProgramCertificate {
                program_uuid: program.uuid,
                is_active: true,
                language: None,
                title: None,
            }],
        };

        Self {
            organization,
            courses,
            program,
            pathway,
            settings,
            username,
            learner,
        }
    }

    /// Writes the catalog, the site settings and the learner's items to the store, replacing
    /// the visible catalog, and publishes new catalog and settings versions.
    pub async fn seed(&self, store: &Store) -> Result<(), StoreError> {
        store
            .replace_catalog(
                std::slice::from_ref(&self.organization),
                &self.courses,
                std::slice::from_ref(&self.program),
                std::slice::from_ref(&self.pathway),
            )
            .await?;

        let mut items = vec![
            Store::item(
                &keys::site_configuration(),
                KIND_SITE,
                &self.settings.configuration,
            )?,
            Store::item(
                &keys::program_certificate(&self.program.uuid),
                KIND_PROGRAM_CERTIFICATE,
                &self.settings.program_certificates[0],
            )?,
        ];
        for certificate in &self.settings.course_certificates {
            let key =
                keys::course_certificate(&certificate.course_id, certificate.certificate_type);
            items.push(Store::item(&key, KIND_COURSE_CERTIFICATE, certificate)?);
        }
        if let Some(profile) = &self.learner.profile {
            items.push(Store::item(
                &keys::profile(&self.username),
                KIND_PROFILE,
                profile,
            )?);
        }
        for grade in &self.learner.grades {
            let key = keys::grade(&grade.username, &grade.course_run);
            items.push(Store::item(&key, KIND_GRADE, grade)?);
        }
        for credential in &self.learner.credentials {
            if let CredentialSubject::CourseRun {
                course_run_key,
                mode,
            } = &credential.subject
            {
                let key = keys::course_credential(&credential.username, course_run_key, *mode);
                items.push(Store::item(&key, KIND_CREDENTIAL, credential)?);
            }
        }
        store.batch_write(items, Vec::new()).await?;
        store.bump_settings_version().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::record::{Viewer, build_program_list, build_program_record};

    #[test]
    fn sample_has_two_certified_runs_per_course() {
        let sample = SampleProgram::new(30);
        assert_eq!(sample.program.course_runs.len(), 150);
        assert_eq!(sample.learner.grades.len(), 60);
        assert_eq!(sample.learner.credentials.len(), 60);
    }

    #[test]
    fn sample_record_lists_every_course_as_earned() {
        let sample = SampleProgram::new(5);
        let catalog = crate::domain::Catalog::new(
            1,
            vec![sample.organization.clone()],
            sample.courses.clone(),
            vec![sample.program.clone()],
            vec![sample.pathway.clone()],
        );
        let record = build_program_record(
            &catalog,
            &sample.settings,
            &sample.program,
            &sample.username,
            &sample.learner,
            Viewer::OwnerOrStaff,
        );
        let json = serde_json::to_value(&record).unwrap_or_default();
        let grades = json["grades"].as_array().cloned().unwrap_or_default();
        assert_eq!(grades.len(), 5);
        assert!(grades.iter().all(|row| row["attempts"] == 2), "{grades:?}");
        let list = build_program_list(&catalog, &sample.settings, &sample.learner);
        assert_eq!(list.len(), 1);
    }
}
