//! Two-phase PHI writes: what the private phase answers.
//!
//! A hospital's PHI collection has one member, so a transaction writing it *and* public state
//! would need a second organisation's endorsement (the chaincode policy) — and that peer would
//! see the transient PHI. The contract therefore splits such writes: a private-only
//! transaction (`StorePatientDemographics`, `StoreRecordContent`, `StoreConsentForm`),
//! endorsed by the caller's organisation alone, stores the PHI with its salted commitment; the
//! public transaction (`RegisterPatient`, `AddRecord`, `GrantConsent`, `RevokeConsent`) names
//! the commitment, which any endorser checks against the private data's hash on the ledger.

use serde::{Deserialize, Serialize};

use crate::commitment::Commitment;

/// The answer of a private-phase function: where the PHI went and the commitment to pass to
/// the public function. No PHI: ids, a collection name and a salted hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct StoredPhi {
    /// The id the PHI is stored under (patient, record or consent; derived ids are fixed
    /// here: pass this one to the public function).
    pub id: String,
    /// The caller's PHI collection that holds it.
    pub collection: String,
    /// `SHA-256(salt ‖ content)`: the argument of the public function (`demographics_hash`,
    /// `content_hash`, `document_hash`).
    pub commitment: Commitment,
}
