//! The HTML report (issue 16, item 1): rendered from a real run against the emulator, its counts
//! are the JSON report's, its file is owner-only and never replaces one, it names nothing to
//! fetch, a journal without timing says so, and no text a user's name or a journal holds can
//! become markup or leave the script element the rows are in.

use std::collections::BTreeMap;
use std::path::Path;

use proptest::prelude::*;
use signin_prefs_bulk::apply::{RunOptions, apply};
use signin_prefs_bulk::html::{
    apply_report_html, check_html_path, rollback_report_html, write_html,
};
use signin_prefs_bulk::journal::{self, JournalState};
use signin_prefs_bulk::plan::Plan;
use signin_prefs_bulk::report_stream::{ReportFormat, write_apply_report};
use signin_prefs_emulator::{FaultKind, FaultRoute, FaultRule};

use crate::bulk_scenarios::{Setup, planned, quiet, setup, sms_to_push};
use crate::cli_scenarios::run_cli;

/// An applied, verified run whose first `$batch`es met a 503 with `Retry-After` (a throttled
/// answer, waited out and sent again): its plan, and the paths of the plan and journal.
pub(crate) async fn applied_run(
    name: &str,
) -> (Setup, Plan, std::path::PathBuf, std::path::PathBuf) {
    let setup = setup(name, quiet()).await;
    let (plan, plan_path) = planned(&setup, &sms_to_push(Vec::new())).await;
    setup.emulator.add_fault(
        FaultRule::always(
            FaultRoute::PatchSignInPreferences,
            FaultKind::ServiceUnavailable {
                retry_after_seconds: 0,
            },
        )
        .times(2),
    );
    let journal_path = setup.dir.join("plan.json.journal.jsonl");
    let options = RunOptions {
        verify: true,
        ..RunOptions::default()
    };
    apply(
        &setup.client,
        &plan_path,
        &journal_path,
        false,
        &options,
        &mut |_| {},
    )
    .await
    .unwrap();
    (setup, plan, plan_path, journal_path)
}

/// The text of the `<script type="application/json">` element with `id`, as JSON.
pub(crate) fn script_json(html: &str, id: &str) -> serde_json::Value {
    let open = format!("<script type=\"application/json\" id=\"{id}\">");
    let start = html
        .find(&open)
        .unwrap_or_else(|| panic!("no {id} in the page"))
        + open.len();
    let end = start + html[start..].find("</script>").unwrap();
    serde_json::from_str(&html[start..end]).unwrap()
}

/// The JSON report's counts of the run.
pub(crate) fn json_counts(plan_path: &Path, state: &JournalState) -> BTreeMap<String, u64> {
    let mut json = Vec::new();
    write_apply_report(plan_path, state, ReportFormat::Json, &mut json).unwrap();
    let report: serde_json::Value = serde_json::from_slice(&json).unwrap();
    serde_json::from_value(report["counts"].clone()).unwrap()
}

/// Text the template engine escaped, read back as a browser would read it.
fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#x2f;", "/")
        .replace("&amp;", "&")
}

/// Every `src=`, `href=`, `url(` and `@import` in the page's markup, style and script (the JSON
/// data elements' text is inert, never fetched): none may name anything to fetch.
fn fetches(html: &str) -> Vec<String> {
    let mut lower = html.to_ascii_lowercase();
    let open = "<script type=\"application/json\"";
    let mut from = 0;
    while let Some(at) = lower[from..].find(open) {
        let start = from + at + open.len();
        let end = start + lower[start..].find("</script>").unwrap();
        lower.replace_range(start..end, ">");
        from = start + 1;
    }
    ["src=", "href=", "url(", "@import", "srcset=", "action="]
        .iter()
        .flat_map(|needle| {
            lower
                .match_indices(needle)
                .map(|(at, _)| lower[at..(at + 60).min(lower.len())].to_owned())
        })
        .filter(|attribute| !attribute.contains("data:"))
        .collect()
}

