//! A journal's users with their records folded together, held compactly for runs of a million.
//!
//! A run keeps the fold of its journal for as long as it lasts, so each user costs a few dozen
//! bytes: its key in one shared string, its values as indexes into a table of the distinct values
//! (a tenant's users share a few dozen), its outcome's detail likewise (a run cut short gives
//! thousands of users the same one), its request-id as the 16 bytes of a GUID, and 4 bytes of an
//! index that finds it by key. [`UserEntry`] is the plain view.

use std::collections::HashMap;
use std::hash::{BuildHasher as _, Hash as _, Hasher as _, RandomState};

use hashbrown::HashTable;

use crate::journal::{Status, UserEntry};
use crate::plan::Preferences;

/// No value: an index no table reaches.
const NONE: u32 = u32::MAX;

/// One user, compactly.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Folded {
    /// Where the key is in [`UserTable::keys`].
    key_start: u32,
    key_end: u32,
    /// The last attempt's values (indexes into the values table), or [`NONE`].
    before: u32,
    after: u32,
    /// The last outcome.
    status: Option<Status>,
    /// Its detail (index into the texts table) and request-id (into the request-ids), or [`NONE`].
    detail: u32,
    request_id: u32,
    retryable: Option<bool>,
    /// The run that wrote the last outcome.
    run: u32,
    /// The last verification: whether it held, and what was read (or [`NONE`]).
    verified: Option<bool>,
    observed: u32,
    /// Why the last read-back could not be made (index into the texts table), or [`NONE`].
    unverified: u32,
}

impl Folded {
    /// A user the journal mentions with nothing recorded yet.
    const NOTHING: Self = Self {
        key_start: 0,
        key_end: 0,
        before: NONE,
        after: NONE,
        status: None,
        detail: NONE,
        request_id: NONE,
        retryable: None,
        run: 0,
        verified: None,
        observed: NONE,
        unverified: NONE,
    };
}

/// Distinct values, each stored once and found by index.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Interned<T: Eq + std::hash::Hash> {
    values: Vec<T>,
    index: HashMap<T, u32>,
}

impl<T: Clone + Eq + std::hash::Hash> Interned<T> {
    fn new() -> Self {
        Self {
            values: Vec::new(),
            index: HashMap::new(),
        }
    }

    fn intern(&mut self, value: T) -> u32 {
        if let Some(&at) = self.index.get(&value) {
            return at;
        }
        let at = u32::try_from(self.values.len()).unwrap_or(NONE);
        self.values.push(value.clone());
        self.index.insert(value, at);
        at
    }

    fn get(&self, at: u32) -> Option<&T> {
        self.values.get(usize::try_from(at).ok()?)
    }
}

/// Request-ids, each of which is unique: a GUID (as Graph writes them, lower-case with hyphens)
/// in its 16 bytes, anything else as text. An id is found by a `u32` whose top bit says which.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct RequestIds {
    guids: Vec<u128>,
    others: Vec<String>,
}

/// The top bit of a request-id's index: set for an id kept as text.
const OTHER: u32 = 1 << 31;

impl RequestIds {
    /// Keeps `id`; returns the index to find it by ([`NONE`] past two billion ids).
    fn push(&mut self, id: String) -> u32 {
        if let Some(guid) = guid_value(&id) {
            self.guids.push(guid);
            u32::try_from(self.guids.len() - 1)
                .ok()
                .filter(|at| at & OTHER == 0)
                .unwrap_or(NONE)
        } else {
            self.others.push(id);
            u32::try_from(self.others.len() - 1)
                .ok()
                .filter(|at| at & OTHER == 0)
                .map_or(NONE, |at| at | OTHER)
        }
    }

    fn get(&self, at: u32) -> Option<String> {
        if at == NONE {
            return None;
        }
        let index = usize::try_from(at & !OTHER).ok()?;
        if at & OTHER == 0 {
            self.guids.get(index).map(|guid| guid_text(*guid))
        } else {
            self.others.get(index).cloned()
        }
    }
}

