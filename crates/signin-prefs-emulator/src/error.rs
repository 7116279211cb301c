//! The emulator's error type.

/// What can go wrong starting or configuring the emulator.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The listening socket could not be opened.
    #[error("cannot listen on 127.0.0.1:{port}: {source}")]
    Bind {
        /// The port asked for.
        port: u16,
        /// The cause.
        source: std::io::Error,
    },
    /// The users file could not be read.
    #[error("cannot read users file {path}: {source}")]
    UsersFile {
        /// The file.
        path: std::path::PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The users file is not a JSON array of users.
    #[error("users file {path} is not valid: {message}")]
    UsersFileFormat {
        /// The file.
        path: std::path::PathBuf,
        /// What is wrong, with line and column.
        message: String,
    },
    /// A user is invalid (bad id, unknown method, duplicate).
    #[error("user `{user}`: {reason}")]
    InvalidUser {
        /// The user's UPN.
        user: String,
        /// What is wrong.
        reason: String,
    },
    /// No such user.
    #[error("no user `{0}`")]
    UnknownUser(String),
    /// No such app for a token.
    #[error("no app with client id `{0}`")]
    UnknownApp(String),
    /// An authentication methods policy the emulator cannot serve.
    #[error("authentication methods policy: {0}")]
    Policy(String),
    /// The request log could not be opened.
    #[error("cannot open the request log {path}: {source}")]
    RequestLog {
        /// The file.
        path: std::path::PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The TLS certificates could not be made (`--tls`).
    #[error("cannot set up TLS: {0}")]
    Tls(String),
    /// The CA certificate could not be written (`--tls FILE`).
    #[error("cannot write the CA certificate to {path}: {source}")]
    CaFile {
        /// The file.
        path: std::path::PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A certificate registered for client assertions is not a PEM or DER X.509 certificate.
    #[error("the certificate for app `{client_id}` is not usable: {reason}")]
    Certificate {
        /// The app.
        client_id: String,
        /// What is wrong.
        reason: String,
    },
    /// An admin API request whose body is not what the route takes.
    #[error("admin request: {0}")]
    AdminRequest(String),
    /// No device code waits with this user code.
    #[error("no pending device code `{0}`")]
    UnknownDeviceCode(String),
    /// The user store cannot be used: a thread panicked while changing it (an emulator bug).
    #[error("the emulator's user store is unavailable: a thread panicked while changing it")]
    StoreUnavailable,
}
