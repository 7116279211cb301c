//! `NativeClient`: the async Rust client behind both `signin_prefs.Client` (blocking calls with the
//! GIL released) and `signin_prefs.AsyncClient` (asyncio awaitables bridged from tokio).

use std::path::PathBuf;
use std::time::Duration;

use pyo3::prelude::*;
use signin_prefs_client::{
    Budgets, Client, Cloud, ConfigFile, CredentialChoice, PacingConfig, ProfileName, Quota,
    RetryPolicy, Secret, StaticToken,
};
use signin_prefs_model::{SignInPreferencesPatch, UserDefaultAuthenticationMethodType as Method};
use signin_prefs_request::UserKey;

use crate::credential::PyCredential;
use crate::errors;

/// The reason [`PyCredential`] gives the client when the Python `get_token` failed.
const CREDENTIAL_FAILED: &str = "the Python credential's get_token failed";

/// A configured client; cheap to share between threads and tasks.
#[pyclass(module = "signin_prefs._native", frozen)]
pub(crate) struct NativeClient {
    pub(crate) client: Client,
    credential: Option<PyCredential>,
    /// Which credential `from_env` chose, and why.
    choice: Option<CredentialChoice>,
}

fn seconds(value: f64, what: &str) -> PyResult<Duration> {
    Duration::try_from_secs_f64(value).map_err(|_| {
        pyo3::exceptions::PyValueError::new_err(format!(
            "{what} must be a non-negative number of seconds, not {value}"
        ))
    })
}

impl NativeClient {
    /// The Python exception for `error`, with the credential's own exception as its cause when
    /// the credential failed.
    pub(crate) fn error(&self, py: Python<'_>, error: &signin_prefs_client::Error) -> PyErr {
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
        let mut from_credential = false;
        while let Some(current) = source {
            if current.to_string().contains(CREDENTIAL_FAILED) {
                from_credential = true;
                break;
            }
            source = current.source();
        }
        let cause = if from_credential {
            self.credential
                .as_ref()
                .and_then(|credential| credential.failure(py))
        } else {
            None
        };
        errors::client_error(py, error, cause)
    }
}

/// The JSON name of the method property, and the keyword argument that sets it.
const METHOD_PROPERTY: (&str, &str) = (
    "userPreferredMethodForSecondaryAuthentication",
    "user_preferred_method_for_secondary_authentication",
);

/// The patch `update` sends. The method is checked first as the CLI's `set --method` checks it (a
/// method a user can be set to, with the same hints), then the whole patch strictly.
fn parse_patch(py: Python<'_>, patch_json: &str) -> PyResult<SignInPreferencesPatch> {
    let invalid =
        |error: &dyn std::fmt::Display| errors::validation(py, &format!("invalid update: {error}"));
    let body: serde_json::Value =
        serde_json::from_str(patch_json).map_err(|error| invalid(&error))?;
    let (property, argument) = METHOD_PROPERTY;
    if let Some(method) = body.get(property).and_then(serde_json::Value::as_str) {
        Method::parse_target(method)
            .map_err(|problem| errors::validation(py, &format!("{argument}: {problem}")))?;
    }
    serde_json::from_value(body).map_err(|error| invalid(&error))
}

/// The user key, checked as the CLI checks it: same rules, same message.
fn user_key(py: Python<'_>, user: &str) -> PyResult<UserKey> {
    UserKey::parse(user).map_err(|error| errors::validation(py, &error.to_string()))
}

