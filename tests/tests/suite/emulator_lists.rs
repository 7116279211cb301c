//! The emulator's paged collections: `/users` (paging, `$select`, `$count`, `$filter`), a group's
//! transitive users, and the registration report, checked against the emulator's in-process state.

use std::collections::BTreeSet;

use serde_json::{Value, json};
use signin_prefs_emulator::{
    AuthMethod, EmulatorHandle, FaultKind, FaultRoute, FaultRule, GroupMembers, GroupSpec, Limit,
    ThrottleConfig, TokenRequest, UserRecord, UserSpec, UserState, permissions, seeded_groups,
};
use signin_prefs_model::{UserCollectionResponse, UserRegistrationDetailsCollectionResponse};

use crate::emulator_support::{admin_token, batch, get, item, quiet, send, start};

const EVENTUAL: (&str, &str) = ("ConsistencyLevel", "eventual");

fn users_url(emulator: &EmulatorHandle, query: &str) -> String {
    format!("{}/users?{query}", emulator.graph_url())
}

fn members_url(emulator: &EmulatorHandle, group: &str, query: &str) -> String {
    format!(
        "{}/groups/{group}/transitiveMembers/microsoft.graph.user?{query}",
        emulator.graph_url()
    )
}

fn report_url(emulator: &EmulatorHandle, query: &str) -> String {
    format!(
        "{}/reports/authenticationMethods/userRegistrationDetails?{query}",
        emulator.graph_url()
    )
}

/// Follows `@odata.nextLink` from `url` (the first page with `headers`, the next ones without, as
/// a client does) and returns every item and every page body.
async fn all_pages(url: &str, token: &str, headers: &[(&str, &str)]) -> (Vec<Value>, Vec<Value>) {
    let mut items = Vec::new();
    let mut pages = Vec::new();
    let mut next = Some(url.to_owned());
    let mut first = true;
    while let Some(url) = next {
        let extra: &[(&str, &str)] = if first { headers } else { &[] };
        first = false;
        let answer = send(reqwest::Method::GET, &url, Some(token), None, extra).await;
        assert_eq!(answer.status, 200, "{url}: {}", answer.error_message());
        answer.assert_correlated();
        let body = answer.json();
        items.extend(body["value"].as_array().unwrap().iter().cloned());
        next = body["@odata.nextLink"].as_str().map(str::to_owned);
        pages.push(body);
        assert!(pages.len() < 10_000, "next links never end");
    }
    (items, pages)
}

fn ids(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|item| item["id"].as_str().unwrap().to_owned())
        .collect()
}

fn all_users(emulator: &EmulatorHandle) -> Vec<UserRecord> {
    (0..emulator.user_count())
        .map(|index| emulator.user_at(index).unwrap())
        .collect()
}

fn record_ids<'a>(records: impl IntoIterator<Item = &'a UserRecord>) -> Vec<String> {
    records
        .into_iter()
        .map(|record| record.id.clone())
        .collect()
}

fn directory_token(emulator: &EmulatorHandle) -> String {
    emulator
        .mint_token(TokenRequest::app_only(&[permissions::USER_READ_ALL]))
        .unwrap()
}

