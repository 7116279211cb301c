//! `NativeEmulator`: the local Graph of `signin-prefs-emulator`, started from Python so users can
//! test their own automation against it (wrapped by `signin_prefs.testing.Emulator`).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Mutex;
use std::time::Duration;

use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use signin_prefs_emulator::{
    AuthMethod, DeviceCodeApproval, DirectoryRole, EmulatorBuilder, EmulatorHandle, FaultKind,
    FaultRoute, FaultRule, Limit, MethodSet, ThrottleConfig, TokenRequest, UserRecord, UserState,
};
use signin_prefs_model::UserDefaultAuthenticationMethodType;

/// A running emulator (until `shutdown`).
#[pyclass(module = "signin_prefs._native", frozen)]
pub(crate) struct NativeEmulator {
    handle: Mutex<Option<EmulatorHandle>>,
    base_url: String,
}

fn value_error(text: impl Into<String>) -> PyErr {
    PyValueError::new_err(text.into())
}

fn method_named(name: &str) -> PyResult<AuthMethod> {
    serde_json::from_value(serde_json::Value::String(name.to_owned())).map_err(|_| {
        let known: Vec<String> = AuthMethod::ALL
            .iter()
            .map(|method| method_name(*method))
            .collect();
        value_error(format!(
            "unknown authentication method {name:?}; known: {}",
            known.join(", ")
        ))
    })
}

fn method_name(method: AuthMethod) -> String {
    serde_json::to_value(method)
        .ok()
        .and_then(|value| value.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn record_dict<'py>(py: Python<'py>, record: &UserRecord) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    dict.set_item("index", record.index)?;
    dict.set_item("id", &record.id)?;
    dict.set_item("user_principal_name", &record.user_principal_name)?;
    dict.set_item("is_admin", record.is_admin)?;
    dict.set_item("account_enabled", record.account_enabled)?;
    let methods: Vec<String> = record
        .state
        .methods
        .methods()
        .into_iter()
        .map(method_name)
        .collect();
    dict.set_item("methods", methods)?;
    dict.set_item(
        "user_preferred_method_for_secondary_authentication",
        record
            .state
            .preferred
            .as_ref()
            .map(|method| method.as_str().to_owned()),
    )?;
    dict.set_item(
        "is_system_preferred_authentication_method_enabled",
        record.state.system_preferred_enabled,
    )?;
    Ok(dict)
}

fn route_named(name: &str) -> PyResult<FaultRoute> {
    Ok(match name {
        "any" => FaultRoute::Any,
        "get" => FaultRoute::GetSignInPreferences,
        "update" => FaultRoute::PatchSignInPreferences,
        "methods" => FaultRoute::ListMethods,
        "batch" => FaultRoute::Batch,
        "policy" => FaultRoute::MethodsPolicy,
        other => {
            return Err(value_error(format!(
                "unknown fault route {other:?}: use \"any\", \"get\", \"update\", \"methods\", \"batch\" or \"policy\""
            )));
        }
    })
}

fn fault_named(name: &str, seconds: f64) -> PyResult<FaultKind> {
    let whole = u32::try_from(seconds.max(0.0).ceil() as u64).unwrap_or(u32::MAX);
    Ok(match name {
        "unavailable" => FaultKind::ServiceUnavailable {
            retry_after_seconds: whole,
        },
        "gateway_timeout" => FaultKind::GatewayTimeout {
            retry_after_seconds: whole,
        },
        "reset" => FaultKind::ConnectionReset,
        "delay" => FaultKind::Delay(
            Duration::try_from_secs_f64(seconds)
                .map_err(|_| value_error("delay seconds must be non-negative"))?,
        ),
        "truncated" => FaultKind::TruncatedBody,
        "malformed" => FaultKind::MalformedBody,
        other => {
            return Err(value_error(format!(
                "unknown fault {other:?}: use \"unavailable\", \"gateway_timeout\", \"reset\", \"delay\", \"truncated\" or \"malformed\""
            )));
        }
    })
}

impl NativeEmulator {
    fn with<T>(&self, f: impl FnOnce(&EmulatorHandle) -> PyResult<T>) -> PyResult<T> {
        let guard = self
            .handle
            .lock()
            .map_err(|_| PyRuntimeError::new_err("the emulator's lock is poisoned"))?;
        match guard.as_ref() {
            Some(handle) => f(handle),
            None => Err(PyRuntimeError::new_err("the emulator was shut down")),
        }
    }
}

