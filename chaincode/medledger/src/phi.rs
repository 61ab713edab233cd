//! Two-phase PHI writes: the private phase stores PHI in the caller's own PHI collection with
//! a *seal* — the salted commitment, under its own private key — and the public phase checks
//! the commitment it is given against the seal's hash, which every peer of the channel holds.
//!
//! The private phase (`StorePatientDemographics`, `StoreRecordContent`, `StoreConsentForm`)
//! writes only the collection, so Fabric validates it against the collection's endorsement
//! policy alone (`OR('<Hospital>.peer')`): the caller's organisation endorses it and no other
//! peer sees the transient data. Its endorser computes the commitment from the content and the
//! salt, so the seal binds the commitment to the content. The public phase (`RegisterPatient`,
//! `AddRecord`, `GrantConsent`, `RevokeConsent`) carries no PHI: it reads the seal's hash with
//! `GetPrivateDataHash` (no private read, so any endorser can run it) and compares it with
//! `SHA-256(commitment)`.

use fabric_chaincode::contract::Context;
use medledger_model::{Commitment, StoredPhi, sha256};
use serde::Serialize;

use crate::Env;
use crate::caller::Caller;
use crate::error::{MedError, MedResult};
use crate::keys::{self, types};
use crate::store;

/// The caller's PHI collection (a hospital's; 403 for organisations without one).
pub(crate) fn home_collection(env: &Env, caller: &Caller) -> MedResult<String> {
    env.consortium.phi_collection(&caller.msp_id).ok_or_else(|| {
        caller.forbidden("PHI goes to the caller's hospital's PHI collection; the caller's organisation has none")
    })
}

/// The private key of a value (`private_type`, `attributes`), and of its seal.
pub(crate) fn keys_of(private_type: &str, attributes: &[&str]) -> MedResult<(String, String)> {
    let key = keys::key(private_type, attributes)?;
    let mut seal_attrs = vec![private_type];
    seal_attrs.extend_from_slice(attributes);
    let seal = keys::key(types::PHI_SEAL, &seal_attrs)?;
    Ok((key, seal))
}

/// The private phase's write: the value and its seal (the commitment's 32 bytes), nothing
/// public, no event.
pub(crate) async fn store_sealed<T: Serialize>(
    ctx: &Context,
    collection: &str,
    (key, seal): (String, String),
    value: &T,
    commitment: &Commitment,
) -> MedResult<()> {
    store::put_private(ctx, collection, &key, value).await?;
    ctx.stub()
        .put_private_data(collection, &seal, commitment.as_bytes().to_vec())
        .await?;
    Ok(())
}

/// The private phase's answer.
pub(crate) fn stored(id: &str, collection: &str, commitment: Commitment) -> StoredPhi {
    StoredPhi {
        id: id.to_owned(),
        collection: collection.to_owned(),
        commitment,
    }
}

/// The public phase's check: the seal exists in `collection` (404 naming the private-phase
/// function otherwise) and holds `commitment` (400 on `field` otherwise). Reads only the
/// seal's hash.
pub(crate) async fn check_sealed(
    ctx: &Context,
    collection: &str,
    seal: &str,
    field: &str,
    commitment: &Commitment,
    what: &str,
    private_phase: &str,
) -> MedResult<()> {
    let Some(hash) = ctx.stub().get_private_data_hash(collection, seal).await? else {
        return Err(MedError::NotFound(format!(
            "{what} in {collection} (store it first with {private_phase}, endorsed by the caller's organisation)"
        )));
    };
    if hash.as_ref() != sha256(commitment.as_bytes()).as_bytes() {
        return Err(MedError::bad_input(
            field,
            format!(
                "does not match the commitment {private_phase} stored for the {what} in {collection}"
            ),
        ));
    }
    Ok(())
}

/// The public phase carries no PHI: a transient entry meant for the private phase is refused
/// (400 naming it), so that an old client never hands PHI to a non-member endorser.
pub(crate) fn refuse_transient(
    ctx: &Context,
    names: &[&str],
    private_phase: &str,
) -> MedResult<()> {
    for name in names {
        if ctx.transient(name)?.is_some() {
            return Err(MedError::bad_input(
                *name,
                format!(
                    "{} takes no private data: store it first with {private_phase} (endorsed by the caller's organisation alone) and pass the commitment it returns",
                    ctx.function_name()
                ),
            ));
        }
    }
    Ok(())
}
