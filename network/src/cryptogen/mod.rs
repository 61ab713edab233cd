//! Crypto-material generation (what Fabric's `cryptogen` does) for a [`Topology`].
//!
//! Layout, per organisation (`peerOrganizations/<domain>` or `ordererOrganizations/<domain>`):
//!
//! ```text
//! ca/{ca.<domain>-cert.pem, priv_sk}            signing root CA
//! tlsca/{tlsca.<domain>-cert.pem, priv_sk}      TLS root CA
//! msp/{cacerts/, tlscacerts/, config.yaml}      organisation MSP (NodeOUs enabled)
//! peers/<peer>.<domain>/                        (orderers/<orderer>.<domain>/ for the orderer org)
//!     msp/{cacerts/, keystore/priv_sk, signcerts/<peer>.<domain>-cert.pem, tlscacerts/, config.yaml}
//!     tls/{ca.crt, server.crt, server.key}
//! users/<User>@<domain>/
//!     msp/{cacerts/, keystore/priv_sk, signcerts/<User>@<domain>-cert.pem, tlscacerts/, config.yaml}
//!     tls/{ca.crt, client.crt, client.key}
//! ```
//!
//! No `admincerts/` (NodeOUs carry the admin role, as Fabric v2+ cryptogen writes). Keys are
//! PKCS#8 PEM (`PRIVATE KEY`), mode 0600 on unix. Enrollment certificates have subject
//! `C, ST, L, OU=<client|admin|peer|orderer>, CN=<name>`; people's carry the Fabric CA attribute
//! extension (OID 1.2.3.4.5.6.7.8.1, raw JSON) with `hf.EnrollmentID`, `hf.Type`,
//! `hf.Affiliation`, `role`, `license_no`, `patient_id` and extra attributes.

mod certs;
mod output;
mod summary;

pub use certs::ATTRIBUTE_EXTENSION_OID;
pub use summary::{CryptoSummary, IdentityCrypto, IdentityKind, OrgCrypto, OrgType};

