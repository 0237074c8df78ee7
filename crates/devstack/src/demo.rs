//! Demo data for the local stack: three invented learners and the requests the LMS would send
//! for them, posted over HTTP exactly as the LMS posts them. Grades go form-encoded, credentials
//! and certificate dates as JSON, all with the LMS service user's staff token.
//!
//! The course runs and programs come from the catalog the local Discovery stand-in serves: the
//! real course-discovery samples when they are present, else the demo catalog
//! ([`DemoCatalog::for_fixtures_dir`] picks the matching set the same way the stand-in does).
//! The catalog copy must run first: without it the credential and grade posts fail with 400,
//! because their runs are not in the catalog.

use std::path::Path;

use serde_json::{Value, json};

/// The programs and runs of one catalog that the demo learners' data uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoCatalog {
    /// Name of the data the stand-in serves, for messages.
    pub source: &'static str,
    /// The program the first learner completes, and one run of each of its courses.
    pub completed_program: &'static str,
    pub completed_program_title: &'static str,
    pub completed_runs: &'static [&'static str],
    /// A second program, with three runs of one of its courses: the partway learner's attempts.
    pub partway_program: &'static str,
    pub attempt_runs: [&'static str; 3],
    /// A run of a course that belongs to no program.
    pub standalone_run: &'static str,
}

/// The real course-discovery samples: "Circuits and Electronics" (three courses, one run
/// each) and "Water Management" (one course with ten runs).
pub const FIXTURES_CATALOG: DemoCatalog = DemoCatalog {
    source: "the course-discovery samples",
    completed_program: "927093e3-46ba-4f44-a861-0f8c7aec4f74",
    completed_program_title: "Circuits and Electronics",
    completed_runs: &[
        "course-v1:MITx+6.002.1x+2T2019",
        "course-v1:MITx+6.002.2x+2T2019",
        "course-v1:MITx+6.002.3x+2T2019",
    ],
    partway_program: "0445d855-1d24-480a-87ff-01a9186e237a",
    attempt_runs: [
        "course-v1:Delftx+CTB3300WCx+3T2018",
        "course-v1:Delftx+CTB3300WCx+1T2019",
        "course-v1:Delftx+CTB3300WCx+3T2019",
    ],
    standalone_run: "course-v1:MITx+15.071x+1T2019",
};

/// The demo catalog written for this project (`demo-catalog/catalog.json`): "Data
/// Stewardship" (two courses) and "Applied Hydrology" (a course with three runs).
pub const DEMO_CATALOG: DemoCatalog = DemoCatalog {
    source: "the demo catalog",
    completed_program: "f1a4888c-59a3-489e-9307-3e38f3d01c9f",
    completed_program_title: "Data Stewardship",
    completed_runs: &[
        "course-v1:ExampleX+DS101+1T2024",
        "course-v1:ExampleX+DS102+2T2024",
    ],
    partway_program: "e4b4f99b-e700-4b52-adc9-a547386d649e",
    attempt_runs: [
        "course-v1:LabX+HY201+1T2024",
        "course-v1:LabX+HY201+3T2024",
        "course-v1:LabX+HY201+1T2025",
    ],
    standalone_run: "course-v1:ExampleX+ST150+2T2024",
};

impl DemoCatalog {
    /// The set matching what the Discovery stand-in serves for `dir`: the samples when the
    /// directory exists, else the demo catalog.
    pub fn for_fixtures_dir(dir: &Path) -> &'static Self {
        if dir.is_dir() {
            &FIXTURES_CATALOG
        } else {
            &DEMO_CATALOG
        }
    }

    /// The programs whose certificates must be configured before the LMS can award them.
    pub fn programs(&self) -> [&'static str; 2] {
        [self.completed_program, self.partway_program]
    }
}

/// The username the LMS posts as (its `CREDENTIALS_SERVICE_USERNAME` default).
pub const LMS_SERVICE_USER: &str = "credentials_service_user";

/// An invented learner and what their data shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoLearner {
    pub username: &'static str,
    pub name: &'static str,
    pub lms_user_id: u64,
    /// Name of the shell variable the guide puts the learner's token in.
    pub token_variable: &'static str,
    pub story: &'static str,
}

pub const LEARNERS: [DemoLearner; 3] = [
    DemoLearner {
        username: "ana_completed",
        name: "Ana Okafor",
        lms_user_id: 101,
        token_variable: "TOKEN_ANA",
        story: "completed a program: a verified certificate in each course and the program certificate",
    },
    DemoLearner {
        username: "ben_partway",
        name: "Ben Lindqvist",
        lms_user_id: 102,
        token_variable: "TOKEN_BEN",
        story: "partway through two programs: a failing grade, and three attempts at one course (the second certificate revoked)",
    },
    DemoLearner {
        username: "chloe_standalone",
        name: "Chloe Haddad",
        lms_user_id: 103,
        token_variable: "TOKEN_CHLOE",
        story: "a verified certificate in a course outside any program",
    },
];

