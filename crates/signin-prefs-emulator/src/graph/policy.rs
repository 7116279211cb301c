//! `GET /policies/authenticationMethodsPolicy`: the tenant's policy, behind the same gates as any
//! read (faults, token, `Policy.Read.*` permission, the read budget).

use http::StatusCode;
use serde_json::Value;

use super::response::{Correlation, GRAPH_ROOT, GraphResponse};
use super::route::Version;
use super::service::Graph;
use crate::auth::{Access, permits_operation};
use crate::faults::{FaultRoute, FaultTarget};
use crate::gates::Validated;

impl Graph {
    /// The policy, with its method configurations inline as the service sends them ("Automatically
    /// expanded on GET /policies/authenticationMethodsPolicy", the module's description of
    /// `authenticationMethodConfigurations`).
    pub(crate) async fn methods_policy(
        &self,
        version: Version,
        claims: &Validated,
        correlation: &Correlation,
    ) -> GraphResponse {
        let transport_fault = match self
            .fault_gate(
                &FaultTarget {
                    route: FaultRoute::MethodsPolicy,
                    user_keys: &[],
                },
                correlation,
            )
            .await
        {
            Ok(fault) => fault,
            Err(response) => return response,
        };
        let mut response = self.methods_policy_authorized(version, claims, correlation);
        response.fault = transport_fault;
        response
    }

    fn methods_policy_authorized(
        &self,
        version: Version,
        claims: &Validated,
        correlation: &Correlation,
    ) -> GraphResponse {
        let claims = match claims {
            Ok(claims) => claims,
            Err(rejection) => return GraphResponse::unauthorized(*rejection, correlation),
        };
        if !permits_operation(claims, Access::ReadPolicy) {
            return GraphResponse::access_denied(correlation);
        }
        if let Some(throttled) = self.throttle_gate(claims, false, correlation) {
            return throttled;
        }
        let mut policy = match self.tenant.policy() {
            Ok(policy) => policy,
            Err(unavailable) => return GraphResponse::internal(unavailable, correlation),
        };
        if let Some(object) = policy.as_object_mut() {
            object.insert(
                "@odata.context".into(),
                Value::String(format!(
                    "{GRAPH_ROOT}/{}/$metadata#authenticationMethodsPolicy",
                    version.segment()
                )),
            );
        }
        GraphResponse::json(StatusCode::OK, policy)
    }
}
