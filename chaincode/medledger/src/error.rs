//! [`MedError`]: how a medical transaction fails, and the status the client sees.
//!
//! | variant | status | message starts with |
//! |---|---|---|
//! | `BadInput` | 400 | `bad input: <field>: <reason>` |
//! | `Forbidden` | 403 | `forbidden: <Function>: <rule> (caller: <role> of <MSP>)` |
//! | `NotFound` | 404 | `not found: <what> <id>` |
//! | `Conflict` | 409 | `conflict: <what is wrong with the state>` |
//! | `Internal` | 500 | the underlying error |
//!
//! Every function validates its input and authorizes the caller before it writes anything, so
//! a 4xx leaves no write in the read-write set (and the peer endorses nothing anyway).
//!
//! `MedError` deliberately does not implement `std::error::Error`: the shim's `ContractError`
//! converts *any* `std::error::Error` into a 500, and a forbidden call must never silently
//! become one. The conversion below keeps each status.

use std::fmt;

use fabric_chaincode::contract::ContractError;
use medledger_model::{ModelError, ValidationError};

/// The failure of a medical transaction.
#[derive(Clone, PartialEq, Eq)]
pub enum MedError {
    /// Malformed input (400), naming the field.
    BadInput(ValidationError),
    /// The caller's role, organisation or consent does not allow it (403), naming the rule.
    Forbidden(String),
    /// The asset does not exist (404).
    NotFound(String),
    /// The asset's state does not allow it (409).
    Conflict(String),
    /// Anything else (500).
    Internal(String),
    /// A failure the shim reported with its own status.
    Contract(ContractError),
}

impl MedError {
    /// 400 about `field`.
    pub fn bad_input(field: impl Into<String>, reason: impl Into<String>) -> Self {
        MedError::BadInput(ValidationError::new(field, reason))
    }

    /// The status the client sees.
    pub fn status(&self) -> i32 {
        match self {
            MedError::BadInput(_) => 400,
            MedError::Forbidden(_) => 403,
            MedError::NotFound(_) => 404,
            MedError::Conflict(_) => 409,
            MedError::Internal(_) => 500,
            MedError::Contract(e) => e.status(),
        }
    }
}

impl fmt::Display for MedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MedError::BadInput(e) => write!(f, "bad input: {e}"),
            MedError::Forbidden(m) => write!(f, "forbidden: {m}"),
            MedError::NotFound(m) => write!(f, "not found: {m}"),
            MedError::Conflict(m) => write!(f, "conflict: {m}"),
            MedError::Internal(m) => f.write_str(m),
            MedError::Contract(e) => f.write_str(e.message()),
        }
    }
}

impl fmt::Debug for MedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MedError({}: {self})", self.status())
    }
}

impl From<MedError> for ContractError {
    fn from(e: MedError) -> Self {
        match e {
            MedError::Contract(c) => c,
            other => ContractError::with_status(other.status(), other.to_string()),
        }
    }
}

impl From<ValidationError> for MedError {
    fn from(e: ValidationError) -> Self {
        MedError::BadInput(e)
    }
}

impl From<ContractError> for MedError {
    fn from(e: ContractError) -> Self {
        MedError::Contract(e)
    }
}

impl From<fabric_chaincode::Error> for MedError {
    fn from(e: fabric_chaincode::Error) -> Self {
        MedError::Internal(e.to_string())
    }
}

impl From<ModelError> for MedError {
    fn from(e: ModelError) -> Self {
        MedError::Internal(e.to_string())
    }
}

/// The result of a medical transaction.
pub type MedResult<T> = Result<T, MedError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_survive_the_conversion() {
        let cases = [
            (
                MedError::bad_input("patient_id", "must not be empty"),
                400,
                "bad input: patient_id: must not be empty",
            ),
            (
                MedError::Forbidden("X: needs a doctor".into()),
                403,
                "forbidden: X: needs a doctor",
            ),
            (
                MedError::NotFound("patient P1".into()),
                404,
                "not found: patient P1",
            ),
            (
                MedError::Conflict("already dispensed".into()),
                409,
                "conflict: already dispensed",
            ),
            (MedError::Internal("boom".into()), 500, "boom"),
        ];
        for (e, status, message) in cases {
            let c = ContractError::from(e);
            assert_eq!((c.status(), c.message()), (status, message));
        }
    }
}
