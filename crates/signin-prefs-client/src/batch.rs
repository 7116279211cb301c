//! `$batch`: up to 20 operations per request, responses matched by id whatever their order, and
//! only the items that failed with 429, 503 or 504 sent again, after their own `Retry-After`
//! (and a batch of reads whose answer came back garbled).
//!
//! [`parse_batch_response`] is public, and pure, so that the fuzz target (`fuzz/`) and its
//! regression test run exactly the code the client runs on every `$batch` answer.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant, SystemTime};

use serde::{Deserialize, Serialize};
use signin_prefs_request::{API_BASE_PATH, GraphRequest, Method, Operation};

use crate::budget::Charge;
use crate::client::refused_quota;
use crate::error::ServiceResponse;
use crate::response::ResponseHeaders;
use crate::retry::is_throttle;
use crate::retry::{Attempt, RetryHistory, RetryReason, retry_after_from};
use crate::{Client, Error, ErrorKind};

/// Graph's limit of requests in one `$batch`.
pub const MAX_BATCH_SIZE: usize = 20;

const BATCH_OPERATION: &str = "$batch";

/// The outcome of one operation of a batch.
#[derive(Debug)]
#[non_exhaustive]
pub struct BatchItemResult<T> {
    /// The operation's position in the slice given to [`Client::batch`].
    pub index: usize,
    /// The decoded response, or why the operation failed.
    pub result: Result<T, Error>,
    /// This item's attempts (each with its own `client-request-id`), whatever the outcome.
    pub retry_history: RetryHistory,
}

#[derive(Serialize)]
struct BatchRequestBody<'a> {
    requests: Vec<&'a BatchRequestItem>,
}

#[derive(Serialize)]
struct BatchRequestItem {
    id: String,
    method: String,
    url: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    headers: BTreeMap<String, String>,
    /// The operation's JSON body as it serialized it: checked, not parsed into a tree and back.
    #[serde(skip_serializing_if = "Option::is_none")]
    body: Option<Box<serde_json::value::RawValue>>,
}

#[derive(Deserialize)]
struct BatchResponseBody {
    #[serde(default)]
    responses: Vec<BatchResponseItem>,
}

/// One answer of a `$batch` response, as Graph sends it.
#[derive(Debug, Clone, Deserialize)]
#[non_exhaustive]
pub struct BatchResponseItem {
    /// The id of the request it answers.
    pub id: String,
    /// Its HTTP status.
    pub status: u16,
    /// Its headers (values are usually strings).
    #[serde(default)]
    pub headers: BTreeMap<String, serde_json::Value>,
    /// Its body, if any.
    #[serde(default)]
    pub body: Option<serde_json::Value>,
}

/// Reads a `$batch` response body: its answers in the order sent (none when `responses` is absent).
pub fn parse_batch_response(body: &[u8]) -> Result<Vec<BatchResponseItem>, serde_json::Error> {
    serde_json::from_slice::<BatchResponseBody>(body).map(|decoded| decoded.responses)
}

/// An item still to be sent.
struct Pending {
    index: usize,
    item: BatchRequestItem,
    /// What it costs against the service's quotas.
    charge: Charge,
    history: RetryHistory,
    /// Attempts that failed (the first included once it fails), throttling aside.
    failures: u32,
    /// Attempts the service throttled.
    throttled: u32,
}

impl Pending {
    /// Records `attempt` as one whose answer never came (or came unreadable), spending one of the
    /// item's failures; whether it may be sent again.
    fn answer_lost(&mut self, mut attempt: Attempt, max_failures: u32) -> bool {
        attempt.retry_reason = Some(RetryReason::Connection);
        self.history.push(attempt);
        self.failures += 1;
        self.failures < max_failures
    }

    /// The item's result once it has failed for good: `error`, with the attempts it took.
    fn failed<T>(self, error: Error) -> BatchItemResult<T> {
        BatchItemResult {
            index: self.index,
            result: Err(error.with_history(self.history.clone())),
            retry_history: self.history,
        }
    }
}

