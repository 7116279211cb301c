//! Helpers for the client tests: an emulator with a client wired to it, credentials that count and
//! record what they hand out, and a scripted HTTP server for answers the emulator does not give.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use signin_prefs_client::{
    AccessToken, ClientBuilder, ClientSecretCredential, RetryPolicy, Secret, StaticToken,
    TokenCredential, TokenFuture,
};
use signin_prefs_emulator::{EmulatorBuilder, EmulatorHandle, ThrottleConfig, TokenRequest};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// An emulator with 50 users, answers in order, no throttling unless the builder says so.
pub(crate) fn quiet() -> EmulatorBuilder {
    EmulatorBuilder::new()
        .users(50)
        .seed(23)
        .shuffle_batch_responses(false)
        .throttle(ThrottleConfig::disabled())
}

pub(crate) async fn start(builder: EmulatorBuilder) -> EmulatorHandle {
    builder.start().await.expect("emulator starts")
}

/// Retries that are quick in tests: short backoffs, but the service's Retry-After still honoured;
/// four attempts, throttled or failed.
pub(crate) fn quick_retries() -> RetryPolicy {
    RetryPolicy::default()
        .with_max_attempts(4)
        .with_max_throttled_attempts(4)
        .with_backoff(Duration::from_millis(10), Duration::from_millis(50))
}

pub(crate) fn secret_credential(emulator: &EmulatorHandle) -> ClientSecretCredential {
    let app = &emulator.apps()[0];
    ClientSecretCredential::with_authority(
        &emulator.base_url(),
        emulator.tenant_id(),
        &app.client_id,
        Secret::new(app.client_secret.clone()),
    )
    .unwrap()
}

/// A client for `emulator`, authenticated with the default app's client secret.
pub(crate) fn client_for(emulator: &EmulatorHandle) -> ClientBuilder {
    signin_prefs_client::Client::builder()
        .base_url(&emulator.base_url())
        .credential(secret_credential(emulator))
        .retry_policy(quick_retries())
        .overall_deadline(Some(Duration::from_secs(60)))
}

/// A client for `emulator` with a token minted in-process.
pub(crate) fn client_with_token(emulator: &EmulatorHandle, request: TokenRequest) -> ClientBuilder {
    let token = emulator.mint_token(request).unwrap();
    signin_prefs_client::Client::builder()
        .base_url(&emulator.base_url())
        .credential(StaticToken::new(Secret::new(token)))
        .retry_policy(quick_retries())
        .overall_deadline(Some(Duration::from_secs(60)))
}

/// Wraps a credential: counts calls, remembers every token, and can shorten lifetimes.
pub(crate) struct Recording<C> {
    pub(crate) inner: C,
    pub(crate) calls: AtomicUsize,
    pub(crate) issued: Mutex<Vec<String>>,
    pub(crate) lifetime: Option<Duration>,
}

impl<C: std::fmt::Debug> std::fmt::Debug for Recording<C> {
    // Like every credential, never prints a token.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recording")
            .field("inner", &self.inner)
            .field("calls", &self.calls)
            .finish_non_exhaustive()
    }
}

impl<C> Recording<C> {
    pub(crate) fn new(inner: C, lifetime: Option<Duration>) -> Arc<Self> {
        Arc::new(Self {
            inner,
            calls: AtomicUsize::new(0),
            issued: Mutex::new(Vec::new()),
            lifetime,
        })
    }

    pub(crate) fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

impl<C: TokenCredential> TokenCredential for Recording<C> {
    fn get_token<'a>(&'a self, scopes: &'a [&'a str]) -> TokenFuture<'a> {
        Box::pin(async move {
            self.calls.fetch_add(1, Ordering::SeqCst);
            let token = self.inner.get_token(scopes).await?;
            self.issued
                .lock()
                .unwrap()
                .push(token.secret().expose().to_owned());
            Ok(match self.lifetime {
                Some(lifetime) => {
                    AccessToken::new(token.secret().clone(), SystemTime::now() + lifetime)
                }
                None => token,
            })
        })
    }
}

/// One request as the scripted server saw it.
#[derive(Debug, Clone)]
pub(crate) struct Recorded {
    pub(crate) method: String,
    pub(crate) path: String,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: String,
}

impl Recorded {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// A form field of an `application/x-www-form-urlencoded` body.
    pub(crate) fn form(&self, name: &str) -> Option<String> {
        url::form_urlencoded::parse(self.body.as_bytes())
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.into_owned())
    }
}

/// An answer of the scripted server.
#[derive(Debug, Clone)]
pub(crate) struct Scripted {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: String,
}

impl Scripted {
    pub(crate) fn json(status: u16, body: serde_json::Value) -> Self {
        Self {
            status,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: body.to_string(),
        }
    }

    pub(crate) fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }
}

type Handler = dyn Fn(usize, &Recorded) -> Scripted + Send + Sync;

/// A minimal HTTP/1.1 server on 127.0.0.1: one request per connection, answered by a closure
/// given the request's position and content; every request is recorded.
pub(crate) struct ScriptedServer {
    pub(crate) base_url: String,
    pub(crate) requests: Arc<Mutex<Vec<Recorded>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for ScriptedServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl ScriptedServer {
    pub(crate) async fn start(
        handler: impl Fn(usize, &Recorded) -> Scripted + Send + Sync + 'static,
    ) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let handler: Arc<Handler> = Arc::new(handler);
        let recorded = requests.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((mut stream, _)) = listener.accept().await else {
                    return;
                };
                let recorded = recorded.clone();
                let handler = handler.clone();
                tokio::spawn(async move {
                    let Some(request) = read_request(&mut stream).await else {
                        return;
                    };
                    let position = {
                        let mut all = recorded.lock().unwrap();
                        all.push(request.clone());
                        all.len() - 1
                    };
                    let answer = handler(position, &request);
                    let mut head = format!(
                        "HTTP/1.1 {} Scripted\r\nContent-Length: {}\r\nConnection: close\r\n",
                        answer.status,
                        answer.body.len()
                    );
                    for (name, value) in &answer.headers {
                        head.push_str(&format!("{name}: {value}\r\n"));
                    }
                    head.push_str("\r\n");
                    let _ = stream.write_all(head.as_bytes()).await;
                    let _ = stream.write_all(answer.body.as_bytes()).await;
                    let _ = stream.shutdown().await;
                });
            }
        });
        Self {
            base_url,
            requests,
            task,
        }
    }

    pub(crate) fn recorded(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }
}

async fn read_request(stream: &mut tokio::net::TcpStream) -> Option<Recorded> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        let read = stream.read(&mut chunk).await.ok()?;
        if read == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..read]);
        if let Some(position) = buffer.windows(4).position(|window| window == b"\r\n\r\n") {
            break position;
        }
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let method = request_line.next()?.to_owned();
    let path = request_line.next()?.to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_owned(), value.trim().to_owned()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.parse().ok())
        .unwrap_or(0);
    let mut body = buffer[head_end + 4..].to_vec();
    while body.len() < length {
        let read = stream.read(&mut chunk).await.ok()?;
        if read == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..read]);
    }
    Some(Recorded {
        method,
        path,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

/// A Graph-shaped error body.
pub(crate) fn graph_error(code: &str, message: &str) -> serde_json::Value {
    serde_json::json!({"error": {"code": code, "message": message, "innerError": {
        "date": "2026-01-01T00:00:00", "request-id": "scripted-request-id"}}})
}
