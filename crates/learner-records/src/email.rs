//! The credit request email a partner receives when a learner sends a program record, and the
//! "updated" one that follows when the learner completes the program. Rendering is pure: the
//! caller supplies names, addresses and absolute links, and gets back an [`Email`] for the
//! mailer.
//!
//! Every value that reaches a header passes through [`single_line`], so a name or title that
//! contains a line break cannot add a header. Every value interpolated into the HTML body is
//! escaped with [`escape_html`].

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::mailer::Email;

/// Whether this is the learner's own request or the follow-up sent on program completion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestKind {
    /// Sent when the learner (or staff on their behalf) sends the record.
    Initial,
    /// Sent to partners who already received the record, when the learner completes the program.
    Update,
}

/// The content of one credit request email. Links must be absolute URLs built from the
/// service's public base URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditRequest<'a> {
    pub kind: RequestKind,
    /// The platform name, used as the sender's display name and in the sign-off; may be empty.
    pub platform_name: &'a str,
    /// The sender address, such as `records@example.com`.
    pub from_address: &'a str,
    /// The partner's address (the pathway's email).
    pub partner_address: &'a str,
    /// The learner's address, for Reply-To; `None` when unknown.
    pub learner_address: Option<&'a str>,
    /// The learner's display name: full name, else username.
    pub learner_name: &'a str,
    pub pathway_name: &'a str,
    pub program_title: &'a str,
    /// Whether the learner has an awarded program credential for the program.
    pub program_completed: bool,
    pub record_url: &'a str,
    pub csv_url: &'a str,
}

/// Link label of the public record, as partners know it from upstream emails.
pub const VIEW_RECORD_LABEL: &str = "View Program Record";
/// Link label of the CSV download.
pub const DOWNLOAD_CSV_LABEL: &str = "Download Record (CSV)";

/// An RFC 2047 encoded word may be at most 75 characters. `=?UTF-8?B?` and `?=` take 12 of them
/// and leave 63 for base64, so a word carries at most 45 bytes of text (60 base64 characters).
const ENCODED_WORD_MAX_BYTES: usize = 45;

/// Renders the email for a credit request.
pub fn render_credit_request(request: &CreditRequest<'_>) -> Email {
    let reply_to = request
        .learner_address
        .map(single_line)
        .filter(|address| is_plausible_address(address))
        .into_iter()
        .collect();

    Email {
        from: from_header(request.platform_name, request.from_address),
        to: vec![single_line(request.partner_address)],
        reply_to,
        subject: subject(request),
        html: html_body(request),
        text: text_body(request),
    }
}

/// Builds the subject: `<program> Credit Request for <learner>`, or `<program> Updated Credit
/// Request for <learner>` for the follow-up.
pub fn subject(request: &CreditRequest<'_>) -> String {
    let label = match request.kind {
        RequestKind::Initial => "Credit Request",
        RequestKind::Update => "Updated Credit Request",
    };
    single_line(&format!(
        "{} {label} for {}",
        single_line(request.program_title),
        single_line(request.learner_name)
    ))
}

