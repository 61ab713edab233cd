//! Transaction envelopes: assembly from endorsements, signing, and parsing with the committer's
//! structural checks.

use super::decode;
use super::proposal::{ParsedProposal, payload_without_transient};
use crate::crypto::{Signer, Verifier, sha256};
use crate::{Error, Result};
use bytes::Bytes;
use fabric_protos::Message;
use fabric_protos::common::{ChannelHeader, Envelope, Header, Payload, SignatureHeader};
use fabric_protos::protos::{
    ChaincodeAction, ChaincodeActionPayload, ChaincodeEndorsedAction, ChaincodeProposalPayload,
    Endorsement, ProposalResponsePayload, Transaction, TransactionAction,
};

/// A transaction envelope whose payload is ready to sign.
#[derive(Debug, Clone)]
pub struct UnsignedTransaction {
    txid: String,
    payload: Bytes,
}

impl UnsignedTransaction {
    /// Assembles the transaction for `proposal` from endorsements that share `prp`.
    ///
    /// Uses the proposal's original channel header and signature header bytes, the
    /// SignatureHeader bytes again as `TransactionAction.header`, and the proposal payload with
    /// the transient map removed. Endorsements are deduplicated by endorser.
    pub fn assemble(
        proposal: &ParsedProposal,
        prp: &Bytes,
        endorsements: &[Endorsement],
    ) -> Result<Self> {
        if endorsements.is_empty() {
            return Err(Error::Transaction(
                "a transaction needs at least one endorsement".into(),
            ));
        }
        let mut unique: Vec<Endorsement> = Vec::with_capacity(endorsements.len());
        for e in endorsements {
            if !unique.iter().any(|u| u.endorser == e.endorser) {
                unique.push(e.clone());
            }
        }
        let cap = ChaincodeActionPayload {
            chaincode_proposal_payload: payload_without_transient(&proposal.input_bytes).into(),
            action: Some(ChaincodeEndorsedAction {
                proposal_response_payload: prp.clone(),
                endorsements: unique,
            }),
        };
        let tx = Transaction {
            actions: vec![TransactionAction {
                header: proposal.signature_header_bytes.clone(),
                payload: cap.encode_to_vec().into(),
            }],
        };
        let payload = Payload {
            header: Some(Header {
                channel_header: proposal.channel_header_bytes.clone(),
                signature_header: proposal.signature_header_bytes.clone(),
            }),
            data: tx.encode_to_vec().into(),
        };
        Ok(UnsignedTransaction {
            txid: proposal.txid().to_owned(),
            payload: payload.encode_to_vec().into(),
        })
    }

    /// Wraps an envelope payload received from elsewhere (e.g. a gateway's EndorseResponse).
    pub fn from_payload(txid: impl Into<String>, payload: Bytes) -> Self {
        UnsignedTransaction {
            txid: txid.into(),
            payload,
        }
    }

    /// The transaction id.
    pub fn txid(&self) -> &str {
        &self.txid
    }

    /// The envelope payload bytes: what is signed.
    pub fn bytes(&self) -> &Bytes {
        &self.payload
    }

    /// SHA-256 of the payload: what an ECDSA signer signs.
    pub fn digest(&self) -> [u8; 32] {
        sha256(&self.payload)
    }

    /// Signs with the creator's signer.
    pub fn sign(&self, signer: &dyn Signer) -> Result<Envelope> {
        Ok(self.with_signature(signer.sign(&self.payload)?))
    }

    /// Attaches a signature made elsewhere.
    pub fn with_signature(&self, signature: impl Into<Bytes>) -> Envelope {
        Envelope {
            payload: self.payload.clone(),
            signature: signature.into(),
        }
    }
}

/// A decoded endorser transaction with every signed or hashed piece kept as original bytes.
#[derive(Debug, Clone)]
pub struct ParsedTransaction {
    /// The envelope as received.
    pub envelope: Envelope,
    /// Payload.header.channel_header bytes.
    pub channel_header_bytes: Bytes,
    /// Payload.header.signature_header bytes.
    pub signature_header_bytes: Bytes,
    /// The decoded channel header.
    pub channel_header: ChannelHeader,
    /// The decoded signature header.
    pub signature_header: SignatureHeader,
    /// TransactionAction.header bytes (a SignatureHeader).
    pub action_header_bytes: Bytes,
    /// ChaincodeActionPayload.chaincode_proposal_payload bytes.
    pub chaincode_proposal_payload: Bytes,
    /// The decoded chaincode proposal payload.
    pub proposal_payload: ChaincodeProposalPayload,
    /// The proposal response payload bytes the endorsements sign.
    pub prp: Bytes,
    /// The decoded proposal response payload.
    pub response_payload: ProposalResponsePayload,
    /// The decoded chaincode action (rwset, events, response, chaincode id).
    pub action: ChaincodeAction,
    /// The endorsements.
    pub endorsements: Vec<Endorsement>,
}