#[pymethods]
impl NativeEmulator {
    #[new]
    #[pyo3(signature = (*, users=100, seed=0, throttle=false, disabled_percent=0, writes_per_150s=None, time_scale=1.0, tls_ca_file=None, device_code_approval="automatic", device_code_interval=5))]
    #[allow(clippy::too_many_arguments)] // Python's keyword arguments, each with its default.
    fn new(
        py: Python<'_>,
        users: usize,
        seed: u64,
        throttle: bool,
        disabled_percent: u8,
        writes_per_150s: Option<u32>,
        time_scale: f64,
        tls_ca_file: Option<PathBuf>,
        device_code_approval: &str,
        device_code_interval: u64,
    ) -> PyResult<Self> {
        if writes_per_150s == Some(0) {
            return Err(PyValueError::new_err(
                "writes_per_150s: 0 would refuse every write; give 1 or more",
            ));
        }
        if !(time_scale.is_finite() && time_scale > 0.0) {
            return Err(PyValueError::new_err(format!(
                "time_scale: {time_scale} is not a positive number"
            )));
        }
        let approval = match device_code_approval {
            "automatic" => DeviceCodeApproval::Automatic,
            "manual" => DeviceCodeApproval::Manual,
            other => {
                return Err(PyValueError::new_err(format!(
                    "device_code_approval: {other:?} is neither \"automatic\" nor \"manual\""
                )));
            }
        };
        let mut builder = EmulatorBuilder::new()
            .users(users)
            .seed(seed)
            .disabled_users_percent(disabled_percent)
            .time_scale(time_scale)
            .device_code_approval(approval)
            .device_code_interval(device_code_interval);
        if let Some(path) = tls_ca_file {
            builder = builder.tls_ca_file(path);
        }
        match (throttle, writes_per_150s) {
            // Graph's own budgets, but for the writes: a budget smaller than the client believes,
            // so that a run meets 429s as a tenant shared with other apps does.
            (_, Some(writes)) => {
                builder = builder.throttle(ThrottleConfig {
                    writes_per_app_tenant: Limit::new(writes, 150),
                    ..ThrottleConfig::default()
                });
            }
            (false, None) => builder = builder.throttle(ThrottleConfig::disabled()),
            (true, None) => {}
        }
        let handle = crate::block_on(py, builder.start()).map_err(|error| {
            PyRuntimeError::new_err(format!("cannot start the emulator: {error}"))
        })?;
        let base_url = handle.base_url();
        Ok(Self {
            handle: Mutex::new(Some(handle)),
            base_url,
        })
    }

    /// `http://127.0.0.1:PORT`, the base URL a client is given.
    #[getter]
    fn base_url(&self) -> String {
        self.base_url.clone()
    }

    /// The token endpoint (client-credentials flow) for the emulated tenant.
    #[getter]
    fn token_url(&self) -> PyResult<String> {
        self.with(|handle| Ok(handle.token_url()))
    }

    /// The emulated tenant's id.
    #[getter]
    fn tenant_id(&self) -> PyResult<String> {
        self.with(|handle| Ok(handle.tenant_id().to_owned()))
    }

    /// The default app's client id and secret.
    #[getter]
    fn client_credentials(&self) -> PyResult<(String, String)> {
        self.with(|handle| {
            handle
                .apps()
                .first()
                .map(|app| (app.client_id.clone(), app.client_secret.clone()))
                .ok_or_else(|| PyRuntimeError::new_err("the emulator has no app"))
        })
    }

    /// Number of users.
    #[getter]
    fn user_count(&self) -> PyResult<usize> {
        self.with(|handle| Ok(handle.user_count()))
    }

    /// A token with exactly these app roles (app-only) or, with `user`, these delegated scopes.
    #[pyo3(signature = (*, roles=None, scopes=None, user=None, expires_in=None))]
    fn mint_token(
        &self,
        roles: Option<Vec<String>>,
        scopes: Option<Vec<String>>,
        user: Option<String>,
        expires_in: Option<u64>,
    ) -> PyResult<String> {
        let request = TokenRequest {
            roles: roles.unwrap_or_default(),
            scopes: scopes.unwrap_or_default(),
            user,
            expires_in_seconds: expires_in,
            ..TokenRequest::default()
        };
        self.with(|handle| {
            handle
                .mint_token(request)
                .map_err(|error| value_error(format!("cannot mint the token: {error}")))
        })
    }

