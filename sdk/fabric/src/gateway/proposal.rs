//! Proposals: [`ProposalBuilder`] (arguments, transient data, endorsing organisations) and
//! [`Proposal`] (signed, or ready for offline signing), which is evaluated or endorsed.

use std::collections::BTreeMap;
use std::time::Duration;

use bytes::Bytes;
use fabric_protos::Message;
use fabric_protos::common::{ChannelHeader, Header};
use fabric_protos::gateway::{EndorseRequest, EvaluateRequest, ProposedTransaction};
use fabric_protos::protos::SignedProposal;

use super::client::require_signed;
use super::deadlines::{request, unary};
use super::transaction::{SubmittedTransaction, Transaction};
use super::{Contract, Deadlines, Gateway};
use crate::{Error, Result};

/// Describes a transaction proposal. Made by [`Contract::new_proposal`].
///
/// ```no_run
/// # async fn f(contract: fabric_sdk::gateway::Contract) -> fabric_sdk::Result<()> {
/// let result = contract
///     .new_proposal("IssuePrescription")
///     .arg("RX-0001")
///     .transient("prescription", br#"{"drug":"amoxicillin"}"#.to_vec())
///     .endorsing_organizations(["SeoulMedicalCenterMSP", "NHISMSP"])
///     .submit()
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct ProposalBuilder {
    contract: Contract,
    function: String,
    args: Vec<Bytes>,
    transient: BTreeMap<String, Bytes>,
    endorsing_organizations: Vec<String>,
}

impl ProposalBuilder {
    pub(crate) fn new(contract: Contract, function: String) -> Self {
        ProposalBuilder {
            contract,
            function,
            args: Vec::new(),
            transient: BTreeMap::new(),
            endorsing_organizations: Vec::new(),
        }
    }

    /// Appends one argument (a string or bytes).
    pub fn arg(mut self, arg: impl AsRef<[u8]>) -> Self {
        self.args.push(Bytes::copy_from_slice(arg.as_ref()));
        self
    }

    /// Appends arguments (strings or bytes).
    pub fn args<A>(mut self, args: A) -> Self
    where
        A: IntoIterator,
        A::Item: AsRef<[u8]>,
    {
        self.args
            .extend(args.into_iter().map(|a| Bytes::copy_from_slice(a.as_ref())));
        self
    }

    /// Adds a transient entry: private input that reaches the chaincode in the proposal but is
    /// never written to the ledger.
    pub fn transient(mut self, key: impl Into<String>, value: impl AsRef<[u8]>) -> Self {
        self.transient
            .insert(key.into(), Bytes::copy_from_slice(value.as_ref()));
        self
    }

    /// Adds transient entries.
    pub fn transient_map<I, K, V>(mut self, entries: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: AsRef<[u8]>,
    {
        for (k, v) in entries {
            self = self.transient(k, v);
        }
        self
    }

    /// Endorses on (and evaluates on) peers of these organisations only, instead of the plan
    /// the gateway derives from the endorsement policy.
    pub fn endorsing_organizations<I, S>(mut self, msp_ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.endorsing_organizations
            .extend(msp_ids.into_iter().map(Into::into));
        self
    }

    /// Builds the proposal, signed when the gateway has a signer.
    pub fn build(self) -> Result<Proposal> {
        let network = self.contract.network();
        let gateway = network.gateway().clone();
        let mut builder = crate::tx::ProposalBuilder::new(
            network.name(),
            self.contract.chaincode_name(),
            gateway.inner.creator.clone(),
        )
        .function(self.function)
        .args(self.args);
        for (key, value) in self.transient {
            builder = builder.transient(key, value);
        }
        let unsigned = builder.build()?;
        let signature = gateway.inner.sign(unsigned.bytes())?.unwrap_or_default();
        let transaction_id = unsigned.txid().to_owned();
        Ok(Proposal {
            channel: unsigned.channel().to_owned(),
            proposed: ProposedTransaction {
                transaction_id: transaction_id.clone(),
                proposal: Some(unsigned.with_signature(signature)),
                endorsing_organizations: self.endorsing_organizations,
            },
            transaction_id,
            deadlines: self.contract.deadlines(),
            gateway,
        })
    }

    /// Builds and evaluates.
    pub async fn evaluate(self) -> Result<Bytes> {
        self.build()?.evaluate().await
    }

    /// Builds and endorses.
    pub async fn endorse(self) -> Result<Transaction> {
        self.build()?.endorse().await
    }

    /// Builds, endorses and submits, without waiting for the commit.
    pub async fn submit_async(self) -> Result<SubmittedTransaction> {
        let transaction = self.build()?.endorse().await?;
        let result = transaction.result().clone();
        let commit = transaction.submit().await?;
        Ok(SubmittedTransaction::new(result, commit))
    }

    /// Builds, endorses, submits and waits for the commit; the transaction's result, or
    /// [`Error::Commit`] when it is invalid.
    pub async fn submit(self) -> Result<Bytes> {
        let submitted = self.submit_async().await?;
        submitted.status().await?.check()?;
        Ok(submitted.into_result())
    }
}

/// A proposal, signed or waiting for an offline signature.
#[derive(Debug, Clone)]
pub struct Proposal {
    gateway: Gateway,
    channel: String,
    transaction_id: String,
    proposed: ProposedTransaction,
    deadlines: Deadlines,
}

impl Proposal {
    /// Rebuilds from [`Proposal::bytes`], attaching `signature` when given.
    pub(crate) fn from_bytes(
        gateway: Gateway,
        bytes: &[u8],
        signature: Option<Bytes>,
    ) -> Result<Self> {
        let mut proposed =
            ProposedTransaction::decode(bytes).map_err(Error::decode("ProposedTransaction"))?;
        let signed = proposed.proposal.as_mut().ok_or_else(|| Error::Malformed {
            what: "ProposedTransaction",
            reason: "no proposal".into(),
        })?;
        if let Some(signature) = signature {
            signed.signature = signature;
        }
        let header = channel_header(&signed.proposal_bytes)?;
        if header.tx_id != proposed.transaction_id {
            return Err(Error::Malformed {
                what: "ProposedTransaction",
                reason: format!(
                    "transaction_id {:?} differs from the proposal's {:?}",
                    proposed.transaction_id, header.tx_id
                ),
            });
        }
        let deadlines = gateway.deadlines();
        Ok(Proposal {
            gateway,
            channel: header.channel_id,
            transaction_id: header.tx_id,
            proposed,
            deadlines,
        })
    }

