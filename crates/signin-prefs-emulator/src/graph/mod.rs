//! The Graph host: routing, the gates, the resource handlers, the paged lists and `$batch`.
//!
//! Everything here is independent of HTTP plumbing: [`Graph::handle`] takes a method, a raw path,
//! headers and a body and returns a [`GraphResponse`], so a `$batch` item goes through exactly the
//! same code as a direct request. Each module here uses only those before it in this order:
//! `response`, `route`, `patch`, `service`, `lists`, `policy`, `handlers`, `batch`, then this one.

mod batch;
mod handlers;
mod lists;
mod patch;
mod policy;
mod response;
mod route;
mod service;
#[cfg(test)]
mod tests;

pub(crate) use response::{Correlation, GraphResponse, ODATA_JSON, ResponseBody};
pub(crate) use route::GraphRequest;
pub(crate) use service::Graph;

use response::header_str;
use route::{Resource, route};

impl Graph {
    /// Handles a request that arrived on the wire (may be a `$batch`).
    pub(crate) async fn handle(
        &self,
        request: GraphRequest<'_>,
        correlation: &Correlation,
    ) -> GraphResponse {
        let path = request
            .path
            .split_once('?')
            .map_or(request.path, |(path, _)| path);
        let (version, resource) = match route(path, correlation) {
            Ok(routed) => routed,
            Err(response) => return response,
        };
        if resource == Resource::Batch {
            return self.batch(version, request, correlation).await;
        }
        let claims = self
            .gates
            .authenticate(header_str(request.headers, "authorization"));
        self.resource(version, resource, request, &claims, correlation)
            .await
    }
}
