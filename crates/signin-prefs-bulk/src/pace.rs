//! A run's pace: what each `$batch` of writes met (when its answer came, how many of its PATCHes
//! landed, the throttling and retries it took), journaled so a report can chart the run over time.

use serde::{Deserialize, Serialize};
use signin_prefs_client::BatchItemResult;

/// What one `$batch` of PATCHes met, recorded when its answer arrives. It rides in the journal
/// with the next outcomes' write and fsync, so recording it costs the run no extra write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchPace {
    /// The batch number, as the batch's attempts and outcomes have it.
    pub batch: u64,
    /// When the answer arrived, in milliseconds since the Unix epoch.
    pub at_ms: u64,
    /// PATCHes the batch carried.
    pub writes: u32,
    /// Of them, those Graph accepted.
    pub applied: u32,
    /// Throttled answers its items met (a 429, or a 503 with `Retry-After`), those the client
    /// waited out and sent again included.
    pub throttled: u32,
    /// Attempts its items were sent again, for any reason.
    pub retries: u32,
}

impl BatchPace {
    /// The pace of batch `batch` from its items' results, at `at_ms`.
    pub(crate) fn of<T>(batch: u64, at_ms: u64, results: &[BatchItemResult<T>]) -> Self {
        let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        Self {
            batch,
            at_ms,
            writes: count(results.len()),
            applied: count(
                results
                    .iter()
                    .filter(|result| result.result.is_ok())
                    .count(),
            ),
            throttled: count(
                results
                    .iter()
                    .flat_map(|result| result.retry_history.attempts())
                    .filter(|attempt| attempt.was_throttled())
                    .count(),
            ),
            retries: count(
                results
                    .iter()
                    .map(|result| result.retry_history.attempts().len().saturating_sub(1))
                    .sum(),
            ),
        }
    }
}

/// Milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| {
            u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX)
        })
}
