//! The targets reader's tests: good and bad files in both formats, the problems' form, and laws.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use super::*;
use UserDefaultAuthenticationMethodType as Method;
use proptest::prelude::*;
use signin_prefs_request::UserKey;

const GUID_UPPER: &str = "3F2504E0-4F89-11D3-9A0C-0305E82C3301";

fn csv(text: &str) -> Result<Vec<Target>, InputErrors> {
    parse_targets("users.csv", text.as_bytes(), Format::Csv).map(|list| list.iter().collect())
}

fn json(text: &str) -> Result<Vec<Target>, InputErrors> {
    parse_targets("users.json", text.as_bytes(), Format::Json).map(|list| list.iter().collect())
}

fn csv_error(text: &str) -> String {
    csv(text)
        .expect_err("the file should be refused")
        .to_string()
}

fn json_error(text: &str) -> String {
    json(text)
        .expect_err("the file should be refused")
        .to_string()
}

fn user_names<'a>(targets: impl IntoIterator<Item = &'a Target>) -> Vec<&'a str> {
    targets
        .into_iter()
        .map(|target| target.user.as_str())
        .collect()
}

fn lines(targets: &[Target]) -> Vec<usize> {
    targets.iter().map(|target| target.line).collect()
}

fn assert_mentions(text: &str, fragments: &[&str]) {
    for fragment in fragments {
        assert!(text.contains(fragment), "expected {fragment:?} in:\n{text}");
    }
}

// ---- CSV: good files ----

#[test]
fn csv_reads_users_in_order_with_their_lines() {
    let targets = csv("user\nadele@contoso.com\nbob@contoso.com\n").unwrap();
    assert_eq!(
        user_names(&targets),
        ["adele@contoso.com", "bob@contoso.com"]
    );
    assert_eq!(lines(&targets), [2, 3]);
    assert!(targets.iter().all(|target| target.method.is_none()));
    assert!(
        targets
            .iter()
            .all(|target| target.system_preferred.is_none())
    );
}

#[test]
fn csv_accepts_every_user_column_name_in_any_case() {
    for name in [
        "user",
        "USER",
        "userPrincipalName",
        "UserPrincipalName",
        "upn",
        "Id",
        "objectid",
        "ObjectId",
    ] {
        let targets = csv(&format!("{name}\na@contoso.com\n")).unwrap();
        assert_eq!(user_names(&targets), ["a@contoso.com"], "column {name}");
    }
}

#[test]
fn csv_accepts_a_utf8_bom() {
    let targets = parse_targets(
        "users.csv",
        b"\xEF\xBB\xBFuserPrincipalName\r\na@contoso.com\r\n",
        Format::Csv,
    )
    .unwrap();
    assert_eq!(targets.users().collect::<Vec<_>>(), ["a@contoso.com"]);
}

#[test]
fn csv_accepts_crlf_and_lf_line_endings() {
    let crlf = csv("user,method\r\na@contoso.com,push\r\nb@contoso.com,sms\r\n").unwrap();
    let lf = csv("user,method\na@contoso.com,push\nb@contoso.com,sms").unwrap();
    assert_eq!(crlf, lf);
    assert_eq!(crlf[1].method, Some(Method::Sms));
    assert_eq!(lines(&crlf), [2, 3]);
}

#[test]
fn csv_skips_blank_lines_and_keeps_true_line_numbers() {
    let targets =
        csv("\n\nuser,method\n\na@contoso.com,push\r\n\r\n,\n  \t\nb@contoso.com,\n \n").unwrap();
    assert_eq!(user_names(&targets), ["a@contoso.com", "b@contoso.com"]);
    assert_eq!(lines(&targets), [5, 9]);
}

#[test]
fn csv_skips_spaces_and_empty_excel_rows_above_the_header() {
    let targets = csv("  \r\n,,\r\n\t\r\nuser,method\r\na@x.com,push\r\n").unwrap();
    assert_eq!(user_names(&targets), ["a@x.com"]);
    assert_eq!(lines(&targets), [5]);
    assert_mentions(
        &csv_error(",,\nuser,method\nb@x.com,push,extra\n"),
        &["users.csv:3: this row has 3 field(s) but the header has 2"],
    );
}

#[test]
fn csv_trims_whitespace_around_names_and_values() {
    let targets =
        csv(" user , method ,systemPreferred\n  a@contoso.com\t,  oath , yes \n").unwrap();
    assert_eq!(user_names(&targets), ["a@contoso.com"]);
    assert_eq!(targets[0].method, Some(Method::Oath));
    assert_eq!(targets[0].system_preferred, Some(true));
}

