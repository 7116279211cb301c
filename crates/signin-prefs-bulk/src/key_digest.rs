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
        // Keys are nearly always ASCII and short: lower-cased on the stack, the digest of a plan's
        // every target costs no allocation (a plan digests each of a million users).
        let mut ascii = [0_u8; 128];
        if key.is_ascii()
            && let Some(lowered) = ascii.get_mut(..key.len())
        {
            lowered.copy_from_slice(key.as_bytes());
            lowered.make_ascii_lowercase();
            if let Ok(lowered) = std::str::from_utf8(lowered) {
                return Self::of_lowered(lowered);
            }
        }
        Self::of_lowered(&key.to_lowercase())
    }

    fn of_lowered(key: &str) -> Self {
        let half = |salt: u8| {
            let mut hasher = std::hash::DefaultHasher::new();
            salt.hash(&mut hasher);
            key.hash(&mut hasher);
            hasher.finish()
        };
        Self(half(0), half(1))
    }

    /// The digest's leading `bits` bits (at most 63), as a number: digests are spread evenly, so
    /// these split a sorted list of them into runs of about equal length.
    pub(crate) fn leading_bits(self, bits: u32) -> u64 {
        self.0.checked_shr(64 - bits.min(63)).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::KeyDigest;

    #[test]
    fn ascii_and_other_keys_are_lowered_alike() {
        for key in ["Adele@Contoso.com", "ÅSA@Contoso.com", &"A".repeat(200)] {
            assert_eq!(
                KeyDigest::of(key),
                KeyDigest::of_lowered(&key.to_lowercase()),
                "{key}"
            );
        }
    }

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
