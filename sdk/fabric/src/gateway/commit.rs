//! [`Commit`]: waiting for a submitted transaction to be committed, and its [`Status`].

use std::time::Duration;

use bytes::Bytes;
use fabric_protos::Message;
use fabric_protos::gateway::{CommitStatusRequest, SignedCommitStatusRequest};
use fabric_protos::protos::TxValidationCode;

use super::client::require_signed;
use super::deadlines::{request, unary};
use super::{CommitError, Gateway};
use crate::{Error, Result};

/// A submitted transaction's commit: [`Commit::status`] waits for it.
#[derive(Debug, Clone)]
pub struct Commit {
    gateway: Gateway,
    channel: String,
    transaction_id: String,
    signed: SignedCommitStatusRequest,
    timeout: Duration,
}

impl Commit {
    /// The commit status request for `transaction_id`, signed when the gateway can.
    pub(crate) fn new(
        gateway: Gateway,
        channel: &str,
        transaction_id: &str,
        timeout: Duration,
    ) -> Result<Self> {
        let request: Bytes = CommitStatusRequest {
            transaction_id: transaction_id.to_owned(),
            channel_id: channel.to_owned(),
            identity: gateway.inner.creator.clone(),
        }
        .encode_to_vec()
        .into();
        let signature = gateway.inner.sign(&request)?.unwrap_or_default();
        Ok(Commit {
            gateway,
            channel: channel.to_owned(),
            transaction_id: transaction_id.to_owned(),
            signed: SignedCommitStatusRequest { request, signature },
            timeout,
        })
    }

    /// Rebuilds from [`Commit::bytes`], attaching `signature` when given.
    pub(crate) fn from_bytes(
        gateway: Gateway,
        bytes: &[u8],
        signature: Option<Bytes>,
    ) -> Result<Self> {
        let mut signed = SignedCommitStatusRequest::decode(bytes)
            .map_err(Error::decode("SignedCommitStatusRequest"))?;
        if let Some(signature) = signature {
            signed.signature = signature;
        }
        let request = CommitStatusRequest::decode(signed.request.clone())
            .map_err(Error::decode("CommitStatusRequest"))?;
        let timeout = gateway.deadlines().commit_status;
        Ok(Commit {
            gateway,
            channel: request.channel_id,
            transaction_id: request.transaction_id,
            signed,
            timeout,
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

    /// Whether the request carries a signature.
    pub fn is_signed(&self) -> bool {
        !self.signed.signature.is_empty()
    }

    /// The serialized `gateway.SignedCommitStatusRequest`, for offline signing: sign
    /// [`Commit::digest`], then [`Gateway::new_signed_commit`]`(bytes, signature)`.
    pub fn bytes(&self) -> Vec<u8> {
        self.signed.encode_to_vec()
    }

    /// What the signer signs: the gateway's hash of the `CommitStatusRequest` bytes.
    pub fn digest(&self) -> Vec<u8> {
        self.gateway.inner.digest(&self.signed.request)
    }

    /// Waits for the commit within the commit status deadline.
    pub async fn status(&self) -> Result<Status> {
        self.status_with_timeout(self.timeout).await
    }

    /// Waits for the commit within `timeout`.
    pub async fn status_with_timeout(&self, timeout: Duration) -> Result<Status> {
        require_signed(&self.signed.signature, "commit")?;
        let mut client = self.gateway.inner.gateway_client();
        let response = unary(
            "commit status",
            &self.transaction_id,
            timeout,
            client.commit_status(request(self.signed.clone(), timeout)),
        )
        .await
        .map_err(Error::CommitStatus)?;
        let code = TxValidationCode::try_from(response.result).unwrap_or_else(|_| {
            tracing::warn!(
                code = response.result,
                txid = %self.transaction_id,
                "unknown validation code"
            );
            TxValidationCode::InvalidOtherReason
        });
        Ok(Status {
            transaction_id: self.transaction_id.clone(),
            code,
            block_number: response.block_number,
        })
    }
}

/// A transaction's commit status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// The transaction.
    pub transaction_id: String,
    /// Its validation code (`VALID` when committed successfully).
    pub code: TxValidationCode,
    /// The block that holds it.
    pub block_number: u64,
}

impl Status {
    /// Whether the transaction is valid (its writes are in the world state).
    pub fn successful(&self) -> bool {
        self.code == TxValidationCode::Valid
    }

    /// `Ok(self)` when successful, else [`Error::Commit`] naming the validation code.
    pub fn check(self) -> Result<Self> {
        if self.successful() {
            return Ok(self);
        }
        Err(Error::Commit(CommitError {
            transaction_id: self.transaction_id,
            code: self.code,
            block_number: self.block_number,
        }))
    }
}
