//! `x-ms-throttle-priority`: how much a throttled request would hurt, as the caller tells Graph.
//!
//! Learn's throttling-limits page (identity and access service, "Other headers"; in
//! microsoft-graph-docs-contrib `includes/throttling-identity-and-access.md`): `Low` ("Throttling
//! this request doesn't cause user-visible failures"), `Normal` (the default, also for a missing
//! or unknown value) and `High` (recommended "only for the requests initiated by the user"); under
//! load low priority requests are throttled first, and the header "doesn't change the limits".
//! Bulk work is the textbook low-priority traffic, so the CLI's and Python's bulk commands send
//! `low` unless told otherwise; a single get or set sends nothing unless asked.

use std::fmt;
use std::str::FromStr;

use http::HeaderValue;
use http::header::HeaderName;

use crate::Error;

/// The request header.
pub(crate) const THROTTLE_PRIORITY: HeaderName = HeaderName::from_static("x-ms-throttle-priority");

/// A value of `x-ms-throttle-priority`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Priority {
    /// Throttled first; for work no one waits on (bulk runs).
    Low,
    /// The service's default.
    Normal,
    /// Throttled last; for what a person is waiting on.
    High,
}

impl Priority {
    /// Every value, in the service's order (throttled first to last).
    pub const ALL: [Priority; 3] = [Priority::Low, Priority::Normal, Priority::High];

    /// The value sent, in the lower case the documentation recommends (`high`).
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Low => "low",
            Priority::Normal => "normal",
            Priority::High => "high",
        }
    }

    pub(crate) fn header_value(self) -> HeaderValue {
        HeaderValue::from_static(self.as_str())
    }
}

impl fmt::Display for Priority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Priority {
    type Err = Error;

    /// `low`, `normal` or `high`, in any case: the one parse the CLI and Python use. Anything else
    /// is a configuration error (the service would take it as `normal`, which is not what the
    /// caller meant).
    fn from_str(text: &str) -> Result<Self, Error> {
        Priority::ALL
            .into_iter()
            .find(|priority| priority.as_str().eq_ignore_ascii_case(text.trim()))
            .ok_or_else(|| {
                Error::configuration(format!(
                    "unknown throttle priority {text:?}: use low, normal or high"
                ))
            })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn every_value_parses_back_in_any_case_and_nothing_else_does() {
        for priority in Priority::ALL {
            assert_eq!(priority.as_str().parse::<Priority>().unwrap(), priority);
            let shouted = priority.as_str().to_ascii_uppercase();
            assert_eq!(
                format!(" {shouted} ").parse::<Priority>().unwrap(),
                priority
            );
            assert_eq!(priority.header_value(), priority.as_str());
        }
        for text in ["", "urgent", "lo", "low,high"] {
            let error = text.parse::<Priority>().unwrap_err();
            assert!(error.to_string().contains("low, normal or high"), "{error}");
        }
    }
}
