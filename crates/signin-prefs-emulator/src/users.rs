//! The emulated tenant's users: deterministic seeding, a compact store and look-up by id or UPN.
//!
//! A user costs about 310 bytes of RSS (GUID, boxed UPN, one atomic word of mutable state, two
//! index entries, allocator overhead): 300 MiB for a million-user tenant (BENCHMARKS.md). Mutable
//! state (registered methods, preferences) lives in one `AtomicU32` per user, so reads and PATCHes
//! never take a write lock.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};

use serde::{Deserialize, Serialize};
use signin_prefs_model::UserDefaultAuthenticationMethodType;

use crate::Error;
use crate::ids::{SplitMix64, format_guid, parse_guid};

/// An authentication method a user can have registered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum AuthMethod {
    /// A phone of type `mobile` (SMS and voice calls to it).
    MobilePhone,
    /// A phone of type `alternateMobile` (voice only).
    AlternateMobilePhone,
    /// A phone of type `office` (voice only).
    OfficePhone,
    /// Microsoft Authenticator (push notifications and its own TOTP codes).
    MicrosoftAuthenticator,
    /// A software OATH token (TOTP app other than Authenticator).
    SoftwareOath,
    /// A hardware OATH token.
    HardwareOath,
    /// A FIDO2 security key or passkey.
    Fido2,
    /// An email address for self-service password reset (not an MFA method).
    Email,
    /// Windows Hello for Business.
    WindowsHelloForBusiness,
    /// A Temporary Access Pass.
    TemporaryAccessPass,
}

impl AuthMethod {
    /// Every method, in bit order.
    pub const ALL: [AuthMethod; 10] = [
        AuthMethod::MobilePhone,
        AuthMethod::AlternateMobilePhone,
        AuthMethod::OfficePhone,
        AuthMethod::MicrosoftAuthenticator,
        AuthMethod::SoftwareOath,
        AuthMethod::HardwareOath,
        AuthMethod::Fido2,
        AuthMethod::Email,
        AuthMethod::WindowsHelloForBusiness,
        AuthMethod::TemporaryAccessPass,
    ];

    fn bit(self) -> u16 {
        match self {
            AuthMethod::MobilePhone => 1,
            AuthMethod::AlternateMobilePhone => 1 << 1,
            AuthMethod::OfficePhone => 1 << 2,
            AuthMethod::MicrosoftAuthenticator => 1 << 3,
            AuthMethod::SoftwareOath => 1 << 4,
            AuthMethod::HardwareOath => 1 << 5,
            AuthMethod::Fido2 => 1 << 6,
            AuthMethod::Email => 1 << 7,
            AuthMethod::WindowsHelloForBusiness => 1 << 8,
            AuthMethod::TemporaryAccessPass => 1 << 9,
        }
    }
}

/// A set of registered methods (the password is always registered and not listed here).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct MethodSet(u16);

impl MethodSet {
    /// The empty set: a password-only user.
    pub const EMPTY: MethodSet = MethodSet(0);

    /// The set holding `methods`.
    pub fn of(methods: &[AuthMethod]) -> Self {
        Self(methods.iter().fold(0, |bits, method| bits | method.bit()))
    }

    /// Whether `method` is registered.
    pub fn contains(self, method: AuthMethod) -> bool {
        self.0 & method.bit() != 0
    }

    /// The registered methods in a stable order.
    pub fn methods(self) -> Vec<AuthMethod> {
        AuthMethod::ALL
            .into_iter()
            .filter(|method| self.contains(*method))
            .collect()
    }

