//! The tenant's state: its identity, users and groups, shared by every host the emulator serves.
//!
//! The user store sits behind a lock only because adding a user moves it; each user's state is
//! an atomic of its own. A lock poisoned by a panicking writer is reported as [`StoreUnavailable`]
//! so that every host answers it as an internal error, never as "no such user".

use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::config::{EmulatorConfig, ReportUnsetDefault, UsersSource};
use crate::error::Error;
use crate::groups::Groups;
use crate::users::{UserRecord, UserSpec, UserStore};

/// The user store cannot be used: a thread panicked while changing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct StoreUnavailable;

impl From<StoreUnavailable> for Error {
    fn from(_: StoreUnavailable) -> Self {
        Error::StoreUnavailable
    }
}

/// One emulated tenant.
#[derive(Debug)]
pub(crate) struct Tenant {
    pub(crate) id: String,
    /// The initial domain: seeded UPNs use it, and token URLs may name the tenant by it.
    pub(crate) domain: String,
    /// Seeds users, method ids and the `$batch` shuffle.
    pub(crate) seed: u64,
    pub(crate) groups: Groups,
    /// Whether the tenant has the registration report (an Entra ID P1/P2 feature).
    pub(crate) registration_report: bool,
    /// How the registration report spells "no default method".
    pub(crate) report_unset_default: ReportUnsetDefault,
    users: RwLock<UserStore>,
    /// The authentication methods policy, as served.
    policy: RwLock<serde_json::Value>,
}

impl Tenant {
    /// The tenant `config` describes, its users loaded or seeded.
    pub(crate) fn load(config: &EmulatorConfig) -> Result<Self, Error> {
        Ok(Self {
            id: config.tenant_id.clone(),
            domain: config.tenant_domain.clone(),
            seed: config.seed,
            groups: Groups::new(config.groups.clone()),
            registration_report: config.registration_report,
            report_unset_default: config.report_unset_default,
            users: RwLock::new(load_users(config)?),
            policy: RwLock::new(config.authentication_methods_policy.clone()),
        })
    }

    pub(crate) fn users(&self) -> Result<RwLockReadGuard<'_, UserStore>, StoreUnavailable> {
        self.users.read().map_err(|_| StoreUnavailable)
    }

    fn users_mut(&self) -> Result<RwLockWriteGuard<'_, UserStore>, StoreUnavailable> {
        self.users.write().map_err(|_| StoreUnavailable)
    }

    /// The authentication methods policy, as served.
    pub(crate) fn policy(&self) -> Result<serde_json::Value, StoreUnavailable> {
        Ok(self.policy.read().map_err(|_| StoreUnavailable)?.clone())
    }

    /// Replaces the authentication methods policy, once [`crate::policy::check`] accepts it.
    pub(crate) fn set_policy(&self, policy: serde_json::Value) -> Result<(), Error> {
        crate::policy::check(&policy)?;
        *self.policy.write().map_err(|_| StoreUnavailable)? = policy;
        Ok(())
    }

    /// Replaces (or adds) one method's configuration in the policy.
    pub(crate) fn set_method_configuration(
        &self,
        configuration: &crate::policy::MethodConfiguration,
    ) -> Result<(), StoreUnavailable> {
        let mut policy = self.policy.write().map_err(|_| StoreUnavailable)?;
        *policy = crate::policy::with_configuration(policy.take(), configuration);
        Ok(())
    }

    pub(crate) fn user_count(&self) -> Result<usize, StoreUnavailable> {
        Ok(self.users()?.len())
    }

    /// The user whose object id or UPN is `key`.
    pub(crate) fn find(&self, key: &str) -> Result<Option<UserRecord>, StoreUnavailable> {
        let users = self.users()?;
        Ok(users.find(key).and_then(|position| users.record(position)))
    }

    /// Adds a user at the end of the store.
    pub(crate) fn add_user(&self, spec: &UserSpec) -> Result<UserRecord, Error> {
        let mut users = self.users_mut()?;
        let index = users.len() as u64;
        users.add(spec, self.seed, index)
    }

    /// The transitive user members of group `id`, in store order; `Ok(None)` for an unknown group.
    pub(crate) fn group_members(
        &self,
        id: &str,
    ) -> Result<Option<Vec<UserRecord>>, StoreUnavailable> {
        let Some(group) = self.groups.find(id) else {
            return Ok(None);
        };
        let users = self.users()?;
        Ok(Some(
            (0..users.len())
                .filter_map(|position| users.record(position))
                .filter(|record| self.groups.contains(group, record))
                .collect(),
        ))
    }

    /// Poisons the user store, as a writer panicking would.
    #[cfg(test)]
    pub(crate) fn poison_users(&self) {
        let _ = std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    let _guard = self.users.write();
                    std::panic::resume_unwind(Box::new("poisoning the user store on purpose"));
                })
                .join()
        });
    }
}

fn load_users(config: &EmulatorConfig) -> Result<UserStore, Error> {
    match &config.users {
        UsersSource::Seeded { count } => UserStore::seeded(
            *count,
            config.seed,
            &config.tenant_domain,
            config.disabled_users_percent,
        ),
        UsersSource::Listed(specs) => UserStore::from_specs(specs, config.seed),
        UsersSource::File(path) => {
            let text = std::fs::read(path).map_err(|source| Error::UsersFile {
                path: path.clone(),
                source,
            })?;
            let specs: Vec<UserSpec> =
                serde_json::from_slice(&text).map_err(|error| Error::UsersFileFormat {
                    path: path.clone(),
                    message: error.to_string(),
                })?;
            UserStore::from_specs(&specs, config.seed)
        }
    }
}