#[pymethods]
impl NativeClient {
    #[new]
    #[pyo3(signature = (*, credential=None, token=None, base_url=None, cloud=None, scopes=None, timeout=None, deadline=None, max_attempts=None, write_budget=None, tenant_write_budget=None, read_budget=None, reports_budget=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        credential: Option<Py<PyAny>>,
        token: Option<String>,
        base_url: Option<String>,
        cloud: Option<String>,
        scopes: Option<Vec<String>>,
        timeout: Option<f64>,
        deadline: Option<f64>,
        max_attempts: Option<u32>,
        write_budget: Option<String>,
        tenant_write_budget: Option<String>,
        read_budget: Option<String>,
        reports_budget: Option<String>,
    ) -> PyResult<Self> {
        // Graph's budgets as the CLI's settings of the same names read them.
        let mut budgets = Budgets::documented();
        for (setting, quota, name) in [
            (&write_budget, Quota::AppWrites, "write_budget"),
            (
                &tenant_write_budget,
                Quota::TenantWrites,
                "tenant_write_budget",
            ),
            (&read_budget, Quota::ResourceUnits, "read_budget"),
            (&reports_budget, Quota::Reports, "reports_budget"),
        ] {
            if let Some(setting) = setting {
                budgets = budgets.with_setting(quota, setting).map_err(|error| {
                    Python::attach(|py| errors::validation(py, &format!("{name}: {error}")))
                })?;
            }
        }
        let py_credential = credential.map(PyCredential::new);
        let mut builder = Client::builder();
        builder = match (&py_credential, token) {
            (Some(_), Some(_)) => {
                return Err(pyo3::exceptions::PyTypeError::new_err(
                    "give a credential or a token, not both",
                ));
            }
            (Some(credential), None) => builder.credential(credential.clone()),
            (None, Some(token)) => builder.credential(StaticToken::new(Secret::new(token))),
            (None, None) => {
                return Err(pyo3::exceptions::PyTypeError::new_err(
                    "a credential (anything with get_token(*scopes), such as azure.identity's) or token= is required",
                ));
            }
        };
        if let Some(name) = cloud {
            let cloud = name
                .parse::<Cloud>()
                .map_err(|error| Python::attach(|py| errors::client_error(py, &error, None)))?;
            builder = builder.cloud(cloud);
        }
        if let Some(base_url) = base_url {
            builder = builder.base_url(&base_url);
        }
        if let Some(scopes) = scopes {
            builder = builder.scopes(scopes);
        }
        if let Some(timeout) = timeout {
            builder = builder.request_timeout(seconds(timeout, "timeout")?);
        }
        if let Some(deadline) = deadline {
            builder = builder.overall_deadline(Some(seconds(deadline, "deadline")?));
        }
        if let Some(attempts) = max_attempts {
            builder =
                builder.retry_policy(RetryPolicy::default().with_max_attempts(attempts.max(1)));
        }
        builder = builder.pacing(PacingConfig::default().with_budgets(budgets));
        let _runtime = pyo3_async_runtimes::tokio::get_runtime().enter();
        let client = builder
            .build()
            .map_err(|error| Python::attach(|py| errors::client_error(py, &error, None)))?;
        Ok(Self {
            client,
            credential: py_credential,
            choice: None,
        })
    }

    /// A client configured exactly as the CLI's: the config file (`config`, else
    /// `SIGNIN_PREFS_CONFIG`, else the default location when it exists) or its named `profile`
    /// (else `SIGNIN_PREFS_PROFILE`'s), the environment (`SIGNIN_PREFS_*`, then `AZURE_*`) over
    /// them; the credential is chosen by the client crate's `Settings`.
    #[staticmethod]
    #[pyo3(signature = (profile = None, config = None))]
    fn from_env(profile: Option<&str>, config: Option<PathBuf>) -> PyResult<Self> {
        let _runtime = pyo3_async_runtimes::tokio::get_runtime().enter();
        let failed = |error: signin_prefs_client::Error| {
            Python::attach(|py| errors::client_error(py, &error, None))
        };
        let profile = profile
            .map(str::parse::<ProfileName>)
            .transpose()
            .map_err(failed)?;
        let connection = ConfigFile::locate(config.as_deref())
            .and_then(|file| file.choose(profile.as_ref()))
            .and_then(|chosen| chosen.settings.connect())
            .map_err(failed)?;
        Ok(Self {
            client: connection.client,
            credential: None,
            choice: Some(connection.choice),
        })
    }

    /// The credential kind `from_env` chose (`secret`, `certificate`, …) and why; `None` for a
    /// client given its credential.
    #[getter]
    fn credential_choice(&self) -> Option<(String, String)> {
        self.choice
            .as_ref()
            .map(|choice| (choice.kind.to_string(), choice.reason.clone()))
    }

    /// The Graph origin requests go to.
    #[getter]
    fn base_url(&self) -> String {
        self.client.endpoints().graph_origin.clone()
    }

    /// `GET …/signInPreferences` as JSON text.
    fn get(&self, py: Python<'_>, user: &str) -> PyResult<String> {
        let user = user_key(py, user)?;
        let result = crate::block_on(py, self.client.get_sign_in_preferences(&user));
        match result {
            Ok(preferences) => Ok(serde_json::to_string(&preferences).unwrap_or_default()),
            Err(error) => Err(self.error(py, &error)),
        }
    }

    /// `PATCH …/signInPreferences` with a patch given as JSON text (parsed strictly).
    fn update(&self, py: Python<'_>, user: &str, patch_json: &str) -> PyResult<()> {
        let user = user_key(py, user)?;
        let patch = parse_patch(py, patch_json)?;
        let result = crate::block_on(py, self.client.update_sign_in_preferences(&user, patch));
        result.map(|_| ()).map_err(|error| self.error(py, &error))
    }

    /// [`get`](Self::get) as an asyncio awaitable.
    fn get_async<'py>(slf: Bound<'py, Self>, user: String) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let user = user_key(py, &user)?;
        let owner: Py<Self> = slf.unbind();
        pyo3_async_runtimes::tokio::future_into_py(py, async move {
            let client = owner.get().client.clone();
            match client.get_sign_in_preferences(&user).await {
                Ok(preferences) => Ok(serde_json::to_string(&preferences).unwrap_or_default()),
                Err(error) => Err(Python::attach(|py| owner.get().error(py, &error))),
            }
        })
    }

    /// [`update`](Self::update) as an asyncio awaitable.
    fn update_async<'py>(
        slf: Bound<'py, Self>,
        user: String,
        patch_json: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let user = user_key(py, &user)?;
        let patch = parse_patch(py, patch_json)?;
        let owner: Py<Self> = slf.unbind();
        pyo3_async_runtimes::tokio::future_into_py(py, async move {
            let client = owner.get().client.clone();
            match client.update_sign_in_preferences(&user, patch).await {
                Ok(_) => Ok(()),
                Err(error) => Err(Python::attach(|py| owner.get().error(py, &error))),
            }
        })
    }
}
