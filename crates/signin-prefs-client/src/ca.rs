//! Extra certificate authorities a client trusts besides the public ones: the CA an emulator
//! made for its `--tls` (or a company's TLS-inspecting proxy). There is deliberately no way to
//! turn certificate verification off.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::Error;

/// Certificate authorities to trust in addition to the built-in public roots. Empty by default.
#[derive(Clone, Default)]
pub struct CaCertificates {
    certificates: Arc<Vec<reqwest::Certificate>>,
    /// Where they were read from, to say so in errors and `doctor`.
    source: Option<PathBuf>,
}

impl fmt::Debug for CaCertificates {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CaCertificates")
            .field("count", &self.certificates.len())
            .field("source", &self.source)
            .finish()
    }
}

impl CaCertificates {
    /// The certificates of a PEM bundle (one or more `CERTIFICATE` blocks).
    pub fn from_pem(pem: &[u8]) -> Result<Self, Error> {
        Self::parse(pem, None)
    }

    /// The certificates of a PEM file (`SIGNIN_PREFS_CA_FILE`, `ca_file`).
    pub fn from_file(path: &Path) -> Result<Self, Error> {
        let pem = std::fs::read(path).map_err(|cause| {
            Error::configuration(format!(
                "cannot read the CA certificate file {}: {cause}",
                path.display()
            ))
        })?;
        Self::parse(&pem, Some(path))
    }

    fn parse(pem: &[u8], path: Option<&Path>) -> Result<Self, Error> {
        let place = path.map_or_else(
            || "the CA certificates".to_owned(),
            |path| format!("the CA certificate file {}", path.display()),
        );
        let certificates = reqwest::Certificate::from_pem_bundle(pem).map_err(|cause| {
            Error::configuration(format!("{place} is not PEM certificates")).with_cause(cause)
        })?;
        if certificates.is_empty() {
            return Err(Error::configuration(format!(
                "{place} holds no CERTIFICATE block"
            )));
        }
        Ok(Self {
            certificates: Arc::new(certificates),
            source: path.map(Path::to_path_buf),
        })
    }

    /// How many certificates are trusted beyond the public roots.
    pub fn len(&self) -> usize {
        self.certificates.len()
    }

    /// Whether none are.
    pub fn is_empty(&self) -> bool {
        self.certificates.is_empty()
    }

    /// The file they came from, if any.
    pub fn source(&self) -> Option<&Path> {
        self.source.as_deref()
    }

    /// `builder`, trusting these too.
    pub(crate) fn apply(&self, builder: reqwest::ClientBuilder) -> reqwest::ClientBuilder {
        self.certificates
            .iter()
            .cloned()
            .fold(builder, reqwest::ClientBuilder::add_root_certificate)
    }
}
