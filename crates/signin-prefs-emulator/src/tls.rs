//! `--tls`: a certificate authority made at start, a server certificate it signs for
//! `127.0.0.1` and `localhost`, and the acceptor that serves HTTPS with them.
//!
//! Some clients send a bearer token over HTTPS only (azure_core 1.x refuses plain HTTP), so the
//! emulator can speak HTTPS; the CA is new at every start and its certificate is handed to the
//! user (a file, [`EmulatorHandle::ca_certificate_pem`](crate::EmulatorHandle::ca_certificate_pem))
//! to trust, so no client needs to turn verification off.

use std::io::Write as _;
use std::path::Path;
use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

use crate::error::Error;
use crate::owner_only;

/// The names the server certificate is valid for: the only addresses the emulator listens on.
const SERVER_NAMES: [&str; 2] = ["127.0.0.1", "localhost"];

/// What HTTPS is served with.
#[derive(Clone)]
pub(crate) struct Tls {
    pub(crate) acceptor: TlsAcceptor,
    /// The CA's certificate, PEM: what a client trusts.
    pub(crate) ca_pem: String,
}

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tls").finish_non_exhaustive()
    }
}

impl Tls {
    /// A fresh CA and server certificate, and (when `ca_file` is given) the CA's certificate
    /// written there, owner-only.
    pub(crate) fn generate(ca_file: Option<&Path>) -> Result<Self, Error> {
        let failed =
            |what: &str, cause: &dyn std::fmt::Display| Error::Tls(format!("{what}: {cause}"));
        let ca_key = KeyPair::generate().map_err(|cause| failed("CA key", &cause))?;
        let mut ca_params = CertificateParams::new(Vec::<String>::new())
            .map_err(|cause| failed("CA certificate", &cause))?;
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "signin-prefs emulator CA");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca = ca_params
            .self_signed(&ca_key)
            .map_err(|cause| failed("CA certificate", &cause))?;
        let server_key = KeyPair::generate().map_err(|cause| failed("server key", &cause))?;
        let mut server_params = CertificateParams::new(SERVER_NAMES.map(str::to_owned).to_vec())
            .map_err(|cause| failed("server certificate", &cause))?;
        server_params
            .distinguished_name
            .push(DnType::CommonName, "signin-prefs emulator");
        let server = server_params
            .signed_by(&server_key, &ca, &ca_key)
            .map_err(|cause| failed("server certificate", &cause))?;
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der()));
        let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|cause| failed("TLS versions", &cause))?
            .with_no_client_auth()
            .with_single_cert(vec![server.der().clone(), ca.der().clone()], key)
            .map_err(|cause| failed("TLS configuration", &cause))?;
        // The server speaks HTTP/1.1 only.
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        let ca_pem = ca.pem();
        if let Some(path) = ca_file {
            owner_only::open(path, owner_only::Mode::Replace)
                .and_then(|mut file| file.write_all(ca_pem.as_bytes()))
                .map_err(|source| Error::CaFile {
                    path: path.to_path_buf(),
                    source,
                })?;
        }
        Ok(Self {
            acceptor: TlsAcceptor::from(Arc::new(config)),
            ca_pem,
        })
    }
}
