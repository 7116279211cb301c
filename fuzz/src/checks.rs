//! What each fuzz target runs on one input, and the properties it asserts beyond "no panic".
//!
//! Shared by the libFuzzer targets (`fuzz/fuzz_targets/*.rs`, nightly features via cargo fuzz) and
//! by the stable test suite (`tests/tests/suite/fuzz_regressions.rs` includes this file), which
//! replays every committed corpus file and crash reproducer through the same functions. A failed
//! property panics, which is how both libFuzzer and the test harness learn of it.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;
use serde::de::DeserializeOwned;
use signin_prefs_bulk::journal::{self, Record, UserEntry};
use signin_prefs_bulk::plan::Plan;
use signin_prefs_bulk::targets::{Format, parse_targets};
use signin_prefs_client::{parse_batch_response, parse_retry_after};
use signin_prefs_model::{
    AnyAuthenticationMethod, AuthenticationMethodCollectionResponse, ODataError, SignInPreferences,
    SignInPreferencesPatch, User, UserCollectionResponse,
    UserRegistrationDetailsCollectionResponse,
};
use signin_prefs_request::{
    GetSignInPreference, ListMethod, Operation, UpdateSignInPreference, UserKey,
};

/// What a target runs on one input.
pub(crate) type Check = fn(&[u8]);

/// The fuzz targets by name, each with its check: the names of `fuzz/corpus/<name>/`.
pub(crate) const TARGETS: &[(&str, Check)] = &[
    ("model_json", model_json),
    ("error_envelope", error_envelope),
    ("batch_response", batch_response),
    ("plan_json", plan_json),
    ("targets_file", targets_file),
    ("user_key_path", user_key_path),
    ("retry_after", retry_after),
    ("journal", journal),
];

/// Reads `bytes` as `T`; what reads must write back and read again as the same value (reads keep
/// unknown properties and enum members, and give them back unchanged).
fn round_trip<T>(bytes: &[u8])
where
    T: DeserializeOwned + Serialize + PartialEq + std::fmt::Debug,
{
    let Ok(value) = serde_json::from_slice::<T>(bytes) else {
        return;
    };
    let written = serde_json::to_vec(&value).expect("a value read must serialize");
    let again: T = serde_json::from_slice(&written).unwrap_or_else(|error| {
        panic!(
            "{} written as {} does not read back: {error}",
            std::any::type_name::<T>(),
            String::from_utf8_lossy(&written)
        )
    });
    assert_eq!(
        again,
        value,
        "{} changed in a round trip",
        std::any::type_name::<T>()
    );
}

/// Model deserialization: the first byte picks the type, the rest is its JSON. Each type read
/// must round-trip; the strict patch too. Then the same bytes through the operations' decoders.
pub(crate) fn model_json(data: &[u8]) {
    let Some((&selector, json)) = data.split_first() else {
        return;
    };
    match selector % 8 {
        0 => round_trip::<SignInPreferences>(json),
        1 => round_trip::<SignInPreferencesPatch>(json),
        2 => round_trip::<AnyAuthenticationMethod>(json),
        3 => round_trip::<UserCollectionResponse>(json),
        4 => round_trip::<AuthenticationMethodCollectionResponse>(json),
        5 => round_trip::<UserRegistrationDetailsCollectionResponse>(json),
        6 => round_trip::<User>(json),
        _ => {
            let _ = GetSignInPreference::decode_response(200, json);
            let _ = ListMethod::decode_response(200, json);
            let _ = UpdateSignInPreference::decode_response(204, json);
        }
    }
}

/// The error envelope: read as `ODataError` (its accessors must not panic), and as the body of an
/// error response of each status the first two bytes give; the error must display.
pub(crate) fn error_envelope(data: &[u8]) {
    let (status, body) = match data {
        [high, low, rest @ ..] => (u16::from_be_bytes([*high, *low]), rest),
        _ => (500, data),
    };
    if let Ok(envelope) = serde_json::from_slice::<ODataError>(body) {
        let _ = (
            envelope.code(),
            envelope.message(),
            envelope.inner_error(),
            envelope.request_id(),
            envelope.client_request_id(),
            envelope.date(),
        );
        let _ = format!("{envelope:?}");
    }
    for result in [
        GetSignInPreference::decode_response(status, body).map(|_| ()),
        UpdateSignInPreference::decode_response(status, body).map(|_| ()),
    ] {
        if let Err(error) = result {
            let _ = format!("{error} {error:?}");
        }
    }
}

/// A `$batch` response as the client reads it: the answers, then per answer what the client does
/// with it (its id, its headers as text, its `Retry-After`, its body decoded by the operation).
pub(crate) fn batch_response(data: &[u8]) {
    let Ok(answers) = parse_batch_response(data) else {
        return;
    };
    let now = UNIX_EPOCH + Duration::from_secs(1_767_225_600);
    for answer in answers {
        let _ = answer.id.to_ascii_lowercase();
        for (name, value) in &answer.headers {
            let text = value
                .as_str()
                .map_or_else(|| value.to_string(), str::to_owned);
            if name.eq_ignore_ascii_case("retry-after") {
                let _ = parse_retry_after(&text, now);
            }
        }
        let body = match &answer.body {
            None | Some(serde_json::Value::Null) => Vec::new(),
            Some(value) => serde_json::to_vec(value).expect("a JSON value must serialize"),
        };
        match GetSignInPreference::decode_response(answer.status, &body) {
            Ok(preferences) => {
                serde_json::to_vec(&preferences).expect("a value read must serialize");
            }
            Err(error) => {
                let _ = format!("{error}");
            }
        }
    }
}

