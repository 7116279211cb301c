//! The HTTP server: builder, accept loop, token endpoint, admin API, and the handle tests hold.
//!
//! The accept loop is hand-written (hyper's HTTP/1 connection driving the axum router) rather than
//! `axum::serve`, because a "connection reset" fault needs the socket: each connection keeps a
//! duplicate handle on its socket to set `SO_LINGER` to zero, so that closing it sends a TCP RST.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::sync::{OnceLock, RwLock};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, oneshot, watch};
use tower::ServiceExt as _;

use crate::Error;
use crate::auth::{AppRegistration, TokenClaims, TokenRequest, TokenStore, now_unix};
use crate::config::{ConfiguredError, EmulatorConfig, UsersSource};
use crate::faults::{FaultKind, FaultRule, Faults};
use crate::graph::{
    Correlation, GraphRequest, GraphResponse, PatchLeniency, ResponseBody, Service,
};
use crate::groups::{GroupSpec, Groups};
use crate::ids::{SplitMix64, graph_date_now, random_guid};
use crate::throttle::{Clock, Throttle, ThrottleConfig, TrafficStats};
use crate::users::{AuthMethod, MethodSet, UserRecord, UserSpec, UserState, UserStore};

/// Largest request body accepted (a full `$batch` is far smaller).
const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// Configures and starts an emulator.
#[derive(Debug, Clone)]
pub struct EmulatorBuilder {
    config: EmulatorConfig,
}

impl Default for EmulatorBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl EmulatorBuilder {
    /// The defaults of [`EmulatorConfig`], with a fresh random secret for the default app.
    pub fn new() -> Self {
        Self::from_config(EmulatorConfig::default())
    }

    /// Starts from `config`; apps without a secret get a fresh random one.
    pub fn from_config(mut config: EmulatorConfig) -> Self {
        for app in &mut config.apps {
            if app.client_secret.is_empty() {
                app.client_secret = random_secret();
            }
        }
        Self { config }
    }

    /// Port on 127.0.0.1 (0, the default, picks a free one).
    pub fn port(mut self, port: u16) -> Self {
        self.config.port = port;
        self
    }

    /// Seed for users, ids and fault decisions.
    pub fn seed(mut self, seed: u64) -> Self {
        self.config.seed = seed;
        self
    }

    /// `count` seeded users.
    pub fn users(mut self, count: usize) -> Self {
        self.config.users = UsersSource::Seeded { count };
        self
    }

    /// Users given in full.
    pub fn user_specs(mut self, users: Vec<UserSpec>) -> Self {
        self.config.users = UsersSource::Listed(users);
        self
    }

    /// Users from a JSON file.
    pub fn users_file(mut self, path: impl Into<std::path::PathBuf>) -> Self {
        self.config.users = UsersSource::File(path.into());
        self
    }

    /// Registers another app (or replaces one with the same client id).
    pub fn app(mut self, app: AppRegistration) -> Self {
        self.config
            .apps
            .retain(|existing| existing.client_id != app.client_id);
        self.config.apps.push(app);
        self
    }

    /// Sets the default app's secret (read from the environment or a file by the CLI).
    pub fn default_app_secret(mut self, secret: String) -> Self {
        if let Some(app) = self.config.apps.first_mut() {
            app.client_secret = secret;
        }
        self
    }

    /// Throttling model.
    pub fn throttle(mut self, throttle: ThrottleConfig) -> Self {
        self.config.throttle = throttle;
        self
    }

    /// Emulated seconds per real second for throttling (0: only [`EmulatorHandle::advance_time`]).
    pub fn time_scale(mut self, scale: f64) -> Self {
        self.config.time_scale = scale;
        self
    }

    /// Adds a fault rule.
    pub fn fault(mut self, rule: FaultRule) -> Self {
        self.config.faults.push(rule);
        self
    }

    /// Answer for an unknown user.
    pub fn unknown_user(mut self, error: ConfiguredError) -> Self {
        self.config.unknown_user = error;
        self
    }