use crate::error::{Error, Result};
use crate::topology::{Location, Node, Topology, User, UserType};
use certs::{Ca, Leaf, Validity};
use output::Staging;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Options for [`generate_with`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GenerateOptions {
    /// Replace the output of a previous run. Without it a non-empty output directory is an error.
    /// Even with it, a directory holding anything but crypto material is refused.
    pub overwrite: bool,
}

/// Generates the crypto material of `topology` into `out_dir`, which must be absent or empty.
pub fn generate(topology: &Topology, out_dir: impl AsRef<Path>) -> Result<CryptoSummary> {
    generate_with(topology, out_dir, &GenerateOptions::default())
}

/// Generates the crypto material of `topology` into `out_dir` with `options`.
///
/// The topology is validated first. The tree is built in a staging directory and moved into
/// place only when complete, so a failure leaves `out_dir` as it was.
pub fn generate_with(
    topology: &Topology,
    out_dir: impl AsRef<Path>,
    options: &GenerateOptions,
) -> Result<CryptoSummary> {
    topology.validate()?;
    let out_dir = out_dir.as_ref();
    let mut staging = Staging::begin(out_dir, options.overwrite)?;
    let mut generator = Generator {
        topology,
        validity: Validity::from_now(),
        out_dir,
        staging: &mut staging,
        orgs: Vec::new(),
        identities: Vec::new(),
    };
    match generator.run() {
        Ok(()) => {
            let Generator {
                orgs, identities, ..
            } = generator;
            let files = staging.commit()?;
            Ok(CryptoSummary {
                out_dir: out_dir.to_owned(),
                key_algorithm: topology.key_algorithm,
                orgs,
                identities,
                files,
            })
        }
        Err(e) => {
            staging.abort();
            Err(e)
        }
    }
}

/// One organisation as [`load`] walks it: top directory, name, MSP ID, domain, type, nodes,
/// users.
type LoadSection<'a> = (
    &'a str,
    &'a str,
    &'a str,
    &'a str,
    OrgType,
    Vec<(&'a Node, IdentityKind)>,
    &'a [User],
);

/// One identity as [`load`] finds it: directory, full name, short name, kind, role, TLS file
/// stem.
type LoadEntry = (
    PathBuf,
    String,
    String,
    IdentityKind,
    Option<crate::topology::Role>,
    &'static str,
);

/// The summary of crypto material generated earlier for `topology` into `out_dir` (for a devnet
/// that resumes): the same paths [`generate`] reports, each checked to exist.
pub fn load(topology: &Topology, out_dir: impl AsRef<Path>) -> Result<CryptoSummary> {
    let out_dir = out_dir.as_ref();
    let mut orgs = Vec::new();
    let mut identities = Vec::new();
    let check = |p: PathBuf| -> Result<PathBuf> {
        if p.exists() {
            Ok(p)
        } else {
            Err(Error::OutputDir {
                path: out_dir.to_owned(),
                reason: format!(
                    "{} is missing; the crypto material does not match the topology",
                    p.display()
                ),
            })
        }
    };
    let o = &topology.orderer_org;
    let mut sections: Vec<LoadSection<'_>> = vec![(
        "ordererOrganizations",
        &o.name,
        &o.msp_id,
        &o.domain,
        OrgType::Orderer,
        o.orderers
            .iter()
            .map(|n| (n, IdentityKind::Orderer))
            .collect(),
        &o.users,
    )];
    for org in &topology.orgs {
        sections.push((
            "peerOrganizations",
            &org.name,
            &org.msp_id,
            &org.domain,
            OrgType::Peer(org.kind),
            org.peers.iter().map(|n| (n, IdentityKind::Peer)).collect(),
            &org.users,
        ));
    }
    for (top, name, msp_id, domain, org_type, nodes, users) in sections {
        let dir = out_dir.join(top).join(domain);
        orgs.push(OrgCrypto {
            name: name.to_owned(),
            msp_id: msp_id.to_owned(),
            domain: domain.to_owned(),
            org_type,
            msp_dir: check(dir.join("msp"))?,
            ca_cert: check(dir.join("ca").join(format!("ca.{domain}-cert.pem")))?,
            ca_key: check(dir.join("ca").join("priv_sk"))?,
            tlsca_cert: check(dir.join("tlsca").join(format!("tlsca.{domain}-cert.pem")))?,
            tlsca_key: check(dir.join("tlsca").join("priv_sk"))?,
            dir: dir.clone(),
        });
        let mut entries: Vec<LoadEntry> = Vec::new();
        for (node, kind) in nodes {
            let host = format!("{}.{domain}", node.name);
            let sub = if kind == IdentityKind::Orderer {
                "orderers"
            } else {
                "peers"
            };
            entries.push((
                dir.join(sub).join(&host),
                host,
                node.name.clone(),
                kind,
                None,
                "server",
            ));
        }
        for user in users {
            let full = format!("{}@{domain}", user.name);
            let kind = match user.user_type {
                UserType::Admin => IdentityKind::Admin,
                UserType::Client => IdentityKind::Client,
            };
            entries.push((
                dir.join("users").join(&full),
                full,
                user.name.clone(),
                kind,
                user.role,
                "client",
            ));
        }
        for (idir, cn, short, kind, role, stem) in entries {
            let msp_dir = idir.join("msp");
            let tls_dir = idir.join("tls");
            identities.push(IdentityCrypto {
                org: name.to_owned(),
                msp_id: msp_id.to_owned(),
                cert: check(msp_dir.join("signcerts").join(format!("{cn}-cert.pem")))?,
                key: check(msp_dir.join("keystore").join("priv_sk"))?,
                tls_cert: check(tls_dir.join(format!("{stem}.crt")))?,
                tls_key: check(tls_dir.join(format!("{stem}.key")))?,
                tls_ca_cert: check(tls_dir.join("ca.crt"))?,
                name: cn,
                short_name: short,
                kind,
                role,
                msp_dir,
                tls_dir,
            });
        }
    }
    let mut files = Vec::new();
    collect_files(out_dir, out_dir, &mut files)?;
    files.sort();
    Ok(CryptoSummary {
        out_dir: out_dir.to_owned(),
        key_algorithm: topology.key_algorithm,
        orgs,
        identities,
        files,
    })
}