#[tokio::test]
async fn paging_with_top_visits_every_seeded_user_exactly_once() {
    let emulator = start(quiet()).await;
    let token = directory_token(&emulator);
    let (items, pages) = all_pages(&users_url(&emulator, "$top=7"), &token, &[]).await;
    assert_eq!(ids(&items), record_ids(&all_users(&emulator)));
    assert_eq!(pages.len(), 50_usize.div_ceil(7));
    for page in &pages[..pages.len() - 1] {
        assert_eq!(page["value"].as_array().unwrap().len(), 7);
        let link = page["@odata.nextLink"].as_str().unwrap();
        assert!(link.starts_with(&emulator.base_url()), "{link}");
        assert!(link.contains("$skiptoken="), "{link}");
    }
    assert!(pages.last().unwrap().get("@odata.nextLink").is_none());
    assert_eq!(
        pages[0]["@odata.context"],
        "https://graph.microsoft.com/beta/$metadata#users"
    );
    // Default page size is 100: one page for 50 users; each user as Graph lists it.
    let (items, pages) = all_pages(&users_url(&emulator, ""), &token, &[]).await;
    assert_eq!(pages.len(), 1);
    let guest = all_users(&emulator)
        .into_iter()
        .find(UserRecord::is_guest)
        .unwrap();
    let listed = items.iter().find(|item| item["id"] == guest.id).unwrap();
    assert_eq!(
        listed,
        &json!({
            "id": guest.id,
            "userPrincipalName": guest.user_principal_name,
            "displayName": guest.display_name(),
            "accountEnabled": true,
            "userType": "Guest",
            "mail": guest.mail(),
        })
    );
    // The typed model reads the page.
    let page: UserCollectionResponse = serde_json::from_value(pages[0].clone()).unwrap();
    assert_eq!(page.value.unwrap().len(), 50);
    // v1.0 serves the collection too.
    let v1 = format!("{}/v1.0/users?$top=1", emulator.base_url());
    assert_eq!(get(&v1, &token).await.status, 200);
}

#[tokio::test]
async fn page_size_outside_1_to_999_is_refused() {
    let emulator = start(quiet()).await;
    let token = directory_token(&emulator);
    for top in ["1000", "0", "-1", "many"] {
        let answer = get(&users_url(&emulator, &format!("$top={top}")), &token).await;
        assert_eq!(answer.status, 400, "$top={top}");
        assert_eq!(answer.error_code(), "Request_BadRequest");
        answer.assert_correlated();
    }
    assert_eq!(
        get(&users_url(&emulator, "$top=999"), &token).await.status,
        200
    );
    let answer = get(&users_url(&emulator, "$skiptoken=garbage!"), &token).await;
    assert_eq!(answer.status, 400);
    assert_eq!(answer.error_code(), "Directory_ExpiredPageToken");
}

#[tokio::test]
async fn select_returns_exactly_the_selected_properties() {
    let emulator = start(quiet()).await;
    let token = directory_token(&emulator);
    let (items, pages) = all_pages(
        &users_url(&emulator, "$select=userPrincipalName,id&$top=20"),
        &token,
        &[],
    )
    .await;
    assert_eq!(items.len(), 50);
    for item in &items {
        let keys: BTreeSet<&str> = item
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, BTreeSet::from(["id", "userPrincipalName"]));
    }
    // $select survives the next link, and the context names it.
    assert_eq!(
        pages[2]["@odata.context"],
        "https://graph.microsoft.com/beta/$metadata#users(userPrincipalName,id)"
    );
    let answer = get(&users_url(&emulator, "$select=id,shoeSize"), &token).await;
    assert_eq!(answer.status, 400);
    assert_eq!(answer.error_code(), "Request_BadRequest");
    assert!(answer.error_message().contains("shoeSize"));
}

