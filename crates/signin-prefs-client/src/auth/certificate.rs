//! App-only access with a certificate: a JWT assertion signed with the certificate's private key
//! (RFC 7523), as Entra ID's certificate credentials describe.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;

use super::token_endpoint::TokenEndpoint;
use super::{TokenCredential, TokenFuture};
use crate::{CaCertificates, Cloud, Error, Secret};

/// How long an assertion is valid: Entra ID wants at most ten minutes.
const ASSERTION_LIFETIME: Duration = Duration::from_secs(600);

const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// How the assertion is signed and how it names the certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum AssertionAlgorithm {
    /// RSASSA-PSS with SHA-256, the certificate named by `x5t#S256` (SHA-256 thumbprint): what
    /// Entra ID documents today.
    #[default]
    Ps256,
    /// RSASSA-PKCS1-v1_5 with SHA-256, the certificate named by `x5t` (SHA-1 thumbprint): the older
    /// form, still accepted.
    Rs256,
}

/// App-only access with a client certificate.
#[derive(Clone)]
pub struct ClientCertificateCredential {
    endpoint: TokenEndpoint,
    client_id: String,
    key: EncodingKey,
    thumbprint_sha1: String,
    thumbprint_sha256: String,
    algorithm: AssertionAlgorithm,
}

impl fmt::Debug for ClientCertificateCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCertificateCredential")
            .field("endpoint", &self.endpoint)
            .field("client_id", &self.client_id)
            .field("thumbprint_sha256", &self.thumbprint_sha256)
            .field("algorithm", &self.algorithm)
            .field("key", &"<redacted>")
            .finish()
    }
}

#[derive(Serialize)]
struct AssertionClaims<'a> {
    aud: &'a str,
    iss: &'a str,
    sub: &'a str,
    jti: String,
    nbf: u64,
    iat: u64,
    exp: u64,
}

impl ClientCertificateCredential {
    /// For `tenant` in `cloud`, from PEM text holding the certificate and its RSA private key
    /// (PKCS#8 `PRIVATE KEY` or PKCS#1 `RSA PRIVATE KEY`, in one file or two concatenated).
    pub fn from_pem(
        cloud: Cloud,
        tenant: &str,
        client_id: &str,
        pem_text: &Secret,
    ) -> Result<Self, Error> {
        Self::from_pem_with_authority(cloud.login_authority(), tenant, client_id, pem_text)
    }

