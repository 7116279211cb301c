//! Emulator `$batch`: per-item answers, the 20-request limit, unique ids, `dependsOn` and 424,
//! item validation, and the seeded response order.

use serde_json::{Value, json};
use signin_prefs_emulator::{AuthMethod, MethodSet, UserState};
use signin_prefs_model::UserDefaultAuthenticationMethodType as Preferred;

use crate::emulator_support::*;

fn patch_item(id: &str, user: &str, body: Value) -> Value {
    json!({
        "id": id,
        "method": "PATCH",
        "url": format!("/users/{}/authentication/signInPreferences", segment(user)),
        "headers": {"Content-Type": "application/json"},
        "body": body,
    })
}

fn both_phones() -> UserState {
    UserState {
        methods: MethodSet::of(&[AuthMethod::MobilePhone, AuthMethod::MicrosoftAuthenticator]),
        preferred: Some(Preferred::Push),
        system_preferred_enabled: Some(false),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_of_patches_and_gets_answers_per_item() {
    let emulator = start(quiet()).await;
    let token = admin_token(&emulator);
    let users: Vec<_> = (0..5)
        .map(|index| emulator.user_at(index).unwrap())
        .collect();
    for user in &users {
        emulator.set_user_state(&user.id, both_phones()).unwrap();
    }
    let mut requests: Vec<Value> = users
        .iter()
        .enumerate()
        .map(|(index, user)| {
            patch_item(
                &format!("p{index}"),
                &user.user_principal_name,
                json!({"userPreferredMethodForSecondaryAuthentication": "sms"}),
            )
        })
        .collect();
    requests.push(json!({"id": "g", "method": "GET", "url": format!("/users/{}/authentication/signInPreferences", users[0].id), "dependsOn": ["p0"]}));
    requests.push(json!({"id": "missing", "method": "GET", "url": "/users/ghost@contoso.onmicrosoft.com/authentication/signInPreferences"}));
    requests.push(patch_item(
        "bad",
        &users[1].id,
        json!({"userPreferredMethodForSecondaryAuthentication": "voiceOffice"}),
    ));
    let answer = batch(&emulator, &token, &json!({ "requests": requests })).await;
    assert_eq!(answer.status, 200);
    answer.assert_correlated();
    let body = answer.json();
    assert_eq!(body["responses"].as_array().unwrap().len(), 8);
    for index in 0..5 {
        let item = item(&body, &format!("p{index}"));
        assert_eq!(item["status"], 204);
        assert!(item.get("body").is_none(), "204 items have no body");
        assert!(item["headers"]["request-id"].is_string());
        assert_eq!(
            emulator.user_at(index).unwrap().state.preferred,
            Some(Preferred::Sms)
        );
    }
    let get = item(&body, "g");
    assert_eq!(get["status"], 200);
    assert_eq!(
        get["body"]["userPreferredMethodForSecondaryAuthentication"], "sms",
        "runs after its dependency"
    );
    assert!(
        get["headers"]["Content-Type"]
            .as_str()
            .unwrap()
            .starts_with("application/json")
    );
    let missing = item(&body, "missing");
    assert_eq!(missing["status"], 404);
    assert_eq!(missing["body"]["error"]["code"], "Request_ResourceNotFound");
    assert_eq!(
        missing["body"]["error"]["innerError"]["request-id"],
        missing["headers"]["request-id"]
    );
    let bad = item(&body, "bad");
    assert_eq!(bad["status"], 400, "unregistered method");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_level_errors_are_400() {
    let emulator = start(quiet()).await;
    let token = admin_token(&emulator);
    let user = emulator.user_at(0).unwrap();
    let twenty: Vec<Value> = (0..20)
        .map(|index| {
            patch_item(
                &index.to_string(),
                &user.id,
                json!({"isSystemPreferredAuthenticationMethodEnabled": true}),
            )
        })
        .collect();
    assert_eq!(
        batch(&emulator, &token, &json!({ "requests": twenty }))
            .await
            .status,
        200,
        "20 is allowed"
    );
    let twenty_one: Vec<Value> = (0..21)
        .map(|index| {
            patch_item(
                &index.to_string(),
                &user.id,
                json!({"isSystemPreferredAuthenticationMethodEnabled": true}),
            )
        })
        .collect();
    let cases = [
        (json!({ "requests": twenty_one }), "maximum of 20"),
        (
            json!({ "requests": [patch_item("A", &user.id, json!({})), patch_item("a", &user.id, json!({}))] }),
            "unique",
        ),
        (
            json!({ "requests": [patch_item("1", &user.id, json!({})).as_object().unwrap().clone().into_iter().chain([("dependsOn".to_owned(), json!(["9"]))]).collect::<serde_json::Map<_, _>>()] }),
            "not in the batch",
        ),
        (
            json!({ "requests": [
            {"id": "1", "method": "GET", "url": "/users/x/authentication/signInPreferences", "dependsOn": ["2"]},
            {"id": "2", "method": "GET", "url": "/users/x/authentication/signInPreferences", "dependsOn": ["1"]},
        ] }),
            "cycle",
        ),
        (
            json!({ "requests": [{"id": "1", "url": "/users/x/authentication/signInPreferences"}] }),
            "method",
        ),
        (json!({ "nothing": [] }), "requests"),
    ];
    for (body, message) in cases {
        let answer = batch(&emulator, &token, &body).await;
        assert_eq!(answer.status, 400, "{message}");
        assert!(
            answer.error_message().contains(message),
            "{message}: {}",
            answer.error_message()
        );
        answer.assert_correlated();
    }
    let url = format!("{}/$batch", emulator.graph_url());
    let answer = send(
        reqwest::Method::POST,
        &url,
        Some(&token),
        Some(("application/json", "{not json")),
        &[],
    )
    .await;
    assert_eq!(answer.status, 400);
    assert_eq!(
        send(reqwest::Method::GET, &url, Some(&token), None, &[])
            .await
            .status,
        405
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_dependencies_give_424_down_the_chain() {
    let emulator = start(quiet()).await;
    let token = admin_token(&emulator);
    let user = emulator.user_at(0).unwrap();
    emulator.set_user_state(&user.id, both_phones()).unwrap();
    let requests = json!([
        patch_item("1", &user.id, json!({"userPreferredMethodForSecondaryAuthentication": "voiceOffice"})),
        patch_item("2", &user.id, json!({"userPreferredMethodForSecondaryAuthentication": "sms"})).as_object().unwrap().clone().into_iter().chain([("dependsOn".to_owned(), json!(["1"]))]).collect::<serde_json::Map<_, _>>(),
        {"id": "3", "method": "GET", "url": format!("/users/{}/authentication/signInPreferences", user.id), "dependsOn": ["2"]},
        {"id": "4", "method": "GET", "url": format!("/users/{}/authentication/signInPreferences", user.id)},
    ]);
    let body = batch(&emulator, &token, &json!({ "requests": requests }))
        .await
        .json();
    assert_eq!(item(&body, "1")["status"], 400);
    assert_eq!(item(&body, "2")["status"], 424);
    assert_eq!(item(&body, "3")["status"], 424);
    assert_eq!(item(&body, "4")["status"], 200);
    assert_eq!(
        item(&body, "2")["body"]["error"]["code"],
        "FailedDependency"
    );
    assert_eq!(
        emulator.user(&user.id).unwrap().state.preferred,
        Some(Preferred::Push),
        "424 items did not run"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn items_are_validated_like_direct_requests() {
    let emulator = start(quiet()).await;
    let token = admin_token(&emulator);
    let user = emulator.user_at(0).unwrap();
    let url = format!("/users/{}/authentication/signInPreferences", user.id);
    let requests = json!([
        {"id": "no-type", "method": "PATCH", "url": url, "body": {"isSystemPreferredAuthenticationMethodEnabled": true}},
        {"id": "absolute", "method": "GET", "url": format!("https://graph.microsoft.com/beta{url}")},
        {"id": "bad-value", "method": "PATCH", "url": url, "headers": {"content-type": "application/json"}, "body": {"userPreferredMethodForSecondaryAuthentication": "fax"}},
        {"id": "nested", "method": "POST", "url": "/$batch", "headers": {"content-type": "application/json"}, "body": {"requests": []}},
        // base64 of {"isSystemPreferredAuthenticationMethodEnabled":true}
        {"id": "base64", "method": "PATCH", "url": url, "headers": {"content-type": "application/json"}, "body": "eyJpc1N5c3RlbVByZWZlcnJlZEF1dGhlbnRpY2F0aW9uTWV0aG9kRW5hYmxlZCI6dHJ1ZX0="},
        {"id": "not-base64", "method": "PATCH", "url": url, "headers": {"content-type": "application/json"}, "body": "not base64!"},
        // The Python SDK writes `depends_on` (snake case); Graph ignores unknown item members.
        {"id": "python", "method": "GET", "url": url.trim_start_matches('/'), "depends_on": []},
    ]);
    let body = batch(&emulator, &token, &json!({ "requests": requests }))
        .await
        .json();
    assert_eq!(item(&body, "base64")["status"], 204);
    assert_eq!(
        emulator
            .user(&user.id)
            .unwrap()
            .state
            .system_preferred_enabled,
        Some(true)
    );
    for id in ["no-type", "absolute", "bad-value", "nested", "not-base64"] {
        assert_eq!(item(&body, id)["status"], 400, "{id}");
        assert!(item(&body, id)["body"]["error"]["message"].is_string());
    }
    assert_eq!(item(&body, "python")["status"], 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn response_order_is_a_seeded_shuffle() {
    async fn orders(seed: u64) -> Vec<Vec<String>> {
        let emulator = start(quiet().seed(seed).shuffle_batch_responses(true)).await;
        let token = admin_token(&emulator);
        let user = emulator.user_at(0).unwrap();
        let mut orders = Vec::new();
        for _ in 0..3 {
            let requests: Vec<Value> = (0..20)
                .map(|index| json!({"id": index.to_string(), "method": "GET", "url": format!("/users/{}/authentication/signInPreferences", user.id)}))
                .collect();
            let body = batch(&emulator, &token, &json!({ "requests": requests }))
                .await
                .json();
            orders.push(
                body["responses"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|item| item["id"].as_str().unwrap().to_owned())
                    .collect(),
            );
        }
        orders
    }
    let first = orders(5).await;
    assert_eq!(first, orders(5).await, "same seed, same order");
    assert_ne!(first, orders(6).await, "another seed, another order");
    let in_order: Vec<String> = (0..20).map(|index| index.to_string()).collect();
    assert!(
        first.iter().any(|order| *order != in_order),
        "responses come back out of order"
    );
    for order in &first {
        let mut sorted = order.clone();
        sorted.sort_by_key(|id| id.parse::<u32>().unwrap());
        assert_eq!(sorted, in_order, "every item answered once");
    }
}
