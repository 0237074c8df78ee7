//! HTML escaping. Every value the page shows passes through [`escape`], whatever its source,
//! because titles, names and organisations come from Discovery and the LMS unchecked.

/// Escapes text for use in HTML element content and in double- or single-quoted attribute
/// values: `&`, `<`, `>`, `"` and `'` become character references.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_tags_become_text() {
        assert_eq!(
            escape("<script>alert(1)</script>"),
            "&lt;script&gt;alert(1)&lt;/script&gt;"
        );
    }

    #[test]
    fn quotes_cannot_close_an_attribute() {
        assert_eq!(
            escape(r#"" onmouseover="x' y"#),
            "&quot; onmouseover=&quot;x&#39; y"
        );
    }

    #[test]
    fn ampersands_are_escaped_once() {
        assert_eq!(escape("R&D &amp; Co"), "R&amp;D &amp;amp; Co");
    }

    #[test]
    fn other_text_is_unchanged() {
        assert_eq!(escape("Zoë Ñandú-Test 100% / é"), "Zoë Ñandú-Test 100% / é");
    }
}