    /// Answer for an unregistered default method.
    pub fn unregistered_method(mut self, error: ConfiguredError) -> Self {
        self.config.unregistered_method = error;
        self
    }

    /// Whether `$batch` responses come back in a seeded shuffled order.
    pub fn shuffle_batch_responses(mut self, shuffle: bool) -> Self {
        self.config.shuffle_batch_responses = shuffle;
        self
    }

    /// Accept enum values in any letter case (default: only the spec's spelling).
    pub fn case_insensitive_enum_values(mut self, lenient: bool) -> Self {
        self.config.case_insensitive_enum_values = lenient;
        self
    }

    /// Ignore read-only properties in PATCH bodies (default: 400 naming them).
    pub fn ignore_read_only_properties(mut self, ignore: bool) -> Self {
        self.config.ignore_read_only_properties = ignore;
        self
    }

    /// The tenant's groups, replacing the defaults ([`GroupSpec::defaults`]).
    pub fn groups(mut self, groups: Vec<GroupSpec>) -> Self {
        self.config.groups = groups;
        self
    }

    /// Whether the tenant has the registration report (default `true`). `false` answers as a
    /// tenant without an Entra ID P1/P2 licence: 403
    /// `Authentication_RequestFromNonPremiumTenantOrB2CTenant`.
    pub fn registration_report(mut self, available: bool) -> Self {
        self.config.registration_report = available;
        self
    }

    /// The configuration so far.
    pub fn config(&self) -> &EmulatorConfig {
        &self.config
    }

    /// Loads the users, binds 127.0.0.1 and serves on the current tokio runtime.
    pub async fn start(self) -> Result<EmulatorHandle, Error> {
        let config = self.config;
        let users = load_users(&config)?;
        let service = Arc::new(Service {
            users: RwLock::new(users),
            tokens: TokenStore::new(config.apps.clone()),
            throttle: Throttle::new(config.throttle.clone()),
            clock: Clock::new(config.time_scale),
            faults: Faults::new(config.seed, config.faults.clone()),
            tenant_id: config.tenant_id.clone(),
            unknown_user: config.unknown_user.clone(),
            unregistered_method: config.unregistered_method.clone(),
            shuffle_batch_responses: config.shuffle_batch_responses,
            patch_leniency: PatchLeniency {
                case_insensitive_enum_values: config.case_insensitive_enum_values,
                ignore_read_only_properties: config.ignore_read_only_properties,
            },
            seed: config.seed,
            batches: AtomicU64::new(0),
            groups: Groups::new(config.groups.clone()),
            registration_report: config.registration_report,
            base_url: OnceLock::new(),
        });
        let shared = Arc::new(Shared {
            service: Arc::clone(&service),
            tenant_domain: config.tenant_domain.clone(),
            token_lifetime: config.token_lifetime,
            default_app_id: config
                .apps
                .first()
                .map(|app| app.client_id.clone())
                .unwrap_or_default(),
        });
        let router = router(Arc::clone(&shared), config.admin_api);
        let (stop, stopped) = watch::channel(false);
        let (ready, listening) = oneshot::channel::<Result<SocketAddr, Error>>();
        let (finished, done) = oneshot::channel::<()>();
        let port = config.port;
        // The server gets a thread and a runtime of its own, so it keeps serving whatever the
        // caller does with its own runtime: a current-thread test runtime blocked on a child
        // process, a synchronous caller (the Python binding), or a runtime being shut down.
        std::thread::Builder::new()
            .name("signin-prefs-emulator".to_owned())
            .spawn(move || serve_on_own_runtime(port, router, stopped, ready, finished))
            .map_err(|source| Error::Bind { port, source })?;
        let address = listening.await.map_err(|_| Error::Bind {
            port,
            source: std::io::Error::other("the emulator thread ended before listening"),
        })??;
        let _ = service.base_url.set(format!("http://{address}"));
        tracing::info!(%address, users = shared.user_count(), "emulator listening");
        Ok(EmulatorHandle {
            shared,
            address,
            stop,
            done: Some(done),
            apps: config.apps,
        })
    }
}