#[test]
fn csv_reads_quoted_values_including_commas_as_one_field() {
    let targets = csv("\"user\",\"method\"\n\" a@contoso.com \",\"push\"\n").unwrap();
    assert_eq!(user_names(&targets), ["a@contoso.com"]);
    // The comma stays inside the field: the row is not split, the user is refused by name.
    let message = csv_error("user,method\n\"Smith,John\",push\n");
    assert_mentions(&message, &["users.csv:2: user \"Smith,John\"", "','"]);
    assert!(!message.contains("field(s)"), "{message}");
    // A quoted method list is one field too, refused with a pointed message.
    let message = csv_error("user,method\na@contoso.com,\"push,oath\"\n");
    assert_mentions(
        &message,
        &[
            "users.csv:2: method \"push,oath\"",
            "give exactly one method",
        ],
    );
}

#[test]
fn csv_quoted_line_break_keeps_later_line_numbers_right() {
    let message = csv_error("user\n\"a@contoso.com\nb@contoso.com\"\nc@@contoso.com\n");
    assert_mentions(
        &message,
        &["users.csv:2: user", "users.csv:4: user \"c@@contoso.com\""],
    );
}

#[test]
fn csv_accepts_guests_apostrophes_non_ascii_and_upper_case_guids() {
    let text = format!(
        "user\nadele_adatum.com#EXT#@contoso.onmicrosoft.com\no'brien@contoso.com\nJosé.Müller@bücher.de\n山田@例え.jp\n{GUID_UPPER}\n3f2504e0-4f89-11d3-9a0c-0305e82c3302\n"
    );
    let targets = csv(&text).unwrap();
    assert_eq!(
        user_names(&targets),
        [
            "adele_adatum.com#EXT#@contoso.onmicrosoft.com",
            "o'brien@contoso.com",
            "José.Müller@bücher.de",
            "山田@例え.jp",
            GUID_UPPER,
            "3f2504e0-4f89-11d3-9a0c-0305e82c3302",
        ]
    );
}

#[test]
fn csv_reads_method_and_every_system_preferred_spelling() {
    let targets = csv(
        "upn,method,systemPreferred\n\
         a@x.com,push,on\nb@x.com,oath,OFF\nc@x.com,voiceMobile,true\nd@x.com,voiceAlternateMobile,False\n\
         e@x.com,voiceOffice,yes\nf@x.com,sms,No\ng@x.com,push,1\nh@x.com,push,0\ni@x.com,,\n",
    )
    .unwrap();
    let methods: Vec<Option<Method>> = targets.iter().map(|t| t.method.clone()).collect();
    assert_eq!(
        methods,
        [
            Some(Method::Push),
            Some(Method::Oath),
            Some(Method::VoiceMobile),
            Some(Method::VoiceAlternateMobile),
            Some(Method::VoiceOffice),
            Some(Method::Sms),
            Some(Method::Push),
            Some(Method::Push),
            None,
        ]
    );
    let flags: Vec<Option<bool>> = targets.iter().map(|t| t.system_preferred).collect();
    assert_eq!(
        flags,
        [
            Some(true),
            Some(false),
            Some(true),
            Some(false),
            Some(true),
            Some(false),
            Some(true),
            Some(false),
            None
        ]
    );
}

#[test]
fn csv_columns_may_come_in_any_order() {
    let targets = csv("systemPreferred,method,objectId\noff,sms,a@x.com\n").unwrap();
    assert_eq!(
        targets,
        [Target {
            user: "a@x.com".to_owned(),
            line: 2,
            method: Some(Method::Sms),
            system_preferred: Some(false),
        }]
    );
}

// ---- CSV: bad files ----

#[test]
fn csv_without_a_header_is_refused_with_a_hint() {
    let message = csv_error("a@contoso.com\nb@contoso.com\n");
    assert_mentions(
        &message,
        &[
            "users.csv:1",
            "no user column",
            "userPrincipalName",
            "add a header line",
        ],
    );
}

#[test]
fn csv_with_two_user_columns_is_refused() {
    let message = csv_error("upn,id\na@x.com,b@x.com\n");
    assert_mentions(
        &message,
        &["users.csv:1", "more than one user column (upn, id)"],
    );
}

