//! The admin API (`/_emulator/...`): user state read and write, users added, tokens minted, the
//! emulated clock advanced, traffic and throttle priorities counted and the authentication methods policy read and replaced, for tests that run the emulator out of process.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use crate::auth::TokenRequest;
use crate::error::Error;
use crate::gates::Gates;
use crate::tenant::{StoreUnavailable, Tenant};
use crate::users::{AuthMethod, MethodSet, UserRecord, UserSpec, UserState};

#[derive(Debug)]
pub(crate) struct Admin {
    pub(crate) tenant: Arc<Tenant>,
    pub(crate) gates: Arc<Gates>,
}

pub(crate) fn router(tenant: Arc<Tenant>, gates: Arc<Gates>) -> Router {
    Router::new()
        .route("/_emulator/users", get(user_at).post(add_user))
        .route("/_emulator/users/{key}", get(get_user).patch(set_user))
        .route("/_emulator/tokens", post(mint_token))
        .route("/_emulator/clock/advance", post(advance_clock))
        .route("/_emulator/stats", get(stats))
        .route("/_emulator/priorities", get(priorities))
        .route(
            "/_emulator/policies/authenticationMethodsPolicy",
            get(get_policy).put(put_policy),
        )
        .merge(crate::admin_sign_ins::router())
        .with_state(Arc::new(Admin { tenant, gates }))
}

/// The admin API's own error body (it is not Graph).
fn admin_error(status: StatusCode, message: &str) -> Response {
    (
        status,
        axum::Json(json!({ "error": { "code": "emulatorAdmin", "message": message } })),
    )
        .into_response()
}

/// A refusal of the request (400), or the emulator's own failure (500).
pub(crate) fn failure(error: &Error) -> Response {
    let status = match error {
        Error::StoreUnavailable => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::BAD_REQUEST,
    };
    admin_error(status, &error.to_string())
}

impl IntoResponse for StoreUnavailable {
    fn into_response(self) -> Response {
        failure(&Error::from(self))
    }
}

fn record_json(record: &UserRecord) -> Value {
    json!({
        "index": record.index,
        "id": record.id,
        "userPrincipalName": record.user_principal_name,
        "isAdmin": record.is_admin,
        "methods": record.state.methods.methods(),
        "userPreferredMethodForSecondaryAuthentication": record.state.preferred.as_ref().map(|method| method.as_str()),
        "isSystemPreferredAuthenticationMethodEnabled": record.state.system_preferred_enabled,
        "systemPreferredAuthenticationMethod": record.state.system_preferred_method(),
    })
}

#[derive(serde::Deserialize)]
struct IndexQuery {
    index: usize,
}

async fn user_at(
    State(admin): State<Arc<Admin>>,
    Query(query): Query<IndexQuery>,
) -> Result<Response, StoreUnavailable> {
    Ok(match admin.tenant.users()?.record(query.index) {
        Some(record) => axum::Json(record_json(&record)).into_response(),
        None => admin_error(
            StatusCode::NOT_FOUND,
            &format!("no user at index {}", query.index),
        ),
    })
}

async fn get_user(
    State(admin): State<Arc<Admin>>,
    Path(key): Path<String>,
) -> Result<Response, StoreUnavailable> {
    Ok(match admin.tenant.find(&key)? {
        Some(record) => axum::Json(record_json(&record)).into_response(),
        None => admin_error(StatusCode::NOT_FOUND, &format!("no user `{key}`")),
    })
}

async fn set_user(
    State(admin): State<Arc<Admin>>,
    Path(key): Path<String>,
    body: Bytes,
) -> Result<Response, StoreUnavailable> {
    let Ok(Value::Object(changes)) = serde_json::from_slice::<Value>(&body) else {
        return Ok(admin_error(
            StatusCode::BAD_REQUEST,
            "body must be a JSON object",
        ));
    };
    let Some(record) = admin.tenant.find(&key)? else {
        return Ok(admin_error(
            StatusCode::NOT_FOUND,
            &format!("no user `{key}`"),
        ));
    };
    let state = match changed_state(record.state, &changes) {
        Ok(state) => state,
        Err(message) => return Ok(admin_error(StatusCode::BAD_REQUEST, &message)),
    };
    let users = admin.tenant.users()?;
    let stored = users
        .update(record.index, |_| Ok::<UserState, ()>(state.clone()))
        .and_then(|_| users.record(record.index));
    Ok(match stored {
        Some(record) => axum::Json(record_json(&record)).into_response(),
        None => admin_error(StatusCode::NOT_FOUND, &format!("no user `{key}`")),
    })
}

