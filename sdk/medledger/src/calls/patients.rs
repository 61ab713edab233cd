//! Patients: `StorePatientDemographics`, `RegisterPatient`, `GetPatient`, `ErasePatient`.

use medledger_model::{
    Commitment, ErasureReceipt, Patient, PatientDemographics, PatientView, StoredPhi,
};

use crate::call::{Call, CallKind};
use crate::client::{Committed, MedLedgerClient};
use crate::error::Result;

/// `StorePatientDemographics(patient_id)`, transient `patient` (the demographics, canonical
/// JSON) and `salt` (drawn here): the private phase of a registration, endorsed by the
/// caller's organisation alone. The answer's `commitment` is checked against the hash
/// computed here; pass it to [`register_patient`].
pub fn store_patient_demographics(
    patient_id: &str,
    demographics: &PatientDemographics,
) -> Result<Call<StoredPhi>> {
    Ok(Call::new("StorePatientDemographics", CallKind::Submit)
        .arg(patient_id)
        .transient_json_committed("patient", demographics, "commitment", |s: &StoredPhi| {
            Some(&s.commitment)
        })?
        .own_phi())
}

/// `RegisterPatient(patient_id, demographics_hash)`: the public phase, no transient data. The
/// answer's `demographics_hash` is checked against `demographics_hash`.
pub fn register_patient(patient_id: &str, demographics_hash: &Commitment) -> Call<Patient> {
    Call::new("RegisterPatient", CallKind::Submit)
        .arg(patient_id)
        .arg(demographics_hash.to_hex())
        .expect_hash(
            "demographics_hash",
            demographics_hash.clone(),
            |p: &Patient| Some(&p.demographics_hash),
        )
}

/// `GetPatient(patient_id)`.
pub fn get_patient(patient_id: &str) -> Call<PatientView> {
    Call::new("GetPatient", CallKind::Evaluate).arg(patient_id)
}

/// `ErasePatient(patient_id)`.
pub fn erase_patient(patient_id: &str) -> Call<ErasureReceipt> {
    Call::new("ErasePatient", CallKind::Submit).arg(patient_id)
}

impl MedLedgerClient {
    /// `StorePatientDemographics` then `RegisterPatient`: registers `patient_id` (a pseudonym,
    /// never a resident registration number) with this client's hospital as home org. The
    /// demographics travel in the transient map into the hospital's PHI collection in a
    /// transaction endorsed by the hospital alone; the public transaction, endorsed under the
    /// chaincode policy, carries only their salted hash. Returns the public transaction, with
    /// the private one's id in [`Committed::private_transaction_id`].
    ///
    /// Rule: a clerk or doctor of a hospital. Event `PatientRegistered`. Refusals: 400 (a
    /// demographics field, `patient.name.family`…), 403, 409 (already registered).
    pub async fn register_patient(
        &self,
        patient_id: &str,
        demographics: &PatientDemographics,
    ) -> Result<Committed<Patient>> {
        let stored = self
            .submit(store_patient_demographics(patient_id, demographics)?)
            .await?;
        let call = register_patient(patient_id, &stored.value.commitment);
        Ok(self.submit(call).await?.after(stored))
    }

    /// `GetPatient`: the public record; with the demographics for the patient and the home
    /// hospital's doctors, nurses and clerks.
    pub async fn get_patient(&self, patient_id: &str) -> Result<PatientView> {
        self.evaluate(get_patient(patient_id)).await
    }

    /// `ErasePatient`: purges the patient's private data from every collection the home
    /// hospital writes and marks the patient erased; returns the erasure receipt.
    ///
    /// Rule: a clerk of the home hospital, patient active. Event `PatientErased`.
    pub async fn erase_patient(&self, patient_id: &str) -> Result<Committed<ErasureReceipt>> {
        self.submit(erase_patient(patient_id)).await
    }
}
