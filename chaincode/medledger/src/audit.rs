//! Audit: `GetHistory` (every version of an asset, for those who may read it) and
//! `ListAccessLog` (who accessed a patient's records from another organisation).

use std::sync::Arc;

use fabric_chaincode::contract::Context;
use medledger_model::{
    AssetType, AuditEvent, Claim, Consent, HistoryEntry, MedicalRecord, Page, Timestamp, validate,
};

use crate::Env;
use crate::args::Arg;
use crate::caller::Caller;
use crate::error::{MedError, MedResult};
use crate::keys::{self, types};
use crate::store::{self, PageRequest};
use crate::{certificates, consents, patients, prescriptions, records};

/// `GetHistory(asset_type, id)`: every committed version of an asset, newest first, for a
/// caller who may read the asset now (the rule of its `Get…` function: patients for any member
/// with a medical role, consents for `ListConsents`' readers, records for `GetRecord`'s,
/// prescriptions, claims and certificates for theirs).
pub async fn history(
    env: Arc<Env>,
    ctx: Context,
    asset_type: Arg<AssetType>,
    id: String,
) -> MedResult<Vec<HistoryEntry>> {
    let caller = Caller::load(&ctx, &env.consortium)?;
    if caller.role.is_none() || caller.kind.is_none() {
        return Err(
            caller.forbidden("only members of the consortium with a medical role may read history")
        );
    }
    let asset_type = asset_type.parse("asset_type")?;
    validate::id("id", &id)?;
    let allowed = match asset_type {
        AssetType::Patient => {
            patients::load(&ctx, &id).await?;
            true
        }
        AssetType::Consent => {
            let consent: Consent = store::get(&ctx, &keys::primary(types::CONSENT, &id)?)
                .await?
                .ok_or_else(|| MedError::NotFound(format!("consent {id}")))?;
            let patient = patients::load(&ctx, &consent.patient_id).await?;
            consents::may_read(&caller, &patient, &consent)
        }
        AssetType::Record => {
            let record: MedicalRecord = records::load(&ctx, &id).await?;
            records::may_read(&ctx, &caller, &record).await?
        }
        AssetType::Prescription => {
            let (_, rx) = prescriptions::load(&ctx, &id).await?;
            prescriptions::may_read_loaded(&ctx, &caller, &rx).await?
        }
        AssetType::Claim => {
            let claim: Claim = store::get(&ctx, &keys::primary(types::CLAIM, &id)?)
                .await?
                .ok_or_else(|| MedError::NotFound(format!("claim {id}")))?;
            crate::claims::may_read(&ctx, &caller, &claim).await?
        }
        AssetType::Certificate => {
            let (_, cert) = certificates::load(&ctx, &id).await?;
            certificates::may_read(&ctx, &caller, &cert).await?
        }
    };
    if !allowed {
        return Err(caller.forbidden(format!(
            "the caller may not read {asset_type} {id}, so not its history either"
        )));
    }
    let object_type = match asset_type {
        AssetType::Patient => types::PATIENT,
        AssetType::Consent => types::CONSENT,
        AssetType::Record => types::RECORD,
        AssetType::Prescription => types::PRESCRIPTION,
        AssetType::Claim => types::CLAIM,
        AssetType::Certificate => types::CERTIFICATE,
    };
    let modifications = ctx
        .stub()
        .get_history_for_key(&keys::primary(object_type, &id)?)
        .await?
        .collect()
        .await?;
    modifications
        .into_iter()
        .map(|m| {
            let seconds = m.timestamp.map(|t| t.seconds).unwrap_or_default();
            let value = if m.is_delete || m.value.is_empty() {
                None
            } else {
                Some(serde_json::from_slice(&m.value).map_err(|e| {
                    MedError::Internal(format!(
                        "a stored version of {asset_type} {id} does not decode: {e}"
                    ))
                })?)
            };
            Ok(HistoryEntry {
                txid: m.tx_id,
                timestamp: Timestamp::from_unix("timestamp", seconds)?,
                is_delete: m.is_delete,
                value,
            })
        })
        .collect()
}

/// `ListAccessLog(patient_id, page_size, bookmark)`: the accesses to a patient's records, oldest
/// first, for the patient, the home hospital's staff and auditors.
pub async fn access_log(
    env: Arc<Env>,
    ctx: Context,
    patient_id: String,
    page_size: Arg<u32>,
    bookmark: String,
) -> MedResult<Page<AuditEvent>> {
    let caller = Caller::load(&ctx, &env.consortium)?;
    validate::id("patient_id", &patient_id)?;
    let request = PageRequest::new(page_size.parse("page_size")?, &bookmark)?;
    let patient = patients::load(&ctx, &patient_id).await?;
    if !patients::may_read_patient_data(&caller, &patient) {
        return Err(caller.forbidden(
            "only the patient, the home hospital's staff or an auditor may read the access log",
        ));
    }
    let (kvs, bookmark) = store::page(&ctx, types::ACCESS_LOG, &[&patient_id], &request).await?;
    let items = kvs
        .iter()
        .map(|(key, value)| {
            serde_json::from_slice(value).map_err(|e| {
                MedError::Internal(format!(
                    "access log entry {:?} does not decode: {e}",
                    key.replace('\u{0}', "~")
                ))
            })
        })
        .collect::<MedResult<Vec<AuditEvent>>>()?;
    Ok(Page { items, bookmark })
}