    /// The user whose object id or UPN is `key`, as a dict, or `None`.
    fn user<'py>(&self, py: Python<'py>, key: &str) -> PyResult<Option<Bound<'py, PyDict>>> {
        let record = self.with(|handle| Ok(handle.user(key)))?;
        record.map(|record| record_dict(py, &record)).transpose()
    }

    /// The user at `index` (seeded users: the seeding index), as a dict, or `None`.
    fn user_at<'py>(&self, py: Python<'py>, index: usize) -> PyResult<Option<Bound<'py, PyDict>>> {
        let record = self.with(|handle| Ok(handle.user_at(index)))?;
        record.map(|record| record_dict(py, &record)).transpose()
    }

    /// Replaces a user's registered methods and preferences (no validation: tests may set any
    /// state). `methods=None` keeps the registered methods.
    #[pyo3(signature = (key, *, methods=None, preferred=None, system_preferred=None))]
    fn set_user_state<'py>(
        &self,
        py: Python<'py>,
        key: &str,
        methods: Option<Vec<String>>,
        preferred: Option<String>,
        system_preferred: Option<bool>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let preferred = preferred
            .map(|value| {
                UserDefaultAuthenticationMethodType::from_str(&value)
                    .map_err(|error| value_error(error.to_string()))
            })
            .transpose()?;
        let record = self.with(|handle| {
            let current = handle
                .user(key)
                .ok_or_else(|| value_error(format!("no user {key:?}")))?;
            let methods = match methods {
                Some(names) => {
                    let parsed: Vec<AuthMethod> = names
                        .iter()
                        .map(|name| method_named(name))
                        .collect::<PyResult<_>>()?;
                    MethodSet::of(&parsed)
                }
                None => current.state.methods,
            };
            let state = UserState {
                methods,
                preferred,
                system_preferred_enabled: system_preferred,
            };
            handle
                .set_user_state(key, state)
                .map_err(|error| value_error(error.to_string()))
        })?;
        record_dict(py, &record)
    }

    /// Adds a fault: `kind` on `route` ("any", "get", "update", "methods", "batch"), optionally
    /// for one user only, at most `times` times, with `seconds` of delay or `Retry-After`.
    #[pyo3(signature = (route, kind, *, user=None, seconds=0.0, times=None, probability=1.0))]
    fn add_fault(
        &self,
        route: &str,
        kind: &str,
        user: Option<String>,
        seconds: f64,
        times: Option<u32>,
        probability: f64,
    ) -> PyResult<()> {
        let mut rule = FaultRule::always(route_named(route)?, fault_named(kind, seconds)?)
            .with_probability(probability);
        if let Some(user) = user {
            rule = rule.for_user(&user);
        }
        if let Some(times) = times {
            rule = rule.times(times);
        }
        self.with(|handle| {
            handle.add_fault(rule);
            Ok(())
        })
    }

    /// Removes every fault.
    fn clear_faults(&self) -> PyResult<()> {
        self.with(|handle| {
            handle.clear_faults();
            Ok(())
        })
    }

    /// The authentication methods policy the tenant serves, as JSON text.
    fn authentication_methods_policy(&self) -> PyResult<String> {
        self.with(|handle| {
            let policy = handle
                .authentication_methods_policy()
                .map_err(|error| value_error(error.to_string()))?;
            Ok(policy.to_string())
        })
    }

    /// Replaces the authentication methods policy with `policy` (JSON text, as Graph returns it).
    fn set_authentication_methods_policy(&self, policy: &str) -> PyResult<()> {
        let policy: serde_json::Value = serde_json::from_str(policy)
            .map_err(|error| value_error(format!("policy: not JSON: {error}")))?;
        self.with(|handle| {
            handle
                .set_authentication_methods_policy(policy)
                .map_err(|error| value_error(error.to_string()))
        })
    }

    /// How many Graph requests carried each `x-ms-throttle-priority` so far: `absent`, `low`,
    /// `normal` (also any unknown value, as the service reads it) and `high`.
    fn throttle_priorities(&self) -> PyResult<BTreeMap<&'static str, u64>> {
        self.with(|handle| {
            let counts = handle.priorities();
            Ok(BTreeMap::from([
                ("absent", counts.absent),
                ("low", counts.low),
                ("normal", counts.normal),
                ("high", counts.high),
            ]))
        })
    }

    /// The CA certificate (PEM) clients must trust, when serving HTTPS.
    #[getter]
    fn ca_certificate_pem(&self) -> PyResult<Option<String>> {
        self.with(|handle| Ok(handle.ca_certificate_pem().map(str::to_owned)))
    }

    /// Registers a certificate (PEM) whose key may sign `client_id`'s client assertions.
    fn register_certificate(&self, client_id: &str, pem: &str) -> PyResult<()> {
        self.with(|handle| {
            handle
                .register_certificate(client_id, pem)
                .map_err(|error| value_error(format!("cannot register the certificate: {error}")))
        })
    }

    /// A federated token for `client_id` (what AKS or GitHub Actions project into
    /// `AZURE_FEDERATED_TOKEN_FILE`), valid `lifetime` seconds (default an hour).
    #[pyo3(signature = (client_id, *, lifetime=None))]
    fn federated_token(&self, client_id: &str, lifetime: Option<f64>) -> PyResult<String> {
        let lifetime = lifetime
            .map(|seconds| {
                Duration::try_from_secs_f64(seconds).map_err(|_| {
                    value_error(format!("lifetime: {seconds} is not a number of seconds"))
                })
            })
            .transpose()?;
        self.with(|handle| {
            handle
                .federated_token(client_id, lifetime)
                .map_err(|error| value_error(format!("cannot make the token: {error}")))
        })
    }

    /// A VM's managed-identity endpoint (IMDS-shaped) on this emulator.
    #[getter]
    fn imds_url(&self) -> PyResult<String> {
        self.with(|handle| Ok(handle.imds_url()))
    }

    /// App Service's `IDENTITY_ENDPOINT` on this emulator.
    #[getter]
    fn identity_endpoint(&self) -> PyResult<String> {
        self.with(|handle| Ok(handle.identity_endpoint()))
    }

    /// App Service's `IDENTITY_HEADER` for this emulator.
    #[getter]
    fn identity_header(&self) -> PyResult<String> {
        self.with(|handle| Ok(handle.identity_header().to_owned()))
    }

    /// The user codes of device codes waiting for a user.
    fn pending_device_codes(&self) -> PyResult<Vec<String>> {
        self.with(|handle| Ok(handle.pending_device_codes()))
    }

    /// Approves a waiting device code as `user` holding `roles` (the emulator's names, such as
    /// `authenticationAdministrator`; default: Privileged Authentication Administrator).
    #[pyo3(signature = (user_code, user, *, roles=None))]
    fn approve_device_code(
        &self,
        user_code: &str,
        user: &str,
        roles: Option<Vec<String>>,
    ) -> PyResult<()> {
        let roles = roles
            .unwrap_or_else(|| vec!["privilegedAuthenticationAdministrator".to_owned()])
            .into_iter()
            .map(|role| {
                serde_json::from_value::<DirectoryRole>(serde_json::Value::String(role.clone()))
                    .map_err(|error| value_error(format!("roles: {role:?}: {error}")))
            })
            .collect::<PyResult<Vec<_>>>()?;
        self.with(|handle| {
            handle
                .approve_device_code(user_code, user, &roles)
                .map_err(|error| value_error(format!("cannot approve {user_code:?}: {error}")))
        })
    }

    /// Declines a waiting device code (the client is told `authorization_declined`).
    fn decline_device_code(&self, user_code: &str) -> PyResult<()> {
        self.with(|handle| {
            handle
                .decline_device_code(user_code)
                .map_err(|error| value_error(format!("cannot decline {user_code:?}: {error}")))
        })
    }

    /// Stops the server (idempotent).
    fn shutdown(&self, py: Python<'_>) -> PyResult<()> {
        let handle = self
            .handle
            .lock()
            .map_err(|_| PyRuntimeError::new_err("the emulator's lock is poisoned"))?
            .take();
        if let Some(handle) = handle {
            crate::block_on(py, handle.shutdown());
        }
        Ok(())
    }
}
