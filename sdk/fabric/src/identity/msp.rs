//! The verifying side of an MSP: is this identity valid for this MSP, and with which role?

use super::certificate::sigcheck;
use super::msp_dir::{MspDir, NodeOuConfig, OuIdentifier};
use super::{Certificate, Identity, NodeRole};
use crate::policy::VerifiedSigner;
use crate::{Error, Result};
use std::path::Path;

/// The longest certification chain (leaf included) [`Msp::validate`] follows.
pub const MAX_CHAIN_LEN: usize = 10;

/// Everything an [`Msp`] is built from.
#[derive(Debug, Clone, Default)]
pub struct MspConfig {
    /// The MSP ID (`Org1MSP`).
    pub msp_id: String,
    /// Root CA certificates (at least one).
    pub root_certs: Vec<Certificate>,
    /// Intermediate CA certificates.
    pub intermediate_certs: Vec<Certificate>,
    /// Legacy admin certificates: identities with exactly these certificates are admins.
    pub admin_certs: Vec<Certificate>,
    /// Certificate revocation lists, DER.
    pub crls: Vec<Vec<u8>>,
    /// NodeOU classification.
    pub node_ous: Option<NodeOuConfig>,
    /// When not empty, an identity must carry at least one of these OUs.
    pub ou_identifiers: Vec<OuIdentifier>,
}

/// An MSP that validates identities: CA chain, validity period, revocation, NodeOU rules.
#[derive(Debug, Clone)]
pub struct Msp {
    config: MspConfig,
}

/// An identity that an [`Msp`] has validated, with what the MSP says about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidatedIdentity {
    identity: Identity,
    role: Option<NodeRole>,
    is_admin: bool,
    chain: Vec<Certificate>,
}

impl ValidatedIdentity {
    /// The identity.
    pub fn identity(&self) -> &Identity {
        &self.identity
    }

    /// The MSP ID.
    pub fn msp_id(&self) -> &str {
        self.identity.msp_id()
    }

    /// The NodeOU role (when NodeOUs are enabled).
    pub fn role(&self) -> Option<NodeRole> {
        self.role
    }

    /// Admin by the admin OU or by being listed in the MSP's admin certificates.
    pub fn is_admin(&self) -> bool {
        self.is_admin
    }

    /// Every `OU=` value of the certificate subject.
    pub fn ous(&self) -> &[String] {
        self.identity.certificate().ous()
    }

    /// The certification chain, from the identity's certificate to the root CA.
    pub fn chain(&self) -> &[Certificate] {
        &self.chain
    }

    /// What policy evaluation needs about this signer.
    pub fn to_verified_signer(&self) -> VerifiedSigner {
        VerifiedSigner {
            msp_id: self.identity.msp_id().to_owned(),
            role: self.role,
            is_admin: self.is_admin,
            ous: self.ous().to_vec(),
            serialized: self.identity.serialized().to_vec(),
        }
    }
}

impl From<ValidatedIdentity> for VerifiedSigner {
    fn from(v: ValidatedIdentity) -> Self {
        v.to_verified_signer()
    }
}

/// Formats unix seconds as `YYYY-MM-DDTHH:MM:SSZ` (UTC).
pub fn format_unix_time(secs: i64) -> String {
    // Years 0000..9999 and beyond stay far from overflow at this bound.
    let secs = secs.clamp(-100_000_000_000_000, 100_000_000_000_000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (proleptic Gregorian).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem / 60) % 60,
        rem % 60
    )
}

