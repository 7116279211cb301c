//! The login host's OpenID Connect metadata, `GET /{tenant}/v2.0/.well-known/openid-configuration`,
//! which MSAL (and so azure-identity) reads before it asks for a token, to learn the token
//! endpoint. Learn, "OpenID Connect on the Microsoft identity platform"
//! (<https://learn.microsoft.com/entra/identity-platform/v2-protocols-oidc>): the document lives
//! at `{authority}/{tenant}/v2.0/.well-known/openid-configuration` and names the endpoints of the
//! tenant-scoped authority; its `issuer` is `{authority}/{tenant id}/v2.0`.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::login::Login;

/// The metadata of `tenant` (an id, the domain, or `organizations`), with this emulator's origin
/// for the login host's.
pub(crate) async fn document(
    State(login): State<Arc<Login>>,
    Path(tenant): Path<String>,
) -> Response {
    if let Some(refused) = login.unknown_tenant(&tenant) {
        return refused;
    }
    let origin = login.gates.sign_ins.origin();
    let id = &login.tenant.id;
    let base = format!("{origin}/{tenant}");
    axum::Json(json!({
        "issuer": format!("{origin}/{id}/v2.0"),
        "token_endpoint": format!("{base}/oauth2/v2.0/token"),
        "device_authorization_endpoint": format!("{base}/oauth2/v2.0/devicecode"),
        // Required by OpenID Connect Discovery; the emulator signs no one in interactively, so
        // these answer 404 (FIDELITY.md).
        "authorization_endpoint": format!("{base}/oauth2/v2.0/authorize"),
        "jwks_uri": format!("{origin}/{tenant}/discovery/v2.0/keys"),
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "tenant_region_scope": null,
        "cloud_instance_name": "microsoftonline.com",
        "msgraph_host": "graph.microsoft.com",
    }))
    .into_response()
}
