//! Configuring an emulator and starting it: the tenant and the gates built from the
//! configuration, the three hosts (login, admin, Graph) put on one router, the server started.

use std::sync::Arc;

use crate::admin;
use crate::auth::AppRegistration;
use crate::config::{ConfiguredError, EmulatorConfig, ReportUnsetDefault, UsersSource};
use crate::error::Error;
use crate::faults::FaultRule;
use crate::gates::Gates;
use crate::graph::Graph;
use crate::groups::GroupSpec;
use crate::handle::EmulatorHandle;
use crate::login;
use crate::policy::MethodConfiguration;
use crate::server;
use crate::tenant::Tenant;
use crate::throttle::{Limit, RetryAfterFormat, ThrottleConfig};
use crate::tls::Tls;
use crate::users::UserSpec;
use crate::wire;

/// Configures and starts an emulator.
#[derive(Debug, Clone)]
pub struct EmulatorBuilder {
    config: EmulatorConfig,
}

impl Default for EmulatorBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl EmulatorBuilder {
    /// The defaults of [`EmulatorConfig`], with a fresh random secret for the default app. The
    /// default app's tokens carry `Policy.Read.All` besides the user and method permissions, so a
    /// `plan` through it can read the authentication methods policy, as a real app granted it does.
    pub fn new() -> Self {
        Self::from_config(EmulatorConfig::default())
    }

    /// Starts from `config`; apps without a secret get a fresh random one.
    pub fn from_config(mut config: EmulatorConfig) -> Self {
        for app in &mut config.apps {
            if app.client_secret.is_empty() {
                app.client_secret = random_secret();
            }
        }
        Self { config }
    }

    /// Port on 127.0.0.1 (0, the default, picks a free one).
    pub fn port(mut self, port: u16) -> Self {
        self.config.port = port;
        self
    }

    /// Seed for users, ids and fault decisions.
    pub fn seed(mut self, seed: u64) -> Self {
        self.config.seed = seed;
        self
    }

    /// `count` seeded users.
    pub fn users(mut self, count: usize) -> Self {
        self.config.users = UsersSource::Seeded { count };
        self
    }

    /// Users given in full.
    pub fn user_specs(mut self, users: Vec<UserSpec>) -> Self {
        self.config.users = UsersSource::Listed(users);
        self
    }

    /// Users from a JSON file.
    pub fn users_file(mut self, path: impl Into<std::path::PathBuf>) -> Self {
        self.config.users = UsersSource::File(path.into());
        self
    }

    /// Registers another app (or replaces one with the same client id).
    pub fn app(mut self, app: AppRegistration) -> Self {
        self.config
            .apps
            .retain(|existing| existing.client_id != app.client_id);
        self.config.apps.push(app);
        self
    }

    /// Sets the default app's secret (read from the environment or a file by the CLI).
    pub fn default_app_secret(mut self, secret: String) -> Self {
        if let Some(app) = self.config.apps.first_mut() {
            app.client_secret = secret;
        }
        self
    }

    /// Throttling model.
    pub fn throttle(mut self, throttle: ThrottleConfig) -> Self {
        self.config.throttle = throttle;
        self
    }

    /// The reports budget: report pages per app and tenant (`None`: unlimited). Default: 5 per
    /// 10 s, the identity-and-access reports limit, assumed to cover the registration report
    /// (see [`ThrottleConfig::reports_per_app_tenant`]). Set after [`throttle`](Self::throttle),
    /// which replaces it.
    pub fn reports_budget(mut self, limit: Option<Limit>) -> Self {
        self.config.throttle.reports_per_app_tenant = limit;
        self
    }

    /// Whether a refused (429) request is charged to the budgets it draws on (default `true`:
    /// Graph's throttling guidance says all requests accrue against the limits; how much a refusal
    /// costs is the emulator's assumption, see [`ThrottleConfig::refused_requests_count`]). Set
    /// after [`throttle`](Self::throttle), which replaces it.
    pub fn refused_requests_count(mut self, count: bool) -> Self {
        self.config.throttle.refused_requests_count = count;
        self
    }

