//! The default MedLedger consortium (also shipped as `network/topology/medical.toml`).

use super::{
    BlockCutting, ChaincodeDef, ChaincodeTls, ChannelConfig, DevnetSettings, KeyType, Location,
    Node, OrdererOrg, OrgKind, PeerOrg, Role, Topology, User,
};

/// The medical contract's private data collections (Fabric's collections JSON), compiled in
/// from `chaincode/medledger/config/collections.json` — the one copy, generated from the
/// contract's consortium directory.
pub const MEDLEDGER_COLLECTIONS: &str =
    include_str!("../../../chaincode/medledger/config/collections.json");

impl Topology {
    /// The default consortium: two hospitals (Seoul Medical Center, Myongji Hospital), the national
    /// insurer (NHIS), a pharmacy organisation and the orderer organisation. Each peer
    /// organisation has `peer0` and an `Admin`; together their users cover every medical role.
    /// The channel `medledger` carries the `medledger` chaincode (CCaaS at 127.0.0.1:9999,
    /// endorsed by two of the hospitals and NHIS, with the contract's collections
    /// [`MEDLEDGER_COLLECTIONS`]).
    pub fn medical_default() -> Self {
        let peer_org =
            |name: &str, msp_id: &str, domain: &str, kind: OrgKind, users: Vec<User>| PeerOrg {
                name: name.to_owned(),
                msp_id: msp_id.to_owned(),
                domain: domain.to_owned(),
                kind,
                location: Location::default(),
                peers: vec![Node::new("peer0")],
                users,
            };
        Topology {
            key_algorithm: KeyType::EcdsaP256,
            orderer_org: OrdererOrg {
                name: "Orderer".to_owned(),
                msp_id: "OrdererMSP".to_owned(),
                domain: "medledger.example.com".to_owned(),
                location: Location::default(),
                orderers: vec![Node::new("orderer")],
                users: vec![User::admin("Admin")],
            },
            orgs: vec![
                peer_org(
                    "SeoulMedicalCenter",
                    "SeoulMedicalCenterMSP",
                    "seoulmedical.example.com",
                    OrgKind::Hospital,
                    vec![
                        User::admin("Admin"),
                        User::client("Doctor1", Role::Doctor)
                            .with_license("MD-104233")
                            .with_attribute("department", "internal_medicine"),
                        User::client("Nurse1", Role::Nurse)
                            .with_attribute("department", "internal_medicine"),
                        User::client("Clerk1", Role::Clerk),
                        User::client("Patient1", Role::Patient).with_patient_id("P-SMC-000001"),
                        User::client("Auditor1", Role::Auditor),
                    ],
                ),
                peer_org(
                    "MyongjiHospital",
                    "MyongjiHospitalMSP",
                    "myongji.example.com",
                    OrgKind::Hospital,
                    vec![
                        User::admin("Admin"),
                        User::client("Doctor1", Role::Doctor)
                            .with_license("MD-118472")
                            .with_attribute("department", "orthopedics"),
                        User::client("Nurse1", Role::Nurse),
                        User::client("Clerk1", Role::Clerk),
                        User::client("Patient1", Role::Patient).with_patient_id("P-MJH-000001"),
                    ],
                ),
                peer_org(
                    "NHIS",
                    "NHISMSP",
                    "nhis.example.com",
                    OrgKind::Insurer,
                    vec![
                        User::admin("Admin"),
                        User::client("ClaimsOfficer1", Role::ClaimsOfficer),
                        User::client("Auditor1", Role::Auditor),
                    ],
                ),
                peer_org(
                    "Pharmacy",
                    "PharmacyMSP",
                    "pharmacy.example.com",
                    OrgKind::Pharmacy,
                    vec![
                        User::admin("Admin"),
                        User::client("Pharmacist1", Role::Pharmacist).with_license("PH-208841"),
                        User::client("Clerk1", Role::Clerk),
                    ],
                ),
            ],
            channel: ChannelConfig::default(),
            chaincodes: vec![ChaincodeDef {
                name: "medledger".to_owned(),
                version: "1.0".to_owned(),
                sequence: 1,
                label: Some("medledger_1.0".to_owned()),
                package_id: None,
                address: Some("127.0.0.1:9999".to_owned()),
                command: None,
                tls: ChaincodeTls::default(),
                endorsement_policy: Some(
                    "OutOf(2, 'SeoulMedicalCenterMSP.peer', 'MyongjiHospitalMSP.peer', 'NHISMSP.peer')"
                        .to_owned(),
                ),
                // The contract's collections, from its one source of truth (the TOML file
                // points at the same file with `collections_file`).
                collections: Some(MEDLEDGER_COLLECTIONS.to_owned()),
                collections_file: None,
                init_required: false,
            }],
            block_cutting: BlockCutting::default(),
            devnet: DevnetSettings::default(),
        }
    }
}