/// The emulator thread: binds, reports the address (or the failure), serves until stopped.
fn serve_on_own_runtime(
    port: u16,
    router: Router,
    stopped: watch::Receiver<bool>,
    ready: oneshot::Sender<Result<SocketAddr, Error>>,
    finished: oneshot::Sender<()>,
) {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .thread_name("signin-prefs-emulator-worker")
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(source) => {
            let _ = ready.send(Err(Error::Bind { port, source }));
            return;
        }
    };
    runtime.block_on(async move {
        let bound = match TcpListener::bind((Ipv4Addr::LOCALHOST, port)).await {
            Ok(listener) => listener.local_addr().map(|address| (listener, address)),
            Err(source) => Err(source),
        };
        match bound {
            Ok((listener, address)) => {
                let _ = ready.send(Ok(address));
                accept_loop(listener, router, stopped).await;
            }
            Err(source) => {
                let _ = ready.send(Err(Error::Bind { port, source }));
            }
        }
    });
    // Let open connections finish their graceful shutdown, briefly.
    runtime.shutdown_timeout(Duration::from_secs(1));
    let _ = finished.send(());
}

fn random_secret() -> String {
    format!(
        "emu~{:016x}{:016x}",
        rand::random::<u64>(),
        rand::random::<u64>()
    )
}

fn load_users(config: &EmulatorConfig) -> Result<UserStore, Error> {
    match &config.users {
        UsersSource::Seeded { count } => {
            UserStore::seeded(*count, config.seed, &config.tenant_domain)
        }
        UsersSource::Listed(specs) => UserStore::from_specs(specs, config.seed),
        UsersSource::File(path) => {
            let text = std::fs::read(path).map_err(|source| Error::UsersFile {
                path: path.clone(),
                source,
            })?;
            let specs: Vec<UserSpec> =
                serde_json::from_slice(&text).map_err(|error| Error::UsersFileFormat {
                    path: path.clone(),
                    message: error.to_string(),
                })?;
            UserStore::from_specs(&specs, config.seed)
        }
    }
}

/// What the HTTP handlers share.
#[derive(Debug)]
struct Shared {
    service: Arc<Service>,
    tenant_domain: String,
    token_lifetime: Duration,
    default_app_id: String,
}

impl Shared {
    fn user_count(&self) -> usize {
        self.service
            .users
            .read()
            .map(|users| users.len())
            .unwrap_or(0)
    }

    fn find(&self, key: &str) -> Option<UserRecord> {
        let users = self.service.users.read().ok()?;
        users.find(key).and_then(|position| users.record(position))
    }

    fn mint(&self, request: TokenRequest) -> Result<String, Error> {
        let app_id = request
            .app_id
            .unwrap_or_else(|| self.default_app_id.clone());
        let user = match &request.user {
            Some(key) => Some(
                self.find(key)
                    .ok_or_else(|| Error::UnknownUser(key.clone()))?
                    .id,
            ),
            None => None,
        };
        let lifetime = request
            .expires_in_seconds
            .unwrap_or(self.token_lifetime.as_secs());
        Ok(self.service.tokens.mint(TokenClaims {
            app_id,
            tenant_id: self.service.tenant_id.clone(),
            roles: request.roles,
            scopes: if user.is_some() {
                request.scopes
            } else {
                Vec::new()
            },
            user,
            directory_roles: request.directory_roles,
            expires_at: now_unix() + lifetime,
        }))
    }
}

/// Lets a handler ask its connection to be reset.
#[derive(Debug, Default)]
struct ConnectionControl {
    reset: Notify,
}