    /// How `Retry-After` is written: whole seconds (the default, as documented) or with decimals
    /// (as an older revision of Graph's throttling page showed). Set after
    /// [`throttle`](Self::throttle), which replaces it.
    pub fn retry_after_format(mut self, format: RetryAfterFormat) -> Self {
        self.config.throttle.retry_after = format;
        self
    }

    /// Emulated seconds per real second for throttling (0: only [`EmulatorHandle::advance_time`]).
    pub fn time_scale(mut self, scale: f64) -> Self {
        self.config.time_scale = scale;
        self
    }

    /// Adds a fault rule.
    pub fn fault(mut self, rule: FaultRule) -> Self {
        self.config.faults.push(rule);
        self
    }

    /// Answer for an unknown user.
    pub fn unknown_user(mut self, error: ConfiguredError) -> Self {
        self.config.unknown_user = error;
        self
    }

    /// Answer for an unregistered default method.
    pub fn unregistered_method(mut self, error: ConfiguredError) -> Self {
        self.config.unregistered_method = error;
        self
    }

    /// Whether `$batch` responses come back in a seeded shuffled order.
    pub fn shuffle_batch_responses(mut self, shuffle: bool) -> Self {
        self.config.shuffle_batch_responses = shuffle;
        self
    }

    /// Accept enum values in any letter case (default: only the spec's spelling).
    pub fn case_insensitive_enum_values(mut self, lenient: bool) -> Self {
        self.config.case_insensitive_enum_values = lenient;
        self
    }

    /// Ignore read-only properties in PATCH bodies (default: 400 naming them).
    pub fn ignore_read_only_properties(mut self, ignore: bool) -> Self {
        self.config.ignore_read_only_properties = ignore;
        self
    }

    /// The tenant's groups, replacing the defaults ([`GroupSpec::defaults`]).
    pub fn groups(mut self, groups: Vec<GroupSpec>) -> Self {
        self.config.groups = groups;
        self
    }

    /// Whether the tenant has the registration report (default `true`). `false` answers as a
    /// tenant without an Entra ID P1/P2 licence: 403
    /// `Authentication_RequestFromNonPremiumTenantOrB2CTenant`.
    pub fn registration_report(mut self, available: bool) -> Self {
        self.config.registration_report = available;
        self
    }

    /// The tenant's authentication methods policy, replacing the default
    /// ([`default_policy`](crate::default_policy)); served verbatim.
    pub fn authentication_methods_policy(mut self, policy: serde_json::Value) -> Self {
        self.config.authentication_methods_policy = policy;
        self
    }

    /// One method's configuration in the policy, replacing the one of the same id (e.g.
    /// `MethodConfiguration::disabled("MicrosoftAuthenticator")`).
    pub fn method_configuration(mut self, configuration: MethodConfiguration) -> Self {
        self.config.authentication_methods_policy = crate::policy::with_configuration(
            std::mem::take(&mut self.config.authentication_methods_policy),
            &configuration,
        );
        self
    }

    /// How the registration report spells "no default method": `""` (the default, as Microsoft's
    /// sample) or `"none"` (the enums' member, seen in other tenants).
    pub fn report_unset_default(mut self, spelling: ReportUnsetDefault) -> Self {
        self.config.report_unset_default = spelling;
        self
    }

    /// Percentage (0–100, clamped) of seeded users that are disabled (`accountEnabled: false`).
    pub fn disabled_users_percent(mut self, percent: u8) -> Self {
        self.config.disabled_users_percent = percent.min(100);
        self
    }

    /// Appends one JSON line per request to `path` (created owner-only): time, method, path,
    /// query, status, `client-request-id`, `request-id`, `x-ms-throttle-priority` and the
    /// `Authorization` scheme; never a body, a token or a secret.
    pub fn log_requests(mut self, path: impl Into<std::path::PathBuf>) -> Self {
        self.config.request_log = Some(path.into());
        self
    }

