//! Paged collections through the client: every page followed, items in order, and a next link to
//! another host refused before the token could go there.

use std::sync::{Arc, Mutex};

use futures_util::StreamExt as _;
use serde_json::json;
use signin_prefs_client::{Client, ErrorKind, Secret, StaticToken};
use signin_prefs_request::ListUser;

use crate::client_support::{Scripted, ScriptedServer};

/// A server answering `GET /beta/users` in three pages; the last link goes to `last_link_host`.
async fn paged_server(last_link_host: Option<&'static str>) -> ScriptedServer {
    let origin = Arc::new(Mutex::new(String::new()));
    let seen = origin.clone();
    let server = ScriptedServer::start(move |_, request| {
        let origin = seen.lock().unwrap().clone();
        let page = if request.path.contains("skiptoken=2") {
            2
        } else if request.path.contains("skiptoken=1") {
            1
        } else {
            0
        };
        let next = match (page, last_link_host) {
            (0, _) => Some(format!("{origin}/beta/users?$skiptoken=1")),
            (1, None) => Some(format!("{origin}/beta/users?$skiptoken=2")),
            (1, Some(host)) => Some(format!("{host}/beta/users?$skiptoken=2")),
            _ => None,
        };
        let mut body = json!({"value": [
            {"id": format!("{page}-a"), "userPrincipalName": format!("a{page}@contoso.com")},
            {"id": format!("{page}-b"), "userPrincipalName": format!("b{page}@contoso.com")}
        ]});
        if let Some(next) = next {
            body["@odata.nextLink"] = json!(next);
        }
        Scripted::json(200, body)
    })
    .await;
    *origin.lock().unwrap() = server.base_url.clone();
    server
}

fn client(base_url: &str) -> Client {
    Client::builder()
        .base_url(base_url)
        .credential(StaticToken::new(Secret::new("token-for-tests")))
        .build()
        .unwrap()
}

#[tokio::test]
async fn every_page_is_followed_in_order() {
    let server = paged_server(None).await;
    let client = client(&server.base_url);
    let users = client.all_items(ListUser::new()).await.unwrap();
    let names: Vec<String> = users
        .into_iter()
        .filter_map(|user| user.user_principal_name)
        .collect();
    assert_eq!(
        names,
        [
            "a0@contoso.com",
            "b0@contoso.com",
            "a1@contoso.com",
            "b1@contoso.com",
            "a2@contoso.com",
            "b2@contoso.com"
        ]
    );
    let paths: Vec<String> = server
        .recorded()
        .into_iter()
        .map(|request| request.path)
        .collect();
    assert_eq!(
        paths,
        [
            "/beta/users",
            "/beta/users?$skiptoken=1",
            "/beta/users?$skiptoken=2"
        ]
    );

    let pages: Vec<_> = client.pages(ListUser::new()).collect().await;
    assert_eq!(pages.len(), 3);
    assert!(pages.iter().all(Result::is_ok));
}

#[tokio::test]
async fn a_next_link_to_another_host_is_refused() {
    let server = paged_server(Some("https://graph.evil.example")).await;
    let client = client(&server.base_url);
    let error = client.all_items(ListUser::new()).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Configuration);
    assert!(error.to_string().contains("graph.evil.example"), "{error}");
    // Two requests, both to the configured server: nothing went to the other host.
    assert_eq!(server.recorded().len(), 2);
}
