//! [`Call`]: one chaincode call, encoded — the function, its text arguments and its transient
//! map — with the type of its answer.
//!
//! The typed methods of [`MedLedgerClient`](crate::MedLedgerClient) build a `Call` with the
//! encoders of [`calls`](crate::calls) and run it. Build one yourself to split a submit into
//! its steps ([`MedLedgerClient::endorse`](crate::MedLedgerClient::endorse), then
//! [`Prepared::submit`](crate::Prepared::submit)), or to evaluate a submit function as a dry
//! run.
//!
//! Encoding, as the contract reads it: ids and MSP ids as plain text, enums as their wire
//! word (`treatment`), lists, periods and numbers as JSON, an absent optional value as the
//! empty argument. Private inputs go in the transient map only (never in the arguments),
//! as canonical JSON, with the `salt` drawn on the client.

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

use medledger_model::{Commitment, Salt, canonical, commit};
use serde::Serialize;

use crate::documents::new_salt;
use crate::error::{Error, Result};

/// Whether a call changes the ledger (endorse, order, commit) or only reads it (evaluate on
/// one peer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallKind {
    /// A transaction: endorsed, ordered and committed.
    Submit,
    /// A query: evaluated on one peer, nothing is written.
    Evaluate,
}

/// A check of the answer against a hash the client computed (the chaincode recomputes the
/// salted hash of the private data it stores; both must agree).
pub(crate) type Check<T> = fn(&T) -> Option<&Commitment>;

/// One encoded call of the medical chaincode, answering a `T`.
pub struct Call<T> {
    function: &'static str,
    kind: CallKind,
    args: Vec<String>,
    transient: BTreeMap<String, Vec<u8>>,
    expected: Option<(&'static str, Commitment, Check<T>)>,
    own_phi: bool,
    endorsing_organizations: Option<Vec<String>>,
    _answer: PhantomData<fn() -> T>,
}

impl<T> Call<T> {
    pub(crate) fn new(function: &'static str, kind: CallKind) -> Self {
        Call {
            function,
            kind,
            args: Vec::new(),
            transient: BTreeMap::new(),
            expected: None,
            own_phi: false,
            endorsing_organizations: None,
            _answer: PhantomData,
        }
    }

    /// A call of `function` with these text arguments and no transient data (for functions
    /// this crate does not know yet; the answer is decoded as `T`).
    pub fn raw(function: &'static str, kind: CallKind, args: Vec<String>) -> Self {
        Call::new(function, kind).args(args)
    }

    pub(crate) fn arg(mut self, arg: impl Into<String>) -> Self {
        self.args.push(arg.into());
        self
    }

    pub(crate) fn args(mut self, args: Vec<String>) -> Self {
        self.args.extend(args);
        self
    }

    /// Adds a transient entry holding `value`'s canonical JSON.
    pub(crate) fn transient_json<V: Serialize + ?Sized>(
        self,
        field: &'static str,
        value: &V,
    ) -> Result<Self> {
        let bytes = self.canonical_json(field, value)?;
        Ok(self.transient_bytes(field, bytes))
    }

    /// Adds a transient entry holding `value`'s canonical JSON and a fresh `salt` (drawn
    /// here), and expects the answer's `hash_field` (read by `check`) to be their salted hash.
    /// The value is encoded once: the hash is of the very bytes sent.
    pub(crate) fn transient_json_committed<V: Serialize + ?Sized>(
        self,
        field: &'static str,
        value: &V,
        hash_field: &'static str,
        check: Check<T>,
    ) -> Result<Self> {
        let salt = new_salt()?;
        let bytes = self.canonical_json(field, value)?;
        let hash = commit(&salt, &bytes);
        Ok(self
            .transient_bytes(field, bytes)
            .salt(&salt)
            .expect_hash(hash_field, hash, check))
    }

    fn canonical_json<V: Serialize + ?Sized>(
        &self,
        field: &'static str,
        value: &V,
    ) -> Result<Vec<u8>> {
        canonical::to_canonical_vec(value).map_err(|e| Error::Encode {
            function: self.function,
            field,
            reason: e.to_string(),
        })
    }

