//! The handle a running emulator is held by: its addresses, and the tenant's state read and
//! changed directly (users, tokens, faults, throttling, clock) without going through HTTP.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{oneshot, watch};

use crate::auth::{AppRegistration, TokenRequest};
use crate::error::Error;
use crate::faults::FaultRule;
use crate::gates::Gates;
use crate::policy::MethodConfiguration;
use crate::priority::PriorityCounts;
use crate::server::Running;
use crate::tenant::Tenant;
use crate::throttle::{ThrottleConfig, TrafficStats};
use crate::users::{UserRecord, UserSpec, UserState};

/// A running emulator. Dropping it stops the server.
#[derive(Debug)]
pub struct EmulatorHandle {
    tenant: Arc<Tenant>,
    gates: Arc<Gates>,
    address: SocketAddr,
    stop: watch::Sender<bool>,
    done: Option<oneshot::Receiver<()>>,
    apps: Vec<AppRegistration>,
    /// The CA's certificate (PEM) when serving HTTPS.
    ca_pem: Option<String>,
}

impl EmulatorHandle {
    pub(crate) fn new(
        tenant: Arc<Tenant>,
        gates: Arc<Gates>,
        running: Running,
        apps: Vec<AppRegistration>,
        ca_pem: Option<String>,
    ) -> Self {
        Self {
            tenant,
            gates,
            address: running.address,
            stop: running.stop,
            done: Some(running.done),
            apps,
            ca_pem,
        }
    }

    /// The authentication methods policy the tenant serves.
    pub fn authentication_methods_policy(&self) -> Result<serde_json::Value, Error> {
        Ok(self.tenant.policy()?)
    }

    /// Replaces the authentication methods policy (served verbatim from the next request on).
    pub fn set_authentication_methods_policy(
        &self,
        policy: serde_json::Value,
    ) -> Result<(), Error> {
        self.tenant.set_policy(policy)
    }

    /// Replaces (or adds) one method's configuration in the policy.
    pub fn set_method_configuration(
        &self,
        configuration: &MethodConfiguration,
    ) -> Result<(), Error> {
        Ok(self.tenant.set_method_configuration(configuration)?)
    }

    /// `http://127.0.0.1:PORT`, or `https://…` when serving TLS.
    pub fn base_url(&self) -> String {
        let scheme = if self.ca_pem.is_some() {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://{}", self.address)
    }

    /// When serving HTTPS ([`EmulatorBuilder::tls`](crate::EmulatorBuilder::tls)), the
    /// certificate (PEM) of the CA that signed the server's: what a client must trust.
    pub fn ca_certificate_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }

    /// `http://127.0.0.1:PORT/beta`, the root a Graph client is given.
    pub fn graph_url(&self) -> String {
        format!("{}/beta", self.base_url())
    }

    /// The token endpoint for the tenant.
    pub fn token_url(&self) -> String {
        format!("{}/{}/oauth2/v2.0/token", self.base_url(), self.tenant.id)
    }

    /// Registers a certificate (PEM) whose key may sign `client_id`'s client assertions.
    pub fn register_certificate(&self, client_id: &str, pem: &str) -> Result<(), Error> {
        self.app_or_error(client_id)?;
        let der = crate::gates::certificate_der(client_id, pem)?;
        self.gates.sign_ins.register_certificate(client_id, der);
        Ok(())
    }

    /// A federated token for `client_id`, as a workload's identity provider (AKS, GitHub
    /// Actions) projects into `AZURE_FEDERATED_TOKEN_FILE`: the login host accepts it as the
    /// app's client assertion until it expires (`lifetime`, default an hour).
    pub fn federated_token(
        &self,
        client_id: &str,
        lifetime: Option<Duration>,
    ) -> Result<String, Error> {
        self.app_or_error(client_id)?;
        Ok(self.gates.sign_ins.federated_token(client_id, lifetime))
    }

    /// The user codes of device codes waiting for a user.
    pub fn pending_device_codes(&self) -> Vec<String> {
        self.gates.sign_ins.pending_user_codes()
    }

    /// Approves a waiting device code as `user` (object id or UPN) holding `directory_roles`.
    pub fn approve_device_code(
        &self,
        user_code: &str,
        user: &str,
        directory_roles: &[crate::DirectoryRole],
    ) -> Result<(), Error> {
        let record = self
            .tenant
            .find(user)?
            .ok_or_else(|| Error::UnknownUser(user.to_owned()))?;
        crate::device_code::approve(
            &self.tenant,
            &self.gates,
            user_code,
            record.id,
            directory_roles.to_vec(),
        )
    }

    /// Declines a waiting device code (the client is told `authorization_declined`).
    pub fn decline_device_code(&self, user_code: &str) -> Result<(), Error> {
        match self.gates.sign_ins.settle(user_code, None) {
            true => Ok(()),
            false => Err(Error::UnknownDeviceCode(user_code.to_owned())),
        }
    }

