//! The tenant's registration report, read page by page into a compact index by user key.
//!
//! A tenant of a million users has a million rows, each with a dozen properties; the planner needs
//! three of them per user. So a row is folded as its page arrives: its state (default method,
//! system-preferred flag, registered methods) is interned, since a tenant has only a few hundred
//! distinct ones, and each of its keys is stored as a 128-bit digest pointing at that state. A row
//! costs about 24 bytes per key kept, instead of the kilobyte the parsed rows and their strings take.

use std::collections::HashMap;

use signin_prefs_client::{Client, Error as ClientError};
use signin_prefs_model::{
    SignInPreferences, UserDefaultAuthenticationMethodType as Method, UserRegistrationDetails,
};
use signin_prefs_request::ListUserRegistrationDetail;

use crate::key_digest::KeyDigest;
use crate::state::Registered;

/// Which of a row's keys the index keeps: the planner looks users up by the keys its targets use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportKeys {
    /// Keep object ids.
    pub object_ids: bool,
    /// Keep user principal names.
    pub user_principal_names: bool,
}

impl ReportKeys {
    /// The kinds of key among `keys`: a user principal name has an `@`, an object id never does.
    pub fn used_by<'a>(keys: impl IntoIterator<Item = &'a str>) -> Self {
        let mut kinds = Self {
            object_ids: false,
            user_principal_names: false,
        };
        for key in keys {
            if key.contains('@') {
                kinds.user_principal_names = true;
            } else {
                kinds.object_ids = true;
            }
            if kinds.object_ids && kinds.user_principal_names {
                break;
            }
        }
        kinds
    }
}

/// A user's state as the report gives it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ReportedState {
    /// The default method and system-preferred flag.
    pub method: Option<Method>,
    /// `isSystemPreferredAuthenticationMethodEnabled`.
    pub system_preferred: Option<bool>,
    /// The registered methods, sorted, without repeats.
    pub registered: Vec<Registered>,
}

impl ReportedState {
    /// A row's state: its default (`""` or `none` where the preference is unset), flag and
    /// registered methods.
    pub(crate) fn of(detail: &UserRegistrationDetails) -> Self {
        let method = detail
            .user_preferred_method_for_secondary_authentication
            .as_ref()
            .map(|method| method.as_str())
            .filter(|method| !means_no_default(method))
            .map(Method::from_wire);
        let mut registered: Vec<Registered> = detail
            .methods_registered
            .iter()
            .flatten()
            .map(|name| Registered::from_report_name(name))
            .collect();
        registered.sort();
        registered.dedup();
        Self {
            method,
            system_preferred: detail.is_system_preferred_authentication_method_enabled,
            registered,
        }
    }

    /// The preferences as a read of `signInPreferences` would give them.
    pub fn preferences(&self) -> SignInPreferences {
        let mut preferences = SignInPreferences::default();
        preferences.user_preferred_method_for_secondary_authentication = self.method.clone();
        preferences.is_system_preferred_authentication_method_enabled = self.system_preferred;
        preferences
    }
}

/// The report's states, found by lower-cased object id or user principal name.
#[derive(Debug, Default)]
pub struct ReportIndex {
    /// Key digests and where their state is, sorted by digest once the report is read: a sorted
    /// list takes half the memory of a hash table of the same keys, and never two copies of
    /// itself at once when it grows.
    by_key: Vec<(KeyDigest, u32)>,
    /// Where each run of digests sharing their leading `bucket_bits` bits starts in `by_key`, and
    /// where the last ends: a lookup searches a run of a few keys instead of the whole list, whose
    /// binary search would miss the cache at nearly every step (a plan looks up every target).
    buckets: Vec<u32>,
    bucket_bits: u32,
    states: Vec<ReportedState>,
}

impl ReportIndex {
    /// The state of the user `key` names (either key, any letter case), if the report lists it.
    pub fn get(&self, key: &str) -> Option<&ReportedState> {
        self.get_digest(KeyDigest::of(key))
    }

