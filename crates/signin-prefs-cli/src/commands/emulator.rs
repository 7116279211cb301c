//! `signin-prefs emulator`: a local Graph for signInPreferences, started from its options.
//!
//! The default app's secret comes from `SIGNIN_PREFS_EMULATOR_CLIENT_SECRET`, from
//! `--client-secret-file`, or is generated and printed; never from an argument `ps` would show.

use std::io::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use signin_prefs_emulator::{
    ConfiguredError, DeviceCodeApproval, EmulatorBuilder, FaultKind, FaultRoute, FaultRule, Limit,
    ReportUnsetDefault, RetryAfterFormat, ThrottleConfig,
};

use super::emulator_banner::{self as banner, SecretSource};
use crate::error::Error;

/// Environment variable holding the default app's client secret.
const SECRET_VARIABLE: &str = "SIGNIN_PREFS_EMULATOR_CLIENT_SECRET";

/// Options of `signin-prefs emulator`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Port on 127.0.0.1 (0: any free port).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Number of seeded users.
    #[arg(long, default_value_t = 100, conflicts_with = "users_file")]
    users: usize,
    /// A JSON file with the users instead of seeded ones.
    #[arg(long)]
    users_file: Option<PathBuf>,
    /// Seed for users, ids and fault decisions.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// A file holding the default app's client secret.
    #[arg(long)]
    client_secret_file: Option<PathBuf>,
    /// Emulated seconds per real second for throttling windows.
    #[arg(long, default_value_t = 1.0)]
    time_scale: f64,
    /// Turn throttling off.
    #[arg(long)]
    no_throttle: bool,
    /// Reads per app and tenant per 10 s (default: the identity quota for the tenant's size,
    /// 3,500 under 50 users, 5,000 up to 500, 8,000 above or with a users file).
    #[arg(long)]
    reads_per_10s: Option<u32>,
    /// Writes per app and tenant per 150 s.
    #[arg(long, default_value_t = 3_000)]
    writes_per_150s: u32,
    /// Registration-report pages per app and tenant per 10 s, a budget of their own (not resource
    /// units), or `unlimited`. Default 5: Graph's identity-and-access reports limit, which the
    /// emulator assumes covers `/reports/authenticationMethods/*` (Microsoft does not name it).
    #[arg(long, default_value = "5", value_parser = parse_reports_budget)]
    reports_per_10s: ReportsBudget,
    /// Write `Retry-After` with decimals (e.g. 2.128) instead of whole seconds (the same as
    /// `--retry-after fractional`).
    #[arg(long, conflicts_with = "retry_after")]
    fractional_retry_after: bool,
    /// How a 429's `Retry-After` is written: `seconds` (whole, as documented), `fractional`
    /// (2.128), `http-date` (an HTTP-date) or `none` (left out, so the client backs off on its
    /// own), to test a client against each shape.
    #[arg(long, value_name = "FORMAT", default_value = "seconds", value_parser = parse_retry_after)]
    retry_after: RetryAfterFormat,
    /// Print only the `export` lines (SIGNIN_PREFS_* and AZURE_*) on standard output, the rest of
    /// the banner on standard error, then serve: `signin-prefs emulator --print-env > emulator.env &`
    /// then `. ./emulator.env`.
    #[arg(long)]
    print_env: bool,
    /// Append one JSON line per request to FILE (created owner-only): time, method, path, query,
    /// status, client-request-id, request-id, throttle priority, the Authorization scheme. Never a
    /// body, a token or a secret.
    #[arg(long, value_name = "FILE")]
    log_requests: Option<PathBuf>,
    /// Serve HTTPS instead of plain HTTP, with a certificate for 127.0.0.1 and localhost signed by
    /// a CA made at start, whose certificate (PEM) is written to CA_FILE (owner-only) for clients
    /// to trust (SIGNIN_PREFS_CA_FILE, `curl --cacert`), so clients that send tokens over HTTPS
    /// only work.
    #[arg(long, value_name = "CA_FILE")]
    tls: Option<PathBuf>,
    /// Register a certificate for an app's client assertions: CLIENT_ID=PEM_FILE (repeatable); a
    /// JWT signed with its key then gets tokens, as with Entra ID's certificate credentials.
    #[arg(long, value_name = "CLIENT_ID=PEM_FILE", value_parser = parse_app_certificate)]
    app_certificate: Vec<(String, String)>,
    /// How device codes (`signin-prefs login`) are approved: `auto` (at once, as the tenant's
    /// first administrator, a Privileged Authentication Administrator) or `manual` (through
    /// `POST /_emulator/deviceCodes/{user_code}/approve`).
    #[arg(long, value_name = "HOW", default_value = "auto", value_parser = parse_approval)]
    device_code_approval: DeviceCodeApproval,
    /// The polling interval a device-code answer gives, in seconds (the identity platform's is 5).
    #[arg(long, value_name = "SECONDS", default_value_t = 5)]
    device_code_interval: u64,
    /// Whether a refused (429) request is charged to the budgets it draws on, into debt of up to
    /// one window, as Graph's throttling guidance says all requests accrue against the limits
    /// (how much a refusal costs is an assumption; `false`: refusals cost nothing).
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, value_name = "BOOL")]
    refused_requests_count: bool,
    /// Fault rules, `KIND[:ARG]@ROUTE[/USER][%PROBABILITY]`, e.g. `503:2@patch%0.1`,
    /// `reset@get/adele@contoso.com`, `delay:250@any`, `truncate@batch`, `malformed@get%0.05`.
    /// KIND: 503, 504, reset, delay:MS, truncate, malformed. ROUTE: any, get, patch, methods, batch,
    /// users, members, report.
    #[arg(long = "fault", value_parser = parse_fault)]
    faults: Vec<FaultRule>,
    /// Status for PATCHing a default method the user has not registered (not published by Microsoft).
    #[arg(long, default_value_t = 400)]
    unregistered_method_status: u16,
    /// Status for an unknown user (404 observed for `/users/{key}`; unconfirmed here).
    #[arg(long, default_value_t = 404)]
    unknown_user_status: u16,
    /// Return `$batch` items in request order instead of a seeded shuffle.
    #[arg(long)]
    ordered_batch: bool,
    /// Accept enum values in any letter case ("Push"); default: only the spec's spelling.
    #[arg(long)]
    case_insensitive_enums: bool,
    /// Ignore read-only properties (systemPreferredAuthenticationMethod) in PATCH bodies instead of 400.
    #[arg(long)]
    ignore_read_only: bool,
    /// Answer the registration report as a tenant without Entra ID P1/P2 does (403).
    #[arg(long)]
    without_registration_report: bool,
    /// Serve this authentication methods policy (JSON, as `GET /policies/authenticationMethodsPolicy`
    /// returns it) instead of the seeded one: Authenticator, software OATH, SMS and voice enabled
    /// for all users. Replaceable at run time: `PUT /_emulator/policies/authenticationMethodsPolicy`.
    #[arg(long, value_name = "FILE")]
    policy: Option<std::path::PathBuf>,
    /// How the registration report spells "no default method": `empty` ("", as Microsoft's
    /// documented sample) or `none` (the enum member other tenants show).
    #[arg(long, default_value = "empty", value_parser = parse_unset_default)]
    report_unset_default: ReportUnsetDefault,
    /// Percentage of seeded users that are disabled (accountEnabled false; the registration report
    /// leaves them out).
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u8).range(0..=100))]
    disabled_percent: u8,
}