async fn accept_loop(listener: TcpListener, router: Router, mut stopped: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                match accepted {
                    Ok((stream, _)) => {
                        tokio::spawn(serve_connection(stream, router.clone(), stopped.clone()));
                    }
                    Err(error) => {
                        tracing::warn!(%error, "accept failed");
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                }
            }
            _ = stopped.changed() => break,
        }
    }
}

async fn serve_connection(stream: TcpStream, router: Router, mut stopped: watch::Receiver<bool>) {
    let _ = stream.set_nodelay(true);
    // A duplicate descriptor of the same socket: options set on it apply to the connection.
    let socket = socket2::SockRef::from(&stream).try_clone();
    let control = Arc::new(ConnectionControl::default());
    let request_control = Arc::clone(&control);
    let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
        let mut request = request.map(Body::new);
        request
            .extensions_mut()
            .insert(Arc::clone(&request_control));
        router.clone().oneshot(request)
    });
    let connection =
        hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service);
    tokio::pin!(connection);
    tokio::select! {
        result = connection.as_mut() => {
            if let Err(error) = result {
                tracing::debug!(%error, "connection ended with an error");
            }
        }
        () = control.reset.notified() => {
            // Linger zero makes the close below send RST instead of FIN.
            if let Ok(socket) = &socket {
                let _ = socket.set_linger(Some(Duration::ZERO));
            }
        }
        _ = stopped.changed() => {
            connection.as_mut().graceful_shutdown();
            let _ = connection.await;
        }
    }
}

fn router(shared: Arc<Shared>, admin_api: bool) -> Router {
    let mut router = Router::new().route("/{tenant}/oauth2/v2.0/token", post(token_endpoint));
    if admin_api {
        router = router
            .route("/_emulator/users", get(admin_user_at).post(admin_add_user))
            .route(
                "/_emulator/users/{key}",
                get(admin_get_user).patch(admin_set_user),
            )
            .route("/_emulator/tokens", post(admin_mint_token))
            .route("/_emulator/clock/advance", post(admin_advance_clock))
            .route("/_emulator/stats", get(admin_stats));
    }
    router.fallback(graph_endpoint).with_state(shared)
}

async fn graph_endpoint(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let correlation = Correlation::from_headers(&parts.headers);
    let control = parts.extensions.get::<Arc<ConnectionControl>>().cloned();
    let body = match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(body) => body,
        Err(_) => {
            let response = GraphResponse::error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "RequestEntityTooLarge",
                "The request body is too large.",
                &correlation,
            );
            return into_http(response, &correlation, None).await;
        }
    };
    let path = parts.uri.path_and_query().map_or("/", |path| path.as_str());
    let request = GraphRequest {
        method: &parts.method,
        path,
        headers: &parts.headers,
        body: &body,
    };
    let response = shared.service.handle(request, &correlation).await;
    into_http(response, &correlation, control).await
}

