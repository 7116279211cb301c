//! The Graph host driven without a server: how it answers when the emulator itself has failed.

#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::sync::Arc;

use http::{HeaderMap, HeaderValue, Method, StatusCode};
use serde_json::{Value, json};

use super::{Correlation, Graph, GraphRequest};
use crate::auth::{TokenRequest, permissions};
use crate::config::{EmulatorConfig, UsersSource};
use crate::gates::Gates;
use crate::tenant::Tenant;

struct Fixture {
    graph: Graph,
    token: String,
    user: String,
}

fn fixture() -> Fixture {
    let config = EmulatorConfig {
        users: UsersSource::Seeded { count: 3 },
        ..EmulatorConfig::default()
    };
    let tenant = Arc::new(Tenant::load(&config).unwrap());
    let gates = Arc::new(Gates::new(&config).unwrap());
    let roles = [permissions::READ_WRITE_ALL, permissions::USER_READ_ALL];
    let token = gates.mint(&tenant, TokenRequest::app_only(&roles)).unwrap();
    let user = tenant
        .users()
        .unwrap()
        .record(0)
        .unwrap()
        .user_principal_name;
    Fixture {
        graph: Graph::new(tenant, gates, &config),
        token,
        user,
    }
}

impl Fixture {
    async fn send(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut headers = HeaderMap::new();
        let bearer = format!("Bearer {}", self.token);
        headers.insert("authorization", HeaderValue::from_str(&bearer).unwrap());
        headers.insert("content-type", HeaderValue::from_static("application/json"));
        let body = body.map(|body| body.to_string()).unwrap_or_default();
        let request = GraphRequest {
            method: &method,
            path,
            headers: &headers,
            body: body.as_bytes(),
        };
        let response = self
            .graph
            .handle(request, &Correlation::from_headers(&headers))
            .await;
        let body = response.body.map(|body| body.into_value());
        (response.status, body.unwrap_or(Value::Null))
    }

    /// Every kind of request that reads or changes the user store, as (method, path, body).
    fn store_requests(&self) -> Vec<(Method, String, Option<Value>)> {
        let preferences = format!("/beta/users/{}/authentication/signInPreferences", self.user);
        vec![
            (Method::GET, preferences.clone(), None),
            (
                Method::PATCH,
                preferences,
                Some(json!({"isSystemPreferredAuthenticationMethodEnabled": true})),
            ),
            (
                Method::GET,
                format!("/beta/users/{}/authentication/methods", self.user),
                None,
            ),
            (Method::GET, "/beta/users?$top=2".to_owned(), None),
            (
                Method::GET,
                "/beta/reports/authenticationMethods/userRegistrationDetails".to_owned(),
                None,
            ),
        ]
    }
}

fn assert_internal_error(status: StatusCode, body: &Value, what: &str) {
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{what}: {body}");
    assert_eq!(body["error"]["code"], "generalException", "{what}: {body}");
    assert!(body["error"]["message"].is_string(), "{what}: {body}");
    assert!(
        body["error"]["innerError"]["request-id"].is_string(),
        "{what}: {body}"
    );
}

#[tokio::test]
async fn a_poisoned_user_store_is_an_internal_error_not_an_unknown_user() {
    let fixture = fixture();
    for (method, path, body) in fixture.store_requests() {
        let (status, answer) = fixture.send(method.clone(), &path, body).await;
        assert!(status.is_success(), "{method} {path} before: {answer}");
    }
    fixture.graph.tenant.poison_users();
    for (method, path, body) in fixture.store_requests() {
        let (status, answer) = fixture.send(method.clone(), &path, body).await;
        assert_internal_error(status, &answer, &format!("{method} {path}"));
    }
}

#[tokio::test]
async fn a_poisoned_token_store_is_an_internal_error_not_a_bad_token() {
    let fixture = fixture();
    fixture.graph.gates.tokens.poison();
    for (method, path, body) in fixture.store_requests() {
        let (status, answer) = fixture.send(method.clone(), &path, body).await;
        assert_internal_error(status, &answer, &format!("{method} {path}"));
    }
    let (status, answer) = fixture
        .send(
            Method::POST,
            "/beta/$batch",
            Some(json!({ "requests": [] })),
        )
        .await;
    assert_internal_error(status, &answer, "$batch");
}

#[tokio::test]
async fn a_poisoned_user_store_fails_each_batch_item_as_an_internal_error() {
    let fixture = fixture();
    fixture.graph.tenant.poison_users();
    let requests: Vec<Value> = fixture
        .store_requests()
        .into_iter()
        .enumerate()
        .map(|(index, (method, path, body))| {
            let mut item = json!({
                "id": index.to_string(),
                "method": method.as_str(),
                "url": path.trim_start_matches("/beta"),
            });
            if let Some(body) = body {
                item["body"] = body;
                item["headers"] = json!({"Content-Type": "application/json"});
            }
            item
        })
        .collect();
    let count = requests.len();
    let (status, answer) = fixture
        .send(
            Method::POST,
            "/beta/$batch",
            Some(json!({ "requests": requests })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let responses = answer["responses"].as_array().unwrap();
    assert_eq!(responses.len(), count);
    for item in responses {
        let status = StatusCode::from_u16(item["status"].as_u64().unwrap() as u16).unwrap();
        assert_internal_error(status, &item["body"], &format!("item {}", item["id"]));
    }
}

#[test]
fn a_poisoned_user_store_is_an_error_of_its_own_for_the_handle() {
    let fixture = fixture();
    let tenant = &fixture.graph.tenant;
    tenant.poison_users();
    assert!(tenant.find(&fixture.user).is_err());
    let minted = fixture.graph.gates.mint(
        tenant,
        TokenRequest::delegated(&fixture.user, &[permissions::READ_WRITE_ALL], &[]),
    );
    assert!(matches!(minted, Err(crate::Error::StoreUnavailable)));
}