#[tokio::test]
async fn the_pages_counts_are_the_json_reports_and_its_file_is_owner_only() {
    let (setup, _plan, plan_path, journal_path) = applied_run("html-counts").await;
    let state = journal::read(&journal_path).unwrap();
    let expected = json_counts(&plan_path, &state);
    let (html, tally) = apply_report_html(&plan_path, &state, "now").unwrap();
    let embedded: BTreeMap<String, u64> =
        serde_json::from_value(script_json(&html, "counts-data")).unwrap();
    assert_eq!(embedded, expected);
    assert_eq!(
        tally
            .counts
            .iter()
            .map(|(k, v)| (k.clone(), *v as u64))
            .collect::<BTreeMap<_, _>>(),
        expected
    );
    // Every outcome the report knows is shown, with the JSON report's count (0 when absent).
    for outcome in signin_prefs_bulk::outcome::Outcome::ALL {
        let cell = format!(
            "data-outcome=\"{}\">{}<",
            outcome.name(),
            expected.get(outcome.name()).copied().unwrap_or(0)
        );
        assert!(html.contains(&cell), "{cell} is not in the page");
    }
    // One table row per report row, in the report's columns.
    let table = script_json(&html, "table-data");
    let users: u64 = expected.values().sum();
    assert_eq!(table["rows"].as_array().unwrap().len() as u64, users);
    assert_eq!(table["columns"][0], "user");
    // The pace: every PATCH sent counted, the 503s met counted as throttled and retried.
    assert!(!state.pace.is_empty());
    let applied = expected.get("applied").copied().unwrap_or(0);
    let writes: u64 = state.pace.iter().map(|batch| u64::from(batch.writes)).sum();
    assert_eq!(
        writes, applied,
        "each change sent once, as the journal's pace has it"
    );
    let throttled: u64 = state
        .pace
        .iter()
        .map(|batch| u64::from(batch.throttled))
        .sum();
    assert_eq!(throttled, 2, "the two 503s with Retry-After");
    assert!(html.contains(&format!("<dd data-count=\"{throttled}\">")));
    assert!(fetches(&html).is_empty(), "{:?}", fetches(&html));

    let page = setup.dir.join("report.html");
    write_html(&page, &html).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&page).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "owner-only");
    }
    let before = std::fs::read(&page).unwrap();
    let refused = check_html_path(&page).unwrap_err().to_string();
    assert!(refused.contains("already exists"), "{refused}");
    assert!(write_html(&page, "replaced").is_err());
    assert_eq!(std::fs::read(&page).unwrap(), before, "never replaced");
}

#[tokio::test]
async fn a_journal_without_timing_gives_a_page_that_says_so() {
    let (_setup, _plan, plan_path, journal_path) = applied_run("html-no-pace").await;
    // A journal as the tool wrote them before it recorded each batch's pace.
    let text = std::fs::read_to_string(&journal_path).unwrap();
    let old: String = text
        .lines()
        .filter(|line| !line.contains("\"record\":\"pace\""))
        .map(|line| format!("{line}\n"))
        .collect();
    assert_ne!(old, text);
    std::fs::write(&journal_path, old).unwrap();
    let state = journal::read(&journal_path).unwrap();
    assert!(state.pace.is_empty());
    let (html, _) = apply_report_html(&plan_path, &state, "now").unwrap();
    assert!(html.contains("id=\"no-pace\""));
    assert!(!html.contains("id=\"pace-facts\""));
    let embedded: BTreeMap<String, u64> =
        serde_json::from_value(script_json(&html, "counts-data")).unwrap();
    assert_eq!(embedded, json_counts(&plan_path, &state));
}