/// A plan file: read, checked as `apply` checks it; a plan that reads must write and read back
/// the same.
pub(crate) fn plan_json(data: &[u8]) {
    let Ok(plan) = serde_json::from_slice::<Plan>(data) else {
        return;
    };
    let _ = plan.check();
    let written = plan.to_json();
    let again: Plan = serde_json::from_str(&written)
        .unwrap_or_else(|error| panic!("a plan written as {written} does not read back: {error}"));
    assert_eq!(again, plan, "a plan changed in a round trip");
}

/// A targets file, in the format `read_targets` would pick for a file without an extension
/// (JSON when the first non-space character after any BOM opens an array or object, else CSV).
/// Every target accepted must be a valid user key that builds a request.
pub(crate) fn targets_file(data: &[u8]) {
    let unmarked = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data);
    let format = match unmarked.iter().find(|byte| !byte.is_ascii_whitespace()) {
        Some(b'[' | b'{') => Format::Json,
        _ => Format::Csv,
    };
    match parse_targets("fuzz.input", data, format) {
        Ok(targets) => {
            for target in targets.iter() {
                assert!(
                    UserKey::parse(&target.user).is_ok(),
                    "accepted an invalid user {:?}",
                    target.user
                );
                assert!(
                    GetSignInPreference::new(target.user.clone())
                        .to_request()
                        .is_ok(),
                    "accepted a user {:?} that builds no request",
                    target.user
                );
            }
        }
        Err(errors) => {
            assert!(!errors.problems.is_empty(), "an error with no problem");
            let _ = format!("{errors}");
        }
    }
}

/// Decodes `%XX` escapes (the only escapes a built path has).
fn percent_decode(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while let Some(&byte) = bytes.get(index) {
        let escape = (byte == b'%')
            .then(|| bytes.get(index + 1..index + 3))
            .flatten()
            .and_then(|hex| u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok());
        match escape {
            Some(decoded) => {
                out.push(decoded);
                index += 3;
            }
            None => {
                out.push(byte);
                index += 1;
            }
        }
    }
    out
}

/// A user key (any UTF-8) becomes exactly one path segment (or OData's `users('…')` form): a
/// real URL parser sees the same host, the same fixed segments, no query, no fragment, and the
/// key decodes back to itself.
pub(crate) fn user_key_path(data: &[u8]) {
    let Ok(key) = std::str::from_utf8(data) else {
        return;
    };
    let request = match GetSignInPreference::new(key).to_request() {
        Ok(request) => request,
        Err(error) => {
            assert!(key.is_empty(), "refused the key {key:?}: {error}");
            return;
        }
    };
    let path = request.path_and_query();
    assert!(path.is_ascii(), "{path} is not ASCII");
    let url = url::Url::parse(&format!("https://graph.microsoft.com{path}"))
        .unwrap_or_else(|error| panic!("{path} does not parse: {error}"));
    assert_eq!(url.host_str(), Some("graph.microsoft.com"), "{path}");
    assert_eq!(url.query(), None, "{path}");
    assert_eq!(url.fragment(), None, "{path}");
    let segments: Vec<&str> = url.path_segments().expect("a path").collect();
    let decoded = match segments.as_slice() {
        [
            "beta",
            "users",
            encoded,
            "authentication",
            "signInPreferences",
        ] => percent_decode(encoded),
        ["beta", keyed, "authentication", "signInPreferences"] => {
            let literal = keyed
                .strip_prefix("users('")
                .and_then(|rest| rest.strip_suffix("')"))
                .unwrap_or_else(|| panic!("{path}: {keyed} is not users('…')"));
            let inner = String::from_utf8(percent_decode(literal)).expect("UTF-8 key");
            let unquoted = inner.replace("''", "'");
            assert_eq!(
                unquoted.replace('\'', "''"),
                inner,
                "{path}: a lone quote in the literal"
            );
            unquoted.into_bytes()
        }
        _ => panic!("{path}: the key is not exactly one segment ({segments:?})"),
    };
    assert_eq!(decoded, key.as_bytes(), "{path} does not decode to the key");

    let mut builder = signin_prefs_request::PathBuilder::new("/beta");
    builder.push_literal("users");
    builder.push_key("user-id", key).expect("a non-empty key");
    builder.push_literal("authentication");
    builder.push_literal("signInPreferences");
    assert_eq!(
        builder.finish(),
        path,
        "PathBuilder and the operation disagree"
    );
    let _ = UserKey::parse(key);
}

