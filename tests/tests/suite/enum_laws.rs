//! Laws of the open enum: every spec member is exact, unknown values survive, strict parse is exact.

use proptest::prelude::*;
use signin_prefs_core::OpenEnum;
use signin_prefs_model::UserDefaultAuthenticationMethodType as Method;
use std::sync::LazyLock;

/// The members the spec lists, read from the spec file itself (independent of the generator), so
/// the laws hold for whatever members Microsoft's next description adds.
fn spec_members() -> &'static [&'static str] {
    static MEMBERS: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
        let spec = include_str!("../../../spec/graph-beta.openapi.yaml");
        let start = spec
            .find(&format!("{}:", Method::SPEC_NAME))
            .expect("the enum is in the spec");
        spec[start..]
            .lines()
            .skip_while(|line| !line.trim_start().starts_with("enum:"))
            .skip(1)
            .take_while(|line| line.trim_start().starts_with("- "))
            .map(|line| line.trim_start().trim_start_matches("- "))
            .collect()
    });
    &MEMBERS
}

#[test]
fn the_members_are_the_specs() {
    let members = spec_members();
    // Graph's evolvable enums end with the sentinel; Microsoft adds new members before it.
    assert!(members.len() > 1, "{members:?}");
    assert_eq!(members.last(), Some(&"unknownFutureValue"));
    assert_eq!(Method::MEMBERS, members);
}

#[test]
fn every_member_parses_strictly_and_serializes_back() {
    for member in spec_members() {
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
    // Mistakes no member can ever be: Graph's member names are identifiers (no spaces or dashes,
    // not empty), and one differing from a member only in case would clash with it.
    let first = spec_members()[0];
    let capitalised = format!("{}{}", first[..1].to_uppercase(), &first[1..]);
    let shouted = spec_members()[spec_members().len() - 2].to_uppercase();
    for mistake in [
        "phone call",
        "voice-mobile",
        "authenticator app",
        &capitalised,
        &shouted,
        "",
    ] {
        let message = mistake.parse::<Method>().unwrap_err().to_string();
        assert!(message.contains(&format!("{mistake:?}")), "{message}");
        assert!(
            message.contains("userDefaultAuthenticationMethodType"),
            "{message}"
        );
        assert!(message.contains(&spec_members().join(", ")), "{message}");
    }
}

proptest! {
    #[test]
    fn any_string_survives_a_round_trip(value in any::<String>()) {
        let read = Method::from_wire(&value);
        prop_assert_eq!(read.as_str(), value.as_str());
        prop_assert_eq!(read.is_known(), spec_members().contains(&value.as_str()));
        let json = serde_json::to_string(&read).unwrap();
        prop_assert_eq!(&json, &serde_json::to_string(&value).unwrap());
        prop_assert_eq!(serde_json::from_str::<Method>(&json).unwrap(), read);
    }

    #[test]
    fn strict_parse_accepts_exactly_the_members(value in prop_oneof![
        proptest::sample::select(spec_members()).prop_map(str::to_owned),
        any::<String>(),
    ]) {
        let strict = value.parse::<Method>();
        prop_assert_eq!(strict.is_ok(), spec_members().contains(&value.as_str()));
        if let Ok(parsed) = strict {
            prop_assert_eq!(parsed, Method::from_wire(&value));
        }
        prop_assert_eq!(signin_prefs_core::parse_strict::<Method>(&value).is_ok(), spec_members().contains(&value.as_str()));
        let via_trait = <Method as OpenEnum>::from_wire(&value);
        prop_assert_eq!(OpenEnum::as_str(&via_trait), value.as_str());
    }
}
