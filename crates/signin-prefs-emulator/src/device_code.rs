//! Delegated sign-in on the login host: the device authorization grant (`/devicecode`, then
//! `/token` polled with `authorization_pending` until a user approves; Learn: "Microsoft identity
//! platform and the OAuth 2.0 device authorization grant flow") and the refresh-token grant that
//! keeps it going without the user (Learn: "Refresh the access token" in the authorization code
//! flow page). A device code is approved at once as the tenant's first administrator
//! ([`DeviceCodeApproval::Automatic`]) or through the admin API or the handle.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::auth::{DirectoryRole, TokenClaims, permissions};
use crate::login::{Form, Login, aad_error, unknown_app};
use crate::sign_ins::{DEVICE_CODE_LIFETIME, DeviceCodeApproval, DeviceState, RefreshRefusal};

/// RFC 8628's grant type, polled at the token endpoint.
pub(crate) const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// Where the user would go; the emulator's users are approved through its admin API instead.
const VERIFICATION_URI: &str = "https://microsoft.com/devicelogin";

/// The delegated permissions `.default` stands for: what an administrator consented to for the
/// default app (the app-only roles' delegated twins).
const DEFAULT_SCOPES: [&str; 3] = [
    permissions::READ_WRITE_ALL,
    permissions::USER_READ_ALL,
    permissions::POLICY_READ_ALL,
];

/// Graph's delegated scopes named in a `scope` parameter (`.default` expanded), and whether
/// `offline_access` (a refresh token) was asked for.
fn delegated_scopes(scope: &str) -> (Vec<String>, bool) {
    let mut scopes = Vec::new();
    let mut offline_access = false;
    for item in scope.split_whitespace() {
        let name = item
            .strip_prefix("https://graph.microsoft.com/")
            .unwrap_or(item);
        match name {
            "offline_access" => offline_access = true,
            "openid" | "profile" | "email" => {}
            ".default" => scopes.extend(DEFAULT_SCOPES.map(str::to_owned)),
            other => scopes.push(other.to_owned()),
        }
    }
    scopes.dedup();
    (scopes, offline_access)
}

/// The claims of a user signing in to `client_id` with `scopes`.
pub(crate) fn user_claims(
    login: &Login,
    client_id: &str,
    user_id: String,
    scopes: Vec<String>,
    directory_roles: Vec<DirectoryRole>,
) -> TokenClaims {
    TokenClaims {
        app_id: client_id.to_owned(),
        tenant_id: login.tenant.id.clone(),
        scopes,
        user: Some(user_id),
        directory_roles,
        ..TokenClaims::default()
    }
}

/// `POST /{tenant}/oauth2/v2.0/devicecode`.
pub(crate) async fn start(
    State(login): State<Arc<Login>>,
    Path(tenant): Path<String>,
    body: Bytes,
) -> Response {
    if let Some(refused) = login.unknown_tenant(&tenant) {
        return refused;
    }
    let form = Form(form_urlencoded::parse(&body).into_owned().collect());
    let Some(app) = login.gates.tokens.app(form.field("client_id")) else {
        return unknown_app(form.field("client_id"));
    };
    let (scopes, offline_access) = delegated_scopes(form.field("scope"));
    if scopes.is_empty() {
        return aad_error(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            70011,
            "The provided value for the input parameter 'scope' is not valid.",
        );
    }
    let approved = match login.gates.sign_ins.approval {
        DeviceCodeApproval::Automatic => first_administrator(&login).map(|user_id| {
            user_claims(
                &login,
                &app.client_id,
                user_id,
                scopes.clone(),
                vec![DirectoryRole::PrivilegedAuthenticationAdministrator],
            )
        }),
        DeviceCodeApproval::Manual => None,
    };
    let code =
        login
            .gates
            .sign_ins
            .start_device_code(&app.client_id, scopes, offline_access, approved);
    let Some(device_code) = login.gates.sign_ins.device_code_of(&code.user_code) else {
        return aad_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            90000,
            "The device code could not be stored.",
        );
    };
    axum::Json(json!({
        "device_code": device_code,
        "user_code": code.user_code,
        "verification_uri": VERIFICATION_URI,
        "expires_in": DEVICE_CODE_LIFETIME.as_secs(),
        "interval": login.gates.sign_ins.device_code_interval,
        "message": format!(
            "To sign in, use a web browser to open the page {VERIFICATION_URI} and enter the code {} to authenticate.",
            code.user_code
        ),
    }))
    .into_response()
}