    /// Whether a user with these methods can have `preferred` as their default MFA method.
    ///
    /// The mapping follows graph-behaviors.md §1.6 (community scripts; the service's exact rule is
    /// not published): push needs Authenticator; oath needs any TOTP source; sms and voiceMobile a
    /// mobile phone; the other voice members their phone type.
    pub fn supports(self, preferred: &UserDefaultAuthenticationMethodType) -> bool {
        use UserDefaultAuthenticationMethodType as Preferred;
        match preferred {
            Preferred::Push => self.contains(AuthMethod::MicrosoftAuthenticator),
            Preferred::Oath => {
                self.contains(AuthMethod::MicrosoftAuthenticator)
                    || self.contains(AuthMethod::SoftwareOath)
                    || self.contains(AuthMethod::HardwareOath)
            }
            Preferred::Sms | Preferred::VoiceMobile => self.contains(AuthMethod::MobilePhone),
            Preferred::VoiceAlternateMobile => self.contains(AuthMethod::AlternateMobilePhone),
            Preferred::VoiceOffice => self.contains(AuthMethod::OfficePhone),
            _ => false,
        }
    }

    /// The value of the read-only `systemPreferredAuthenticationMethod` when system-preferred MFA
    /// applies: the strongest registered method in the documented order (passkey, Authenticator,
    /// TOTP, telephony). Values are PascalCase as observed (`Fido2`, `HardwareOTP`, `Sms`); the full
    /// set is not published.
    pub fn system_preferred(self) -> Option<&'static str> {
        if self.contains(AuthMethod::Fido2) {
            Some("Fido2")
        } else if self.contains(AuthMethod::MicrosoftAuthenticator) {
            Some("Push")
        } else if self.contains(AuthMethod::HardwareOath) {
            Some("HardwareOTP")
        } else if self.contains(AuthMethod::SoftwareOath) {
            Some("SoftwareOTP")
        } else if self.contains(AuthMethod::MobilePhone) {
            Some("Sms")
        } else if self.contains(AuthMethod::AlternateMobilePhone)
            || self.contains(AuthMethod::OfficePhone)
        {
            Some("Voice")
        } else {
            None
        }
    }
}

/// A user's sign-in preferences and registered methods, as the admin API reads and sets them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserState {
    /// Registered methods (the password is implied).
    pub methods: MethodSet,
    /// `userPreferredMethodForSecondaryAuthentication`; `None` reads as `null`.
    pub preferred: Option<UserDefaultAuthenticationMethodType>,
    /// `isSystemPreferredAuthenticationMethodEnabled`; `None` reads as `null`.
    pub system_preferred_enabled: Option<bool>,
}

impl UserState {
    /// The read-only `systemPreferredAuthenticationMethod`: set only while system-preferred MFA is on.
    pub fn system_preferred_method(&self) -> Option<&'static str> {
        if self.system_preferred_enabled == Some(true) {
            self.methods.system_preferred()
        } else {
            None
        }
    }

    // Packing: bits 0..16 methods, 16..20 preferred (0 = none), 20..22 system flag (0 null, 1 false, 2 true).
    fn pack(&self) -> u32 {
        let preferred = match &self.preferred {
            None => 0,
            Some(value) => preferred_code(value),
        };
        let system = match self.system_preferred_enabled {
            None => 0,
            Some(false) => 1,
            Some(true) => 2,
        };
        u32::from(self.methods.0) | (preferred << 16) | (system << 20)
    }

    fn unpack(word: u32) -> Self {
        let methods = MethodSet((word & 0xFFFF) as u16);
        let preferred = preferred_from_code((word >> 16) & 0xF);
        let system_preferred_enabled = match (word >> 20) & 0x3 {
            1 => Some(false),
            2 => Some(true),
            _ => None,
        };
        Self {
            methods,
            preferred,
            system_preferred_enabled,
        }
    }
}

const PREFERRED_MEMBERS: [UserDefaultAuthenticationMethodType; 7] = [
    UserDefaultAuthenticationMethodType::Push,
    UserDefaultAuthenticationMethodType::Oath,
    UserDefaultAuthenticationMethodType::VoiceMobile,
    UserDefaultAuthenticationMethodType::VoiceAlternateMobile,
    UserDefaultAuthenticationMethodType::VoiceOffice,
    UserDefaultAuthenticationMethodType::Sms,
    UserDefaultAuthenticationMethodType::UnknownFutureValue,
];

