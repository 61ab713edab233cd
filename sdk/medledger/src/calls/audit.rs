//! Audit: `GetHistory`, `ListAccessLog`.

use medledger_model::{AssetType, AuditEvent, HistoryEntry, Page};

use crate::call::{Call, CallKind};
use crate::client::MedLedgerClient;
use crate::error::Result;

/// `GetHistory(asset_type, id)`.
pub fn get_history(asset_type: AssetType, id: &str) -> Call<Vec<HistoryEntry>> {
    Call::new("GetHistory", CallKind::Evaluate)
        .arg(asset_type.as_str())
        .arg(id)
}

/// `ListAccessLog(patient_id, page_size, bookmark)`.
pub fn list_access_log(patient_id: &str, page_size: u32, bookmark: &str) -> Call<Page<AuditEvent>> {
    Call::new("ListAccessLog", CallKind::Evaluate)
        .arg(patient_id)
        .arg(page_size.to_string())
        .arg(bookmark)
}

impl MedLedgerClient {
    /// `GetHistory`: every committed version of an asset the caller may read, newest first,
    /// with txid and time.
    pub async fn get_history(&self, asset_type: AssetType, id: &str) -> Result<Vec<HistoryEntry>> {
        self.evaluate(get_history(asset_type, id)).await
    }

    /// `ListAccessLog`: one page of the accesses to a patient's records, oldest first (the
    /// patient, the home hospital's staff, auditors).
    pub async fn list_access_log(
        &self,
        patient_id: &str,
        page_size: u32,
        bookmark: &str,
    ) -> Result<Page<AuditEvent>> {
        self.evaluate(list_access_log(patient_id, page_size, bookmark))
            .await
    }
}