fn parse_approval(text: &str) -> Result<DeviceCodeApproval, String> {
    match text {
        "auto" => Ok(DeviceCodeApproval::Automatic),
        "manual" => Ok(DeviceCodeApproval::Manual),
        other => Err(format!("`{other}`: expected auto or manual")),
    }
}

/// `CLIENT_ID=PEM_FILE`, the file read at once so a missing one is named before anything starts.
fn parse_app_certificate(text: &str) -> Result<(String, String), String> {
    let (client_id, path) = text
        .split_once('=')
        .ok_or_else(|| format!("`{text}`: expected CLIENT_ID=PEM_FILE"))?;
    let pem = std::fs::read_to_string(path).map_err(|error| format!("{path}: {error}"))?;
    Ok((client_id.to_owned(), pem))
}

fn parse_retry_after(text: &str) -> Result<RetryAfterFormat, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "seconds" | "integer" => Ok(RetryAfterFormat::Integer),
        "fractional" => Ok(RetryAfterFormat::Fractional),
        "http-date" | "date" => Ok(RetryAfterFormat::HttpDate),
        "none" | "absent" => Ok(RetryAfterFormat::Absent),
        _ => Err(format!(
            "`{text}` is not `seconds`, `fractional`, `http-date` or `none`"
        )),
    }
}

fn parse_unset_default(text: &str) -> Result<ReportUnsetDefault, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "empty" | "\"\"" => Ok(ReportUnsetDefault::Empty),
        "none" => Ok(ReportUnsetDefault::None),
        _ => Err(format!("`{text}` is not `empty` or `none`")),
    }
}

/// `--reports-per-10s`: a number of pages, or no limit.
#[derive(Debug, Clone, Copy)]
struct ReportsBudget(Option<u32>);