/// Puts a [`GraphResponse`] on the wire, applying a transport-level fault if it carries one.
async fn into_http(
    response: GraphResponse,
    correlation: &Correlation,
    control: Option<Arc<ConnectionControl>>,
) -> Response {
    let mut status = response.status;
    let has_body = response.body.is_some();
    let mut body = response
        .body
        .map(ResponseBody::into_bytes)
        .unwrap_or_default();
    let mut headers = HeaderMap::new();
    let mut put = |name: &'static str, value: &str| {
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.append(name, value);
        }
    };
    put("request-id", &correlation.request_id);
    put("client-request-id", &correlation.client_request_id);
    put(
        "x-ms-ags-diagnostic",
        r#"{"ServerInfo":{"DataCenter":"Loopback","Slice":"E","Ring":"0","ScaleUnit":"000","RoleInstance":"signin-prefs-emulator"}}"#,
    );
    if response.status.is_success() && has_body {
        put("odata-version", "4.0");
    }
    for (name, value) in &response.headers {
        put(name, value);
    }
    match response.fault {
        Some(FaultKind::ConnectionReset) => {
            if let Some(control) = control {
                control.reset.notify_one();
                // Never answer: the connection task drops the socket with linger zero (RST).
                std::future::pending::<()>().await;
            }
        }
        Some(FaultKind::TruncatedBody) => {
            if body.is_empty() {
                status = StatusCode::OK;
                body = br#"{"value":"truncated"}"#.to_vec();
            }
            let announced = body.len();
            body.truncate(announced / 2);
            headers.insert(
                axum::http::header::CONTENT_LENGTH,
                HeaderValue::from(announced),
            );
            headers.insert(
                axum::http::header::CONTENT_TYPE,
                HeaderValue::from_static(crate::graph::ODATA_JSON),
            );
            // The pause lets hyper flush the head and the first half before the error aborts the
            // connection; without it, hyper may drop both unsent.
            let first_half =
                futures_util::stream::iter([Ok::<Bytes, std::io::Error>(Bytes::from(body))]);
            let abort = futures_util::stream::once(async {
                tokio::time::sleep(Duration::from_millis(50)).await;
                Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionAborted,
                    "injected truncation",
                ))
            });
            let mut truncated = Response::new(Body::from_stream(futures_util::StreamExt::chain(
                first_half, abort,
            )));
            *truncated.status_mut() = status;
            *truncated.headers_mut() = headers;
            return truncated;
        }
        Some(FaultKind::MalformedBody) => {
            status = StatusCode::OK;
            let half = body.len() / 2;
            body.truncate(half);
            body.extend_from_slice(b"<!-- upstream error -->\x00}");
            headers.insert(
                axum::http::header::CONTENT_TYPE,
                HeaderValue::from_static(crate::graph::ODATA_JSON),
            );
        }
        _ => {}
    }
    let mut http_response = Response::new(Body::from(body));
    *http_response.status_mut() = status;
    *http_response.headers_mut() = headers;
    http_response
}

/// `POST /{tenant}/oauth2/v2.0/token`: the client-credentials flow with a client secret.
async fn token_endpoint(
    State(shared): State<Arc<Shared>>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut form: std::collections::HashMap<String, String> =
        form_urlencoded::parse(&body).into_owned().collect();
    // RFC 6749 §2.3.1 Basic authentication, which the identity platform also accepts: the id and
    // secret are form-urlencoded, then joined by a colon and base64-encoded.
    if let Some((client_id, client_secret)) = basic_credentials(&headers) {
        form.entry("client_id".to_owned()).or_insert(client_id);
        form.entry("client_secret".to_owned())
            .or_insert(client_secret);
    }
    let field = |name: &str| form.get(name).map(String::as_str).unwrap_or_default();
    let service = &shared.service;
    if !tenant.eq_ignore_ascii_case(&service.tenant_id)
        && !tenant.eq_ignore_ascii_case(&shared.tenant_domain)
    {
        return aad_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            90002,
            &format!("Tenant '{tenant}' not found."),
        );
    }
    if field("grant_type") != "client_credentials" {
        return aad_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            70003,
            "The app requested an unsupported grant type. The emulator supports client_credentials.",
        );
    }
    let Some(app) = service.tokens.app(field("client_id")) else {
        return aad_error(
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            700016,
            &format!(
                "Application with identifier '{}' was not found in the directory.",
                field("client_id")
            ),
        );
    };
    if field("client_secret").is_empty() || field("client_secret") != app.client_secret {
        return aad_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000215,
            "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.",
        );
    }
    let scope = field("scope");
    if !scope.ends_with("/.default") || scope.contains(' ') {
        return aad_error(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            70011,
            &format!(
                "The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid. The scope {scope} is not valid."
            ),
        );
    }
    let lifetime = shared.token_lifetime.as_secs();
    let token = service.tokens.mint(TokenClaims {
        app_id: app.client_id.clone(),
        tenant_id: service.tenant_id.clone(),
        roles: app.app_roles.clone(),
        expires_at: now_unix() + lifetime,
        ..TokenClaims::default()
    });
    axum::Json(json!({
        "token_type": "Bearer",
        "expires_in": lifetime,
        "ext_expires_in": lifetime,
        "access_token": token,
    }))
    .into_response()
}

fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(crate::ids::decode_base64(encoded.trim())?).ok()?;
    let (client_id, client_secret) = decoded.split_once(':')?;
    let unescape = |text: &str| {
        form_urlencoded::parse(format!("v={text}").as_bytes())
            .next()
            .map(|(_, value)| value.into_owned())
    };
    Some((unescape(client_id)?, unescape(client_secret)?))
}

/// The identity platform's error body (graph-behaviors.md §5.2).
fn aad_error(status: StatusCode, error: &str, code: u32, description: &str) -> Response {
    let trace_id = random_guid();
    let correlation_id = random_guid();
    let timestamp = format!("{}Z", graph_date_now().replace('T', " "));
    let body = json!({
        "error": error,
        "error_description": format!("AADSTS{code}: {description} Trace ID: {trace_id} Correlation ID: {correlation_id} Timestamp: {timestamp}"),
        "error_codes": [code],
        "timestamp": timestamp,
        "trace_id": trace_id,
        "correlation_id": correlation_id,
    });
    (status, axum::Json(body)).into_response()
}

fn record_json(record: &UserRecord) -> Value {
    json!({
        "index": record.index,
        "id": record.id,
        "userPrincipalName": record.user_principal_name,
        "isAdmin": record.is_admin,
        "methods": record.state.methods.methods(),
        "userPreferredMethodForSecondaryAuthentication": record.state.preferred.as_ref().map(|method| method.as_str()),
        "isSystemPreferredAuthenticationMethodEnabled": record.state.system_preferred_enabled,
        "systemPreferredAuthenticationMethod": record.state.system_preferred_method(),
    })
}

fn admin_error(status: StatusCode, message: &str) -> Response {
    (
        status,
        axum::Json(json!({ "error": { "code": "emulatorAdmin", "message": message } })),
    )
        .into_response()
}

#[derive(serde::Deserialize)]
struct IndexQuery {
    index: usize,
}

async fn admin_user_at(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<IndexQuery>,
) -> Response {
    let record = shared
        .service
        .users
        .read()
        .ok()
        .and_then(|users| users.record(query.index));
    match record {
        Some(record) => axum::Json(record_json(&record)).into_response(),
        None => admin_error(
            StatusCode::NOT_FOUND,
            &format!("no user at index {}", query.index),
        ),
    }
}

async fn admin_get_user(State(shared): State<Arc<Shared>>, Path(key): Path<String>) -> Response {
    match shared.find(&key) {
        Some(record) => axum::Json(record_json(&record)).into_response(),
        None => admin_error(StatusCode::NOT_FOUND, &format!("no user `{key}`")),
    }
}

