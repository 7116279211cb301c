//! PATCH bodies: read with the model's strict `SignInPreferencesPatch`, with Graph's messages for
//! what it refuses and the leniencies a user can switch on.

use serde_json::Value;
use signin_prefs_core::NonNullPatch;
use signin_prefs_model::{SignInPreferencesPatch, UserDefaultAuthenticationMethodType};

/// Read-only properties the service returns; the generated patch type refuses them as unknown, and
/// the emulator names them as read-only.
const READ_ONLY_PROPERTIES: &[&str] = &["systemPreferredAuthenticationMethod"];

/// Departures from the strict default that a user can switch on, because the real service's
/// behaviour is not published (graph-behaviors.md §1.2 and §7.4).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct PatchLeniency {
    pub(crate) case_insensitive_enum_values: bool,
    pub(crate) ignore_read_only_properties: bool,
}

impl PatchLeniency {
    fn any(self) -> bool {
        self.case_insensitive_enum_values || self.ignore_read_only_properties
    }
}

/// Parses a PATCH body with the model's strict deserializer, turning serde's errors into messages.
///
/// `unknownFutureValue` is a member of the spec's enum but not a method: it is the sentinel of
/// Graph's evolvable enums, which a service sends in place of members added after the ones a client
/// asked for (microsoft-graph-docs-contrib, `concepts/best-practices-concept.md`, "Handling future
/// members in evolvable enumerations"), never a value to set. So a PATCH setting it is refused as
/// an invalid value, with a message that says why (the real service's wording is not published).
pub(crate) fn parse_patch(
    body: &[u8],
    leniency: PatchLeniency,
) -> Result<SignInPreferencesPatch, String> {
    let patch = parse_patch_body(body, leniency)?;
    if let NonNullPatch::Value(UserDefaultAuthenticationMethodType::UnknownFutureValue) =
        &patch.user_preferred_method_for_secondary_authentication
    {
        return Err(format!(
            "Invalid value '{SENTINEL}' for property 'userPreferredMethodForSecondaryAuthentication': '{SENTINEL}' is the evolvable enumeration's sentinel, not a method."
        ));
    }
    Ok(patch)
}

/// The evolvable-enum sentinel's wire name.
const SENTINEL: &str = "unknownFutureValue";

fn parse_patch_body(
    body: &[u8],
    leniency: PatchLeniency,
) -> Result<SignInPreferencesPatch, String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err("Empty Payload. JSON content expected.".to_owned());
    }
    let strict = serde_json::from_slice::<SignInPreferencesPatch>(body);
    let error = match strict {
        Ok(patch) => return Ok(patch),
        Err(error) => error,
    };
    if error.is_syntax() || error.is_eof() {
        return Err("Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.".to_owned());
    }
    // Only on the error path: a second, lenient look, and read-only properties named as such.
    let object = match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(object)) => Some(object),
        _ => None,
    };
    if let Some(mut lenient) = object.clone().filter(|_| leniency.any()) {
        if leniency.ignore_read_only_properties {
            for property in READ_ONLY_PROPERTIES {
                lenient.remove(*property);
            }
        }
        if leniency.case_insensitive_enum_values
            && let Some(Value::String(value)) =
                lenient.get_mut("userPreferredMethodForSecondaryAuthentication")
            && let Some(member) = UserDefaultAuthenticationMethodType::MEMBERS
                .iter()
                .find(|member| member.eq_ignore_ascii_case(value))
        {
            *value = (*member).to_owned();
        }
        if let Ok(patch) = serde_json::from_value::<SignInPreferencesPatch>(Value::Object(lenient))
        {
            return Ok(patch);
        }
    }
    let read_only = object.as_ref().and_then(|object| {
        READ_ONLY_PROPERTIES
            .iter()
            .find(|property| object.contains_key(**property))
    });
    Err(match read_only {
        Some(property) => format!("Property '{property}' is read-only and cannot be set."),
        None => strip_position(&error.to_string()),
    })
}

/// serde_json appends " at line L column C"; Graph's messages have no position.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(position) => message.get(..position).unwrap_or(message).to_owned(),
        None => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn the_sentinel_is_refused_as_an_invalid_value_whatever_the_leniency() {
        for leniency in [
            PatchLeniency::default(),
            PatchLeniency {
                case_insensitive_enum_values: true,
                ignore_read_only_properties: true,
            },
        ] {
            let refused = parse_patch(
                br#"{"userPreferredMethodForSecondaryAuthentication":"unknownFutureValue"}"#,
                leniency,
            )
            .unwrap_err();
            assert!(
                refused.starts_with("Invalid value 'unknownFutureValue'"),
                "{refused}"
            );
            assert!(refused.contains("not a method"), "{refused}");
        }
        assert!(
            parse_patch(
                br#"{"userPreferredMethodForSecondaryAuthentication":"push"}"#,
                PatchLeniency::default()
            )
            .is_ok()
        );
    }
}