impl Client {
    /// Sends `operations` in `$batch` requests of at most [`MAX_BATCH_SIZE`], and returns one result
    /// per operation, in the order given. Each request waits until the quotas its items draw on
    /// have room for all of them. Items answered 429, 503 or 504 are sent again in a smaller batch
    /// after the longest `Retry-After` among them, and a batch of reads only whose answer cannot be
    /// read is sent again like a lone GET; a throttled item spends none of the attempts
    /// the retry policy allows for failures, only its own count of throttled ones, and the
    /// client's deadline bounds both. The others are final at once.
    pub async fn batch<O: Operation>(&self, operations: &[O]) -> Vec<BatchItemResult<O::Output>> {
        let mut results: Vec<BatchItemResult<O::Output>> = Vec::with_capacity(operations.len());
        let mut buildable = Vec::with_capacity(operations.len());
        for (index, operation) in operations.iter().enumerate() {
            match operation
                .to_request()
                .map_err(Error::from)
                .and_then(|request| {
                    let charge = Charge::of_request(&request.method, &request.path);
                    batch_item(index, &request).map(|item| (item, charge))
                }) {
                Ok((item, charge)) => buildable.push(Pending {
                    index,
                    item,
                    charge,
                    history: RetryHistory::default(),
                    failures: 0,
                    throttled: 0,
                }),
                Err(error) => results.push(BatchItemResult {
                    index,
                    result: Err(error),
                    retry_history: RetryHistory::default(),
                }),
            }
        }
        let mut rest = buildable.into_iter();
        loop {
            let chunk: Vec<Pending> = rest.by_ref().take(MAX_BATCH_SIZE).collect();
            if chunk.is_empty() {
                break;
            }
            self.run_chunk::<O>(chunk, &mut results).await;
        }
        results.sort_by_key(|result| result.index);
        results
    }

    async fn run_chunk<O: Operation>(
        &self,
        chunk: Vec<Pending>,
        results: &mut Vec<BatchItemResult<O::Output>>,
    ) {
        let policy = self.retry_policy();
        let max_failures = policy.max_attempts.max(1);
        let deadline = self.overall_deadline().map(|limit| Instant::now() + limit);
        let mut pending = chunk;
        let mut round: u32 = 0;
        while !pending.is_empty() {
            round += 1;
            // Each item gets its own client-request-id per round, so its error names its own
            // attempt rather than the batch's.
            for item in &mut pending {
                item.item.headers.insert(
                    "client-request-id".to_owned(),
                    uuid::Uuid::new_v4().to_string(),
                );
            }
            let sent_at = Instant::now();
            let (mut again, longest_retry_after) = match self.send_batch(&pending).await {
                Ok(response) => {
                    self.settle_answers::<O>(pending, response, round, sent_at, results)
                }
                // A `$batch` of reads whose answer came back garbled changed nothing: it is read
                // again like a single GET, within the same count of failures. (Lost connections
                // and timeouts were already retried by `send_batch`; writes are never re-sent
                // blind, since their outcome is unknown and the caller reads them back.)
                Err(error)
                    if error.kind() == ErrorKind::Decode
                        && pending
                            .iter()
                            .all(|item| item.item.method == Method::GET.as_str()) =>
                {
                    (
                        lost_reads_again(pending, &error, round, max_failures, results),
                        None,
                    )
                }
                Err(error) => {
                    for item in pending {
                        // The item went out in every attempt of the failed batch request.
                        let mut history = item.history;
                        for attempt in error.retry_history().attempts() {
                            history.push(attempt.clone());
                        }
                        results.push(BatchItemResult {
                            index: item.index,
                            result: Err(error.copy_for_item().with_history(history.clone())),
                            retry_history: history,
                        });
                    }
                    return;
                }
            };
            if again.is_empty() {
                return;
            }
            // The attempt number sets the backoff: the most failures any item has had so far.
            let failed_rounds = again.iter().map(|item| item.failures).max().unwrap_or(0);
            let delay = policy.delay(
                failed_rounds + 1,
                longest_retry_after,
                rand::random::<f64>(),
            );
            if deadline.is_some_and(|deadline| Instant::now() + delay > deadline) {
                tracing::warn!(
                    items = again.len(),
                    "giving up on batch items: the overall deadline comes first"
                );
                for item in again {
                    let error = Error::new(
                        ErrorKind::Timeout,
                        format!(
                            "{}: the overall deadline passes before this $batch item could be retried",
                            O::OPERATION_ID
                        ),
                    );
                    results.push(item.failed(error));
                }
                return;
            }
            for item in &mut again {
                if let Some(last) = item.history.last_mut() {
                    last.waited = Some(delay);
                }
            }
            tracing::warn!(
                items = again.len(),
                round,
                next_round = round + 1,
                retry_after_ms = longest_retry_after
                    .map(|wait| u64::try_from(wait.as_millis()).unwrap_or(u64::MAX)),
                delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                "retrying the failed items of a $batch"
            );
            tokio::time::sleep(delay).await;
            pending = again;
        }
    }