/// `state` with the admin API's changes applied, or why they cannot be.
fn changed_state(
    mut state: UserState,
    changes: &serde_json::Map<String, Value>,
) -> Result<UserState, String> {
    for (name, value) in changes {
        match name.as_str() {
            "methods" => match serde_json::from_value::<Vec<AuthMethod>>(value.clone()) {
                Ok(methods) => state.methods = MethodSet::of(&methods),
                Err(error) => return Err(format!("methods: {error}")),
            },
            "userPreferredMethodForSecondaryAuthentication" => match value {
                Value::Null => state.preferred = None,
                Value::String(text) => match text.parse() {
                    Ok(method) => state.preferred = Some(method),
                    Err(error) => return Err(error.to_string()),
                },
                _ => {
                    return Err(
                        "userPreferredMethodForSecondaryAuthentication: string or null".to_owned(),
                    );
                }
            },
            "isSystemPreferredAuthenticationMethodEnabled" => match value {
                Value::Null => state.system_preferred_enabled = None,
                Value::Bool(flag) => state.system_preferred_enabled = Some(*flag),
                _ => {
                    return Err(
                        "isSystemPreferredAuthenticationMethodEnabled: boolean or null".to_owned(),
                    );
                }
            },
            other => return Err(format!("unknown property `{other}`")),
        }
    }
    Ok(state)
}

async fn add_user(State(admin): State<Arc<Admin>>, body: Bytes) -> Response {
    let spec: UserSpec = match serde_json::from_slice(&body) {
        Ok(spec) => spec,
        Err(error) => return admin_error(StatusCode::BAD_REQUEST, &error.to_string()),
    };
    match admin.tenant.add_user(&spec) {
        Ok(record) => (StatusCode::CREATED, axum::Json(record_json(&record))).into_response(),
        Err(error) => failure(&error),
    }
}

async fn mint_token(State(admin): State<Arc<Admin>>, body: Bytes) -> Response {
    let request: TokenRequest = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(error) => return admin_error(StatusCode::BAD_REQUEST, &error.to_string()),
    };
    match admin.gates.mint(&admin.tenant, request) {
        Ok(token) => {
            axum::Json(json!({ "token_type": "Bearer", "access_token": token })).into_response()
        }
        Err(error) => failure(&error),
    }
}

#[derive(serde::Deserialize)]
struct AdvanceBody {
    seconds: f64,
}

async fn advance_clock(
    State(admin): State<Arc<Admin>>,
    axum::Json(advance): axum::Json<AdvanceBody>,
) -> Response {
    admin
        .gates
        .clock
        .advance(Duration::from_secs_f64(advance.seconds.max(0.0)));
    StatusCode::NO_CONTENT.into_response()
}

async fn stats(State(admin): State<Arc<Admin>>) -> Response {
    axum::Json(admin.gates.throttle.stats()).into_response()
}

async fn priorities(State(admin): State<Arc<Admin>>) -> Response {
    axum::Json(admin.gates.priorities.counts()).into_response()
}

async fn get_policy(State(admin): State<Arc<Admin>>) -> Response {
    match admin.tenant.policy() {
        Ok(policy) => axum::Json(policy).into_response(),
        Err(unavailable) => unavailable.into_response(),
    }
}

/// Replaces the authentication methods policy with the body, served verbatim afterwards.
async fn put_policy(State(admin): State<Arc<Admin>>, body: Bytes) -> Response {
    let policy: Value = match serde_json::from_slice(&body) {
        Ok(policy) => policy,
        Err(error) => return admin_error(StatusCode::BAD_REQUEST, &error.to_string()),
    };
    match admin.tenant.set_policy(policy) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(error) => failure(&error),
    }
}
