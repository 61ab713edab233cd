//! Certificates: `IssueCertificate`, `VerifyCertificate`, `RevokeCertificate`,
//! `GetCertificate`.

use std::sync::Arc;

use fabric_chaincode::contract::Context;
use medledger_model::{
    CertificateKind, CertificateStatus, CertificateVerification, Commitment, DocumentReference,
    EventPayload, OrgKind, RevocationReason, Role, Timestamp, VerificationResult, events, validate,
};

use crate::Env;
use crate::args::Arg;
use crate::caller::Caller;
use crate::error::{MedError, MedResult};
use crate::keys::{self, types};
use crate::patients;
use crate::store;

pub(crate) async fn load(ctx: &Context, id: &str) -> MedResult<(String, DocumentReference)> {
    let key = keys::primary(types::CERTIFICATE, id)?;
    let cert = store::get(ctx, &key)
        .await?
        .ok_or_else(|| MedError::NotFound(format!("certificate {id}")))?;
    Ok((key, cert))
}

fn event(c: &DocumentReference) -> EventPayload {
    EventPayload {
        id: c.certificate_id.clone(),
        patient_id: Some(c.patient_id.clone()),
        status: Some(c.status.to_string()),
        org: None,
    }
}

/// `IssueCertificate(certificate_id, patient_id, kind, document_hash, valid_until)`.
///
/// Rule: a licensed doctor of a hospital. `document_hash` is `SHA-256(salt ‖ document)`, the
/// salt printed on or sent with the document. `valid_until` (optional) must be after now.
pub async fn issue(
    env: Arc<Env>,
    ctx: Context,
    certificate_id: String,
    patient_id: String,
    kind: Arg<CertificateKind>,
    document_hash: String,
    valid_until: Arg<Option<Timestamp>>,
) -> MedResult<DocumentReference> {
    let caller = Caller::load(&ctx, &env.consortium)?;
    caller.require(&[Role::Doctor], Some(OrgKind::Hospital))?;
    caller.require_license()?;
    let id = store::id_or_derived(&ctx, "certificate_id", &certificate_id, "CERT")?;
    validate::id("patient_id", &patient_id)?;
    let kind = kind.parse("kind")?;
    let document_hash = Commitment::from_hex("document_hash", document_hash.trim())?;
    let valid_until = valid_until.parse("valid_until")?;
    let now = store::now(&ctx)?;
    if let Some(v) = valid_until
        && v <= now
    {
        return Err(MedError::bad_input(
            "valid_until",
            format!("must be after the issue time ({now})"),
        ));
    }
    patients::load_active(&ctx, &patient_id).await?;
    let key = keys::primary(types::CERTIFICATE, &id)?;
    if store::exists(&ctx, &key).await? {
        return Err(MedError::Conflict(format!(
            "certificate {id} already exists"
        )));
    }
    let cert = DocumentReference {
        certificate_id: id.clone(),
        kind,
        patient_id: patient_id.clone(),
        issuer_org: caller.msp_id.clone(),
        issuer: caller.actor()?,
        document_hash,
        issued_at: now,
        valid_until,
        status: CertificateStatus::Valid,
        revocation_reason: None,
        revoked_at: None,
    };
    store::put(&ctx, &key, &cert).await?;
    store::put_index(
        &ctx,
        &keys::key(types::CERTIFICATE_BY_PATIENT, &[&patient_id, &id])?,
    )
    .await?;
    store::emit(&ctx, events::CERTIFICATE_ISSUED, &event(&cert))?;
    Ok(cert)
}

/// `VerifyCertificate(certificate_id, document_hash)`: for any identity of a consortium
/// organisation. Reveals one word: valid, revoked, expired, unknown or hash_mismatch. A wrong
/// hash learns nothing about the certificate's state.
pub async fn verify(
    env: Arc<Env>,
    ctx: Context,
    certificate_id: String,
    document_hash: String,
) -> MedResult<CertificateVerification> {
    let caller = Caller::load(&ctx, &env.consortium)?;
    if caller.kind.is_none() {
        return Err(caller.forbidden("only members of the consortium may verify certificates"));
    }
    validate::id("certificate_id", &certificate_id)?;
    let hash = Commitment::from_hex("document_hash", document_hash.trim())?;
    let cert: Option<DocumentReference> =
        store::get(&ctx, &keys::primary(types::CERTIFICATE, &certificate_id)?).await?;
    let now = store::now(&ctx)?;
    let result = match cert {
        None => VerificationResult::Unknown,
        Some(c) if c.document_hash != hash => VerificationResult::HashMismatch,
        Some(c) if c.status == CertificateStatus::Revoked => VerificationResult::Revoked,
        Some(c) if c.valid_until.is_some_and(|v| now >= v) => VerificationResult::Expired,
        Some(_) => VerificationResult::Valid,
    };
    Ok(CertificateVerification {
        certificate_id,
        result,
    })
}

/// `RevokeCertificate(certificate_id, reason)`: a doctor or clerk of the issuing hospital,
/// with a reason code.
pub async fn revoke(
    env: Arc<Env>,
    ctx: Context,
    certificate_id: String,
    reason: Arg<RevocationReason>,
) -> MedResult<DocumentReference> {
    let caller = Caller::load(&ctx, &env.consortium)?;
    caller.require(&[Role::Doctor, Role::Clerk], Some(OrgKind::Hospital))?;
    validate::id("certificate_id", &certificate_id)?;
    let reason = reason.parse("reason")?;
    let (key, mut cert) = load(&ctx, &certificate_id).await?;
    if caller.msp_id != cert.issuer_org {
        return Err(caller.forbidden(format!(
            "only the issuing hospital ({}) may revoke it",
            cert.issuer_org
        )));
    }
    if cert.status == CertificateStatus::Revoked {
        return Err(MedError::Conflict(format!(
            "certificate {certificate_id} is already revoked"
        )));
    }
    cert.status = CertificateStatus::Revoked;
    cert.revocation_reason = Some(reason);
    cert.revoked_at = Some(store::now(&ctx)?);
    store::put(&ctx, &key, &cert).await?;
    store::emit(&ctx, events::CERTIFICATE_REVOKED, &event(&cert))?;
    Ok(cert)
}

/// Who may read a certificate: staff of the issuing hospital, the patient, auditors.
pub(crate) async fn may_read(
    ctx: &Context,
    caller: &Caller,
    cert: &DocumentReference,
) -> MedResult<bool> {
    if caller.is_staff_of(
        &cert.issuer_org,
        &[Role::Doctor, Role::Nurse, Role::Clerk, Role::Auditor],
    ) || caller.has_role(&[Role::Auditor])
    {
        return Ok(true);
    }
    if caller.has_role(&[Role::Patient]) {
        let patient = patients::load(ctx, &cert.patient_id).await?;
        return Ok(caller.is_patient(&patient));
    }
    Ok(false)
}

/// `GetCertificate(certificate_id)`: the whole public record, for the readers above.
pub async fn get(
    env: Arc<Env>,
    ctx: Context,
    certificate_id: String,
) -> MedResult<DocumentReference> {
    let caller = Caller::load(&ctx, &env.consortium)?;
    validate::id("certificate_id", &certificate_id)?;
    let (_, cert) = load(&ctx, &certificate_id).await?;
    if !may_read(&ctx, &caller, &cert).await? {
        return Err(caller.forbidden(
            "only the issuing hospital, the patient or an auditor may read a certificate; others use VerifyCertificate",
        ));
    }
    Ok(cert)
}
