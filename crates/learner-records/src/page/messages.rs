//! The text of the public record page, by message id and language, and the choice of language
//! from the `Accept-Language` header.
//!
//! Each language is one function that maps every [`Message`] to its text. The `match` in it is
//! exhaustive, so the compiler rejects a language that lacks a message. Adding a language means
//! writing one such function and listing it in [`LANGUAGES`]. English comes first in that list
//! and is the fallback.
//!
//! Texts may hold `{name}` placeholders, which [`Language::format`] fills. The result is plain
//! text: the page escapes it when it writes it into HTML.

/// Every piece of text the page shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Message {
    /// The document title. Placeholders: `{program}`, `{learner}`.
    DocumentTitle,
    /// The heading above the learner and program details.
    SummaryHeading,
    LearnerLabel,
    UsernameLabel,
    EmailLabel,
    ProgramLabel,
    ProgramTypeLabel,
    SchoolLabel,
    PlatformLabel,
    ProgramStatusLabel,
    ProgramCompleted,
    ProgramPartiallyCompleted,
    ProgramNotStarted,
    LastUpdatedLabel,
    /// A calendar date with its time zone. Placeholder: `{date}`.
    DateInUtc,
    DownloadRecord,
    CoursesHeading,
    /// The caption of the course table. Placeholder: `{program}`.
    CoursesCaption,
    CourseColumn,
    SchoolColumn,
    StatusColumn,
    GradeColumn,
    LetterGradeColumn,
    AttemptsColumn,
    DateEarnedColumn,
    CourseEarned,
    CourseNotEarned,
    NoCourses,
    /// A grade as a percentage. Placeholder: `{percent}`, a whole number.
    Percentage,
    /// The footer line that dates a printed copy. Placeholder: `{date}`.
    RecordAsOf,
    NotFoundTitle,
    NotFoundText,
}

/// One language of the page: its BCP 47 tag and its texts.
#[derive(Debug, Clone, Copy)]
pub struct Language {
    /// The tag for `<html lang>` and `Content-Language`, lower case.
    pub tag: &'static str,
    texts: fn(Message) -> &'static str,
}

impl Language {
    /// Returns the text of a message with its placeholders unfilled.
    pub fn text(&self, message: Message) -> &'static str {
        (self.texts)(message)
    }

    /// Formats a message, replacing its `{name}` placeholders by the given values. The text is
    /// scanned once, so a value that itself contains `{name}` stays as it is. A
    /// placeholder without a value is left in place.
    pub fn format(&self, message: Message, values: &[(&str, &str)]) -> String {
        fill(self.text(message), values)
    }
}

/// The languages the page is written in. The first one is the fallback.
pub const LANGUAGES: &[Language] = &[ENGLISH];

pub const ENGLISH: Language = Language {
    tag: "en",
    texts: english,
};

fn english(message: Message) -> &'static str {
    match message {
        Message::DocumentTitle => "{program}: program record of {learner}",
        Message::SummaryHeading => "Record summary",
        Message::LearnerLabel => "Learner",
        Message::UsernameLabel => "Username",
        Message::EmailLabel => "Email",
        Message::ProgramLabel => "Program",
        Message::ProgramTypeLabel => "Program type",
        Message::SchoolLabel => "School",
        Message::PlatformLabel => "Platform",
        Message::ProgramStatusLabel => "Program status",
        Message::ProgramCompleted => "Completed",
        Message::ProgramPartiallyCompleted => "Partially completed",
        Message::ProgramNotStarted => "Not started",
        Message::LastUpdatedLabel => "Last updated",
        Message::DateInUtc => "{date} (UTC)",
        Message::DownloadRecord => "Download program record",
        Message::CoursesHeading => "Courses",
        Message::CoursesCaption => "Courses of {program}, with the highest grade earned in each",
        Message::CourseColumn => "Course",
        Message::SchoolColumn => "School",
        Message::StatusColumn => "Status",
        Message::GradeColumn => "Highest grade",
        Message::LetterGradeColumn => "Letter grade",
        Message::AttemptsColumn => "Attempts",
        Message::DateEarnedColumn => "Date earned (UTC)",
        Message::CourseEarned => "Earned",
        Message::CourseNotEarned => "Not earned",
        Message::NoCourses => "This program has no courses.",
        Message::Percentage => "{percent}%",
        Message::RecordAsOf => "Record as of {date} (UTC).",
        Message::NotFoundTitle => "Program record not found",
        Message::NotFoundText => {
            "There is no program record at this address. The link may be mistyped, it may have \
             expired, or the learner may have turned it off."
        }
    }
}

/// Picks the page language from an `Accept-Language` header, falling back to the first of
/// [`LANGUAGES`] when the header is missing or names none of them.
pub fn negotiate(accept_language: Option<&str>) -> &'static Language {
    let tags: Vec<&str> = LANGUAGES.iter().map(|language| language.tag).collect();
    let index = accept_language
        .and_then(|header| best_match(header, &tags))
        .unwrap_or(0);
    &LANGUAGES[index]
}

