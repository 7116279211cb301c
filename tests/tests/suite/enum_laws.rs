//! Laws of the open enum: every spec member is exact, unknown values survive, strict parse is exact.

use proptest::prelude::*;
use signin_prefs_core::OpenEnum;
use signin_prefs_model::UserDefaultAuthenticationMethodType as Method;

const SPEC_MEMBERS: &[&str] = &[
    "push",
    "oath",
    "voiceMobile",
    "voiceAlternateMobile",
    "voiceOffice",
    "sms",
    "unknownFutureValue",
];

#[test]
fn the_members_are_the_specs() {
    // Independent of the generator: the spec's list, read from the spec file itself.
    let spec = include_str!("../../../spec/graph-beta.openapi.yaml");
    let start = spec
        .find("microsoft.graph.userDefaultAuthenticationMethodType:")
        .unwrap();
    let members: Vec<&str> = spec[start..]
        .lines()
        .skip_while(|line| !line.trim_start().starts_with("enum:"))
        .skip(1)
        .take_while(|line| line.trim_start().starts_with("- "))
        .map(|line| line.trim_start().trim_start_matches("- "))
        .collect();
    assert_eq!(members, SPEC_MEMBERS);
    assert_eq!(Method::MEMBERS, SPEC_MEMBERS);
}

#[test]
fn every_member_parses_strictly_and_serializes_back() {
    for member in SPEC_MEMBERS {
        let parsed: Method = member.parse().unwrap();
        assert!(parsed.is_known());
        assert_eq!(parsed.as_str(), *member);
        assert_eq!(parsed.to_string(), *member);
        let json = serde_json::to_string(&parsed).unwrap();
        assert_eq!(json, format!("\"{member}\""));
        assert_eq!(serde_json::from_str::<Method>(&json).unwrap(), parsed);
    }
}

#[test]
fn strict_parse_error_names_value_and_choices() {
    for mistake in ["phone", "voice", "authenticator", "Push", "SMS", ""] {
        let message = mistake.parse::<Method>().unwrap_err().to_string();
        assert!(message.contains(&format!("{mistake:?}")), "{message}");
        assert!(
            message.contains("userDefaultAuthenticationMethodType"),
            "{message}"
        );
        assert!(message.contains("push, oath, voiceMobile"), "{message}");
    }
}

proptest! {
    #[test]
    fn any_string_survives_a_round_trip(value in any::<String>()) {
        let read = Method::from_wire(&value);
        prop_assert_eq!(read.as_str(), value.as_str());
        prop_assert_eq!(read.is_known(), SPEC_MEMBERS.contains(&value.as_str()));
        let json = serde_json::to_string(&read).unwrap();
        prop_assert_eq!(&json, &serde_json::to_string(&value).unwrap());
        prop_assert_eq!(serde_json::from_str::<Method>(&json).unwrap(), read);
    }

    #[test]
    fn strict_parse_accepts_exactly_the_members(value in prop_oneof![
        proptest::sample::select(SPEC_MEMBERS).prop_map(str::to_owned),
        any::<String>(),
    ]) {
        let strict = value.parse::<Method>();
        prop_assert_eq!(strict.is_ok(), SPEC_MEMBERS.contains(&value.as_str()));
        if let Ok(parsed) = strict {
            prop_assert_eq!(parsed, Method::from_wire(&value));
        }
        prop_assert_eq!(signin_prefs_core::parse_strict::<Method>(&value).is_ok(), SPEC_MEMBERS.contains(&value.as_str()));
        let via_trait = <Method as OpenEnum>::from_wire(&value);
        prop_assert_eq!(OpenEnum::as_str(&via_trait), value.as_str());
    }
}
