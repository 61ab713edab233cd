//! Building and parsing proposals (`protos.SignedProposal`).
//!
//! Building follows what the official Gateway clients do: a 24-byte random nonce, txid =
//! hex(SHA-256(nonce ‖ creator)), a ChannelHeader of type ENDORSER_TRANSACTION with the timestamp
//! set and epoch 0, the chaincode name both in the header extension (endorser) and in the
//! invocation spec (gateway), and the transient map only in the proposal payload.

use super::decode;
use crate::crypto::{Signer, sha256, sha256_parts};
use crate::{Error, Result};
use bytes::Bytes;
use fabric_protos::common::{ChannelHeader, Header, HeaderType, SignatureHeader};
use fabric_protos::protos::{
    ChaincodeHeaderExtension, ChaincodeId, ChaincodeInput, ChaincodeInvocationSpec,
    ChaincodeProposalPayload, ChaincodeSpec, Proposal, SignedProposal,
};
use fabric_protos::{Message, Timestamp};
use std::collections::BTreeMap;

/// Nonce length used by the official clients.
pub const NONCE_LEN: usize = 24;

/// A fresh random nonce.
pub fn new_nonce() -> Result<[u8; NONCE_LEN]> {
    crate::crypto::random_bytes::<NONCE_LEN>()
}

/// Fabric's transaction id: lowercase hex SHA-256 of `nonce ‖ creator`, where `creator` is the
/// SerializedIdentity bytes exactly as they appear in the SignatureHeader.
pub fn compute_txid(nonce: &[u8], creator: &[u8]) -> String {
    hex::encode(sha256_parts(&[nonce, creator]))
}

/// The proposal hash an endorser signs into its response and the committer re-checks:
/// SHA-256(channel header ‖ signature header ‖ ChaincodeProposalPayload{input} without the
/// transient map). All three arguments are original bytes.
pub fn proposal_hash(channel_header: &[u8], signature_header: &[u8], input: &[u8]) -> [u8; 32] {
    let cpp = payload_without_transient(input);
    sha256_parts(&[channel_header, signature_header, &cpp])
}

/// The encoding of `ChaincodeProposalPayload{input}` with no transient map: what a committed
/// transaction carries as `chaincode_proposal_payload` (empty when `input` is empty).
pub fn payload_without_transient(input: &[u8]) -> Vec<u8> {
    ChaincodeProposalPayload {
        input: Bytes::copy_from_slice(input),
        transient_map: BTreeMap::new(),
    }
    .encode_to_vec()
}

/// Builds a proposal for a chaincode invocation.
#[derive(Debug, Clone)]
pub struct ProposalBuilder {
    channel: String,
    chaincode: String,
    args: Vec<Bytes>,
    transient: BTreeMap<String, Bytes>,
    is_init: bool,
    creator: Bytes,
    nonce: Option<Vec<u8>>,
    timestamp: Option<Timestamp>,
    tls_cert_hash: Option<Bytes>,
}

impl ProposalBuilder {
    /// A proposal to `chaincode` on `channel` signed by `creator` (SerializedIdentity bytes).
    pub fn new(
        channel: impl Into<String>,
        chaincode: impl Into<String>,
        creator: impl Into<Bytes>,
    ) -> Self {
        ProposalBuilder {
            channel: channel.into(),
            chaincode: chaincode.into(),
            args: Vec::new(),
            transient: BTreeMap::new(),
            is_init: false,
            creator: creator.into(),
            nonce: None,
            timestamp: None,
            tls_cert_hash: None,
        }
    }

    /// The function name (first argument). For a contract other than the default one use
    /// `"Contract:Function"`.
    pub fn function(mut self, name: impl Into<Bytes>) -> Self {
        self.args.insert(0, name.into());
        self
    }

    /// Appends one argument.
    pub fn arg(mut self, arg: impl Into<Bytes>) -> Self {
        self.args.push(arg.into());
        self
    }

    /// Appends arguments.
    pub fn args<I, A>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = A>,
        A: Into<Bytes>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// Adds one transient entry (private data: in the proposal, never in the transaction).
    pub fn transient(mut self, key: impl Into<String>, value: impl Into<Bytes>) -> Self {
        self.transient.insert(key.into(), value.into());
        self
    }

    /// Marks the invocation as the chaincode's Init (`ChaincodeInput.is_init`).
    pub fn init(mut self, is_init: bool) -> Self {
        self.is_init = is_init;
        self
    }

    /// Uses a given nonce instead of a random one (known-answer tests, replay of recorded data).
    pub fn nonce(mut self, nonce: impl Into<Vec<u8>>) -> Self {
        self.nonce = Some(nonce.into());
        self
    }

    /// Uses a given timestamp instead of the current time.
    pub fn timestamp(mut self, ts: Timestamp) -> Self {
        self.timestamp = Some(ts);
        self
    }

    /// SHA-256 of the client TLS certificate, for peers that require mutual TLS binding.
    pub fn tls_cert_hash(mut self, hash: impl Into<Bytes>) -> Self {
        self.tls_cert_hash = Some(hash.into());
        self
    }

