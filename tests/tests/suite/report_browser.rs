//! The HTML report in a real browser (headless Chromium through ChromeDriver): the counts shown
//! are the JSON report's, the table filters and sorts, a hundred thousand rows stay responsive,
//! hostile names stay text, and the page asks for nothing over the network; the network check
//! itself is shown to catch a page that does.

use std::time::Instant;

use serde_json::{Value, json};
use signin_prefs_bulk::html::{apply_report_html, rollback_report_html, write_html};
use signin_prefs_bulk::journal::{self, JOURNAL_FORMAT, JournalKind, Record, Status};
use signin_prefs_bulk::plan::Preferences;

use crate::browser_support::{Browser, screenshot_path};
use crate::report_html::{applied_run, hostile_journal, json_counts, script_json};

/// The rows the page's table holds, as the page's JSON has them.
fn rows_of(html: &str) -> Vec<Vec<String>> {
    serde_json::from_value(script_json(html, "table-data")["rows"].clone()).unwrap()
}

/// Waits for the table to be drawn with `matches` rows matching, and returns the first cell of
/// each row shown.
async fn shown_users(browser: &Browser, matches: usize) -> Vec<String> {
    browser
        .wait_for(
            "return document.getElementById('users').dataset.matches === String(arguments[0]) || null;",
            json!(matches),
        )
        .await;
    let cells = browser
        .run(
            "return Array.from(document.querySelectorAll('#body tr')).map(tr => tr.cells[0].textContent);",
            Value::Null,
        )
        .await;
    serde_json::from_value(cells).unwrap()
}

#[tokio::test]
async fn chromium_shows_the_reports_counts_filters_sorts_and_fetches_nothing() {
    let Some(browser) = Browser::start("report").await else {
        return;
    };
    let (setup, _plan, plan_path, journal_path) = applied_run("browser-report").await;
    let state = journal::read(&journal_path).unwrap();
    let expected = json_counts(&plan_path, &state);
    let (html, _) = apply_report_html(&plan_path, &state, "now").unwrap();
    let page = setup.dir.join("report.html");
    write_html(&page, &html).unwrap();
    let rows = rows_of(&html);
    browser.open(&page).await;

    // The counts as shown, cell by cell, against the JSON report's.
    let shown = browser
        .run(
            "return Object.fromEntries(Array.from(document.querySelectorAll('[data-outcome]')).map(td => [td.dataset.outcome, Number(td.textContent)]));",
            Value::Null,
        )
        .await;
    for (outcome, count) in shown.as_object().unwrap() {
        assert_eq!(
            count.as_u64().unwrap(),
            expected.get(outcome).copied().unwrap_or(0),
            "{outcome}"
        );
    }
    assert_eq!(
        shown.as_object().unwrap().len(),
        signin_prefs_bulk::outcome::Outcome::ALL.len()
    );
    let total = browser
        .run(
            "return document.getElementById('users-total').textContent;",
            Value::Null,
        )
        .await;
    assert_eq!(total, json!(rows.len().to_string()));
    assert_eq!(
        shown_users(&browser, rows.len()).await.len(),
        rows.len().min(100)
    );

    // Sorted by user: the first shown is the least, letter case aside.
    browser.click("th[data-column='0']").await;
    let least = rows.iter().map(|row| row[0].to_lowercase()).min().unwrap();
    let first = shown_users(&browser, rows.len()).await[0].to_lowercase();
    assert_eq!(first, least);

    // Filtered by one user's name: exactly the rows holding it are left.
    let needle = rows[rows.len() / 2][0].clone();
    let holding: Vec<&Vec<String>> = rows
        .iter()
        .filter(|row| {
            row.iter()
                .any(|cell| cell.to_lowercase().contains(&needle.to_lowercase()))
        })
        .collect();
    assert!(holding.len() < rows.len());
    browser.type_into("#filter", &needle).await;
    let users = shown_users(&browser, holding.len()).await;
    let mut wanted: Vec<String> = holding.iter().map(|row| row[0].clone()).collect();
    wanted.sort_by_key(|user| user.to_lowercase());
    assert_eq!(users, wanted);

    browser.screenshot(&screenshot_path("report.png")).await;

    // Printed: no controls; the summary, charts and the rows on screen, with a line saying which.
    browser.emulate_print().await;
    let printed = browser
        .run(
            "const shown = (css) => getComputedStyle(document.querySelector(css)).display !== 'none';\
             return [shown('.controls'), shown('.pager'), shown('#outcome-counts'), \
                     shown('.bars'), shown('#table'), shown('#print-note'), \
                     document.getElementById('print-note').textContent];",
            Value::Null,
        )
        .await;
    let printed = printed.as_array().unwrap();
    assert_eq!(
        printed[..6],
        [false, false, true, true, true, true].map(Value::from)
    );
    let note = printed[6].as_str().unwrap();
    assert!(note.contains(&format!("of {}", holding.len())), "{note}");
    browser
        .screenshot(&screenshot_path("report-print.png"))
        .await;

    let requests = browser.requests().await;
    assert!(requests.is_empty(), "the page asked for {requests:?}");
    browser.quit().await;
}

