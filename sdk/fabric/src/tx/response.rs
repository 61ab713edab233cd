//! Endorsing a proposal and checking the endorsements that come back.
//!
//! An endorsement signs `proposal_response_payload ‖ endorser` where `endorser` is the
//! endorsing peer's SerializedIdentity bytes. All endorsements of one transaction must carry
//! byte-identical proposal response payloads.

use super::decode;
use crate::crypto::{Signer, Verifier};
use crate::{Error, Result};
use bytes::Bytes;
use fabric_protos::Message;
use fabric_protos::protos::{
    ChaincodeAction, ChaincodeEvent, ChaincodeId, Endorsement, ProposalResponse,
    ProposalResponsePayload, Response,
};
use std::sync::Arc;

/// The bytes an endorsement signature covers: `prp ‖ endorser`.
pub fn endorsement_message(prp: &[u8], endorser: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(prp.len() + endorser.len());
    m.extend_from_slice(prp);
    m.extend_from_slice(endorser);
    m
}

/// Verifies one endorsement over `prp` with the endorser's key.
pub fn verify_endorsement(
    prp: &[u8],
    endorsement: &Endorsement,
    verifier: &dyn Verifier,
) -> Result<()> {
    verifier.verify(
        &endorsement_message(prp, &endorsement.endorser),
        &endorsement.signature,
    )
}

/// A peer identity that endorses: its SerializedIdentity bytes and its signer.
#[derive(Debug, Clone)]
pub struct Endorser {
    /// SerializedIdentity bytes of the peer.
    pub identity: Bytes,
    /// The peer's signer.
    pub signer: Arc<dyn Signer>,
}

impl Endorser {
    /// Builds the signed ProposalResponse for a simulated proposal, as a peer does.
    ///
    /// `results` is the serialized TxReadWriteSet, `event` the chaincode event (already carrying
    /// chaincode id and txid) or `None`. Status ≥ 400 gets no endorsement: ≥ 500 carries the
    /// payload, 400–499 only the response (Fabric's rule).
    pub fn endorse(
        &self,
        proposal_hash: &[u8],
        chaincode: ChaincodeId,
        response: Response,
        results: Bytes,
        event: Option<&ChaincodeEvent>,
    ) -> Result<ProposalResponse> {
        let action = ChaincodeAction {
            results,
            events: event
                .map(|e| Bytes::from(e.encode_to_vec()))
                .unwrap_or_default(),
            response: Some(response.clone()),
            chaincode_id: Some(chaincode),
        };
        let prp: Bytes = ProposalResponsePayload {
            proposal_hash: Bytes::copy_from_slice(proposal_hash),
            extension: action.encode_to_vec().into(),
        }
        .encode_to_vec()
        .into();
        let status = response.status;
        if (400..500).contains(&status) {
            return Ok(ProposalResponse {
                version: 1,
                response: Some(response),
                ..Default::default()
            });
        }
        if !(200..500).contains(&status) {
            return Ok(ProposalResponse {
                version: 1,
                response: Some(response),
                payload: prp,
                ..Default::default()
            });
        }
        let signature = self
            .signer
            .sign(&endorsement_message(&prp, &self.identity))?;
        Ok(ProposalResponse {
            version: 1,
            timestamp: None,
            response: Some(response),
            payload: prp,
            endorsement: Some(Endorsement {
                endorser: self.identity.clone(),
                signature: signature.into(),
            }),
            interest: None,
        })
    }
}

/// Endorsements collected for one proposal, checked for consistency.
#[derive(Debug, Clone)]
pub struct ResponseSet {
    /// The proposal response payload common to every endorsement (original bytes).
    pub prp: Bytes,
    /// The decoded payload.
    pub payload: ProposalResponsePayload,
    /// The decoded chaincode action.
    pub action: ChaincodeAction,
    /// Endorsements, deduplicated by endorser identity, in arrival order.
    pub endorsements: Vec<Endorsement>,
}

impl ResponseSet {
    /// Checks proposal responses as a client does before assembling a transaction: every
    /// response status in 200..400, every one endorsed, and every payload byte-identical.
    pub fn check(responses: &[ProposalResponse]) -> Result<Self> {
        let first = responses
            .first()
            .ok_or_else(|| Error::Transaction("no proposal responses to assemble".into()))?;
        let mut endorsements: Vec<Endorsement> = Vec::with_capacity(responses.len());
        for (i, r) in responses.iter().enumerate() {
            let status = r.response.as_ref().map(|r| r.status).unwrap_or(0);
            if !(200..400).contains(&status) {
                let message = r
                    .response
                    .as_ref()
                    .map(|r| r.message.as_str())
                    .unwrap_or("");
                return Err(Error::Transaction(format!(
                    "proposal response {i} failed: status {status}, message {message:?}"
                )));
            }
            if r.payload != first.payload {
                return Err(Error::Transaction(format!(
                    "ProposalResponsePayloads do not match: response {i} differs from response 0 \
                     (non-deterministic chaincode or different ledger states)"
                )));
            }
            let e = r.endorsement.as_ref().ok_or_else(|| {
                Error::Transaction(format!("proposal response {i} is not endorsed"))
            })?;
            if !endorsements.iter().any(|x| x.endorser == e.endorser) {
                endorsements.push(e.clone());
            }
        }
        let payload: ProposalResponsePayload = decode("ProposalResponsePayload", &first.payload)?;
        let action: ChaincodeAction = decode("ChaincodeAction", &payload.extension)?;
        Ok(ResponseSet {
            prp: first.payload.clone(),
            payload,
            action,
            endorsements,
        })
    }

    /// The chaincode's response payload (the transaction's result).
    pub fn result(&self) -> &[u8] {
        self.action
            .response
            .as_ref()
            .map(|r| r.payload.as_ref())
            .unwrap_or(&[])
    }
}