#[tokio::test]
async fn count_needs_consistency_level_eventual() {
    let emulator = start(quiet()).await;
    let token = directory_token(&emulator);
    let url = users_url(&emulator, "$count=true&$top=10");
    let answer = get(&url, &token).await;
    assert_eq!(answer.status, 400);
    assert_eq!(answer.error_code(), "Request_BadRequest");
    answer.assert_correlated();
    let (items, pages) = all_pages(&url, &token, &[EVENTUAL]).await;
    assert_eq!(items.len(), 50);
    assert_eq!(pages[0]["@odata.count"], 50);
    // $count=false needs nothing.
    assert_eq!(
        get(&users_url(&emulator, "$count=false"), &token)
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn every_supported_filter_selects_what_the_state_says() {
    let emulator = start(quiet()).await;
    emulator
        .add_user(&UserSpec {
            id: None,
            user_principal_name: "O'Brien.Quinn@contoso.onmicrosoft.com".into(),
            methods: vec![AuthMethod::MobilePhone],
            user_preferred_method_for_secondary_authentication: None,
            is_system_preferred_authentication_method_enabled: None,
            is_admin: false,
            account_enabled: true,
        })
        .unwrap();
    let token = directory_token(&emulator);
    let users = all_users(&emulator);
    fn lower(text: &str) -> String {
        text.to_lowercase()
    }
    type Rule = Box<dyn Fn(&UserRecord) -> bool>;
    let cases: Vec<(&str, bool, Rule)> = vec![
        (
            "startswith(userPrincipalName,'adele')",
            false,
            Box::new(|user| lower(&user.user_principal_name).starts_with("adele")),
        ),
        (
            "startswith(userPrincipalName,'ADELE')",
            false,
            Box::new(|user| lower(&user.user_principal_name).starts_with("adele")),
        ),
        (
            "startsWith(displayName,'Megan')",
            false,
            Box::new(|user| lower(&user.display_name()).starts_with("megan")),
        ),
        (
            "startswith(userPrincipalName,'o''brien')",
            false,
            Box::new(|user| lower(&user.user_principal_name).starts_with("o'brien")),
        ),
        ("userType eq 'Guest'", false, Box::new(UserRecord::is_guest)),
        (
            "userType eq 'Member'",
            false,
            Box::new(|user| !user.is_guest()),
        ),
        ("accountEnabled eq true", false, Box::new(|_| true)),
        ("accountEnabled eq false", false, Box::new(|_| false)),
        (
            "endswith(userPrincipalName,'#EXT#@contoso.onmicrosoft.com')",
            true,
            Box::new(UserRecord::is_guest),
        ),
        (
            "userType eq 'Member' and (startswith(displayName,'a') and accountEnabled eq true)",
            false,
            Box::new(|user| !user.is_guest() && lower(&user.display_name()).starts_with('a')),
        ),
    ];
    for (filter, advanced, rule) in cases {
        let expected = record_ids(users.iter().filter(|user| rule(user)));
        let query = format!(
            "$filter={}&$top=4{}",
            crate::emulator_support::segment(filter),
            if advanced { "&$count=true" } else { "" }
        );
        let headers: &[(&str, &str)] = if advanced { &[EVENTUAL] } else { &[] };
        let (items, pages) = all_pages(&users_url(&emulator, &query), &token, headers).await;
        assert_eq!(ids(&items), expected, "{filter}");
        if advanced {
            assert_eq!(pages[0]["@odata.count"], expected.len(), "{filter}");
        }
    }
    // The cases are not vacuous on this tenant.
    assert!(users.iter().any(UserRecord::is_guest));
    assert!(users.iter().any(|user| !user.is_guest()));
}

#[tokio::test]
async fn endswith_needs_an_advanced_query() {
    let emulator = start(quiet()).await;
    let token = directory_token(&emulator);
    let filter = crate::emulator_support::segment("endswith(userPrincipalName,'.com')");
    for (query, headers) in [
        (format!("$filter={filter}"), vec![]),
        (format!("$filter={filter}"), vec![EVENTUAL]),
        (format!("$filter={filter}&$count=true"), vec![]),
    ] {
        let answer = send(
            reqwest::Method::GET,
            &users_url(&emulator, &query),
            Some(&token),
            None,
            &headers,
        )
        .await;
        assert_eq!(answer.status, 400, "{query} {headers:?}");
        assert!(
            ["Request_UnsupportedQuery", "Request_BadRequest"]
                .contains(&answer.error_code().as_str()),
            "{}",
            answer.error_code()
        );
    }
    let answer = send(
        reqwest::Method::GET,
        &users_url(&emulator, &format!("$filter={filter}")),
        Some(&token),
        None,
        &[EVENTUAL],
    )
    .await;
    assert_eq!(answer.error_code(), "Request_UnsupportedQuery");
}

#[tokio::test]
async fn unsupported_filters_are_refused_naming_the_part() {
    let emulator = start(quiet()).await;
    let token = directory_token(&emulator);
    for (filter, part) in [
        ("startswith(jobTitle,'Dev')", "jobTitle"),
        ("contains(displayName,'a')", "contains"),
        ("userType eq 'Guest' or userType eq 'Member'", "or"),
        ("displayName ne 'Adele'", "ne"),
        ("endswith(displayName,'e')", "displayName"),
    ] {
        let url = users_url(
            &emulator,
            &format!("$filter={}", crate::emulator_support::segment(filter)),
        );
        let answer = get(&url, &token).await;
        assert_eq!(answer.status, 400, "{filter}");
        assert_eq!(answer.error_code(), "Request_UnsupportedQuery", "{filter}");
        assert!(
            answer.error_message().contains(part),
            "{filter}: {}",
            answer.error_message()
        );
        answer.assert_correlated();
    }
    for filter in ["startswith(userPrincipalName,'a'", "userType eq", "'"] {
        let url = users_url(
            &emulator,
            &format!("$filter={}", crate::emulator_support::segment(filter)),
        );
        let answer = get(&url, &token).await;
        assert_eq!(answer.status, 400, "{filter}");
        assert_eq!(answer.error_code(), "BadRequest", "{filter}");
    }
}

#[tokio::test]
async fn group_members_are_the_groups_transitive_users() {
    let emulator = start(quiet()).await;
    let token = directory_token(&emulator);
    let groups = emulator.groups();
    assert_eq!(groups.len(), 6);
    for (id, _) in &groups {
        let expected = record_ids(&emulator.group_members(id).unwrap());
        let (items, pages) = all_pages(&members_url(&emulator, id, "$top=5"), &token, &[]).await;
        assert_eq!(ids(&items), expected, "group {id}");
        assert!(
            pages
                .iter()
                .all(|page| page["value"].as_array().unwrap().len() <= 5)
        );
    }
    let everyone = emulator.group_members(seeded_groups::ALL_USERS).unwrap();
    assert_eq!(everyone.len(), 50);
    let tenth = emulator.group_members(seeded_groups::EVERY_TENTH).unwrap();
    assert_eq!(
        tenth.iter().map(|user| user.index).collect::<Vec<_>>(),
        [0, 10, 20, 30, 40]
    );
    // Nested groups are flattened: the pilot is every tenth user and the guests.
    let pilot: BTreeSet<String> =
        record_ids(&emulator.group_members(seeded_groups::PILOT).unwrap())
            .into_iter()
            .collect();
    let expected: BTreeSet<String> = all_users(&emulator)
        .iter()
        .filter(|user| user.index % 10 == 0 || user.is_guest())
        .map(|user| user.id.clone())
        .collect();
    assert_eq!(pilot, expected);
    // $count and $select, as on /users.
    let url = members_url(
        &emulator,
        seeded_groups::EVEN_POSITIONS,
        "$count=true&$select=id",
    );
    assert_eq!(get(&url, &token).await.status, 400);
    let (items, pages) = all_pages(&url, &token, &[EVENTUAL]).await;
    assert_eq!(pages[0]["@odata.count"], 25);
    assert!(
        items
            .iter()
            .all(|item| item.as_object().unwrap().len() == 1)
    );
}

#[tokio::test]
async fn groups_can_be_defined_by_indices_and_predicates() {
    let emulator = start(quiet().groups(vec![
        GroupSpec::new(
            "11111111-1111-4111-8111-111111111111",
            "Chosen",
            GroupMembers::Indices(vec![7, 3, 3, 49, 500]),
        ),
        GroupSpec::new(
            "22222222-2222-4222-8222-222222222222",
            "Admins",
            GroupMembers::predicate(|user| user.is_admin),
        ),
        GroupSpec::new(
            "33333333-3333-4333-8333-333333333333",
            "Both",
            GroupMembers::Groups(vec![
                "11111111-1111-4111-8111-111111111111".into(),
                "22222222-2222-4222-8222-222222222222".into(),
                "33333333-3333-4333-8333-333333333333".into(),
            ]),
        ),
    ]))
    .await;
    let token = directory_token(&emulator);
    let (items, _) = all_pages(
        &members_url(&emulator, "11111111-1111-4111-8111-111111111111", ""),
        &token,
        &[],
    )
    .await;
    let chosen: Vec<String> = [3, 7, 49]
        .into_iter()
        .map(|index| emulator.user_at(index).unwrap().id)
        .collect();
    assert_eq!(ids(&items), chosen);
    let admins = record_ids(all_users(&emulator).iter().filter(|user| user.is_admin));
    let (items, _) = all_pages(
        &members_url(&emulator, "22222222-2222-4222-8222-222222222222", ""),
        &token,
        &[],
    )
    .await;
    assert_eq!(ids(&items), admins);
    // A group nesting itself terminates.
    let (items, _) = all_pages(
        &members_url(&emulator, "33333333-3333-4333-8333-333333333333", ""),
        &token,
        &[],
    )
    .await;
    let both: BTreeSet<String> = chosen.into_iter().chain(admins).collect();
    assert_eq!(ids(&items).into_iter().collect::<BTreeSet<_>>(), both);
    // The defaults are replaced.
    assert_eq!(emulator.groups().len(), 3);
}

#[tokio::test]
async fn an_unknown_group_is_404_in_the_envelope() {
    let emulator = start(quiet()).await;
    let token = directory_token(&emulator);
    let answer = get(
        &members_url(&emulator, "99999999-9999-4999-8999-999999999999", ""),
        &token,
    )
    .await;
    assert_eq!(answer.status, 404);
    assert_eq!(answer.error_code(), "Request_ResourceNotFound");
    assert!(
        answer
            .error_message()
            .contains("99999999-9999-4999-8999-999999999999")
    );
    answer.assert_correlated();
}

#[tokio::test]
async fn the_registration_report_agrees_with_the_in_process_state() {
    let emulator = start(quiet()).await;
    let token = admin_token(&emulator);
    // A change made in-process shows in the report.
    let changed = emulator.user_at(5).unwrap();
    emulator
        .set_user_state(
            &changed.id,
            UserState {
                methods: signin_prefs_emulator::MethodSet::of(&[
                    AuthMethod::Fido2,
                    AuthMethod::SoftwareOath,
                ]),
                preferred: Some(signin_prefs_model::UserDefaultAuthenticationMethodType::Oath),
                system_preferred_enabled: Some(true),
            },
        )
        .unwrap();
    let (items, pages) = all_pages(&report_url(&emulator, "$top=9"), &token, &[]).await;
    assert_eq!(pages.len(), 6);
    let users = all_users(&emulator);
    assert_eq!(ids(&items), record_ids(&users));
    for (entry, user) in items.iter().zip(&users) {
        let methods = user.state.methods.methods();
        // The report's names (Microsoft's sample lists an Authenticator user with both
        // `microsoftAuthenticatorPush` and `softwareOneTimePasscode`), each once.
        let mut names: Vec<&str> = Vec::new();
        for method in &methods {
            let named: &[&str] = match method {
                AuthMethod::MobilePhone => &["mobilePhone"],
                AuthMethod::AlternateMobilePhone => &["alternateMobilePhone"],
                AuthMethod::OfficePhone => &["officePhone"],
                AuthMethod::MicrosoftAuthenticator => {
                    &["microsoftAuthenticatorPush", "softwareOneTimePasscode"]
                }
                AuthMethod::SoftwareOath => &["softwareOneTimePasscode"],
                AuthMethod::HardwareOath => &["hardwareOneTimePasscode"],
                AuthMethod::Fido2 => &["fido2SecurityKey"],
                AuthMethod::Email => &["email"],
                AuthMethod::WindowsHelloForBusiness => &["windowsHelloForBusiness"],
                AuthMethod::TemporaryAccessPass => &["temporaryAccessPass"],
                _ => &["other"],
            };
            for name in named {
                if !names.contains(name) {
                    names.push(name);
                }
            }
        }
        assert_eq!(entry["userPrincipalName"], user.user_principal_name);
        assert_eq!(entry["userDisplayName"], user.display_name());
        assert_eq!(
            entry["userType"],
            if user.is_guest() { "guest" } else { "member" }
        );
        assert_eq!(entry["isAdmin"], user.is_admin);
        assert_eq!(entry["methodsRegistered"], json!(names));
        assert_eq!(
            entry["userPreferredMethodForSecondaryAuthentication"],
            user.state
                .preferred
                .as_ref()
                .map_or("", |preferred| preferred.as_str())
        );
        assert_eq!(
            entry["isSystemPreferredAuthenticationMethodEnabled"],
            user.state.system_preferred_enabled.unwrap_or(false)
        );
        assert_eq!(
            entry["isMfaRegistered"],
            methods.iter().any(|method| !matches!(
                method,
                AuthMethod::Email | AuthMethod::TemporaryAccessPass
            ))
        );
        assert_eq!(
            entry["isPasswordlessCapable"],
            methods.contains(&AuthMethod::Fido2)
                || methods.contains(&AuthMethod::WindowsHelloForBusiness)
        );
    }
    let entry = items
        .iter()
        .find(|entry| entry["id"] == changed.id)
        .unwrap();
    assert_eq!(entry["defaultMfaMethod"], "softwareOneTimePasscode");
    assert_eq!(
        entry["methodsRegistered"],
        json!(["softwareOneTimePasscode", "fido2SecurityKey"])
    );
    assert_eq!(entry["isPasswordlessCapable"], true);
    // The typed model reads every page; $select works as on /users.
    for page in pages {
        let page: UserRegistrationDetailsCollectionResponse = serde_json::from_value(page).unwrap();
        assert!(
            page.value
                .unwrap()
                .iter()
                .all(|entry| entry.user_type.is_some())
        );
    }
    let answer = get(&report_url(&emulator, "$select=id,isAdmin&$top=1"), &token).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.json()["value"][0].as_object().unwrap().len(), 2);
}

#[tokio::test]
async fn the_registration_report_needs_a_premium_tenant_and_its_permissions() {
    let emulator = start(quiet().registration_report(false)).await;
    let answer = get(&report_url(&emulator, ""), &admin_token(&emulator)).await;
    assert_eq!(answer.status, 403);
    // The real service's answer to a tenant without P1/P2 (microsoft-graph-docs-contrib#8777,
    // for userRegistrationDetails; #3808 for the sibling credentialUserRegistrationDetails).
    assert_eq!(
        answer.error_code(),
        "Authentication_RequestFromNonPremiumTenantOrB2CTenant"
    );
    assert_eq!(
        answer.json()["error"]["message"],
        "Neither tenant is B2C or tenant doesn't have premium license"
    );
    answer.assert_correlated();

    let emulator = start(quiet()).await;
    let directory_only = directory_token(&emulator);
    let answer = get(&report_url(&emulator, ""), &directory_only).await;
    assert_eq!(answer.status, 403);
    assert_eq!(answer.error_code(), "accessDenied");
    for role in [
        permissions::AUDIT_LOG_READ_ALL,
        permissions::READ_ALL,
        permissions::READ_WRITE_ALL,
    ] {
        let token = emulator
            .mint_token(TokenRequest::app_only(&[role]))
            .unwrap();
        assert_eq!(
            get(&report_url(&emulator, "$top=1"), &token).await.status,
            200,
            "{role}"
        );
    }
}

#[tokio::test]
async fn listing_users_follows_the_auth_rules() {
    let emulator = start(quiet()).await;
    let url = users_url(&emulator, "$top=1");
    let group = members_url(&emulator, seeded_groups::ALL_USERS, "$top=1");
    let answer = send(reqwest::Method::GET, &url, None, None, &[]).await;
    assert_eq!(answer.status, 401);
    assert_eq!(answer.error_code(), "InvalidAuthenticationToken");
    assert!(answer.header("www-authenticate").is_some());
    answer.assert_correlated();
    let nothing = emulator.mint_token(TokenRequest::app_only(&[])).unwrap();
    for url in [&url, &group] {
        let answer = get(url, &nothing).await;
        assert_eq!(answer.status, 403);
        assert_eq!(answer.error_code(), "accessDenied");
    }
    for role in [
        permissions::USER_READ_ALL,
        permissions::DIRECTORY_READ_ALL,
        permissions::READ_ALL,
        permissions::READ_WRITE_ALL,
    ] {
        let token = emulator
            .mint_token(TokenRequest::app_only(&[role]))
            .unwrap();
        assert_eq!(get(&url, &token).await.status, 200, "{role}");
        assert_eq!(get(&group, &token).await.status, 200, "{role}");
    }
    // The default app's tokens can read users.
    assert!(
        emulator.apps()[0]
            .app_roles
            .iter()
            .any(|role| role == permissions::USER_READ_ALL)
    );
    let answer = send(reqwest::Method::POST, &url, Some(&nothing), None, &[]).await;
    assert_eq!(answer.status, 405);
}

#[tokio::test]
async fn list_routes_are_throttled_as_reads_and_take_faults() {
    let emulator = start(quiet().throttle(ThrottleConfig {
        reads_per_app_tenant: Limit::new(2, 10),
        ..ThrottleConfig::default()
    }))
    .await;
    let token = directory_token(&emulator);
    let url = users_url(&emulator, "$top=1");
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let answer = get(&url, &token).await;
        if answer.status == 429 {
            assert!(answer.header("retry-after").is_some());
            answer.assert_correlated();
        }
        statuses.push(answer.status);
    }
    assert!(statuses.contains(&429), "{statuses:?}");

    let emulator = start(quiet()).await;
    let token = admin_token(&emulator);
    emulator.add_fault(FaultRule::always(
        FaultRoute::ListGroupMembers,
        FaultKind::ServiceUnavailable {
            retry_after_seconds: 3,
        },
    ));
    let answer = get(&members_url(&emulator, seeded_groups::GUESTS, ""), &token).await;
    assert_eq!(answer.status, 503);
    assert_eq!(answer.header("retry-after").as_deref(), Some("3"));
    answer.assert_correlated();
    assert_eq!(get(&users_url(&emulator, ""), &token).await.status, 200);
    emulator.add_fault(FaultRule::always(
        FaultRoute::RegistrationReport,
        FaultKind::GatewayTimeout {
            retry_after_seconds: 1,
        },
    ));
    assert_eq!(get(&report_url(&emulator, ""), &token).await.status, 504);
    emulator.clear_faults();
    emulator.add_fault(FaultRule::always(
        FaultRoute::ListUsers,
        FaultKind::MalformedBody,
    ));
    let answer = get(&users_url(&emulator, ""), &token).await;
    assert_eq!(answer.status, 200);
    assert!(serde_json::from_slice::<Value>(&answer.body).is_err());
}

