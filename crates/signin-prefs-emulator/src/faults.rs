//! Fault injection: per route and per user, deterministic under a seed.
//!
//! Each rule keeps a counter of the requests it matched; whether the n-th match fires depends only
//! on the seed, the rule's position and n, so a run with the same requests in the same order sees
//! the same faults.

use std::sync::Mutex;
use std::time::Duration;

use crate::ids::SplitMix64;

/// The operations a fault rule can target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FaultRoute {
    /// Every Graph request (not the token or admin endpoints).
    Any,
    /// `GET …/signInPreferences`.
    GetSignInPreferences,
    /// `PATCH …/signInPreferences`.
    PatchSignInPreferences,
    /// `GET …/authentication/methods`.
    ListMethods,
    /// `POST /$batch` itself (the whole batch response).
    Batch,
    /// `GET /users` (every page).
    ListUsers,
    /// `GET /groups/{id}/transitiveMembers/microsoft.graph.user` (every page).
    ListGroupMembers,
    /// `GET /reports/authenticationMethods/userRegistrationDetails` (every page).
    RegistrationReport,
    /// `GET /policies/authenticationMethodsPolicy`.
    MethodsPolicy,
}

/// What happens to a matching request.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum FaultKind {
    /// 503 `serviceNotAvailable` with this `Retry-After` (seconds).
    ServiceUnavailable {
        /// `Retry-After`, seconds.
        retry_after_seconds: u32,
    },
    /// 504 `gatewayTimeout` with this `Retry-After` (seconds).
    GatewayTimeout {
        /// `Retry-After`, seconds.
        retry_after_seconds: u32,
    },
    /// The request is processed, then the connection is reset (TCP RST) without a response.
    ConnectionReset,
    /// The response is delayed (the request is processed normally).
    Delay(Duration),
    /// The response announces its full `Content-Length` but the connection closes halfway through.
    TruncatedBody,
    /// The response is a 200 whose body is not valid JSON.
    MalformedBody,
}

/// One rule: which requests, what fault, how often.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultRule {
    /// The operation targeted.
    pub route: FaultRoute,
    /// Only requests for this user (object id or UPN, case-insensitive); `None`: every user.
    pub user: Option<String>,
    /// The fault.
    pub kind: FaultKind,
    /// Probability that a matching request gets the fault, drawn from the seeded generator.
    pub probability: f64,
    /// Fire for at most this many matching requests (`None`: no limit).
    pub times: Option<u32>,
}

impl FaultRule {
    /// A rule that fires on every matching request.
    pub fn always(route: FaultRoute, kind: FaultKind) -> Self {
        Self {
            route,
            user: None,
            kind,
            probability: 1.0,
            times: None,
        }
    }

    /// The same rule, for one user only.
    pub fn for_user(mut self, user: &str) -> Self {
        self.user = Some(user.to_owned());
        self
    }

    /// The same rule, firing with `probability`.
    pub fn with_probability(mut self, probability: f64) -> Self {
        self.probability = probability;
        self
    }

    /// The same rule, firing at most `times` times.
    pub fn times(mut self, times: u32) -> Self {
        self.times = Some(times);
        self
    }
}

#[derive(Debug)]
struct RuleState {
    rule: FaultRule,
    matched: u64,
    fired: u32,
}

/// The identity of the request being considered.
pub(crate) struct FaultTarget<'a> {
    pub(crate) route: FaultRoute,
    /// Object id and UPN of the resolved user, or the raw key when the user is unknown.
    pub(crate) user_keys: &'a [&'a str],
}

#[derive(Debug)]
pub(crate) struct Faults {
    seed: u64,
    rules: Mutex<Vec<RuleState>>,
}

impl Faults {
    pub(crate) fn new(seed: u64, rules: Vec<FaultRule>) -> Self {
        let rules = rules
            .into_iter()
            .map(|rule| RuleState {
                rule,
                matched: 0,
                fired: 0,
            })
            .collect();
        Self {
            seed,
            rules: Mutex::new(rules),
        }
    }

    pub(crate) fn add(&self, rule: FaultRule) {
        if let Ok(mut rules) = self.rules.lock() {
            rules.push(RuleState {
                rule,
                matched: 0,
                fired: 0,
            });
        }
    }

    pub(crate) fn clear(&self) {
        if let Ok(mut rules) = self.rules.lock() {
            rules.clear();
        }
    }

    /// The first fault that fires for `target`, if any. Every matching rule counts the request, so
    /// a rule's decisions do not depend on the rules before it.
    pub(crate) fn decide(&self, target: &FaultTarget<'_>) -> Option<FaultKind> {
        let Ok(mut rules) = self.rules.lock() else {
            return None;
        };
        let mut chosen = None;
        for (position, state) in rules.iter_mut().enumerate() {
            let route_matches = state.rule.route == FaultRoute::Any
                && target.route != FaultRoute::Batch
                || state.rule.route == target.route;
            let user_matches = match &state.rule.user {
                None => true,
                Some(user) => target
                    .user_keys
                    .iter()
                    .any(|key| key.eq_ignore_ascii_case(user)),
            };
            if !route_matches || !user_matches {
                continue;
            }
            let draw =
                SplitMix64::for_item(self.seed, 1000 + position as u64, state.matched).unit();
            state.matched += 1;
            let budget_left = state.rule.times.is_none_or(|times| state.fired < times);
            if chosen.is_none() && budget_left && draw < state.rule.probability {
                state.fired += 1;
                chosen = Some(state.rule.kind);
            }
        }
        chosen
    }
}
