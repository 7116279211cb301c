//! `x-ms-throttle-priority`, recorded per request: which priority the requests the Graph host
//! received asked for, so a test can check what a client sends.
//!
//! Learn's throttling-limits page (identity and access service, "Other headers"), from
//! microsoft-graph-docs-contrib `includes/throttling-identity-and-access.md`: the header takes
//! `Low`, `Normal` or `High`; "If the header doesn't exist or is set to any other value, it
//! indicates a normal request"; low priority requests are throttled first under load, and "Using
//! the priority request header doesn't change the limits". The emulator's budgets are the limits
//! alone (it has no load of its own to shed), so a priority changes no answer; it is only counted.

use std::sync::atomic::{AtomicU64, Ordering};

/// The header's name.
pub(crate) const HEADER: &str = "x-ms-throttle-priority";

/// How many requests the Graph host received with each priority (`GET /_emulator/priorities`,
/// [`EmulatorHandle::priorities`](crate::EmulatorHandle::priorities)). A `$batch` counts once, by
/// its own header.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct PriorityCounts {
    /// Requests without the header (the service treats them as normal).
    pub absent: u64,
    /// `low`, in any letter case.
    pub low: u64,
    /// `normal`, or any value the service does not know (which it treats as normal).
    pub normal: u64,
    /// `high`.
    pub high: u64,
}

#[derive(Debug, Default)]
pub(crate) struct PriorityLog {
    absent: AtomicU64,
    low: AtomicU64,
    normal: AtomicU64,
    high: AtomicU64,
}

impl PriorityLog {
    /// Counts one request whose header, if it has one, is `value`.
    pub(crate) fn record(&self, value: Option<&[u8]>) {
        let counter = match value.map(<[u8]>::trim_ascii) {
            None => &self.absent,
            Some(value) if value.eq_ignore_ascii_case(b"low") => &self.low,
            Some(value) if value.eq_ignore_ascii_case(b"high") => &self.high,
            Some(_) => &self.normal,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn counts(&self) -> PriorityCounts {
        PriorityCounts {
            absent: self.absent.load(Ordering::Relaxed),
            low: self.low.load(Ordering::Relaxed),
            normal: self.normal.load(Ordering::Relaxed),
            high: self.high.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_values_count_as_normal_and_a_missing_header_apart() {
        let log = PriorityLog::default();
        for value in [
            None,
            Some(&b"Low"[..]),
            Some(b"low "),
            Some(b"HIGH"),
            Some(b"Normal"),
            Some(b"urgent"),
        ] {
            log.record(value);
        }
        assert_eq!(
            log.counts(),
            PriorityCounts {
                absent: 1,
                low: 2,
                normal: 2,
                high: 1,
            }
        );
    }
}