/// The object id of the first enabled user who is an administrator (or of the first user).
fn first_administrator(login: &Login) -> Option<String> {
    let users = login.tenant.users().ok()?;
    let records = || (0..users.len()).filter_map(|index| users.record(index));
    records()
        .find(|user| user.is_admin && user.account_enabled)
        .or_else(|| records().next())
        .map(|user| user.id)
}

/// The token endpoint's device-code grant: pending, declined, expired, or the tokens.
pub(crate) fn redeem(login: &Login, form: &Form) -> Response {
    let Some(code) = login
        .gates
        .sign_ins
        .redeem_device_code(form.field("device_code"))
        .filter(|code| code.client_id.eq_ignore_ascii_case(form.field("client_id")))
    else {
        return aad_error(
            StatusCode::BAD_REQUEST,
            "bad_verification_code",
            70000,
            "The device_code was not recognized.",
        );
    };
    if code.expires_at <= crate::auth::now_unix() {
        return aad_error(
            StatusCode::BAD_REQUEST,
            "expired_token",
            70019,
            "Verification code expired.",
        );
    }
    match code.state {
        DeviceState::Pending => aad_error(
            StatusCode::BAD_REQUEST,
            "authorization_pending",
            70016,
            "The provided request has not yet been authorized by the user. The user must input their code.",
        ),
        DeviceState::Declined => aad_error(
            StatusCode::BAD_REQUEST,
            "authorization_declined",
            70000,
            "The end user denied the authorization request.",
        ),
        DeviceState::Approved(claims) => {
            let refresh_token = code
                .offline_access
                .then(|| login.gates.sign_ins.issue_refresh_token(&claims));
            login.grant(claims, refresh_token)
        }
    }
}

/// The token endpoint's refresh-token grant: a new access token and a new refresh token.
pub(crate) fn refresh(login: &Login, form: &Form) -> Response {
    match login
        .gates
        .sign_ins
        .refresh(form.field("refresh_token"), form.field("client_id"))
    {
        Ok(grant) => {
            let rotated = login.gates.sign_ins.issue_refresh_token(&grant.claims);
            login.grant(grant.claims, Some(rotated))
        }
        Err(refusal) => {
            let (code, description) = match refusal {
                RefreshRefusal::Revoked => (
                    50173,
                    "The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password.",
                ),
                RefreshRefusal::Expired => {
                    (700082, "The refresh token has expired due to inactivity.")
                }
                RefreshRefusal::OtherClient => (
                    70000,
                    "The refresh token was issued to a different client id.",
                ),
                RefreshRefusal::Unknown => {
                    (9002313, "Invalid request. Request is malformed or invalid.")
                }
            };
            aad_error(StatusCode::BAD_REQUEST, "invalid_grant", code, description)
        }
    }
}

/// Approves the waiting device code `user_code` as `user_id` with `directory_roles`, with the
/// scopes its client asked for.
pub(crate) fn approve(
    tenant: &crate::tenant::Tenant,
    gates: &crate::gates::Gates,
    user_code: &str,
    user_id: String,
    directory_roles: Vec<DirectoryRole>,
) -> Result<(), crate::Error> {
    let unknown = || crate::Error::UnknownDeviceCode(user_code.to_owned());
    let device_code = gates
        .sign_ins
        .device_code_of(user_code)
        .ok_or_else(unknown)?;
    let code = gates
        .sign_ins
        .peek_device_code(&device_code)
        .ok_or_else(unknown)?;
    let claims = TokenClaims {
        app_id: code.client_id,
        tenant_id: tenant.id.clone(),
        scopes: code.scopes,
        user: Some(user_id),
        directory_roles,
        ..TokenClaims::default()
    };
    match gates.sign_ins.settle(user_code, Some(claims)) {
        true => Ok(()),
        false => Err(unknown()),
    }
}
