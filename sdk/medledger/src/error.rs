//! [`Error`]: how a call through the SDK fails.
//!
//! | variant | when | what it carries |
//! |---|---|---|
//! | [`Error::Refused`] | the chaincode answered with an error status: 400 bad input, 403 forbidden, 404 not found, 409 conflict (500 internal) | the status, the chaincode's message (it names the rule or the field), the txid, the fabric-sdk error |
//! | [`Error::Commit`] | the transaction was endorsed and ordered but committed invalid | the validation code (`MVCC_READ_CONFLICT`, `ENDORSEMENT_POLICY_FAILURE`, …), the block, the fabric-sdk error |
//! | [`Error::Fabric`] | transport, endorsement (not a chaincode refusal), submit, commit status, event stream, connection | the fabric-sdk error (stage variant with gRPC code and every peer's detail) |
//! | [`Error::Decode`] | the chaincode's answer or an event is not what the contract returns | the function and the reason |
//! | [`Error::Integrity`] | the ledger's salted hash differs from the one computed on the client | the function and the field |
//! | [`Error::Encode`] / [`Error::Random`] | a value could not be encoded / no salt could be drawn | the reason |
//!
//! A refusal writes nothing: the chaincode checks everything before it writes, and the peers
//! do not endorse an error response.

use fabric_sdk::gateway::{RpcError, TxValidationCode};

/// Everything that can go wrong in a medical call.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The chaincode refused the call (its response status is not 200). Nothing was written.
    #[error("{function} refused ({status}): {message}")]
    Refused {
        /// The chaincode function.
        function: &'static str,
        /// The chaincode's status: 400 bad input, 403 forbidden, 404 not found, 409 conflict,
        /// 500 internal.
        status: i32,
        /// The chaincode's message: `bad input: <field>: <reason>`, `forbidden: <Function>:
        /// <rule> (caller: <role> of <MSP>)`, `not found: <asset> <id>`, `conflict: <what>`.
        message: String,
        /// The refused proposal's transaction id.
        transaction_id: String,
        /// The gateway's error (evaluate or endorse), with every peer's detail.
        #[source]
        source: Box<fabric_sdk::Error>,
    },
    /// The transaction was ordered into a block but is invalid: none of its writes happened.
    #[error("{function}: transaction {transaction_id} committed invalid in block {block_number}: {} ({})", code.as_str_name(), *code as i32)]
    Commit {
        /// The chaincode function.
        function: &'static str,
        /// The transaction.
        transaction_id: String,
        /// Its validation code (`MVCC_READ_CONFLICT` = 11 when another transaction changed
        /// what it read).
        code: TxValidationCode,
        /// The block that holds it.
        block_number: u64,
        /// The fabric-sdk error ([`fabric_sdk::Error::Commit`]).
        #[source]
        source: Box<fabric_sdk::Error>,
    },
    /// The gateway call failed for another reason than the chaincode: connection, TLS,
    /// endorsement (policy, unavailable peers), submit (orderer), commit status, deadline.
    #[error("{function}: {source}")]
    Fabric {
        /// The chaincode function, or what was being done (`connect`, `events`).
        function: &'static str,
        /// The fabric-sdk error.
        #[source]
        source: Box<fabric_sdk::Error>,
    },
    /// The chaincode's answer (or event) does not decode as the contract's type.
    #[error("{function}: cannot decode the answer: {reason}")]
    Decode {
        /// The chaincode function, or the event name.
        function: String,
        /// What is wrong.
        reason: String,
    },
    /// The hash on the ledger is not the one the client computed from what it sent.
    #[error("{function}: the ledger's {field} is not the salted hash of what was sent")]
    Integrity {
        /// The chaincode function.
        function: &'static str,
        /// The hash field (`demographics_hash`, `content_hash`, `decision_hash`).
        field: &'static str,
    },
    /// A value could not be encoded as an argument or transient entry.
    #[error("{function}: cannot encode {field}: {reason}")]
    Encode {
        /// The chaincode function.
        function: &'static str,
        /// The argument or transient entry.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The operating system's random generator failed (no salt).
    #[error("cannot draw a salt from the operating system's random generator: {0}")]
    Random(String),
}

