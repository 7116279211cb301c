//! The client: how it is built, and the one loop every request goes through (token, pacing,
//! attempt, classification, retry).

use std::sync::Arc;
use std::time::{Duration, Instant};

use http::header::{AUTHORIZATION, HeaderName, HeaderValue};
use signin_prefs_model::{SignInPreferences, SignInPreferencesPatch};
use signin_prefs_request::{GetSignInPreference, GraphRequest, Operation, UpdateSignInPreference};
use tracing::Instrument as _;

use crate::USER_AGENT;
use crate::auth::{AccessToken, TokenCache, TokenCredential};
use crate::budget::{Charge, Quota};
use crate::ca::CaCertificates;
use crate::cloud::{Endpoints, checked_origin, is_loopback_origin};
use crate::error::ServiceResponse;
use crate::pacing::{Pacer, PacingConfig};
use crate::priority::{Priority, THROTTLE_PRIORITY};
use crate::response::{RawResponse, read_headers};
use crate::retry::{Attempt, RetryHistory, RetryPolicy, RetryReason, is_throttle};
use crate::{Cloud, Error, ErrorKind};

const CLIENT_REQUEST_ID: HeaderName = HeaderName::from_static("client-request-id");
const RETRY_ATTEMPT: HeaderName = HeaderName::from_static("retry-attempt");
const PREFER: HeaderName = HeaderName::from_static("prefer");
const INCLUDE_UNKNOWN_ENUM_MEMBERS: HeaderValue =
    HeaderValue::from_static("include-unknown-enum-members");

/// The scope asked for when the client talks to an explicit base URL (an emulator posing as the
/// global service).
const EXPLICIT_BASE_SCOPE: &str = "https://graph.microsoft.com/.default";

/// Builds a [`Client`]. Only the credential is required; the cloud defaults to the global one.
#[must_use]
pub struct ClientBuilder {
    cloud: Cloud,
    graph_origin: Option<String>,
    login_authority: Option<String>,
    credential: Option<Arc<dyn TokenCredential>>,
    scopes: Option<Vec<String>>,
    connect_timeout: Duration,
    request_timeout: Duration,
    overall_deadline: Option<Duration>,
    retry: RetryPolicy,
    pacing: PacingConfig,
    pacer: Option<Arc<Pacer>>,
    include_unknown_enum_members: bool,
    user_agent_suffix: Option<String>,
    ca_certificates: CaCertificates,
}

impl std::fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("cloud", &self.cloud)
            .field("graph_origin", &self.graph_origin)
            .field("credential", &self.credential)
            .finish_non_exhaustive()
    }
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self {
            cloud: Cloud::Global,
            graph_origin: None,
            login_authority: None,
            credential: None,
            scopes: None,
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
            overall_deadline: Some(Duration::from_secs(300)),
            retry: RetryPolicy::default(),
            pacing: PacingConfig::default(),
            pacer: None,
            include_unknown_enum_members: true,
            user_agent_suffix: None,
            ca_certificates: CaCertificates::default(),
        }
    }
}

impl ClientBuilder {
    /// Talks to `cloud`'s Graph host, with tokens for that cloud.
    pub fn cloud(mut self, cloud: Cloud) -> Self {
        self.cloud = cloud;
        self.graph_origin = None;
        self
    }

    /// Talks to an explicit origin instead (an emulator, a proxy): scheme, host and port, HTTPS or
    /// plain HTTP to loopback.
    pub fn base_url(mut self, origin: &str) -> Self {
        self.graph_origin = Some(origin.to_owned());
        self
    }

    /// With [`Self::base_url`]: where tokens come from, when not from the same origin (an
    /// emulator serves both). Informational: each credential is built with its own authority.
    pub fn login_authority(mut self, origin: &str) -> Self {
        self.login_authority = Some(origin.to_owned());
        self
    }

    /// The authenticating credential.
    pub fn credential(mut self, credential: impl TokenCredential + 'static) -> Self {
        self.credential = Some(Arc::new(credential));
        self
    }

    /// The authenticating credential, shared.
    pub fn shared_credential(mut self, credential: Arc<dyn TokenCredential>) -> Self {
        self.credential = Some(credential);
        self
    }

    /// The scopes tokens are asked for. Default: the cloud's `…/.default`.
    pub fn scopes(mut self, scopes: Vec<String>) -> Self {
        self.scopes = Some(scopes);
        self
    }

