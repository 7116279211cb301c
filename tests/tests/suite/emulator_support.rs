//! Helpers for the emulator tests: start an emulator, mint tokens, send requests, read answers.

use serde_json::Value;
use signin_prefs_emulator::{EmulatorBuilder, EmulatorHandle, TokenRequest, permissions};

/// A response with everything the tests look at.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) headers: reqwest::header::HeaderMap,
    pub(crate) body: Vec<u8>,
}

impl Answer {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|error| {
            panic!(
                "body is not JSON ({error}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    pub(crate) fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|value| value.to_str().unwrap().to_owned())
    }

    pub(crate) fn error_code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    pub(crate) fn error_message(&self) -> String {
        self.json()["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Every Graph answer carries correlation ids, and error bodies repeat them in `innerError`.
    pub(crate) fn assert_correlated(&self) {
        let request_id = self.header("request-id").expect("request-id header");
        assert!(
            self.header("client-request-id").is_some(),
            "client-request-id header"
        );
        if self.status >= 400 && !self.body.is_empty() {
            let inner = &self.json()["error"]["innerError"];
            assert_eq!(inner["request-id"], Value::String(request_id));
            assert!(
                inner["date"].as_str().is_some_and(|date| date.len() == 19),
                "innerError.date: {inner}"
            );
            assert!(inner["client-request-id"].is_string());
        }
    }
}

pub(crate) fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

/// An emulator with `users` seeded users, ordered batches and no throttling unless the builder says so.
pub(crate) async fn start(builder: EmulatorBuilder) -> EmulatorHandle {
    builder.start().await.expect("emulator starts")
}

pub(crate) fn quiet() -> EmulatorBuilder {
    EmulatorBuilder::new()
        .users(50)
        .seed(11)
        .shuffle_batch_responses(false)
        .throttle(signin_prefs_emulator::ThrottleConfig::disabled())
}

/// An app-only token with `UserAuthenticationMethod.ReadWrite.All`.
pub(crate) fn admin_token(emulator: &EmulatorHandle) -> String {
    emulator
        .mint_token(TokenRequest::app_only(&[permissions::READ_WRITE_ALL]))
        .unwrap()
}

/// Percent-encodes a user key as one path segment (everything but unreserved characters and `@`).
pub(crate) fn segment(key: &str) -> String {
    let mut encoded = String::new();
    for byte in key.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~@".contains(&byte) {
            encoded.push(byte as char);
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

pub(crate) fn prefs_url(emulator: &EmulatorHandle, key: &str) -> String {
    format!(
        "{}/users/{}/authentication/signInPreferences",
        emulator.graph_url(),
        segment(key)
    )
}

pub(crate) async fn send(
    method: reqwest::Method,
    url: &str,
    token: Option<&str>,
    body: Option<(&str, &str)>,
    extra: &[(&str, &str)],
) -> Answer {
    let mut request = client().request(method, url);
    if let Some(token) = token {
        request = request.header("Authorization", format!("Bearer {token}"));
    }
    if let Some((content_type, body)) = body {
        request = request
            .header("Content-Type", content_type)
            .body(body.to_owned());
    }
    for (name, value) in extra {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("response");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.bytes().await.expect("body").to_vec();
    Answer {
        status,
        headers,
        body,
    }
}

pub(crate) async fn get(url: &str, token: &str) -> Answer {
    send(reqwest::Method::GET, url, Some(token), None, &[]).await
}

pub(crate) async fn patch(url: &str, token: &str, body: &str) -> Answer {
    send(
        reqwest::Method::PATCH,
        url,
        Some(token),
        Some(("application/json", body)),
        &[],
    )
    .await
}

pub(crate) async fn batch(emulator: &EmulatorHandle, token: &str, body: &Value) -> Answer {
    let url = format!("{}/$batch", emulator.graph_url());
    send(
        reqwest::Method::POST,
        &url,
        Some(token),
        Some(("application/json", &body.to_string())),
        &[],
    )
    .await
}

/// The batch item with `id`.
pub(crate) fn item<'a>(answer: &'a Value, id: &str) -> &'a Value {
    answer["responses"]
        .as_array()
        .unwrap()
        .iter()
        .find(|item| item["id"] == id)
        .unwrap_or_else(|| panic!("no item {id} in {answer}"))
}