fn preferred_code(value: &UserDefaultAuthenticationMethodType) -> u32 {
    // Unknown members cannot reach the store (PATCH bodies are parsed strictly); they read as none.
    PREFERRED_MEMBERS
        .iter()
        .position(|member| member == value)
        .map_or(0, |position| position as u32 + 1)
}

fn preferred_from_code(code: u32) -> Option<UserDefaultAuthenticationMethodType> {
    let index = (code as usize).checked_sub(1)?;
    PREFERRED_MEMBERS.get(index).cloned()
}

/// One user in the store.
#[derive(Debug)]
struct StoredUser {
    object_id: u128,
    user_principal_name: Box<str>,
    is_admin: bool,
    /// `accountEnabled`: a disabled user keeps its preferences but is missing from the registration
    /// report. Fits in the padding after `is_admin`, so it costs no memory.
    account_enabled: bool,
    state: AtomicU32,
}

/// A user as seen from outside the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    /// The position in the store (seeded users: the seeding index).
    pub index: usize,
    /// The object id, lower-case GUID.
    pub id: String,
    /// The user principal name, as stored.
    pub user_principal_name: String,
    /// Whether the user holds an admin role (an Authentication Administrator cannot manage them).
    pub is_admin: bool,
    /// `accountEnabled`.
    pub account_enabled: bool,
    /// Methods and preferences.
    pub state: UserState,
}

impl UserRecord {
    /// Whether the user is a guest (`userType` `Guest`): a UPN with `#EXT#`.
    pub fn is_guest(&self) -> bool {
        self.user_principal_name.contains("#EXT#")
    }

