//! The Graph host's state (the tenant, the gates, the answers it is configured to give) and the
//! gate checks every resource goes through, answered the way Graph answers them.

use std::sync::atomic::AtomicU64;
use std::sync::{Arc, OnceLock};

use super::patch::PatchLeniency;
use super::response::{Correlation, GraphResponse};
use crate::auth::TokenClaims;
use crate::config::{ConfiguredError, EmulatorConfig};
use crate::faults::{FaultKind, FaultTarget};
use crate::gates::Gates;
use crate::tenant::Tenant;

/// The Graph host.
#[derive(Debug)]
pub(crate) struct Graph {
    pub(crate) tenant: Arc<Tenant>,
    pub(crate) gates: Arc<Gates>,
    pub(crate) unknown_user: ConfiguredError,
    pub(crate) unregistered_method: ConfiguredError,
    pub(crate) shuffle_batch_responses: bool,
    pub(crate) patch_leniency: PatchLeniency,
    /// `$batch`es answered so far: the shuffle of each is seeded by its number.
    pub(crate) batches: AtomicU64,
    /// `http://127.0.0.1:PORT`, for next links; set once the server listens.
    pub(crate) base_url: OnceLock<String>,
}

impl Graph {
    pub(crate) fn new(tenant: Arc<Tenant>, gates: Arc<Gates>, config: &EmulatorConfig) -> Self {
        Self {
            tenant,
            gates,
            unknown_user: config.unknown_user.clone(),
            unregistered_method: config.unregistered_method.clone(),
            shuffle_batch_responses: config.shuffle_batch_responses,
            patch_leniency: PatchLeniency {
                case_insensitive_enum_values: config.case_insensitive_enum_values,
                ignore_read_only_properties: config.ignore_read_only_properties,
            },
            batches: AtomicU64::new(0),
            base_url: OnceLock::new(),
        }
    }

    /// The fault decided for a request: `Err` with the answer that replaces the resource's, or
    /// `Ok` with a transport fault to apply when sending (after any delay has been served).
    pub(crate) async fn fault_gate(
        &self,
        target: &FaultTarget<'_>,
        correlation: &Correlation,
    ) -> Result<Option<FaultKind>, GraphResponse> {
        match self.gates.fault(target) {
            Some(FaultKind::Delay(delay)) => {
                tokio::time::sleep(delay).await;
                Ok(None)
            }
            Some(fault) => match GraphResponse::injected(fault, correlation) {
                Some(answer) => Err(answer),
                None => Ok(Some(fault)),
            },
            None => Ok(None),
        }
    }

    /// The 429 answer when the caller's app and tenant are over their budget (reads or writes).
    pub(crate) fn throttle_gate(
        &self,
        claims: &TokenClaims,
        write: bool,
        correlation: &Correlation,
    ) -> Option<GraphResponse> {
        let throttled = self.gates.charge(claims, write).err()?;
        let format = self.gates.throttle_config().retry_after;
        Some(GraphResponse::throttled(&throttled, format, correlation))
    }

    /// The 429 answer when the caller's app and tenant are over their reports budget: a report
    /// page draws on that budget alone.
    pub(crate) fn report_gate(
        &self,
        claims: &TokenClaims,
        correlation: &Correlation,
    ) -> Option<GraphResponse> {
        let throttled = self.gates.charge_report(claims).err()?;
        let format = self.gates.throttle_config().retry_after;
        Some(GraphResponse::throttled(&throttled, format, correlation))
    }
}
