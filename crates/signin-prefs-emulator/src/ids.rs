//! Deterministic pseudo-random numbers, GUID formatting, Graph's timestamp format and the lenient
//! base64 decoding that token requests, `$batch` bodies and skip tokens share.
//!
//! Seeding uses SplitMix64 rather than a crate's generator so that a seed gives the same tenant on
//! every platform and every version of this crate's dependencies.

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

/// SplitMix64: tiny, fast, and its output for a given seed never changes.
#[derive(Debug, Clone)]
pub(crate) struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    pub(crate) fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// A generator for the `index`-th item of stream `stream` under `seed`, independent of how many
    /// items come before it (so user 7 is the same whether the tenant has 10 or 1,000,000 users).
    pub(crate) fn for_item(seed: u64, stream: u64, index: u64) -> Self {
        let mut mixer = Self::new(seed ^ stream.wrapping_mul(0xA24B_AED4_963E_E407));
        let base = mixer.next_u64();
        Self::new(base ^ index.wrapping_mul(0x9E37_79B9_7F4A_7C15))
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..bound` (`bound` > 0); the tiny modulo bias does not matter for test data.
    pub(crate) fn below(&mut self, bound: u64) -> u64 {
        self.next_u64() % bound.max(1)
    }

    /// A number in `[0, 1)`.
    pub(crate) fn unit(&mut self) -> f64 {
        // 53 random bits make every f64 in [0, 1) with that spacing equally likely.
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A version-4 GUID as 128 bits.
    pub(crate) fn guid(&mut self) -> u128 {
        let raw = (u128::from(self.next_u64()) << 64) | u128::from(self.next_u64());
        // RFC 4122: version 4 in bits 48..52, variant 10 in bits 62..64 (counted from the left).
        (raw & !(0xF_u128 << 76) & !(0x3_u128 << 62)) | (0x4_u128 << 76) | (0x2_u128 << 62)
    }
}

/// `8-4-4-4-12` lower-case hex, as Graph writes object ids.
pub(crate) fn format_guid(value: u128) -> String {
    let hex = format!("{value:032x}");
    let (a, rest) = hex.split_at(8);
    let (b, rest) = rest.split_at(4);
    let (c, rest) = rest.split_at(4);
    let (d, e) = rest.split_at(4);
    format!("{a}-{b}-{c}-{d}-{e}")
}

/// Parses `8-4-4-4-12` hex (any case) into 128 bits.
pub(crate) fn parse_guid(text: &str) -> Option<u128> {
    if text.len() != 36 {
        return None;
    }
    let mut value: u128 = 0;
    for (position, character) in text.chars().enumerate() {
        if matches!(position, 8 | 13 | 18 | 23) {
            if character != '-' {
                return None;
            }
            continue;
        }
        value = (value << 4) | u128::from(character.to_digit(16)?);
    }
    Some(value)
}

/// A fresh random GUID (for request ids; not seeded, as the real service's are not reproducible).
pub(crate) fn random_guid() -> String {
    let mut generator = SplitMix64::new(rand::random::<u64>());
    format_guid(generator.guid())
}

/// The current UTC time as Graph writes `innerError.date`: `2020-09-11T11:21:34`, no zone suffix.
pub(crate) fn graph_date_now() -> String {
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs())
        .unwrap_or(0);
    graph_date(seconds)
}

/// Seconds since the Unix epoch as `YYYY-MM-DDTHH:MM:SS` (UTC).
pub(crate) fn graph_date(unix_seconds: u64) -> String {
    let days = unix_seconds / 86_400;
    let second_of_day = unix_seconds % 86_400;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
        second_of_day / 3600,
        (second_of_day / 60) % 60,
        second_of_day % 60
    )
}

/// Howard Hinnant's days-to-civil algorithm, for days since 1970-01-01 (never negative here).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let shifted = days + 719_468;
    let era = shifted / 146_097;
    let day_of_era = shifted % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

/// Padding optional (any amount of it is trimmed first) and stray low bits ignored, as the
/// hand-written decoder this replaced accepted: clients send both forms.
const LENIENT: GeneralPurposeConfig = GeneralPurposeConfig::new()
    .with_decode_padding_mode(DecodePaddingMode::RequireNone)
    .with_decode_allow_trailing_bits(true);
const STANDARD_LENIENT: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, LENIENT);
const URL_SAFE_LENIENT: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, LENIENT);

/// Decodes base64 in either alphabet (standard or URL-safe), padding optional; `None` if invalid.
/// Used for `Authorization: Basic` on the token endpoint, base64 `$batch` item bodies and skip
/// tokens.
pub(crate) fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let text = text.trim_end_matches('=');
    STANDARD_LENIENT
        .decode(text)
        .or_else(|_| URL_SAFE_LENIENT.decode(text))
        .ok()
}

/// Derives a deterministic object id for tests that need one outside the tenant.
pub fn unknown_object_id(seed: u64) -> String {
    format_guid(SplitMix64::for_item(seed, 99, 0).guid())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_match_known_instants() {
        assert_eq!(graph_date(0), "1970-01-01T00:00:00");
        assert_eq!(graph_date(1_599_823_294), "2020-09-11T11:21:34");
        assert_eq!(graph_date(951_782_400), "2000-02-29T00:00:00");
    }

    #[test]
    fn base64_decodes_both_alphabets() {
        assert_eq!(decode_base64("YWJjOmQvZQ==").unwrap(), b"abc:d/e");
        assert_eq!(decode_base64("-_8").unwrap(), [0xFB, 0xFF]);
        assert_eq!(decode_base64("+/8=").unwrap(), [0xFB, 0xFF]);
        assert!(decode_base64("not base64!").is_none());
    }

    #[test]
    fn base64_takes_padding_in_any_amount_or_none() {
        assert_eq!(decode_base64("Zg").unwrap(), b"f");
        assert_eq!(decode_base64("Zg=").unwrap(), b"f");
        assert_eq!(decode_base64("Zg===").unwrap(), b"f");
        assert_eq!(decode_base64("").unwrap(), b"");
        assert!(decode_base64("Zg=g").is_none());
    }

    #[test]
    fn guids_round_trip_and_are_version_4() {
        let mut generator = SplitMix64::new(42);
        let guid = generator.guid();
        let text = format_guid(guid);
        assert_eq!(parse_guid(&text), Some(guid));
        assert_eq!(text.as_bytes()[14], b'4');
        assert!(matches!(text.as_bytes()[19], b'8' | b'9' | b'a' | b'b'));
    }
}
