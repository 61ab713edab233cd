//! Where every node of the kit's network listens: one host, consecutive ports from a base.
//!
//! Orderers first, in topology order, three ports each (`listen`, `admin` for the channel
//! participation API, `operations`), then the peers of every organisation in topology order,
//! three ports each (`listen` for gRPC — Gateway, Endorser, Deliver, gossip —, `chaincode` for
//! the classic chaincode listener, `operations`). With the default base 7050 and the medical
//! consortium: orderer 7050/7051/7052, peer0.seoulmedical 7053/7054/7055, peer0.myongji
//! 7056/7057/7058, peer0.nhis 7059/7060/7061, peer0.pharmacy 7062/7063/7064.

use crate::cryptogen::{CryptoSummary, IdentityCrypto, IdentityKind};
use crate::error::{Error, Result};
use crate::topology::Topology;
use serde::Serialize;

/// An orderer node of the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedOrderer {
    /// `orderer.<domain>`.
    pub name: String,
    /// The orderer organisation's MSP ID.
    pub msp_id: String,
    /// gRPC (Broadcast, Deliver, raft cluster traffic).
    pub port: u16,
    /// Channel participation API (`osnadmin`).
    pub admin_port: u16,
    /// Operations (`/healthz`, metrics).
    pub operations_port: u16,
}

/// A peer node of the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedPeer {
    /// `peer0.<domain>`.
    pub name: String,
    /// The organisation's MSP ID.
    pub msp_id: String,
    /// gRPC: Gateway, Endorser, Deliver and gossip.
    pub port: u16,
    /// The classic chaincode listener (unused by CCaaS, but the peer binds it).
    pub chaincode_port: u16,
    /// Operations (`/healthz`, metrics).
    pub operations_port: u16,
}

/// Every node's ports on one host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NetworkPlan {
    /// The host every node listens on and is reached at (e.g. `127.0.0.1`).
    pub host: String,
    /// Orderers, in topology order.
    pub orderers: Vec<PlannedOrderer>,
    /// Peers, organisation by organisation in topology order.
    pub peers: Vec<PlannedPeer>,
}

impl NetworkPlan {
    /// Lays out `topology`'s nodes on `host` from `port_base`.
    pub fn new(topology: &Topology, host: &str, port_base: u16) -> Result<Self> {
        let mut next = u32::from(port_base);
        let mut take3 = |node: &str| -> Result<(u16, u16, u16)> {
            let first = next;
            next += 3;
            let port = |n: u32| {
                u16::try_from(n).map_err(|_| {
                    Error::Kit(format!(
                        "port base {port_base} leaves no room for {node} (ports above 65535); \
                         choose a lower port base"
                    ))
                })
            };
            Ok((port(first)?, port(first + 1)?, port(first + 2)?))
        };
        let oo = &topology.orderer_org;
        let mut orderers = Vec::new();
        for node in &oo.orderers {
            let name = format!("{}.{}", node.name, oo.domain);
            let (port, admin_port, operations_port) = take3(&name)?;
            orderers.push(PlannedOrderer {
                name,
                msp_id: oo.msp_id.clone(),
                port,
                admin_port,
                operations_port,
            });
        }
        let mut peers = Vec::new();
        for org in &topology.orgs {
            for node in &org.peers {
                let name = format!("{}.{}", node.name, org.domain);
                let (port, chaincode_port, operations_port) = take3(&name)?;
                peers.push(PlannedPeer {
                    name,
                    msp_id: org.msp_id.clone(),
                    port,
                    chaincode_port,
                    operations_port,
                });
            }
        }
        Ok(NetworkPlan {
            host: host.to_owned(),
            orderers,
            peers,
        })
    }

    /// `host:port` of a port of this plan.
    pub fn address(&self, port: u16) -> String {
        format!("{}:{port}", self.host)
    }

    /// The peers of `msp_id`.
    pub fn peers_of<'a>(&'a self, msp_id: &'a str) -> impl Iterator<Item = &'a PlannedPeer> + 'a {
        self.peers.iter().filter(move |p| p.msp_id == msp_id)
    }

    /// Every port of the plan, in order.
    pub fn ports(&self) -> Vec<u16> {
        let mut out = Vec::new();
        for o in &self.orderers {
            out.extend([o.port, o.admin_port, o.operations_port]);
        }
        for p in &self.peers {
            out.extend([p.port, p.chaincode_port, p.operations_port]);
        }
        out
    }
}

/// The crypto material of the node called `name`.
pub(crate) fn node_crypto<'a>(crypto: &'a CryptoSummary, name: &str) -> Result<&'a IdentityCrypto> {
    crypto
        .identities
        .iter()
        .find(|i| i.name == name && i.kind.is_node())
        .ok_or_else(|| Error::Kit(format!("no crypto material for node {name}")))
}

/// The first admin of `msp_id`.
pub(crate) fn admin_crypto<'a>(
    crypto: &'a CryptoSummary,
    msp_id: &str,
) -> Result<&'a IdentityCrypto> {
    crypto
        .identities
        .iter()
        .find(|i| i.msp_id == msp_id && i.kind == IdentityKind::Admin)
        .ok_or_else(|| Error::Kit(format!("no admin identity in {msp_id}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medical_consortium_layout() {
        let plan = NetworkPlan::new(&Topology::medical_default(), "127.0.0.1", 7050).unwrap();
        assert_eq!(plan.orderers[0].name, "orderer.medledger.example.com");
        assert_eq!(
            (
                plan.orderers[0].port,
                plan.orderers[0].admin_port,
                plan.orderers[0].operations_port
            ),
            (7050, 7051, 7052)
        );
        let names: Vec<_> = plan.peers.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "peer0.seoulmedical.example.com",
                "peer0.myongji.example.com",
                "peer0.nhis.example.com",
                "peer0.pharmacy.example.com"
            ]
        );
        assert_eq!(plan.peers[3].operations_port, 7064);
        let mut ports = plan.ports();
        ports.dedup();
        assert_eq!(ports.len(), 15);
    }

    #[test]
    fn port_overflow_is_an_error_naming_the_node() {
        let e = NetworkPlan::new(&Topology::medical_default(), "127.0.0.1", 65530)
            .unwrap_err()
            .to_string();
        assert!(e.contains("lower port base"), "{e}");
    }
}
