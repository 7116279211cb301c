//! The gates a request passes before it reaches the tenant: its token (auth), its app's budget
//! (throttling, on the emulated clock) and the injected faults.
//!
//! They decide; they do not answer. Each host turns a refusal into its own wire format, so the
//! token store is shared by the login host that issues tokens and the Graph host that checks them.

use std::sync::Arc;
use std::time::Duration;

use crate::auth::{TokenClaims, TokenRejection, TokenRequest, TokenStore, now_unix};
use crate::config::EmulatorConfig;
use crate::error::Error;
use crate::faults::{FaultKind, FaultTarget, Faults};
use crate::priority::PriorityLog;
use crate::sign_ins::SignIns;
use crate::tenant::Tenant;
use crate::throttle::{Clock, Throttle, ThrottleConfig, Throttled};

/// A request's token, validated once where the request arrived (a `$batch` item has none of its
/// own: it is the batch's).
pub(crate) type Validated = Result<Arc<TokenClaims>, TokenRejection>;

#[derive(Debug)]
pub(crate) struct Gates {
    pub(crate) tokens: TokenStore,
    /// Lifetime of the tokens the login host issues, and of minted ones unless asked otherwise.
    pub(crate) token_lifetime: Duration,
    /// The app a minted token is for unless asked otherwise.
    default_app_id: String,
    pub(crate) throttle: Throttle,
    pub(crate) clock: Clock,
    pub(crate) faults: Faults,
    /// The `x-ms-throttle-priority` of each request the Graph host received.
    pub(crate) priorities: PriorityLog,
    /// The login host's memory between the requests of a sign-in.
    pub(crate) sign_ins: SignIns,
}

impl Gates {
    pub(crate) fn new(config: &EmulatorConfig) -> Result<Self, Error> {
        let certificates = config
            .app_certificates
            .iter()
            .map(|(client_id, pem)| Ok((client_id.clone(), certificate_der(client_id, pem)?)))
            .collect::<Result<Vec<_>, Error>>()?;
        Ok(Self {
            tokens: TokenStore::new(config.apps.clone()),
            token_lifetime: config.token_lifetime,
            default_app_id: config
                .apps
                .first()
                .map(|app| app.client_id.clone())
                .unwrap_or_default(),
            throttle: Throttle::new(config.throttle.clone()),
            clock: Clock::new(config.time_scale),
            faults: Faults::new(config.seed, config.faults.clone()),
            priorities: PriorityLog::default(),
            sign_ins: SignIns::new(
                &certificates,
                config.device_code_approval,
                config.device_code_interval,
            ),
        })
    }

    /// The claims of the bearer token in an `Authorization` header value.
    pub(crate) fn authenticate(&self, authorization: Option<&str>) -> Validated {
        self.tokens.validate(authorization)
    }

    /// Charges one request to its app and tenant; `Err` when over budget.
    pub(crate) fn charge(&self, claims: &TokenClaims, write: bool) -> Result<(), Throttled> {
        self.throttle
            .charge(&self.clock, &claims.app_id, &claims.tenant_id, write)
    }

    /// Charges one report page to its app and tenant's reports budget; `Err` when over it.
    pub(crate) fn charge_report(&self, claims: &TokenClaims) -> Result<(), Throttled> {
        self.throttle
            .charge_report(&self.clock, &claims.app_id, &claims.tenant_id)
    }

    pub(crate) fn throttle_config(&self) -> ThrottleConfig {
        self.throttle.config()
    }

    /// The fault injected into this request, if any.
    pub(crate) fn fault(&self, target: &FaultTarget<'_>) -> Option<FaultKind> {
        self.faults.decide(target)
    }

    /// Issues a token for `tenant` with exactly the roles, scopes, user and lifetime asked for.
    pub(crate) fn mint(&self, tenant: &Tenant, request: TokenRequest) -> Result<String, Error> {
        let app_id = request
            .app_id
            .unwrap_or_else(|| self.default_app_id.clone());
        let user = match &request.user {
            Some(key) => Some(
                tenant
                    .find(key)?
                    .ok_or_else(|| Error::UnknownUser(key.clone()))?
                    .id,
            ),
            None => None,
        };
        let lifetime = request
            .expires_in_seconds
            .unwrap_or(self.token_lifetime.as_secs());
        Ok(self.tokens.mint(TokenClaims {
            app_id,
            tenant_id: tenant.id.clone(),
            roles: request.roles,
            scopes: if user.is_some() {
                request.scopes
            } else {
                Vec::new()
            },
            user,
            directory_roles: request.directory_roles,
            expires_at: now_unix() + lifetime,
        }))
    }
}

/// The DER of the first certificate in `pem` (PEM text, or DER given as is).
pub(crate) fn certificate_der(client_id: &str, pem: &str) -> Result<Vec<u8>, Error> {
    let refused = |reason: String| Error::Certificate {
        client_id: client_id.to_owned(),
        reason,
    };
    let blocks = pem::parse_many(pem.as_bytes()).map_err(|error| refused(error.to_string()))?;
    let der = blocks
        .into_iter()
        .find(|block| block.tag() == "CERTIFICATE")
        .map(pem::Pem::into_contents)
        .ok_or_else(|| refused("no CERTIFICATE block".to_owned()))?;
    let certificate = tokio_rustls::rustls::pki_types::CertificateDer::from(der.as_slice());
    webpki::EndEntityCert::try_from(&certificate).map_err(|error| refused(error.to_string()))?;
    Ok(der)
}
