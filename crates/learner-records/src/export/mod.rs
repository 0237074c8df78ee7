//! The CSV export of a program record: its bytes, its download file name and the object key it
//! is stored under. Reading and writing S3 happens in [`bucket`].
//!
//! The layout follows the Credentials service's export so partners' tooling keeps working:
//! seven metadata rows (label, value), one row with a single empty cell, the header
//! `name,school,attempts,course_id,issue_date,percent_grade,letter_grade`, then one row per
//! course. Every field is quoted, lines end in CRLF, and the text is UTF-8 without a byte order
//! mark. Numbers look as Python prints them (`1.0`, `0.85`, `2`), dates are `isoformat()`
//! strings, and blanks are empty strings. A program without courses gives the metadata rows and
//! the header, where upstream failed.

pub mod bucket;

use std::borrow::Cow;

use aws_lc_rs::digest::{SHA256, digest};

use crate::domain::Uuid;
use crate::domain::record::{ProgramRecord, isoformat};

/// The media type of the export. Upstream sends no charset parameter either.
pub const CONTENT_TYPE: &str = "text/csv";

/// The header of the course rows, in the order of the record's grade fields.
pub const COURSE_HEADER: [&str; 7] = [
    "name",
    "school",
    "attempts",
    "course_id",
    "issue_date",
    "percent_grade",
    "letter_grade",
];

/// Writes a record as CSV. `record.learner.email` is `None` for viewers who may not see it,
/// and the `Email` row then has an empty value.
pub fn record_csv(record: &ProgramRecord) -> Result<Vec<u8>, csv::Error> {
    let mut writer = csv::WriterBuilder::new()
        .quote_style(csv::QuoteStyle::Always)
        .terminator(csv::Terminator::CRLF)
        // The metadata rows have two fields, the separator row one, the course rows seven.
        .flexible(true)
        .from_writer(Vec::new());

    let learner = &record.learner;
    let metadata = [
        ("Program Name", record.program.name.as_str()),
        ("Program Type", record.program.type_name.as_str()),
        ("Platform Provider", record.platform_name.as_str()),
        ("Authoring Organization(s)", record.program.school.as_str()),
        ("Learner Name", learner.full_name.as_str()),
        ("Username", learner.username.as_str()),
        ("Email", learner.email.as_deref().unwrap_or_default()),
    ];
    for (label, value) in metadata {
        writer.write_record([label, &neutralise(value)])?;
    }
    writer.write_record([""])?;

    writer.write_record(COURSE_HEADER)?;
    for row in &record.grades {
        let attempts = row.attempts.map(|n| n.to_string()).unwrap_or_default();
        let issue_date = row.issue_date.as_ref().map(isoformat).unwrap_or_default();
        let percent = row
            .percent_grade
            .map(|percent| percent.python_float_text())
            .unwrap_or_default();
        // Numbers and dates are formatted here from typed values, so only the text fields can
        // carry a formula. Neutralising a negative grade would only corrupt it.
        writer.write_record([
            neutralise(&row.name).as_ref(),
            &neutralise(&row.school),
            &attempts,
            &neutralise(&row.course_id),
            &issue_date,
            &percent,
            &neutralise(&row.letter_grade),
        ])?;
    }

    writer
        .into_inner()
        .map_err(|error| csv::Error::from(error.into_error()))
}

/// Defuses a text cell that a spreadsheet would evaluate as a formula (CSV injection): a
/// leading `=`, `+`, `-`, `@`, tab or carriage return gets a `'` in front, which spreadsheets
/// treat as "this is text". Titles and names come from Discovery and the LMS unchecked, and
/// the file is opened by partners who never chose to trust them.
pub fn neutralise(cell: &str) -> Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => Cow::Owned(format!("'{cell}")),
        _ => Cow::Borrowed(cell),
    }
}

/// The download file name of an export, in the two forms `Content-Disposition` carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownloadName {
    /// The `filename` parameter: printable ASCII without quotes, backslashes or `%`.
    pub ascii: String,
    /// The `filename*` parameter before percent-encoding: the name with its non-ASCII letters.
    pub unicode: String,
}

