//! `medledger-chaincode`: the medical contract of MedLedger, on the `fabric-chaincode` shim.
//!
//! One contract, `MedLedger` (the default: call functions by their bare names), one module
//! per asset:
//!
//! | module | functions |
//! |---|---|
//! | [`patients`] | `StorePatientDemographics`, `RegisterPatient`, `GetPatient`, `ErasePatient` |
//! | [`consents`] | `StoreConsentForm`, `GrantConsent`, `RevokeConsent`, `ListConsents`, `CheckConsent` |
//! | [`records`] | `StoreRecordContent`, `AddRecord`, `GetRecord`, `AccessRecord` |
//! | [`prescriptions`] | `IssuePrescription`, `GetPrescription`, `DispensePrescription`, `ConfirmDelivery`, `CancelPrescription`, `ListPrescriptions` |
//! | [`claims`] | `SubmitClaim`, `AdjudicateClaim`, `PayClaim`, `GetClaim`, `ListClaims` |
//! | [`certificates`] | `IssueCertificate`, `VerifyCertificate`, `RevokeCertificate`, `GetCertificate` |
//! | [`audit`] | `GetHistory`, `ListAccessLog` |
//!
//! Every function checks, in this order and before writing anything: the caller's role and
//! organisation (403), its arguments (400 naming the field), the assets it refers to (404),
//! the rules that depend on them — ownership, consent (403) — and their state (409). A state
//! change writes public state without PHI, private data only from the transient map, and one
//! event `<Asset><Action>` with ids and status. PHI bound for a hospital's own PHI collection
//! is written in two phases ([`phi`]): a private-only `Store…` transaction endorsed by the
//! hospital alone, then the public function, which checks the stored data by hash. See
//! `docs/medical-contract.md`.
//!
//! ```no_run
//! # async fn serve() -> Result<(), fabric_chaincode::Error> {
//! let chaincode = medledger_chaincode::chaincode()?;
//! fabric_chaincode::run(chaincode).await
//! # }
//! ```

pub mod args;
pub mod audit;
pub mod caller;
pub mod certificates;
pub mod claims;
pub mod consents;
pub mod consortium;
pub mod contract;
pub mod error;
pub mod keys;
pub mod patients;
pub mod phi;
pub mod prescriptions;
pub mod records;
pub mod store;

pub use consortium::{Consortium, ConsortiumError, PRESCRIPTIONS_COLLECTION};
pub use contract::CONTRACT_NAME;
pub use error::{MedError, MedResult};

use fabric_chaincode::contract::ContractChaincode;

/// What every function shares: the consortium directory.
#[derive(Debug)]
pub struct Env {
    /// Which organisation is what, and the collection names.
    pub consortium: Consortium,
}

/// The medical contract for the default network (Seoul Medical Center, Myongji Hospital,
/// NHIS, pharmacies).
pub fn chaincode() -> fabric_chaincode::Result<ContractChaincode> {
    let consortium = Consortium::default_network()
        .map_err(|e| fabric_chaincode::Error::Config(e.to_string()))?;
    contract::build(consortium)
}

/// The medical contract for another consortium directory.
pub fn chaincode_for(consortium: Consortium) -> fabric_chaincode::Result<ContractChaincode> {
    contract::build(consortium)
}
