//! One learner's data: the grades and course and program credentials the LMS sent, and the
//! public links and credit-pathway sends the learner made here. All of it lives in the learner's
//! own partition, so one query loads it.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::catalog::StatusError;
use super::ids::{CourseRunKey, Username, Uuid};

/// A grade as a fixed-point decimal with four places, stored as ten-thousandths, so 0.85 is
/// `Percent(8500)`. Upstream's column is a decimal of at most five digits with four places,
/// so the absolute value stays below 10.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Percent(i32);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid percent grade {0:?}: expected a decimal number below 10 with at most 4 decimal places"
)]
pub struct PercentError(pub String);

impl Percent {
    pub const SCALE: i32 = 10_000;

    pub fn from_ten_thousandths(value: i32) -> Result<Self, PercentError> {
        if value.abs() >= 10 * Self::SCALE {
            return Err(PercentError(value.to_string()));
        }
        Ok(Self(value))
    }

    pub fn ten_thousandths(self) -> i32 {
        self.0
    }

    /// Parses decimal text such as `0.85`, `1`, `.5` or `-0.1`. Exponents, more than four
    /// decimal places, and values of 10 or more are rejected, as upstream's decimal field does.
    pub fn parse(text: &str) -> Result<Self, PercentError> {
        let invalid = || PercentError(text.to_owned());
        let trimmed = text.trim();
        let (negative, digits) = match trimmed.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, trimmed.strip_prefix('+').unwrap_or(trimmed)),
        };
        let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if (whole.is_empty() && fraction.is_empty()) || !all_digits(whole) || !all_digits(fraction)
        {
            return Err(invalid());
        }
        if fraction.len() > 4 {
            return Err(invalid());
        }

        let whole = whole.trim_start_matches('0');
        if whole.len() > 1 {
            return Err(invalid());
        }
        let whole_value: i32 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| invalid())?
        };
        let fraction_value = fraction
            .bytes()
            .chain(std::iter::repeat(b'0'))
            .take(4)
            .fold(0_i32, |value, digit| value * 10 + i32::from(digit - b'0'));
        let magnitude = whole_value * Self::SCALE + fraction_value;
        Self::from_ten_thousandths(if negative { -magnitude } else { magnitude })
    }

    /// Returns the value as a JSON number for the records API (`0.85`, `1.0`), where upstream converts
    /// the decimal to a float. The conversion is exact enough for four decimal places.
    pub fn as_f64(self) -> f64 {
        f64::from(self.0) / f64::from(Self::SCALE)
    }

    /// Formats the value as Python's `str(float)` prints it, which the CSV export uses: `1.0`, `0.85`.
    pub fn python_float_text(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let magnitude = self.0.unsigned_abs();
        let whole = magnitude / 10_000;
        let fraction = format!("{:04}", magnitude % 10_000);
        let fraction = fraction.trim_end_matches('0');
        let fraction = if fraction.is_empty() { "0" } else { fraction };
        format!("{sign}{whole}.{fraction}")
    }
}

impl fmt::Display for Percent {
    /// Four decimal places, as the grades API represents the value (`"0.9000"`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let magnitude = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:04}", magnitude / 10_000, magnitude % 10_000)
    }
}

impl Serialize for Percent {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Percent {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// A learner's grade in one course run, as the LMS last posted it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserGrade {
    /// A numeric id for the grades API's `/grades/{id}/` routes.
    pub id: u64,
    pub username: Username,
    pub course_run: CourseRunKey,
    /// The letter grade; empty when the LMS sent none.
    pub letter_grade: String,
    pub percent_grade: Percent,
    pub verified: bool,
    pub lms_last_updated_at: Option<DateTime<Utc>>,
    pub created: DateTime<Utc>,
    pub modified: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CredentialStatus {
    Awarded,
    Revoked,
}

impl CredentialStatus {
    pub fn parse(text: &str) -> Result<Self, StatusError> {
        match text {
            "awarded" => Ok(Self::Awarded),
            "revoked" => Ok(Self::Revoked),
            _ => Err(StatusError::Credential(text.to_owned())),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Awarded => "awarded",
            Self::Revoked => "revoked",
        }
    }
}

/// The certificate mode of a course certificate configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CertificateType {
    #[serde(rename = "honor")]
    Honor,
    #[serde(rename = "verified")]
    Verified,
    #[serde(rename = "professional")]
    Professional,
    #[serde(rename = "no-id-professional")]
    NoIdProfessional,
    #[serde(rename = "masters")]
    Masters,
}

impl CertificateType {
    pub fn parse(text: &str) -> Result<Self, StatusError> {
        match text {
            "honor" => Ok(Self::Honor),
            "verified" => Ok(Self::Verified),
            "professional" => Ok(Self::Professional),
            "no-id-professional" => Ok(Self::NoIdProfessional),
            "masters" => Ok(Self::Masters),
            _ => Err(StatusError::CertificateType(text.to_owned())),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Honor => "honor",
            Self::Verified => "verified",
            Self::Professional => "professional",
            Self::NoIdProfessional => "no-id-professional",
            Self::Masters => "masters",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialAttribute {
    pub name: String,
    pub value: String,
}

/// The subject a credential certifies: a course run in a certificate mode, or a program.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum CredentialSubject {
    #[serde(rename = "course-run")]
    CourseRun {
        course_run_key: CourseRunKey,
        mode: CertificateType,
    },
    #[serde(rename = "program")]
    Program { program_uuid: Uuid },
}

/// A course or program credential (a certificate) of one learner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserCredential {
    pub uuid: Uuid,
    pub username: Username,
    pub subject: CredentialSubject,
    pub status: CredentialStatus,
    #[serde(default)]
    pub attributes: Vec<CredentialAttribute>,
    /// A date shown instead of the issue date; course credentials only.
    #[serde(default)]
    pub date_override: Option<DateTime<Utc>>,
    pub created: DateTime<Utc>,
    pub modified: DateTime<Utc>,
}

impl UserCredential {
    pub fn course_run_key(&self) -> Option<&CourseRunKey> {
        match &self.subject {
            CredentialSubject::CourseRun { course_run_key, .. } => Some(course_run_key),
            CredentialSubject::Program { .. } => None,
        }
    }