    /// [`ReportIndex::get`] of a key already digested.
    pub(crate) fn get_digest(&self, digest: KeyDigest) -> Option<&ReportedState> {
        let bucket = usize::try_from(digest.leading_bits(self.bucket_bits)).ok()?;
        let start = usize::try_from(*self.buckets.get(bucket)?).ok()?;
        let end = usize::try_from(*self.buckets.get(bucket + 1)?).ok()?;
        let run = self.by_key.get(start..end)?;
        let at = run.binary_search_by(|(probe, _)| probe.cmp(&digest)).ok()?;
        let (_, state) = run.get(at)?;
        self.states.get(usize::try_from(*state).ok()?)
    }

    /// Sorts the keys by digest (a key listed twice keeps its last state, as a later row would
    /// overwrite an earlier one) and builds the buckets lookups start from.
    fn seal(&mut self) {
        self.by_key.sort_by_key(|(digest, _)| *digest);
        self.by_key.reverse();
        self.by_key.dedup_by_key(|(digest, _)| *digest);
        self.by_key.reverse();
        self.by_key.shrink_to_fit();
        // About four keys a bucket: a bucket costs 4 bytes, a key 24.
        let wanted = (self.by_key.len() / 4).max(1);
        self.bucket_bits = wanted.ilog2().min(28);
        let count = 1_usize << self.bucket_bits;
        let mut buckets = Vec::with_capacity(count + 1);
        let mut at = 0;
        for bucket in 0..count {
            while self.by_key.get(at).is_some_and(|(digest, _)| {
                usize::try_from(digest.leading_bits(self.bucket_bits)).is_ok_and(|of| of < bucket)
            }) {
                at += 1;
            }
            buckets.push(u32::try_from(at).unwrap_or(u32::MAX));
        }
        buckets.push(u32::try_from(self.by_key.len()).unwrap_or(u32::MAX));
        self.buckets = buckets;
    }

    /// Whether the report lists the user `key` names.
    pub fn contains(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// How many keys it holds.
    pub fn len(&self) -> usize {
        self.by_key.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }
}

/// Rows per page of the report the planner asks for (`$top`): the most Graph serves.
pub const REPORT_PAGE_SIZE: u64 = 999;

/// Reads the registration report into an index keeping the `keys` asked for.
///
/// One paged read instead of two requests per user, for tenants that have the report (it needs
/// Entra ID P1 or P2). The report is refreshed by the service periodically, so it can trail recent
/// changes; `apply --verify` reads every changed user back. It leaves disabled users out ("This
/// method doesn't work for disabled users": microsoft-graph-docs-contrib,
/// `api-reference/beta/api/authenticationmethodsroot-list-userregistrationdetails.md`).
///
/// With `registered_any` empty the whole report is read. Otherwise only the users who registered
/// one of those methods (by the report's names) are: one read per name, filtered by the form the
/// list page documents, `methodsRegistered/any(x:x eq '…')` (it documents no `or`, and no filter
/// on the default method itself), so that `plan --from sms` reads the pages of users with a mobile
/// phone rather than the whole tenant's.
pub async fn read_report(
    client: &Client,
    keys: ReportKeys,
    registered_any: &[&str],
) -> Result<ReportIndex, ClientError> {
    let mut index = ReportIndex::default();
    let mut interned: HashMap<ReportedState, u32> = HashMap::new();
    if registered_any.is_empty() {
        read_into(client, keys, None, &mut index, &mut interned).await?;
    }
    for name in registered_any {
        // Names are the report's own identifiers (letters only), so no quote needs doubling.
        let filter = format!("methodsRegistered/any(x:x eq '{name}')");
        read_into(client, keys, Some(filter), &mut index, &mut interned).await?;
    }
    index.seal();
    Ok(index)
}

/// The report's names of the registered methods a default in `only_from` (`plan --from`) needs, each once; empty
/// (read the whole report) when `only_from` is, or names a member no registered method enables.
pub fn from_report_names(only_from: &[Method]) -> Vec<&'static str> {
    let mut names = Vec::new();
    for method in only_from {
        let Some(enabling) = Registered::report_names_enabling(method) else {
            return Vec::new();
        };
        for name in enabling {
            if !names.contains(name) {
                names.push(*name);
            }
        }
    }
    names
}