    /// How long to wait for a connection.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How long one attempt may take, from sending to the end of the body; a slower one is retried.
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// How long one call may take in all, retries and waits included (`None`: no limit beyond
    /// the attempts). Default: five minutes.
    pub fn overall_deadline(mut self, deadline: Option<Duration>) -> Self {
        self.overall_deadline = deadline;
        self
    }

    /// When and how to retry.
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// How the client's own pacer behaves (ignored when [`Self::shared_pacer`] is given).
    pub fn pacing(mut self, config: PacingConfig) -> Self {
        self.pacing = config;
        self
    }

    /// Shares `pacer` with other clients of the same tenant and app.
    pub fn shared_pacer(mut self, pacer: Arc<Pacer>) -> Self {
        self.pacer = Some(pacer);
        self
    }

    /// Sends `Prefer: include-unknown-enum-members` (default: on), so evolvable enums come back
    /// with their newest members instead of `unknownFutureValue`.
    pub fn include_unknown_enum_members(mut self, include: bool) -> Self {
        self.include_unknown_enum_members = include;
        self
    }

    /// Appends a product token to the `User-Agent` (e.g. the calling tool's name and version).
    pub fn user_agent_suffix(mut self, suffix: &str) -> Self {
        self.user_agent_suffix = Some(suffix.to_owned());
        self
    }

    /// Trusts these certificate authorities too (an emulator's `--tls` CA), besides the public
    /// roots. Credentials that call a token endpoint take theirs separately
    /// (`with_ca_certificates`).
    pub fn ca_certificates(mut self, certificates: CaCertificates) -> Self {
        self.ca_certificates = certificates;
        self
    }

    /// The client, or why the configuration is not usable.
    pub fn build(self) -> Result<Client, Error> {
        let credential = self.credential.ok_or_else(|| {
            Error::configuration("no credential given (ClientBuilder::credential)")
        })?;
        let (endpoints, default_scope) = match &self.graph_origin {
            Some(origin) => {
                let origin = checked_origin(origin)?;
                let authority = self
                    .login_authority
                    .clone()
                    .unwrap_or_else(|| origin.clone());
                (
                    Endpoints::explicit(&origin, &authority)?,
                    EXPLICIT_BASE_SCOPE.to_owned(),
                )
            }
            None => (self.cloud.endpoints(), self.cloud.graph_default_scope()),
        };
        let user_agent = match &self.user_agent_suffix {
            Some(suffix) => format!("{USER_AGENT} {suffix}"),
            None => USER_AGENT.to_owned(),
        };
        let mut http = reqwest::Client::builder();
        if is_loopback_origin(&endpoints.graph_origin) {
            // A proxy from the environment could not reach this machine's loopback anyway.
            http = http.no_proxy();
        }
        let http = self
            .ca_certificates
            .apply(http)
            .connect_timeout(self.connect_timeout)
            // Graph does not redirect these calls; a redirect is refused rather than followed with
            // the token to wherever it points.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(user_agent)
            .build()
            .map_err(|cause| {
                Error::configuration("cannot build the HTTP client").with_cause(cause)
            })?;
        let scopes = self.scopes.unwrap_or_else(|| vec![default_scope]);
        Ok(Client {
            inner: Arc::new(ClientInner {
                http,
                endpoints,
                tokens: TokenCache::new(credential, scopes),
                retry: self.retry,
                pacer: self.pacer.unwrap_or_else(|| Pacer::new(self.pacing)),
                request_timeout: self.request_timeout,
                overall_deadline: self.overall_deadline,
                include_unknown_enum_members: self.include_unknown_enum_members,
            }),
            priority: None,
        })
    }
}

/// An async Microsoft Graph client. Cheap to clone; clones share the connection pool, the token
/// cache and the pacer.
#[derive(Clone, Debug)]
pub struct Client {
    inner: Arc<ClientInner>,
    /// Sent as `x-ms-throttle-priority` on every request (a `$batch` carries it once).
    priority: Option<Priority>,
}

#[derive(Debug)]
struct ClientInner {
    http: reqwest::Client,
    endpoints: Endpoints,
    tokens: TokenCache,
    retry: RetryPolicy,
    pacer: Arc<Pacer>,
    request_timeout: Duration,
    overall_deadline: Option<Duration>,
    include_unknown_enum_members: bool,
}

/// How one attempt ended.
enum Outcome {
    Success(RawResponse),
    Retryable {
        reason: RetryReason,
        error: Error,
        retry_after: Option<Duration>,
        /// The quota a 429 names, if it names one.
        quota: Option<Quota>,
    },
    Unauthorized(Error),
    Fatal(Error),
}

