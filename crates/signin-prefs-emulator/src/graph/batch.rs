//! `POST /$batch` (graph-behaviors.md §4): the envelope checked once, each item routed and sent
//! through the same [`Graph::resource`] as a direct request, `dependsOn` honoured, answers
//! optionally shuffled.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::Ordering;

use http::{HeaderMap, Method, StatusCode};
use serde::Serialize;
use serde_json::Value;

use super::response::{Correlation, GraphResponse, ResponseBody, header_str};
use super::route::{GraphRequest, Resource, Version, route};
use super::service::Graph;
use crate::faults::{FaultRoute, FaultTarget};
use crate::gates::Validated;
use crate::ids::{SplitMix64, decode_base64, random_guid};

const MAX_BATCH_REQUESTS: usize = 20;

impl Graph {
    pub(crate) async fn batch(
        &self,
        version: Version,
        request: GraphRequest<'_>,
        correlation: &Correlation,
    ) -> GraphResponse {
        if request.method != Method::POST {
            return GraphResponse::method_not_allowed(correlation);
        }
        let transport_fault = match self
            .fault_gate(
                &FaultTarget {
                    route: FaultRoute::Batch,
                    user_keys: &[],
                },
                correlation,
            )
            .await
        {
            Ok(fault) => fault,
            Err(response) => return response,
        };
        // Validated once for the whole batch: its items carry no token of their own.
        let claims = self
            .gates
            .authenticate(header_str(request.headers, "authorization"));
        if let Err(rejection) = &claims {
            return GraphResponse::unauthorized(*rejection, correlation);
        }
        let (items, order) = match parse_batch(request.body).and_then(|items| {
            let order = execution_order(&items)?;
            Ok((items, order))
        }) {
            Ok(parsed) => parsed,
            Err(message) => return GraphResponse::bad_request("BadRequest", &message, correlation),
        };
        let mut responses = self
            .run_items(version, &items, order, &claims, correlation)
            .await;
        if self.shuffle_batch_responses {
            let batch_number = self.batches.fetch_add(1, Ordering::Relaxed);
            let mut generator = SplitMix64::for_item(self.tenant.seed, 4, batch_number);
            // Fisher–Yates with the seeded generator: same seed, same batch sequence, same order.
            for upper in (1..responses.len()).rev() {
                let other = generator.below(upper as u64 + 1) as usize;
                responses.swap(upper, other);
            }
        }
        #[derive(Serialize)]
        struct BatchResponse {
            responses: Vec<BatchAnswer>,
        }
        // Written straight from the answers: no document tree is built for the whole batch.
        let body = serde_json::to_vec(&BatchResponse { responses }).unwrap_or_default();
        let mut response = GraphResponse::serialized(StatusCode::OK, body);
        response.fault = transport_fault;
        response
    }

    /// Runs the items in `order`, answering each in its request position.
    async fn run_items(
        &self,
        version: Version,
        items: &[BatchItem],
        order: Vec<usize>,
        claims: &Validated,
        correlation: &Correlation,
    ) -> Vec<BatchAnswer> {
        let mut results: Vec<Option<BatchAnswer>> = (0..items.len()).map(|_| None).collect();
        let mut succeeded: HashMap<String, bool> = HashMap::new();
        for index in order {
            let Some(item) = items.get(index) else {
                continue;
            };
            let item_correlation = Correlation {
                request_id: random_guid(),
                client_request_id: item
                    .headers
                    .get("client-request-id")
                    .cloned()
                    .unwrap_or_else(|| correlation.client_request_id.clone()),
            };
            let failed_dependency = item.depends_on.iter().any(|dependency| {
                !succeeded
                    .get(&dependency.to_ascii_lowercase())
                    .copied()
                    .unwrap_or(false)
            });
            let response = if failed_dependency {
                GraphResponse::error(
                    StatusCode::FAILED_DEPENDENCY,
                    "FailedDependency",
                    "The request could not be executed because a request it depends on failed.",
                    &item_correlation,
                )
            } else {
                self.batch_item(version, item, claims, &item_correlation)
                    .await
            };
            succeeded.insert(item.id.to_ascii_lowercase(), response.is_success());
            if let Some(slot) = results.get_mut(index) {
                *slot = Some(batch_answer(&item.id, response, &item_correlation));
            }
        }
        results.into_iter().flatten().collect()
    }

    async fn batch_item(
        &self,
        version: Version,
        item: &BatchItem,
        claims: &Validated,
        correlation: &Correlation,
    ) -> GraphResponse {
        let bad_request =
            |message: &str| GraphResponse::bad_request("BadRequest", message, correlation);
        if item.url.starts_with("http://") || item.url.starts_with("https://") {
            // Graph wants batch URLs relative to the version (observed: msgraph-sdk-python#1015).
            return bad_request("Invalid request URI: batch request URLs must be relative.");
        }
        let Ok(method) = Method::from_bytes(item.method.to_ascii_uppercase().as_bytes()) else {
            return bad_request(&format!("Invalid method '{}'.", item.method));
        };
        let relative = item.url.trim_start_matches('/');
        let path = format!("/{}/{relative}", version.segment());
        let path_only = path.split_once('?').map_or(path.as_str(), |(path, _)| path);
        let (version, resource) = match route(path_only, correlation) {
            Ok(routed) => routed,
            Err(response) => return response,
        };
        if resource == Resource::Batch {
            return bad_request("A $batch request cannot contain another $batch.");
        }
        let body = match &item.body {
            None => Vec::new(),
            Some(_) if !item.headers.contains_key("content-type") => {
                return bad_request(
                    "Content-Type header must be specified for a request with a body.",
                );
            }
            // A string body is base64 (URL-safe or standard), as the batching docs allow.
            Some(Value::String(encoded)) => match decode_base64(encoded) {
                Some(bytes) => bytes,
                None => return bad_request("The request body is a string but not base64."),
            },
            Some(value) => serde_json::to_vec(value).unwrap_or_default(),
        };
        let mut headers = HeaderMap::new();
        for (name, value) in &item.headers {
            if let (Ok(name), Ok(value)) = (
                http::HeaderName::from_bytes(name.as_bytes()),
                http::HeaderValue::from_str(value),
            ) {
                headers.insert(name, value);
            }
        }
        let inner = GraphRequest {
            method: &method,
            path: &path,
            headers: &headers,
            body: &body,
        };
        let mut response =
            Box::pin(self.resource(version, resource, inner, claims, correlation)).await;
        // Connection-level faults cannot hit one item of a batch response.
        response.fault = None;
        response
    }
}

