//! Identifier newtypes. Each one is parsed once at the edge. Past that point a value of the type
//! is known to be well formed, so no other module validates it again.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A rejected identifier, naming the kind of identifier and the offending value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("invalid UUID {0:?}: expected 32 hex digits, with or without dashes")]
    Uuid(String),
    #[error("invalid course run key {0:?}: expected course-v1:Org+Course+Run or Org/Course/Run")]
    CourseRunKey(String),
    #[error("invalid username {0:?}: expected 1 to 150 characters without control characters")]
    Username(String),
}

/// A UUID as Open edX services exchange it. It is accepted dashed or as 32 hex digits in either
/// case. `Display` prints the dashed form the Credentials API uses, and [`Uuid::hex`] the
/// lowercase hex form of the records URLs and the MFE.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Uuid(uuid::Uuid);

impl Uuid {
    /// Generates a random (version 4) UUID.
    pub fn new_v4() -> Self {
        Self(uuid::Uuid::new_v4())
    }

    /// Parses a UUID given dashed (`8-4-4-4-12`) or as 32 hex digits. Braces, URNs and other
    /// forms the `uuid` crate tolerates are rejected so that ids round-trip exactly.
    pub fn parse(text: &str) -> Result<Self, IdError> {
        let well_formed = match text.len() {
            32 => text.bytes().all(|b| b.is_ascii_hexdigit()),
            36 => text.bytes().enumerate().all(|(i, b)| match i {
                8 | 13 | 18 | 23 => b == b'-',
                _ => b.is_ascii_hexdigit(),
            }),
            _ => false,
        };
        if !well_formed {
            return Err(IdError::Uuid(text.to_owned()));
        }
        uuid::Uuid::parse_str(text)
            .map(Self)
            .map_err(|_| IdError::Uuid(text.to_owned()))
    }

    /// Parses the form the legacy records URLs route: exactly 32 lowercase hex digits. Anything
    /// else (dashes, upper case) did not route upstream, so it must not resolve here either.
    pub fn parse_url_hex(text: &str) -> Result<Self, IdError> {
        let lowercase_hex = text.len() == 32
            && text
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !lowercase_hex {
            return Err(IdError::Uuid(text.to_owned()));
        }
        Self::parse(text)
    }

    /// Formats the UUID as 32 lowercase hex digits without dashes.
    pub fn hex(&self) -> String {
        self.0.simple().to_string()
    }

    /// Formats the UUID in the dashed lowercase form.
    pub fn dashed(&self) -> String {
        self.0.hyphenated().to_string()
    }
}

impl fmt::Display for Uuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.hyphenated())
    }
}

impl FromStr for Uuid {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for Uuid {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.dashed())
    }
}

impl<'de> Deserialize<'de> for Uuid {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// A course run key in either of the two forms Open edX uses: `course-v1:Org+Course+Run` or the
/// old `Org/Course/Run`. Keys are compared exactly: Discovery serves `DelftX` and `Delftx` as
/// different organisations' keys, so no case folding happens anywhere.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CourseRunKey(String);

impl CourseRunKey {
    pub fn parse(text: &str) -> Result<Self, IdError> {
        let invalid = || IdError::CourseRunKey(text.to_owned());
        let has_bad_char = text
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || c == '#');
        if text.is_empty() || text.len() > 255 || has_bad_char {
            return Err(invalid());
        }

        let parts_ok = |parts: Vec<&str>| parts.len() == 3 && parts.iter().all(|p| !p.is_empty());
        let valid = match text.strip_prefix("course-v1:") {
            Some(rest) => parts_ok(rest.split('+').collect()),
            None => parts_ok(text.split('/').collect()),
        };
        if valid {
            Ok(Self(text.to_owned()))
        } else {
            Err(invalid())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CourseRunKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for CourseRunKey {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for CourseRunKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// An LMS username. The LMS allows up to 150 characters (Django's limit); usernames are matched
/// exactly, as upstream does for record lookups.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Username(String);

impl Username {
    pub fn parse(text: &str) -> Result<Self, IdError> {
        let length = text.chars().count();
        let valid = (1..=150).contains(&length)
            && !text.chars().any(|c| c.is_control() || c == '#')
            && text.trim() == text;
        if valid {
            Ok(Self(text.to_owned()))
        } else {
            Err(IdError::Username(text.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for Username {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Username {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_accepts_dashed_and_hex_forms() {
        let dashed = Uuid::parse("a3f1b2c4-5d6e-4f70-8192-a3b4c5d6e7f8").unwrap();
        let hex = Uuid::parse("a3f1b2c45d6e4f708192a3b4c5d6e7f8").unwrap();
        assert_eq!(dashed, hex);
        assert_eq!(hex.dashed(), "a3f1b2c4-5d6e-4f70-8192-a3b4c5d6e7f8");
        assert_eq!(dashed.hex(), "a3f1b2c45d6e4f708192a3b4c5d6e7f8");
    }

    #[test]
    fn uuid_rejects_malformed_values_naming_them() {
        for bad in [
            "",
            "1234fewef",
            "{a3f1b2c4-5d6e-4f70-8192-a3b4c5d6e7f8}",
            "a3f1b2c4-5d6e4f70-8192-a3b4c5d6e7f8x",
        ] {
            let error = Uuid::parse(bad).unwrap_err();
            assert!(error.to_string().contains(&format!("{bad:?}")), "{error}");
        }
    }

    #[test]
    fn url_hex_rejects_dashes_and_upper_case() {
        assert!(Uuid::parse_url_hex("a3f1b2c45d6e4f708192a3b4c5d6e7f8").is_ok());
        assert!(Uuid::parse_url_hex("A3F1B2C45D6E4F708192A3B4C5D6E7F8").is_err());
        assert!(Uuid::parse_url_hex("a3f1b2c4-5d6e-4f70-8192-a3b4c5d6e7f8").is_err());
    }

    #[test]
    fn course_run_key_accepts_both_forms_exactly() {
        let new = CourseRunKey::parse("course-v1:MITx+6.002.1x+2T2019").unwrap();
        let old = CourseRunKey::parse("DelftX/CTB3300WCx/2T2014").unwrap();
        assert_eq!(new.as_str(), "course-v1:MITx+6.002.1x+2T2019");
        assert_eq!(old.as_str(), "DelftX/CTB3300WCx/2T2014");
        assert_ne!(
            CourseRunKey::parse("course-v1:DelftX+A+B").unwrap(),
            CourseRunKey::parse("course-v1:Delftx+A+B").unwrap()
        );
    }

    #[test]
    fn course_run_key_rejects_empty_and_malformed() {
        for bad in [
            "",
            "fake-run",
            "course-v1:A+B",
            "A/B",
            "course-v1:A++C",
            "A/B/C D",
            "nope",
        ] {
            assert!(CourseRunKey::parse(bad).is_err(), "{bad} was accepted");
        }
    }

    #[test]
    fn username_rejects_empty_long_and_padded() {
        assert!(Username::parse("lrn_ada").is_ok());
        assert!(Username::parse("").is_err());
        assert!(Username::parse(&"a".repeat(151)).is_err());
        assert!(Username::parse(" ada").is_err());
        assert!(Username::parse("a#b").is_err());
    }
}