#[test]
fn csv_unknown_column_is_refused_and_a_typo_gets_a_suggestion() {
    let message = csv_error("user,methdo\na@x.com,push\n");
    assert_mentions(
        &message,
        &[
            "users.csv:1: methdo",
            "unknown column",
            "did you mean \"method\"",
        ],
    );
    let message = csv_error(
        "user,userPreferredMethodForSecondaryAuthentication,displayName\na@x.com,push,A\n",
    );
    assert_mentions(
        &message,
        &[
            "userPreferredMethodForSecondaryAuthentication: unknown column; did you mean \"method\"",
            "displayName: unknown column",
        ],
    );
    let message = csv_error("email\na@x.com\n");
    assert_mentions(&message, &["email: unknown column", "userPrincipalName"]);
}

#[test]
fn csv_repeated_or_unnamed_columns_are_refused() {
    assert_mentions(
        &csv_error("user,method,METHOD\na@x.com,push,sms\n"),
        &["users.csv:1: METHOD: this column appears more than once"],
    );
    assert_mentions(
        &csv_error("user,\na@x.com,\n"),
        &["users.csv:1: column 2 of the header has no name"],
    );
}

#[test]
fn csv_row_with_the_wrong_number_of_fields_names_its_line_and_reading_goes_on() {
    let message = csv_error("user,method\na@x.com,push,extra\nb@x.com\nc@@x.com,push\n");
    assert_mentions(
        &message,
        &[
            "users.csv:2: this row has 3 field(s) but the header has 2",
            "users.csv:3: this row has 1 field(s) but the header has 2",
            "users.csv:4: user \"c@@x.com\"",
        ],
    );
}

#[test]
fn csv_with_no_users_is_refused() {
    for empty in ["", "\n\n", "\u{feff}", "  \r\n"] {
        assert_mentions(
            &csv_error(empty),
            &["users.csv: no users: the file is empty"],
        );
    }
    for header_only in ["user", "user,method\r\n", "user\n\n,\n"] {
        assert_mentions(
            &csv_error(header_only),
            &["users.csv: no users: the file has a header row but no user rows"],
        );
    }
}

#[test]
fn csv_invalid_utf8_names_line_and_column() {
    // "José" saved as Windows-1252, as Excel's plain "CSV" does.
    let error =
        parse_targets("users.csv", b"user\nJos\xE9@contoso.com\n", Format::Csv).unwrap_err();
    assert_mentions(
        &error.to_string(),
        &[
            "users.csv:2: user \"Jos\u{FFFD}@contoso.com\"",
            "not valid UTF-8",
            "CSV UTF-8",
        ],
    );
    let error = parse_targets("users.csv", b"us\xFFer\na@x.com\n", Format::Csv).unwrap_err();
    assert_mentions(
        &error.to_string(),
        &["users.csv:1", "column name is not valid UTF-8"],
    );
}

#[test]
fn csv_invalid_users_name_file_line_column_and_value() {
    let text = "userPrincipalName\n\
                adele\n\
                a@b@contoso.com\n\
                @contoso.com\n\
                adele@\n\
                adele@contoso\n\
                adele@contoso..com\n\
                \"ade le@contoso.com\"\n\
                \"adele\u{7}@contoso.com\"\n\
                <adele@contoso.com>\n\
                \"a,b\"\n";
    let message = csv_error(text);
    assert_mentions(
        &message,
        &[
            "users.csv:2: userPrincipalName \"adele\": this is neither an object id",
            "users.csv:3: userPrincipalName \"a@b@contoso.com\": a user principal name has exactly one '@' (found 2)",
            "users.csv:4: userPrincipalName \"@contoso.com\": the user principal name has nothing before the '@'",
            "users.csv:5: userPrincipalName \"adele@\": the user principal name has no domain",
            "users.csv:6: userPrincipalName \"adele@contoso\": the domain \"contoso\" has no dot",
            "users.csv:7: userPrincipalName \"adele@contoso..com\": the domain",
            "users.csv:8: userPrincipalName \"ade le@contoso.com\": a user cannot contain whitespace (found a space)",
            "users.csv:9: userPrincipalName \"adele\\u{7}@contoso.com\": a user cannot contain control characters (found U+0007)",
            "users.csv:10: userPrincipalName \"<adele@contoso.com>\": a user cannot contain '<'",
            "users.csv:11: userPrincipalName \"a,b\": a user cannot contain ','",
        ],
    );
    assert_eq!(message.lines().count(), 10, "{message}");
}

#[test]
fn csv_empty_user_with_other_values_is_refused() {
    assert_mentions(
        &csv_error("user,method\n,push\n"),
        &["users.csv:2: user \"\": the user is empty"],
    );
}

