//! The encoders: one function per chaincode function, building its [`Call`](crate::Call)
//! (arguments, transient map, expected hashes). The client's methods of the same name run
//! them; use these directly to endorse and submit in separate steps or to inspect the
//! encoding.
//!
//! | module | functions |
//! |---|---|
//! | [`patients`] | `StorePatientDemographics`, `RegisterPatient`, `GetPatient`, `ErasePatient` |
//! | [`consents`] | `StoreConsentForm`, `GrantConsent`, `RevokeConsent`, `ListConsents`, `CheckConsent` |
//! | [`records`] | `StoreRecordContent`, `AddRecord`, `GetRecord`, `AccessRecord` |
//!
//! The `Store…` encoders are the private phases of PHI writes (marked
//! [`Call::is_private_phase`](crate::Call::is_private_phase): the client has the caller's
//! organisation alone endorse them); the client's methods run both phases.
//! | [`prescriptions`] | `IssuePrescription`, `GetPrescription`, `DispensePrescription`, `ConfirmDelivery`, `CancelPrescription`, `ListPrescriptions` |
//! | [`claims`] | `SubmitClaim`, `AdjudicateClaim`, `PayClaim`, `GetClaim`, `ListClaims` |
//! | [`certificates`] | `IssueCertificate`, `VerifyCertificate`, `RevokeCertificate`, `GetCertificate` |
//! | [`audit`] | `GetHistory`, `ListAccessLog` |

pub mod audit;
pub mod certificates;
pub mod claims;
pub mod consents;
pub mod patients;
pub mod prescriptions;
pub mod records;

pub use audit::*;
pub use certificates::*;
pub use claims::*;
pub use consents::*;
pub use patients::*;
pub use prescriptions::*;
pub use records::*;

/// An id argument: the id, or empty to let the chaincode derive `<PREFIX>-<txid prefix>`.
pub(crate) fn id_or_derive(id: Option<&str>) -> String {
    id.unwrap_or_default().to_owned()
}

#[cfg(test)]
mod tests;