/// The value of a GUID written exactly as [`guid_text`] writes it back, so nothing is lost.
fn guid_value(id: &str) -> Option<u128> {
    let bytes = id.as_bytes();
    let hyphens_in_place = bytes.len() == 36
        && [8, 13, 18, 23]
            .iter()
            .all(|&at| bytes.get(at) == Some(&b'-'));
    let digits: String = id.chars().filter(|c| *c != '-').collect();
    let lower_hex = digits.len() == 32
        && digits
            .bytes()
            .all(|byte| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte));
    if hyphens_in_place && lower_hex {
        u128::from_str_radix(&digits, 16).ok()
    } else {
        None
    }
}

/// A GUID in the lower-case, hyphenated form.
fn guid_text(guid: u128) -> String {
    let hex = format!("{guid:032x}");
    let part = |range: std::ops::Range<usize>| hex.get(range).unwrap_or_default();
    format!(
        "{}-{}-{}-{}-{}",
        part(0..8),
        part(8..12),
        part(12..16),
        part(16..20),
        part(20..32)
    )
}

/// Every user a journal mentions, in first-seen order, with its records folded.
#[derive(Debug, Clone)]
pub(crate) struct UserTable {
    keys: String,
    users: Vec<Folded>,
    /// Each user's position in `users`, found by its key in any letter case: the table holds the
    /// positions alone (4 bytes a user) and compares keys in `keys`, so it is exact.
    by_key: HashTable<u32>,
    hasher: RandomState,
    values: Interned<Preferences>,
    texts: Interned<String>,
    request_ids: RequestIds,
}

impl PartialEq for UserTable {
    /// Equal when the same users hold the same records: the index follows from them.
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Eq for UserTable {}

/// The hash of the user at position `at`, for the index to move it when it grows.
fn rehash(hasher: &RandomState, keys: &str, users: &[Folded], at: u32) -> u64 {
    let folded = usize::try_from(at).ok().and_then(|at| users.get(at));
    key_hash(hasher, folded.map_or("", |folded| key_in(keys, folded)))
}

/// The key of `folded` in `keys`.
fn key_in<'a>(keys: &'a str, folded: &Folded) -> &'a str {
    usize::try_from(folded.key_start)
        .ok()
        .zip(usize::try_from(folded.key_end).ok())
        .and_then(|(start, end)| keys.get(start..end))
        .unwrap_or_default()
}

/// The letters of a key as Entra compares them: case-insensitively.
fn folded_case(key: &str) -> impl Iterator<Item = char> + '_ {
    key.chars().flat_map(char::to_lowercase)
}

fn key_hash(hasher: &RandomState, key: &str) -> u64 {
    let mut state = hasher.build_hasher();
    folded_case(key).for_each(|letter| letter.hash(&mut state));
    state.finish()
}

impl UserTable {
    pub(crate) fn new() -> Self {
        Self {
            keys: String::new(),
            users: Vec::new(),
            by_key: HashTable::new(),
            hasher: RandomState::new(),
            values: Interned::new(),
            texts: Interned::new(),
            request_ids: RequestIds::default(),
        }
    }

    /// How many users.
    fn len(&self) -> usize {
        self.users.len()
    }

    /// Makes room for `users` more users.
    pub(crate) fn reserve(&mut self, users: usize) {
        self.users.reserve(users);
        let (keys, all) = (&self.keys, &self.users);
        let hasher = &self.hasher;
        self.by_key
            .reserve(users, |at| rehash(hasher, keys, all, *at));
    }

    fn position(&self, user: &str) -> Option<usize> {
        let hash = key_hash(&self.hasher, user);
        let at = self.by_key.find(hash, |at| {
            usize::try_from(*at)
                .ok()
                .and_then(|at| self.users.get(at))
                .is_some_and(|folded| folded_case(key_in(&self.keys, folded)).eq(folded_case(user)))
        })?;
        usize::try_from(*at).ok()
    }

    /// The user's entry, added (with nothing recorded) if the journal has not mentioned it yet.
    fn folded_mut(&mut self, user: &str) -> Option<&mut Folded> {
        let at = match self.position(user) {
            Some(at) => at,
            None => {
                let key_start = u32::try_from(self.keys.len()).unwrap_or(NONE);
                self.keys.push_str(user);
                let key_end = u32::try_from(self.keys.len()).unwrap_or(NONE);
                let at = self.users.len();
                self.users.push(Folded {
                    key_start,
                    key_end,
                    ..Folded::NOTHING
                });
                let hash = key_hash(&self.hasher, user);
                let (keys, all) = (&self.keys, &self.users);
                let hasher = &self.hasher;
                self.by_key
                    .insert_unique(hash, u32::try_from(at).unwrap_or(NONE), |at| {
                        rehash(hasher, keys, all, *at)
                    });
                at
            }
        };
        self.users.get_mut(at)
    }