    /// Reads one round's answers into `results`: each item's success or final failure, or, for
    /// those to be sent again, the returned list with the longest `Retry-After` among them.
    fn settle_answers<O: Operation>(
        &self,
        pending: Vec<Pending>,
        response: (String, Vec<BatchResponseItem>),
        round: u32,
        sent_at: Instant,
        results: &mut Vec<BatchItemResult<O::Output>>,
    ) -> (Vec<Pending>, Option<Duration>) {
        let policy = self.retry_policy();
        let max_failures = policy.max_attempts.max(1);
        let max_throttled = policy.max_throttled_attempts.max(1);
        let (batch_client_request_id, answers) = response;
        let mut answers: HashMap<String, BatchResponseItem> = answers
            .into_iter()
            .map(|answer| (answer.id.to_ascii_lowercase(), answer))
            .collect();
        let mut again = Vec::new();
        let mut longest_retry_after: Option<Duration> = None;
        for mut item in pending {
            let item_client_request_id = item
                .item
                .headers
                .get("client-request-id")
                .cloned()
                .unwrap_or_else(|| batch_client_request_id.clone());
            let mut attempt = Attempt::new(round, item_client_request_id.clone());
            let Some(answer) = answers.remove(&item.item.id.to_ascii_lowercase()) else {
                if item.answer_lost(attempt, max_failures) {
                    again.push(item);
                } else {
                    let error = Error::new(
                        ErrorKind::Decode,
                        format!(
                            "{}: the $batch response has no answer for this item",
                            O::OPERATION_ID
                        ),
                    );
                    results.push(item.failed(error));
                }
                continue;
            };
            attempt.status = Some(answer.status);
            let body = answer_body(answer.body.as_ref());
            if (200..300).contains(&answer.status) {
                // Each item is a request to Graph's limits: each success is the budget's.
                self.pacer().on_success(&item.charge);
                item.history.push(attempt);
                let result = O::decode_response(answer.status, &body).map_err(|cause| {
                    Error::new(ErrorKind::Decode, O::OPERATION_ID)
                        .with_cause(cause)
                        .with_history(item.history.clone())
                });
                results.push(BatchItemResult {
                    index: item.index,
                    result,
                    retry_history: item.history,
                });
                continue;
            }
            let headers: Vec<(String, String)> = answer
                .headers
                .iter()
                .map(|(name, value)| {
                    (
                        name.clone(),
                        value
                            .as_str()
                            .map_or_else(|| value.to_string(), str::to_owned),
                    )
                })
                .collect();
            let header = |wanted: &str| {
                headers
                    .iter()
                    .find(|(name, _)| name.eq_ignore_ascii_case(wanted))
                    .map(|(_, value)| value.as_str())
            };
            let retry_after = retry_after_from(
                headers.iter().map(|(n, v)| (n.as_str(), v.as_str())),
                SystemTime::now(),
            );
            let quota = refused_quota(header);
            let service = ServiceResponse::from_parts(
                answer.status,
                &ResponseHeaders::new(headers.clone(), retry_after),
                &body,
                Some(&item_client_request_id),
            );
            let error = Error::from_response(O::OPERATION_ID, service);
            let reason = match answer.status {
                429 => Some(RetryReason::Throttled),
                503 | 504 => Some(RetryReason::Unavailable),
                _ => None,
            };
            attempt.retry_reason = reason;
            attempt.retry_after = retry_after;
            item.history.push(attempt);
            let throttle = is_throttle(Some(answer.status), retry_after);
            let retry = match reason {
                Some(reason) if policy.retries(reason) && throttle => {
                    self.pacer().on_throttled(
                        quota.unwrap_or_else(|| item.charge.primary()),
                        sent_at,
                        retry_after,
                    );
                    item.throttled += 1;
                    item.throttled < max_throttled
                }
                Some(reason) if policy.retries(reason) => {
                    item.failures += 1;
                    item.failures < max_failures
                }
                _ => false,
            };
            if retry {
                longest_retry_after = longest_retry_after.max(retry_after);
                again.push(item);
            } else {
                results.push(item.failed(error));
            }
        }
        (again, longest_retry_after)
    }

