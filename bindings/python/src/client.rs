//! `NativeClient`: the async Rust client behind both `signin_prefs.Client` (blocking calls with the
//! GIL released) and `signin_prefs.AsyncClient` (asyncio awaitables bridged from tokio).

use std::time::Duration;

use pyo3::prelude::*;
use signin_prefs_client::{Client, Cloud, RetryPolicy, Secret, StaticToken};
use signin_prefs_model::SignInPreferencesPatch;

use crate::credential::PyCredential;
use crate::errors;

/// The reason [`PyCredential`] gives the client when the Python `get_token` failed.
const CREDENTIAL_FAILED: &str = "the Python credential's get_token failed";

/// A configured client; cheap to share between threads and tasks.
#[pyclass(module = "signin_prefs._native", frozen)]
pub(crate) struct NativeClient {
    pub(crate) client: Client,
    credential: Option<PyCredential>,
}

fn cloud_named(name: &str) -> Option<Cloud> {
    match name.to_ascii_lowercase().replace(['-', '_'], "").as_str() {
        "global" | "public" | "azurepubliccloud" => Some(Cloud::Global),
        "usgov" | "usgovl4" | "gcchigh" | "azureusgovernment" => Some(Cloud::UsGovL4),
        "usgovdod" | "usgovl5" | "dod" => Some(Cloud::UsGovL5Dod),
        "china" | "azurechinacloud" => Some(Cloud::China),
        _ => None,
    }
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

fn parse_patch(py: Python<'_>, patch_json: &str) -> PyResult<SignInPreferencesPatch> {
    serde_json::from_str(patch_json)
        .map_err(|error| errors::validation(py, &format!("invalid update: {error}")))
}

#[pymethods]
impl NativeClient {
    #[new]
    #[pyo3(signature = (*, credential=None, token=None, base_url=None, cloud=None, scopes=None, timeout=None, deadline=None, max_attempts=None))]
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
    ) -> PyResult<Self> {
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
            let cloud = cloud_named(&name).ok_or_else(|| {
                pyo3::exceptions::PyValueError::new_err(format!(
                    "unknown cloud {name:?}: use \"global\", \"usgov\", \"usgov-dod\" or \"china\""
                ))
            })?;
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
        let _runtime = pyo3_async_runtimes::tokio::get_runtime().enter();
        let client = builder
            .build()
            .map_err(|error| Python::attach(|py| errors::client_error(py, &error, None)))?;
        Ok(Self {
            client,
            credential: py_credential,
        })
    }

    /// The Graph origin requests go to.
    #[getter]
    fn base_url(&self) -> String {
        self.client.endpoints().graph_origin.clone()
    }

    /// `GET …/signInPreferences` as JSON text.
    fn get(&self, py: Python<'_>, user: &str) -> PyResult<String> {
        let result = crate::block_on(py, self.client.get_sign_in_preferences(user));
        match result {
            Ok(preferences) => Ok(serde_json::to_string(&preferences).unwrap_or_default()),
            Err(error) => Err(self.error(py, &error)),
        }
    }

    /// `PATCH …/signInPreferences` with a patch given as JSON text (parsed strictly).
    fn update(&self, py: Python<'_>, user: &str, patch_json: &str) -> PyResult<()> {
        let patch = parse_patch(py, patch_json)?;
        let result = crate::block_on(py, self.client.update_sign_in_preferences(user, patch));
        result.map(|_| ()).map_err(|error| self.error(py, &error))
    }

    /// [`get`](Self::get) as an asyncio awaitable.
    fn get_async<'py>(slf: Bound<'py, Self>, user: String) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
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