    /// Adds a transient entry holding raw bytes.
    pub(crate) fn transient_bytes(mut self, field: &'static str, bytes: Vec<u8>) -> Self {
        self.transient.insert(field.to_owned(), bytes);
        self
    }

    /// Adds the `salt` transient entry (64 hex digits).
    pub(crate) fn salt(self, salt: &Salt) -> Self {
        self.transient_bytes("salt", salt.to_hex().into_bytes())
    }

    /// Expects the answer's `field` (read by `check`) to equal `hash`.
    pub(crate) fn expect_hash(
        mut self,
        field: &'static str,
        hash: Commitment,
        check: Check<T>,
    ) -> Self {
        self.expected = Some((field, hash, check));
        self
    }

    /// Marks the private phase of a PHI write (`StorePatientDemographics`,
    /// `StoreRecordContent`, `StoreConsentForm`): its transient data goes into the calling
    /// organisation's own PHI collection (one member), so the client has that organisation
    /// alone endorse it.
    pub(crate) fn own_phi(mut self) -> Self {
        self.own_phi = true;
        self
    }

    /// Whether this is the private phase of a PHI write, endorsed by the caller's
    /// organisation alone.
    pub fn is_private_phase(&self) -> bool {
        self.own_phi
    }

    /// Has exactly these organisations endorse (overrides the client's choice and the
    /// gateway's plan). Every one of them receives the transient data.
    #[must_use]
    pub fn with_endorsing_organizations<I, S>(mut self, msp_ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.endorsing_organizations = Some(msp_ids.into_iter().map(Into::into).collect());
        self
    }

    /// The organisations chosen to endorse, if any ([`Call::with_endorsing_organizations`]).
    pub fn endorsing_organizations(&self) -> Option<&[String]> {
        self.endorsing_organizations.as_deref()
    }

    /// The chaincode function (`IssuePrescription`).
    pub fn function(&self) -> &'static str {
        self.function
    }

    /// Submit or evaluate.
    pub fn kind(&self) -> CallKind {
        self.kind
    }

    /// The arguments, as sent.
    pub fn arguments(&self) -> &[String] {
        &self.args
    }

    /// The names of the transient entries (`patient`, `salt`, …).
    pub fn transient_keys(&self) -> impl Iterator<Item = &str> {
        self.transient.keys().map(String::as_str)
    }

    /// One transient entry, as sent. It holds private data: do not log it.
    pub fn transient_value(&self, key: &str) -> Option<&[u8]> {
        self.transient.get(key).map(Vec::as_slice)
    }

    pub(crate) fn transient_map(&self) -> &BTreeMap<String, Vec<u8>> {
        &self.transient
    }

    /// Checks the decoded answer against the hash computed on the client.
    pub(crate) fn verify(&self, answer: &T) -> Result<()> {
        if let Some((field, hash, check)) = &self.expected
            && let Some(found) = check(answer)
            && found != hash
        {
            return Err(Error::Integrity {
                function: self.function,
                field,
            });
        }
        Ok(())
    }
}

impl<T> fmt::Debug for Call<T> {
    // The transient map holds PHI: only its keys are shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Call")
            .field("function", &self.function)
            .field("kind", &self.kind)
            .field("args", &self.args)
            .field("transient_keys", &self.transient.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// An optional value as an argument: its text, or empty for none.
pub(crate) fn optional<V: fmt::Display>(value: Option<V>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

/// A value as a JSON argument (lists, periods, timestamps).
pub(crate) fn json_arg<V: Serialize + ?Sized>(
    function: &'static str,
    field: &'static str,
    value: &V,
) -> Result<String> {
    serde_json::to_string(value).map_err(|e| Error::Encode {
        function,
        field,
        reason: e.to_string(),
    })
}

/// Decodes a chaincode answer.
pub(crate) fn decode<T: serde::de::DeserializeOwned>(function: &str, bytes: &[u8]) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|e| Error::Decode {
        function: function.to_owned(),
        // The answer may hold PHI (demographics, contents): only its size is reported.
        reason: format!("{e} (answer of {} bytes)", bytes.len()),
    })
}