    /// The transaction id.
    pub fn transaction_id(&self) -> &str {
        &self.transaction_id
    }

    /// The channel.
    pub fn channel(&self) -> &str {
        &self.channel
    }

    /// The organisations asked to endorse (empty: the gateway chooses).
    pub fn endorsing_organizations(&self) -> &[String] {
        &self.proposed.endorsing_organizations
    }

    /// The signed proposal as it is sent.
    pub fn signed_proposal(&self) -> Option<&SignedProposal> {
        self.proposed.proposal.as_ref()
    }

    /// Whether the proposal carries a signature.
    pub fn is_signed(&self) -> bool {
        self.signed_proposal()
            .is_some_and(|p| !p.signature.is_empty())
    }

    /// The serialized `gateway.ProposedTransaction`, for offline signing: sign
    /// [`Proposal::digest`], then [`Gateway::new_signed_proposal`]`(bytes, signature)`.
    pub fn bytes(&self) -> Vec<u8> {
        self.proposed.encode_to_vec()
    }

    /// What the signer signs: the gateway's hash of the proposal bytes (SHA-256, or the bytes
    /// themselves for Ed25519).
    pub fn digest(&self) -> Vec<u8> {
        let bytes = self
            .signed_proposal()
            .map(|p| p.proposal_bytes.as_ref())
            .unwrap_or_default();
        self.gateway.inner.digest(bytes)
    }

    fn signed(&self) -> Result<SignedProposal> {
        let signed = self.signed_proposal().cloned().unwrap_or_default();
        require_signed(&signed.signature, "proposal")?;
        Ok(signed)
    }

    /// Evaluates on one peer (the gateway's organisation first) within the evaluate deadline.
    pub async fn evaluate(&self) -> Result<Bytes> {
        self.evaluate_with_timeout(self.deadlines.evaluate).await
    }

    /// Evaluates within `timeout`.
    pub async fn evaluate_with_timeout(&self, timeout: Duration) -> Result<Bytes> {
        let message = EvaluateRequest {
            transaction_id: self.transaction_id.clone(),
            channel_id: self.channel.clone(),
            proposed_transaction: Some(self.signed()?),
            target_organizations: self.proposed.endorsing_organizations.clone(),
        };
        let mut client = self.gateway.inner.gateway_client();
        let response = unary(
            "evaluate",
            &self.transaction_id,
            timeout,
            client.evaluate(request(message, timeout)),
        )
        .await
        .map_err(Error::Evaluate)?;
        Ok(response.result.map(|r| r.payload).unwrap_or_default())
    }

    /// Endorses within the endorse deadline: the prepared transaction, signed when the gateway
    /// has a signer.
    pub async fn endorse(&self) -> Result<Transaction> {
        self.endorse_with_timeout(self.deadlines.endorse).await
    }

    /// Endorses within `timeout`.
    pub async fn endorse_with_timeout(&self, timeout: Duration) -> Result<Transaction> {
        let message = EndorseRequest {
            transaction_id: self.transaction_id.clone(),
            channel_id: self.channel.clone(),
            proposed_transaction: Some(self.signed()?),
            endorsing_organizations: self.proposed.endorsing_organizations.clone(),
        };
        let mut client = self.gateway.inner.gateway_client();
        let response = unary(
            "endorse",
            &self.transaction_id,
            timeout,
            client.endorse(request(message, timeout)),
        )
        .await
        .map_err(Error::Endorse)?;
        let envelope = response
            .prepared_transaction
            .ok_or_else(|| Error::Malformed {
                what: "EndorseResponse",
                reason: "no prepared transaction".into(),
            })?;
        Transaction::new(
            self.gateway.clone(),
            &self.transaction_id,
            envelope,
            self.deadlines,
        )
    }
}

/// The channel header of serialized `Proposal` bytes.
fn channel_header(proposal_bytes: &[u8]) -> Result<ChannelHeader> {
    let proposal = fabric_protos::protos::Proposal::decode(proposal_bytes)
        .map_err(Error::decode("Proposal"))?;
    let header = Header::decode(proposal.header).map_err(Error::decode("Header"))?;
    ChannelHeader::decode(header.channel_header).map_err(Error::decode("ChannelHeader"))
}