#[tokio::test]
async fn lists_work_inside_batch() {
    let emulator = start(quiet()).await;
    let token = admin_token(&emulator);
    let answer = batch(
        &emulator,
        &token,
        &json!({"requests": [
            {"id": "1", "method": "GET", "url": "/users?$top=2&$select=id"},
            {"id": "2", "method": "GET", "url": format!("/groups/{}/transitiveMembers/microsoft.graph.user", seeded_groups::EVERY_TENTH)},
            {"id": "3", "method": "GET", "url": "/reports/authenticationMethods/userRegistrationDetails?$top=1"},
            {"id": "4", "method": "GET", "url": "/users?$count=true", "headers": {"ConsistencyLevel": "eventual"}},
        ]}),
    )
    .await;
    assert_eq!(answer.status, 200);
    let body = answer.json();
    let users = item(&body, "1");
    assert_eq!(users["status"], 200);
    assert_eq!(users["body"]["value"].as_array().unwrap().len(), 2);
    assert!(users["body"]["@odata.nextLink"].is_string());
    assert_eq!(
        item(&body, "2")["body"]["value"].as_array().unwrap().len(),
        5
    );
    assert_eq!(item(&body, "3")["status"], 200);
    assert_eq!(item(&body, "4")["body"]["@odata.count"], 50);
}