    /// Revokes every refresh token of `user` (object id or UPN), as Graph's
    /// `revokeSignInSessions` does; how many were revoked.
    pub fn revoke_sign_in_sessions(&self, user: &str) -> Result<usize, Error> {
        let record = self
            .tenant
            .find(user)?
            .ok_or_else(|| Error::UnknownUser(user.to_owned()))?;
        Ok(self.gates.sign_ins.revoke(&record.id))
    }

    /// The managed-identity endpoint shaped as a VM's IMDS (`…/metadata/identity/oauth2/token`),
    /// asked with `Metadata: true`.
    pub fn imds_url(&self) -> String {
        format!("{}{}", self.base_url(), crate::managed_identity::IMDS_PATH)
    }

    /// App Service's `IDENTITY_ENDPOINT` on this emulator.
    pub fn identity_endpoint(&self) -> String {
        format!(
            "{}{}",
            self.base_url(),
            crate::managed_identity::APP_SERVICE_PATH
        )
    }

    /// App Service's `IDENTITY_HEADER`: what `X-IDENTITY-HEADER` must carry (random per run).
    pub fn identity_header(&self) -> &str {
        &self.gates.sign_ins.identity_header
    }

    fn app_or_error(&self, client_id: &str) -> Result<(), Error> {
        match self.gates.tokens.app(client_id) {
            Some(_) => Ok(()),
            None => Err(Error::UnknownApp(client_id.to_owned())),
        }
    }

    /// The socket address.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The tenant id.
    pub fn tenant_id(&self) -> &str {
        &self.tenant.id
    }

    /// The registered apps (the first is the default), secrets included.
    pub fn apps(&self) -> &[AppRegistration] {
        &self.apps
    }

    /// Number of users.
    pub fn user_count(&self) -> usize {
        self.tenant.user_count().unwrap_or(0)
    }

    /// The groups: id and display name, in definition order.
    pub fn groups(&self) -> Vec<(String, String)> {
        self.tenant
            .groups
            .all()
            .iter()
            .map(|group| (group.id.clone(), group.display_name.clone()))
            .collect()
    }

    /// The transitive user members of group `id`, in store order (what
    /// `/groups/{id}/transitiveMembers/microsoft.graph.user` lists); `None` for an unknown group.
    pub fn group_members(&self, id: &str) -> Option<Vec<UserRecord>> {
        self.tenant.group_members(id).ok()?
    }

    /// The user at `index` (seeded users: the seeding index).
    pub fn user_at(&self, index: usize) -> Option<UserRecord> {
        self.tenant.users().ok()?.record(index)
    }

    /// The user whose object id or UPN is `key` (UPNs compare case-insensitively).
    pub fn user(&self, key: &str) -> Option<UserRecord> {
        self.tenant.find(key).ok()?
    }

    /// The first user for which `predicate` holds (a linear scan, for tests).
    pub fn find_user(&self, predicate: impl Fn(&UserRecord) -> bool) -> Option<UserRecord> {
        let users = self.tenant.users().ok()?;
        (0..users.len())
            .filter_map(|index| users.record(index))
            .find(|record| predicate(record))
    }

    /// Replaces a user's methods and preferences (no validation: tests may set any state).
    pub fn set_user_state(&self, key: &str, state: UserState) -> Result<UserRecord, Error> {
        let users = self.tenant.users()?;
        let position = users
            .find(key)
            .ok_or_else(|| Error::UnknownUser(key.to_owned()))?;
        users.update(position, |_| Ok::<UserState, ()>(state.clone()));
        users
            .record(position)
            .ok_or_else(|| Error::UnknownUser(key.to_owned()))
    }

    /// Adds a user.
    pub fn add_user(&self, spec: &UserSpec) -> Result<UserRecord, Error> {
        self.tenant.add_user(spec)
    }

    /// Issues a token with exactly the given roles, scopes, user and lifetime.
    pub fn mint_token(&self, request: TokenRequest) -> Result<String, Error> {
        self.gates.mint(&self.tenant, request)
    }

    /// Adds a fault rule.
    pub fn add_fault(&self, rule: FaultRule) {
        self.gates.faults.add(rule);
    }

    /// Removes every fault rule.
    pub fn clear_faults(&self) {
        self.gates.faults.clear();
    }

    /// Replaces the throttling model (and empties the buckets).
    pub fn set_throttle(&self, throttle: ThrottleConfig) {
        self.gates.throttle.set_config(throttle);
    }

    /// What the throttling model let through and refused so far (`GET /_emulator/stats`).
    pub fn traffic(&self) -> TrafficStats {
        self.gates.throttle.stats()
    }

    /// How many Graph requests asked for each `x-ms-throttle-priority` so far
    /// (`GET /_emulator/priorities`).
    pub fn priorities(&self) -> PriorityCounts {
        self.gates.priorities.counts()
    }

    /// Moves the emulated clock forward.
    pub fn advance_time(&self, by: Duration) {
        self.gates.clock.advance(by);
    }

    /// Stops accepting, lets open connections finish, and waits for the server task.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(done) = self.done.take() {
            let _ = done.await;
        }
    }
}

impl Drop for EmulatorHandle {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}
