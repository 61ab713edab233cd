//! `msp.SerializedIdentity`: an MSP ID and a PEM certificate, kept as the exact bytes.

use super::Certificate;
use crate::protos::msp::SerializedIdentity;
use crate::{Error, Result};
use prost::Message as _;

/// An X.509 MSP identity together with its serialized form.
///
/// The serialized bytes are what Fabric signs and hashes (`SignatureHeader.creator`, txids,
/// `Endorsement.endorser`), so they are kept exactly: [`Identity::new`] produces the one
/// canonical encoding, [`Identity::from_serialized`] keeps the received bytes as they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    msp_id: String,
    certificate: Certificate,
    serialized: Vec<u8>,
}

impl Identity {
    /// The identity of `certificate` in MSP `msp_id`, serialized canonically:
    /// `SerializedIdentity{mspid, id_bytes = Go pem.Encode of the certificate DER}`.
    pub fn new(msp_id: impl Into<String>, certificate: Certificate) -> Self {
        let msp_id = msp_id.into();
        let msg = SerializedIdentity {
            mspid: msp_id.clone(),
            id_bytes: certificate.to_pem().into_bytes().into(),
        };
        Identity {
            msp_id,
            certificate,
            serialized: msg.encode_to_vec(),
        }
    }

    /// Decodes received `SerializedIdentity` bytes and parses the PEM certificate. The bytes
    /// are kept exactly as received (never re-encoded).
    pub fn from_serialized(bytes: &[u8]) -> Result<Self> {
        let msg = SerializedIdentity::decode(bytes).map_err(Error::decode("SerializedIdentity"))?;
        if msg.mspid.is_empty() {
            return Err(Error::Malformed {
                what: "SerializedIdentity",
                reason: "empty mspid".into(),
            });
        }
        let certificate =
            Certificate::from_pem(&msg.id_bytes[..]).map_err(|e| Error::Malformed {
                what: "SerializedIdentity",
                reason: format!("id_bytes of MSP {}: {e}", msg.mspid),
            })?;
        Ok(Identity {
            msp_id: msg.mspid,
            certificate,
            serialized: bytes.to_vec(),
        })
    }

    /// The MSP ID.
    pub fn msp_id(&self) -> &str {
        &self.msp_id
    }

    /// The certificate.
    pub fn certificate(&self) -> &Certificate {
        &self.certificate
    }

    /// The serialized bytes (canonical, or exactly as received).
    pub fn serialized(&self) -> &[u8] {
        &self.serialized
    }

    /// Consumes the identity, returning its serialized bytes.
    pub fn into_serialized(self) -> Vec<u8> {
        self.serialized
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_and_empty_are_errors() {
        assert!(Identity::from_serialized(&[0xff, 0xff]).is_err());
        assert!(Identity::from_serialized(&[]).is_err());
        let no_cert = SerializedIdentity {
            mspid: "Org1MSP".into(),
            id_bytes: b"x".to_vec().into(),
        };
        let err = Identity::from_serialized(&no_cert.encode_to_vec()).unwrap_err();
        assert!(err.to_string().contains("Org1MSP"), "{err}");
    }
}