/// One request as the LMS sends it.
#[derive(Debug, Clone, PartialEq)]
pub enum LmsRequest {
    /// `update_credentials_course_certificate_configuration_available_date`: JSON, with the date
    /// as Python's `str(datetime)` or null.
    CertificateAvailableDate {
        course_id: &'static str,
        date: Option<&'static str>,
    },
    /// `send_grade_to_credentials`: form-encoded, `verified` always `True`.
    Grade {
        username: &'static str,
        course_run: &'static str,
        letter_grade: &'static str,
        percent_grade: &'static str,
        lms_last_updated_at: &'static str,
    },
    /// `award_course_certificate` (status `awarded`, `date_override` an object or an explicit
    /// null) or a revocation of it (status `revoked`): JSON.
    CourseCredential {
        username: &'static str,
        course_run_key: &'static str,
        status: &'static str,
        date_override: Option<&'static str>,
    },
    /// `award_program_certificates`: JSON without a status.
    ProgramCredential {
        username: &'static str,
        lms_user_id: u64,
        program_uuid: &'static str,
    },
}

/// A request body and its content type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedBody {
    pub content_type: &'static str,
    pub body: String,
}

impl LmsRequest {
    pub fn path(&self) -> &'static str {
        match self {
            Self::CertificateAvailableDate { .. } => "/api/v2/course_certificates/",
            Self::Grade { .. } => "/api/v2/grades/",
            Self::CourseCredential { .. } | Self::ProgramCredential { .. } => {
                "/api/v2/credentials/"
            }
        }
    }

    /// Describes the request in one line for progress output, without grades.
    pub fn describe(&self) -> String {
        match self {
            Self::CertificateAvailableDate { course_id, .. } => {
                format!("certificate available date of {course_id}")
            }
            Self::Grade {
                username,
                course_run,
                ..
            } => format!("grade of {username} in {course_run}"),
            Self::CourseCredential {
                username,
                course_run_key,
                status,
                ..
            } => format!("course certificate of {username} in {course_run_key} ({status})"),
            Self::ProgramCredential {
                username,
                program_uuid,
                ..
            } => format!("program certificate of {username} for {program_uuid}"),
        }
    }

    pub fn encode(&self) -> EncodedBody {
        match self {
            Self::CertificateAvailableDate { course_id, date } => json_body(json!({
                "course_id": course_id,
                "certificate_type": "verified",
                "certificate_available_date": date,
                "is_active": true,
            })),
            Self::Grade {
                username,
                course_run,
                letter_grade,
                percent_grade,
                lms_last_updated_at,
            } => EncodedBody {
                content_type: "application/x-www-form-urlencoded",
                body: serde_urlencoded::to_string([
                    ("username", *username),
                    ("course_run", *course_run),
                    ("letter_grade", *letter_grade),
                    ("percent_grade", *percent_grade),
                    ("verified", "True"),
                    ("lms_last_updated_at", *lms_last_updated_at),
                ])
                .unwrap_or_default(),
            },
            Self::CourseCredential {
                username,
                course_run_key,
                status,
                date_override,
            } => json_body(json!({
                "username": username,
                "status": status,
                "credential": {
                    "course_run_key": course_run_key,
                    "mode": "verified",
                    "type": "course-run",
                },
                "date_override": date_override.map(|date| json!({ "date": date })),
            })),
            Self::ProgramCredential {
                username,
                lms_user_id,
                program_uuid,
            } => json_body(json!({
                "username": username,
                "lms_user_id": lms_user_id,
                "credential": { "type": "program", "program_uuid": program_uuid },
            })),
        }
    }
}

fn json_body(value: Value) -> EncodedBody {
    EncodedBody {
        content_type: "application/json",
        body: value.to_string(),
    }
}