#[tokio::test]
async fn the_network_check_catches_a_page_that_fetches() {
    let Some(browser) = Browser::start("bad-pages").await else {
        return;
    };
    let dir = crate::cli_scenarios::scratch("html-bad-pages");
    // A page with no policy of its own asks for an image.
    let plain = dir.join("plain.html");
    std::fs::write(
        &plain,
        "<!DOCTYPE html><p>hi</p><img src=\"https://example.invalid/x.png\">",
    )
    .unwrap();
    browser.open(&plain).await;
    let requests = browser.requests().await;
    assert!(
        requests.iter().any(|url| url.contains("example.invalid")),
        "{requests:?}"
    );
    // The report with an image slipped in: its policy refuses it, and the refusal fails too.
    let state = hostile_journal(&dir, "plan.json", "adele@contoso.com", "refused");
    let (html, _) = rollback_report_html(&state, "now").unwrap();
    let tampered = dir.join("tampered.html");
    std::fs::write(
        &tampered,
        html.replacen(
            "<body>",
            "<body><img src=\"https://example.invalid/y.png\">",
            1,
        ),
    )
    .unwrap();
    browser.open(&tampered).await;
    let requests = browser.requests().await;
    assert!(
        requests.iter().any(|line| line.contains("example.invalid")),
        "{requests:?}"
    );
    // And the untouched page asks for nothing.
    let clean = dir.join("clean.html");
    write_html(&clean, &html).unwrap();
    browser.open(&clean).await;
    assert_eq!(browser.requests().await, Vec::<String>::new());
    browser.quit().await;
}

#[tokio::test]
async fn hostile_names_stay_text_in_the_browser() {
    let Some(browser) = Browser::start("hostile").await else {
        return;
    };
    let dir = crate::cli_scenarios::scratch("html-hostile");
    let user = "<script>document.title='owned'</script><!--@contoso.com";
    let source = "</script><script>document.title='owned'</script>";
    let state = hostile_journal(&dir, source, user, "</SCRIPT><img src=x onerror=alert(1)>");
    let (html, _) = rollback_report_html(&state, "now").unwrap();
    let page = dir.join("hostile.html");
    write_html(&page, &html).unwrap();
    browser.open(&page).await;
    shown_users(&browser, 1).await;
    let seen = browser
        .run(
            "return [document.title, document.scripts.length, document.images.length, \
             document.querySelector('#body td').textContent, \
             document.querySelector('.facts dd').textContent];",
            Value::Null,
        )
        .await;
    assert_eq!(
        seen,
        json!(["Rollback report · signin-prefs", 3, 0, user, source])
    );
    assert_eq!(browser.requests().await, Vec::<String>::new());
    browser.quit().await;
}

/// A rollback journal of `users` users, written as a run writes one.
fn journal_of(dir: &std::path::Path, users: usize) -> std::path::PathBuf {
    let preferences = |method: &str| Preferences {
        method: Some(method.into()),
        system_preferred: Some(false),
    };
    let path = dir.join("large.journal.jsonl");
    let mut text = serde_json::to_string(&Record::Header {
        format: JOURNAL_FORMAT,
        kind: JournalKind::Rollback,
        source: "plan.json.journal.jsonl".into(),
        source_sha256: "00".into(),
        service: "https://graph.microsoft.com".into(),
        started_at: 1_700_000_000,
    })
    .unwrap();
    text.push('\n');
    for index in 0..users {
        let user = format!("user-{index:06}@contoso.com");
        for record in [
            Record::Attempt {
                user: user.clone(),
                batch: 1 + index as u64 / 20,
                before: preferences("push"),
                after: preferences(if index % 3 == 0 { "sms" } else { "voiceMobile" }),
            },
            Record::Outcome {
                user,
                batch: 1 + index as u64 / 20,
                status: if index % 50 == 0 {
                    Status::Failed
                } else {
                    Status::Applied
                },
                detail: None,
                request_id: None,
                retryable: None,
            },
        ] {
            text.push_str(&serde_json::to_string(&record).unwrap());
            text.push('\n');
        }
    }
    std::fs::write(&path, text).unwrap();
    path
}

/// 100,000 rows: the page loads and answers a filter, drawing a page of rows, not all of them.
/// The times are printed (BENCHMARKS.md), never asserted.
#[tokio::test]
async fn a_hundred_thousand_rows_load_and_filter() {
    const USERS: usize = 100_000;
    let Some(browser) = Browser::start("large").await else {
        return;
    };
    let dir = crate::cli_scenarios::scratch("html-large");
    let state = journal::read(&journal_of(&dir, USERS)).unwrap();
    let rendering = Instant::now();
    let (html, _) = rollback_report_html(&state, "now").unwrap();
    let rendered = rendering.elapsed();
    let page = dir.join("large.html");
    write_html(&page, &html).unwrap();
    let loading = Instant::now();
    browser.open(&page).await;
    assert!(shown_users(&browser, USERS).await.len() == 100);
    let loaded = loading.elapsed();
    // `user-0999` is in users 99,900 to 99,999; `-00999` in 999 alone.
    let filtering = Instant::now();
    browser.type_into("#filter", "user-0999").await;
    let shown = shown_users(&browser, 100).await;
    let filtered = filtering.elapsed();
    assert!(shown.iter().all(|user| user.starts_with("user-0999")));
    let rows = browser
        .run(
            "return document.querySelectorAll('#body tr').length;",
            Value::Null,
        )
        .await;
    assert_eq!(rows, json!(100));
    eprintln!(
        "html report, {USERS} rows: {} bytes, rendered in {} ms, loaded and drawn in {} ms, \
         filter typed and answered in {} ms",
        html.len(),
        rendered.as_millis(),
        loaded.as_millis(),
        filtered.as_millis()
    );
    assert!(browser.requests().await.is_empty());
    browser.quit().await;
}
