//! The admin API's sign-in part (`/_emulator/...`): certificates registered for client
//! assertions, federated tokens handed out, device codes approved or declined, sessions revoked,
//! and where the managed-identity endpoints are, for tests that run the emulator out of process.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;

use crate::admin::{Admin, failure};
use crate::auth::DirectoryRole;
use crate::error::Error;

pub(crate) fn router() -> Router<Arc<Admin>> {
    Router::new()
        .route(
            "/_emulator/apps/{client_id}/certificates",
            post(add_certificate),
        )
        .route(
            "/_emulator/apps/{client_id}/federatedTokens",
            post(federated_token),
        )
        .route("/_emulator/deviceCodes", get(pending_device_codes))
        .route("/_emulator/deviceCodes/{user_code}/approve", post(approve))
        .route("/_emulator/deviceCodes/{user_code}/decline", post(decline))
        .route(
            "/_emulator/users/{key}/revokeSignInSessions",
            post(revoke_sign_in_sessions),
        )
        .route("/_emulator/managedIdentity", get(managed_identity))
}

fn known_app(admin: &Admin, client_id: &str) -> Result<(), Error> {
    match admin.gates.tokens.app(client_id) {
        Some(_) => Ok(()),
        None => Err(Error::UnknownApp(client_id.to_owned())),
    }
}

/// Body: the certificate, PEM.
async fn add_certificate(
    State(admin): State<Arc<Admin>>,
    Path(client_id): Path<String>,
    body: Bytes,
) -> Response {
    let registered = known_app(&admin, &client_id).and_then(|()| {
        let der = crate::gates::certificate_der(&client_id, &String::from_utf8_lossy(&body))?;
        admin.gates.sign_ins.register_certificate(&client_id, der);
        Ok(())
    });
    match registered {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(error) => failure(&error),
    }
}

async fn federated_token(
    State(admin): State<Arc<Admin>>,
    Path(client_id): Path<String>,
) -> Response {
    match known_app(&admin, &client_id) {
        Ok(()) => axum::Json(json!({
            "token": admin.gates.sign_ins.federated_token(&client_id, None)
        }))
        .into_response(),
        Err(error) => failure(&error),
    }
}

async fn pending_device_codes(State(admin): State<Arc<Admin>>) -> Response {
    axum::Json(json!({ "userCodes": admin.gates.sign_ins.pending_user_codes() })).into_response()
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Approval {
    /// Object id or UPN of the user who signs in.
    user: String,
    /// Default: Privileged Authentication Administrator.
    directory_roles: Option<Vec<DirectoryRole>>,
}

async fn approve(
    State(admin): State<Arc<Admin>>,
    Path(user_code): Path<String>,
    body: Bytes,
) -> Response {
    let approval: Approval = match serde_json::from_slice(&body) {
        Ok(approval) => approval,
        Err(error) => return failure(&Error::AdminRequest(format!("approval body: {error}"))),
    };
    let approved = admin
        .tenant
        .find(&approval.user)
        .map_err(Error::from)
        .and_then(|record| record.ok_or_else(|| Error::UnknownUser(approval.user.clone())))
        .and_then(|record| {
            crate::device_code::approve(
                &admin.tenant,
                &admin.gates,
                &user_code,
                record.id,
                approval
                    .directory_roles
                    .unwrap_or_else(|| vec![DirectoryRole::PrivilegedAuthenticationAdministrator]),
            )
        });
    match approved {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(error) => failure(&error),
    }
}

async fn decline(State(admin): State<Arc<Admin>>, Path(user_code): Path<String>) -> Response {
    match admin.gates.sign_ins.settle(&user_code, None) {
        true => StatusCode::NO_CONTENT.into_response(),
        false => failure(&Error::UnknownDeviceCode(user_code)),
    }
}

async fn revoke_sign_in_sessions(
    State(admin): State<Arc<Admin>>,
    Path(key): Path<String>,
) -> Response {
    match admin.tenant.find(&key) {
        Ok(Some(record)) => {
            axum::Json(json!({ "revoked": admin.gates.sign_ins.revoke(&record.id) }))
                .into_response()
        }
        Ok(None) => failure(&Error::UnknownUser(key)),
        Err(error) => failure(&Error::from(error)),
    }
}

async fn managed_identity(State(admin): State<Arc<Admin>>) -> Response {
    let origin = admin.gates.sign_ins.origin();
    axum::Json(json!({
        "imds": format!("{origin}{}", crate::managed_identity::IMDS_PATH),
        "identityEndpoint": format!("{origin}{}", crate::managed_identity::APP_SERVICE_PATH),
        "identityHeader": admin.gates.sign_ins.identity_header,
    }))
    .into_response()
}