/// Finds the index in `available` of the best language for an `Accept-Language` header (RFC 9110
/// §12.5.4): the highest quality wins, and on equal quality the range listed first. A range
/// matches a tag equal to it or to its primary subtag, so `en-GB` matches `en` and `en` matches
/// `en-us`. `*` matches the first available language. Ranges with quality 0 are ignored.
pub fn best_match(header: &str, available: &[&str]) -> Option<usize> {
    let mut ranges: Vec<(u16, usize, String)> = header
        .split(',')
        .enumerate()
        .filter_map(|(position, entry)| {
            let mut parts = entry.split(';');
            let range = parts.next()?.trim().to_ascii_lowercase();
            if range.is_empty() {
                return None;
            }
            let quality = parts
                .filter_map(|parameter| parameter.trim().strip_prefix("q="))
                .next()
                .map_or(Some(1000), parse_quality)?;
            (quality > 0).then_some((quality, position, range))
        })
        .collect();
    ranges.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));

    ranges.iter().find_map(|(_, _, range)| {
        if range == "*" {
            return (!available.is_empty()).then_some(0);
        }
        let primary = primary_subtag(range);
        available
            .iter()
            .position(|tag| tag.eq_ignore_ascii_case(range))
            .or_else(|| {
                available
                    .iter()
                    .position(|tag| primary_subtag(tag).eq_ignore_ascii_case(primary))
            })
    })
}

fn primary_subtag(tag: &str) -> &str {
    tag.split(['-', '_']).next().unwrap_or(tag)
}

/// Parses a quality value (`0`, `0.5`, `1.000`) into thousandths, or `None` when malformed.
fn parse_quality(text: &str) -> Option<u16> {
    let text = text.trim();
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let fraction_value = fraction
        .bytes()
        .chain(std::iter::repeat(b'0'))
        .take(3)
        .fold(0_u16, |value, digit| value * 10 + u16::from(digit - b'0'));
    match whole {
        "0" => Some(fraction_value),
        "1" if fraction_value == 0 => Some(1000),
        _ => None,
    }
}

/// Replaces `{name}` placeholders in one pass over `template`.
fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let value = after.find('}').and_then(|end| {
            let name = &after[..end];
            values
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (*value, end))
        });
        match value {
            Some((value, end)) => {
                out.push_str(value);
                rest = &after[end + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_header_falls_back_to_english() {
        assert_eq!(negotiate(None).tag, "en");
    }

    #[test]
    fn unknown_languages_fall_back_to_english() {
        assert_eq!(negotiate(Some("de-DE, fr;q=0.8")).tag, "en");
        assert_eq!(negotiate(Some("garbage;;q=x,")).tag, "en");
    }

    #[test]
    fn regional_english_picks_english() {
        assert_eq!(negotiate(Some("en-GB,en;q=0.9")).tag, "en");
    }

    #[test]
    fn highest_quality_wins() {
        let available = ["en", "fr", "es-419"];
        assert_eq!(best_match("en;q=0.5, fr", &available), Some(1));
        assert_eq!(best_match("es;q=0.9, en;q=0.8", &available), Some(2));
    }

    #[test]
    fn equal_quality_keeps_header_order() {
        assert_eq!(best_match("fr, en", &["en", "fr"]), Some(1));
        assert_eq!(best_match("en, fr", &["en", "fr"]), Some(0));
    }

    #[test]
    fn quality_zero_excludes_a_language() {
        assert_eq!(best_match("fr;q=0, en;q=0.1", &["en", "fr"]), Some(0));
        assert_eq!(best_match("fr;q=0", &["fr"]), None);
    }

    #[test]
    fn wildcard_picks_the_first_language() {
        assert_eq!(best_match("de, *;q=0.1", &["en", "fr"]), Some(0));
    }

    #[test]
    fn exact_tag_beats_primary_subtag() {
        assert_eq!(best_match("pt-BR", &["pt-pt", "pt-br"]), Some(1));
    }

    #[test]
    fn malformed_quality_skips_the_range() {
        assert_eq!(best_match("fr;q=2, en;q=0.5", &["en", "fr"]), Some(0));
        assert_eq!(best_match("fr;q=0.5555", &["fr"]), None);
    }

    #[test]
    fn format_fills_placeholders_once() {
        let text = ENGLISH.format(
            Message::DocumentTitle,
            &[("program", "{learner}"), ("learner", "Ada")],
        );
        assert_eq!(text, "{learner}: program record of Ada");
    }

    #[test]
    fn format_keeps_unknown_placeholders_and_stray_braces() {
        assert_eq!(fill("a {x} b {", &[]), "a {x} b {");
        assert_eq!(fill("{x}{y}", &[("x", "1"), ("y", "2")]), "12");
    }
}