    /// An attempt: the user's earlier records no longer count.
    pub(crate) fn attempt(&mut self, user: &str, before: Preferences, after: Preferences) {
        let before = self.values.intern(before);
        let after = self.values.intern(after);
        if let Some(folded) = self.folded_mut(user) {
            *folded = Folded {
                key_start: folded.key_start,
                key_end: folded.key_end,
                before,
                after,
                ..Folded::NOTHING
            };
        }
    }

    /// Whether the user has an attempt to record an outcome against.
    pub(crate) fn has_attempt(&self, user: &str) -> bool {
        self.position(user)
            .and_then(|at| self.users.get(at))
            .is_some_and(|folded| folded.before != NONE)
    }

    /// An outcome of the user's last attempt.
    pub(crate) fn outcome(
        &mut self,
        user: &str,
        status: Status,
        detail: Option<String>,
        request_id: Option<String>,
        retryable: Option<bool>,
        run: u32,
    ) {
        let detail = detail.map_or(NONE, |detail| self.texts.intern(detail));
        let request_id = request_id.map_or(NONE, |id| self.request_ids.push(id));
        if let Some(folded) = self.folded_mut(user) {
            folded.status = Some(status);
            folded.detail = detail;
            folded.request_id = request_id;
            folded.retryable = retryable;
            folded.run = run;
        }
    }

    /// A read-back of the user.
    pub(crate) fn verified(&mut self, user: &str, ok: bool, observed: Preferences) {
        let observed = self.values.intern(observed);
        if let Some(folded) = self.folded_mut(user) {
            folded.verified = Some(ok);
            folded.observed = observed;
            folded.unverified = NONE;
        }
    }

    /// A read-back of the user that could not be made: an earlier one no longer counts.
    pub(crate) fn unverified(&mut self, user: &str, detail: String) {
        let detail = self.texts.intern(detail);
        if let Some(folded) = self.folded_mut(user) {
            folded.verified = None;
            folded.observed = NONE;
            folded.unverified = detail;
        }
    }

    /// The user's folded entry.
    pub(crate) fn get(&self, user: &str) -> Option<UserEntry> {
        Some(self.view(self.users.get(self.position(user)?)?))
    }

    /// Every user, in first-seen order, with its folded entry.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&str, UserEntry)> {
        self.users
            .iter()
            .map(|folded| (key_in(&self.keys, folded), self.view(folded)))
    }

    fn view(&self, folded: &Folded) -> UserEntry {
        let value = |at| self.values.get(at).cloned();
        UserEntry {
            attempt: value(folded.before).zip(value(folded.after)),
            outcome: folded.status.map(|status| {
                (
                    status,
                    self.texts.get(folded.detail).cloned(),
                    self.request_ids.get(folded.request_id),
                )
            }),
            verified: folded
                .verified
                .and_then(|ok| Some((ok, value(folded.observed)?))),
            unverified: self.texts.get(folded.unverified).cloned(),
            retryable: folded.retryable,
            run: folded.run,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Every request-id comes back exactly as given, GUID or not, in any letter case.
        #[test]
        fn request_ids_come_back_as_given(
            ids in prop::collection::vec(
                prop_oneof![
                    "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
                    "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}",
                    ".{0,40}",
                ],
                0..20,
            )
        ) {
            let mut kept = RequestIds::default();
            let at: Vec<u32> = ids.iter().map(|id| kept.push(id.clone())).collect();
            for (id, at) in ids.iter().zip(at) {
                prop_assert_eq!(kept.get(at), Some(id.clone()));
            }
        }
    }

    #[test]
    fn a_guid_request_id_is_kept_in_sixteen_bytes() {
        let mut kept = RequestIds::default();
        let at = kept.push("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0".to_owned());
        assert_eq!(kept.guids.len(), 1);
        assert!(kept.others.is_empty());
        assert_eq!(
            kept.get(at).as_deref(),
            Some("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0")
        );
    }
}
