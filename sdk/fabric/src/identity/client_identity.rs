//! Client identity helpers mirroring Fabric's `cid` library (Go `pkg/cid`, Node
//! `ClientIdentity`): what chaincode or a gateway learns about the submitter from its
//! SerializedIdentity.

use super::{Certificate, Identity};
use crate::{Error, Result};
use std::collections::BTreeMap;

/// The submitter's identity as the `cid` library presents it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientIdentity {
    identity: Identity,
    attrs: BTreeMap<String, String>,
}

impl ClientIdentity {
    /// From received SerializedIdentity bytes (e.g. `SignatureHeader.creator`). Fails when the
    /// bytes do not decode, the certificate does not parse, or the Fabric CA attribute
    /// extension is not the expected JSON.
    pub fn from_serialized(creator: &[u8]) -> Result<Self> {
        Self::new(Identity::from_serialized(creator)?)
    }

    /// From an identity.
    pub fn new(identity: Identity) -> Result<Self> {
        let attrs = identity.certificate().attributes()?;
        Ok(ClientIdentity { identity, attrs })
    }

    /// `GetMSPID`: the MSP ID of the SerializedIdentity.
    pub fn msp_id(&self) -> &str {
        self.identity.msp_id()
    }

    /// `GetID`: `base64("x509::" + subject DN + "::" + issuer DN)`.
    pub fn id(&self) -> String {
        self.identity.certificate().id_string()
    }

    /// `GetAttributeValue`: the value of a Fabric CA attribute, `None` when absent.
    pub fn attribute_value(&self, name: &str) -> Option<&str> {
        self.attrs.get(name).map(String::as_str)
    }

    /// All Fabric CA attributes.
    pub fn attributes(&self) -> &BTreeMap<String, String> {
        &self.attrs
    }

    /// `AssertAttributeValue`: errors unless `name` is present and equals `value`.
    pub fn assert_attribute_value(&self, name: &str, value: &str) -> Result<()> {
        match self.attribute_value(name) {
            Some(v) if v == value => Ok(()),
            Some(v) => Err(Error::Certificate(format!(
                "attribute '{name}' equals '{v}', not '{value}'"
            ))),
            None => Err(Error::Certificate(format!(
                "attribute '{name}' was not found"
            ))),
        }
    }

    /// `HasOUValue`: whether any subject OU equals `ou`.
    pub fn has_ou_value(&self, ou: &str) -> bool {
        self.identity.certificate().has_ou(ou)
    }

    /// `GetX509Certificate`: the parsed certificate.
    pub fn certificate(&self) -> &Certificate {
        self.identity.certificate()
    }

    /// The identity (with the SerializedIdentity bytes exactly as received).
    pub fn identity(&self) -> &Identity {
        &self.identity
    }
}
