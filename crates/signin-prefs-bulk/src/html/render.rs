//! The template engine: the HTML pages' templates, compiled in, rendered with every value
//! HTML-escaped, and the one way data enters a `<script>` element.

use minijinja::{AutoEscape, Environment, Value};

use crate::Error;

/// The templates, by name: the page skeleton (its style and table script inlined, so the file
/// needs nothing else), and one page per report.
const TEMPLATES: [(&str, &str); 6] = [
    ("page.html", include_str!("../../templates/page.html")),
    ("bars.svg", include_str!("../../templates/bars.svg")),
    ("style.css", include_str!("../../templates/style.css")),
    ("table.js", include_str!("../../templates/table.js")),
    ("report.html", include_str!("../../templates/report.html")),
    (
        "readiness.html",
        include_str!("../../templates/readiness.html"),
    ),
];

/// Renders template `name` with `context`.
pub(crate) fn render(name: &str, context: Value) -> Result<String, Error> {
    let failed = |error: minijinja::Error| Error::Render {
        template: name.to_owned(),
        message: error.to_string(),
    };
    let mut environment = Environment::new();
    // Every value is escaped, whatever the template's name: user names and UPNs are untrusted.
    // The style and script are template text, never values, so escaping leaves them alone.
    environment.set_auto_escape_callback(|_| AutoEscape::Html);
    for (template, source) in TEMPLATES {
        environment.add_template(template, source).map_err(failed)?;
    }
    environment
        .get_template(name)
        .and_then(|template| template.render(context))
        .map_err(failed)
}

/// `json` made safe as the text of a `<script type="application/json">` element: `<`, `>` and
/// `&` become JSON's `\u003c`, `\u003e` and `\u0026`, which read back as the same characters, so
/// no value can close the element (`</script>`) or open a comment (`<!--`). Outside strings JSON
/// has none of these characters, so the text is still the same JSON.
pub(crate) fn script_json(json: &str) -> Value {
    let mut safe = String::with_capacity(json.len());
    for character in json.chars() {
        match character {
            '<' => safe.push_str("\\u003c"),
            '>' => safe.push_str("\\u003e"),
            '&' => safe.push_str("\\u0026"),
            other => safe.push(other),
        }
    }
    Value::from_safe_string(safe)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Whatever a string holds, escaped into a script it can neither end the element nor
        /// open a comment, and it parses back to itself.
        #[test]
        fn script_json_cannot_leave_its_element_and_reads_back(text in ".*") {
            let json = serde_json::to_string(&text).unwrap();
            let safe = script_json(&json).to_string();
            let lower = safe.to_ascii_lowercase();
            prop_assert!(!lower.contains("</"));
            prop_assert!(!lower.contains("<!--"));
            let back: String = serde_json::from_str(&safe).unwrap();
            prop_assert_eq!(back, text);
        }
    }
}
