//! Demo data for the local stack: three invented learners and the requests the LMS would send
//! for them, posted over HTTP exactly as the LMS posts them. Grades go form-encoded, credentials
//! and certificate dates as JSON, all with the LMS service user's staff token.
//!
//! The course runs and programs come from the course-discovery samples the local Discovery
//! stand-in serves, so the catalog copy must run first. Without it the credential and grade
//! posts fail with 400, because their runs are not in the catalog.

use serde_json::{Value, json};

/// "Circuits and Electronics", an active XSeries of three courses with one run each.
pub const CIRCUITS_PROGRAM: &str = "927093e3-46ba-4f44-a861-0f8c7aec4f74";
/// "Water Management", an active XSeries of one course with ten runs.
pub const WATER_PROGRAM: &str = "0445d855-1d24-480a-87ff-01a9186e237a";

const CIRCUITS_RUNS: [&str; 3] = [
    "course-v1:MITx+6.002.1x+2T2019",
    "course-v1:MITx+6.002.2x+2T2019",
    "course-v1:MITx+6.002.3x+2T2019",
];
const WATER_RUNS: [&str; 3] = [
    "course-v1:Delftx+CTB3300WCx+3T2018",
    "course-v1:Delftx+CTB3300WCx+1T2019",
    "course-v1:Delftx+CTB3300WCx+3T2019",
];
/// A run of a course that belongs to no program in the samples.
const STANDALONE_RUN: &str = "course-v1:MITx+15.071x+1T2019";

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
        story: "completed Circuits and Electronics: three verified certificates and the program certificate",
    },
    DemoLearner {
        username: "ben_partway",
        name: "Ben Lindqvist",
        lms_user_id: 102,
        token_variable: "TOKEN_BEN",
        story: "partway: one Circuits certificate, a failing Circuits grade, and three attempts at the Water Management course",
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
    /// `award_course_certificate`: JSON, `date_override` an object or an explicit null.
    CourseCredential {
        username: &'static str,
        course_run_key: &'static str,
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
                ..
            } => format!("course certificate of {username} in {course_run_key}"),
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
                date_override,
            } => json_body(json!({
                "username": username,
                "status": "awarded",
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

/// Lists every demo request in the order the LMS would send them: certificate dates when the
/// courses were set up, then each learner's grades, course certificates and program
/// certificate. The grade timestamps use both forms the LMS produces (ISO 8601 with `T`, and
/// Python's `str()` with a space).
pub fn requests() -> Vec<LmsRequest> {
    use LmsRequest::*;

    let [ana, ben, chloe] = LEARNERS;
    let mut requests = Vec::new();
    for (course_id, date) in [
        (CIRCUITS_RUNS[0], Some("2019-09-01 00:00:00+00:00")),
        (CIRCUITS_RUNS[1], Some("2019-09-01 00:00:00+00:00")),
        (CIRCUITS_RUNS[2], Some("2019-12-15 00:00:00+00:00")),
        (WATER_RUNS[0], None),
        (WATER_RUNS[1], None),
        (WATER_RUNS[2], None),
        (STANDALONE_RUN, Some("2019-05-01 00:00:00+00:00")),
    ] {
        requests.push(CertificateAvailableDate { course_id, date });
    }

    for (course_run, letter_grade, percent_grade, updated) in [
        (
            CIRCUITS_RUNS[0],
            "A",
            "0.92",
            "2019-08-20T14:03:11.482913+00:00",
        ),
        (
            CIRCUITS_RUNS[1],
            "B",
            "0.88",
            "2019-08-28 09:41:02.117004+00:00",
        ),
        (
            CIRCUITS_RUNS[2],
            "A",
            "0.95",
            "2019-12-02T16:20:45.000301+00:00",
        ),
    ] {
        requests.push(Grade {
            username: ana.username,
            course_run,
            letter_grade,
            percent_grade,
            lms_last_updated_at: updated,
        });
    }
    for (course_run_key, date_override) in [
        (CIRCUITS_RUNS[0], None),
        (CIRCUITS_RUNS[1], None),
        (CIRCUITS_RUNS[2], Some("2019-12-20T00:00:00Z")),
    ] {
        requests.push(CourseCredential {
            username: ana.username,
            course_run_key,
            date_override,
        });
    }
    requests.push(ProgramCredential {
        username: ana.username,
        lms_user_id: ana.lms_user_id,
        program_uuid: CIRCUITS_PROGRAM,
    });

    for (course_run, letter_grade, percent_grade, updated) in [
        (
            CIRCUITS_RUNS[0],
            "B",
            "0.81",
            "2019-08-21T10:00:00.000000+00:00",
        ),
        (
            CIRCUITS_RUNS[1],
            "",
            "0.45",
            "2019-08-29 18:12:40.550120+00:00",
        ),
        (
            WATER_RUNS[0],
            "",
            "0.38",
            "2018-12-10T08:30:00.000000+00:00",
        ),
        (
            WATER_RUNS[1],
            "",
            "0.52",
            "2019-04-22 11:05:19.734002+00:00",
        ),
        (
            WATER_RUNS[2],
            "",
            "0.58",
            "2019-12-18T13:45:51.020000+00:00",
        ),
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
        course_run_key: CIRCUITS_RUNS[0],
        date_override: None,
    });

    // The LMS sends grades only for runs that belong to a program, so this learner gets a
    // certificate and no grade.
    requests.push(CourseCredential {
        username: chloe.username,
        course_run_key: STANDALONE_RUN,
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
    client: &reqwest::Client,
    base_url: &str,
    service_token: &str,
    mut progress: impl FnMut(&LmsRequest, Result<u16, &str>),
) -> Vec<SeedFailure> {
    let mut failures = Vec::new();
    for request in requests() {
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
        let grade = requests()
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
            course_run_key: CIRCUITS_RUNS[0],
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
            course_id: CIRCUITS_RUNS[0],
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
            program_uuid: CIRCUITS_PROGRAM,
        }
        .encode();
        let body: Value = serde_json::from_str(&encoded.body).unwrap();
        assert!(body.get("status").is_none());
        assert_eq!(body["credential"]["type"], "program");
    }

    #[test]
    fn demo_ids_are_valid() {
        for program in [CIRCUITS_PROGRAM, WATER_PROGRAM] {
            assert!(Uuid::parse(program).is_ok(), "{program}");
        }
        for run in CIRCUITS_RUNS
            .iter()
            .chain(WATER_RUNS.iter())
            .chain([STANDALONE_RUN].iter())
        {
            assert!(CourseRunKey::parse(run).is_ok(), "{run}");
        }
    }

    #[test]
    fn partway_learner_has_three_attempts_at_one_course() {
        let attempts = requests()
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
        assert!(!requests().into_iter().any(|r| matches!(
            r,
            LmsRequest::Grade {
                username: "chloe_standalone",
                ..
            }
        )));
    }
}