async fn admin_set_user(
    State(shared): State<Arc<Shared>>,
    Path(key): Path<String>,
    body: Bytes,
) -> Response {
    let Ok(Value::Object(changes)) = serde_json::from_slice::<Value>(&body) else {
        return admin_error(StatusCode::BAD_REQUEST, "body must be a JSON object");
    };
    let Some(record) = shared.find(&key) else {
        return admin_error(StatusCode::NOT_FOUND, &format!("no user `{key}`"));
    };
    let mut state = record.state;
    for (name, value) in &changes {
        match name.as_str() {
            "methods" => match serde_json::from_value::<Vec<AuthMethod>>(value.clone()) {
                Ok(methods) => state.methods = MethodSet::of(&methods),
                Err(error) => {
                    return admin_error(StatusCode::BAD_REQUEST, &format!("methods: {error}"));
                }
            },
            "userPreferredMethodForSecondaryAuthentication" => match value {
                Value::Null => state.preferred = None,
                Value::String(text) => match text.parse() {
                    Ok(method) => state.preferred = Some(method),
                    Err(error) => return admin_error(StatusCode::BAD_REQUEST, &error.to_string()),
                },
                _ => {
                    return admin_error(
                        StatusCode::BAD_REQUEST,
                        "userPreferredMethodForSecondaryAuthentication: string or null",
                    );
                }
            },
            "isSystemPreferredAuthenticationMethodEnabled" => match value {
                Value::Null => state.system_preferred_enabled = None,
                Value::Bool(flag) => state.system_preferred_enabled = Some(*flag),
                _ => {
                    return admin_error(
                        StatusCode::BAD_REQUEST,
                        "isSystemPreferredAuthenticationMethodEnabled: boolean or null",
                    );
                }
            },
            other => {
                return admin_error(
                    StatusCode::BAD_REQUEST,
                    &format!("unknown property `{other}`"),
                );
            }
        }
    }
    let stored = shared.service.users.read().ok().and_then(|users| {
        users
            .update(record.index, |_| Ok::<UserState, ()>(state.clone()))?
            .ok()?;
        users.record(record.index)
    });
    match stored {
        Some(record) => axum::Json(record_json(&record)).into_response(),
        None => admin_error(StatusCode::NOT_FOUND, &format!("no user `{key}`")),
    }
}

async fn admin_add_user(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let spec: UserSpec = match serde_json::from_slice(&body) {
        Ok(spec) => spec,
        Err(error) => return admin_error(StatusCode::BAD_REQUEST, &error.to_string()),
    };
    match add_user(&shared, &spec) {
        Ok(record) => (StatusCode::CREATED, axum::Json(record_json(&record))).into_response(),
        Err(error) => admin_error(StatusCode::BAD_REQUEST, &error.to_string()),
    }
}

fn add_user(shared: &Shared, spec: &UserSpec) -> Result<UserRecord, Error> {
    let seed = shared.service.seed;
    let mut users = shared
        .service
        .users
        .write()
        .map_err(|_| Error::UnknownUser(spec.user_principal_name.clone()))?;
    let index = users.len() as u64;
    users.add(spec, seed, index)
}

async fn admin_mint_token(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let request: TokenRequest = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(error) => return admin_error(StatusCode::BAD_REQUEST, &error.to_string()),
    };
    match shared.mint(request) {
        Ok(token) => {
            axum::Json(json!({ "token_type": "Bearer", "access_token": token })).into_response()
        }
        Err(error) => admin_error(StatusCode::BAD_REQUEST, &error.to_string()),
    }
}

#[derive(serde::Deserialize)]
struct AdvanceBody {
    seconds: f64,
}

async fn admin_advance_clock(
    State(shared): State<Arc<Shared>>,
    axum::Json(advance): axum::Json<AdvanceBody>,
) -> Response {
    shared
        .service
        .clock
        .advance(Duration::from_secs_f64(advance.seconds.max(0.0)));
    StatusCode::NO_CONTENT.into_response()
}

async fn admin_stats(State(shared): State<Arc<Shared>>) -> Response {
    axum::Json(shared.service.throttle.stats()).into_response()
}

/// A running emulator. Dropping it stops the server.
#[derive(Debug)]
pub struct EmulatorHandle {
    shared: Arc<Shared>,
    address: SocketAddr,
    stop: watch::Sender<bool>,
    done: Option<oneshot::Receiver<()>>,
    apps: Vec<AppRegistration>,
}

impl EmulatorHandle {
    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// `http://127.0.0.1:PORT/beta`, the root a Graph client is given.
    pub fn graph_url(&self) -> String {
        format!("{}/beta", self.base_url())
    }

    /// The token endpoint for the tenant.
    pub fn token_url(&self) -> String {
        format!(
            "{}/{}/oauth2/v2.0/token",
            self.base_url(),
            self.shared.service.tenant_id
        )
    }

    /// The socket address.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The tenant id.
    pub fn tenant_id(&self) -> &str {
        &self.shared.service.tenant_id
    }