#[test]
fn csv_stray_quote_before_a_value_is_explained() {
    assert_mentions(
        &csv_error("user\n \"a@x.com\"\n"),
        &["users.csv:2: user", "quote must come right after the comma"],
    );
}

#[test]
fn csv_invalid_method_names_the_value_and_suggests() {
    let message = csv_error(
        "user,method\na@x.com,Push\nb@x.com,phone\nc@x.com,unknownFutureValue\nd@x.com,fido2\n",
    );
    assert_mentions(
        &message,
        &[
            "users.csv:2: method \"Push\": \"Push\" is not a method (method names are case-sensitive); did you mean \"push\"?",
            "users.csv:3: method \"phone\"",
            "\"sms\" (a text message) or \"voiceMobile\"",
            "users.csv:4: method \"unknownFutureValue\"",
            "placeholder",
            "users.csv:5: method \"fido2\"",
            "cannot be a default MFA method",
            &Method::valid_targets_sentence(),
        ],
    );
}

#[test]
fn csv_invalid_system_preferred_names_the_value() {
    assert_mentions(
        &csv_error("user,systemPreferred\na@x.com,enabled\n"),
        &[
            "users.csv:2: systemPreferred \"enabled\": not a yes/no value; use on, off, true, false, yes, no, 1 or 0",
        ],
    );
}

#[test]
fn csv_duplicate_users_are_refused_naming_both_lines_whatever_the_case() {
    let text = format!(
        "user\nAdele@Contoso.com\nbob@contoso.com\nadele@contoso.COM\n{GUID_UPPER}\n{}\n",
        GUID_UPPER.to_lowercase()
    );
    let message = csv_error(&text);
    assert_mentions(
        &message,
        &[
            "users.csv:4: user \"adele@contoso.COM\": duplicate user: also on line 2 (as \"Adele@Contoso.com\")",
            "users.csv:6: user \"3f2504e0-4f89-11d3-9a0c-0305e82c3301\": duplicate user: also on line 5",
        ],
    );
}

#[test]
fn csv_exact_duplicate_names_both_lines() {
    assert_mentions(
        &csv_error("user\na@x.com\na@x.com\n"),
        &["users.csv:3: user \"a@x.com\": duplicate user: also on line 2; list each user once"],
    );
}

#[test]
fn csv_reports_every_problem_sorted_by_line_and_yields_no_targets() {
    let error =
        csv("user,method,systemPreferred\na@x.com,bogus,maybe\nfine@x.com,push,on\nbad,,\n")
            .unwrap_err();
    let found: Vec<(usize, Option<&str>)> = error
        .problems
        .iter()
        .map(|problem| (problem.line, problem.field.as_deref()))
        .collect();
    assert_eq!(
        found,
        [
            (2, Some("method")),
            (2, Some("systemPreferred")),
            (4, Some("user"))
        ]
    );
    assert!(
        error
            .problems
            .iter()
            .all(|problem| problem.source == "users.csv")
    );
    assert_eq!(error.problems[0].value.as_deref(), Some("bogus"));
    assert_eq!(error.to_string().lines().count(), 3);
}

// ---- JSON ----

#[test]
fn json_reads_an_array_of_strings_with_item_numbers() {
    let targets = json(&format!("[\"a@x.com\", \" {GUID_UPPER} \"]")).unwrap();
    assert_eq!(user_names(&targets), ["a@x.com", GUID_UPPER]);
    assert_eq!(lines(&targets), [1, 2]);
}

#[test]
fn json_reads_objects_and_the_users_wrapper() {
    let text = r#"{"users": [
        {"userPrincipalName": "a@x.com", "method": "oath", "systemPreferred": false},
        {"id": "3f2504e0-4f89-11d3-9a0c-0305e82c3301", "systemPreferred": "on", "method": null},
        "o'brien@x.com",
        {"UPN": "adele_adatum.com#EXT#@contoso.onmicrosoft.com", "method": ""}
    ]}"#;
    let targets = json(text).unwrap();
    assert_eq!(
        targets,
        [
            Target {
                user: "a@x.com".to_owned(),
                line: 1,
                method: Some(Method::Oath),
                system_preferred: Some(false)
            },
            Target {
                user: "3f2504e0-4f89-11d3-9a0c-0305e82c3301".to_owned(),
                line: 2,
                method: None,
                system_preferred: Some(true)
            },
            Target {
                user: "o'brien@x.com".to_owned(),
                line: 3,
                method: None,
                system_preferred: None
            },
            Target {
                user: "adele_adatum.com#EXT#@contoso.onmicrosoft.com".to_owned(),
                line: 4,
                method: None,
                system_preferred: None
            },
        ]
    );
}