impl Client {
    /// A builder.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// Where requests go.
    pub fn endpoints(&self) -> &Endpoints {
        &self.inner.endpoints
    }

    /// The scopes tokens are asked for.
    pub fn scopes(&self) -> &[String] {
        self.inner.tokens.scopes()
    }

    /// The retry policy.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.inner.retry
    }

    /// The limit on one call, retries included.
    pub fn overall_deadline(&self) -> Option<Duration> {
        self.inner.overall_deadline
    }

    /// This client sending `x-ms-throttle-priority: priority` on every request (`None`: no
    /// header, which the service takes as normal). The clone shares everything else: connections,
    /// tokens and the pacer, since a priority changes no limit.
    #[must_use]
    pub fn with_priority(&self, priority: Option<Priority>) -> Client {
        Client {
            inner: Arc::clone(&self.inner),
            priority,
        }
    }

    /// The priority this client sends, if any.
    pub fn priority(&self) -> Option<Priority> {
        self.priority
    }

    /// The pacer this client (and its clones) share.
    pub fn pacer(&self) -> &Arc<Pacer> {
        &self.inner.pacer
    }

    /// Sends any generated operation and decodes its response.
    pub async fn send<O: Operation>(&self, operation: &O) -> Result<O::Output, Error> {
        let request = operation.to_request()?;
        let response = self.execute(&request, O::OPERATION_ID).await?;
        O::decode_response(response.status, &response.body).map_err(|cause| {
            let mut error = Error::new(ErrorKind::Decode, O::OPERATION_ID).with_cause(cause);
            error.set_success_response(&response);
            error.with_history(response.retry_history.clone())
        })
    }

    /// A user's sign-in preferences, by object id or UPN.
    pub async fn get_sign_in_preferences(&self, user: &str) -> Result<SignInPreferences, Error> {
        self.send(&GetSignInPreference::new(user)).await
    }

    /// Updates a user's sign-in preferences (by object id or UPN) with `patch`: absent fields are
    /// kept.
    pub async fn update_sign_in_preferences(
        &self,
        user: &str,
        patch: SignInPreferencesPatch,
    ) -> Result<(), Error> {
        self.send(&UpdateSignInPreference::new(user, patch))
            .await
            .map(|_| ())
    }

    /// Updates a user's sign-in preferences with any JSON body, for properties this build's spec
    /// does not know yet. The path is encoded exactly as for [`Self::update_sign_in_preferences`].
    pub async fn update_sign_in_preferences_json(
        &self,
        user: &str,
        body: &serde_json::Value,
    ) -> Result<RawResponse, Error> {
        let mut request =
            UpdateSignInPreference::new(user, SignInPreferencesPatch::default()).to_request()?;
        request.set_json_body(UpdateSignInPreference::OPERATION_ID, body)?;
        self.execute(&request, UpdateSignInPreference::OPERATION_ID)
            .await
    }

    /// Sends any request (built by hand, with any JSON body) with the client's auth, retries and
    /// pacing; a non-2xx status is an [`Error`].
    pub async fn send_raw(&self, request: &GraphRequest) -> Result<RawResponse, Error> {
        self.execute(request, "raw request").await
    }

    /// The loop every request goes through.
    pub(crate) async fn execute(
        &self,
        request: &GraphRequest,
        operation: &'static str,
    ) -> Result<RawResponse, Error> {
        let charge = Charge::of_request(&request.method, &request.path);
        self.execute_charged(request, operation, charge, charge)
            .await
    }

    /// The loop, for a request that costs `charge` against the service's quotas. `settled` is
    /// the part of it whose success the answer itself proves: all of it for a single request,
    /// nothing for a `$batch`, whose items each succeed or not on their own.
    pub(crate) async fn execute_charged(
        &self,
        request: &GraphRequest,
        operation: &'static str,
        settled: Charge,
        charge: Charge,
    ) -> Result<RawResponse, Error> {
        let span = tracing::debug_span!("graph_request", operation, method = %request.method);
        self.execute_in_span(request, operation, &settled, &charge)
            .instrument(span)
            .await
    }

    async fn execute_in_span(
        &self,
        request: &GraphRequest,
        operation: &'static str,
        settled: &Charge,
        charge: &Charge,
    ) -> Result<RawResponse, Error> {
        let inner = &self.inner;
        let deadline = inner.overall_deadline.map(|limit| Instant::now() + limit);
        let url = request.url(&inner.endpoints.graph_origin);
        let max_attempts = inner.retry.max_attempts.max(1);
        let mut history = RetryHistory::default();
        let mut token_refreshed = false;
        let mut attempt: u32 = 0;
        // Waits the service asked for are not failures: they have a count of their own.
        let mut throttled: u32 = 0;
        loop {
            attempt += 1;
            if deadline.is_some_and(|deadline| inner.pacer.earliest_send(charge) > deadline) {
                return Err(
                    deadline_error(operation, inner.overall_deadline, None).with_history(history)
                );
            }
            let sent_at = inner.pacer.acquire(charge).await;
            let token = self
                .token_before(deadline, operation)
                .await
                .map_err(|error| error.with_history(history.clone()))?;
            let timeout = match remaining(deadline) {
                Some(left) if left.is_zero() => {
                    return Err(deadline_error(operation, inner.overall_deadline, None)
                        .with_history(history));
                }
                Some(left) => left.min(inner.request_timeout),
                None => inner.request_timeout,
            };
            let client_request_id = uuid::Uuid::new_v4().to_string();
            tracing::debug!(attempt, %client_request_id, path = %request.path, "sending");
            let outcome = self
                .attempt(
                    request,
                    &url,
                    &token,
                    &client_request_id,
                    attempt,
                    timeout,
                    operation,
                )
                .await;
            let mut record = Attempt::new(attempt, client_request_id.clone());
            match outcome {
                Outcome::Success(mut response) => {
                    inner.pacer.on_success(settled);
                    record.status = Some(response.status);
                    history.push(record);
                    tracing::debug!(attempt, status = response.status, %client_request_id, "succeeded");
                    response.retry_history = history;
                    return Ok(response);
                }
                Outcome::Unauthorized(error) if !token_refreshed => {
                    // The token may have been revoked or expired early: one fresh token, one retry.
                    token_refreshed = true;
                    record.status = error.status();
                    record.retry_reason = None;
                    record.waited = Some(Duration::ZERO);
                    history.push(record);
                    tracing::warn!(attempt, %client_request_id, "401: fetching a new token and retrying once");
                    inner.tokens.invalidate(&token).await;
                }
                Outcome::Unauthorized(error) | Outcome::Fatal(error) => {
                    record.status = error.status();
                    history.push(record);
                    return Err(error.with_history(history));
                }
                Outcome::Retryable {
                    reason,
                    error,
                    retry_after,
                    quota,
                } => {
                    record.status = error.status();
                    record.retry_reason = Some(reason);
                    record.retry_after = retry_after;
                    let is_throttle = is_throttle(error.status(), retry_after);
                    if is_throttle {
                        throttled += 1;
                        inner.pacer.on_throttled(
                            quota.unwrap_or_else(|| charge.primary()),
                            sent_at,
                            retry_after,
                        );
                    }
                    // The retry after a 401 does not count against the policy's attempts, nor
                    // do the waits the service asked for.
                    let allowed = max_attempts + u32::from(token_refreshed);
                    let exhausted = if is_throttle {
                        throttled >= inner.retry.max_throttled_attempts.max(1)
                    } else {
                        attempt - throttled >= allowed
                    };
                    if !inner.retry.retries(reason) || exhausted {
                        history.push(record);
                        tracing::warn!(attempt, ?reason, %client_request_id, "giving up: no attempts left");
                        return Err(error.with_history(history));
                    }
                    let delay = inner
                        .retry
                        .delay(attempt + 1, retry_after, rand::random::<f64>());
                    if deadline.is_some_and(|deadline| Instant::now() + delay > deadline) {
                        history.push(record);
                        tracing::warn!(
                            attempt,
                            ?reason,
                            delay_ms = millis(delay),
                            "giving up: the overall deadline comes first"
                        );
                        return Err(
                            deadline_error(operation, inner.overall_deadline, Some(error))
                                .with_history(history),
                        );
                    }
                    record.waited = Some(delay);
                    history.push(record);
                    tracing::warn!(
                        operation,
                        attempt,
                        next_attempt = attempt + 1,
                        ?reason,
                        status = ?error.status(),
                        retry_after_ms = retry_after.map(millis),
                        delay_ms = millis(delay),
                        %client_request_id,
                        "retrying"
                    );
                    tokio::time::sleep(delay).await;
                }
            }
        }
    }

    /// A token, within what is left of the deadline.
    async fn token_before(
        &self,
        deadline: Option<Instant>,
        operation: &'static str,
    ) -> Result<AccessToken, Error> {
        match remaining(deadline) {
            None => self.inner.tokens.token().await,
            Some(left) => tokio::time::timeout(left, self.inner.tokens.token())
                .await
                .unwrap_or_else(|_| {
                    Err(deadline_error(operation, self.inner.overall_deadline, None))
                }),
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn attempt(
        &self,
        request: &GraphRequest,
        url: &str,
        token: &AccessToken,
        client_request_id: &str,
        attempt: u32,
        timeout: Duration,
        operation: &'static str,
    ) -> Outcome {
        let mut headers = request.headers.clone();
        let Ok(mut authorization) =
            HeaderValue::from_str(&format!("Bearer {}", token.secret().expose()))
        else {
            return Outcome::Fatal(Error::credential(
                "the token holds characters no header can carry",
            ));
        };
        // Sensitive values print as `Sensitive` in any Debug of the headers, and HTTP/2 never
        // indexes them.
        authorization.set_sensitive(true);
        headers.insert(AUTHORIZATION, authorization);
        if let Ok(value) = HeaderValue::from_str(client_request_id) {
            headers.insert(CLIENT_REQUEST_ID, value);
        }
        if self.inner.include_unknown_enum_members {
            headers.append(PREFER, INCLUDE_UNKNOWN_ENUM_MEMBERS);
        }
        if attempt > 1 {
            headers.insert(RETRY_ATTEMPT, HeaderValue::from(attempt - 1));
        }
        if let Some(priority) = self.priority {
            headers.insert(THROTTLE_PRIORITY, priority.header_value());
        }
        let mut builder = self
            .inner
            .http
            .request(request.method.clone(), url)
            .headers(headers)
            .timeout(timeout);
        if let Some(body) = &request.body {
            builder = builder.body(body.clone());
        }
        let response = match builder.send().await {
            Ok(response) => response,
            Err(cause) => return transport_outcome(operation, cause, timeout),
        };
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = match response.bytes().await {
            Ok(body) => body.to_vec(),
            Err(cause) => return transport_outcome(operation, cause, timeout),
        };
        if (200..300).contains(&status) {
            return Outcome::Success(RawResponse {
                status,
                headers,
                body,
                retry_history: RetryHistory::default(),
            });
        }
        let (response_headers, retry_after) = read_headers(&headers);
        let quota = refused_quota(|name| headers.get(name).and_then(|value| value.to_str().ok()));
        let service =
            ServiceResponse::from_parts(status, &response_headers, &body, Some(client_request_id));
        let error = Error::from_response(operation, service);
        tracing::debug!(status, code = ?error.code(), request_id = ?error.request_id(), "error response");
        match status {
            401 => Outcome::Unauthorized(error),
            429 => Outcome::Retryable {
                reason: RetryReason::Throttled,
                error,
                retry_after,
                quota,
            },
            503 | 504 => Outcome::Retryable {
                reason: RetryReason::Unavailable,
                error,
                retry_after,
                quota,
            },
            _ => Outcome::Fatal(error),
        }
    }
}

/// The quota a refusal names through its `x-ms-throttle-*` headers, looked up with `header`.
pub(crate) fn refused_quota<'a>(header: impl Fn(&str) -> Option<&'a str>) -> Option<Quota> {
    Quota::from_refusal(
        header("x-ms-throttle-scope"),
        header("x-ms-throttle-information"),
    )
}