    /// Builds the unsigned proposal.
    pub fn build(self) -> Result<UnsignedProposal> {
        if self.channel.is_empty() {
            return Err(Error::Transaction("a proposal needs a channel name".into()));
        }
        if self.chaincode.is_empty() {
            return Err(Error::Transaction(
                "a proposal needs a chaincode name".into(),
            ));
        }
        if self.creator.is_empty() {
            return Err(Error::Transaction(
                "a proposal needs a creator identity".into(),
            ));
        }
        let nonce = match self.nonce {
            Some(n) if n.is_empty() => {
                return Err(Error::Transaction("the nonce must not be empty".into()));
            }
            Some(n) => n,
            None => new_nonce()?.to_vec(),
        };
        let txid = compute_txid(&nonce, &self.creator);
        let chaincode_id = ChaincodeId {
            name: self.chaincode.clone(),
            ..Default::default()
        };
        let extension = ChaincodeHeaderExtension {
            chaincode_id: Some(chaincode_id.clone()),
        }
        .encode_to_vec();
        let channel_header: Bytes = ChannelHeader {
            r#type: HeaderType::EndorserTransaction as i32,
            version: 0,
            timestamp: Some(self.timestamp.unwrap_or_else(super::now_timestamp)),
            channel_id: self.channel.clone(),
            tx_id: txid.clone(),
            epoch: 0,
            extension: extension.into(),
            tls_cert_hash: self.tls_cert_hash.unwrap_or_default(),
        }
        .encode_to_vec()
        .into();
        let signature_header: Bytes = SignatureHeader {
            creator: self.creator.clone(),
            nonce: nonce.into(),
        }
        .encode_to_vec()
        .into();
        let input: Bytes = ChaincodeInvocationSpec {
            chaincode_spec: Some(ChaincodeSpec {
                // The official Node client sends NODE; peers ignore the value.
                r#type: fabric_protos::protos::chaincode_spec::Type::Node as i32,
                chaincode_id: Some(chaincode_id),
                input: Some(ChaincodeInput {
                    args: self.args,
                    decorations: BTreeMap::new(),
                    is_init: self.is_init,
                }),
                timeout: 0,
            }),
        }
        .encode_to_vec()
        .into();
        let header = Header {
            channel_header: channel_header.clone(),
            signature_header: signature_header.clone(),
        }
        .encode_to_vec();
        let payload = ChaincodeProposalPayload {
            input: input.clone(),
            transient_map: self.transient,
        }
        .encode_to_vec();
        let proposal_bytes = Proposal {
            header: header.into(),
            payload: payload.into(),
            extension: Bytes::new(),
        }
        .encode_to_vec();
        Ok(UnsignedProposal {
            txid,
            channel: self.channel,
            chaincode: self.chaincode,
            proposal_bytes: proposal_bytes.into(),
            proposal_hash: proposal_hash(&channel_header, &signature_header, &input),
        })
    }
}

/// A proposal ready to be signed: its bytes and digest (offline signing) or a signer.
#[derive(Debug, Clone)]
pub struct UnsignedProposal {
    txid: String,
    channel: String,
    chaincode: String,
    proposal_bytes: Bytes,
    proposal_hash: [u8; 32],
}

impl UnsignedProposal {
    /// The transaction id.
    pub fn txid(&self) -> &str {
        &self.txid
    }

    /// The channel.
    pub fn channel(&self) -> &str {
        &self.channel
    }

    /// The chaincode.
    pub fn chaincode(&self) -> &str {
        &self.chaincode
    }

    /// The serialized `protos.Proposal`: what is signed.
    pub fn bytes(&self) -> &Bytes {
        &self.proposal_bytes
    }

    /// SHA-256 of [`UnsignedProposal::bytes`]: what an ECDSA signer signs.
    pub fn digest(&self) -> [u8; 32] {
        sha256(&self.proposal_bytes)
    }

    /// The proposal hash endorsers will sign into their responses.
    pub fn proposal_hash(&self) -> [u8; 32] {
        self.proposal_hash
    }

    /// Signs with `signer` (hashing as the signer requires).
    pub fn sign(&self, signer: &dyn Signer) -> Result<SignedProposal> {
        let signature = signer.sign(&self.proposal_bytes)?;
        Ok(self.with_signature(signature))
    }

    /// Attaches a signature made elsewhere (HSM, offline signing).
    pub fn with_signature(&self, signature: impl Into<Bytes>) -> SignedProposal {
        SignedProposal {
            proposal_bytes: self.proposal_bytes.clone(),
            signature: signature.into(),
        }
    }
}

/// A received proposal, decoded, with every original byte string kept for hashing and
/// verification.
#[derive(Debug, Clone)]
pub struct ParsedProposal {
    /// The SignedProposal as received.
    pub signed: SignedProposal,
    /// Header.channel_header bytes.
    pub channel_header_bytes: Bytes,
    /// Header.signature_header bytes.
    pub signature_header_bytes: Bytes,
    /// The decoded channel header.
    pub channel_header: ChannelHeader,
    /// The decoded signature header (creator and nonce, as received).
    pub signature_header: SignatureHeader,
    /// The chaincode named in the header extension.
    pub header_chaincode: ChaincodeId,
    /// ChaincodeProposalPayload.input bytes (a ChaincodeInvocationSpec).
    pub input_bytes: Bytes,
    /// The decoded invocation spec.
    pub invocation: ChaincodeInvocationSpec,
    /// The transient map.
    pub transient: BTreeMap<String, Bytes>,
}

