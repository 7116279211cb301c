//! Groups of the emulated tenant: defined by a rule over users, resolved at request time.
//!
//! A group's members are evaluated per user (position, UPN, registered methods), so membership
//! needs no storage and follows the users' current state; nested groups are flattened, which is
//! what `transitiveMembers` returns.

use std::fmt;
use std::sync::Arc;

use crate::users::{AuthMethod, UserRecord};

/// Deepest nesting of [`GroupMembers::Groups`] followed (deeper groups, and cycles, add nobody).
const MAX_NESTING: usize = 16;

/// A predicate deciding membership from a user record.
#[derive(Clone)]
pub struct MemberPredicate(Arc<dyn Fn(&UserRecord) -> bool + Send + Sync>);

impl fmt::Debug for MemberPredicate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MemberPredicate(..)")
    }
}

/// Who is in a group.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum GroupMembers {
    /// Every user.
    All,
    /// The users at these store positions (seeded users: the seeding index).
    Indices(Vec<usize>),
    /// The users whose position `p` has `p % modulus == remainder`.
    Modulo {
        /// The modulus (0 matches nobody).
        modulus: usize,
        /// The remainder.
        remainder: usize,
    },
    /// Guests (UPNs with `#EXT#`).
    Guests,
    /// Users with this method registered (follows state changes).
    WithMethod(AuthMethod),
    /// The transitive members of these groups (nested groups, flattened).
    Groups(Vec<String>),
    /// Users for whom the predicate holds.
    Predicate(MemberPredicate),
}

impl GroupMembers {
    /// Members chosen by a predicate over the user record.
    pub fn predicate(predicate: impl Fn(&UserRecord) -> bool + Send + Sync + 'static) -> Self {
        GroupMembers::Predicate(MemberPredicate(Arc::new(predicate)))
    }
}

/// A group of the emulated tenant.
#[derive(Debug, Clone)]
pub struct GroupSpec {
    /// The object id (compared case-insensitively).
    pub id: String,
    /// The display name.
    pub display_name: String,
    /// Who is in it.
    pub members: GroupMembers,
}

impl GroupSpec {
    /// A group.
    pub fn new(id: &str, display_name: &str, members: GroupMembers) -> Self {
        Self {
            id: id.to_owned(),
            display_name: display_name.to_owned(),
            members,
        }
    }

    /// The groups every emulator has unless [`EmulatorBuilder::groups`](crate::EmulatorBuilder::groups)
    /// replaces them; their ids do not depend on the seed (see [`seeded_groups`]).
    pub fn defaults() -> Vec<GroupSpec> {
        use seeded_groups::*;
        vec![
            GroupSpec::new(ALL_USERS, "All users", GroupMembers::All),
            GroupSpec::new(
                EVEN_POSITIONS,
                "Even positions",
                GroupMembers::Modulo {
                    modulus: 2,
                    remainder: 0,
                },
            ),
            GroupSpec::new(
                EVERY_TENTH,
                "Every tenth user",
                GroupMembers::Modulo {
                    modulus: 10,
                    remainder: 0,
                },
            ),
            GroupSpec::new(
                AUTHENTICATOR_USERS,
                "Authenticator users",
                GroupMembers::WithMethod(AuthMethod::MicrosoftAuthenticator),
            ),
            GroupSpec::new(GUESTS, "Guests", GroupMembers::Guests),
            GroupSpec::new(
                PILOT,
                "MFA pilot (nested: every tenth user and the guests)",
                GroupMembers::Groups(vec![EVERY_TENTH.to_owned(), GUESTS.to_owned()]),
            ),
        ]
    }
}

/// The ids of the default groups ([`GroupSpec::defaults`]), the same for every seed.
pub mod seeded_groups {
    /// "All users": every user.
    pub const ALL_USERS: &str = "0a11c0de-0000-4000-8000-000000000001";
    /// "Even positions": users at positions 0, 2, 4, ….
    pub const EVEN_POSITIONS: &str = "0a11c0de-0000-4000-8000-000000000002";
    /// "Every tenth user": users at positions 0, 10, 20, ….
    pub const EVERY_TENTH: &str = "0a11c0de-0000-4000-8000-000000000003";
    /// "Authenticator users": users with Microsoft Authenticator registered (follows state changes).
    pub const AUTHENTICATOR_USERS: &str = "0a11c0de-0000-4000-8000-000000000004";
    /// "Guests": users whose UPN has `#EXT#`.
    pub const GUESTS: &str = "0a11c0de-0000-4000-8000-000000000005";
    /// "MFA pilot": nests "Every tenth user" and "Guests" (members are flattened).
    pub const PILOT: &str = "0a11c0de-0000-4000-8000-000000000006";
}

/// The groups of a running emulator.
#[derive(Debug, Default)]
pub(crate) struct Groups {
    groups: Vec<GroupSpec>,
}

impl Groups {
    pub(crate) fn new(mut groups: Vec<GroupSpec>) -> Self {
        for group in &mut groups {
            if let GroupMembers::Indices(indices) = &mut group.members {
                indices.sort_unstable();
                indices.dedup();
            }
        }
        Self { groups }
    }

    pub(crate) fn find(&self, id: &str) -> Option<&GroupSpec> {
        self.groups
            .iter()
            .find(|group| group.id.eq_ignore_ascii_case(id))
    }

    pub(crate) fn all(&self) -> &[GroupSpec] {
        &self.groups
    }

    /// Whether `user` is a transitive member of `group`.
    pub(crate) fn contains(&self, group: &GroupSpec, user: &UserRecord) -> bool {
        self.contains_at(group, user, 0)
    }

    fn contains_at(&self, group: &GroupSpec, user: &UserRecord, depth: usize) -> bool {
        match &group.members {
            GroupMembers::All => true,
            GroupMembers::Indices(indices) => indices.binary_search(&user.index).is_ok(),
            GroupMembers::Modulo { modulus, remainder } => {
                user.index.checked_rem(*modulus) == Some(*remainder)
            }
            GroupMembers::Guests => user.is_guest(),
            GroupMembers::WithMethod(method) => user.state.methods.contains(*method),
            GroupMembers::Groups(ids) => {
                depth < MAX_NESTING
                    && ids.iter().any(|id| {
                        self.find(id)
                            .is_some_and(|inner| self.contains_at(inner, user, depth + 1))
                    })
            }
            GroupMembers::Predicate(MemberPredicate(predicate)) => predicate(user),
        }
    }
}
