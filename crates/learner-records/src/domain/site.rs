//! Site-wide settings: the site configuration an operator edits, and the certificate
//! configurations the LMS keeps in sync. One deployment serves one site.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::ids::{CourseRunKey, Uuid};
use super::learner::CertificateType;

/// The operator's settings for the site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SiteConfiguration {
    /// The platform's name, shown on records, in the CSV and in partner emails.
    pub platform_name: String,
    /// Whether learners may use records. When off, logged-in requests to the records routes get
    /// 404; anonymous public links keep working (see the README for why).
    pub records_enabled: bool,
    pub records_help_url: String,
    /// The From address of partner emails; empty means `no-reply@<site domain>`.
    pub partner_from_address: String,
    pub lms_url_root: String,
    pub catalog_api_url: String,
    /// Base URL of the Learner Record MFE. Empty means this service serves its own public page.
    pub learner_record_mfe_url: String,
    /// Whether anonymous viewers of a public record see the learner's email.
    pub show_email_publicly: bool,
    /// Days a new public link stays open; `None` keeps links open until revoked.
    pub public_link_expiry_days: Option<u32>,
}

impl Default for SiteConfiguration {
    fn default() -> Self {
        Self {
            platform_name: String::new(),
            records_enabled: true,
            records_help_url: String::new(),
            partner_from_address: String::new(),
            lms_url_root: String::new(),
            catalog_api_url: String::new(),
            learner_record_mfe_url: String::new(),
            show_email_publicly: false,
            public_link_expiry_days: None,
        }
    }
}

/// The configuration of certificates for one course run in one mode.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CourseCertificate {
    pub course_id: CourseRunKey,
    pub certificate_type: CertificateType,
    /// Credentials of this configuration stay hidden until this date.
    pub certificate_available_date: Option<DateTime<Utc>>,
    pub is_active: bool,
    pub created: DateTime<Utc>,
    pub modified: DateTime<Utc>,
}

impl CourseCertificate {
    /// Whether credentials of this configuration may be shown at `now`.
    pub fn is_visible(&self, now: DateTime<Utc>) -> bool {
        self.certificate_available_date
            .is_none_or(|date| date <= now)
    }
}

/// The configuration of certificates for one program.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProgramCertificate {
    pub program_uuid: Uuid,
    pub is_active: bool,
    #[serde(default)]
    pub language: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
}

/// Site configuration and certificate configurations, loaded together and cached by version.
#[derive(Debug, Clone, Default)]
pub struct SiteSettings {
    pub version: u64,
    pub configuration: SiteConfiguration,
    pub course_certificates: Vec<CourseCertificate>,
    pub program_certificates: Vec<ProgramCertificate>,
}

impl SiteSettings {
    pub fn course_certificate(
        &self,
        course_id: &CourseRunKey,
        certificate_type: CertificateType,
    ) -> Option<&CourseCertificate> {
        self.course_certificates
            .iter()
            .find(|c| &c.course_id == course_id && c.certificate_type == certificate_type)
    }

    pub fn program_certificate(&self, program_uuid: &Uuid) -> Option<&ProgramCertificate> {
        self.program_certificates
            .iter()
            .find(|c| &c.program_uuid == program_uuid)
    }
}