fn role_list(roles: &[NodeRole]) -> String {
    match roles {
        [a, b] => format!("both {a} and {b} OUs"),
        many => format!(
            "several role OUs: {}",
            many.iter()
                .map(|r| r.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

impl Msp {
    /// An MSP from its configuration. Needs at least one root CA, and every root and
    /// intermediate must be a CA certificate.
    pub fn new(config: MspConfig) -> Result<Self> {
        let bad = |reason: String| Error::IdentityRejected {
            msp_id: config.msp_id.clone(),
            reason,
        };
        if config.msp_id.is_empty() {
            return Err(bad("the MSP ID is empty".into()));
        }
        if config.root_certs.is_empty() {
            return Err(bad("the MSP has no root CA certificate".into()));
        }
        for c in config.root_certs.iter().chain(&config.intermediate_certs) {
            if !c.is_ca() {
                return Err(bad(format!(
                    "CA certificate {} is not a CA (basic constraints)",
                    c.subject()
                )));
            }
        }
        Ok(Msp { config })
    }

    /// An MSP from an MSP directory (`cacerts`, `intermediatecerts`, `admincerts`, `crls`,
    /// `config.yaml`).
    pub fn from_dir(path: impl AsRef<Path>, msp_id: impl Into<String>) -> Result<Self> {
        Self::from_msp_dir(&MspDir::load(path)?, msp_id)
    }

    /// An MSP from a loaded MSP directory.
    pub fn from_msp_dir(dir: &MspDir, msp_id: impl Into<String>) -> Result<Self> {
        Self::new(MspConfig {
            msp_id: msp_id.into(),
            root_certs: dir.cacerts.clone(),
            intermediate_certs: dir.intermediatecerts.clone(),
            admin_certs: dir.admincerts.clone(),
            crls: dir.crls.clone(),
            node_ous: dir.node_ous.clone(),
            ou_identifiers: dir.ou_identifiers.clone(),
        })
    }

    /// An MSP from PEM CA certificates (each string may hold several) and NodeOU settings.
    pub fn from_pem(
        msp_id: impl Into<String>,
        root_pems: &[&str],
        intermediate_pems: &[&str],
        node_ous: Option<NodeOuConfig>,
    ) -> Result<Self> {
        let load = |pems: &[&str]| -> Result<Vec<Certificate>> {
            let mut out = Vec::new();
            for p in pems {
                out.extend(Certificate::all_from_pem(p)?);
            }
            Ok(out)
        };
        Self::new(MspConfig {
            msp_id: msp_id.into(),
            root_certs: load(root_pems)?,
            intermediate_certs: load(intermediate_pems)?,
            node_ous,
            ..MspConfig::default()
        })
    }

    /// The MSP ID.
    pub fn msp_id(&self) -> &str {
        &self.config.msp_id
    }

    /// The configuration.
    pub fn config(&self) -> &MspConfig {
        &self.config
    }

    fn reject(&self, reason: impl Into<String>) -> Error {
        Error::IdentityRejected {
            msp_id: self.config.msp_id.clone(),
            reason: reason.into(),
        }
    }

    fn is_root(&self, c: &Certificate) -> bool {
        self.config.root_certs.iter().any(|r| r == c)
    }

    /// Builds the chain from `leaf` to a root CA, verifying every signature.
    fn chain_of(&self, leaf: &Certificate) -> Result<Vec<Certificate>> {
        let mut chain = vec![leaf.clone()];
        let mut current = leaf.clone();
        while chain.len() < MAX_CHAIN_LEN {
            let candidates: Vec<&Certificate> = self
                .config
                .intermediate_certs
                .iter()
                .chain(&self.config.root_certs)
                .filter(|c| c.subject_der() == current.issuer_der())
                .filter(|c| **c != current)
                .filter(|c| {
                    match (
                        current.authority_key_identifier(),
                        c.subject_key_identifier(),
                    ) {
                        (Some(a), Some(s)) => a == s,
                        _ => true,
                    }
                })
                .collect();
            if candidates.is_empty() {
                let what = if chain.len() == 1 {
                    format!(
                        "certificate {} is not signed by any CA of MSP {}",
                        current.subject(),
                        self.msp_id()
                    )
                } else {
                    format!(
                        "intermediate CA {} has no issuer in MSP {}",
                        current.subject(),
                        self.msp_id()
                    )
                };
                return Err(self.reject(format!("{what} (issuer {})", current.issuer())));
            }
            let mut failures = Vec::new();
            let mut parent = None;
            for c in candidates {
                match current.verify_signed_by(c) {
                    Ok(()) => {
                        parent = Some(c.clone());
                        break;
                    }
                    Err(e) => failures.push(format!("{}: {e}", c.subject())),
                }
            }
            let Some(parent) = parent else {
                return Err(self.reject(format!(
                    "certificate {} is not signed by any CA of MSP {} ({})",
                    current.subject(),
                    self.msp_id(),
                    failures.join("; ")
                )));
            };
            chain.push(parent.clone());
            if self.is_root(&parent) {
                return Ok(chain);
            }
            current = parent;
        }
        Err(self.reject(format!("certification chain longer than {MAX_CHAIN_LEN}")))
    }

    fn check_revocation(&self, chain: &[Certificate]) -> Result<()> {
        for crl_der in &self.config.crls {
            let Ok((_, crl)) = x509_parser::parse_x509_crl(crl_der) else {
                continue;
            };
            let list = &crl.tbs_cert_list;
            for pair in chain.windows(2) {
                let (cert, issuer) = (&pair[0], &pair[1]);
                if list.issuer.as_raw() != issuer.subject_der() {
                    continue;
                }
                let Ok(key) = issuer.public_key() else {
                    continue;
                };
                let alg = crl.signature_algorithm.algorithm.to_id_string();
                if sigcheck::verify(&key, &alg, list.as_ref(), &crl.signature_value.data).is_err() {
                    continue;
                }
                if list
                    .revoked_certificates
                    .iter()
                    .any(|r| r.raw_serial() == cert.serial())
                {
                    return Err(self.reject(format!(
                        "certificate {} (serial {}) is revoked by a CRL of {}",
                        cert.subject(),
                        hex::encode(cert.serial()),
                        issuer.subject()
                    )));
                }
            }
        }
        Ok(())
    }

    /// Whether `chain` (beyond the leaf) goes through `ca`.
    fn chain_has(chain: &[Certificate], ca: &Certificate) -> bool {
        chain.iter().skip(1).any(|c| c == ca)
    }

    /// Validates `identity` at time `now` (unix seconds): MSP ID, chain to a root CA through
    /// the intermediates with every signature verified, CA certificates being CAs, validity
    /// periods, CRLs, `OrganizationalUnitIdentifiers`, and NodeOU rules when enabled.
    pub fn validate(&self, identity: &Identity, now: i64) -> Result<ValidatedIdentity> {
        if identity.msp_id() != self.msp_id() {
            return Err(self.reject(format!(
                "identity belongs to MSP {}, not {}",
                identity.msp_id(),
                self.msp_id()
            )));
        }
        let leaf = identity.certificate();
        if leaf.is_ca() {
            return Err(self.reject(format!(
                "certificate {} is a CA certificate and cannot be an identity",
                leaf.subject()
            )));
        }
        let chain = self.chain_of(leaf)?;
        for (i, c) in chain.iter().enumerate() {
            let what = if i == 0 {
                "certificate".to_owned()
            } else {
                format!("CA certificate {}", c.subject())
            };
            if now > c.not_after() {
                return Err(self.reject(format!(
                    "{what} expired at {}",
                    format_unix_time(c.not_after())
                )));
            }
            if now < c.not_before() {
                return Err(self.reject(format!(
                    "{what} is not valid before {}",
                    format_unix_time(c.not_before())
                )));
            }
            if i > 0 && !c.is_ca() {
                return Err(self.reject(format!("{what} is not a CA (basic constraints)")));
            }
        }
        self.check_revocation(&chain)?;

        if !self.config.ou_identifiers.is_empty() {
            let ok = self.config.ou_identifiers.iter().any(|o| {
                leaf.has_ou(&o.ou)
                    && o.certificate
                        .as_ref()
                        .is_none_or(|ca| Self::chain_has(&chain, ca))
            });
            if !ok {
                return Err(self.reject(format!(
                    "certificate {} is in none of the organizational units of the MSP ({})",
                    leaf.subject(),
                    self.config
                        .ou_identifiers
                        .iter()
                        .map(|o| o.ou.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
        }

        let mut role = None;
        if let Some(node_ous) = self.config.node_ous.as_ref().filter(|n| n.enable) {
            let mut roles = Vec::new();
            for (r, ident) in node_ous.identifiers() {
                if !leaf.has_ou(&ident.ou) {
                    continue;
                }
                if let Some(ca) = ident
                    .certificate
                    .as_ref()
                    .filter(|ca| !Self::chain_has(&chain, ca))
                {
                    return Err(self.reject(format!(
                        "has the {r} OU '{}' but does not chain through its CA {}",
                        ident.ou,
                        ca.subject()
                    )));
                }
                roles.push(r);
            }
            match roles.as_slice() {
                [] => {
                    return Err(self.reject(format!(
                        "certificate {} has none of the NodeOU role OUs ({})",
                        leaf.subject(),
                        node_ous
                            .identifiers()
                            .iter()
                            .map(|(_, o)| o.ou.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )));
                }
                [r] => role = Some(*r),
                many => {
                    return Err(self.reject(format!(
                        "certificate {} has {}; it must be exactly one of client, peer, admin, orderer",
                        leaf.subject(),
                        role_list(many)
                    )));
                }
            }
        }
        let is_admin =
            role == Some(NodeRole::Admin) || self.config.admin_certs.iter().any(|a| a == leaf);
        Ok(ValidatedIdentity {
            identity: identity.clone(),
            role,
            is_admin,
            chain,
        })
    }

    /// Validates `identity` at `now` (unix seconds), then verifies `signature` over `message`
    /// with its certificate's key under Fabric's rules (SHA-256, low-S ECDSA; Ed25519 raw).
    pub fn verify_signature_at(
        &self,
        identity: &Identity,
        message: &[u8],
        signature: &[u8],
        now: i64,
    ) -> Result<ValidatedIdentity> {
        let v = self.validate(identity, now)?;
        identity
            .certificate()
            .public_key()?
            .verify(message, signature)?;
        Ok(v)
    }

    /// [`Msp::verify_signature_at`] at the current system time.
    pub fn verify_signature(
        &self,
        identity: &Identity,
        message: &[u8],
        signature: &[u8],
    ) -> Result<ValidatedIdentity> {
        self.verify_signature_at(identity, message, signature, unix_now())
    }
}

/// The current time in unix seconds (0 if the clock is before 1970).
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_format() {
        assert_eq!(format_unix_time(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_unix_time(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(format_unix_time(1_795_487_818), "2026-11-24T02:36:58Z");
        assert_eq!(format_unix_time(-1), "1969-12-31T23:59:59Z");
    }

    #[test]
    fn role_lists() {
        assert_eq!(
            role_list(&[NodeRole::Client, NodeRole::Peer]),
            "both client and peer OUs"
        );
        assert_eq!(
            role_list(&[NodeRole::Client, NodeRole::Peer, NodeRole::Admin]),
            "several role OUs: client, peer, admin"
        );
    }
}
