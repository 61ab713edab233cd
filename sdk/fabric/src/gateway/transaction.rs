//! Endorsed transactions: [`Transaction`] (the prepared envelope the gateway assembled, signed
//! or waiting for an offline signature) and [`SubmittedTransaction`] (its result and commit).

use std::time::Duration;

use bytes::Bytes;
use fabric_protos::Message;
use fabric_protos::common::Envelope;
use fabric_protos::gateway::{PreparedTransaction, SubmitRequest};

use super::client::require_signed;
use super::commit::{Commit, Status};
use super::deadlines::{request, unary};
use super::{Deadlines, Gateway};
use crate::tx::ParsedTransaction;
use crate::{Error, Result};

/// An endorsed transaction, ready to submit.
#[derive(Debug, Clone)]
pub struct Transaction {
    gateway: Gateway,
    channel: String,
    transaction_id: String,
    envelope: Envelope,
    result: Bytes,
    deadlines: Deadlines,
}

impl Transaction {
    /// The prepared envelope of an EndorseResponse: read its result, sign it if the gateway can.
    pub(crate) fn new(
        gateway: Gateway,
        transaction_id: &str,
        mut envelope: Envelope,
        deadlines: Deadlines,
    ) -> Result<Self> {
        let parsed = ParsedTransaction::parse(&envelope)?;
        if parsed.txid() != transaction_id {
            return Err(Error::Transaction(format!(
                "the gateway prepared transaction {} for proposal {transaction_id}",
                parsed.txid()
            )));
        }
        let result = parsed
            .response()
            .map(|r| r.payload.clone())
            .unwrap_or_default();
        let channel = parsed.channel_header.channel_id.clone();
        if envelope.signature.is_empty()
            && let Some(signature) = gateway.inner.sign(&envelope.payload)?
        {
            envelope.signature = signature;
        }
        Ok(Transaction {
            gateway,
            channel,
            transaction_id: transaction_id.to_owned(),
            envelope,
            result,
            deadlines,
        })
    }

    /// Rebuilds from [`Transaction::bytes`], attaching `signature` when given.
    pub(crate) fn from_bytes(
        gateway: Gateway,
        bytes: &[u8],
        signature: Option<Bytes>,
    ) -> Result<Self> {
        let prepared =
            PreparedTransaction::decode(bytes).map_err(Error::decode("PreparedTransaction"))?;
        let mut envelope = prepared.envelope.ok_or_else(|| Error::Malformed {
            what: "PreparedTransaction",
            reason: "no envelope".into(),
        })?;
        if let Some(signature) = signature {
            envelope.signature = signature;
        }
        let deadlines = gateway.deadlines();
        Transaction::new(gateway, &prepared.transaction_id, envelope, deadlines)
    }

    /// The transaction id.
    pub fn transaction_id(&self) -> &str {
        &self.transaction_id
    }

    /// The channel.
    pub fn channel(&self) -> &str {
        &self.channel
    }

    /// The chaincode's result (the payload of its response).
    pub fn result(&self) -> &Bytes {
        &self.result
    }

    /// The envelope as it will be submitted.
    pub fn envelope(&self) -> &Envelope {
        &self.envelope
    }

    /// Whether the envelope carries a signature.
    pub fn is_signed(&self) -> bool {
        !self.envelope.signature.is_empty()
    }

    /// The serialized `gateway.PreparedTransaction`, for offline signing: sign
    /// [`Transaction::digest`], then [`Gateway::new_signed_transaction`]`(bytes, signature)`.
    pub fn bytes(&self) -> Vec<u8> {
        PreparedTransaction {
            transaction_id: self.transaction_id.clone(),
            envelope: Some(self.envelope.clone()),
        }
        .encode_to_vec()
    }

    /// What the signer signs: the gateway's hash of the envelope payload.
    pub fn digest(&self) -> Vec<u8> {
        self.gateway.inner.digest(&self.envelope.payload)
    }

    /// Submits to the ordering service within the submit deadline; returns the commit handle
    /// (signed when the gateway has a signer).
    pub async fn submit(&self) -> Result<Commit> {
        self.submit_with_timeout(self.deadlines.submit).await
    }

    /// Submits within `timeout`.
    pub async fn submit_with_timeout(&self, timeout: Duration) -> Result<Commit> {
        require_signed(&self.envelope.signature, "transaction")?;
        // Prepared (and signed) before submitting, as the official clients do: a signing
        // failure shows before the transaction is ordered.
        let commit = Commit::new(
            self.gateway.clone(),
            &self.channel,
            &self.transaction_id,
            self.deadlines.commit_status,
        )?;
        let message = SubmitRequest {
            transaction_id: self.transaction_id.clone(),
            channel_id: self.channel.clone(),
            prepared_transaction: Some(self.envelope.clone()),
        };
        let mut client = self.gateway.inner.gateway_client();
        unary(
            "submit",
            &self.transaction_id,
            timeout,
            client.submit(request(message, timeout)),
        )
        .await
        .map_err(Error::Submit)?;
        Ok(commit)
    }
}

/// A submitted transaction: its result, available at once, and its commit.
#[derive(Debug, Clone)]
pub struct SubmittedTransaction {
    result: Bytes,
    commit: Commit,
}

impl SubmittedTransaction {
    pub(crate) fn new(result: Bytes, commit: Commit) -> Self {
        SubmittedTransaction { result, commit }
    }

    /// The chaincode's result.
    pub fn result(&self) -> &Bytes {
        &self.result
    }

    /// The result, consuming the handle.
    pub fn into_result(self) -> Bytes {
        self.result
    }

    /// The transaction id.
    pub fn transaction_id(&self) -> &str {
        self.commit.transaction_id()
    }

    /// The commit handle.
    pub fn commit(&self) -> &Commit {
        &self.commit
    }

    /// Waits for the commit (commit status deadline) and returns its status.
    pub async fn status(&self) -> Result<Status> {
        self.commit.status().await
    }
}