/// Returns the sentence that states what the learner sent. A follow-up for a program that is
/// still not complete reads like a partial record, as upstream's template does.
fn record_sentence(request: &CreditRequest<'_>) -> &'static str {
    match (request.program_completed, request.kind) {
        (true, RequestKind::Update) => "has sent an updated program record for",
        (true, RequestKind::Initial) => "has sent their completed program record for",
        (false, _) => "has sent their partially completed program record for",
    }
}

fn html_body(request: &CreditRequest<'_>) -> String {
    let name = escape_html(&single_line(request.learner_name));
    let pathway = escape_html(&single_line(request.pathway_name));
    let program = escape_html(&single_line(request.program_title));
    let record_url = escape_html(request.record_url);
    let csv_url = escape_html(request.csv_url);
    let title = escape_html(&subject(request));
    let sentence = record_sentence(request);
    let sign_off = match single_line(request.platform_name) {
        platform if platform.is_empty() => String::new(),
        platform => format!("<br>\nThe {} Team", escape_html(&platform)),
    };

    format!(
        "<!DOCTYPE html>\n\
         <html lang=\"en\">\n\
         <head><meta charset=\"utf-8\"><title>{title}</title></head>\n\
         <body>\n\
         <p>Hello,</p>\n\
         <p>{name} would like to apply for credit in the {pathway}. \
         {name} {sentence} {program}.</p>\n\
         <p>You can view the record online or download it as a CSV file:</p>\n\
         <p><a href=\"{record_url}\">{VIEW_RECORD_LABEL}</a><br>\n\
         <a href=\"{csv_url}\">{DOWNLOAD_CSV_LABEL}</a></p>\n\
         <p>Thank you,{sign_off}</p>\n\
         </body>\n\
         </html>\n"
    )
}

fn text_body(request: &CreditRequest<'_>) -> String {
    let name = single_line(request.learner_name);
    let pathway = single_line(request.pathway_name);
    let program = single_line(request.program_title);
    let sentence = record_sentence(request);
    let sign_off = match single_line(request.platform_name) {
        platform if platform.is_empty() => String::new(),
        platform => format!("\nThe {platform} Team"),
    };

    format!(
        "Hello,\n\n\
         {name} would like to apply for credit in the {pathway}. {name} {sentence} {program}.\n\n\
         You can view the record online or download it as a CSV file:\n\n\
         {VIEW_RECORD_LABEL}: {record_url}\n\
         {DOWNLOAD_CSV_LABEL}: {csv_url}\n\n\
         Thank you,{sign_off}\n",
        record_url = request.record_url,
        csv_url = request.csv_url,
    )
}

/// Formats the From header from the platform name (the display name) and the sender address.
/// An ASCII name is quoted. A name with other characters is RFC 2047-encoded, which SES requires
/// for non-ASCII display names. An empty name leaves the bare address.
pub fn from_header(display_name: &str, address: &str) -> String {
    let name = single_line(display_name);
    let address = single_line(address);
    if name.is_empty() {
        return address;
    }
    if name.is_ascii() {
        let quoted = name.replace('\\', "\\\\").replace('"', "\\\"");
        return format!("\"{quoted}\" <{address}>");
    }
    format!("{} <{address}>", encode_word(&name))
}

/// Encodes text as RFC 2047 `B` encoded words, split at character boundaries so that no word
/// exceeds 75 characters. Words are separated by a space, which decoders drop between words.
fn encode_word(text: &str) -> String {
    let mut words = Vec::new();
    let mut start = 0;
    let mut end = 0;
    for (index, character) in text.char_indices() {
        let next = index + character.len_utf8();
        if next - start > ENCODED_WORD_MAX_BYTES {
            words.push(&text[start..end]);
            start = end;
        }
        end = next;
    }
    words.push(&text[start..end]);
    words
        .into_iter()
        .map(|chunk| format!("=?UTF-8?B?{}?=", STANDARD.encode(chunk)))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Makes text safe for a header or a one-line field: every run of control characters (CR and
/// LF included) and Unicode line or paragraph separators becomes one space, and the ends are
/// trimmed.
pub fn single_line(text: &str) -> String {
    let mut line = String::with_capacity(text.len());
    let mut in_break = false;
    for character in text.chars() {
        if character.is_control() || matches!(character, '\u{2028}' | '\u{2029}') {
            if !in_break {
                line.push(' ');
            }
            in_break = true;
        } else {
            line.push(character);
            in_break = false;
        }
    }
    line.trim().to_owned()
}

/// Escapes text for HTML element content and double- or single-quoted attribute values.
pub fn escape_html(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#x27;"),
            other => escaped.push(other),
        }
    }
    escaped
}

/// Checks whether text looks like one bare address: a non-empty local part and domain around a
/// single `@`, and none of the characters that would let it carry a display name or a second
/// address. SES rejects the whole message for an invalid Reply-To, so a bad stored address is
/// dropped rather than sent.
pub fn is_plausible_address(text: &str) -> bool {
    let forbidden = |c: char| c.is_whitespace() || c.is_control() || "<>,;:\"()[]\\".contains(c);
    match text.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.is_empty()
                && !domain.contains('@')
                && !text.chars().any(forbidden)
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> CreditRequest<'static> {
        CreditRequest {
            kind: RequestKind::Initial,
            platform_name: "Open edX",
            from_address: "records@example.test",
            partner_address: "admissions@partner.example.test",
            learner_address: Some("ada@example.test"),
            learner_name: "Ada Testwell",
            pathway_name: "Partner Credit Pathway",
            program_title: "Circuits and Electronics",
            program_completed: true,
            record_url: "https://records.example.test/records/programs/shared/0123/",
            csv_url: "https://records.example.test/records/programs/shared/0123/csv",
        }
    }

    #[test]
    fn subject_names_program_and_learner() {
        assert_eq!(
            subject(&request()),
            "Circuits and Electronics Credit Request for Ada Testwell"
        );
    }

    #[test]
    fn update_subject_says_updated() {
        let update = CreditRequest {
            kind: RequestKind::Update,
            ..request()
        };
        assert_eq!(
            subject(&update),
            "Circuits and Electronics Updated Credit Request for Ada Testwell"
        );
    }

    #[test]
    fn headers_carry_addresses() {
        let email = render_credit_request(&request());
        assert_eq!(email.from, "\"Open edX\" <records@example.test>");
        assert_eq!(email.to, vec!["admissions@partner.example.test"]);
        assert_eq!(email.reply_to, vec!["ada@example.test"]);
    }

    #[test]
    fn unknown_learner_address_omits_reply_to() {
        let email = render_credit_request(&CreditRequest {
            learner_address: None,
            ..request()
        });
        assert!(email.reply_to.is_empty());
    }

    #[test]
    fn malformed_learner_address_omits_reply_to() {
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.test",
            "a@b@c",
            "Ada <ada@example.test>",
            "ada@example.test, eve@example.test",
        ] {
            let email = render_credit_request(&CreditRequest {
                learner_address: Some(bad),
                ..request()
            });
            assert!(email.reply_to.is_empty(), "{bad:?} was kept");
        }
    }

    #[test]
    fn body_sentence_follows_completion() {
        let cases = [
            (
                RequestKind::Initial,
                true,
                "has sent their completed program record for",
            ),
            (
                RequestKind::Initial,
                false,
                "has sent their partially completed program record for",
            ),
            (
                RequestKind::Update,
                true,
                "has sent an updated program record for",
            ),
            (
                RequestKind::Update,
                false,
                "has sent their partially completed program record for",
            ),
        ];
        for (kind, program_completed, sentence) in cases {
            let email = render_credit_request(&CreditRequest {
                kind,
                program_completed,
                ..request()
            });
            let expected = format!("Ada Testwell {sentence} Circuits and Electronics.");
            assert!(email.html.contains(&expected), "html for {kind:?}");
            assert!(email.text.contains(&expected), "text for {kind:?}");
        }
    }

    #[test]
    fn bodies_name_pathway_and_sign_off() {
        let email = render_credit_request(&request());
        let intro = "Ada Testwell would like to apply for credit in the Partner Credit Pathway.";
        assert!(email.html.contains(intro));
        assert!(email.text.contains(intro));
        assert!(email.html.contains("The Open edX Team"));
        assert!(email.text.contains("The Open edX Team"));
    }

    #[test]
    fn html_body_links_record_and_csv() {
        let email = render_credit_request(&request());
        assert!(email.html.contains(
            "<a href=\"https://records.example.test/records/programs/shared/0123/\">View Program Record</a>"
        ));
        assert!(email.html.contains(
            "<a href=\"https://records.example.test/records/programs/shared/0123/csv\">Download Record (CSV)</a>"
        ));
    }

    #[test]
    fn text_body_links_record_and_csv() {
        let email = render_credit_request(&request());
        assert!(email.text.contains(
            "View Program Record: https://records.example.test/records/programs/shared/0123/\n"
        ));
        assert!(email.text.contains(
            "Download Record (CSV): https://records.example.test/records/programs/shared/0123/csv\n"
        ));
    }

    #[test]
    fn html_body_escapes_every_value() {
        let email = render_credit_request(&CreditRequest {
            platform_name: "Edu & <Co>",
            learner_name: "<script>alert('x')</script>",
            pathway_name: "A \"quoted\" pathway",
            program_title: "R&D <b>",
            ..request()
        });
        assert!(!email.html.contains("<script>"));
        assert!(
            email
                .html
                .contains("&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;")
        );
        assert!(email.html.contains("A &quot;quoted&quot; pathway"));
        assert!(email.html.contains("R&amp;D &lt;b&gt;"));
        assert!(email.html.contains("The Edu &amp; &lt;Co&gt; Team"));
    }

    #[test]
    fn line_breaks_cannot_add_headers() {
        let email = render_credit_request(&CreditRequest {
            platform_name: "Open edX\r\nBcc: eve@example.test",
            learner_name: "Ada\r\nBcc: eve@example.test",
            program_title: "Circuits\nX-Injected: 1",
            partner_address: "admissions@partner.example.test\r\nCc: eve@example.test",
            learner_address: Some("ada@example.test\r\n"),
            ..request()
        });
        for header in [&email.from, &email.subject, &email.to[0]] {
            assert!(!header.contains('\r'), "{header:?}");
            assert!(!header.contains('\n'), "{header:?}");
        }
        assert_eq!(
            email.subject,
            "Circuits X-Injected: 1 Credit Request for Ada Bcc: eve@example.test"
        );
        assert_eq!(email.reply_to, vec!["ada@example.test"]);
    }

    #[test]
    fn single_line_collapses_control_characters() {
        assert_eq!(single_line("a\r\n\tb\u{2028}c\u{85}d\0"), "a b c d");
        assert_eq!(single_line("  plain  "), "plain");
    }

    #[test]
    fn ascii_display_name_is_quoted() {
        assert_eq!(
            from_header("Edu \"X\" \\ Y", "r@example.test"),
            "\"Edu \\\"X\\\" \\\\ Y\" <r@example.test>"
        );
    }

    #[test]
    fn empty_display_name_leaves_bare_address() {
        assert_eq!(from_header(" ", "r@example.test"), "r@example.test");
    }

    #[test]
    fn non_ascii_display_name_is_encoded() {
        assert_eq!(
            from_header("Zoë", "r@example.test"),
            "=?UTF-8?B?Wm/Dqw==?= <r@example.test>"
        );
    }

    #[test]
    fn long_display_name_splits_into_short_words() {
        let name = "Ünïversité ".repeat(12);
        let header = from_header(&name, "r@example.test");
        let words: Vec<&str> = header
            .trim_end_matches(" <r@example.test>")
            .split(' ')
            .collect();
        assert!(words.len() > 1);
        let mut decoded = Vec::new();
        for word in words {
            assert!(word.len() <= 75, "{word} is {} characters", word.len());
            let payload = word
                .strip_prefix("=?UTF-8?B?")
                .and_then(|w| w.strip_suffix("?="))
                .unwrap();
            decoded.extend(STANDARD.decode(payload).unwrap());
        }
        assert_eq!(String::from_utf8(decoded).unwrap(), name.trim());
    }
}