impl ParsedTransaction {
    /// Decodes an ENDORSER_TRANSACTION envelope. Fails on anything a committer would mark
    /// BAD_PAYLOAD, BAD_COMMON_HEADER or INVALID_ENDORSER_TRANSACTION structurally (the
    /// [`ParsedTransaction::check_proposal_hash`] check and signatures come separately).
    pub fn parse(envelope: &Envelope) -> Result<Self> {
        if envelope.payload.is_empty() {
            return Err(Error::Malformed {
                what: "Envelope",
                reason: "empty payload".into(),
            });
        }
        let payload: Payload = decode("Payload", &envelope.payload)?;
        let header = payload.header.ok_or_else(|| Error::Malformed {
            what: "Payload",
            reason: "no header".into(),
        })?;
        let channel_header: ChannelHeader = decode("ChannelHeader", &header.channel_header)?;
        let signature_header: SignatureHeader =
            decode("SignatureHeader", &header.signature_header)?;
        super::require_endorser_transaction(&channel_header)?;
        let tx: Transaction = decode("Transaction", &payload.data)?;
        if tx.actions.len() != 1 {
            return Err(Error::Malformed {
                what: "Transaction",
                reason: format!("has {} actions, Fabric accepts exactly 1", tx.actions.len()),
            });
        }
        let Some(ta) = tx.actions.into_iter().next() else {
            return Err(Error::Malformed {
                what: "Transaction",
                reason: "no action".into(),
            });
        };
        let cap: ChaincodeActionPayload = decode("ChaincodeActionPayload", &ta.payload)?;
        let endorsed = cap.action.ok_or_else(|| Error::Malformed {
            what: "ChaincodeActionPayload",
            reason: "no endorsed action".into(),
        })?;
        let proposal_payload: ChaincodeProposalPayload =
            decode("ChaincodeProposalPayload", &cap.chaincode_proposal_payload)?;
        let response_payload: ProposalResponsePayload = decode(
            "ProposalResponsePayload",
            &endorsed.proposal_response_payload,
        )?;
        let action: ChaincodeAction = decode("ChaincodeAction", &response_payload.extension)?;
        Ok(ParsedTransaction {
            envelope: envelope.clone(),
            channel_header_bytes: header.channel_header,
            signature_header_bytes: header.signature_header,
            channel_header,
            signature_header,
            action_header_bytes: ta.header,
            chaincode_proposal_payload: cap.chaincode_proposal_payload,
            proposal_payload,
            prp: endorsed.proposal_response_payload,
            response_payload,
            action,
            endorsements: endorsed.endorsements,
        })
    }

    /// The transaction id.
    pub fn txid(&self) -> &str {
        &self.channel_header.tx_id
    }

    /// The creator's SerializedIdentity bytes.
    pub fn creator(&self) -> &Bytes {
        &self.signature_header.creator
    }

    /// The committer's check: SHA-256(channel header ‖ action header ‖ chaincode proposal
    /// payload) must equal the proposal hash the endorsers signed.
    pub fn check_proposal_hash(&self) -> Result<()> {
        let expected = crate::crypto::sha256_parts(&[
            &self.channel_header_bytes,
            &self.action_header_bytes,
            &self.chaincode_proposal_payload,
        ]);
        if expected.as_slice() != self.response_payload.proposal_hash.as_ref() {
            return Err(Error::Transaction(
                "proposal hash in the endorsements does not match the transaction".into(),
            ));
        }
        Ok(())
    }

    /// Verifies the creator's signature over the envelope payload.
    pub fn verify_creator_signature(&self, verifier: &dyn Verifier) -> Result<()> {
        verifier.verify(&self.envelope.payload, &self.envelope.signature)
    }

    /// The chaincode's response.
    pub fn response(&self) -> Option<&fabric_protos::protos::Response> {
        self.action.response.as_ref()
    }
}