fn collect_files(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let path = entry.path();
        let ft = entry.file_type().map_err(|e| Error::io(&path, e))?;
        if ft.is_dir() {
            collect_files(root, &path, out)?;
        } else if let Ok(rel) = path.strip_prefix(root) {
            out.push(rel.to_owned());
        }
    }
    Ok(())
}

/// The organisation-level facts every identity of an org needs.
struct OrgCtx<'a> {
    name: &'a str,
    msp_id: &'a str,
    domain: &'a str,
    location: &'a Location,
    /// Relative organisation directory.
    dir: PathBuf,
    ca: Ca,
    tlsca: Ca,
}

struct Generator<'a> {
    topology: &'a Topology,
    validity: Validity,
    out_dir: &'a Path,
    staging: &'a mut Staging,
    orgs: Vec<OrgCrypto>,
    identities: Vec<IdentityCrypto>,
}

impl Generator<'_> {
    fn run(&mut self) -> Result<()> {
        let t = self.topology;
        let o = &t.orderer_org;
        let ctx = self.org(
            "ordererOrganizations",
            &o.name,
            &o.msp_id,
            &o.domain,
            &o.location,
            OrgType::Orderer,
        )?;
        for node in &o.orderers {
            self.node(&ctx, node, IdentityKind::Orderer)?;
        }
        for user in &o.users {
            self.user(&ctx, user)?;
        }
        for org in &t.orgs {
            let ctx = self.org(
                "peerOrganizations",
                &org.name,
                &org.msp_id,
                &org.domain,
                &org.location,
                OrgType::Peer(org.kind),
            )?;
            for node in &org.peers {
                self.node(&ctx, node, IdentityKind::Peer)?;
            }
            for user in &org.users {
                self.user(&ctx, user)?;
            }
        }
        Ok(())
    }

    fn write(&mut self, rel: &Path, data: &str, secret: bool) -> Result<()> {
        self.staging.write(rel, data.as_bytes(), secret)
    }

    fn abs(&self, rel: &Path) -> PathBuf {
        self.out_dir.join(rel)
    }

    #[allow(clippy::too_many_arguments)]
    fn org<'t>(
        &mut self,
        top: &str,
        name: &'t str,
        msp_id: &'t str,
        domain: &'t str,
        location: &'t Location,
        org_type: OrgType,
    ) -> Result<OrgCtx<'t>> {
        let alg = self.topology.key_algorithm;
        let ca = certs::new_ca(
            alg,
            self.validity,
            location,
            domain,
            &format!("ca.{domain}"),
        )?;
        let tlsca = certs::new_ca(
            alg,
            self.validity,
            location,
            domain,
            &format!("tlsca.{domain}"),
        )?;
        let dir = Path::new(top).join(domain);
        let ca_cert = dir.join("ca").join(ca.file_name());
        let ca_key = dir.join("ca").join("priv_sk");
        let tlsca_cert = dir.join("tlsca").join(tlsca.file_name());
        let tlsca_key = dir.join("tlsca").join("priv_sk");
        self.write(&ca_cert, &ca.cert_pem, false)?;
        self.write(&ca_key, &ca.key.pem, true)?;
        self.write(&tlsca_cert, &tlsca.cert_pem, false)?;
        self.write(&tlsca_key, &tlsca.key.pem, true)?;
        let ctx = OrgCtx {
            name,
            msp_id,
            domain,
            location,
            dir,
            ca,
            tlsca,
        };
        let msp_dir = ctx.dir.join("msp");
        self.msp_common(&ctx, &msp_dir)?;
        self.orgs.push(OrgCrypto {
            name: name.to_owned(),
            msp_id: msp_id.to_owned(),
            domain: domain.to_owned(),
            org_type,
            dir: self.abs(&ctx.dir),
            msp_dir: self.abs(&msp_dir),
            ca_cert: self.abs(&ca_cert),
            ca_key: self.abs(&ca_key),
            tlsca_cert: self.abs(&tlsca_cert),
            tlsca_key: self.abs(&tlsca_key),
        });
        Ok(ctx)
    }

    /// `cacerts/`, `tlscacerts/` and `config.yaml` of an MSP directory.
    fn msp_common(&mut self, ctx: &OrgCtx<'_>, msp_dir: &Path) -> Result<()> {
        self.write(
            &msp_dir.join("cacerts").join(ctx.ca.file_name()),
            &ctx.ca.cert_pem,
            false,
        )?;
        self.write(
            &msp_dir.join("tlscacerts").join(ctx.tlsca.file_name()),
            &ctx.tlsca.cert_pem,
            false,
        )?;
        self.write(
            &msp_dir.join("config.yaml"),
            &node_ou_config(&ctx.ca.file_name()),
            false,
        )
    }

    fn node(&mut self, ctx: &OrgCtx<'_>, node: &Node, kind: IdentityKind) -> Result<()> {
        let host = format!("{}.{}", node.name, ctx.domain);
        let dir = ctx
            .dir
            .join(if kind == IdentityKind::Orderer {
                "orderers"
            } else {
                "peers"
            })
            .join(&host);
        let mut sans = vec![
            host.clone(),
            node.name.clone(),
            "localhost".to_owned(),
            "127.0.0.1".to_owned(),
        ];
        for san in &node.sans {
            if !sans.contains(san) {
                sans.push(san.clone());
            }
        }
        sans.dedup();
        let signing = Leaf::Signing {
            ou: kind.as_str(),
            attributes_json: None,
        };
        let tls = Leaf::Tls { sans: &sans };
        self.identity(
            ctx, &dir, &host, &node.name, kind, None, signing, tls, "server",
        )
    }

    fn user(&mut self, ctx: &OrgCtx<'_>, user: &User) -> Result<()> {
        let full = format!("{}@{}", user.name, ctx.domain);
        let dir = ctx.dir.join("users").join(&full);
        let kind = match user.user_type {
            UserType::Admin => IdentityKind::Admin,
            UserType::Client => IdentityKind::Client,
        };
        let json = attributes_json(&full, user).map_err(|e| Error::CertificateData {
            identity: full.clone(),
            reason: format!("attribute JSON: {e}"),
        })?;
        let signing = Leaf::Signing {
            ou: kind.as_str(),
            attributes_json: Some(json),
        };
        let tls = Leaf::Tls { sans: &[] };
        self.identity(
            ctx, &dir, &full, &user.name, kind, user.role, signing, tls, "client",
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn identity(
        &mut self,
        ctx: &OrgCtx<'_>,
        dir: &Path,
        cn: &str,
        short_name: &str,
        kind: IdentityKind,
        role: Option<crate::topology::Role>,
        signing: Leaf<'_>,
        tls: Leaf<'_>,
        tls_stem: &str,
    ) -> Result<()> {
        let alg = self.topology.key_algorithm;
        let msp_dir = dir.join("msp");
        let tls_dir = dir.join("tls");
        self.msp_common(ctx, &msp_dir)?;
        let ecert = certs::issue(&ctx.ca, alg, self.validity, ctx.location, cn, signing)?;
        let cert = msp_dir.join("signcerts").join(format!("{cn}-cert.pem"));
        let key = msp_dir.join("keystore").join("priv_sk");
        self.write(&cert, &ecert.cert_pem, false)?;
        self.write(&key, &ecert.key_pem, true)?;

        let tcert = certs::issue(&ctx.tlsca, alg, self.validity, ctx.location, cn, tls)?;
        let tls_ca_cert = tls_dir.join("ca.crt");
        let tls_cert = tls_dir.join(format!("{tls_stem}.crt"));
        let tls_key = tls_dir.join(format!("{tls_stem}.key"));
        self.write(&tls_ca_cert, &ctx.tlsca.cert_pem, false)?;
        self.write(&tls_cert, &tcert.cert_pem, false)?;
        self.write(&tls_key, &tcert.key_pem, true)?;

        self.identities.push(IdentityCrypto {
            org: ctx.name.to_owned(),
            msp_id: ctx.msp_id.to_owned(),
            name: cn.to_owned(),
            short_name: short_name.to_owned(),
            kind,
            role,
            msp_dir: self.abs(&msp_dir),
            tls_dir: self.abs(&tls_dir),
            cert: self.abs(&cert),
            key: self.abs(&key),
            tls_cert: self.abs(&tls_cert),
            tls_key: self.abs(&tls_key),
            tls_ca_cert: self.abs(&tls_ca_cert),
        });
        Ok(())
    }
}

/// The NodeOU `config.yaml`, identical in every MSP directory of an organisation.
pub fn node_ou_config(ca_file_name: &str) -> String {
    let mut out = String::from("NodeOUs:\n    Enable: true\n");
    for (key, ou) in [
        ("ClientOUIdentifier", "client"),
        ("PeerOUIdentifier", "peer"),
        ("AdminOUIdentifier", "admin"),
        ("OrdererOUIdentifier", "orderer"),
    ] {
        out.push_str(&format!(
            "    {key}:\n        Certificate: cacerts/{ca_file_name}\n        OrganizationalUnitIdentifier: {ou}\n"
        ));
    }
    out
}

/// The Fabric CA attribute JSON of a person: `{"attrs":{...}}`, keys sorted (as Go marshals maps).
///
/// `hf.EnrollmentID` is the certificate CN (`<name>@<domain>`), as Fabric CA puts the enrollment
/// ID in the CN; `hf.Type` is the NodeOU type; `hf.Affiliation` is empty.
pub fn attributes_json(enrollment_id: &str, user: &User) -> serde_json::Result<Vec<u8>> {
    let mut attrs: BTreeMap<&str, &str> = BTreeMap::new();
    attrs.insert("hf.EnrollmentID", enrollment_id);
    attrs.insert("hf.Type", user.user_type.as_str());
    attrs.insert("hf.Affiliation", "");
    if let Some(role) = user.role {
        attrs.insert("role", role.as_str());
    }
    if let Some(lic) = &user.license_no {
        attrs.insert("license_no", lic);
    }
    if let Some(pid) = &user.patient_id {
        attrs.insert("patient_id", pid);
    }
    for (k, v) in &user.attributes {
        attrs.entry(k.as_str()).or_insert(v.as_str());
    }
    serde_json::to_vec(&serde_json::json!({ "attrs": attrs }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::topology::Role;

    #[test]
    fn config_yaml_matches_cryptogen_form() {
        let expected = "NodeOUs:
    Enable: true
    ClientOUIdentifier:
        Certificate: cacerts/ca.org1.example.com-cert.pem
        OrganizationalUnitIdentifier: client
    PeerOUIdentifier:
        Certificate: cacerts/ca.org1.example.com-cert.pem
        OrganizationalUnitIdentifier: peer
    AdminOUIdentifier:
        Certificate: cacerts/ca.org1.example.com-cert.pem
        OrganizationalUnitIdentifier: admin
    OrdererOUIdentifier:
        Certificate: cacerts/ca.org1.example.com-cert.pem
        OrganizationalUnitIdentifier: orderer
";
        assert_eq!(node_ou_config("ca.org1.example.com-cert.pem"), expected);
    }

    #[test]
    fn attribute_json_is_sorted_and_complete() {
        let user = User::client("Doctor1", Role::Doctor)
            .with_license("MD-1")
            .with_attribute("department", "er \"east\"");
        let json = attributes_json("Doctor1@h.example.com", &user).unwrap();
        assert_eq!(
            String::from_utf8(json).unwrap(),
            r#"{"attrs":{"department":"er \"east\"","hf.Affiliation":"","hf.EnrollmentID":"Doctor1@h.example.com","hf.Type":"client","license_no":"MD-1","role":"doctor"}}"#
        );
    }
}