    /// Serves HTTPS (`true`) instead of plain HTTP, with a server certificate for `127.0.0.1` and
    /// `localhost` signed by a CA made at start
    /// ([`EmulatorHandle::ca_certificate_pem`]), for clients that send tokens over HTTPS only.
    pub fn tls(mut self, enabled: bool) -> Self {
        self.config.tls = enabled;
        self
    }

    /// Serves HTTPS (as [`tls`](Self::tls)) and writes the CA's certificate (PEM) to `path`,
    /// owner-only, for clients to trust (`SIGNIN_PREFS_CA_FILE`, `REQUESTS_CA_BUNDLE`, `curl
    /// --cacert`).
    pub fn tls_ca_file(mut self, path: impl Into<std::path::PathBuf>) -> Self {
        self.config.tls = true;
        self.config.tls_ca_file = Some(path.into());
        self
    }

    /// Registers a certificate (PEM) for `client_id`'s client assertions: a JWT signed with its
    /// key (PS256 or RS256) then gets tokens, as Entra ID's certificate credentials do.
    pub fn app_certificate(mut self, client_id: &str, pem: &str) -> Self {
        self.config
            .app_certificates
            .push((client_id.to_owned(), pem.to_owned()));
        self
    }

    /// How device codes are approved: at once as the first administrator (the default), or only
    /// through the admin API or [`EmulatorHandle::approve_device_code`].
    pub fn device_code_approval(mut self, approval: crate::DeviceCodeApproval) -> Self {
        self.config.device_code_approval = approval;
        self
    }

    /// The polling interval a device-code answer gives, in seconds (default 5, as the identity
    /// platform's; 0 lets tests poll at once).
    pub fn device_code_interval(mut self, seconds: u64) -> Self {
        self.config.device_code_interval = seconds;
        self
    }

    /// The configuration so far.
    pub fn config(&self) -> &EmulatorConfig {
        &self.config
    }

    /// Loads the users, binds 127.0.0.1 and serves on a thread and runtime of its own.
    pub async fn start(self) -> Result<EmulatorHandle, Error> {
        let config = self.config;
        crate::policy::check(&config.authentication_methods_policy)?;
        let tenant = Arc::new(Tenant::load(&config)?);
        let gates = Arc::new(Gates::new(&config)?);
        let graph = Arc::new(Graph::new(Arc::clone(&tenant), Arc::clone(&gates), &config));
        let mut router = login::router(Arc::clone(&tenant), Arc::clone(&gates));
        if config.admin_api {
            router = router.merge(admin::router(Arc::clone(&tenant), Arc::clone(&gates)));
        }
        // The Graph host answers whatever the others do not route.
        let mut router = router.merge(wire::router(Arc::clone(&graph)));
        if let Some(path) = &config.request_log {
            router = crate::request_log::layer(router, path)?;
        }
        let tls = match config.tls {
            true => Some(Tls::generate(config.tls_ca_file.as_deref())?),
            false => None,
        };
        let scheme = if tls.is_some() { "https" } else { "http" };
        let ca_pem = tls.as_ref().map(|tls| tls.ca_pem.clone());
        let running = server::start(config.port, router, tls).await?;
        let origin = format!("{scheme}://{}", running.address);
        let _ = graph.base_url.set(origin.clone());
        let _ = gates.sign_ins.origin.set(origin);
        tracing::info!(
            address = %running.address,
            users = tenant.user_count().unwrap_or(0),
            "emulator listening"
        );
        Ok(EmulatorHandle::new(
            tenant,
            gates,
            running,
            config.apps,
            ca_pem,
        ))
    }
}

fn random_secret() -> String {
    format!(
        "emu~{:016x}{:016x}",
        rand::random::<u64>(),
        rand::random::<u64>()
    )
}