/// Whether a report value of `userPreferredMethodForSecondaryAuthentication` means "no default":
/// Microsoft's documented sample gives `""` (microsoft-graph-docs-contrib,
/// `api-reference/beta/api/authenticationmethodsroot-list-userregistrationdetails.md`), the
/// property's enum has `none` (`resources/userregistrationdetails.md`), and tenants show both.
pub fn means_no_default(value: &str) -> bool {
    value.is_empty() || value == "none"
}

/// The report's list, in pages of [`REPORT_PAGE_SIZE`], of the rows `filter` selects (all when
/// `None`), asking for the five properties the tool reads of the report's two dozen: half the bytes
/// to send and parse per page (the resource supports `$select`, per the spec).
pub(crate) fn report_list(filter: Option<String>) -> ListUserRegistrationDetail {
    let mut list = ListUserRegistrationDetail::new();
    list.filter = filter;
    list.top = i64::try_from(REPORT_PAGE_SIZE).ok();
    list.select = [
        "id",
        "userPrincipalName",
        "userPreferredMethodForSecondaryAuthentication",
        "isSystemPreferredAuthenticationMethodEnabled",
        "methodsRegistered",
    ]
    .map(str::to_owned)
    .to_vec();
    list
}

/// Reads the report, or the part of it `filter` selects, into `index`.
async fn read_into(
    client: &Client,
    keys: ReportKeys,
    filter: Option<String>,
    index: &mut ReportIndex,
    interned: &mut HashMap<ReportedState, u32>,
) -> Result<(), ClientError> {
    client
        .for_each_item(report_list(filter), |detail| {
            let state = ReportedState::of(&detail);
            let next = u32::try_from(index.states.len()).unwrap_or(u32::MAX);
            let at = *interned.entry(state).or_insert_with_key(|state| {
                index.states.push(state.clone());
                next
            });
            let wanted = [
                (keys.user_principal_names, &detail.user_principal_name),
                (keys.object_ids, &detail.id),
            ];
            for (_, key) in wanted.into_iter().filter(|(kept, _)| *kept) {
                if let Some(key) = key {
                    index.by_key.push((KeyDigest::of(key), at));
                }
            }
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Whatever the number of keys (so however many buckets), every key listed is found with
        /// its last state, in any letter case, and a key not listed is not found.
        #[test]
        fn the_index_finds_exactly_the_keys_listed_with_their_last_state(
            rows in prop::collection::vec(("[a-z]{1,6}@[a-z]{1,4}\\.com", 0_u32..3), 0..600),
            absent in "[a-z]{7,9}@absent\\.com",
        ) {
            let mut index = ReportIndex::default();
            let mut expected = HashMap::new();
            index.states = (0..3)
                .map(|flag| ReportedState {
                    method: None,
                    system_preferred: Some(flag == 1),
                    registered: Vec::new(),
                })
                .collect();
            for (key, state) in &rows {
                index.by_key.push((KeyDigest::of(key), *state));
                expected.insert(key.clone(), *state);
            }
            index.seal();
            prop_assert_eq!(index.len(), expected.len());
            for (key, state) in &expected {
                let found = index.get(&key.to_uppercase());
                prop_assert_eq!(found, index.states.get(usize::try_from(*state).unwrap_or(9)));
            }
            prop_assert!(index.get(&absent).is_none());
        }
    }

    #[test]
    fn kinds_of_key_are_told_by_the_at_sign() {
        let both =
            ReportKeys::used_by(["adele@contoso.com", "0a11c0de-0000-4000-8000-000000000001"]);
        assert!(both.object_ids && both.user_principal_names);
        let names = ReportKeys::used_by(["adele@contoso.com"]);
        assert!(!names.object_ids && names.user_principal_names);
    }

    #[test]
    fn from_sms_and_voice_reads_the_users_with_their_phones() {
        assert_eq!(
            from_report_names(&[Method::Sms, Method::VoiceMobile, Method::VoiceOffice]),
            ["mobilePhone", "officePhone"]
        );
        assert!(from_report_names(&[]).is_empty());
        assert!(from_report_names(&[Method::Sms, Method::UnknownFutureValue]).is_empty());
    }

    #[test]
    fn an_empty_value_and_none_both_mean_no_default() {
        assert!(means_no_default(""));
        assert!(means_no_default("none"));
        assert!(!means_no_default("sms"));
        assert!(
            !means_no_default("None "),
            "only the report's exact spellings"
        );
    }
}