/// Lists every demo request for `catalog` in the order the LMS would send them: certificate
/// dates when the courses were set up, then each learner's grades, course certificates and
/// program certificate. The grade timestamps use both forms the LMS produces (ISO 8601 with
/// `T`, and Python's `str()` with a space).
pub fn requests(catalog: &DemoCatalog) -> Vec<LmsRequest> {
    use LmsRequest::*;

    let [ana, ben, chloe] = LEARNERS;
    let completed = catalog.completed_runs;
    let attempts = catalog.attempt_runs;
    let mut requests = Vec::new();
    for (index, course_id) in completed.iter().enumerate() {
        let date = if index + 1 == completed.len() {
            "2019-12-15 00:00:00+00:00"
        } else {
            "2019-09-01 00:00:00+00:00"
        };
        requests.push(CertificateAvailableDate {
            course_id,
            date: Some(date),
        });
    }
    for course_id in attempts {
        requests.push(CertificateAvailableDate {
            course_id,
            date: None,
        });
    }
    requests.push(CertificateAvailableDate {
        course_id: catalog.standalone_run,
        date: Some("2019-05-01 00:00:00+00:00"),
    });

    let ana_grades = [
        ("A", "0.92", "2019-08-20T14:03:11.482913+00:00"),
        ("B", "0.88", "2019-08-28 09:41:02.117004+00:00"),
        ("A", "0.95", "2019-12-02T16:20:45.000301+00:00"),
    ];
    for (course_run, (letter_grade, percent_grade, updated)) in completed.iter().zip(ana_grades) {
        requests.push(Grade {
            username: ana.username,
            course_run,
            letter_grade,
            percent_grade,
            lms_last_updated_at: updated,
        });
    }
    for (index, course_run_key) in completed.iter().enumerate() {
        // The last certificate carries a date override, as a course team's manual date does.
        let date_override = (index + 1 == completed.len()).then_some("2019-12-20T00:00:00Z");
        requests.push(CourseCredential {
            username: ana.username,
            course_run_key,
            status: "awarded",
            date_override,
        });
    }
    requests.push(ProgramCredential {
        username: ana.username,
        lms_user_id: ana.lms_user_id,
        program_uuid: catalog.completed_program,
    });

    for (course_run, letter_grade, percent_grade, updated) in [
        (
            completed[0],
            "B",
            "0.81",
            "2019-08-21T10:00:00.000000+00:00",
        ),
        (completed[1], "", "0.45", "2019-08-29 18:12:40.550120+00:00"),
        (attempts[0], "", "0.38", "2018-12-10T08:30:00.000000+00:00"),
        (attempts[1], "C", "0.64", "2019-04-22 11:05:19.734002+00:00"),
        (attempts[2], "B", "0.79", "2019-12-18T13:45:51.020000+00:00"),
    ] {
        requests.push(Grade {
            username: ben.username,
            course_run,
            letter_grade,
            percent_grade,
            lms_last_updated_at: updated,
        });
    }
    requests.push(CourseCredential {
        username: ben.username,
        course_run_key: completed[0],
        status: "awarded",
        date_override: None,
    });
    // The second attempt earned a certificate that the course team later invalidated; the LMS
    // then posts the same credential again as revoked. The third attempt passed for good.
    for (course_run_key, status) in [
        (attempts[1], "awarded"),
        (attempts[1], "revoked"),
        (attempts[2], "awarded"),
    ] {
        requests.push(CourseCredential {
            username: ben.username,
            course_run_key,
            status,
            date_override: None,
        });
    }

    // The LMS sends grades only for runs that belong to a program, so this learner gets a
    // certificate and no grade.
    requests.push(CourseCredential {
        username: chloe.username,
        course_run_key: catalog.standalone_run,
        status: "awarded",
        date_override: None,
    });
    requests
}

/// A request that did not get the status the LMS expects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedFailure {
    pub description: String,
    pub status: Option<u16>,
    pub body: String,
}

/// Posts every demo request to the gateway at `base_url` with `service_token` and returns the
/// requests that failed. The LMS treats anything but 201 as a failure (it retries, or logs an
/// error for certificate dates), so this does too.
pub async fn post_all(
    catalog: &DemoCatalog,
    client: &reqwest::Client,
    base_url: &str,
    service_token: &str,
    mut progress: impl FnMut(&LmsRequest, Result<u16, &str>),
) -> Vec<SeedFailure> {
    let mut failures = Vec::new();
    for request in requests(catalog) {
        let encoded = request.encode();
        let sent = client
            .post(format!(
                "{}{}",
                base_url.trim_end_matches('/'),
                request.path()
            ))
            .header("authorization", format!("JWT {service_token}"))
            .header("content-type", encoded.content_type)
            .body(encoded.body)
            .send()
            .await;
        match sent {
            Ok(response) => {
                let status = response.status().as_u16();
                let body = response.text().await.unwrap_or_default();
                progress(&request, Ok(status));
                if status != 201 {
                    failures.push(SeedFailure {
                        description: request.describe(),
                        status: Some(status),
                        body,
                    });
                }
            }
            Err(error) => {
                let message = error.to_string();
                progress(&request, Err(&message));
                failures.push(SeedFailure {
                    description: request.describe(),
                    status: None,
                    body: message,
                });
            }
        }
    }
    failures
}