    /// Posts one `$batch` (with the client's own retries for the batch as a whole) and reads it.
    async fn send_batch(
        &self,
        pending: &[Pending],
    ) -> Result<(String, Vec<BatchResponseItem>), Error> {
        let body = BatchRequestBody {
            requests: pending.iter().map(|item| &item.item).collect(),
        };
        let mut request = GraphRequest::new(Method::POST, format!("{API_BASE_PATH}/$batch"));
        request.set_json_body(BATCH_OPERATION, &body)?;
        // Graph counts each item against its limits, so the pacer does too; the items' answers,
        // not the batch's, say which of them succeeded.
        let charge = pending
            .iter()
            .fold(Charge::NONE, |total, item| total + item.charge);
        let response = self
            .execute_charged(&request, BATCH_OPERATION, Charge::NONE, charge)
            .await?;
        let client_request_id = response.client_request_id().unwrap_or_default().to_owned();
        let responses = parse_batch_response(&response.body).map_err(|cause| {
            let mut error = Error::new(
                ErrorKind::Decode,
                "the $batch response is not a batch response",
            )
            .with_cause(cause);
            error.set_success_response(&response);
            error.with_history(response.retry_history.clone())
        })?;
        Ok((client_request_id, responses))
    }
}

/// The items of a `$batch` of reads whose answer could not be read: each spends one of its
/// failures and is returned to be sent again, or, out of failures, fails with `error`.
fn lost_reads_again<T>(
    pending: Vec<Pending>,
    error: &Error,
    round: u32,
    max_failures: u32,
    results: &mut Vec<BatchItemResult<T>>,
) -> Vec<Pending> {
    let mut again = Vec::new();
    for mut item in pending {
        let client_request_id = item
            .item
            .headers
            .get("client-request-id")
            .cloned()
            .unwrap_or_default();
        let mut attempt = Attempt::new(round, client_request_id);
        attempt.status = error.status();
        if item.answer_lost(attempt, max_failures) {
            again.push(item);
        } else {
            results.push(item.failed(error.copy_for_item()));
        }
    }
    again
}

/// One operation as a batch item: its URL relative to the API version, its headers and JSON body.
fn batch_item(index: usize, request: &GraphRequest) -> Result<BatchRequestItem, Error> {
    let target = request.path_and_query();
    let url = target
        .strip_prefix(API_BASE_PATH)
        .filter(|rest| rest.starts_with('/'))
        .ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidRequest,
                format!("{target} is not under {API_BASE_PATH}, so it cannot go in a {API_BASE_PATH} batch"),
            )
        })?
        .to_owned();
    let headers = request
        .headers
        .iter()
        .filter_map(|(name, value)| {
            Some((name.as_str().to_owned(), value.to_str().ok()?.to_owned()))
        })
        .collect();
    let body = match &request.body {
        Some(bytes) => Some(
            serde_json::from_slice::<Box<serde_json::value::RawValue>>(bytes).map_err(|cause| {
                Error::new(
                    ErrorKind::InvalidRequest,
                    "a batch item's body must be JSON",
                )
                .with_cause(cause)
            })?,
        ),
        None => None,
    };
    Ok(BatchRequestItem {
        // Ids are positions, unique within the batch; answers are matched by them, not by order.
        id: (index + 1).to_string(),
        method: request.method.as_str().to_owned(),
        url,
        headers,
        body,
    })
}

/// An item's body as bytes for the operation's decoder: absent or `null` is no body.
fn answer_body(body: Option<&serde_json::Value>) -> Vec<u8> {
    match body {
        None | Some(serde_json::Value::Null) => Vec::new(),
        Some(value) => serde_json::to_vec(value).unwrap_or_default(),
    }
}
