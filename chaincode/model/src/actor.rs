//! Who acts: organisations and people, as the certificate says.

use serde::{Deserialize, Serialize};

use crate::enums::string_enum;

string_enum! {
    /// A person's medical role: the Fabric CA certificate attribute `role`.
    pub enum Role {
        /// Physician (needs `license_no`).
        Doctor = "doctor",
        /// Nurse.
        Nurse = "nurse",
        /// Pharmacist (needs `license_no`).
        Pharmacist = "pharmacist",
        /// Administrative clerk (registration, paper consents, claims).
        Clerk = "clerk",
        /// Insurer's claims officer.
        ClaimsOfficer = "claims_officer",
        /// The patient (carries `patient_id`).
        Patient = "patient",
        /// Auditor (reads audit trails).
        Auditor = "auditor",
    }
}

string_enum! {
    /// What an organisation is on the channel.
    pub enum OrgKind {
        /// A hospital: registers patients, writes records, prescriptions, certificates, claims.
        Hospital = "hospital",
        /// An insurer: endorses, adjudicates and pays claims.
        Insurer = "insurer",
        /// Pharmacies: dispense prescriptions.
        Pharmacy = "pharmacy",
    }
}

/// The certificate attribute holding the role.
pub const ATTR_ROLE: &str = "role";
/// The certificate attribute holding a doctor's or pharmacist's licence number.
pub const ATTR_LICENSE: &str = "license_no";
/// The certificate attribute holding a patient's pseudonymous id.
pub const ATTR_PATIENT_ID: &str = "patient_id";

/// Who did something, as recorded on the public ledger (FHIR `AuditEvent.agent`, a
/// `Reference` to a practitioner or patient): the organisation, the role and an identifier.
///
/// `id` is the Fabric client identity (`x509::<subject>::<issuer>`, base64, what Go's
/// `cid.GetID` returns) for staff, and the pseudonymous `patient_id` for patients, whose
/// certificate subject may carry their name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Actor {
    /// The organisation's MSP id.
    pub msp_id: String,
    /// The role from the certificate.
    pub role: Role,
    /// The identity (see the type's documentation).
    pub id: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words() {
        assert_eq!(Role::ClaimsOfficer.as_str(), "claims_officer");
        assert_eq!(
            serde_json::to_string(&Role::ClaimsOfficer).unwrap(),
            "\"claims_officer\""
        );
        assert_eq!(Role::parse("role", "pharmacist").unwrap(), Role::Pharmacist);
        let e = Role::parse("role", "docter").unwrap_err();
        assert_eq!(e.field, "role");
        assert!(e.reason.contains("expected one of doctor, nurse"), "{e}");
        assert_eq!(Role::ALL.len(), 7);
        assert_eq!("insurer".parse::<OrgKind>().unwrap(), OrgKind::Insurer);
    }
}
