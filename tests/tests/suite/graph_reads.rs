//! The reads the bulk tool needs: registered methods (polymorphic), users and group members
//! (paged, filtered), and the registration report, decoded as the service sends them.

use serde_json::{Value, json};
use signin_prefs_core::CollectionPage;
use signin_prefs_model::{
    AnyAuthenticationMethod, AuthenticationMethodCollectionResponse, AuthenticationPhoneType,
    DefaultMfaMethodType, UserCollectionResponse, UserDefaultAuthenticationMethod,
    UserRegistrationDetailsCollectionResponse,
};
use signin_prefs_request::{
    Error, ListMethod, ListTransitiveMemberAsUser, ListUser, ListUserRegistrationDetail, NextPage,
    Operation,
};

fn methods_body() -> Value {
    json!({
        "@odata.context": "https://graph.microsoft.com/beta/$metadata#users('u')/authentication/methods",
        "value": [
            {"@odata.type": "#microsoft.graph.phoneAuthenticationMethod", "id": "3179e48a-750b-4051-897c-87b9720928f7",
             "phoneNumber": "+1 2065555555", "phoneType": "mobile", "smsSignInState": "notAllowedByPolicy"},
            {"@odata.type": "#microsoft.graph.microsoftAuthenticatorAuthenticationMethod", "id": "a",
             "displayName": "Pixel 8", "deviceTag": "SoftwareTokenActivated", "phoneAppVersion": "6.2401.0119",
             "clientAppName": "microsoftAuthenticator"},
            {"@odata.type": "#microsoft.graph.softwareOathAuthenticationMethod", "id": "b", "secretKey": null},
            {"@odata.type": "#microsoft.graph.passwordAuthenticationMethod", "id": "28c10230-6103-485e-b985-444c60001490",
             "createdDateTime": "2024-01-02T03:04:05Z"},
            {"@odata.type": "#microsoft.graph.futureAuthenticationMethod", "id": "c", "shinyNewProperty": [1, 2]},
            {"id": "d"}
        ]
    })
}

#[test]
fn registered_methods_decode_each_as_its_own_type() {
    let body = serde_json::to_vec(&methods_body()).unwrap();
    let page: AuthenticationMethodCollectionResponse =
        ListMethod::decode_response(200, &body).unwrap();
    assert_eq!(page.next_link(), None);
    let methods = page.into_items();
    assert_eq!(methods.len(), 6);
    match &methods[0] {
        AnyAuthenticationMethod::PhoneAuthenticationMethod(phone) => {
            assert_eq!(phone.phone_type, Some(AuthenticationPhoneType::Mobile));
            assert_eq!(phone.phone_number.as_deref(), Some("+1 2065555555"));
        }
        other => panic!("expected a phone method, got {other:?}"),
    }
    assert!(matches!(
        methods[1],
        AnyAuthenticationMethod::MicrosoftAuthenticatorAuthenticationMethod(_)
    ));
    assert!(matches!(
        methods[2],
        AnyAuthenticationMethod::SoftwareOathAuthenticationMethod(_)
    ));
    assert!(matches!(
        methods[3],
        AnyAuthenticationMethod::PasswordAuthenticationMethod(_)
    ));
    // A subtype newer than this build is kept, not rejected, with all it carries.
    match &methods[4] {
        AnyAuthenticationMethod::Unknown(base) => {
            assert_eq!(base.id.as_deref(), Some("c"));
            assert_eq!(
                base.additional_properties["@odata.type"],
                "#microsoft.graph.futureAuthenticationMethod"
            );
            assert_eq!(
                base.additional_properties["shinyNewProperty"],
                json!([1, 2])
            );
        }
        other => panic!("expected the fallback, got {other:?}"),
    }
    assert!(matches!(methods[5], AnyAuthenticationMethod::Unknown(_)));
}

#[test]
fn a_methods_page_round_trips_exactly() {
    let body = methods_body();
    let page: AuthenticationMethodCollectionResponse =
        serde_json::from_value(body.clone()).unwrap();
    let mut expected = body;
    // `secretKey: null` on a listed property reads as absent; everything else survives verbatim.
    expected["value"][2]
        .as_object_mut()
        .unwrap()
        .remove("secretKey");
    assert_eq!(serde_json::to_value(&page).unwrap(), expected);
}

#[test]
fn methods_request_shape() {
    let request = ListMethod::new("AdeleVance_adatum.com#EXT#@contoso.com")
        .to_request()
        .unwrap();
    assert_eq!(
        request.path_and_query(),
        "/beta/users/AdeleVance_adatum.com%23EXT%23@contoso.com/authentication/methods"
    );
}

