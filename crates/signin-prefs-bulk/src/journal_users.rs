//! A journal's users with their records folded together, held compactly for runs of a million.
//!
//! A run keeps the fold of its journal for as long as it lasts, so each user costs a few dozen
//! bytes: its key in one shared string, its values as indexes into a table of the distinct values
//! (a tenant's users share a few dozen), its outcome's detail likewise (a run cut short gives
//! thousands of users the same one), and a digest to find it by. [`UserEntry`] is the plain view.

use std::collections::HashMap;

use crate::journal::{Status, UserEntry};
use crate::key_digest::KeyDigest;
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

/// Every user a journal mentions, in first-seen order, with its records folded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UserTable {
    keys: String,
    users: Vec<Folded>,
    by_key: HashMap<KeyDigest, u32>,
    values: Interned<Preferences>,
    texts: Interned<String>,
    request_ids: Vec<String>,
}

impl UserTable {
    pub(crate) fn new() -> Self {
        Self {
            keys: String::new(),
            users: Vec::new(),
            by_key: HashMap::new(),
            values: Interned::new(),
            texts: Interned::new(),
            request_ids: Vec::new(),
        }
    }

    /// Makes room for `users` more users.
    pub(crate) fn reserve(&mut self, users: usize) {
        self.users.reserve(users);
        self.by_key.reserve(users);
    }

    fn position(&self, user: &str) -> Option<usize> {
        usize::try_from(*self.by_key.get(&KeyDigest::of(user))?).ok()
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
                self.by_key
                    .insert(KeyDigest::of(user), u32::try_from(at).unwrap_or(NONE));
                self.users.push(Folded {
                    key_start,
                    key_end,
                    ..Folded::NOTHING
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
        let request_id = match request_id {
            Some(id) => {
                self.request_ids.push(id);
                u32::try_from(self.request_ids.len() - 1).unwrap_or(NONE)
            }
            None => NONE,
        };
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
        }
    }

    /// The user's folded entry.
    pub(crate) fn get(&self, user: &str) -> Option<UserEntry> {
        Some(self.view(self.users.get(self.position(user)?)?))
    }

    /// Every user, in first-seen order, with its folded entry.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&str, UserEntry)> {
        self.users.iter().filter_map(|folded| {
            let key = self.keys.get(
                usize::try_from(folded.key_start).ok()?..usize::try_from(folded.key_end).ok()?,
            )?;
            Some((key, self.view(folded)))
        })
    }

    fn view(&self, folded: &Folded) -> UserEntry {
        let value = |at| self.values.get(at).cloned();
        UserEntry {
            attempt: value(folded.before).zip(value(folded.after)),
            outcome: folded.status.map(|status| {
                (
                    status,
                    self.texts.get(folded.detail).cloned(),
                    usize::try_from(folded.request_id)
                        .ok()
                        .and_then(|at| self.request_ids.get(at))
                        .cloned(),
                )
            }),
            verified: folded
                .verified
                .and_then(|ok| Some((ok, value(folded.observed)?))),
            retryable: folded.retryable,
            run: folded.run,
        }
    }
}