#[test]
fn json_accepts_a_bom() {
    let targets = parse_targets("users.json", b"\xEF\xBB\xBF[\"a@x.com\"]", Format::Json).unwrap();
    assert_eq!(targets.users().collect::<Vec<_>>(), ["a@x.com"]);
}

#[test]
fn json_syntax_error_names_the_file_line() {
    assert_mentions(
        &json_error("[\n\"a@x.com\",\n\"b@x.com\"\n"),
        &["users.json:4: not valid JSON"],
    );
    assert_mentions(
        &json_error("[\"a@x.com\",]"),
        &["users.json:1: not valid JSON"],
    );
}

#[test]
fn json_invalid_utf8_names_the_line() {
    let error = parse_targets(
        "users.json",
        b"[\n\"a@x.com\",\n\"Jos\xE9@x.com\"]",
        Format::Json,
    )
    .unwrap_err();
    assert_mentions(
        &error.to_string(),
        &["users.json:3: this text is not valid UTF-8"],
    );
}

#[test]
fn json_problems_name_the_item_field_and_value() {
    let text = r#"[
        {"user": "a@x.com", "methdo": "push"},
        {"user": 42},
        7,
        {"method": "push"},
        {"user": "b@x.com", "upn": "c@x.com"},
        {"user": "d@x.com", "method": "Voice Mobile", "systemPreferred": 1},
        {"user": "e@x.com", "method": ["push"]},
        {"user": "f@x.com", "systemPreferred": "sometimes"},
        "g@"
    ]"#;
    let message = json_error(text);
    assert_mentions(
        &message,
        &[
            "users.json: item 1: methdo: unknown field; did you mean \"method\"",
            "users.json: item 2: user \"42\": a user must be a string",
            "users.json: item 3: \"7\": a user must be a string",
            "users.json: item 4: no user field",
            "users.json: item 5: more than one user field (upn, user)",
            "users.json: item 6: method \"Voice Mobile\"",
            "did you mean \"voiceMobile\"",
            "users.json: item 6: systemPreferred \"1\": must be true or false",
            "users.json: item 7: method \"[\\\"push\\\"]\": a method must be a string",
            "users.json: item 8: systemPreferred \"sometimes\": not a yes/no value",
            "users.json: item 9: user \"g@\"",
        ],
    );
}