impl Error {
    /// Maps a fabric-sdk error of `function`: a chaincode response becomes
    /// [`Error::Refused`], an invalid commit [`Error::Commit`], anything else
    /// [`Error::Fabric`].
    pub fn from_fabric(function: &'static str, source: fabric_sdk::Error) -> Self {
        let source = Box::new(source);
        match source.as_ref() {
            fabric_sdk::Error::Evaluate(rpc) | fabric_sdk::Error::Endorse(rpc) => {
                if let Some((status, message)) = chaincode_refusal(rpc) {
                    return Error::Refused {
                        function,
                        status,
                        message,
                        transaction_id: rpc.transaction_id.clone(),
                        source,
                    };
                }
            }
            fabric_sdk::Error::Commit(c) => {
                return Error::Commit {
                    function,
                    transaction_id: c.transaction_id.clone(),
                    code: c.code,
                    block_number: c.block_number,
                    source,
                };
            }
            _ => {}
        }
        Error::Fabric { function, source }
    }

    /// The chaincode's status when it refused the call (400, 403, 404, 409, 500).
    pub fn status(&self) -> Option<i32> {
        match self {
            Error::Refused { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The chaincode's message when it refused the call.
    pub fn chaincode_message(&self) -> Option<&str> {
        match self {
            Error::Refused { message, .. } => Some(message),
            _ => None,
        }
    }

    /// The validation code when the transaction committed invalid.
    pub fn validation_code(&self) -> Option<TxValidationCode> {
        match self {
            Error::Commit { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// The fabric-sdk error inside, if any.
    pub fn fabric_error(&self) -> Option<&fabric_sdk::Error> {
        match self {
            Error::Refused { source, .. }
            | Error::Commit { source, .. }
            | Error::Fabric { source, .. } => Some(source.as_ref()),
            _ => None,
        }
    }
}

/// The chaincode's status and message, when the gateway reports a chaincode response.
fn chaincode_refusal(rpc: &RpcError) -> Option<(i32, String)> {
    let status = rpc.chaincode_status()?;
    let message = rpc.chaincode_message().unwrap_or(&rpc.message).to_owned();
    Some((status, message))
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;
    use fabric_sdk::gateway::{Code, CommitError};

    fn rpc(code: Code, message: &str) -> RpcError {
        RpcError::from_status(&tonic::Status::new(code, message), "tx1")
    }

    #[test]
    fn a_chaincode_response_is_a_refusal_with_its_status_and_message() {
        let e = Error::from_fabric(
            "IssuePrescription",
            fabric_sdk::Error::Evaluate(rpc(
                Code::Unknown,
                "evaluate call to endorser returned error: chaincode response 403, forbidden: \
                 IssuePrescription: needs a doctor (caller: nurse of SeoulMedicalCenterMSP)",
            )),
        );
        assert_eq!(e.status(), Some(403));
        assert_eq!(
            e.chaincode_message(),
            Some(
                "forbidden: IssuePrescription: needs a doctor (caller: nurse of \
                 SeoulMedicalCenterMSP)"
            )
        );
        assert!(matches!(&e, Error::Refused { transaction_id, .. } if transaction_id == "tx1"));
        assert!(matches!(
            e.fabric_error(),
            Some(fabric_sdk::Error::Evaluate(_))
        ));
        assert!(
            e.to_string()
                .starts_with("IssuePrescription refused (403): forbidden: "),
            "{e}"
        );
    }

    #[test]
    fn other_failures_keep_their_stage() {
        let e = Error::from_fabric(
            "DispensePrescription",
            fabric_sdk::Error::Endorse(rpc(Code::Unavailable, "no peers available")),
        );
        assert!(matches!(e, Error::Fabric { .. }));
        assert_eq!(e.status(), None);
        assert!(
            matches!(e.fabric_error(), Some(fabric_sdk::Error::Endorse(r)) if r.code == Code::Unavailable)
        );
    }

    #[test]
    fn an_invalid_commit_carries_the_validation_code() {
        let status = fabric_sdk::gateway::Status {
            transaction_id: "tx9".into(),
            code: TxValidationCode::MvccReadConflict,
            block_number: 12,
        };
        let fabric = status.check().unwrap_err();
        assert!(matches!(
            fabric,
            fabric_sdk::Error::Commit(CommitError { .. })
        ));
        let e = Error::from_fabric("DispensePrescription", fabric);
        assert_eq!(
            e.validation_code(),
            Some(TxValidationCode::MvccReadConflict)
        );
        assert_eq!(
            e.to_string(),
            "DispensePrescription: transaction tx9 committed invalid in block 12: \
             MVCC_READ_CONFLICT (11)"
        );
    }
}
