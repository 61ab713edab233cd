//! What a failed Gateway call carries: [`RpcError`] (the gRPC code and message, the transaction
//! id, and every peer's `gateway.ErrorDetail`) and [`CommitError`] (a transaction that was
//! ordered but is invalid). They travel in the stage variants of the crate's
//! [`Error`](crate::Error): `Evaluate`, `Endorse`, `Submit`, `CommitStatus`, `Commit`,
//! `ChaincodeEvents` and `BlockEvents`.

use std::fmt;
use std::time::Duration;

use fabric_protos::gateway::ErrorDetail;
use fabric_protos::google::rpc::Status as RpcStatus;
use fabric_protos::protos::TxValidationCode;
use fabric_protos::{ERROR_DETAIL_TYPE_URL, Message};
use tonic::Code;

/// A Gateway call that failed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RpcError {
    /// The gRPC status code (`DEADLINE_EXCEEDED` also when the client's own deadline passed).
    pub code: Code,
    /// The gRPC status message.
    pub message: String,
    /// The transaction the call was about (empty for event streams).
    pub transaction_id: String,
    /// Each peer's error, as the gateway attached them (`google.rpc.Status` details).
    pub details: Vec<ErrorDetail>,
}

impl RpcError {
    /// From a tonic status, decoding the `gateway.ErrorDetail`s of its `grpc-status-details-bin`
    /// (details of other types are skipped). A failure of the connection itself (tonic reports
    /// it as `UNKNOWN: transport error`) becomes `UNAVAILABLE` with its cause, as grpc-go
    /// reports it.
    pub fn from_status(status: &tonic::Status, transaction_id: impl Into<String>) -> Self {
        if let Some(transport) = std::error::Error::source(status)
            .and_then(|s| s.downcast_ref::<tonic::transport::Error>())
        {
            return RpcError {
                code: Code::Unavailable,
                message: super::transport::error_chain(transport),
                transaction_id: transaction_id.into(),
                details: Vec::new(),
            };
        }
        let details = RpcStatus::decode(status.details())
            .map(|s| {
                s.details
                    .iter()
                    .filter(|a| a.type_url == ERROR_DETAIL_TYPE_URL)
                    .filter_map(|a| ErrorDetail::decode(a.value.as_slice()).ok())
                    .collect()
            })
            .unwrap_or_default();
        RpcError {
            code: status.code(),
            message: status.message().to_owned(),
            transaction_id: transaction_id.into(),
            details,
        }
    }

    /// The client's deadline passed before the call ended.
    pub(crate) fn deadline(what: &str, after: Duration, transaction_id: &str) -> Self {
        RpcError {
            code: Code::DeadlineExceeded,
            message: format!("{what}: deadline of {after:?} exceeded"),
            transaction_id: transaction_id.to_owned(),
            details: Vec::new(),
        }
    }

    /// The chaincode's own error message, when the failure is a chaincode response (the peer
    /// reports `chaincode response <status>, <message>`, in the details or the message).
    pub fn chaincode_message(&self) -> Option<&str> {
        self.details
            .iter()
            .find_map(|d| chaincode_message(&d.message))
            .or_else(|| chaincode_message(&self.message))
    }

    /// The chaincode's response status, when the failure is a chaincode response.
    pub fn chaincode_status(&self) -> Option<i32> {
        self.details
            .iter()
            .find_map(|d| chaincode_status(&d.message))
            .or_else(|| chaincode_status(&self.message))
    }

    /// Whether the call failed because a deadline passed.
    pub fn is_deadline_exceeded(&self) -> bool {
        self.code == Code::DeadlineExceeded
    }
}

const CHAINCODE_RESPONSE: &str = "chaincode response ";

fn chaincode_parts(text: &str) -> Option<(&str, &str)> {
    let start = text.find(CHAINCODE_RESPONSE)? + CHAINCODE_RESPONSE.len();
    let rest = &text[start..];
    let (status, message) = rest.split_once(", ")?;
    status
        .bytes()
        .all(|b| b.is_ascii_digit())
        .then_some((status, message))
}

fn chaincode_message(text: &str) -> Option<&str> {
    chaincode_parts(text).map(|(_, m)| m)
}

fn chaincode_status(text: &str) -> Option<i32> {
    chaincode_parts(text).and_then(|(s, _)| s.parse().ok())
}

impl fmt::Display for RpcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}: {}", self.code, self.message)?;
        if !self.transaction_id.is_empty() {
            write!(f, " (transaction {})", self.transaction_id)?;
        }
        for d in &self.details {
            write!(f, "; {} ({}): {}", d.address, d.msp_id, d.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for RpcError {}

/// A transaction that was ordered into a block but marked invalid.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CommitError {
    /// The transaction.
    pub transaction_id: String,
    /// Its validation code.
    pub code: TxValidationCode,
    /// The block that holds it.
    pub block_number: u64,
}

impl CommitError {
    /// The validation code's name, as Fabric writes it (`MVCC_READ_CONFLICT`).
    pub fn code_name(&self) -> &'static str {
        self.code.as_str_name()
    }
}

impl fmt::Display for CommitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "transaction {} failed to commit with status code {} ({}) in block {}",
            self.transaction_id,
            self.code as i32,
            self.code.as_str_name(),
            self.block_number
        )
    }
}

impl std::error::Error for CommitError {}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    #[test]
    fn details_and_chaincode_message() {
        let detail = ErrorDetail {
            address: "peer0:7051".into(),
            msp_id: "Org1MSP".into(),
            message: "chaincode response 500, The asset a1 already exists".into(),
        };
        let rpc = RpcStatus {
            code: Code::Aborted as i32,
            message: "failed to endorse transaction, see attached details for more info".into(),
            details: vec![
                fabric_protos::Any {
                    type_url: "type.googleapis.com/other.Thing".into(),
                    value: vec![1, 2, 3],
                },
                fabric_protos::Any {
                    type_url: ERROR_DETAIL_TYPE_URL.into(),
                    value: detail.encode_to_vec(),
                },
            ],
        };
        let status = tonic::Status::with_details(
            Code::Aborted,
            rpc.message.clone(),
            Bytes::from(rpc.encode_to_vec()),
        );
        let e = RpcError::from_status(&status, "tx1");
        assert_eq!(e.code, Code::Aborted);
        assert_eq!(e.details, vec![detail]);
        assert_eq!(e.chaincode_message(), Some("The asset a1 already exists"));
        assert_eq!(e.chaincode_status(), Some(500));
        let text = e.to_string();
        assert!(
            text.contains("tx1") && text.contains("peer0:7051 (Org1MSP)"),
            "{text}"
        );

        let evaluate = tonic::Status::unknown(
            "evaluate call to endorser returned error: chaincode response 500, no, sir",
        );
        let e = RpcError::from_status(&evaluate, "");
        assert!(e.details.is_empty());
        assert_eq!(e.chaincode_message(), Some("no, sir"));
        assert_eq!(
            RpcError::from_status(&tonic::Status::unavailable("x"), "").chaincode_message(),
            None
        );
    }

    #[test]
    fn commit_error_names_the_code() {
        let e = CommitError {
            transaction_id: "t".into(),
            code: TxValidationCode::MvccReadConflict,
            block_number: 7,
        };
        assert_eq!(e.code_name(), "MVCC_READ_CONFLICT");
        assert_eq!(
            e.to_string(),
            "transaction t failed to commit with status code 11 (MVCC_READ_CONFLICT) in block 7"
        );
    }
}
