//! What the login host remembers between the requests of a sign-in: the certificates registered
//! for apps, the federated tokens the emulator handed out, device codes waiting for a user,
//! refresh tokens, and the secret header of the managed-identity endpoint.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock, RwLock};
use std::time::Duration;

use crate::auth::{TokenClaims, now_unix};
use crate::ids::random_guid;

/// How a device code is approved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum DeviceCodeApproval {
    /// At once, as the tenant's first enabled administrator with the Privileged Authentication
    /// Administrator role (the default: a test signs in without a person).
    #[default]
    Automatic,
    /// Only through the admin API or the handle, naming the user who signs in.
    Manual,
}

/// How long a refresh token lasts unused (Entra's documented default is 90 days).
const REFRESH_TOKEN_LIFETIME: Duration = Duration::from_secs(90 * 24 * 3600);
/// How long a device code waits for its user (the identity platform answers 900 seconds).
pub(crate) const DEVICE_CODE_LIFETIME: Duration = Duration::from_secs(900);
/// How long a federated token the emulator hands out is valid (an AKS projected token: an hour).
const FEDERATED_TOKEN_LIFETIME: Duration = Duration::from_secs(3600);

/// A device code's state.
#[derive(Debug, Clone)]
pub(crate) enum DeviceState {
    Pending,
    /// Approved: the claims its tokens will carry (expiry filled in when redeemed).
    Approved(TokenClaims),
    Declined,
}

#[derive(Debug, Clone)]
pub(crate) struct DeviceCode {
    pub(crate) client_id: String,
    pub(crate) user_code: String,
    pub(crate) scopes: Vec<String>,
    pub(crate) offline_access: bool,
    pub(crate) expires_at: u64,
    pub(crate) state: DeviceState,
}

/// A refresh token's grant: whose it is and whether it still holds.
#[derive(Debug, Clone)]
pub(crate) struct RefreshGrant {
    pub(crate) claims: TokenClaims,
    pub(crate) expires_at: u64,
    pub(crate) revoked: bool,
}

/// Why a refresh token is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RefreshRefusal {
    Unknown,
    Revoked,
    Expired,
    OtherClient,
}

#[derive(Debug)]
pub(crate) struct SignIns {
    /// DER certificates per client id (lowercase).
    certificates: RwLock<HashMap<String, Vec<Vec<u8>>>>,
    /// Federated tokens handed out: token → (client id, expiry).
    federated: RwLock<HashMap<String, (String, u64)>>,
    device_codes: Mutex<HashMap<String, DeviceCode>>,
    refresh_tokens: RwLock<HashMap<String, RefreshGrant>>,
    pub(crate) approval: DeviceCodeApproval,
    /// Seconds a device-code client is told to wait between polls.
    pub(crate) device_code_interval: u64,
    /// The value `X-IDENTITY-HEADER` must carry (App Service's `IDENTITY_HEADER`).
    pub(crate) identity_header: String,
    /// The emulator's origin, known once it listens: the audience of client assertions.
    pub(crate) origin: OnceLock<String>,
}

impl SignIns {
    pub(crate) fn new(
        certificates: &[(String, Vec<u8>)],
        approval: DeviceCodeApproval,
        device_code_interval: u64,
    ) -> Self {
        let mut registered: HashMap<String, Vec<Vec<u8>>> = HashMap::new();
        for (client_id, der) in certificates {
            registered
                .entry(client_id.to_ascii_lowercase())
                .or_default()
                .push(der.clone());
        }
        Self {
            certificates: RwLock::new(registered),
            federated: RwLock::default(),
            device_codes: Mutex::default(),
            refresh_tokens: RwLock::default(),
            approval,
            device_code_interval,
            identity_header: format!("{:032x}", rand::random::<u128>()),
            origin: OnceLock::new(),
        }
    }

    /// The emulator's origin (`""` before it listens).
    pub(crate) fn origin(&self) -> String {
        self.origin.get().cloned().unwrap_or_default()
    }

    /// Registers a certificate (DER) for an app's client assertions.
    pub(crate) fn register_certificate(&self, client_id: &str, der: Vec<u8>) {
        if let Ok(mut certificates) = self.certificates.write() {
            certificates
                .entry(client_id.to_ascii_lowercase())
                .or_default()
                .push(der);
        }
    }

    /// The certificates registered for an app.
    pub(crate) fn certificates(&self, client_id: &str) -> Vec<Vec<u8>> {
        self.certificates
            .read()
            .ok()
            .and_then(|certificates| certificates.get(&client_id.to_ascii_lowercase()).cloned())
            .unwrap_or_default()
    }

    /// A federated token for an app, as a workload's identity provider would project it.
    pub(crate) fn federated_token(&self, client_id: &str, lifetime: Option<Duration>) -> String {
        let token = crate::auth::opaque_jwt(&serde_json::json!({
            "iss": self.origin(),
            "sub": format!("system:serviceaccount:emulator:{client_id}"),
            "aud": "api://AzureADTokenExchange",
            "exp": now_unix() + lifetime.unwrap_or(FEDERATED_TOKEN_LIFETIME).as_secs(),
        }));
        let expires_at = now_unix() + lifetime.unwrap_or(FEDERATED_TOKEN_LIFETIME).as_secs();
        if let Ok(mut federated) = self.federated.write() {
            federated.insert(token.clone(), (client_id.to_ascii_lowercase(), expires_at));
        }
        token
    }