fn parse_reports_budget(text: &str) -> Result<ReportsBudget, String> {
    let text = text.trim();
    if text.eq_ignore_ascii_case("unlimited") || text.eq_ignore_ascii_case("off") {
        return Ok(ReportsBudget(None));
    }
    match text.parse::<u32>() {
        Ok(pages) if pages > 0 => Ok(ReportsBudget(Some(pages))),
        _ => Err(format!(
            "`{text}` is not a number of report pages per 10 s (at least 1) or `unlimited`"
        )),
    }
}

/// Parses one `--fault` rule.
fn parse_fault(text: &str) -> Result<FaultRule, String> {
    let (rule, probability) = match text.split_once('%') {
        Some((rule, probability)) => (
            rule,
            probability
                .parse::<f64>()
                .map_err(|_| format!("bad probability `{probability}`"))?,
        ),
        None => (text, 1.0),
    };
    let (kind, target) = rule.split_once('@').ok_or("expected KIND@ROUTE")?;
    let (route, user) = match target.split_once('/') {
        Some((route, user)) => (route, Some(user)),
        None => (target, None),
    };
    let (kind_name, argument) = match kind.split_once(':') {
        Some((name, argument)) => (name, Some(argument)),
        None => (kind, None),
    };
    let number = |default: u64| -> Result<u64, String> {
        argument.map_or(Ok(default), |argument| {
            argument
                .parse()
                .map_err(|_| format!("bad number `{argument}`"))
        })
    };
    let kind = match kind_name {
        "503" => FaultKind::ServiceUnavailable {
            retry_after_seconds: number(1)? as u32,
        },
        "504" => FaultKind::GatewayTimeout {
            retry_after_seconds: number(1)? as u32,
        },
        "reset" => FaultKind::ConnectionReset,
        "delay" => FaultKind::Delay(Duration::from_millis(number(100)?)),
        "truncate" => FaultKind::TruncatedBody,
        "malformed" => FaultKind::MalformedBody,
        other => return Err(format!("unknown fault `{other}`")),
    };
    let route = match route {
        "any" => FaultRoute::Any,
        "get" => FaultRoute::GetSignInPreferences,
        "patch" => FaultRoute::PatchSignInPreferences,
        "methods" => FaultRoute::ListMethods,
        "batch" => FaultRoute::Batch,
        "users" => FaultRoute::ListUsers,
        "members" => FaultRoute::ListGroupMembers,
        "report" => FaultRoute::RegistrationReport,
        "policy" => FaultRoute::MethodsPolicy,
        other => return Err(format!("unknown route `{other}`")),
    };
    let mut rule = FaultRule::always(route, kind).with_probability(probability);
    if let Some(user) = user {
        rule = rule.for_user(user);
    }
    Ok(rule)
}

/// The default app's secret if one was given, and where it came from.
fn client_secret(args: &Args) -> Result<(Option<String>, SecretSource), Error> {
    if let Some(path) = &args.client_secret_file {
        let text = std::fs::read_to_string(path)
            .map_err(|error| Error::Input(format!("cannot read {}: {error}", path.display())))?;
        return Ok((
            Some(text.trim().to_owned()),
            SecretSource::File(path.clone()),
        ));
    }
    Ok(
        match std::env::var(SECRET_VARIABLE)
            .ok()
            .filter(|secret| !secret.is_empty())
        {
            Some(secret) => (Some(secret), SecretSource::Environment(SECRET_VARIABLE)),
            None => (None, SecretSource::Generated),
        },
    )
}