#[cfg(test)]
mod tests {
    use learner_records::domain::{CourseRunKey, Uuid};

    use super::*;

    #[test]
    fn grades_are_form_encoded_like_the_lms() {
        let grade = requests(&FIXTURES_CATALOG)
            .into_iter()
            .find(|r| matches!(r, LmsRequest::Grade { .. }))
            .unwrap();
        let encoded = grade.encode();
        assert_eq!(encoded.content_type, "application/x-www-form-urlencoded");
        assert!(encoded.body.contains("verified=True"), "{}", encoded.body);
        assert!(
            encoded
                .body
                .contains("course_run=course-v1%3AMITx%2B6.002.1x%2B2T2019"),
            "{}",
            encoded.body
        );
    }

    #[test]
    fn course_credential_sends_explicit_null_date_override() {
        let encoded = LmsRequest::CourseCredential {
            username: "ana_completed",
            course_run_key: FIXTURES_CATALOG.completed_runs[0],
            status: "awarded",
            date_override: None,
        }
        .encode();
        let body: Value = serde_json::from_str(&encoded.body).unwrap();
        assert!(body.as_object().unwrap().contains_key("date_override"));
        assert_eq!(body["date_override"], Value::Null);
    }

    #[test]
    fn certificate_dates_use_python_str_format() {
        let encoded = LmsRequest::CertificateAvailableDate {
            course_id: FIXTURES_CATALOG.completed_runs[0],
            date: Some("2019-09-01 00:00:00+00:00"),
        }
        .encode();
        let body: Value = serde_json::from_str(&encoded.body).unwrap();
        assert_eq!(
            body["certificate_available_date"],
            "2019-09-01 00:00:00+00:00"
        );
        assert_eq!(body["is_active"], true);
    }

    #[test]
    fn program_credential_has_no_status() {
        let encoded = LmsRequest::ProgramCredential {
            username: "ana_completed",
            lms_user_id: 101,
            program_uuid: FIXTURES_CATALOG.completed_program,
        }
        .encode();
        let body: Value = serde_json::from_str(&encoded.body).unwrap();
        assert!(body.get("status").is_none());
        assert_eq!(body["credential"]["type"], "program");
    }

    #[test]
    fn demo_ids_are_valid() {
        for catalog in [FIXTURES_CATALOG, DEMO_CATALOG] {
            for program in catalog.programs() {
                assert!(Uuid::parse(program).is_ok(), "{program}");
            }
            for run in catalog
                .completed_runs
                .iter()
                .chain(catalog.attempt_runs.iter())
                .chain([catalog.standalone_run].iter())
            {
                assert!(CourseRunKey::parse(run).is_ok(), "{run}");
            }
        }
    }

    #[test]
    fn demo_runs_are_in_the_demo_catalog() {
        let data = crate::discovery::DiscoveryData::demo();
        let runs: Vec<&str> = data
            .courses
            .iter()
            .flat_map(|course| course["course_runs"].as_array().into_iter().flatten())
            .filter_map(|run| run["key"].as_str())
            .collect();
        for run in DEMO_CATALOG
            .completed_runs
            .iter()
            .chain(DEMO_CATALOG.attempt_runs.iter())
            .chain([DEMO_CATALOG.standalone_run].iter())
        {
            assert!(runs.contains(run), "{run}");
        }
    }

    #[test]
    fn partway_learner_has_a_revoked_certificate() {
        assert!(requests(&DEMO_CATALOG).into_iter().any(|r| matches!(
            r,
            LmsRequest::CourseCredential {
                username: "ben_partway",
                status: "revoked",
                ..
            }
        )));
    }

    #[test]
    fn partway_learner_has_three_attempts_at_one_course() {
        let attempts = requests(&FIXTURES_CATALOG)
            .into_iter()
            .filter(|r| {
                matches!(r, LmsRequest::Grade { username: "ben_partway", course_run, .. }
                    if course_run.starts_with("course-v1:Delftx+CTB3300WCx+"))
            })
            .count();
        assert_eq!(attempts, 3);
    }

    #[test]
    fn standalone_learner_gets_no_grade() {
        assert!(!requests(&FIXTURES_CATALOG).into_iter().any(|r| matches!(
            r,
            LmsRequest::Grade {
                username: "chloe_standalone",
                ..
            }
        )));
    }
}