    /// `userType` as `/users` spells it: `Member` or `Guest`.
    pub fn user_type(&self) -> &'static str {
        if self.is_guest() { "Guest" } else { "Member" }
    }

    /// The display name, derived from the UPN: `adele.vance12@…` gives `Adele Vance12`, a guest's
    /// `adele.vance1_fabrikam.com#EXT#@…` gives `Adele Vance1`.
    pub fn display_name(&self) -> String {
        let local = self.local_part();
        let local = if self.is_guest() {
            local.rsplit_once('_').map_or(local, |(name, _)| name)
        } else {
            local
        };
        local
            .split(['.', '-', '_'])
            .filter(|word| !word.is_empty())
            .map(|word| {
                let mut characters = word.chars();
                characters.next().map_or_else(String::new, |first| {
                    first.to_uppercase().chain(characters).collect()
                })
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// `mail`: the UPN for members; a guest's home address (`adele.vance1@fabrikam.com`).
    pub fn mail(&self) -> String {
        if !self.is_guest() {
            return self.user_principal_name.clone();
        }
        match self.local_part().rsplit_once('_') {
            Some((name, domain)) => format!("{name}@{domain}"),
            None => self.user_principal_name.clone(),
        }
    }

    fn local_part(&self) -> &str {
        let upn = self.user_principal_name.as_str();
        let local = upn.rsplit_once('@').map_or(upn, |(local, _)| local);
        local.split_once("#EXT#").map_or(local, |(name, _)| name)
    }
}

/// A user to load from a users file or to add in-process.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UserSpec {
    /// Object id; generated from the seed when absent.
    #[serde(default)]
    pub id: Option<String>,
    /// The user principal name.
    pub user_principal_name: String,
    /// Registered methods (the password is implied).
    #[serde(default)]
    pub methods: Vec<AuthMethod>,
    /// The default MFA method, a member of `userDefaultAuthenticationMethodType`.
    #[serde(default)]
    pub user_preferred_method_for_secondary_authentication: Option<String>,
    /// The system-preferred MFA flag.
    #[serde(default)]
    pub is_system_preferred_authentication_method_enabled: Option<bool>,
    /// Whether the user holds an admin role.
    #[serde(default)]
    pub is_admin: bool,
    /// `accountEnabled` (default `true`). The registration report leaves disabled users out
    /// ("This method doesn't work for disabled users": microsoft-graph-docs-contrib,
    /// `api-reference/beta/api/authenticationmethodsroot-list-userregistrationdetails.md`).
    #[serde(default = "enabled")]
    pub account_enabled: bool,
}

fn enabled() -> bool {
    true
}

/// Every user of the emulated tenant.
#[derive(Debug, Default)]
pub(crate) struct UserStore {
    users: Vec<StoredUser>,
    by_id: HashMap<u128, u32>,
    by_upn: HashMap<Box<str>, u32>,
}

/// UPNs compare case-insensitively, as in Entra.
fn upn_key(upn: &str) -> Box<str> {
    if upn.is_ascii() {
        upn.to_ascii_lowercase().into()
    } else {
        upn.to_lowercase().into()
    }
}

const FIRST_NAMES: [&str; 16] = [
    "adele",
    "alex",
    "diego",
    "grady",
    "henrietta",
    "isaiah",
    "johanna",
    "joni",
    "lee",
    "lidia",
    "lynne",
    "megan",
    "miriam",
    "nestor",
    "patti",
    "pradeep",
];
const LAST_NAMES: [&str; 12] = [
    "vance",
    "wilber",
    "siciliani",
    "archie",
    "mueller",
    "langer",
    "lorenz",
    "sherman",
    "gu",
    "holloway",
    "robbins",
    "bowen",
];
// Names that exercise encoding: apostrophes and non-ASCII letters.
const SPECIAL_NAMES: [&str; 6] = [
    "o'brien",
    "d'angelo",
    "zoë.müller",
    "józef.wąs",
    "søren.ødegård",
    "renée.o'hara",
];

impl UserStore {
    /// `count` users generated from `seed`: the same seed always gives the same tenant, and user `i`
    /// does not depend on `count`.
    /// `disabled_percent` of them (0–100, drawn from a stream of their own, so the rest of each
    /// user is the same whatever it is) have `accountEnabled: false`.
    pub(crate) fn seeded(
        count: usize,
        seed: u64,
        domain: &str,
        disabled_percent: u8,
    ) -> Result<Self, Error> {
        let mut store = Self {
            users: Vec::with_capacity(count),
            ..Self::default()
        };
        store.by_id.reserve(count);
        store.by_upn.reserve(count);
        for index in 0..count {
            let (upn, is_admin, state, object_id) = seeded_user(seed, index as u64, domain);
            let account_enabled = SplitMix64::for_item(seed, 3, index as u64).below(100)
                >= u64::from(disabled_percent);
            store.insert(object_id, upn, is_admin, account_enabled, &state)?;
        }
        Ok(store)
    }

    /// Users read from specs (a users file); missing ids are generated from `seed`.
    pub(crate) fn from_specs(specs: &[UserSpec], seed: u64) -> Result<Self, Error> {
        let mut store = Self::default();
        for (index, spec) in specs.iter().enumerate() {
            store.add(spec, seed, index as u64)?;
        }
        Ok(store)
    }

    pub(crate) fn add(
        &mut self,
        spec: &UserSpec,
        seed: u64,
        index: u64,
    ) -> Result<UserRecord, Error> {
        let object_id = match &spec.id {
            Some(text) => parse_guid(text).ok_or_else(|| Error::InvalidUser {
                user: spec.user_principal_name.clone(),
                reason: format!("id `{text}` is not a GUID"),
            })?,
            None => SplitMix64::for_item(seed, 2, index).guid(),
        };
        let preferred = match &spec.user_preferred_method_for_secondary_authentication {
            None => None,
            Some(text) => Some(
                text.parse::<UserDefaultAuthenticationMethodType>()
                    .map_err(|error| Error::InvalidUser {
                        user: spec.user_principal_name.clone(),
                        reason: error.to_string(),
                    })?,
            ),
        };
        let state = UserState {
            methods: MethodSet::of(&spec.methods),
            preferred,
            system_preferred_enabled: spec.is_system_preferred_authentication_method_enabled,
        };
        let position = self.insert(
            object_id,
            spec.user_principal_name.clone().into(),
            spec.is_admin,
            spec.account_enabled,
            &state,
        )?;
        self.record(position).ok_or_else(|| Error::InvalidUser {
            user: spec.user_principal_name.clone(),
            reason: "not stored".to_owned(),
        })
    }

    fn insert(
        &mut self,
        object_id: u128,
        upn: Box<str>,
        is_admin: bool,
        account_enabled: bool,
        state: &UserState,
    ) -> Result<usize, Error> {
        let position = self.users.len();
        let position_u32 = u32::try_from(position).map_err(|_| Error::InvalidUser {
            user: upn.to_string(),
            reason: "more than 4,294,967,295 users".to_owned(),
        })?;
        let key = upn_key(&upn);
        if self.by_id.contains_key(&object_id) || self.by_upn.contains_key(&key) {
            return Err(Error::InvalidUser {
                user: upn.to_string(),
                reason: "duplicate id or UPN".to_owned(),
            });
        }
        self.by_id.insert(object_id, position_u32);
        self.by_upn.insert(key, position_u32);
        self.users.push(StoredUser {
            object_id,
            user_principal_name: upn,
            is_admin,
            account_enabled,
            state: AtomicU32::new(state.pack()),
        });
        Ok(position)
    }

    pub(crate) fn len(&self) -> usize {
        self.users.len()
    }

    /// The position of the user whose object id or UPN is `key`.
    pub(crate) fn find(&self, key: &str) -> Option<usize> {
        let position = match parse_guid(key) {
            Some(object_id) => self.by_id.get(&object_id),
            None => self.by_upn.get(upn_key(key).as_ref()),
        };
        position.map(|position| *position as usize)
    }

    pub(crate) fn record(&self, position: usize) -> Option<UserRecord> {
        let user = self.users.get(position)?;
        Some(UserRecord {
            index: position,
            id: format_guid(user.object_id),
            user_principal_name: user.user_principal_name.to_string(),
            is_admin: user.is_admin,
            account_enabled: user.account_enabled,
            state: UserState::unpack(user.state.load(Ordering::Acquire)),
        })
    }

    pub(crate) fn state(&self, position: usize) -> Option<UserState> {
        self.users
            .get(position)
            .map(|user| UserState::unpack(user.state.load(Ordering::Acquire)))
    }

    pub(crate) fn is_admin(&self, position: usize) -> bool {
        self.users.get(position).is_some_and(|user| user.is_admin)
    }

    /// Replaces the state atomically with `update(old)`; `update` may refuse by returning `Err`.
    pub(crate) fn update<E>(
        &self,
        position: usize,
        mut update: impl FnMut(UserState) -> Result<UserState, E>,
    ) -> Option<Result<UserState, E>> {
        let user = self.users.get(position)?;
        let mut current = user.state.load(Ordering::Acquire);
        loop {
            let next = match update(UserState::unpack(current)) {
                Ok(next) => next,
                Err(error) => return Some(Err(error)),
            };
            match user.state.compare_exchange_weak(
                current,
                next.pack(),
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return Some(Ok(next)),
                Err(actual) => current = actual,
            }
        }
    }
}

/// The deterministic user `index` of a tenant seeded with `seed`: a mix like a real tenant.
fn seeded_user(seed: u64, index: u64, domain: &str) -> (Box<str>, bool, UserState, u128) {
    use AuthMethod as M;
    use UserDefaultAuthenticationMethodType as P;
    let mut generator = SplitMix64::for_item(seed, 1, index);
    let object_id = generator.guid();
    let first = FIRST_NAMES
        .get(generator.below(FIRST_NAMES.len() as u64) as usize)
        .copied()
        .unwrap_or("user");
    let last = LAST_NAMES
        .get(generator.below(LAST_NAMES.len() as u64) as usize)
        .copied()
        .unwrap_or("user");
    let special = SPECIAL_NAMES
        .get(generator.below(SPECIAL_NAMES.len() as u64) as usize)
        .copied()
        .unwrap_or("o'brien");
    // The first users cover each kind of UPN, so even a tiny tenant exercises encoding.
    let kind = if index < 4 {
        index
    } else {
        generator.below(100)
    };
    let upn: Box<str> = match kind {
        1 => format!("{first}.{last}{index}_fabrikam.com#EXT#@{domain}").into(),
        2 => format!("{special}{index}@{domain}").into(),
        3 => format!("{first}-{last}-ü{index}@{domain}").into(),
        4..=9 => format!("{first}.{last}{index}_contoso-partner.com#EXT#@{domain}").into(),
        10..=11 => format!("{special}{index}@{domain}").into(),
        _ => format!("{first}.{last}{index}@{domain}").into(),
    };
    let profile = generator.below(100);
    let (methods, preferred): (&[AuthMethod], Option<P>) = match profile {
        0..=29 => (&[M::MicrosoftAuthenticator, M::MobilePhone], Some(P::Push)),
        30..=39 => (&[M::MobilePhone], Some(P::Sms)),
        // The migration case: Authenticator registered, the default still SMS.
        40..=49 => (&[M::MobilePhone, M::MicrosoftAuthenticator], Some(P::Sms)),
        50..=59 => (&[M::MicrosoftAuthenticator], Some(P::Push)),
        60..=64 => (&[M::MobilePhone, M::OfficePhone], Some(P::VoiceMobile)),
        65..=69 => (
            &[M::MobilePhone, M::AlternateMobilePhone],
            Some(P::VoiceAlternateMobile),
        ),
        70..=74 => (&[M::SoftwareOath, M::MobilePhone], Some(P::Oath)),
        75..=77 => (&[M::HardwareOath, M::Email], Some(P::Oath)),
        78..=82 => (
            &[
                M::Fido2,
                M::MicrosoftAuthenticator,
                M::WindowsHelloForBusiness,
            ],
            Some(P::Push),
        ),
        83..=84 => (&[M::OfficePhone], Some(P::VoiceOffice)),
        85..=86 => (&[M::MobilePhone, M::SoftwareOath, M::Email], Some(P::Sms)),
        _ => (&[], None),
    };
    // Microsoft-managed system-preferred MFA is on for most users.
    let system_preferred_enabled = Some(generator.below(100) < 60);
    let is_admin = generator.below(100) == 0;
    let state = UserState {
        methods: MethodSet::of(methods),
        preferred,
        system_preferred_enabled,
    };
    (upn, is_admin, state, object_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_packs_losslessly() {
        for preferred in PREFERRED_MEMBERS.iter().cloned().map(Some).chain([None]) {
            for system in [None, Some(false), Some(true)] {
                let state = UserState {
                    methods: MethodSet::of(&[AuthMethod::Fido2, AuthMethod::OfficePhone]),
                    preferred: preferred.clone(),
                    system_preferred_enabled: system,
                };
                assert_eq!(UserState::unpack(state.pack()), state);
            }
        }
    }

    #[test]
    fn user_does_not_depend_on_tenant_size() {
        let small = UserStore::seeded(10, 7, "contoso.onmicrosoft.com", 0).unwrap();
        let large = UserStore::seeded(1000, 7, "contoso.onmicrosoft.com", 0).unwrap();
        assert_eq!(small.record(9), large.record(9));
    }

    #[test]
    fn disabling_users_changes_nothing_else_about_them() {
        let all = UserStore::seeded(1000, 7, "contoso.onmicrosoft.com", 0).unwrap();
        let some = UserStore::seeded(1000, 7, "contoso.onmicrosoft.com", 10).unwrap();
        let mut disabled = 0;
        for position in 0..1000 {
            let (before, after) = (
                all.record(position).unwrap(),
                some.record(position).unwrap(),
            );
            assert!(before.account_enabled);
            disabled += usize::from(!after.account_enabled);
            assert_eq!(
                UserRecord {
                    account_enabled: true,
                    ..after
                },
                before
            );
        }
        assert!((50..150).contains(&disabled), "{disabled} of 1000 disabled");
    }
}
