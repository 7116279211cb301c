//! The tenant's disabled users (`accountEnabled: false`), which a plan leaves out unless asked.
//!
//! A disabled user cannot sign in, so changing its default method changes nothing now, and the
//! registration report does not list it ("This method doesn't work for disabled users":
//! microsoft-graph-docs-contrib,
//! `api-reference/beta/api/authenticationmethodsroot-list-userregistrationdetails.md`). One listing
//! finds them all, `GET /users?$filter=accountEnabled eq false`: `accountEnabled` supports `$filter`
//! with `eq` as a default (not advanced) query (microsoft-graph-docs-contrib,
//! `api-reference/v1.0/resources/user.md`, "Supports `$filter` (`eq`, `ne`, `not`, and `in`)").
//! Tenants hold few of them next to their users, and each costs 32 bytes here (two key digests).

use signin_prefs_client::{Client, Error as ClientError};
use signin_prefs_request::ListUser;

use crate::key_digest::KeyDigest;

/// Users per page asked for: the most Graph serves.
const PAGE_SIZE: i64 = 999;

/// Disabled users, by both of their keys.
#[derive(Debug, Default)]
pub struct DisabledUsers {
    /// Digests of object ids and user principal names, sorted.
    keys: Vec<KeyDigest>,
}

impl DisabledUsers {
    /// Whether the user `key` (object id or UPN, any letter case) is disabled.
    pub fn contains(&self, key: &str) -> bool {
        self.contains_digest(KeyDigest::of(key))
    }

    /// [`DisabledUsers::contains`] of a key already digested.
    pub(crate) fn contains_digest(&self, key: KeyDigest) -> bool {
        self.keys.binary_search(&key).is_ok()
    }

    /// How many keys it holds (two per user with both).
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether none is disabled.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

/// Lists the tenant's disabled users.
pub async fn read_disabled(client: &Client) -> Result<DisabledUsers, ClientError> {
    let mut list = ListUser::new();
    list.filter = Some("accountEnabled eq false".to_owned());
    list.top = Some(PAGE_SIZE);
    list.select = vec!["id".into(), "userPrincipalName".into()];
    let mut keys = Vec::new();
    client
        .for_each_item(list, |user| {
            keys.extend(
                [user.id.as_deref(), user.user_principal_name.as_deref()]
                    .into_iter()
                    .flatten()
                    .map(KeyDigest::of),
            );
        })
        .await?;
    keys.sort_unstable();
    keys.dedup();
    keys.shrink_to_fit();
    Ok(DisabledUsers { keys })
}
