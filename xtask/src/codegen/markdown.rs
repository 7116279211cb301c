//! Microsoft's descriptions as rustdoc Markdown: what rustdoc would misread is escaped.
//!
//! The spec's prose is plain text, but rustdoc reads doc comments as Markdown: `<country code>`
//! becomes an unclosed HTML tag, `[name]` an intra-doc link, a lone backtick opens a code span,
//! and a bare URL draws the `bare_urls` lint. Each of those is escaped or made an autolink, so the
//! page says what the spec says.

/// `text` with every character rustdoc's Markdown gives a meaning backslash-escaped, and each bare
/// `http(s)://` URL made an autolink (`<…>`).
pub(crate) fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len() + text.len() / 8);
    let mut rest = text;
    while !rest.is_empty() {
        if let Some(url_len) = url_at(rest) {
            let (url, after) = rest.split_at(url_len);
            escaped.push('<');
            escaped.push_str(url);
            escaped.push('>');
            rest = after;
            continue;
        }
        let mut chars = rest.chars();
        let Some(next) = chars.next() else { break };
        if MARKDOWN_PUNCTUATION.contains(next) {
            escaped.push('\\');
        }
        escaped.push(next);
        rest = chars.as_str();
    }
    escaped
}

/// Characters that open or close Markdown constructs rustdoc acts on: HTML and autolinks (`<`,
/// `>`), links and intra-doc links (`[`, `]`), code spans (`` ` ``), emphasis (`*`, `_`) and the
/// escape itself (`\`). CommonMark lets any ASCII punctuation be escaped with a backslash.
const MARKDOWN_PUNCTUATION: &str = "\\`*_[]<>";

/// The length of the URL `text` starts with, if it starts with one: up to the first whitespace,
/// `>` or quote, without the trailing punctuation a sentence puts after it.
fn url_at(text: &str) -> Option<usize> {
    if !(text.starts_with("https://") || text.starts_with("http://")) {
        return None;
    }
    let end = text
        .find(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"' | '\'' | '`'))
        .unwrap_or(text.len());
    let url = text[..end].trim_end_matches(['.', ',', ';', ':', ')', '!', '?']);
    Some(url.len())
}

#[cfg(test)]
mod tests {
    use super::escape;
    use proptest::prelude::*;

    #[test]
    fn what_rustdoc_would_misread_is_escaped() {
        assert_eq!(
            escape("Phone numbers use the format '+<country code> <number>x<extension>'."),
            r"Phone numbers use the format '+\<country code\> \<number\>x\<extension\>'."
        );
        assert_eq!(escape("See [the docs]."), r"See \[the docs\].");
        assert_eq!(escape("a stray ` backtick"), r"a stray \` backtick");
        assert_eq!(escape(r"C:\path *bold* _x_"), r"C:\\path \*bold\* \_x\_");
    }

    #[test]
    fn a_bare_url_becomes_an_autolink_without_the_sentences_full_stop() {
        assert_eq!(
            escape("Documentation URL: https://docs.microsoft.com/graph/aad-advanced-queries."),
            "Documentation URL: <https://docs.microsoft.com/graph/aad-advanced-queries>."
        );
        assert_eq!(
            escape("(see http://example.test/a_b)"),
            "(see <http://example.test/a_b>)"
        );
    }

    proptest! {
        /// Unescaping gives the text back (URLs aside): nothing is lost or added.
        #[test]
        fn escaping_keeps_every_character(text in "[a-z <>\\[\\]`*_\\\\'.+-]{0,40}") {
            let escaped = escape(&text);
            let mut unescaped = String::new();
            let mut chars = escaped.chars();
            while let Some(c) = chars.next() {
                if c == '\\' {
                    let next = chars.next();
                    prop_assert!(next.is_some_and(|n| super::MARKDOWN_PUNCTUATION.contains(n)));
                    unescaped.extend(next);
                } else {
                    prop_assert!(!super::MARKDOWN_PUNCTUATION.contains(c), "{c} left bare in {escaped}");
                    unescaped.push(c);
                }
            }
            prop_assert_eq!(unescaped, text);
        }
    }
}