impl DownloadName {
    /// Upstream's name, `<username>_<program title>_grades.csv` lower-cased with spaces as `_`.
    /// Path separators and control characters also become `_`. The ASCII form also replaces
    /// every character that a quoted `filename` cannot carry safely.
    pub fn new(username: &str, program_title: &str) -> Self {
        let name = format!("{username}_{program_title}_grades.csv").to_lowercase();
        let unicode: String = name
            .chars()
            .map(|c| {
                if c.is_whitespace() || c.is_control() || c == '/' || c == '\\' {
                    '_'
                } else {
                    c
                }
            })
            .collect();
        // `%` is replaced because some browsers percent-decode the plain `filename`.
        let ascii = unicode
            .chars()
            .map(|c| {
                if c.is_ascii_graphic() && c != '"' && c != '%' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        Self { ascii, unicode }
    }

    /// Builds the `Content-Disposition` value (RFC 6266): an attachment with the ASCII name, and
    /// the full name in UTF-8 (RFC 8187) for browsers that read `filename*`.
    pub fn content_disposition(&self) -> String {
        format!(
            "attachment; filename=\"{}\"; filename*=UTF-8''{}",
            self.ascii,
            percent_encode_attr(&self.unicode)
        )
    }
}

/// Percent-encodes every byte outside RFC 8187's `attr-char` set.
fn percent_encode_attr(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        let keep = byte.is_ascii_alphanumeric()
            || matches!(
                byte,
                b'!' | b'#' | b'$' | b'&' | b'+' | b'-' | b'.' | b'^' | b'_' | b'`' | b'|' | b'~'
            );
        if keep {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Builds the object key of an export: `exports/<link hex>/<SHA-256 of the bytes>.csv`. An
/// unchanged record gives the same key, so its object is reused. A changed record, or another
/// viewer's version with or without the email, gets its own object.
pub fn object_key(link: &Uuid, bytes: &[u8]) -> String {
    let hash: String = digest(&SHA256, bytes)
        .as_ref()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    format!("exports/{}/{hash}.csv", link.hex())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_neutralised() {
        for cell in ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(neutralise(cell), format!("'{cell}"), "{cell:?}");
        }
    }

    #[test]
    fn ordinary_cells_are_kept() {
        for cell in ["", "Circuits", "1=1", " =x", "'quoted"] {
            assert_eq!(neutralise(cell), cell, "{cell:?}");
        }
    }

    #[test]
    fn download_name_follows_upstream() {
        let name = DownloadName::new("test-user", "Test Program abcd");
        assert_eq!(name.ascii, "test-user_test_program_abcd_grades.csv");
        assert_eq!(
            name.content_disposition(),
            "attachment; filename=\"test-user_test_program_abcd_grades.csv\"; \
             filename*=UTF-8''test-user_test_program_abcd_grades.csv"
        );
    }

    #[test]
    fn download_name_replaces_non_ascii_in_fallback() {
        let name = DownloadName::new("lrn_zoe", "Électronique Ñ 1");
        assert_eq!(name.ascii, "lrn_zoe__lectronique___1_grades.csv");
        assert_eq!(name.unicode, "lrn_zoe_électronique_ñ_1_grades.csv");
        assert!(
            name.content_disposition()
                .ends_with("filename*=UTF-8''lrn_zoe_%C3%A9lectronique_%C3%B1_1_grades.csv")
        );
    }

    #[test]
    fn download_name_cannot_break_the_header() {
        let name = DownloadName::new("a\"b", "x/y\\z;%\r\n");
        assert_eq!(name.ascii, "a_b_x_y_z;____grades.csv");
        assert!(!name.content_disposition().contains(['\r', '\n']));
        assert!(
            name.content_disposition()
                .contains("filename*=UTF-8''a%22b_x_y_z%3B%25__")
        );
    }

    #[test]
    fn object_key_hashes_the_content() {
        let link = Uuid::parse("a3f1b2c45d6e4f708192a3b4c5d6e7f8").unwrap();
        assert_eq!(
            object_key(&link, b"abc"),
            "exports/a3f1b2c45d6e4f708192a3b4c5d6e7f8/\
             ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad.csv"
        );
    }
}
