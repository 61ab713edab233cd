//! Test identities: real X.509 certificates (ECDSA P-256, issued by a per-MSP test CA) with a
//! NodeOU role, extra OUs and Fabric CA attributes, so that `stub.client_identity()` and the
//! contract API's `ctx.client_identity()` see exactly what they would see on a network.
//!
//! Everything is derived from the MSP id and the identity's fields: the same identity gives the
//! same keys, certificates and signatures on every run (RFC 6979 signatures), so transaction ids
//! are reproducible.

use std::collections::BTreeMap;

use fabric_sdk::crypto::Backend;
use fabric_sdk::identity::{Certificate, ClientIdentity, Identity, NodeRole, SigningIdentity};

use super::cert::{
    Issue, OID_COMMON_NAME, OID_COUNTRY, OID_LOCALITY, OID_ORGANIZATION, OID_OU, OID_STATE,
    derive_key, dn, issue,
};
use crate::{Error, Result};

/// A client of an organisation, with a certificate issued by that organisation's test CA.
///
/// ```
/// use fabric_chaincode::testing::TestIdentity;
///
/// let doctor = TestIdentity::builder("HospitalMSP")
///     .name("doctor1")
///     .ou("cardiology")
///     .attribute("role", "doctor")
///     .build()?;
/// assert_eq!(doctor.msp_id(), "HospitalMSP");
/// let seen = doctor.client_identity()?; // what the chaincode sees
/// assert_eq!(seen.attribute_value("role"), Some("doctor"));
/// assert!(seen.has_ou_value("client") && seen.has_ou_value("cardiology"));
/// # Ok::<(), fabric_chaincode::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct TestIdentity {
    name: String,
    signing: SigningIdentity,
    ca: Certificate,
}

/// Builds a [`TestIdentity`]: [`TestIdentity::builder`].
#[derive(Debug, Clone)]
#[must_use]
pub struct TestIdentityBuilder {
    msp_id: String,
    name: Option<String>,
    role: NodeRole,
    ous: Vec<String>,
    attributes: BTreeMap<String, String>,
}

impl TestIdentity {
    /// A client of `msp_id` named `User1@<org>.example.com` (`Org1MSP` → `org1.example.com`),
    /// with the NodeOU `OU=client` and no attributes.
    pub fn new(msp_id: impl Into<String>) -> Result<TestIdentity> {
        Self::builder(msp_id).build()
    }

    /// A builder for an identity of `msp_id`.
    pub fn builder(msp_id: impl Into<String>) -> TestIdentityBuilder {
        TestIdentityBuilder {
            msp_id: msp_id.into(),
            name: None,
            role: NodeRole::Client,
            ous: Vec::new(),
            attributes: BTreeMap::new(),
        }
    }

    /// The MSP id.
    pub fn msp_id(&self) -> &str {
        self.signing.identity.msp_id()
    }

    /// The certificate's common name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The serialized identity (`msp.SerializedIdentity`): a proposal's creator.
    pub fn serialized(&self) -> &[u8] {
        self.signing.serialized()
    }

    /// The enrollment certificate.
    pub fn certificate(&self) -> &Certificate {
        self.signing.identity.certificate()
    }

    /// The certificate of the organisation's test CA (the MSP's root certificate).
    pub fn ca_certificate(&self) -> &Certificate {
        &self.ca
    }

    /// The identity with its signer (signs proposals).
    pub fn signing_identity(&self) -> &SigningIdentity {
        &self.signing
    }

    /// The identity as a chaincode sees it (`cid`): MSP id, ID string, attributes, OUs.
    pub fn client_identity(&self) -> Result<ClientIdentity> {
        ClientIdentity::from_serialized(self.serialized()).map_err(Error::from)
    }
}

impl TestIdentityBuilder {
    /// The certificate's common name (default `User1@<org>.example.com`).
    pub fn name(mut self, common_name: impl Into<String>) -> Self {
        self.name = Some(common_name.into());
        self
    }

    /// The NodeOU role (default client): the first `OU` of the subject.
    pub fn role(mut self, role: NodeRole) -> Self {
        self.role = role;
        self
    }

    /// Adds an `OU` to the subject after the role (Fabric CA writes the affiliation this way).
    pub fn ou(mut self, ou: impl Into<String>) -> Self {
        self.ous.push(ou.into());
        self
    }

    /// Adds a Fabric CA attribute (read with `client_identity().attribute_value(name)`).
    pub fn attribute(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.attributes.insert(name.into(), value.into());
        self
    }

