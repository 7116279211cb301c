//! The checked targets of a run, held compactly: a million users' keys, places and overrides in
//! a few dozen megabytes, where a list of [`Target`]s costs about 80 bytes a user more.
//!
//! A run holds its targets from the moment the file is checked until the last window is planned,
//! so they are stored the way the work list and the journal's fold store users: every key in one
//! string, each distinct method once, and a small fixed-size row per user. [`Target`] is the
//! plain view a window is made of.

use signin_prefs_model::UserDefaultAuthenticationMethodType as Method;

use super::{LineKind, Target};
use crate::Error;

/// No method override: an index no method table reaches.
const NO_METHOD: u16 = u16::MAX;

/// One user, compactly: 12 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Row {
    /// Where the user's key ends in [`TargetList::users`] (it starts where the previous one ends).
    key_end: u32,
    /// [`Target::line`].
    line: u32,
    /// Index into [`TargetList::methods`], or [`NO_METHOD`].
    method: u16,
    /// [`Target::system_preferred`].
    system_preferred: Option<bool>,
}

/// Targets in file order, compactly; build it with [`TargetList::push`] or from a list of
/// [`Target`]s, and read it back as [`Target`]s with [`TargetList::iter`].
///
/// It holds up to 4 GiB of keys (some hundred million users) with lines up to 4,294,967,295:
/// beyond that, adding a target is refused, never silently cut.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TargetList {
    /// Every user's key, one after the other.
    users: String,
    /// Each distinct method override, once.
    methods: Vec<Method>,
    rows: Vec<Row>,
    /// What the lines count: a CSV file's lines (the default) or a JSON array's items.
    line_kind: LineKind,
}

impl TargetList {
    /// An empty list.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a target at the end.
    pub fn push(&mut self, target: Target) -> Result<(), Error> {
        self.push_parts(
            &target.user,
            target.line,
            target.method,
            target.system_preferred,
        )
    }

    /// Adds a target at the end from its parts, so a reader need not build a [`Target`] first.
    pub(super) fn push_parts(
        &mut self,
        user: &str,
        line: usize,
        method: Option<Method>,
        system_preferred: Option<bool>,
    ) -> Result<(), Error> {
        let too_many = || {
            Error::Guard(
                "too many targets for one run (over 4 GiB of user keys, or a line past 4,294,967,295); split them into several runs"
                    .to_owned(),
            )
        };
        let key_end = u32::try_from(self.users.len() + user.len()).map_err(|_| too_many())?;
        let line = u32::try_from(line).map_err(|_| too_many())?;
        self.users.push_str(user);
        let method = match method {
            Some(method) => self.intern(method),
            None => NO_METHOD,
        };
        self.rows.push(Row {
            key_end,
            line,
            method,
            system_preferred,
        });
        Ok(())
    }

    fn intern(&mut self, method: Method) -> u16 {
        if let Some(at) = self.methods.iter().position(|known| *known == method) {
            return u16::try_from(at).unwrap_or(NO_METHOD);
        }
        // The methods are the enum's members, a handful; an index past u16 cannot happen, and
        // would read back as "no override" rather than as another method.
        let at = u16::try_from(self.methods.len()).unwrap_or(NO_METHOD);
        self.methods.push(method);
        at
    }

    /// How many targets.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The target at `index`.
    pub fn get(&self, index: usize) -> Option<Target> {
        Some(self.view(index, self.rows.get(index)?))
    }

    /// The key of the target at `index`, without copying it.
    pub fn user(&self, index: usize) -> Option<&str> {
        let end = self.rows.get(index)?.key_end;
        let start = match index.checked_sub(1) {
            Some(previous) => self.rows.get(previous)?.key_end,
            None => 0,
        };
        self.users
            .get(usize::try_from(start).ok()?..usize::try_from(end).ok()?)
    }

    /// The line (or item) of the target at `index`.
    pub fn line(&self, index: usize) -> Option<usize> {
        usize::try_from(self.rows.get(index)?.line).ok()
    }

    /// What [`Target::line`] counts: a file's lines or a JSON array's items.
    pub fn line_kind(&self) -> LineKind {
        self.line_kind
    }

    /// Says what the lines count (a reader knows).
    pub(super) fn set_line_kind(&mut self, kind: LineKind) {
        self.line_kind = kind;
    }

    /// Every target, in order, each as a plain [`Target`].
    pub fn iter(&self) -> impl ExactSizeIterator<Item = Target> + '_ {
        self.rows
            .iter()
            .enumerate()
            .map(|(index, row)| self.view(index, row))
    }

    /// Every target's key, in order.
    pub fn users(&self) -> impl Iterator<Item = &str> + '_ {
        (0..self.rows.len()).filter_map(|index| self.user(index))
    }

    /// Whether any target carries a method or system-preferred value of its own.
    pub fn has_overrides(&self) -> bool {
        self.rows
            .iter()
            .any(|row| row.method != NO_METHOD || row.system_preferred.is_some())
    }

    fn view(&self, index: usize, row: &Row) -> Target {
        Target {
            user: self.user(index).unwrap_or_default().to_owned(),
            line: usize::try_from(row.line).unwrap_or(usize::MAX),
            method: self.methods.get(usize::from(row.method)).cloned(),
            system_preferred: row.system_preferred,
        }
    }
}

impl TryFrom<Vec<Target>> for TargetList {
    type Error = Error;

    fn try_from(targets: Vec<Target>) -> Result<Self, Error> {
        let mut list = Self::new();
        for target in targets {
            list.push(target)?;
        }
        Ok(list)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn target() -> impl Strategy<Value = Target> {
        let methods: Vec<Method> = Method::MEMBERS
            .iter()
            .map(|name| Method::from_wire(name))
            .collect();
        (
            "[a-zA-Z0-9@.é]{1,12}",
            1..10_000usize,
            proptest::option::of(prop::sample::select(methods)),
            proptest::option::of(any::<bool>()),
        )
            .prop_map(|(user, line, method, system_preferred)| Target {
                user,
                line,
                method,
                system_preferred,
            })
    }

    proptest! {
        /// The compact list gives back exactly the targets it was given, in order, by index and
        /// by iteration alike.
        #[test]
        fn a_target_list_gives_back_what_was_pushed(
            targets in prop::collection::vec(target(), 0..40)
        ) {
            let list = TargetList::try_from(targets.clone()).unwrap();
            prop_assert_eq!(list.len(), targets.len());
            prop_assert_eq!(list.iter().collect::<Vec<_>>(), targets.clone());
            for (index, target) in targets.iter().enumerate() {
                prop_assert_eq!(list.get(index), Some(target.clone()));
                prop_assert_eq!(list.user(index), Some(target.user.as_str()));
            }
            prop_assert_eq!(list.get(targets.len()), None);
            prop_assert_eq!(
                list.has_overrides(),
                targets.iter().any(|t| t.method.is_some() || t.system_preferred.is_some())
            );
        }

        /// A line past what a row holds is refused, and the list is left as it was.
        #[test]
        fn a_line_too_large_for_the_list_is_refused(line in (u64::from(u32::MAX) + 1)..u64::MAX) {
            let Ok(line) = usize::try_from(line) else { return Ok(()) };
            let mut list = TargetList::new();
            let target = Target { user: "a@x.com".into(), line, method: None, system_preferred: None };
            prop_assert!(list.push(target).is_err());
            prop_assert!(list.is_empty());
        }
    }
}