#[test]
fn users_by_filter_with_advanced_query_headers() {
    let mut list = ListUser::new();
    list.filter = Some("startswith(userPrincipalName,'a') and accountEnabled eq true".into());
    list.select = vec!["id".into(), "userPrincipalName".into()];
    list.top = Some(999);
    list.count = Some(true);
    list.consistency_level = Some("eventual".into());
    let request = list.to_request().unwrap();
    assert_eq!(
        request.path_and_query(),
        "/beta/users?$top=999&$filter=startswith(userPrincipalName,'a')%20and%20accountEnabled%20eq%20true&$count=true&$select=id,userPrincipalName"
    );
    assert_eq!(request.headers["consistencylevel"], "eventual");

    let mut bad = ListUser::new();
    bad.consistency_level = Some("eventual\r\nX-Evil: 1".into());
    assert!(matches!(bad.to_request(), Err(Error::InvalidHeader { .. })));
}

#[test]
fn group_members_as_users_and_their_next_page() {
    let request = ListTransitiveMemberAsUser::new("02bd9fd6-8f93-4758-87c3-1fb73740a315")
        .to_request()
        .unwrap();
    assert_eq!(
        request.path_and_query(),
        "/beta/groups/02bd9fd6-8f93-4758-87c3-1fb73740a315/transitiveMembers/microsoft.graph.user"
    );
    let link = "https://graph.microsoft.com/beta/groups/02bd9fd6-8f93-4758-87c3-1fb73740a315/transitiveMembers/microsoft.graph.user?$skiptoken=RFNwdAIAAQAAAD8";
    let body = serde_json::to_vec(&json!({
        "@odata.nextLink": link,
        "value": [{"id": "1", "userPrincipalName": "a@contoso.com", "accountEnabled": true, "jobTitle": "Engineer"}]
    }))
    .unwrap();
    let page: UserCollectionResponse =
        ListTransitiveMemberAsUser::decode_response(200, &body).unwrap();
    assert_eq!(page.next_link(), Some(link));
    let next = NextPage::<UserCollectionResponse>::new(page.next_link().unwrap()).unwrap();
    assert_eq!(next.origin(), "https://graph.microsoft.com");
    assert_eq!(
        next.to_request().unwrap().path_and_query(),
        "/beta/groups/02bd9fd6-8f93-4758-87c3-1fb73740a315/transitiveMembers/microsoft.graph.user?$skiptoken=RFNwdAIAAQAAAD8"
    );
    let users = page.into_items();
    assert_eq!(
        users[0].user_principal_name.as_deref(),
        Some("a@contoso.com")
    );
    // Properties the slice leaves out still arrive.
    assert_eq!(users[0].additional_properties["jobTitle"], "Engineer");
}

#[test]
fn next_links_that_are_not_urls_are_refused() {
    for link in [
        "/beta/users?$skiptoken=x",
        "ftp://graph.microsoft.com/beta/users",
        "https://",
        "https://user@evil.example/beta",
        "https://graph.microsoft.com",
    ] {
        let error = NextPage::<UserCollectionResponse>::new(link).unwrap_err();
        assert!(error.to_string().contains(&format!("{link:?}")), "{error}");
    }
}

#[test]
fn registration_report_pages_decode() {
    let request = ListUserRegistrationDetail::new().to_request().unwrap();
    assert_eq!(
        request.path_and_query(),
        "/beta/reports/authenticationMethods/userRegistrationDetails"
    );
    let body = serde_json::to_vec(&json!({
        "value": [{
            "id": "86462606-fde0-4fc4-9e0c-a20eb73e54c6",
            "userPrincipalName": "AlexW@contoso.com",
            "isMfaRegistered": true,
            "methodsRegistered": ["microsoftAuthenticatorPush", "softwareOneTimePasscode", "mobilePhone"],
            "defaultMfaMethod": "microsoftAuthenticatorPush",
            "userPreferredMethodForSecondaryAuthentication": "none",
            "isSystemPreferredAuthenticationMethodEnabled": false,
            "systemPreferredAuthenticationMethods": [],
            "lastUpdatedDateTime": "2024-10-01T12:34:56.1234567Z"
        }],
        "@odata.nextLink": "https://graph.microsoft.com/beta/reports/authenticationMethods/userRegistrationDetails?$skiptoken=abc"
    }))
    .unwrap();
    let page: UserRegistrationDetailsCollectionResponse =
        ListUserRegistrationDetail::decode_response(200, &body).unwrap();
    assert!(page.next_link().is_some());
    let details = page.into_items();
    assert_eq!(
        details[0].default_mfa_method,
        Some(DefaultMfaMethodType::MicrosoftAuthenticatorPush)
    );
    assert_eq!(
        details[0].user_preferred_method_for_secondary_authentication,
        Some(UserDefaultAuthenticationMethod::None)
    );
    // Date-times are kept as sent, to the last digit.
    assert_eq!(
        details[0].last_updated_date_time.as_deref(),
        Some("2024-10-01T12:34:56.1234567Z")
    );
}