    /// The registered apps (the first is the default), secrets included.
    pub fn apps(&self) -> &[AppRegistration] {
        &self.apps
    }

    /// Number of users.
    pub fn user_count(&self) -> usize {
        self.shared.user_count()
    }

    /// The groups: id and display name, in definition order.
    pub fn groups(&self) -> Vec<(String, String)> {
        self.shared
            .service
            .groups
            .all()
            .iter()
            .map(|group| (group.id.clone(), group.display_name.clone()))
            .collect()
    }

    /// The transitive user members of group `id`, in store order (what
    /// `/groups/{id}/transitiveMembers/microsoft.graph.user` lists); `None` for an unknown group.
    pub fn group_members(&self, id: &str) -> Option<Vec<UserRecord>> {
        let service = &self.shared.service;
        let group = service.groups.find(id)?;
        let users = service.users.read().ok()?;
        Some(
            (0..users.len())
                .filter_map(|position| users.record(position))
                .filter(|record| service.groups.contains(group, record))
                .collect(),
        )
    }

    /// The user at `index` (seeded users: the seeding index).
    pub fn user_at(&self, index: usize) -> Option<UserRecord> {
        self.shared.service.users.read().ok()?.record(index)
    }

    /// The user whose object id or UPN is `key` (UPNs compare case-insensitively).
    pub fn user(&self, key: &str) -> Option<UserRecord> {
        self.shared.find(key)
    }

    /// The first user for which `predicate` holds (a linear scan, for tests).
    pub fn find_user(&self, predicate: impl Fn(&UserRecord) -> bool) -> Option<UserRecord> {
        let users = self.shared.service.users.read().ok()?;
        (0..users.len())
            .filter_map(|index| users.record(index))
            .find(|record| predicate(record))
    }

    /// Replaces a user's methods and preferences (no validation: tests may set any state).
    pub fn set_user_state(&self, key: &str, state: UserState) -> Result<UserRecord, Error> {
        let users = self
            .shared
            .service
            .users
            .read()
            .map_err(|_| Error::UnknownUser(key.to_owned()))?;
        let position = users
            .find(key)
            .ok_or_else(|| Error::UnknownUser(key.to_owned()))?;
        users.update(position, |_| Ok::<UserState, ()>(state.clone()));
        users
            .record(position)
            .ok_or_else(|| Error::UnknownUser(key.to_owned()))
    }

    /// Adds a user.
    pub fn add_user(&self, spec: &UserSpec) -> Result<UserRecord, Error> {
        add_user(&self.shared, spec)
    }

    /// Issues a token with exactly the given roles, scopes, user and lifetime.
    pub fn mint_token(&self, request: TokenRequest) -> Result<String, Error> {
        self.shared.mint(request)
    }

    /// Adds a fault rule.
    pub fn add_fault(&self, rule: FaultRule) {
        self.shared.service.faults.add(rule);
    }

    /// Removes every fault rule.
    pub fn clear_faults(&self) {
        self.shared.service.faults.clear();
    }

    /// Replaces the throttling model (and empties the buckets).
    pub fn set_throttle(&self, throttle: ThrottleConfig) {
        self.shared.service.throttle.set_config(throttle);
    }

    /// What the throttling model let through and refused so far (`GET /_emulator/stats`).
    pub fn traffic(&self) -> TrafficStats {
        self.shared.service.throttle.stats()
    }

    /// Moves the emulated clock forward.
    pub fn advance_time(&self, by: Duration) {
        self.shared.service.clock.advance(by);
    }

    /// Stops accepting, lets open connections finish, and waits for the server task.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(done) = self.done.take() {
            let _ = done.await;
        }
    }
}

impl Drop for EmulatorHandle {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// Derives a deterministic object id for tests that need one outside the tenant.
pub fn unknown_object_id(seed: u64) -> String {
    crate::ids::format_guid(SplitMix64::for_item(seed, 99, 0).guid())
}
