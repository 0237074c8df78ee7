//! This service's own HTML page of a public program record, for sites that do not send
//! visitors to the Learner Record MFE, and the page shown for a link that does not resolve.
//!
//! The page is rendered on the server and works without JavaScript. It has landmarks, a
//! language attribute, a table with a caption and header cells, statuses written as text, and
//! a print stylesheet. Dates are calendar dates in UTC with the zone stated, because a
//! visitor's time zone could otherwise move a date by one day. The only style sheet is inline, and the
//! Content-Security-Policy allows exactly that style sheet (by hash) and nothing else, so
//! neither scripts nor outside resources can load even if escaping were ever missed.
//! `noindex` keeps search engines from listing a learner's record.

pub mod html;
pub mod messages;

use std::sync::LazyLock;

use aws_lc_rs::digest::{SHA256, digest};
use base64::Engine;
use chrono::{DateTime, Utc};

use crate::domain::Percent;
use crate::domain::record::{GradeRow, ProgramRecord};
use html::escape;
use messages::{Language, Message};

/// A rendered page and the headers that belong to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub html: String,
    /// The page language, for `Content-Language`.
    pub language: &'static str,
    pub content_security_policy: &'static str,
}

const STYLE: &str = r#"
body{margin:0;font:1rem/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",Arial,sans-serif;color:#1b1f24;background:#fff}
.wrap{max-width:72rem;margin:0 auto;padding:0 1rem}
header{background:#f4f6f8;border-bottom:1px solid #d0d7de;padding:1.25rem 0}
.platform{margin:0;color:#4a5560}
h1{margin:.25rem 0 0;font-size:1.75rem;line-height:1.25;overflow-wrap:anywhere}
h2{font-size:1.25rem;margin:1.75rem 0 .75rem}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.35rem 1.5rem;margin:0}
dt{font-weight:600}
dd{margin:0;overflow-wrap:anywhere}
.status{display:inline-block;padding:0 .5rem;border:1px solid;border-radius:.25rem;font-weight:600}
.status-done{color:#0f5323;background:#e6f4ea}
.status-open{color:#6b4500;background:#fff4e0}
.download{display:inline-block;margin-top:1.25rem;padding:.5rem 1rem;border-radius:.25rem;background:#0a5cad;color:#fff;font-weight:600;text-decoration:none}
.download:hover,.download:focus-visible{background:#084a8c;outline:3px solid #f5b800;outline-offset:2px}
.table-scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:.95rem}
caption{caption-side:top;text-align:left;font-weight:600;padding:.5rem 0}
th,td{text-align:left;vertical-align:top;padding:.5rem .75rem;border-bottom:1px solid #d0d7de}
thead th{background:#f4f6f8;border-bottom:2px solid #8c959f}
tbody th{font-weight:600}
.number{text-align:right;font-variant-numeric:tabular-nums}
.nowrap{white-space:nowrap}
.course-id{display:block;color:#4a5560;font-size:.85rem;font-weight:400;overflow-wrap:anywhere}
footer{margin-top:2rem;padding-bottom:2rem;color:#4a5560;font-size:.9rem}
@media print{
@page{margin:1.5cm}
body{font-size:10pt;color:#000}
header{background:none;border-bottom:2px solid #000;padding:0 0 .5rem}
.platform,.course-id,footer{color:#000}
.download{display:none}
.table-scroll{overflow:visible}
thead{display:table-header-group}
tr{break-inside:avoid}
thead th{background:none}
.status{padding:0;border:none;background:none;color:#000}
}
"#;

/// The policy for both pages: nothing may load or run except the inline style sheet.
static CONTENT_SECURITY_POLICY: LazyLock<String> = LazyLock::new(|| {
    let hash = base64::engine::general_purpose::STANDARD.encode(digest(&SHA256, STYLE.as_bytes()));
    format!(
        "default-src 'none'; style-src 'sha256-{hash}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )
});

/// Renders the public page of a program record. `csv_url` is the record's download link and
/// `now` dates printed copies.
pub fn record_page(
    record: &ProgramRecord,
    language: &Language,
    csv_url: &str,
    now: DateTime<Utc>,
) -> Page {
    let title = language.format(
        Message::DocumentTitle,
        &[
            ("program", &record.program.name),
            ("learner", &record.learner.full_name),
        ],
    );

    let mut body = String::new();
    body.push_str("<header><div class=\"wrap\">\n");
    if !record.platform_name.is_empty() {
        body.push_str(&format!(
            "<p class=\"platform\">{}</p>\n",
            escape(&record.platform_name)
        ));
    }
    body.push_str(&format!(
        "<h1>{}</h1>\n</div></header>\n",
        escape(&record.program.name)
    ));

    body.push_str("<main class=\"wrap\">\n");
    body.push_str(&summary_section(record, language, csv_url));
    body.push_str(&courses_section(record, language));
    body.push_str("</main>\n");

    let as_of = language.format(Message::RecordAsOf, &[("date", &calendar_date(&now))]);
    body.push_str(&format!(
        "<footer class=\"wrap\"><p>{}</p></footer>\n",
        escape(&as_of)
    ));

    document(language, &title, &body)
}

/// Renders the page for a link that is unknown, revoked or expired. The three cases look the
/// same, so the page reveals nothing about links that once existed.
pub fn not_found_page(language: &Language) -> Page {
    let title = language.text(Message::NotFoundTitle);
    let body = format!(
        "<main class=\"wrap\">\n<h1>{}</h1>\n<p>{}</p>\n</main>\n",
        escape(title),
        escape(language.text(Message::NotFoundText))
    );
    document(language, title, &body)
}

fn document(language: &Language, title: &str, body: &str) -> Page {
    let html = format!(
        "<!DOCTYPE html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"robots\" content=\"noindex, nofollow\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n\
         <title>{title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{body}</body>\n</html>\n",
        lang = escape(language.tag),
        title = escape(title),
    );
    Page {
        html,
        language: language.tag,
        content_security_policy: CONTENT_SECURITY_POLICY.as_str(),
    }
}

fn summary_section(record: &ProgramRecord, language: &Language, csv_url: &str) -> String {
    let program = &record.program;
    let (status_class, status) = if program.completed {
        ("status status-done", Message::ProgramCompleted)
    } else if program.empty {
        ("status", Message::ProgramNotStarted)
    } else {
        ("status status-open", Message::ProgramPartiallyCompleted)
    };
    let last_updated = language.format(
        Message::DateInUtc,
        &[("date", &calendar_date(&program.last_updated))],
    );

    let mut rows = vec![
        (Message::LearnerLabel, escape(&record.learner.full_name)),
        (Message::UsernameLabel, escape(&record.learner.username)),
    ];
    if let Some(email) = record.learner.email.as_deref().filter(|e| !e.is_empty()) {
        rows.push((Message::EmailLabel, escape(email)));
    }
    rows.push((Message::ProgramLabel, escape(&program.name)));
    for (label, value) in [
        (Message::ProgramTypeLabel, &program.type_name),
        (Message::SchoolLabel, &program.school),
        (Message::PlatformLabel, &record.platform_name),
    ] {
        if !value.is_empty() {
            rows.push((label, escape(value)));
        }
    }
    rows.push((
        Message::ProgramStatusLabel,
        format!(
            "<span class=\"{status_class}\">{}</span>",
            escape(language.text(status))
        ),
    ));
    rows.push((
        Message::LastUpdatedLabel,
        format!(
            "<time datetime=\"{}\">{}</time>",
            calendar_date(&program.last_updated),
            escape(&last_updated)
        ),
    ));

    let mut section = String::from("<section aria-labelledby=\"summary-heading\">\n");
    section.push_str(&format!(
        "<h2 id=\"summary-heading\">{}</h2>\n<dl>\n",
        escape(language.text(Message::SummaryHeading))
    ));
    for (label, value) in rows {
        section.push_str(&format!(
            "<dt>{}</dt><dd>{value}</dd>\n",
            escape(language.text(label))
        ));
    }
    section.push_str("</dl>\n");
    section.push_str(&format!(
        "<p><a class=\"download\" href=\"{}\">{}</a></p>\n</section>\n",
        escape(csv_url),
        escape(language.text(Message::DownloadRecord))
    ));
    section
}

/// The course table's columns with the class of their cells. The course run key has no column:
/// it sits under the course name.
const COLUMNS: [(Message, &str); 7] = [
    (Message::CourseColumn, ""),
    (Message::SchoolColumn, ""),
    (Message::StatusColumn, "nowrap"),
    (Message::GradeColumn, "number"),
    (Message::LetterGradeColumn, ""),
    (Message::AttemptsColumn, "number"),
    (Message::DateEarnedColumn, "nowrap"),
];

fn courses_section(record: &ProgramRecord, language: &Language) -> String {
    let caption = language.format(
        Message::CoursesCaption,
        &[("program", &record.program.name)],
    );
    // The table scrolls sideways on narrow screens, and tabindex lets keyboard users scroll it.
    let mut section = String::from("<section aria-labelledby=\"courses-heading\">\n");
    section.push_str(&format!(
        "<h2 id=\"courses-heading\">{}</h2>\n\
         <div class=\"table-scroll\" role=\"region\" aria-labelledby=\"courses-heading\" tabindex=\"0\">\n\
         <table>\n<caption>{}</caption>\n<thead><tr>",
        escape(language.text(Message::CoursesHeading)),
        escape(&caption)
    ));
    for (column, class) in COLUMNS {
        let class = if class.is_empty() {
            String::new()
        } else {
            format!(" class=\"{class}\"")
        };
        section.push_str(&format!(
            "<th scope=\"col\"{class}>{}</th>",
            escape(language.text(column))
        ));
    }
    section.push_str("</tr></thead>\n<tbody>\n");

    if record.grades.is_empty() {
        section.push_str(&format!(
            "<tr><td colspan=\"{}\">{}</td></tr>\n",
            COLUMNS.len(),
            escape(language.text(Message::NoCourses))
        ));
    }
    for row in &record.grades {
        section.push_str(&course_row(row, language));
    }
    section.push_str("</tbody>\n</table>\n</div>\n</section>\n");
    section
}

fn course_row(row: &GradeRow, language: &Language) -> String {
    let status = if row.is_earned() {
        Message::CourseEarned
    } else {
        Message::CourseNotEarned
    };
    // The MFE shows run keys without the `course-v1:` prefix; the page does the same.
    let course_id = row
        .course_id
        .strip_prefix("course-v1:")
        .unwrap_or(&row.course_id);
    let course_id = if course_id.is_empty() {
        String::new()
    } else {
        format!("<span class=\"course-id\">{}</span>", escape(course_id))
    };
    let grade = row
        .percent_grade
        .map(|percent| {
            language.format(
                Message::Percentage,
                &[("percent", &rounded_percent(percent).to_string())],
            )
        })
        .unwrap_or_default();
    let attempts = row.attempts.map(|n| n.to_string()).unwrap_or_default();
    let earned = row
        .issue_date
        .map(|date| {
            let day = calendar_date(&date);
            format!("<time datetime=\"{day}\">{day}</time>")
        })
        .unwrap_or_default();

    format!(
        "<tr><th scope=\"row\">{name}{course_id}</th><td>{school}</td>\
         <td class=\"nowrap\">{status}</td><td class=\"number\">{grade}</td><td>{letter}</td>\
         <td class=\"number\">{attempts}</td><td class=\"nowrap\">{earned}</td></tr>\n",
        name = escape(&row.name),
        school = escape(&row.school),
        status = escape(language.text(status)),
        grade = escape(&grade),
        letter = escape(&row.letter_grade),
    )
}

/// Rounds a grade to a whole percentage, half up, as the MFE's `Math.round` does.
fn rounded_percent(percent: Percent) -> i32 {
    (percent.ten_thousandths() + 50).div_euclid(100)
}

/// Formats the UTC calendar date of a timestamp as `YYYY-MM-DD`.
fn calendar_date(timestamp: &DateTime<Utc>) -> String {
    timestamp.format("%Y-%m-%d").to_string()
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::domain::record::{LearnerBlock, ProgramBlock};

    fn record(title: &str) -> ProgramRecord {
        ProgramRecord {
            learner: LearnerBlock {
                full_name: "Zoë Ñandú-Test".into(),
                username: "lrn_zoe".into(),
                email: None,
            },
            program: ProgramBlock {
                name: title.into(),
                type_slug: "micromasters".into(),
                type_name: "MicroMasters".into(),
                completed: false,
                empty: false,
                last_updated: Utc.with_ymd_and_hms(2021, 3, 2, 2, 0, 0).unwrap(),
                school: "Test Org & Partners".into(),
            },
            platform_name: "Test Platform".into(),
            grades: vec![
                GradeRow {
                    name: "Circuits, \"Part 1\"".into(),
                    school: "Test Org".into(),
                    attempts: Some(2),
                    course_id: "course-v1:TestX+C1+1T2024".into(),
                    issue_date: Some(Utc.with_ymd_and_hms(2021, 3, 2, 2, 0, 0).unwrap()),
                    percent_grade: Some(Percent::parse("0.855").unwrap()),
                    letter_grade: "A".into(),
                },
                GradeRow {
                    name: "Course 2".into(),
                    school: "Test Org".into(),
                    attempts: None,
                    course_id: String::new(),
                    issue_date: None,
                    percent_grade: None,
                    letter_grade: String::new(),
                },
            ],
            pathways: Vec::new(),
            shared_program_record_uuid: None,
        }
    }

    fn render(record: &ProgramRecord) -> String {
        let now = Utc.with_ymd_and_hms(2026, 1, 2, 23, 59, 0).unwrap();
        record_page(
            record,
            &messages::ENGLISH,
            "https://x.test/csv?a=1&b=2",
            now,
        )
        .html
    }

    #[test]
    fn script_in_title_stays_text() {
        let html = render(&record("<script>alert('x')</script>"));
        assert!(!html.contains("<script"));
        assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
    }

    #[test]
    fn page_declares_language_and_noindex() {
        let html = render(&record("Test Program"));
        assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
        assert!(html.contains("<meta name=\"robots\" content=\"noindex, nofollow\">"));
    }

    #[test]
    fn page_has_landmarks_and_table_headers() {
        let html = render(&record("Test Program"));
        for part in [
            "<header>",
            "<main class=\"wrap\">",
            "<caption>Courses of Test Program",
            "<th scope=\"col\" class=\"number\">Highest grade</th>",
            "<th scope=\"row\">",
        ] {
            assert!(html.contains(part), "missing {part}");
        }
    }

    #[test]
    fn dates_are_utc_calendar_dates() {
        let html = render(&record("Test Program"));
        assert!(html.contains("<time datetime=\"2021-03-02\">2021-03-02 (UTC)</time>"));
        assert!(html.contains("Record as of 2026-01-02 (UTC)."));
    }

    #[test]
    fn statuses_are_written_as_text() {
        let html = render(&record("Test Program"));
        assert!(html.contains(">Partially completed</span>"));
        assert!(html.contains("<td class=\"nowrap\">Earned</td>"));
        assert!(html.contains("<td class=\"nowrap\">Not earned</td>"));
    }

    #[test]
    fn grades_round_like_the_mfe() {
        let html = render(&record("Test Program"));
        assert!(html.contains("<td class=\"number\">86%</td>"));
        assert_eq!(rounded_percent(Percent::parse("0.845").unwrap()), 85);
        assert_eq!(rounded_percent(Percent::parse("1").unwrap()), 100);
    }

    #[test]
    fn download_link_is_escaped() {
        let html = render(&record("Test Program"));
        assert!(
            html.contains("href=\"https://x.test/csv?a=1&amp;b=2\">Download program record</a>")
        );
    }

    #[test]
    fn hidden_email_is_absent() {
        let mut shown = record("Test Program");
        assert!(!render(&shown).contains("<dt>Email</dt>"));
        shown.learner.email = Some("zoe@example.test".into());
        assert!(render(&shown).contains("<dt>Email</dt><dd>zoe@example.test</dd>"));
    }

    #[test]
    fn program_without_courses_says_so() {
        let mut empty = record("Test Program");
        empty.grades.clear();
        assert!(render(&empty).contains("<td colspan=\"7\">This program has no courses.</td>"));
    }

    #[test]
    fn policy_hash_matches_the_style_element() {
        let page = not_found_page(&messages::ENGLISH);
        let start = page.html.find("<style>").unwrap() + "<style>".len();
        let end = page.html.find("</style>").unwrap();
        let hash = base64::engine::general_purpose::STANDARD
            .encode(digest(&SHA256, &page.html.as_bytes()[start..end]));
        assert!(
            page.content_security_policy
                .contains(&format!("style-src 'sha256-{hash}'"))
        );
    }

    #[test]
    fn policy_allows_only_the_inline_style() {
        let page = not_found_page(&messages::ENGLISH);
        assert!(
            page.content_security_policy
                .starts_with("default-src 'none'; style-src 'sha256-")
        );
        assert!(!page.content_security_policy.contains("script-src"));
    }
}