impl ParsedProposal {
    /// Decodes a signed proposal and checks Fabric's structural rules: header type
    /// ENDORSER_TRANSACTION, epoch 0, non-empty nonce, creator and signature, txid =
    /// SHA-256(nonce ‖ creator), chaincode input present. Signature and creator validity are the
    /// caller's (they need the MSP).
    pub fn parse(signed: &SignedProposal) -> Result<Self> {
        if signed.proposal_bytes.is_empty() {
            return Err(Error::Malformed {
                what: "SignedProposal",
                reason: "empty proposal_bytes".into(),
            });
        }
        if signed.signature.is_empty() {
            return Err(Error::Malformed {
                what: "SignedProposal",
                reason: "empty signature".into(),
            });
        }
        let proposal: Proposal = decode("Proposal", &signed.proposal_bytes)?;
        let header: Header = decode("Proposal.header (Header)", &proposal.header)?;
        let channel_header: ChannelHeader = decode("ChannelHeader", &header.channel_header)?;
        let signature_header: SignatureHeader =
            decode("SignatureHeader", &header.signature_header)?;
        super::require_endorser_transaction(&channel_header)?;
        if channel_header.epoch != 0 {
            return Err(Error::Malformed {
                what: "ChannelHeader",
                reason: format!("epoch is {}, Fabric requires 0", channel_header.epoch),
            });
        }
        if signature_header.nonce.is_empty() {
            return Err(Error::Malformed {
                what: "SignatureHeader",
                reason: "empty nonce".into(),
            });
        }
        if signature_header.creator.is_empty() {
            return Err(Error::Malformed {
                what: "SignatureHeader",
                reason: "empty creator".into(),
            });
        }
        let expected = compute_txid(&signature_header.nonce, &signature_header.creator);
        if channel_header.tx_id != expected {
            return Err(Error::Transaction(format!(
                "txid {:?} does not match SHA-256(nonce ‖ creator) = {expected}",
                channel_header.tx_id
            )));
        }
        let extension: ChaincodeHeaderExtension =
            decode("ChaincodeHeaderExtension", &channel_header.extension)?;
        let header_chaincode = extension.chaincode_id.unwrap_or_default();
        let payload: ChaincodeProposalPayload =
            decode("ChaincodeProposalPayload", &proposal.payload)?;
        let invocation: ChaincodeInvocationSpec =
            decode("ChaincodeInvocationSpec", &payload.input)?;
        let has_input = invocation
            .chaincode_spec
            .as_ref()
            .is_some_and(|s| s.input.is_some());
        if !has_input {
            return Err(Error::Malformed {
                what: "ChaincodeInvocationSpec",
                reason: "chaincode input did not contain any input".into(),
            });
        }
        Ok(ParsedProposal {
            signed: signed.clone(),
            channel_header_bytes: header.channel_header,
            signature_header_bytes: header.signature_header,
            channel_header,
            signature_header,
            header_chaincode,
            input_bytes: payload.input,
            invocation,
            transient: payload.transient_map,
        })
    }

    /// The transaction id.
    pub fn txid(&self) -> &str {
        &self.channel_header.tx_id
    }

    /// The channel.
    pub fn channel(&self) -> &str {
        &self.channel_header.channel_id
    }

    /// The creator's SerializedIdentity bytes, as signed.
    pub fn creator(&self) -> &Bytes {
        &self.signature_header.creator
    }

    /// The chaincode the gateway routes to (from the invocation spec, else the header).
    pub fn chaincode_name(&self) -> &str {
        self.invocation
            .chaincode_spec
            .as_ref()
            .and_then(|s| s.chaincode_id.as_ref())
            .map(|c| c.name.as_str())
            .filter(|n| !n.is_empty())
            .unwrap_or(&self.header_chaincode.name)
    }

    /// The chaincode input (function and arguments).
    pub fn input(&self) -> Option<&ChaincodeInput> {
        self.invocation
            .chaincode_spec
            .as_ref()
            .and_then(|s| s.input.as_ref())
    }

    /// SHA-256 of the proposal bytes (what the creator signed, for ECDSA).
    pub fn digest(&self) -> [u8; 32] {
        sha256(&self.signed.proposal_bytes)
    }

    /// The proposal hash (transient map excluded).
    pub fn proposal_hash(&self) -> [u8; 32] {
        proposal_hash(
            &self.channel_header_bytes,
            &self.signature_header_bytes,
            &self.input_bytes,
        )
    }

    /// Verifies the creator's signature over the proposal bytes with the creator's key.
    pub fn verify_signature(&self, verifier: &dyn crate::crypto::Verifier) -> Result<()> {
        verifier.verify(&self.signed.proposal_bytes, &self.signed.signature)
    }
}