    /// The app and expiry of a federated token the emulator handed out.
    pub(crate) fn federated(&self, token: &str) -> Option<(String, u64)> {
        self.federated.read().ok()?.get(token).cloned()
    }

    /// A new device code for `client_id`, approved at once when `approved` is given.
    pub(crate) fn start_device_code(
        &self,
        client_id: &str,
        scopes: Vec<String>,
        offline_access: bool,
        approved: Option<TokenClaims>,
    ) -> DeviceCode {
        let letters: String = (0..9)
            .map(|_| char::from(b'A' + (rand::random::<u8>() % 26)))
            .collect();
        let code = DeviceCode {
            client_id: client_id.to_ascii_lowercase(),
            user_code: letters,
            scopes,
            offline_access,
            expires_at: now_unix() + DEVICE_CODE_LIFETIME.as_secs(),
            state: approved.map_or(DeviceState::Pending, DeviceState::Approved),
        };
        if let Ok(mut codes) = self.device_codes.lock() {
            codes.insert(format!("emu-dc-{}", random_guid()), code.clone());
        }
        code
    }

    /// The device code (the secret the client polls with) of a user code.
    pub(crate) fn device_code_of(&self, user_code: &str) -> Option<String> {
        let codes = self.device_codes.lock().ok()?;
        codes
            .iter()
            .find(|(_, code)| code.user_code.eq_ignore_ascii_case(user_code))
            .map(|(device_code, _)| device_code.clone())
    }

    /// The user codes still waiting for a user.
    pub(crate) fn pending_user_codes(&self) -> Vec<String> {
        let now = now_unix();
        self.device_codes
            .lock()
            .map(|codes| {
                codes
                    .values()
                    .filter(|code| {
                        matches!(code.state, DeviceState::Pending) && code.expires_at > now
                    })
                    .map(|code| code.user_code.clone())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Settles a pending user code: approved with these claims, or declined. `false` when no
    /// such code waits.
    pub(crate) fn settle(&self, user_code: &str, claims: Option<TokenClaims>) -> bool {
        let Ok(mut codes) = self.device_codes.lock() else {
            return false;
        };
        match codes.values_mut().find(|code| {
            code.user_code.eq_ignore_ascii_case(user_code)
                && matches!(code.state, DeviceState::Pending)
        }) {
            Some(code) => {
                code.state = claims.map_or(DeviceState::Declined, DeviceState::Approved);
                true
            }
            None => false,
        }
    }

    /// A device code's record, left in place.
    pub(crate) fn peek_device_code(&self, device_code: &str) -> Option<DeviceCode> {
        self.device_codes.lock().ok()?.get(device_code).cloned()
    }

    /// The device code's state; an approved or declined code is used up.
    pub(crate) fn redeem_device_code(&self, device_code: &str) -> Option<DeviceCode> {
        let mut codes = self.device_codes.lock().ok()?;
        let code = codes.get(device_code)?.clone();
        if !matches!(code.state, DeviceState::Pending) {
            codes.remove(device_code);
        }
        Some(code)
    }

    /// A refresh token for these claims.
    pub(crate) fn issue_refresh_token(&self, claims: &TokenClaims) -> String {
        let token = format!(
            "emu-rt.{:032x}{:032x}",
            rand::random::<u128>(),
            rand::random::<u128>()
        );
        if let Ok(mut tokens) = self.refresh_tokens.write() {
            tokens.insert(
                token.clone(),
                RefreshGrant {
                    claims: claims.clone(),
                    expires_at: now_unix() + REFRESH_TOKEN_LIFETIME.as_secs(),
                    revoked: false,
                },
            );
        }
        token
    }

    /// The grant of a refresh token presented by `client_id`.
    pub(crate) fn refresh(
        &self,
        token: &str,
        client_id: &str,
    ) -> Result<RefreshGrant, RefreshRefusal> {
        let tokens = self
            .refresh_tokens
            .read()
            .map_err(|_| RefreshRefusal::Unknown)?;
        let grant = tokens.get(token).ok_or(RefreshRefusal::Unknown)?;
        if !grant.claims.app_id.eq_ignore_ascii_case(client_id) {
            return Err(RefreshRefusal::OtherClient);
        }
        if grant.revoked {
            return Err(RefreshRefusal::Revoked);
        }
        if grant.expires_at <= now_unix() {
            return Err(RefreshRefusal::Expired);
        }
        Ok(grant.clone())
    }

    /// Revokes every refresh token of a user (Graph's `revokeSignInSessions`); how many.
    pub(crate) fn revoke(&self, user_id: &str) -> usize {
        let Ok(mut tokens) = self.refresh_tokens.write() else {
            return 0;
        };
        let mut count = 0;
        for grant in tokens.values_mut() {
            if grant.claims.user.as_deref() == Some(user_id) && !grant.revoked {
                grant.revoked = true;
                count += 1;
            }
        }
        count
    }
}