    /// Issues the certificate.
    pub fn build(self) -> Result<TestIdentity> {
        let domain = org_domain(&self.msp_id);
        let name = self
            .name
            .clone()
            .unwrap_or_else(|| format!("User1@{domain}"));
        let context = format!("test identity {}/{name}", self.msp_id);
        let fail = |e: &dyn std::fmt::Display| Error::testing(&context, e);

        let ca_cn = format!("ca.{domain}");
        let ca_name = dn(&[
            (OID_COUNTRY, "US"),
            (OID_STATE, "California"),
            (OID_LOCALITY, "San Francisco"),
            (OID_ORGANIZATION, &domain),
            (OID_COMMON_NAME, &ca_cn),
        ]);
        let ca_key = derive_key(&["ca", &self.msp_id]).map_err(|e| fail(&e))?;
        let ca_ski = ca_key.public_key().map_err(|e| fail(&e))?.ski();
        let ca_der = issue(&Issue {
            serial_seed: &["ca", &self.msp_id],
            issuer: &ca_name,
            subject: &ca_name,
            subject_key: &ca_key,
            issuer_key: &ca_key,
            issuer_ski: ca_ski,
            is_ca: true,
            attributes_json: None,
        })
        .map_err(|e| fail(&e))?;
        let ca = Certificate::from_der(&ca_der).map_err(|e| fail(&e))?;

        let mut subject: Vec<(&[u64], &str)> = vec![
            (OID_COUNTRY, "US"),
            (OID_STATE, "California"),
            (OID_LOCALITY, "San Francisco"),
            (OID_OU, self.role.default_ou()),
        ];
        subject.extend(self.ous.iter().map(|ou| (OID_OU, ou.as_str())));
        subject.push((OID_COMMON_NAME, &name));
        let attributes_json = if self.attributes.is_empty() {
            None
        } else {
            let json = serde_json::json!({ "attrs": self.attributes });
            Some(serde_json::to_vec(&json).map_err(|e| fail(&e))?)
        };
        let role = self.role.default_ou();
        let key = derive_key(&["identity", &self.msp_id, role, &name]).map_err(|e| fail(&e))?;
        let mut serial_seed = vec!["identity", &self.msp_id, role, &name];
        serial_seed.extend(self.ous.iter().map(String::as_str));
        let attrs_text = attributes_json
            .as_deref()
            .map(String::from_utf8_lossy)
            .unwrap_or_default();
        serial_seed.push(&attrs_text);
        let der = issue(&Issue {
            serial_seed: &serial_seed,
            issuer: &ca_name,
            subject: &dn(&subject),
            subject_key: &key,
            issuer_key: &ca_key,
            issuer_ski: ca_ski,
            is_ca: false,
            attributes_json: attributes_json.as_deref(),
        })
        .map_err(|e| fail(&e))?;
        let cert = Certificate::from_der(&der).map_err(|e| fail(&e))?;
        let signer = key.signer_with(Backend::RustCrypto).map_err(|e| fail(&e))?;
        let signing = SigningIdentity::with_signer(Identity::new(self.msp_id, cert), signer);
        Ok(TestIdentity { name, signing, ca })
    }
}

/// `Org1MSP` → `org1.example.com`: the MSP id without a trailing `MSP`, lower case, letters,
/// digits and `-` only.
fn org_domain(msp_id: &str) -> String {
    let base = msp_id.strip_suffix("MSP").unwrap_or(msp_id);
    let label: String = base
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let label = if label.is_empty() {
        "org".into()
    } else {
        label
    };
    format!("{label}.example.com")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_from_msp_ids() {
        assert_eq!(org_domain("Org1MSP"), "org1.example.com");
        assert_eq!(
            org_domain("Seoul Medical_CenterMSP"),
            "seoulmedicalcenter.example.com"
        );
        assert_eq!(org_domain("MSP"), "org.example.com");
    }

    #[test]
    fn identities_are_deterministic_and_signed_by_their_ca() {
        let a = TestIdentity::new("Org1MSP").unwrap();
        let b = TestIdentity::new("Org1MSP").unwrap();
        assert_eq!(a.serialized(), b.serialized());
        assert_eq!(a.certificate().issuer(), a.ca_certificate().subject());
        a.certificate()
            .verify_signed_by(a.ca_certificate())
            .unwrap();
        a.ca_certificate()
            .verify_signed_by(a.ca_certificate())
            .unwrap();
        assert!(a.ca_certificate().is_ca());
        assert!(!a.certificate().is_ca());
        assert_eq!(
            a.certificate().authority_key_identifier(),
            a.ca_certificate().subject_key_identifier()
        );
        let other = TestIdentity::new("Org2MSP").unwrap();
        assert_ne!(a.serialized(), other.serialized());
    }
}