/// Starts the emulator, prints how to reach it, and serves until Ctrl-C or SIGTERM.
pub(crate) fn run(args: Args) -> Result<(), Error> {
    let mut builder = EmulatorBuilder::new();
    if let Some(path) = &args.policy {
        let text = std::fs::read(path)
            .map_err(|error| Error::Input(format!("cannot read {}: {error}", path.display())))?;
        let policy: serde_json::Value = serde_json::from_slice(&text)
            .map_err(|error| Error::Input(format!("{}: not JSON: {error}", path.display())))?;
        builder = builder.authentication_methods_policy(policy);
    }
    builder = builder
        .port(args.port)
        .seed(args.seed)
        .time_scale(args.time_scale)
        .shuffle_batch_responses(!args.ordered_batch)
        .case_insensitive_enum_values(args.case_insensitive_enums)
        .ignore_read_only_properties(args.ignore_read_only)
        .registration_report(!args.without_registration_report)
        .report_unset_default(args.report_unset_default)
        .disabled_users_percent(args.disabled_percent)
        .throttle(if args.no_throttle {
            ThrottleConfig::disabled()
        } else {
            // A users file's size is known only once loaded; it gets the large-tenant quota.
            let by_size = ThrottleConfig::identity_for_tenant(match &args.users_file {
                Some(_) => usize::MAX,
                None => args.users,
            });
            ThrottleConfig {
                reads_per_app_tenant: args
                    .reads_per_10s
                    .map_or(by_size.reads_per_app_tenant, |reads| Limit::new(reads, 10)),
                writes_per_app_tenant: Limit::new(args.writes_per_150s, 150),
                reports_per_app_tenant: args.reports_per_10s.0.map(|pages| Limit::new(pages, 10)),
                ..by_size
            }
        })
        .refused_requests_count(args.refused_requests_count)
        .retry_after_format(if args.fractional_retry_after {
            RetryAfterFormat::Fractional
        } else {
            args.retry_after
        });
    if let Some(path) = &args.log_requests {
        builder = builder.log_requests(path);
    }
    if let Some(path) = &args.tls {
        builder = builder.tls_ca_file(path);
    }
    for (client_id, pem) in &args.app_certificate {
        builder = builder.app_certificate(client_id, pem);
    }
    builder = builder
        .device_code_approval(args.device_code_approval)
        .device_code_interval(args.device_code_interval);
    let throttle = builder.config().throttle.clone();
    let defaults = builder.config().clone();
    builder = builder
        .unknown_user(ConfiguredError {
            status: args.unknown_user_status,
            ..defaults.unknown_user
        })
        .unregistered_method(ConfiguredError {
            status: args.unregistered_method_status,
            ..defaults.unregistered_method
        });
    builder = match &args.users_file {
        Some(path) => builder.users_file(path),
        None => builder.users(args.users),
    };
    let (secret_given, secret_source) = client_secret(&args)?;
    if let Some(secret) = secret_given {
        builder = builder.default_app_secret(secret);
    }
    for rule in args.faults {
        builder = builder.fault(rule);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let emulator = builder.start().await?;
        let budgets = banner::budgets(&throttle, args.time_scale);
        let mut out = std::io::stdout().lock();
        // Written whole and flushed at once, so a reader of a redirected file sees all or none.
        let mut text = Vec::new();
        if args.print_env {
            for line in
                banner::export_lines(&emulator, &secret_source, &budgets, args.tls.as_deref())
            {
                let _ = writeln!(text, "{line}");
            }
            let _ = banner::banner(
                &mut std::io::stderr().lock(),
                &emulator,
                &secret_source,
                &budgets,
                args.tls.as_deref(),
            );
        } else {
            let _ = banner::banner(
                &mut text,
                &emulator,
                &secret_source,
                &budgets,
                args.tls.as_deref(),
            );
        }
        let _ = out.write_all(&text);
        let _ = out.flush();
        drop(out);
        wait_for_stop().await?;
        emulator.shutdown().await;
        Ok(())
    })
}

async fn wait_for_stop() -> Result<(), Error> {
    #[cfg(unix)]
    {
        let mut terminate =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            result = tokio::signal::ctrl_c() => result?,
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    tokio::signal::ctrl_c().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn fault_rules_parse_from_their_short_form() {
        let rule = parse_fault("503:7@patch/adele@contoso.com%0.25").unwrap();
        assert_eq!(rule.route, FaultRoute::PatchSignInPreferences);
        assert_eq!(
            rule.kind,
            FaultKind::ServiceUnavailable {
                retry_after_seconds: 7
            }
        );
        assert_eq!(rule.user.as_deref(), Some("adele@contoso.com"));
        assert!((rule.probability - 0.25).abs() < f64::EPSILON);
        assert_eq!(
            parse_fault("delay:250@any").unwrap().kind,
            FaultKind::Delay(Duration::from_millis(250))
        );
        assert_eq!(
            parse_fault("reset@get").unwrap().kind,
            FaultKind::ConnectionReset
        );
        assert_eq!(
            parse_fault("truncate@batch").unwrap().route,
            FaultRoute::Batch
        );
        assert_eq!(
            parse_fault("503@users").unwrap().route,
            FaultRoute::ListUsers
        );
        assert_eq!(
            parse_fault("reset@members").unwrap().route,
            FaultRoute::ListGroupMembers
        );
        assert_eq!(
            parse_fault("504@report").unwrap().route,
            FaultRoute::RegistrationReport
        );
        assert!(parse_fault("explode@get").is_err());
        assert!(parse_fault("503@nowhere").is_err());
        assert!(parse_fault("503").is_err());
    }

    #[test]
    fn the_reports_budget_is_a_page_count_or_unlimited() {
        assert_eq!(parse_reports_budget("5").unwrap().0, Some(5));
        assert_eq!(parse_reports_budget("Unlimited").unwrap().0, None);
        assert_eq!(parse_reports_budget("off").unwrap().0, None);
        assert!(parse_reports_budget("0").is_err());
        assert!(parse_reports_budget("fast").is_err());
    }
}
