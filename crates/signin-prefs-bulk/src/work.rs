//! The users a run changes: who, from what, to what, held compactly for runs of a million users.
//!
//! A run holds its work for as long as it lasts, so the work is stored in the fewest bytes: every
//! key in one string, and each distinct before or after value once (a tenant's users share a few
//! dozen). A [`WorkItem`] borrows from it, and is what the executor passes around.

use std::collections::HashMap;

use crate::journal::{Record, Status};
use crate::plan::{Action, PlanEntry, Preferences};

/// The work of a run, compactly: build it with [`WorkList::push`], then take [`WorkList::items`].
#[derive(Debug, Default)]
pub(crate) struct WorkList {
    /// Every user's key, one after the other.
    users: String,
    /// Each distinct value, once.
    values: Vec<Preferences>,
    /// Where each value is in `values`.
    interned: HashMap<Preferences, u32>,
    /// Per user: where its key ends in `users`, and its before and after values.
    items: Vec<(u32, u32, u32)>,
}

impl WorkList {
    /// Adds a user to move from `before` to `after`.
    pub(crate) fn push(&mut self, user: &str, before: &Preferences, after: &Preferences) {
        self.users.push_str(user);
        let end = u32::try_from(self.users.len()).unwrap_or(u32::MAX);
        let before = self.intern(before);
        let after = self.intern(after);
        self.items.push((end, before, after));
    }

    /// Adds a plan entry's user if the plan changes it; entries that send nothing are left out.
    pub(crate) fn push_planned(&mut self, entry: &PlanEntry) {
        if let (Action::Change, Some(target)) = (entry.action, &entry.target) {
            self.push(&entry.user, &entry.current, target);
        }
    }

    fn intern(&mut self, value: &Preferences) -> u32 {
        if let Some(&at) = self.interned.get(value) {
            return at;
        }
        let at = u32::try_from(self.values.len()).unwrap_or(u32::MAX);
        self.values.push(value.clone());
        self.interned.insert(value.clone(), at);
        at
    }

    /// The users, in the order pushed.
    pub(crate) fn items(&self) -> Vec<WorkItem<'_>> {
        (0..self.items.len())
            .filter_map(|at| {
                Some(WorkItem {
                    list: self,
                    at: u32::try_from(at).ok()?,
                })
            })
            .collect()
    }

    /// The key and values of the user at `at`.
    fn parts(&self, at: u32) -> Option<(&str, &Preferences, &Preferences)> {
        let at = usize::try_from(at).ok()?;
        let &(end, before, after) = self.items.get(at)?;
        let start = match at.checked_sub(1) {
            Some(previous) => self.items.get(previous)?.0,
            None => 0,
        };
        let user = self
            .users
            .get(usize::try_from(start).ok()?..usize::try_from(end).ok()?)?;
        let value = |index: u32| self.values.get(usize::try_from(index).ok()?);
        Some((user, value(before)?, value(after)?))
    }
}

/// No values: what an item reads as if its list did not hold it, which cannot happen.
static NO_VALUES: Preferences = Preferences {
    method: None,
    system_preferred: None,
};

/// One user to move from `before` to `after`: a place in the [`WorkList`] it comes from, 16
/// bytes where the user's key and values as references took 32.
#[derive(Debug, Clone, Copy)]
pub(crate) struct WorkItem<'a> {
    list: &'a WorkList,
    at: u32,
}

impl<'a> WorkItem<'a> {
    /// The user's key.
    pub(crate) fn user(&self) -> &'a str {
        self.list.parts(self.at).map_or("", |(user, _, _)| user)
    }

    /// The values expected now.
    pub(crate) fn before(&self) -> &'a Preferences {
        self.list
            .parts(self.at)
            .map_or(&NO_VALUES, |(_, before, _)| before)
    }

    /// The values to set.
    pub(crate) fn after(&self) -> &'a Preferences {
        self.list
            .parts(self.at)
            .map_or(&NO_VALUES, |(_, _, after)| after)
    }
}

impl WorkItem<'_> {
    pub(crate) fn attempt(&self, batch: u64) -> Record {
        self.attempt_from(batch, self.before())
    }

    /// An attempt from `before`, the values read just before the write rather than those the
    /// work was made from: a rollback restores what was really there.
    pub(crate) fn attempt_from(&self, batch: u64, before: &Preferences) -> Record {
        Record::Attempt {
            user: self.user().to_owned(),
            batch,
            before: before.clone(),
            after: self.after().clone(),
        }
    }

    pub(crate) fn outcome(
        &self,
        batch: u64,
        status: Status,
        detail: Option<String>,
        request_id: Option<String>,
    ) -> Record {
        Record::Outcome {
            user: self.user().to_owned(),
            batch,
            status,
            detail,
            request_id,
            retryable: None,
        }
    }

    pub(crate) fn failed(&self, batch: u64, error: &signin_prefs_client::Error) -> Record {
        Record::Outcome {
            user: self.user().to_owned(),
            batch,
            status: Status::Failed,
            detail: Some(error.to_string()),
            request_id: error.request_id().map(str::to_owned),
            retryable: Some(retaken_by_resume(error)),
        }
    }
}

/// Whether `--resume` sends a user that failed with `error` again: after a failure a retry can
/// fix (a 5xx, a timeout, a lost connection), and after a refused credential (an expired static
/// token, a revoked sign-in: a 401 says nothing about the user, and the credential is mended
/// before resuming); never after Graph refused the user's change.
fn retaken_by_resume(error: &signin_prefs_client::Error) -> bool {
    use signin_prefs_client::ErrorKind;
    error.is_transient()
        || matches!(
            error.kind(),
            ErrorKind::Unauthorized | ErrorKind::Credential
        )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn preferences() -> impl Strategy<Value = Preferences> {
        (
            proptest::option::of(prop::sample::select(vec!["push", "sms", "oath"])),
            proptest::option::of(any::<bool>()),
        )
            .prop_map(|(method, system_preferred)| Preferences {
                method: method.map(str::to_owned),
                system_preferred,
            })
    }

    proptest! {
        /// The compact list gives back exactly what was pushed, in order.
        #[test]
        fn a_work_list_gives_back_what_was_pushed(
            pushed in prop::collection::vec(("[a-zA-Z0-9@.é]{1,12}", preferences(), preferences()), 0..40)
        ) {
            let mut list = WorkList::default();
            for (user, before, after) in &pushed {
                list.push(user, before, after);
            }
            let items = list.items();
            prop_assert_eq!(items.len(), pushed.len());
            for (item, (user, before, after)) in items.iter().zip(&pushed) {
                prop_assert_eq!(item.user(), user.as_str());
                prop_assert_eq!(item.before(), before);
                prop_assert_eq!(item.after(), after);
            }
        }
    }
}
