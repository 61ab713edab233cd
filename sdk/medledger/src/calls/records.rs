//! Records: `StoreRecordContent`, `AddRecord`, `GetRecord`, `AccessRecord`.

use medledger_model::{
    ConsentPurpose, FhirResourceType, MedicalRecord, RecordCategory, RecordLocation, RecordView,
    StoredPhi,
};

use super::id_or_derive;
use crate::call::{Call, CallKind};
use crate::client::{Committed, MedLedgerClient};
use crate::documents::RecordDocument;
use crate::error::Result;

/// What `AddRecord` records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRecord {
    /// The record's id; `None` lets the chaincode derive `REC-<txid prefix>`.
    pub record_id: Option<String>,
    /// The patient.
    pub patient_id: String,
    /// Its category (consents are given per category).
    pub category: RecordCategory,
    /// The FHIR R4 resource type of the document.
    pub resource_type: FhirResourceType,
    /// Where the document can be fetched: an https URL or a urn, without query string.
    pub location: String,
    /// The document's salted hash, and its content when kept on the ledger.
    pub document: RecordDocument,
}

/// `StoreRecordContent(record_id, patient_id, content_hash)`, transient `record_content` and
/// `salt`: the private phase of a record kept on the ledger, endorsed by the caller's
/// organisation alone (`None` for a record kept off the ledger). The answer carries the record
/// id (derived by the chaincode when `record_id` is `None`).
pub fn store_record_content(record: &NewRecord) -> Option<Call<StoredPhi>> {
    let content = record.document.content.as_ref()?;
    Some(
        Call::new("StoreRecordContent", CallKind::Submit)
            .arg(id_or_derive(record.record_id.as_deref()))
            .arg(&record.patient_id)
            .arg(record.document.salted.hash.to_hex())
            .transient_bytes("record_content", content.as_bytes().to_vec())
            .salt(&record.document.salted.salt)
            .own_phi()
            .expect_hash(
                "commitment",
                record.document.salted.hash.clone(),
                |s: &StoredPhi| Some(&s.commitment),
            ),
    )
}

/// `AddRecord(record_id, patient_id, category, resource_type, content_hash, location,
/// content_on_ledger)`: the public record, no transient data. The hash is computed here
/// ([`RecordDocument`]); with content, run [`store_record_content`] first and pass its id.
pub fn add_record(record: &NewRecord) -> Call<MedicalRecord> {
    Call::new("AddRecord", CallKind::Submit)
        .arg(id_or_derive(record.record_id.as_deref()))
        .arg(&record.patient_id)
        .arg(record.category.as_str())
        .arg(record.resource_type.as_str())
        .arg(record.document.salted.hash.to_hex())
        .arg(&record.location)
        .arg(record.document.content.is_some().to_string())
        .expect_hash(
            "content_hash",
            record.document.salted.hash.clone(),
            |r: &MedicalRecord| Some(&r.content_hash),
        )
}

/// `GetRecord(record_id)`.
pub fn get_record(record_id: &str) -> Call<RecordView> {
    Call::new("GetRecord", CallKind::Evaluate).arg(record_id)
}

/// `AccessRecord(record_id, purpose)`.
pub fn access_record(record_id: &str, purpose: ConsentPurpose) -> Call<RecordLocation> {
    Call::new("AccessRecord", CallKind::Submit)
        .arg(record_id)
        .arg(purpose.as_str())
}

impl MedLedgerClient {
    /// `AddRecord`: a doctor or nurse of a hospital records a document's metadata (public)
    /// and optionally its content (the hospital's PHI collection). With content, first
    /// `StoreRecordContent`, endorsed by the hospital alone (its id in
    /// [`Committed::private_transaction_id`]), then the public `AddRecord`, which carries
    /// only the hash. Event `RecordAdded`.
    pub async fn add_record(&self, record: &NewRecord) -> Result<Committed<MedicalRecord>> {
        let Some(store) = store_record_content(record) else {
            return self.submit(add_record(record)).await;
        };
        let stored = self.submit(store).await?;
        let record = NewRecord {
            record_id: Some(stored.value.id.clone()),
            ..record.clone()
        };
        Ok(self.submit(add_record(&record)).await?.after(stored))
    }

    /// `GetRecord`: the metadata (and the content, when on the ledger and readable here) for
    /// the record's hospital's staff and the patient.
    pub async fn get_record(&self, record_id: &str) -> Result<RecordView> {
        self.evaluate(get_record(record_id)).await
    }

    /// `AccessRecord`: another organisation reads a record for a purpose; the chaincode
    /// checks its consent, logs the access (an `AuditEvent`) and returns where to fetch the
    /// document and its salted hash. Check the fetched document with
    /// `location.content_hash.verify(&salt, &bytes)`. Event `RecordAccessed` (org: reader).
    /// Refusals: 403 without a consent in force for this organisation, purpose and category.
    pub async fn access_record(
        &self,
        record_id: &str,
        purpose: ConsentPurpose,
    ) -> Result<Committed<RecordLocation>> {
        self.submit(access_record(record_id, purpose)).await
    }
}
