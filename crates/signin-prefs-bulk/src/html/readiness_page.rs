//! Readiness's page: the tenant's counts (users per default method, phone defaults, who must
//! register, whom the policy keeps from push or OATH) as charts and a table, and the per-user
//! rows when the run kept them, for `readiness.html`.

use minijinja::value::Serde;
use minijinja::{Value, context};

use super::charts::BarChart;
use super::render::{render, script_json};
use super::table::TableRows;
use crate::Error;
use crate::readiness::Readiness;

/// The HTML page of `readiness`, with `users` (one row per user, in the per-user CSV's columns)
/// when the run kept them.
pub fn readiness_html(
    readiness: &Readiness,
    users: Option<&TableRows>,
    generated_at: &str,
) -> Result<String, Error> {
    let measures = readiness.measures();
    let by_method: Vec<(String, Vec<u64>)> = readiness
        .by_default_method
        .iter()
        .map(|(method, count)| (method.clone(), vec![*count]))
        .collect();
    // The counts past the per-method ones: what the retirement asks of each user.
    let concerns: Vec<(String, Vec<u64>)> = measures
        .iter()
        .filter(|measure| measure.name != "users" && !measure.name.starts_with("defaultMethod."))
        .map(|measure| (measure.label.trim().to_owned(), vec![measure.count]))
        .collect();
    let counts: std::collections::BTreeMap<&str, u64> = measures
        .iter()
        .map(|measure| (measure.name.as_str(), measure.count))
        .collect();
    let counts_json = serde_json::to_string(&counts).unwrap_or_default();
    render(
        "readiness.html",
        context! {
            title => "Readiness",
            generated_at => generated_at,
            policy_read => readiness.policy_read,
            measures => measures
                .iter()
                .map(|measure| context! {
                    label => measure.label.trim(),
                    part => measure.label.starts_with("  "),
                    name => &measure.name,
                    count => measure.count,
                })
                .collect::<Vec<_>>(),
            method_chart => Value::from(Serde(BarChart::new(&["users"], &by_method))),
            concern_chart => Value::from(Serde(BarChart::new(&["users"], &concerns))),
            counts_json => script_json(&counts_json),
            has_rows => users.is_some(),
            table_json => script_json(&users.map_or_else(
                || TableRows::readiness().to_json(),
                TableRows::to_json,
            )),
        },
    )
}
