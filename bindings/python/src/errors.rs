//! Client and bulk errors as the exceptions of `signin_prefs._errors` (one hierarchy, defined in
//! Python so that `ValidationError` can also be a `ValueError`), carrying status, Graph's code and
//! message, and the correlation ids.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyType};
use signin_prefs_bulk::front_end::FrontEnd;
use signin_prefs_client::{Error, ErrorKind};

const ERRORS_MODULE: &str = "signin_prefs._errors";

/// The exception class for a client error kind.
fn class_for(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::Unauthorized | ErrorKind::Credential => "AuthenticationError",
        ErrorKind::Forbidden => "PermissionDeniedError",
        ErrorKind::NotFound => "NotFoundError",
        ErrorKind::Validation | ErrorKind::InvalidRequest => "ValidationError",
        ErrorKind::Throttled => "ThrottledError",
        ErrorKind::Timeout => "RequestTimeoutError",
        ErrorKind::Transport => "TransportError",
        ErrorKind::Configuration => "ConfigurationError",
        _ => "ServiceError",
    }
}

/// The class `name` of `signin_prefs._errors`.
fn class<'py>(py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyType>> {
    static MODULE: PyOnceLock<Py<PyModule>> = PyOnceLock::new();
    let module = MODULE.get_or_try_init(py, || py.import(ERRORS_MODULE).map(Bound::unbind))?;
    Ok(module.bind(py).getattr(name)?.cast_into::<PyType>()?)
}

/// An exception of class `name` with `text` as its message and `fields` as keyword arguments.
pub(crate) fn new_error(
    py: Python<'_>,
    name: &str,
    text: &str,
    fields: &[(&str, Option<&str>)],
) -> PyErr {
    let build = || -> PyResult<PyErr> {
        let kwargs = PyDict::new(py);
        for (key, value) in fields {
            kwargs.set_item(*key, *value)?;
        }
        let instance = class(py, name)?.call((text,), Some(&kwargs))?;
        Ok(PyErr::from_value(instance))
    };
    build().unwrap_or_else(|error| error)
}

/// The Python exception for a client error; `cause` (a credential's own exception) becomes its
/// `__cause__`.
pub(crate) fn client_error(py: Python<'_>, error: &Error, cause: Option<PyErr>) -> PyErr {
    client_error_in(py, None, error, cause)
}

/// [`client_error`], its message prefixed with what was being done.
fn client_error_in(
    py: Python<'_>,
    context: Option<&str>,
    error: &Error,
    cause: Option<PyErr>,
) -> PyErr {
    let status = error.status().map(|status| status.to_string());
    let name = if cause.is_some() {
        "AuthenticationError"
    } else {
        class_for(error.kind())
    };
    let kind = format!("{:?}", error.kind());
    let retry_after = error
        .response()
        .and_then(|response| response.retry_after)
        .map(|wait| wait.as_secs_f64().to_string());
    let text = match &cause {
        Some(cause) => format!("cannot obtain a token: {cause}"),
        None => error.to_string(),
    };
    let text = match context {
        Some(context) => format!("{context}: {text}"),
        None => text,
    };
    let result = new_error(
        py,
        name,
        &text,
        &[
            ("kind", Some(kind.as_str())),
            ("status", status.as_deref()),
            ("code", error.code()),
            ("message", error.message()),
            ("request_id", error.request_id()),
            ("client_request_id", error.client_request_id()),
            ("retry_after", retry_after.as_deref()),
        ],
    );
    if let Some(cause) = cause {
        result.set_cause(py, Some(cause));
    }
    result
}

/// The Python exception for a bulk error: the client's class when Graph refused the run,
/// `ValidationError` for a bad targets file or a missing file, `BulkInterrupted` for a plan stopped by Ctrl-C or a
/// cancelled task, else `BulkError`.
pub(crate) fn bulk_error(py: Python<'_>, error: &signin_prefs_bulk::Error) -> PyErr {
    match error {
        signin_prefs_bulk::Error::Service { context, source } => {
            client_error_in(py, Some(context), source, None)
        }
        signin_prefs_bulk::Error::Input(_) => {
            new_error(py, "ValidationError", &error.to_string(), &[])
        }
        // A file the caller named that is not there is input refused before anything was sent,
        // whichever it is (a plan, a journal): as a missing targets file (an `Input` error), and
        // as the CLI, whose exit code is the same for all of them.
        signin_prefs_bulk::Error::Io { source, .. }
            if source.kind() == std::io::ErrorKind::NotFound =>
        {
            new_error(py, "ValidationError", &error.to_string(), &[])
        }
        signin_prefs_bulk::Error::Interrupted(_) => {
            new_error(py, "BulkInterrupted", &error.to_string(), &[])
        }
        // A refusal names the keyword argument to use, not the CLI's flag.
        _ => new_error(py, "BulkError", &error.worded(FrontEnd::Python), &[]),
    }
}

/// A `ValidationError` for input refused before anything was sent.
pub(crate) fn validation(py: Python<'_>, text: &str) -> PyErr {
    new_error(py, "ValidationError", text, &[("kind", Some("Validation"))])
}