#[tokio::test]
async fn the_binary_writes_the_page_beside_the_journal_and_never_replaces_it() {
    let (setup, _plan, _plan_path, journal_path) = applied_run("html-cli").await;
    let base = setup.emulator.base_url();
    let journal = journal_path.to_str().unwrap();
    let (code, stdout, stderr) = run_cli(&base, "unused", &["report", journal, "--output", "html"]);
    assert_eq!(code, Some(0), "{stderr}");
    let page = format!("{journal}.html");
    assert_eq!(stdout.trim(), page);
    assert!(
        std::fs::read_to_string(&page)
            .unwrap()
            .contains("<h1>Apply report</h1>")
    );
    let (code, _, stderr) = run_cli(&base, "unused", &["report", journal, "--output", "html"]);
    assert_eq!(code, Some(2), "an existing page is bad input: {stderr}");
    assert!(stderr.contains("already exists"), "{stderr}");
    let elsewhere = setup.dir.join("elsewhere.html");
    let (code, stdout, _) = run_cli(
        &base,
        "unused",
        &[
            "report",
            journal,
            "--output",
            "html",
            "--out",
            elsewhere.to_str().unwrap(),
        ],
    );
    assert_eq!(
        (code, stdout.trim()),
        (Some(0), elsewhere.to_str().unwrap())
    );
    let (code, _, stderr) = run_cli(&base, "unused", &["report", journal, "--out", "x.html"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("--output html"), "{stderr}");
    // Readiness has no file to put its page beside: --out is asked for before anything is read.
    let (code, _, stderr) = run_cli(&base, "unused", &["readiness", "--output", "html"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("--out FILE"), "{stderr}");
}

/// A rollback journal, written as a run writes one, whose plan path and one user are `source`
/// and `user`, the user's failure reading `detail`.
pub(crate) fn hostile_journal(dir: &Path, source: &str, user: &str, detail: &str) -> JournalState {
    use signin_prefs_bulk::journal::{JOURNAL_FORMAT, JournalKind, Record, Status};
    use signin_prefs_bulk::plan::Preferences;
    let preferences = |method: &str| Preferences {
        method: Some(method.into()),
        system_preferred: Some(false),
    };
    let records = [
        Record::Header {
            format: JOURNAL_FORMAT,
            kind: JournalKind::Rollback,
            source: source.into(),
            source_sha256: "00".into(),
            service: "https://graph.microsoft.com".into(),
            started_at: 1_700_000_000,
        },
        Record::Attempt {
            user: user.into(),
            batch: 1,
            before: preferences("push"),
            after: preferences("sms"),
        },
        Record::Outcome {
            user: user.into(),
            batch: 1,
            status: Status::Failed,
            detail: Some(detail.into()),
            request_id: None,
            retryable: Some(false),
        },
    ];
    let mut text = String::new();
    for record in &records {
        text.push_str(&serde_json::to_string(record).unwrap());
        text.push('\n');
    }
    let path = dir.join("hostile.journal.jsonl");
    std::fs::write(&path, text).unwrap();
    journal::read(&path).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Whatever a journal's plan path, a user's principal name or a failure's detail holds
    /// (`<script>`, `</script>`, `<!--`, quotes, ampersands, any character), the page shows it
    /// as that text: in the markup, escaped and read back to itself; in the rows' script
    /// element, unable to close it and parsed back to itself; and it adds no element.
    #[test]
    fn untrusted_text_reads_back_as_itself_and_adds_no_markup(
        source in prop_oneof![".{0,40}", Just("</script><script>alert(1)</script><!--".to_owned())],
        user in prop_oneof!["[^\n]{1,40}", Just("<script>alert(1)</script>@contoso.com".to_owned())],
        detail in prop_oneof![".{0,40}", Just("</SCRIPT ><img src=https://x.invalid/>".to_owned())],
    ) {
        let source = source.replace('\n', " ");
        let detail = detail.replace('\n', " ");
        let dir = std::env::temp_dir().join(format!("signin-prefs-html-law-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let state = hostile_journal(&dir, &source, &user, &detail);
        let (html, _) = rollback_report_html(&state, "now").unwrap();
        // The plan path, as markup text.
        let label = "<dt>Apply journal rolled back</dt><dd>";
        let start = html.find(label).unwrap() + label.len();
        let end = start + html[start..].find("</dd>").unwrap();
        prop_assert_eq!(unescape(&html[start..end]), source.clone());
        // The rows, as JSON in their element.
        let table = script_json(&html, "table-data");
        let row = &table["rows"][0];
        prop_assert_eq!(row[0].as_str().unwrap(), user.as_str());
        prop_assert_eq!(row[8].as_str().unwrap(), detail.as_str());
        // The page's elements are its own: three scripts, one style, nothing fetched.
        let lower = html.to_ascii_lowercase();
        prop_assert_eq!(lower.matches("<script").count(), 3);
        prop_assert_eq!(lower.matches("</script").count(), 3);
        prop_assert_eq!(lower.matches("<!--").count(), 0);
        prop_assert_eq!(lower.matches("<img").count(), 0);
        prop_assert!(fetches(&html).is_empty(), "{:?}", fetches(&html));
    }
}

#[tokio::test]
async fn readiness_page_counts_are_its_csvs_and_it_lists_every_user() {
    let (emulator, token) = crate::cli_scenarios::emulator().await;
    let base = emulator.base_url();
    let dir = crate::cli_scenarios::scratch("html-readiness");
    let page = dir.join("readiness.html");
    let page_arg = page.to_str().unwrap();
    let (code, stdout, stderr) = run_cli(
        &base,
        &token,
        &["readiness", "--output", "html", "--out", page_arg],
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(stdout.trim(), page_arg);
    let (code, csv, stderr) = run_cli(&base, &token, &["readiness", "--output", "csv"]);
    assert_eq!(code, Some(0), "{stderr}");
    let expected: BTreeMap<String, u64> = csv
        .lines()
        .skip(1)
        .map(|line| {
            let (name, count) = line.split_once(',').unwrap();
            (name.to_owned(), count.parse().unwrap())
        })
        .collect();
    let html = std::fs::read_to_string(&page).unwrap();
    let embedded: BTreeMap<String, u64> =
        serde_json::from_value(script_json(&html, "counts-data")).unwrap();
    assert_eq!(embedded, expected);
    for (name, count) in &expected {
        assert!(
            html.contains(&format!("data-measure=\"{name}\">{count}<")),
            "{name}"
        );
    }
    let table = script_json(&html, "table-data");
    assert_eq!(
        table["rows"].as_array().unwrap().len() as u64,
        expected["users"]
    );
    assert_eq!(
        table["columns"],
        serde_json::json!(signin_prefs_bulk::readiness_csv::USERS_CSV_HEADER)
    );
    assert!(fetches(&html).is_empty(), "{:?}", fetches(&html));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&page).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "owner-only");
    }
    // A page already there is refused before anything is read, and left as it was.
    let (code, _, stderr) = run_cli(
        &base,
        &token,
        &["readiness", "--output", "html", "--out", page_arg],
    );
    assert_eq!(code, Some(2), "{stderr}");
    assert_eq!(std::fs::read_to_string(&page).unwrap(), html);
}