/// One answer of a `$batch` response, as the service writes it (members in its order).
#[derive(Serialize)]
struct BatchAnswer {
    #[serde(skip_serializing_if = "Option::is_none")]
    body: Option<Value>,
    headers: BTreeMap<&'static str, String>,
    id: String,
    status: u16,
}

fn batch_answer(id: &str, response: GraphResponse, correlation: &Correlation) -> BatchAnswer {
    let mut headers = BTreeMap::new();
    headers.insert("request-id", correlation.request_id.clone());
    headers.insert("client-request-id", correlation.client_request_id.clone());
    for (name, value) in response.headers {
        let name = match name {
            "content-type" => "Content-Type",
            "retry-after" => "Retry-After",
            other => other,
        };
        headers.insert(name, value);
    }
    BatchAnswer {
        body: response.body.map(ResponseBody::into_value),
        headers,
        id: id.to_owned(),
        status: response.status.as_u16(),
    }
}

#[derive(Debug)]
struct BatchItem {
    id: String,
    method: String,
    url: String,
    headers: HashMap<String, String>,
    body: Option<Value>,
    depends_on: Vec<String>,
}

fn parse_batch(body: &[u8]) -> Result<Vec<BatchItem>, String> {
    const INVALID: &str = "Invalid batch payload format.";
    let mut document: Value = serde_json::from_slice(body).map_err(|_| INVALID.to_owned())?;
    let Some(requests) = document.get_mut("requests").and_then(Value::as_array_mut) else {
        return Err(format!("{INVALID} The 'requests' array is missing."));
    };
    if requests.len() > MAX_BATCH_REQUESTS {
        // Exact text unconfirmed (graph-behaviors.md §8.7).
        return Err(format!(
            "{INVALID} Number of requests exceeds the maximum of {MAX_BATCH_REQUESTS}."
        ));
    }
    let mut items = Vec::with_capacity(requests.len());
    for request in requests {
        // The body is moved out, not copied: it can be large, and the document is not used again.
        let body = request
            .get_mut("body")
            .map(Value::take)
            .filter(|body| !body.is_null());
        let text = |name: &str| request.get(name).and_then(Value::as_str).map(str::to_owned);
        let (Some(id), Some(method), Some(url)) = (text("id"), text("method"), text("url")) else {
            return Err(format!(
                "{INVALID} Every request needs string 'id', 'method' and 'url'."
            ));
        };
        let headers = request
            .get("headers")
            .and_then(Value::as_object)
            .map(|headers| {
                headers
                    .iter()
                    .filter_map(|(name, value)| {
                        Some((name.to_ascii_lowercase(), value.as_str()?.to_owned()))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let depends_on = match request.get("dependsOn") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(ids)) => ids
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
            Some(_) => return Err(format!("{INVALID} 'dependsOn' must be an array of ids.")),
        };
        items.push(BatchItem {
            id,
            method,
            url,
            headers,
            body,
            depends_on,
        });
    }
    Ok(items)
}

/// A topological order of the items (stable: request order among ready items), or why there is none.
fn execution_order(items: &[BatchItem]) -> Result<Vec<usize>, String> {
    let mut positions: HashMap<String, usize> = HashMap::new();
    for (index, item) in items.iter().enumerate() {
        if positions
            .insert(item.id.to_ascii_lowercase(), index)
            .is_some()
        {
            return Err(format!(
                "Batch request ids must be unique; '{}' appears more than once.",
                item.id
            ));
        }
    }
    for item in items {
        for dependency in &item.depends_on {
            if !positions.contains_key(&dependency.to_ascii_lowercase()) {
                return Err(format!(
                    "Request '{}' depends on '{dependency}', which is not in the batch.",
                    item.id
                ));
            }
        }
    }
    let mut done = vec![false; items.len()];
    let mut order = Vec::with_capacity(items.len());
    while order.len() < items.len() {
        let ready = items.iter().enumerate().find(|(index, item)| {
            !done.get(*index).copied().unwrap_or(true)
                && item.depends_on.iter().all(|dependency| {
                    positions
                        .get(&dependency.to_ascii_lowercase())
                        .is_some_and(|position| done.get(*position).copied().unwrap_or(false))
                })
        });
        match ready {
            Some((index, _)) => {
                if let Some(flag) = done.get_mut(index) {
                    *flag = true;
                }
                order.push(index);
            }
            None => return Err("The dependsOn references of the batch form a cycle.".to_owned()),
        }
    }
    Ok(order)
}
