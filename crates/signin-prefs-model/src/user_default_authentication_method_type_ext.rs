//! Strict parsing of the default MFA method an operator asks for, with "did you mean" hints.
//!
//! The generated `FromStr` accepts exactly the spec's members; a person choosing a method to set
//! needs more: `unknownFutureValue` is a member but no user can be set to it, and the usual
//! mistakes (`Push`, `phone`, `authenticator`, `totp`) deserve the member that was meant. The CLI,
//! the bulk engine's targets files and the Python package all parse methods here, so they accept
//! and refuse the same values with the same words.

use crate::UserDefaultAuthenticationMethodType as Method;
use crate::error::{Error, MethodListProblem};
use crate::text::normalize_spelling;

impl Method {
    /// Whether a user can be set to this value: a member of the spec, other than the placeholder
    /// for future members.
    pub fn is_target(&self) -> bool {
        self.is_known() && *self != Method::UnknownFutureValue
    }

    /// The methods a user can be set to, in the spec's order.
    pub fn target_members() -> impl Iterator<Item = &'static str> {
        Method::MEMBERS
            .iter()
            .copied()
            .filter(|member| *member != Method::UnknownFutureValue.as_str())
    }

    /// `valid methods: push, oath, …`, the sentence every refusal ends with.
    pub fn valid_targets_sentence() -> String {
        format!(
            "valid methods: {}",
            Method::target_members().collect::<Vec<_>>().join(", ")
        )
    }

    /// Parses one method to set, strictly: exactly a member's wire spelling (surrounding
    /// whitespace aside), never the placeholder. The error lists the valid methods and, for common
    /// mistakes, names the right one.
    pub fn parse_target(value: &str) -> Result<Method, Error> {
        let trimmed = value.trim();
        if trimmed.is_empty() {
            return Err(Error::NoMethod);
        }
        let placeholder = || Error::PlaceholderMethod {
            value: trimmed.to_owned(),
        };
        if trimmed == Method::UnknownFutureValue.as_str() {
            return Err(placeholder());
        }
        if let Some(method) = trimmed.parse::<Method>().ok().filter(Method::is_target) {
            return Ok(method);
        }
        if trimmed.contains(',') {
            return Err(Error::ListInsteadOfMethod {
                value: trimmed.to_owned(),
            });
        }
        let normalized = normalize_spelling(trimmed);
        let case_insensitive_member = Method::MEMBERS
            .iter()
            .find(|member| member.to_ascii_lowercase() == normalized);
        if let Some(member) = case_insensitive_member {
            if *member == Method::UnknownFutureValue.as_str() {
                return Err(placeholder());
            }
            return Err(Error::MethodCase {
                value: trimmed.to_owned(),
                member,
            });
        }
        Err(Error::NotAMethod {
            value: trimmed.to_owned(),
            hint: hint_for(&normalized),
        })
    }

    /// Parses an ordered fallback list of methods such as `"push,oath"`: comma-separated, each
    /// one as [`parse_target`](Self::parse_target) reads it, none repeated, none empty, at least one.
    pub fn parse_target_list(value: &str) -> Result<Vec<Method>, Error> {
        if value.trim().is_empty() {
            return Err(Error::NoMethods);
        }
        let mut methods: Vec<Method> = Vec::new();
        let mut problems = Vec::new();
        for (index, item) in value.split(',').enumerate() {
            let position = index + 1;
            let item = item.trim();
            if item.is_empty() {
                problems.push(MethodListProblem::Empty { position });
                continue;
            }
            match Method::parse_target(item) {
                Ok(method) if methods.contains(&method) => {
                    problems.push(MethodListProblem::Repeated { position, method })
                }
                Ok(method) => methods.push(method),
                Err(error) => problems.push(MethodListProblem::Invalid { position, error }),
            }
        }
        if problems.is_empty() {
            Ok(methods)
        } else {
            Err(Error::MethodList {
                value: value.to_owned(),
                problems,
            })
        }
    }
}