#[test]
fn json_duplicates_name_both_items() {
    assert_mentions(
        &json_error(r#"["a@x.com", {"user": "b@x.com"}, {"upn": "A@X.com"}]"#),
        &["users.json: item 3: upn \"A@X.com\": duplicate user: also on item 1 (as \"a@x.com\")"],
    );
}

#[test]
fn json_with_no_users_or_the_wrong_shape_is_refused() {
    assert_mentions(
        &json_error(""),
        &["users.json: no users: the file is empty"],
    );
    assert_mentions(
        &json_error(" \n"),
        &["users.json: no users: the file is empty"],
    );
    assert_mentions(
        &json_error("[]"),
        &["users.json: no users: the list of users is empty"],
    );
    assert_mentions(&json_error(r#"{"users": []}"#), &["users.json: no users"]);
    assert_mentions(&json_error("{}"), &["users.json: no \"users\" field"]);
    assert_mentions(
        &json_error(r#"{"users": "a@x.com"}"#),
        &["users.json: users \"\\\"a@x.com\\\"\": not an array"],
    );
    assert_mentions(
        &json_error(r#"{"users": ["a@x.com"], "method": "push"}"#),
        &["users.json: method: unknown field at the top level"],
    );
    assert_mentions(
        &json_error("\"a@x.com\""),
        &["users.json: \"\\\"a@x.com\\\"\": expected an array of users"],
    );
}

// ---- read_targets ----

fn temp_file(name: &str, contents: &[u8]) -> std::path::PathBuf {
    let directory =
        std::env::temp_dir().join(format!("signin-prefs-targets-{}", std::process::id()));
    std::fs::create_dir_all(&directory).unwrap();
    let path = directory.join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

#[test]
fn read_targets_chooses_the_format_by_extension_then_by_content() {
    let by_extension_csv = temp_file("list.CSV", b"user\na@x.com\n");
    let by_extension_json = temp_file("list.Json", b"[\"a@x.com\"]");
    let sniffed_json = temp_file("list.txt", b"\xEF\xBB\xBF \n {\"users\": [\"a@x.com\"]}");
    let sniffed_csv = temp_file("list", b"user\na@x.com\n");
    for path in [
        &by_extension_csv,
        &by_extension_json,
        &sniffed_json,
        &sniffed_csv,
    ] {
        let targets = read_targets(path).unwrap();
        assert_eq!(
            targets.users().collect::<Vec<_>>(),
            ["a@x.com"],
            "{}",
            path.display()
        );
    }
    // A JSON-looking file named .csv is read as CSV, as its name says.
    let misnamed = temp_file("misnamed.csv", b"[\"a@x.com\"]");
    assert_mentions(
        &read_targets(&misnamed).unwrap_err().to_string(),
        &["misnamed.csv:1", "no user column"],
    );
    let _ = std::fs::remove_dir_all(misnamed.parent().unwrap());
}

#[test]
fn read_targets_names_a_file_it_cannot_read() {
    let missing = std::env::temp_dir().join("signin-prefs-targets-does-not-exist.csv");
    let error = read_targets(&missing).unwrap_err();
    assert_eq!(error.problems.len(), 1);
    assert_eq!(error.problems[0].line_kind, LineKind::WholeFile);
    assert_mentions(
        &error.to_string(),
        &["signin-prefs-targets-does-not-exist.csv: cannot read the file"],
    );
}

// ---- Display ----

#[test]
fn display_escapes_control_characters_and_cuts_long_values() {
    let long_user = format!("{}@", "x".repeat(500));
    let error = csv(&format!(
        "user\n\"evil\u{1b}]0;title\u{7}@x.com\"\n{long_user}\n"
    ))
    .unwrap_err();
    let text = error.to_string();
    assert!(
        !text.chars().any(|c| c.is_control() && c != '\n'),
        "{text:?}"
    );
    assert_mentions(&text, &["evil\\u{1b}]0;title\\u{7}@x.com", "…"]);
    assert_eq!(error.problems[1].value.as_deref(), Some(long_user.as_str()));
    assert!(text.len() < 1000, "{text}");
}

#[test]
fn display_uses_the_path_line_form_one_line_per_problem() {
    // The valid methods, from the generated enum: every member but the placeholder, in spec order.
    let valid_methods: Vec<&str> = Method::MEMBERS
        .iter()
        .copied()
        .filter(|member| Method::from_wire(member) != Method::UnknownFutureValue)
        .collect();
    assert_eq!(
        csv_error("user,method\na@x.com,Push\nb@x.com,push,on\n"),
        format!(
            "users.csv:2: method \"Push\": \"Push\" is not a method (method names are case-sensitive); did you mean \"push\"? valid methods: {}\n\
             users.csv:3: this row has 3 field(s) but the header has 2; quote values that contain commas",
            valid_methods.join(", ")
        )
    );
    assert_eq!(
        json_error(r#"["a@x.com", 7]"#),
        "users.json: item 2: \"7\": a user must be a string (an object id or user principal name) or an object such as {\"user\": \"...\", \"method\": \"push\"}"
    );
    assert_eq!(
        csv_error("user\n"),
        "users.csv: no users: the file has a header row but no user rows"
    );
}

#[test]
fn input_errors_are_std_errors() {
    fn takes_error(_: &dyn std::error::Error) {}
    takes_error(&csv("").unwrap_err());
}

// ---- Laws ----

/// The methods a user can be set to, from the generated enum (a member the spec adds joins them).
fn target_methods() -> Vec<Method> {
    Method::target_members().map(Method::from_wire).collect()
}

fn guid() -> impl Strategy<Value = String> {
    "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
}

fn upn() -> impl Strategy<Value = String> {
    let local = "[a-zA-Z0-9'._!#^~éøü山-]{1,16}";
    let domain = "[a-z0-9ü-]{1,10}(\\.[a-z0-9-]{1,8}){1,3}";
    let guest = any::<bool>();
    (local, domain, guest).prop_map(|(local, domain, guest)| {
        if guest {
            format!("{local}_{domain}#EXT#@contoso.onmicrosoft.com")
        } else {
            format!("{local}@{domain}")
        }
    })
}

fn valid_user() -> impl Strategy<Value = String> {
    prop_oneof![1 => guid(), 3 => upn()]
}

/// Users that differ case-insensitively, in the order first generated.
fn distinct_users(max: usize) -> impl Strategy<Value = Vec<String>> {
    proptest::collection::vec(valid_user(), 1..max).prop_map(|users| {
        let mut seen = std::collections::HashSet::new();
        users
            .into_iter()
            .filter(|user| seen.insert(user.to_lowercase()))
            .collect()
    })
}

#[derive(Debug, Clone)]
struct CellStyle {
    quoted: bool,
    left_pad: String,
    right_pad: String,
}

fn cell_style() -> impl Strategy<Value = CellStyle> {
    (any::<bool>(), "[ \t]{0,3}", "[ \t]{0,3}").prop_map(|(quoted, left_pad, right_pad)| {
        CellStyle {
            quoted,
            left_pad,
            right_pad,
        }
    })
}

fn write_cell(text: &str, style: &CellStyle) -> String {
    let padded = format!("{}{text}{}", style.left_pad, style.right_pad);
    if style.quoted {
        format!("\"{}\"", padded.replace('"', "\"\""))
    } else {
        padded
    }
}

#[derive(Debug, Clone)]
struct FileStyle {
    bom: bool,
    crlf: bool,
    header_name: &'static str,
    header_upper: bool,
    with_method: bool,
    method_first: bool,
    trailing_newline: bool,
    /// Blank-looking lines above the header: whitespace and the `,,` of an empty Excel row.
    lines_above_header: Vec<String>,
}

fn file_style() -> impl Strategy<Value = FileStyle> {
    (
        any::<bool>(),
        any::<bool>(),
        proptest::sample::select(USER_COLUMN_NAMES),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        proptest::collection::vec("[ \t,]{0,3}", 0..3),
    )
        .prop_map(
            |(
                bom,
                crlf,
                header_name,
                header_upper,
                with_method,
                method_first,
                trailing_newline,
                lines_above_header,
            )| FileStyle {
                bom,
                crlf,
                header_name,
                header_upper,
                with_method,
                method_first,
                trailing_newline,
                lines_above_header,
            },
        )
}

#[derive(Debug, Clone)]
struct RowStyle {
    user_cell: CellStyle,
    method_cell: CellStyle,
    method: Option<usize>,
    /// Lines of nothing but whitespace above the row.
    blank_lines_before: Vec<String>,
}

fn row_style() -> impl Strategy<Value = RowStyle> {
    (
        cell_style(),
        cell_style(),
        proptest::option::of(0..target_methods().len()),
        proptest::collection::vec("[ \t]{0,2}", 0..3),
    )
        .prop_map(
            |(user_cell, method_cell, method, blank_lines_before)| RowStyle {
                user_cell,
                method_cell,
                method,
                blank_lines_before,
            },
        )
}

/// Writes `users` as a CSV in `style`; returns the bytes and the expected targets.
fn write_csv(users: &[String], style: &FileStyle, rows: &[RowStyle]) -> (Vec<u8>, Vec<Target>) {
    let newline = if style.crlf { "\r\n" } else { "\n" };
    let header_name = if style.header_upper {
        style.header_name.to_uppercase()
    } else {
        style.header_name.to_owned()
    };
    let mut lines_written: Vec<String> = style.lines_above_header.clone();
    lines_written.push(match (style.with_method, style.method_first) {
        (false, _) => header_name,
        (true, false) => format!("{header_name},method"),
        (true, true) => format!("method,{header_name}"),
    });
    let mut expected = Vec::new();
    for (user, row) in users.iter().zip(rows.iter().cycle()) {
        lines_written.extend(row.blank_lines_before.iter().cloned());
        let user_cell = write_cell(user, &row.user_cell);
        let method = row
            .method
            .filter(|_| style.with_method)
            .map(|index| target_methods()[index].clone());
        let method_cell = write_cell(method.as_ref().map_or("", Method::as_str), &row.method_cell);
        lines_written.push(match (style.with_method, style.method_first) {
            (false, _) => user_cell,
            (true, false) => format!("{user_cell},{method_cell}"),
            (true, true) => format!("{method_cell},{user_cell}"),
        });
        expected.push(Target {
            user: user.clone(),
            line: lines_written.len(),
            method,
            system_preferred: None,
        });
    }
    let mut text = lines_written.join(newline);
    if style.trailing_newline {
        text.push_str(newline);
    }
    let mut bytes = Vec::new();
    if style.bom {
        bytes.extend_from_slice(UTF8_BOM);
    }
    bytes.extend_from_slice(text.as_bytes());
    (bytes, expected)
}

/// `text` with the ASCII letters chosen by `flips` in the other case: the same user to Entra.
fn flip_case(text: &str, flips: &[bool]) -> String {
    text.chars()
        .zip(flips.iter().cycle())
        .map(
            |(c, flip)| match (flip, c.is_ascii_lowercase(), c.is_ascii_uppercase()) {
                (true, true, _) => c.to_ascii_uppercase(),
                (true, _, true) => c.to_ascii_lowercase(),
                _ => c,
            },
        )
        .collect()
}

proptest! {
    #[test]
    fn any_bytes_never_panic_and_problems_name_the_source(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        for format in [Format::Csv, Format::Json] {
            if let Err(error) = parse_targets("in.txt", &bytes, format) {
                prop_assert!(!error.problems.is_empty());
                prop_assert!(error.problems.iter().all(|problem| problem.source == "in.txt" && !problem.message.is_empty()));
                let _ = error.to_string();
            }
        }
    }

    #[test]
    fn csv_and_json_like_text_never_panics(text in "[a-zA-Z@.,;\"'{}\\[\\]:0-9 \t\r\n\u{feff}é#\\\\-]{0,300}") {
        for format in [Format::Csv, Format::Json] {
            match parse_targets("in.txt", text.as_bytes(), format) {
                Ok(targets) => {
                    prop_assert!(!targets.is_empty());
                    prop_assert!(targets.iter().all(|target| UserKey::parse(&target.user).is_ok()));
                }
                Err(error) => prop_assert!(!error.to_string().is_empty()),
            }
        }
    }

    #[test]
    fn valid_users_written_as_csv_read_back_in_order(
        users in distinct_users(30),
        style in file_style(),
        rows in proptest::collection::vec(row_style(), 1..8),
    ) {
        let (bytes, expected) = write_csv(&users, &style, &rows);
        let targets = parse_targets("users.csv", &bytes, Format::Csv).map(|list| list.iter().collect());
        prop_assert_eq!(targets, Ok(expected), "file: {:?}", String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn valid_users_written_as_json_read_back_in_order(users in distinct_users(30), wrapped in any::<bool>()) {
        let list = serde_json::to_string(&users).unwrap();
        let text = if wrapped { format!("{{\"users\": {list}}}") } else { list };
        let targets = json(&text).unwrap();
        prop_assert_eq!(users.iter().map(String::as_str).collect::<Vec<_>>(), user_names(&targets));
        prop_assert_eq!(lines(&targets), (1..=users.len()).collect::<Vec<_>>());
    }

    #[test]
    fn duplicates_are_always_detected(
        users in distinct_users(20),
        original in any::<proptest::sample::Index>(),
        insert_at in any::<proptest::sample::Index>(),
        flips in proptest::collection::vec(any::<bool>(), 1..8),
        odata in any::<bool>(),
    ) {
        // The copy differs in letter case, and may be written in OData's key form `users('…')`:
        // either way it is the same key, and the problem shows the key it stands for.
        let original_user = &users[original.index(users.len())];
        let copy = flip_case(original_user, &flips);
        let written = if odata { format!("users('{}')", copy.replace('\'', "''")) } else { copy.clone() };
        let at = insert_at.index(users.len() + 1);
        let mut with_copy = users.clone();
        with_copy.insert(at, copy);
        let mut as_written = users.clone();
        as_written.insert(at, written);
        let positions: Vec<usize> = with_copy
            .iter()
            .enumerate()
            .filter(|(_, user)| user.to_lowercase() == original_user.to_lowercase())
            .map(|(index, _)| index)
            .collect();
        prop_assert_eq!(positions.len(), 2);
        let (first, second) = (positions[0], positions[1]);

        let csv_text = format!("user\n{}\n", as_written.join("\n"));
        let error = csv(&csv_text).unwrap_err();
        prop_assert_eq!(error.problems.len(), 1, "{}", error);
        prop_assert_eq!(error.problems[0].line, second + 2);
        prop_assert_eq!(error.problems[0].value.as_deref(), Some(with_copy[second].as_str()));
        let expected_csv_fragment = format!("duplicate user: also on line {}", first + 2);
        prop_assert!(error.problems[0].message.contains(&expected_csv_fragment), "{}", error);

        let error = json(&serde_json::to_string(&as_written).unwrap()).unwrap_err();
        prop_assert_eq!(error.problems.len(), 1, "{}", error);
        prop_assert_eq!(error.problems[0].line, second + 1);
        prop_assert_eq!(error.problems[0].line_kind, LineKind::ArrayItem);
        let expected_json_fragment = format!("duplicate user: also on item {}", first + 1);
        prop_assert!(error.problems[0].message.contains(&expected_json_fragment), "{}", error);
    }
}
