//! Python credentials as a [`TokenCredential`]: azure-identity's (sync or async), or anything whose
//! `get_token(*scopes)` returns an object with `.token` and `.expires_on` (seconds since the epoch).

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use pyo3::prelude::*;
use pyo3::types::{PyString, PyTuple};
use signin_prefs_client::{AccessToken, Secret, TokenCredential, TokenFuture};

/// A Python credential object. Its exception, when `get_token` fails, is kept for the caller: the
/// client's error type has no public constructor for a credential failure, so the failure is
/// reported to the client as an unusable `Authorization` header and turned back into an
/// `AuthenticationError` (caused by the credential's exception) on the way out.
#[derive(Clone)]
pub(crate) struct PyCredential {
    object: Arc<Py<PyAny>>,
    failure: Arc<Mutex<Option<PyErr>>>,
}

impl fmt::Debug for PyCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PyCredential(..)")
    }
}

/// What a call to the Python `get_token` gave.
enum Answer {
    Token(AccessToken),
    Awaitable(std::pin::Pin<Box<dyn Future<Output = PyResult<Py<PyAny>>> + Send>>),
}

impl PyCredential {
    pub(crate) fn new(object: Py<PyAny>) -> Self {
        Self {
            object: Arc::new(object),
            failure: Arc::new(Mutex::new(None)),
        }
    }

    /// The exception the credential raised last, if its last call failed.
    pub(crate) fn failure(&self, py: Python<'_>) -> Option<PyErr> {
        self.failure
            .lock()
            .ok()
            .and_then(|failure| failure.as_ref().map(|error| error.clone_ref(py)))
    }

    fn record(&self, outcome: Option<PyErr>) {
        if let Ok(mut failure) = self.failure.lock() {
            *failure = outcome;
        }
    }

    fn call(&self, scopes: &[String]) -> PyResult<Answer> {
        Python::attach(|py| {
            let args = PyTuple::new(py, scopes)?;
            let result = self.object.bind(py).call_method1("get_token", args)?;
            if result.hasattr("__await__")? {
                let future = pyo3_async_runtimes::tokio::into_future(result)?;
                Ok(Answer::Awaitable(Box::pin(future)))
            } else {
                Ok(Answer::Token(extract_token(&result)?))
            }
        })
    }
}

/// The token in what `get_token` returned: an `AccessToken`-like object, or a bare string (taken
/// as valid for an hour).
fn extract_token(value: &Bound<'_, PyAny>) -> PyResult<AccessToken> {
    if value.is_instance_of::<PyString>() {
        let token: String = value.extract()?;
        return Ok(AccessToken::new(
            Secret::new(token),
            SystemTime::now() + Duration::from_secs(3600),
        ));
    }
    let token: String = value.getattr("token")?.extract()?;
    let expires_on: f64 = value.getattr("expires_on")?.extract()?;
    let expires_at = if expires_on.is_finite() && expires_on > 0.0 {
        UNIX_EPOCH + Duration::from_secs_f64(expires_on)
    } else {
        UNIX_EPOCH
    };
    Ok(AccessToken::new(Secret::new(token), expires_at))
}

/// The error the client gets for a failed credential; see [`PyCredential`].
fn failed() -> signin_prefs_client::Error {
    signin_prefs_client::Error::from(signin_prefs_request::Error::InvalidHeader {
        name: "Authorization".to_owned(),
        value: String::new(),
        reason: "the Python credential's get_token failed".to_owned(),
    })
}

impl TokenCredential for PyCredential {
    fn get_token<'a>(&'a self, scopes: &'a [&'a str]) -> TokenFuture<'a> {
        let scopes: Vec<String> = scopes.iter().map(|scope| (*scope).to_owned()).collect();
        Box::pin(async move {
            let outcome = match self.call(&scopes) {
                Ok(Answer::Token(token)) => Ok(token),
                Ok(Answer::Awaitable(future)) => match future.await {
                    Ok(value) => Python::attach(|py| extract_token(value.bind(py))),
                    Err(error) => Err(error),
                },
                Err(error) => Err(error),
            };
            match outcome {
                Ok(token) => {
                    self.record(None);
                    Ok(token)
                }
                Err(error) => {
                    self.record(Some(error));
                    Err(failed())
                }
            }
        })
    }
}
