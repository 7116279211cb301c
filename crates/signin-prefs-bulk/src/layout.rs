//! The JSON layout of plan and report files: indented down to their lists, one entry per line.
//!
//! A plan or report of 10,000 users is read by people (who `grep` for a user and see the whole
//! entry on one line, and diff two plans line by line) and by programs (for whom the file is half
//! the size of a fully indented one, and parses in half the time).

use std::io::{self, Write};

use serde::Serialize;
use serde_json::ser::{CompactFormatter, Formatter, PrettyFormatter};

/// Containers at this depth or shallower are indented: the document and its lists.
const INDENTED_DEPTH: usize = 2;

/// `value` as JSON text in the layout, ending with a newline.
pub(crate) fn to_text<T: Serialize>(value: &T) -> Result<String, serde_json::Error> {
    let mut bytes = Vec::new();
    let mut serializer = serde_json::Serializer::with_formatter(
        &mut bytes,
        EntryPerLine {
            depth: 0,
            indented: PrettyFormatter::new(),
        },
    );
    value.serialize(&mut serializer)?;
    bytes.push(b'\n');
    // serde_json writes UTF-8 only.
    String::from_utf8(bytes).map_err(|error| serde::ser::Error::custom(error.utf8_error()))
}

/// Indents like [`PrettyFormatter`] down to [`INDENTED_DEPTH`], and writes anything deeper as
/// [`CompactFormatter`] does.
struct EntryPerLine {
    /// Containers open around the next token.
    depth: usize,
    indented: PrettyFormatter<'static>,
}

impl EntryPerLine {
    fn is_indented(&self) -> bool {
        self.depth <= INDENTED_DEPTH
    }
}

/// Calls the pretty formatter's `$method` at indented depths and the compact one's deeper.
macro_rules! by_depth {
    ($self:ident . $method:ident ( $($arg:expr),* )) => {
        if $self.is_indented() {
            $self.indented.$method($($arg),*)
        } else {
            CompactFormatter.$method($($arg),*)
        }
    };
}

/// The `Formatter` methods, each writing by [`by_depth!`]: `enter` ones open a container one level
/// deeper (and write at its depth), `leave` ones close it (at its depth, then go back up), `at`
/// ones write at the current depth. One rule for the array and the object methods alike.
macro_rules! by_depth_methods {
    () => {};
    (enter $method:ident; $($rest:tt)*) => {
        fn $method<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
            self.depth += 1;
            by_depth!(self.$method(writer))
        }
        by_depth_methods!($($rest)*);
    };
    (leave $method:ident; $($rest:tt)*) => {
        fn $method<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
            let written = by_depth!(self.$method(writer));
            self.depth -= 1;
            written
        }
        by_depth_methods!($($rest)*);
    };
    (at $method:ident($($arg:ident: $ty:ty),*); $($rest:tt)*) => {
        fn $method<W: ?Sized + Write>(&mut self, writer: &mut W $(, $arg: $ty)*) -> io::Result<()> {
            by_depth!(self.$method(writer $(, $arg)*))
        }
        by_depth_methods!($($rest)*);
    };
}

impl Formatter for EntryPerLine {
    by_depth_methods! {
        enter begin_array;
        leave end_array;
        at begin_array_value(first: bool);
        at end_array_value();
        enter begin_object;
        leave end_object;
        at begin_object_key(first: bool);
        at begin_object_value();
        at end_object_value();
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::to_text;

    #[test]
    fn lists_are_indented_and_their_entries_are_one_line_each() {
        let document = json!({
            "format": 1,
            "request": {"methods": ["oath", "push"], "exclude": []},
            "entries": [
                {"user": "a@contoso.com", "current": {"method": "sms"}, "registered": ["password"]},
                {"user": "b@contoso.com", "current": {"method": null}, "registered": []}
            ],
            "empty": []
        });
        let text = to_text(&document).unwrap();
        let expected = r#"{
  "empty": [],
  "entries": [
    {"current":{"method":"sms"},"registered":["password"],"user":"a@contoso.com"},
    {"current":{"method":null},"registered":[],"user":"b@contoso.com"}
  ],
  "format": 1,
  "request": {
    "exclude": [],
    "methods": ["oath","push"]
  }
}
"#;
        assert_eq!(text, expected);
        let parsed: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(parsed, document);
    }
}