    /// For `tenant` at an explicit authority.
    pub fn from_pem_with_authority(
        authority: &str,
        tenant: &str,
        client_id: &str,
        pem_text: &Secret,
    ) -> Result<Self, Error> {
        let blocks = pem::parse_many(pem_text.expose().as_bytes()).map_err(|cause| {
            Error::configuration(format!("the certificate PEM does not parse: {cause}"))
        })?;
        let certificate = blocks
            .iter()
            .find(|block| block.tag() == "CERTIFICATE")
            .ok_or_else(|| Error::configuration("the PEM holds no CERTIFICATE block"))?;
        let key_block = blocks
            .iter()
            .find(|block| matches!(block.tag(), "PRIVATE KEY" | "RSA PRIVATE KEY"))
            .ok_or_else(|| {
                Error::configuration("the PEM holds no PRIVATE KEY or RSA PRIVATE KEY block (only RSA keys are supported)")
            })?;
        let key =
            EncodingKey::from_rsa_pem(pem::encode(key_block).as_bytes()).map_err(|cause| {
                Error::configuration(format!("the private key is not a usable RSA key: {cause}"))
            })?;
        let der = certificate.contents();
        let digest = |algorithm| URL_SAFE_NO_PAD.encode(ring::digest::digest(algorithm, der));
        Ok(Self {
            endpoint: TokenEndpoint::new(authority, tenant)?,
            client_id: client_id.to_owned(),
            key,
            thumbprint_sha1: digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY),
            thumbprint_sha256: digest(&ring::digest::SHA256),
            algorithm: AssertionAlgorithm::default(),
        })
    }

    /// Trusts `certificates` too when calling the login host (an emulator's `--tls` CA).
    pub fn with_ca_certificates(mut self, certificates: &CaCertificates) -> Result<Self, Error> {
        self.endpoint = self.endpoint.trusting(certificates)?;
        Ok(self)
    }

    /// For `tenant` at an explicit authority, from a PKCS#12 (`.pfx`) archive holding the
    /// certificate and its RSA key, opened with `password` (empty when it has none).
    #[cfg(feature = "pkcs12")]
    pub fn from_pkcs12_with_authority(
        authority: &str,
        tenant: &str,
        client_id: &str,
        archive: &[u8],
        password: &Secret,
    ) -> Result<Self, Error> {
        let store = p12_keystore::KeyStore::from_pkcs12(
            archive,
            password.expose(),
            p12_keystore::Pkcs12ImportPolicy::Relaxed,
        )
        .map_err(|cause| {
            Error::configuration(format!(
                "the PKCS#12 archive cannot be opened (wrong password, or not PKCS#12): {cause}"
            ))
        })?;
        let (_, chain) = store
            .private_key_chain()
            .ok_or_else(|| Error::configuration("the PKCS#12 archive holds no private key"))?;
        let certificate = chain.certs().first().ok_or_else(|| {
            Error::configuration("the PKCS#12 archive holds no certificate for its key")
        })?;
        // Through PEM, so both forms take the one path that checks the key and the certificate.
        let text = format!(
            "{}{}",
            pem::encode(&pem::Pem::new("CERTIFICATE", certificate.as_der().to_vec())),
            pem::encode(&pem::Pem::new("PRIVATE KEY", chain.key().as_der().to_vec()))
        );
        Self::from_pem_with_authority(authority, tenant, client_id, &Secret::new(text))
    }

    /// Signs with `algorithm` instead of the default PS256.
    pub fn with_algorithm(mut self, algorithm: AssertionAlgorithm) -> Self {
        self.algorithm = algorithm;
        self
    }

    /// The signed assertion sent as `client_assertion`, valid for ten minutes from `now`. It
    /// authenticates the app, so it is a secret too.
    pub fn client_assertion(&self, now: SystemTime) -> Result<Secret, Error> {
        let mut header = match self.algorithm {
            AssertionAlgorithm::Ps256 => {
                let mut header = Header::new(Algorithm::PS256);
                header.x5t_s256 = Some(self.thumbprint_sha256.clone());
                header
            }
            AssertionAlgorithm::Rs256 => {
                let mut header = Header::new(Algorithm::RS256);
                header.x5t = Some(self.thumbprint_sha1.clone());
                header
            }
        };
        header.typ = Some("JWT".to_owned());
        let issued = now
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO)
            .as_secs();
        let claims = AssertionClaims {
            aud: self.endpoint.token_url().as_str(),
            iss: &self.client_id,
            sub: &self.client_id,
            jti: uuid::Uuid::new_v4().to_string(),
            nbf: issued,
            iat: issued,
            exp: issued + ASSERTION_LIFETIME.as_secs(),
        };
        jsonwebtoken::encode(&header, &claims, &self.key)
            .map(Secret::new)
            .map_err(|cause| {
                Error::credential(format!("cannot sign the client assertion: {cause}"))
            })
    }

    /// Where tokens are requested (the assertion's audience).
    pub fn token_url(&self) -> &str {
        self.endpoint.token_url().as_str()
    }
}