    pub fn program_uuid(&self) -> Option<&Uuid> {
        match &self.subject {
            CredentialSubject::Program { program_uuid } => Some(program_uuid),
            CredentialSubject::CourseRun { .. } => None,
        }
    }
}

/// A public link to one learner's record of one program (upstream's `ProgramCertRecord`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicLink {
    pub uuid: Uuid,
    pub username: Username,
    pub program_uuid: Uuid,
    pub created: DateTime<Utc>,
    /// When the link stops working; `None` keeps it open until revoked.
    #[serde(default)]
    pub expires: Option<DateTime<Utc>>,
}

impl PublicLink {
    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        self.expires.is_none_or(|expires| now < expires)
    }
}

/// The status of a learner's record at a credit pathway.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CreditPathwayStatus {
    #[serde(rename = "sent")]
    Sent,
    /// Upstream's "other" status, stored as an empty string.
    #[serde(rename = "")]
    Other,
}

impl CreditPathwayStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sent => "sent",
            Self::Other => "",
        }
    }
}

/// One learner's record sent to one credit pathway for one program (upstream's
/// `UserCreditPathway`). `program_uuid` is `None` only for rows from before sends were tracked
/// per program.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditPathwaySend {
    pub username: Username,
    pub pathway_id: u64,
    pub program_uuid: Option<Uuid>,
    pub status: CreditPathwayStatus,
    pub created: DateTime<Utc>,
    pub modified: DateTime<Utc>,
}

/// A learner's identity as kept from JWT claims and LMS events.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LearnerProfile {
    pub username: Option<Username>,
    #[serde(default)]
    pub full_name: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub lms_user_id: Option<u64>,
}

impl LearnerProfile {
    /// Returns the name to show for the learner: the full name, else the username.
    pub fn display_name<'a>(&'a self, username: &'a Username) -> &'a str {
        if self.full_name.trim().is_empty() {
            username.as_str()
        } else {
            &self.full_name
        }
    }
}

/// Everything stored in one learner's partition.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LearnerData {
    /// `None` when the partition contains no profile item.
    pub profile: Option<LearnerProfile>,
    pub grades: Vec<UserGrade>,
    pub credentials: Vec<UserCredential>,
    pub links: Vec<PublicLink>,
    pub sends: Vec<CreditPathwaySend>,
}

impl LearnerData {
    /// Returns whether anything is stored for this learner. An empty partition is an unknown
    /// learner.
    pub fn exists(&self) -> bool {
        self.profile.is_some()
            || !self.grades.is_empty()
            || !self.credentials.is_empty()
            || !self.links.is_empty()
            || !self.sends.is_empty()
    }

    pub fn link_for_program(&self, program: &Uuid) -> Option<&PublicLink> {
        self.links.iter().find(|link| &link.program_uuid == program)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_parses_lms_text() {
        assert_eq!(Percent::parse("0.85").unwrap().ten_thousandths(), 8500);
        assert_eq!(Percent::parse("1").unwrap().ten_thousandths(), 10_000);
        assert_eq!(Percent::parse("1.0").unwrap().ten_thousandths(), 10_000);
        assert_eq!(Percent::parse(".5").unwrap().ten_thousandths(), 5000);
        assert_eq!(Percent::parse("0.1234").unwrap().ten_thousandths(), 1234);
    }

    #[test]
    fn percent_rejects_five_places_and_ten() {
        for bad in ["0.12345", "10", "10.0", "abc", "", "1e-2", "0.5.1", "."] {
            assert!(Percent::parse(bad).is_err(), "{bad} was accepted");
        }
    }

    #[test]
    fn percent_prints_four_places_and_python_floats() {
        let grade = Percent::parse("0.9").unwrap();
        assert_eq!(grade.to_string(), "0.9000");
        assert_eq!(grade.python_float_text(), "0.9");
        assert_eq!(Percent::parse("1").unwrap().python_float_text(), "1.0");
        assert_eq!(Percent::parse("0.85").unwrap().as_f64(), 0.85);
    }

    #[test]
    fn display_name_falls_back_to_username() {
        let username = Username::parse("lrn_ada").unwrap();
        let mut profile = LearnerProfile::default();
        assert_eq!(profile.display_name(&username), "lrn_ada");
        profile.full_name = "Zoë Ñandú-Test".into();
        assert_eq!(profile.display_name(&username), "Zoë Ñandú-Test");
    }
}
