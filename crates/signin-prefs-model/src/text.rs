//! How operator input is shown back in messages, and how near a misspelling is to a name.
//!
//! Hand-written. Every message that quotes something an operator typed (a method, a user key, a
//! cell of a targets file) goes through [`show_value`], so a control character in a file cannot
//! rewrite the terminal and a huge garbage cell cannot bury the rest of a report.

/// Values shown in error messages past this many characters are cut.
pub const MAX_SHOWN_VALUE_CHARS: usize = 120;

/// A value made safe to print in one line of a terminal: control characters, invisible characters
/// and quotes escaped, and cut after [`MAX_SHOWN_VALUE_CHARS`] characters.
pub fn show_value(value: &str) -> String {
    let mut shown = String::new();
    for (index, c) in value.chars().enumerate() {
        if index == MAX_SHOWN_VALUE_CHARS {
            shown.push('…');
            break;
        }
        match c {
            '"' => shown.push_str("\\\""),
            '\\' => shown.push_str("\\\\"),
            c if c.is_control() => shown.extend(c.escape_default()),
            c if is_invisible(c) => shown.extend(c.escape_unicode()),
            c => shown.push(c),
        }
    }
    shown
}

/// Zero-width and direction marks, soft hyphens and stray byte order marks: invisible when pasted
/// from a web page or chat, neither whitespace nor control characters to Rust.
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{AD}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}'
    )
}

/// A character named for a message: `a space`, `a tab`, `U+00A0` for the unprintable, `'<'` else.
pub fn describe_char(c: char) -> String {
    if c == ' ' {
        "a space".to_owned()
    } else if c == '\t' {
        "a tab".to_owned()
    } else if c.is_control() || c.is_whitespace() || is_invisible(c) {
        format!("U+{:04X}", u32::from(c))
    } else {
        format!("'{c}'")
    }
}

/// Lower case without spaces, dashes, underscores or dots, so `Voice Mobile` and `voice_mobile`
/// find `voiceMobile`.
pub fn normalize_spelling(value: &str) -> String {
    value
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '_' | '.'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// Optimal string alignment distance (Levenshtein plus adjacent swaps, as in `methdo`), the
/// measure of a near miss for "did you mean" hints.
pub fn edit_distance(left: &str, right: &str) -> usize {
    let left: Vec<char> = left.chars().collect();
    let right: Vec<char> = right.chars().collect();
    // Three rolling rows: two back (for swaps), one back, and the one being filled.
    let mut before_previous: Vec<usize> = vec![0; right.len() + 1];
    let mut previous: Vec<usize> = (0..=right.len()).collect();
    let mut current: Vec<usize> = vec![0; right.len() + 1];
    for (i, left_char) in left.iter().enumerate() {
        if let Some(first) = current.first_mut() {
            *first = i + 1;
        }
        for (j, right_char) in right.iter().enumerate() {
            let substitution = usize::from(left_char != right_char);
            let deleted = previous.get(j + 1).copied().unwrap_or(usize::MAX) + 1;
            let inserted = current.get(j).copied().unwrap_or(usize::MAX) + 1;
            let substituted = previous.get(j).copied().unwrap_or(usize::MAX) + substitution;
            let mut best = deleted.min(inserted).min(substituted);
            let swapped = i > 0
                && j > 0
                && left.get(i - 1) == Some(right_char)
                && right.get(j - 1) == Some(left_char);
            if swapped {
                let swap_cost = before_previous.get(j - 1).copied().unwrap_or(usize::MAX) + 1;
                best = best.min(swap_cost);
            }
            if let Some(cell) = current.get_mut(j + 1) {
                *cell = best;
            }
        }
        std::mem::swap(&mut before_previous, &mut previous);
        std::mem::swap(&mut previous, &mut current);
    }
    previous.last().copied().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_counts_swaps_as_one() {
        assert_eq!(edit_distance("methdo", "method"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("same", "same"), 0);
    }

    #[test]
    fn show_value_escapes_and_cuts() {
        assert_eq!(show_value("a\"b\\c\u{7}"), "a\\\"b\\\\c\\u{7}");
        assert_eq!(show_value("\u{200B}x"), "\\u{200b}x");
        let long = "x".repeat(MAX_SHOWN_VALUE_CHARS + 5);
        assert_eq!(show_value(&long).chars().count(), MAX_SHOWN_VALUE_CHARS + 1);
    }
}