impl TokenCredential for ClientCertificateCredential {
    fn get_token<'a>(&'a self, scopes: &'a [&'a str]) -> TokenFuture<'a> {
        Box::pin(async move {
            let assertion = self.client_assertion(SystemTime::now())?;
            let scope = scopes.join(" ");
            let form = [
                ("grant_type", "client_credentials"),
                ("client_id", self.client_id.as_str()),
                ("scope", scope.as_str()),
                ("client_assertion_type", JWT_BEARER),
                ("client_assertion", assertion.expose()),
            ];
            let grant = self
                .endpoint
                .request_token(&form, &[assertion.expose()])
                .await?;
            Ok(grant.access_token)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{DecodingKey, Validation, decode, decode_header};

    const BUNDLE: &str = include_str!("../../testdata/test-only-cert-and-key.pem");
    const PUBLIC_KEY: &str = include_str!("../../testdata/test-only-public-key.pem");

    fn credential() -> ClientCertificateCredential {
        ClientCertificateCredential::from_pem(
            Cloud::UsGovL4,
            "contoso.onmicrosoft.us",
            "app-1",
            &Secret::new(BUNDLE),
        )
        .unwrap()
    }

    #[derive(Debug, serde::Deserialize)]
    struct Claims {
        aud: String,
        iss: String,
        sub: String,
        jti: String,
        nbf: u64,
        exp: u64,
    }

    fn verify(assertion: &Secret, algorithm: Algorithm) -> Claims {
        let key = DecodingKey::from_rsa_pem(PUBLIC_KEY.as_bytes()).unwrap();
        let mut validation = Validation::new(algorithm);
        validation.set_audience(&[
            "https://login.microsoftonline.us/contoso.onmicrosoft.us/oauth2/v2.0/token",
        ]);
        decode::<Claims>(assertion.expose(), &key, &validation)
            .unwrap()
            .claims
    }

    #[test]
    fn ps256_assertion_verifies_and_names_the_certificate_by_sha256() {
        let assertion = credential().client_assertion(SystemTime::now()).unwrap();
        let header = decode_header(assertion.expose()).unwrap();
        assert_eq!(header.alg, Algorithm::PS256);
        // `openssl x509 -outform der | openssl dgst -sha256 -binary | base64url`
        assert_eq!(
            header.x5t_s256.as_deref(),
            Some("Uak7jA3oIEqo4P5CbVb8WDIvWGRSLlGEDmnkgVAPQec")
        );
        let claims = verify(&assertion, Algorithm::PS256);
        assert_eq!(
            (claims.iss.as_str(), claims.sub.as_str()),
            ("app-1", "app-1")
        );
        assert_eq!(claims.aud, credential().token_url());
        assert_eq!(claims.exp - claims.nbf, 600);
        assert_eq!(claims.jti.len(), 36);
    }

    #[test]
    fn rs256_assertion_uses_the_sha1_thumbprint() {
        let assertion = credential()
            .with_algorithm(AssertionAlgorithm::Rs256)
            .client_assertion(SystemTime::now())
            .unwrap();
        let header = decode_header(assertion.expose()).unwrap();
        assert_eq!(header.alg, Algorithm::RS256);
        assert_eq!(header.x5t.as_deref(), Some("e0wXxTnlZ6ONHmY8PxF9xU4m0P0"));
        verify(&assertion, Algorithm::RS256);
    }

    #[test]
    fn each_assertion_is_unique_and_debug_hides_the_key() {
        let credential = credential();
        let first = credential.client_assertion(SystemTime::now()).unwrap();
        let second = credential.client_assertion(SystemTime::now()).unwrap();
        assert_ne!(first, second);
        let debug = format!("{credential:?}");
        assert!(debug.contains("<redacted>") && !debug.contains("PRIVATE"));
    }

    #[test]
    fn missing_key_or_certificate_is_a_configuration_error() {
        let certificate_only: String = BUNDLE
            .split("-----BEGIN PRIVATE KEY-----")
            .next()
            .unwrap()
            .to_owned();
        let error = ClientCertificateCredential::from_pem(
            Cloud::Global,
            "t",
            "a",
            &Secret::new(certificate_only),
        )
        .unwrap_err();
        assert_eq!(error.kind(), crate::ErrorKind::Configuration);
        assert!(
            ClientCertificateCredential::from_pem(Cloud::Global, "t", "a", &Secret::new("junk"))
                .is_err()
        );
    }
}