/// What a common mistake (normalized by [`normalize_spelling`]) probably meant.
fn hint_for(normalized: &str) -> Option<&'static str> {
    let hint = match normalized {
        "phone" | "mobile" | "mobilephone" | "cell" | "cellphone" => {
            "did you mean \"sms\" (a text message) or \"voiceMobile\" (a call to the mobile phone)?"
        }
        "text" | "textmessage" | "smsotp" | "smssignin" => "did you mean \"sms\" (a text message)?",
        "voice" | "call" | "phonecall" | "voicecall" | "mobilecall" => {
            "did you mean \"voiceMobile\" (a call to the mobile phone)? \"voiceAlternateMobile\" and \"voiceOffice\" call the other phones"
        }
        "alternatemobile" | "alternatephone" | "alternatemobilephone" => {
            "did you mean \"voiceAlternateMobile\" (a call to the alternate mobile phone)?"
        }
        "office" | "officephone" | "work" | "workphone" => {
            "did you mean \"voiceOffice\" (a call to the office phone)?"
        }
        "authenticator"
        | "app"
        | "microsoftauthenticator"
        | "microsoftauthenticatorpush"
        | "authenticatorapp"
        | "notification"
        | "pushnotification" => "did you mean \"push\" (Microsoft Authenticator notification)?",
        "totp"
        | "otp"
        | "softwareoath"
        | "hardwareoath"
        | "code"
        | "verificationcode"
        | "softwareonetimepasscode"
        | "hardwareonetimepasscode"
        | "onetimepasscode" => {
            "did you mean \"oath\" (a one-time code from an authenticator app or token)?"
        }
        "fido2"
        | "passkey"
        | "email"
        | "password"
        | "temporaryaccesspass"
        | "tap"
        | "windowshelloforbusiness"
        | "x509certificate" => "that method cannot be a default MFA method",
        _ => return None,
    };
    Some(hint)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parse_method(value: &str) -> Result<Method, Error> {
        Method::parse_target(value)
    }

    fn parse_method_list(value: &str) -> Result<Vec<Method>, Error> {
        Method::parse_target_list(value)
    }

    fn assert_mentions(text: &str, fragments: &[&str]) {
        for fragment in fragments {
            assert!(text.contains(fragment), "expected {fragment:?} in:\n{text}");
        }
    }

    /// The methods a user can be set to, from the generated enum: every member but the placeholder.
    fn valid_methods() -> String {
        let members: Vec<&str> = Method::MEMBERS
            .iter()
            .copied()
            .filter(|member| Method::from_wire(member) != Method::UnknownFutureValue)
            .collect();
        format!("valid methods: {}", members.join(", "))
    }

    #[test]
    fn parse_method_accepts_exactly_the_target_members() {
        for (text, method) in [
            ("push", Method::Push),
            ("oath", Method::Oath),
            ("voiceMobile", Method::VoiceMobile),
            ("voiceAlternateMobile", Method::VoiceAlternateMobile),
            ("voiceOffice", Method::VoiceOffice),
            ("sms", Method::Sms),
            (" sms ", Method::Sms),
        ] {
            assert_eq!(parse_method(text), Ok(method), "{text}");
        }
    }

    #[test]
    fn parse_method_refuses_unknown_future_value_in_any_case() {
        for text in [
            "unknownFutureValue",
            "UnknownFutureValue",
            "unknown_future_value",
        ] {
            let message = parse_method(text).unwrap_err().to_string();
            assert_mentions(
                &message,
                &[
                    "placeholder",
                    "not a method a user can be set to",
                    "valid methods:",
                ],
            );
        }
    }

    #[test]
    fn parse_method_suggests_the_right_method_for_common_mistakes() {
        for (mistake, suggestion) in [
            ("phone", "\"sms\" (a text message) or \"voiceMobile\""),
            ("mobile", "\"sms\" (a text message) or \"voiceMobile\""),
            ("text", "did you mean \"sms\""),
            ("SMS", "did you mean \"sms\""),
            ("voice", "did you mean \"voiceMobile\""),
            ("call", "did you mean \"voiceMobile\""),
            ("authenticator", "did you mean \"push\""),
            ("app", "did you mean \"push\""),
            ("microsoftAuthenticator", "did you mean \"push\""),
            ("Push", "did you mean \"push\""),
            ("totp", "did you mean \"oath\""),
            ("otp", "did you mean \"oath\""),
            ("softwareOath", "did you mean \"oath\""),
            ("hardwareOath", "did you mean \"oath\""),
            ("office", "did you mean \"voiceOffice\""),
            ("VoiceMobile", "did you mean \"voiceMobile\""),
            (
                "VOICEALTERNATEMOBILE",
                "did you mean \"voiceAlternateMobile\"",
            ),
            ("voice-office", "did you mean \"voiceOffice\""),
            ("OATH", "did you mean \"oath\""),
        ] {
            let message = parse_method(mistake).unwrap_err().to_string();
            assert_mentions(
                &message,
                &[
                    &format!("\"{mistake}\" is not a method"),
                    suggestion,
                    &valid_methods(),
                ],
            );
            assert!(!message.contains("unknownFutureValue"), "{message}");
        }
    }

    #[test]
    fn parse_method_lists_the_valid_methods_for_anything_else() {
        assert_eq!(
            parse_method("carrier pigeon").unwrap_err().to_string(),
            format!("\"carrier pigeon\" is not a method; {}", valid_methods())
        );
        assert_mentions(
            &parse_method("").unwrap_err().to_string(),
            &["no method given", "valid methods:"],
        );
        assert_mentions(
            &parse_method("bad\u{1b}[31m").unwrap_err().to_string(),
            &["\"bad\\u{1b}[31m\""],
        );
    }

    #[test]
    fn parse_method_list_keeps_the_order() {
        assert_eq!(
            parse_method_list("push,oath"),
            Ok(vec![Method::Push, Method::Oath])
        );
        assert_eq!(
            parse_method_list(" sms , voiceMobile,push "),
            Ok(vec![Method::Sms, Method::VoiceMobile, Method::Push])
        );
        assert_eq!(parse_method_list("oath"), Ok(vec![Method::Oath]));
    }

    #[test]
    fn parse_method_list_refuses_empty_lists_items_duplicates_and_bad_members() {
        let message = |value: &str| parse_method_list(value).unwrap_err().to_string();
        assert_mentions(&message(""), &["no methods given", "valid methods:"]);
        assert_mentions(
            &message(" , "),
            &[
                "method 1 of the list is empty",
                "method 2 of the list is empty",
            ],
        );
        assert_mentions(&message("push,,oath"), &["method 2 of the list is empty"]);
        assert_mentions(&message("push,oath,"), &["method 3 of the list is empty"]);
        assert_mentions(
            &message("push,oath,push"),
            &["\"push\" is listed more than once (method 3)"],
        );
        assert_mentions(
            &message("push,Oath,unknownFutureValue"),
            &[
                "method 2: \"Oath\" is not a method",
                "did you mean \"oath\"",
                "method 3: \"unknownFutureValue\"",
            ],
        );
    }

    proptest! {
        #[test]
        fn parse_method_never_returns_a_non_target(text in "\\PC{0,30}") {
            if let Ok(method) = parse_method(&text) {
                prop_assert!(method.is_target());
                prop_assert!(Method::target_members().any(|member| member == method.as_str()));
                prop_assert_eq!(method.as_str(), text.trim());
            }
        }
    }
}
