//! A user key as 128 bits: what large sets and indexes of users hold instead of the key's string.
//!
//! Object ids and user principal names are matched case-insensitively, so the digest is of the
//! lower-cased key. Two distinct keys share a digest with odds of about 2^-128 per pair, far below
//! any other way a run can go wrong; holding the digest costs 16 bytes where the string costs 60
//! or more.

use std::hash::{Hash, Hasher};

/// The digest of a lower-cased user key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct KeyDigest(u64, u64);

impl KeyDigest {
    /// The digest of `key`, in any letter case.
    pub(crate) fn of(key: &str) -> Self {
        let key = key.to_lowercase();
        let half = |salt: u8| {
            let mut hasher = std::hash::DefaultHasher::new();
            salt.hash(&mut hasher);
            key.hash(&mut hasher);
            hasher.finish()
        };
        Self(half(0), half(1))
    }
}

#[cfg(test)]
mod tests {
    use super::KeyDigest;

    #[test]
    fn a_key_has_one_digest_in_any_letter_case_and_other_keys_have_others() {
        assert_eq!(
            KeyDigest::of("Adele@Contoso.com"),
            KeyDigest::of("adele@contoso.com")
        );
        assert_ne!(
            KeyDigest::of("adele@contoso.com"),
            KeyDigest::of("alex@contoso.com")
        );
    }
}
