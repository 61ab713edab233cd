//! Prescriptions: `IssuePrescription`, `GetPrescription`, `DispensePrescription`,
//! `ConfirmDelivery`, `CancelPrescription`, `ListPrescriptions`.

use medledger_model::{
    MedicationRequest, Page, PrescriptionInput, PrescriptionStatus, PrescriptionView,
};

use super::id_or_derive;
use crate::call::{Call, CallKind, optional};
use crate::client::{Committed, MedLedgerClient};
use crate::documents::new_salt;
use crate::error::Result;

/// `IssuePrescription(prescription_id, patient_id, validity_days)`, transient `prescription`
/// (medications and notes, canonical JSON) and `salt` (drawn here). The chaincode adds the
/// prescriber's licence (from the certificate) to the content it hashes.
pub fn issue_prescription(
    prescription_id: Option<&str>,
    patient_id: &str,
    validity_days: Option<u32>,
    prescription: &PrescriptionInput,
) -> Result<Call<MedicationRequest>> {
    Ok(Call::new("IssuePrescription", CallKind::Submit)
        .arg(id_or_derive(prescription_id))
        .arg(patient_id)
        .arg(optional(validity_days))
        .transient_json("prescription", prescription)?
        .salt(&new_salt()?))
}

/// `GetPrescription(prescription_id)`.
pub fn get_prescription(prescription_id: &str) -> Call<PrescriptionView> {
    Call::new("GetPrescription", CallKind::Evaluate).arg(prescription_id)
}

/// `DispensePrescription(prescription_id)`.
pub fn dispense_prescription(prescription_id: &str) -> Call<MedicationRequest> {
    Call::new("DispensePrescription", CallKind::Submit).arg(prescription_id)
}

/// `ConfirmDelivery(prescription_id)`.
pub fn confirm_delivery(prescription_id: &str) -> Call<MedicationRequest> {
    Call::new("ConfirmDelivery", CallKind::Submit).arg(prescription_id)
}

/// `CancelPrescription(prescription_id)`.
pub fn cancel_prescription(prescription_id: &str) -> Call<MedicationRequest> {
    Call::new("CancelPrescription", CallKind::Submit).arg(prescription_id)
}

/// `ListPrescriptions(patient_id, status, page_size, bookmark)`: a patient's prescriptions
/// (optionally one status), or with `patient_id` `None` this organisation's prescriptions in
/// `status` (required then).
pub fn list_prescriptions(
    patient_id: Option<&str>,
    status: Option<PrescriptionStatus>,
    page_size: u32,
    bookmark: &str,
) -> Call<Page<MedicationRequest>> {
    Call::new("ListPrescriptions", CallKind::Evaluate)
        .arg(patient_id.unwrap_or_default())
        .arg(optional(status))
        .arg(page_size.to_string())
        .arg(bookmark)
}

impl MedLedgerClient {
    /// `IssuePrescription`: a doctor of a hospital with a licence prescribes; the content
    /// goes (transient) into the `Prescriptions` collection, its salted hash in public state.
    /// `validity_days` 1-90, `None` = 3. Event `PrescriptionIssued`. Refusals: 400
    /// (`prescription.medications[0].code`…), 403 (not a licensed doctor of a hospital), 404
    /// (patient), 409.
    pub async fn issue_prescription(
        &self,
        prescription_id: Option<&str>,
        patient_id: &str,
        validity_days: Option<u32>,
        prescription: &PrescriptionInput,
    ) -> Result<Committed<MedicationRequest>> {
        self.submit(issue_prescription(
            prescription_id,
            patient_id,
            validity_days,
            prescription,
        )?)
        .await
    }

    /// `GetPrescription`: the public record, with the content for the patient, the
    /// prescriber's staff and pharmacists.
    pub async fn get_prescription(&self, prescription_id: &str) -> Result<PrescriptionView> {
        self.evaluate(get_prescription(prescription_id)).await
    }

    /// `DispensePrescription`: a licensed pharmacist of a pharmacy dispenses an issued,
    /// unexpired prescription, once. Of two dispenses endorsed on the same state only one
    /// commits; the other fails with [`Error::Commit`](crate::Error::Commit)
    /// `MVCC_READ_CONFLICT`. Event `PrescriptionDispensed` (org: pharmacy).
    pub async fn dispense_prescription(
        &self,
        prescription_id: &str,
    ) -> Result<Committed<MedicationRequest>> {
        self.submit(dispense_prescription(prescription_id)).await
    }

    /// `ConfirmDelivery`: the patient, or a pharmacist or clerk of the dispensing pharmacy,
    /// confirms the delivery of a dispensed prescription. Event `PrescriptionDelivered`.
    pub async fn confirm_delivery(
        &self,
        prescription_id: &str,
    ) -> Result<Committed<MedicationRequest>> {
        self.submit(confirm_delivery(prescription_id)).await
    }

    /// `CancelPrescription`: the prescribing doctor cancels an issued prescription. Event
    /// `PrescriptionCancelled`.
    pub async fn cancel_prescription(
        &self,
        prescription_id: &str,
    ) -> Result<Committed<MedicationRequest>> {
        self.submit(cancel_prescription(prescription_id)).await
    }

    /// `ListPrescriptions`: one page (`page_size` 1-100; pass the returned bookmark for the
    /// next, `""` for the first).
    pub async fn list_prescriptions(
        &self,
        patient_id: Option<&str>,
        status: Option<PrescriptionStatus>,
        page_size: u32,
        bookmark: &str,
    ) -> Result<Page<MedicationRequest>> {
        self.evaluate(list_prescriptions(patient_id, status, page_size, bookmark))
            .await
    }
}