/// `Retry-After`: the first eight bytes are "now" (seconds since the epoch, bounded), the rest the
/// header value. Never panics; numeric values are capped at a year.
pub(crate) fn retry_after(data: &[u8]) {
    let (now_bytes, value) = match data {
        [a, b, c, d, e, f, g, h, rest @ ..] => ([*a, *b, *c, *d, *e, *f, *g, *h], rest),
        _ => ([0; 8], data),
    };
    // Up to the year 10,000, past which `httpdate` does not go.
    let now = UNIX_EPOCH + Duration::from_secs(u64::from_le_bytes(now_bytes) % 253_402_300_800);
    let Ok(value) = std::str::from_utf8(value) else {
        return;
    };
    let parsed = parse_retry_after(value, now);
    let trimmed = value.trim();
    if !trimmed.is_empty()
        && trimmed.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && let Some(wait) = parsed
    {
        assert!(
            wait <= Duration::from_secs(86_400 * 365),
            "{value:?} gave {wait:?}"
        );
    }
    let _ = parse_retry_after(value, SystemTime::now());
}

/// A journal, read from its bytes as `apply`, `rollback`, `report` and a resume read its file.
/// One that reads ends its intact part where its last whole line ends, and is torn exactly when
/// bytes follow; that part read alone is the same journal, untorn; and each user's entry is what
/// a plain fold of the intact lines' records gives (the last attempt, the outcome, read-back and
/// run since), in first-seen order: the compact table loses and mixes up nothing.
pub(crate) fn journal(data: &[u8]) {
    let name = std::path::Path::new("fuzz.journal.jsonl");
    let Ok(state) = journal::read_from(name, data) else {
        return;
    };
    let intact = usize::try_from(state.intact_len).unwrap_or(usize::MAX);
    let Some(whole_lines) = data.get(..intact) else {
        panic!(
            "the intact part ends at {intact}, past the {} bytes",
            data.len()
        );
    };
    assert_eq!(
        state.torn_tail,
        intact < data.len(),
        "torn exactly when bytes follow the last line"
    );
    let untorn = journal::read_from(name, whole_lines)
        .unwrap_or_else(|error| panic!("the intact part alone does not read: {error}"));
    let mut expected = state.clone();
    expected.torn_tail = false;
    assert_eq!(untorn, expected, "the intact part alone reads differently");

    // Users are one user in any letter case, as Entra has it: the first spelling names them.
    let mut order: Vec<(String, String)> = Vec::new();
    let mut entries: std::collections::HashMap<String, UserEntry> =
        std::collections::HashMap::new();
    let mut runs = 1;
    let mut pace = Vec::new();
    for line in whole_lines.split(|byte| *byte == b'\n').skip(1) {
        if line.is_empty() {
            continue;
        }
        let record: Record = serde_json::from_slice(line)
            .unwrap_or_else(|error| panic!("a line the reader took does not read: {error}"));
        let mut entry_of = |user: &str| {
            let key = user.to_lowercase();
            if !entries.contains_key(&key) {
                order.push((key.clone(), user.to_owned()));
            }
            entries.entry(key).or_default().clone()
        };
        let (user, entry) = match record {
            Record::Resumed { .. } => {
                runs += 1;
                continue;
            }
            Record::Pace(batch) => {
                pace.push(batch);
                continue;
            }
            Record::Attempt {
                user,
                before,
                after,
                ..
            } => {
                entry_of(&user);
                let entry = UserEntry {
                    attempt: Some((before, after)),
                    ..UserEntry::default()
                };
                (user, entry)
            }
            Record::Outcome {
                user,
                status,
                detail,
                request_id,
                retryable,
                ..
            } => {
                let entry = UserEntry {
                    outcome: Some((status, detail, request_id)),
                    retryable,
                    run: runs,
                    ..entry_of(&user)
                };
                (user, entry)
            }
            Record::Verified { user, ok, observed } => {
                let entry = UserEntry {
                    verified: Some((ok, observed)),
                    unverified: None,
                    ..entry_of(&user)
                };
                (user, entry)
            }
            Record::Unverified { user, detail } => {
                let entry = UserEntry {
                    verified: None,
                    unverified: Some(detail),
                    ..entry_of(&user)
                };
                (user, entry)
            }
            _ => continue,
        };
        entries.insert(user.to_lowercase(), entry);
    }
    assert_eq!(
        state.pace, pace,
        "the pace differs from the pace records in order"
    );
    assert_eq!(
        state.run_starts.len(),
        usize::try_from(runs).unwrap_or(usize::MAX),
        "one start per run"
    );
    let folded: Vec<(&str, UserEntry)> = state.users().collect();
    let plain: Vec<(&str, UserEntry)> = order
        .iter()
        .map(|(key, user)| (user.as_str(), entries.get(key).cloned().unwrap_or_default()))
        .collect();
    assert_eq!(
        folded, plain,
        "the journal's users differ from a plain fold of its records"
    );
    for (user, entry) in &folded {
        assert_eq!(
            state.user(user).as_ref(),
            Some(entry),
            "{user} is not found by its key"
        );
    }
}
