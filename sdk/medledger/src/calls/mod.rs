//! The encoders: one function per chaincode function, building its [`Call`](crate::Call)
//! (arguments, transient map, expected hashes). The client's methods of the same name run
//! them; use these directly to endorse and submit in separate steps or to inspect the
//! encoding.
//!
//! | module | functions |
//! |---|---|
//! | [`patients`] | `RegisterPatient`, `GetPatient`, `ErasePatient` |
//! | [`consents`] | `GrantConsent`, `RevokeConsent`, `ListConsents`, `CheckConsent` |
//! | [`records`] | `AddRecord`, `GetRecord`, `AccessRecord` |
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