fn transport_outcome(operation: &'static str, cause: reqwest::Error, timeout: Duration) -> Outcome {
    if cause.is_builder() {
        return Outcome::Fatal(Error::new(ErrorKind::InvalidRequest, operation).with_cause(cause));
    }
    if cause.is_timeout() {
        return Outcome::Retryable {
            quota: None,
            reason: RetryReason::SlowResponse,
            error: Error::new(
                ErrorKind::Timeout,
                format!("{operation}: no complete response within {timeout:?}"),
            )
            .with_cause(cause),
            retry_after: None,
        };
    }
    Outcome::Retryable {
        quota: None,
        reason: RetryReason::Connection,
        error: Error::new(ErrorKind::Transport, operation.to_owned()).with_cause(cause),
        retry_after: None,
    }
}

fn deadline_error(operation: &'static str, limit: Option<Duration>, last: Option<Error>) -> Error {
    let summary = format!(
        "{operation}: the overall deadline ({}) passes before another attempt could finish",
        limit.map_or_else(|| "none".to_owned(), |limit| format!("{limit:?}"))
    );
    match last {
        Some(error) => error.with_kind(ErrorKind::Timeout).with_summary(summary),
        None => Error::new(ErrorKind::Timeout, summary),
    }
}

fn remaining(deadline: Option<Instant>) -> Option<Duration> {
    deadline.map(|deadline| deadline.saturating_duration_since(Instant::now()))
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}
