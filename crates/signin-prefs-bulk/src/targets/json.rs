//! Reading a JSON targets file: an array of users (strings or objects), or `{"users": [...]}`;
//! the "line" of a user is its 1-based position in the array.

use signin_prefs_model::UserDefaultAuthenticationMethodType;

use super::problems::{LineKind, Place, Problems, ReadUsers};
use super::{
    Column, USER_COLUMN_NAMES, check_method_cell, check_system_preferred_cell, check_user_cell,
    column_named, not_utf8_message, strip_bom, unknown_column_message,
};

pub(super) fn parse_json(bytes: &[u8], problems: &mut Problems<'_>) -> ReadUsers {
    let mut users = ReadUsers::new(LineKind::ArrayItem);
    let text = match std::str::from_utf8(strip_bom(bytes)) {
        Ok(text) => text,
        Err(error) => {
            let valid = strip_bom(bytes).get(..error.valid_up_to()).unwrap_or(&[]);
            let line = valid.iter().filter(|byte| **byte == b'\n').count() + 1;
            problems.add(Place::file_line(line), None, None, not_utf8_message("text"));
            return users;
        }
    };
    if text.trim().is_empty() {
        problems.add(
            Place::WHOLE_FILE,
            None,
            None,
            "no users: the file is empty (expected a JSON array of users)".to_owned(),
        );
        return users;
    }
    let document: serde_json::Value = match serde_json::from_str(text) {
        Ok(document) => document,
        Err(error) => {
            problems.add(
                Place::file_line(error.line()),
                None,
                None,
                format!("not valid JSON: {error}"),
            );
            return users;
        }
    };
    let Some(items) = json_user_items(document, problems) else {
        return users;
    };
    if items.is_empty() {
        problems.add(
            Place::WHOLE_FILE,
            None,
            None,
            "no users: the list of users is empty".to_owned(),
        );
        return users;
    }
    for (index, item) in items.iter().enumerate() {
        parse_json_item(item, Place::array_item(index + 1), problems, &mut users);
    }
    users
}

/// The array of users: the document itself, or its `users` field.
fn json_user_items(
    document: serde_json::Value,
    problems: &mut Problems<'_>,
) -> Option<Vec<serde_json::Value>> {
    const SHAPE: &str =
        "expected an array of users (strings or objects) or an object {\"users\": [...]}";
    match document {
        serde_json::Value::Array(items) => Some(items),
        serde_json::Value::Object(fields) => {
            let mut users = None;
            let mut valid = true;
            for (name, value) in fields {
                if !name.eq_ignore_ascii_case("users") {
                    problems.add(
                        Place::WHOLE_FILE,
                        Some(&name),
                        None,
                        format!("unknown field at the top level; {SHAPE}"),
                    );
                    valid = false;
                    continue;
                }
                match value {
                    serde_json::Value::Array(items) => users = Some(items),
                    other => {
                        problems.add(
                            Place::WHOLE_FILE,
                            Some(&name),
                            Some(&other.to_string()),
                            format!("not an array; {SHAPE}"),
                        );
                        valid = false;
                    }
                }
            }
            if valid && users.is_none() {
                problems.add(
                    Place::WHOLE_FILE,
                    None,
                    None,
                    format!("no \"users\" field; {SHAPE}"),
                );
            }
            users.filter(|_| valid)
        }
        other => {
            problems.add(
                Place::WHOLE_FILE,
                None,
                Some(&other.to_string()),
                SHAPE.to_owned(),
            );
            None
        }
    }
}

fn parse_json_item(
    item: &serde_json::Value,
    place: Place,
    problems: &mut Problems<'_>,
    users: &mut ReadUsers,
) {
    let fields = match item {
        serde_json::Value::String(user) => {
            if let Some(user) = check_user_cell(user, place, "user", problems) {
                users.add(&user, place, "user", None, None, problems);
            }
            return;
        }
        serde_json::Value::Object(fields) => fields,
        other => {
            problems.add(
                place,
                None,
                Some(&other.to_string()),
                "a user must be a string (an object id or user principal name) or an object such as {\"user\": \"...\", \"method\": \"push\"}"
                    .to_owned(),
            );
            return;
        }
    };
    let mut user_fields: Vec<(&str, &serde_json::Value)> = Vec::new();
    let mut method = None;
    let mut system_preferred = None;
    for (name, value) in fields {
        match column_named(name) {
            Some(Column::User) => user_fields.push((name, value)),
            Some(Column::Method) => match json_text_or_null(value) {
                Some(text) => {
                    if let Some(parsed) = check_method_cell(text, place, name, problems) {
                        method = parsed;
                    }
                }
                None => {
                    problems.add(
                        place,
                        Some(name),
                        Some(&value.to_string()),
                        format!(
                            "a method must be a string; {}",
                            UserDefaultAuthenticationMethodType::valid_targets_sentence()
                        ),
                    );
                }
            },
            Some(Column::SystemPreferred) => {
                let parsed = match value {
                    serde_json::Value::Bool(flag) => Some(Some(*flag)),
                    // Strings too, for lists converted from CSV (PowerShell's ConvertTo-Json).
                    other => match json_text_or_null(other) {
                        Some(text) => check_system_preferred_cell(text, place, name, problems),
                        None => {
                            problems.add(
                                place,
                                Some(name),
                                Some(&other.to_string()),
                                "must be true or false".to_owned(),
                            );
                            None
                        }
                    },
                };
                if let Some(parsed) = parsed {
                    system_preferred = parsed;
                }
            }
            None => {
                problems.add(
                    place,
                    Some(name),
                    None,
                    unknown_column_message(name, "field"),
                );
            }
        }
    }
    let user = match user_fields.as_slice() {
        [] => {
            problems.add(
                place,
                None,
                None,
                format!(
                    "no user field; name the user with one of {}",
                    USER_COLUMN_NAMES.join(", ")
                ),
            );
            None
        }
        [(name, serde_json::Value::String(user))] => {
            check_user_cell(user, place, name, problems).map(|user| (user, *name))
        }
        [(name, other)] => {
            problems.add(
                place,
                Some(name),
                Some(&other.to_string()),
                "a user must be a string (an object id or user principal name)".to_owned(),
            );
            None
        }
        several => {
            let names: Vec<&str> = several.iter().map(|(name, _)| *name).collect();
            problems.add(
                place,
                None,
                None,
                format!(
                    "more than one user field ({}); keep exactly one",
                    names.join(", ")
                ),
            );
            None
        }
    };
    // An item with any other problem is added too, so that a later listing of its user is still
    // found a duplicate; the problem keeps the whole file from being used.
    if let Some((user, field)) = user {
        users.add(&user, place, field, method, system_preferred, problems);
    }
}

/// A JSON string's text, with `null` read as empty ("not set"); `None` for other JSON types.
fn json_text_or_null(value: &serde_json::Value) -> Option<&str> {
    match value {
        serde_json::Value::String(text) => Some(text),
        serde_json::Value::Null => Some(""),
        _ => None,
    }
}
