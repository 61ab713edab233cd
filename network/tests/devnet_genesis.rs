//! The genesis block: our protos read real configtxgen output (field numbers proven by
//! re-encoding), and the block we build for the medical topology has the expected structure.

use bytes::Bytes;
use fabric_protos::common::{
    Block, BlockDataHashingStructure, Capabilities, ChannelHeader, ConfigGroup, HashingAlgorithm,
    HeaderType, ImplicitMetaPolicy, OrdererAddresses, Payload, SignatureHeader,
    SignaturePolicyEnvelope, policy::PolicyType,
};
use fabric_protos::etcdraft::ConfigMetadata;
use fabric_protos::msp::{FabricMspConfig, MspConfig};
use fabric_protos::orderer::{BatchSize, BatchTimeout, ChannelRestrictions, ConsensusType};
use fabric_protos::protos::{AnchorPeers, TxValidationCode};
use fabric_sdk::identity::SigningIdentity;
use fabric_sdk::policy::to_dsl;
use fabric_sdk::tx::block::verify_block_hashes;
use medledger_network::devnet::acl::{AccessControl, ChannelPolicy, SignedData};
use medledger_network::devnet::envelope::EnvelopeHeaders;
use medledger_network::devnet::genesis::{
    GenesisOptions, config_from_block, encode_capabilities, genesis_block, implicit_meta_of,
};
use medledger_network::devnet::store::BlockUpdates;
use medledger_network::devnet::{MspAccessControl, Store};
use medledger_network::{Topology, generate};
use prost::Message;
use std::collections::BTreeMap;

const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/vectors");

// ---- a schema-less protobuf reader, to compare encodings up to map order -------------------

fn varint(b: &[u8], i: &mut usize) -> u64 {
    let mut v = 0u64;
    let mut shift = 0;
    loop {
        let byte = b[*i];
        *i += 1;
        v |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return v;
        }
        shift += 7;
    }
}

/// (field number, wire type, raw value bytes incl. nothing of the tag).
fn fields(b: &[u8]) -> Vec<(u64, u64, Vec<u8>)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let key = varint(b, &mut i);
        let (field, wt) = (key >> 3, key & 7);
        let start = i;
        let value = match wt {
            0 => {
                varint(b, &mut i);
                b[start..i].to_vec()
            }
            1 => {
                i += 8;
                b[start..i].to_vec()
            }
            2 => {
                let len = varint(b, &mut i) as usize;
                let v = b[i..i + len].to_vec();
                i += len;
                v
            }
            5 => {
                i += 4;
                b[start..i].to_vec()
            }
            other => panic!("wire type {other}"),
        };
        out.push((field, wt, value));
    }
    out
}

fn emit(out: &mut Vec<u8>, field: u64, wt: u64, value: &[u8]) {
    prost::encoding::encode_varint((field << 3) | wt, out);
    if wt == 2 {
        prost::encoding::encode_varint(value.len() as u64, out);
    }
    out.extend_from_slice(value);
}

/// A ConfigGroup's encoding with its map entries sorted by key (recursively), fields in
/// number order: what any correct encoder produces up to Go's random map order.
fn canonical_group(b: &[u8]) -> Vec<u8> {
    let mut fs = fields(b);
    for f in fs.iter_mut().filter(|f| f.0 == 2) {
        // groups entry: key = 1, value = 2 (a ConfigGroup).
        let entry = fields(&f.2);
        let mut e = Vec::new();
        for (n, wt, v) in entry {
            let v = if n == 2 { canonical_group(&v) } else { v };
            emit(&mut e, n, wt, &v);
        }
        f.2 = e;
    }
    let key_of = |v: &[u8]| {
        fields(v)
            .into_iter()
            .find(|f| f.0 == 1)
            .map(|f| f.2)
            .unwrap_or_default()
    };
    fs.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| key_of(&a.2).cmp(&key_of(&b.2))));
    let mut out = Vec::new();
    for (n, wt, v) in fs {
        emit(&mut out, n, wt, &v);
    }
    out
}

/// The original bytes of `Config.channel_group` inside a ConfigEnvelope.
fn original_channel_group(config_envelope: &[u8]) -> Vec<u8> {
    let config = fields(config_envelope)
        .into_iter()
        .find(|f| f.0 == 1)
        .unwrap()
        .2;
    fields(&config).into_iter().find(|f| f.0 == 2).unwrap().2
}

fn reencodes<M: Message + Default>(bytes: &[u8], what: &str) -> M {
    let m = M::decode(bytes).unwrap_or_else(|e| panic!("{what}: {e}"));
    assert_eq!(m.encode_to_vec(), bytes, "{what} re-encodes byte for byte");
    m
}

/// Every value and policy of the tree decodes into our typed messages and re-encodes to the
/// same bytes.
fn check_leaves(path: &str, g: &ConfigGroup) {
    for (name, v) in &g.values {
        let what = format!("{path}/{name}");
        let b = v.value.as_ref();
        match name.as_str() {
            "MSP" => {
                let m: MspConfig = reencodes(b, &what);
                let f: FabricMspConfig = reencodes(&m.config, &what);
                assert!(
                    !f.root_certs.is_empty() && !f.tls_root_certs.is_empty(),
                    "{what}"
                );
                assert!(f.fabric_node_ous.unwrap().enable, "{what}");
            }
            "AnchorPeers" => drop(reencodes::<AnchorPeers>(b, &what)),
            "Endpoints" | "OrdererAddresses" => drop(reencodes::<OrdererAddresses>(b, &what)),
            "Capabilities" => {
                // Go writes the empty Capability value explicitly; prost would omit it.
                let c = Capabilities::decode(b).unwrap();
                let names: Vec<&String> = c.capabilities.keys().collect();
                assert_eq!(encode_capabilities(&names), b, "{what} in Go's form");
            }
            "BatchSize" => drop(reencodes::<BatchSize>(b, &what)),
            "BatchTimeout" => drop(reencodes::<BatchTimeout>(b, &what)),
            "ChannelRestrictions" => drop(reencodes::<ChannelRestrictions>(b, &what)),
            "ConsensusType" => {
                let c: ConsensusType = reencodes(b, &what);
                assert_eq!(c.r#type, "etcdraft");
                let m: ConfigMetadata = reencodes(&c.metadata, &what);
                assert_eq!(m.consenters.len(), 1);
            }
            "HashingAlgorithm" => drop(reencodes::<HashingAlgorithm>(b, &what)),
            "BlockDataHashingStructure" => {
                let s: BlockDataHashingStructure = reencodes(b, &what);
                assert_eq!(s.width, u32::MAX);
            }
            other => panic!("unexpected value {other} at {path}"),
        }
    }
    for (name, p) in &g.policies {
        let what = format!("{path}/{name} policy");
        let p = p.policy.as_ref().unwrap();
        if p.r#type == PolicyType::Signature as i32 {
            reencodes::<SignaturePolicyEnvelope>(&p.value, &what);
        } else {
            assert_eq!(p.r#type, PolicyType::ImplicitMeta as i32, "{what}");
            reencodes::<ImplicitMetaPolicy>(&p.value, &what);
        }
    }
    for (name, sub) in &g.groups {
        check_leaves(&format!("{path}/{name}"), sub);
    }
}

#[test]
fn real_genesis_blocks_decode_and_reencode() {
    for version in ["fabric-v3.1.5", "fabric-v2.5.16"] {
        let bytes = std::fs::read(format!(
            "{VECTORS}/{version}/channel-artifacts/mychannel.block"
        ))
        .unwrap();
        let block = Block::decode(bytes.as_slice()).unwrap();
        assert_eq!(block.encode_to_vec(), bytes, "{version}: block");
        let headers = EnvelopeHeaders::parse(&block.data.as_ref().unwrap().data[0]).unwrap();
        assert_eq!(headers.channel_header.r#type, HeaderType::Config as i32);
        assert_eq!(headers.channel_header.version, 1);
        let config = config_from_block(&block).unwrap();
        let group = config.channel_group.as_ref().unwrap();
        let original = original_channel_group(&headers.payload.data);
        let ours = group.encode_to_vec();
        assert_eq!(
            ours.len(),
            original.len(),
            "{version}: nothing dropped (unknown fields)"
        );
        assert_eq!(
            canonical_group(&ours),
            canonical_group(&original),
            "{version}: same tree"
        );
        check_leaves("Channel", group);
        let app = &group.groups["Application"];
        assert_eq!(
            app.groups.keys().collect::<Vec<_>>(),
            ["Org1MSP", "Org2MSP"]
        );
        let e = implicit_meta_of(app, "Endorsement").unwrap();
        assert_eq!((e.sub_policy.as_str(), e.rule), ("Endorsement", 2));

        // The access control built from it accepts a real member's signature.
        let acl = MspAccessControl::from_config(&config).unwrap();
        let user = SigningIdentity::from_msp_dir(
            format!("{VECTORS}/{version}/crypto/peerOrganizations/org1.example.com/users/User1@org1.example.com/msp"),
            "Org1MSP",
        )
        .unwrap();
        let sig = user.sign(b"data").unwrap();
        let signed = SignedData {
            data: b"data",
            identity: user.serialized(),
            signature: &sig,
        };
        let now = fabric_sdk::identity::msp::unix_now();
        let r = acl
            .check(ChannelPolicy::ApplicationReaders, &signed, now)
            .unwrap();
        assert_eq!(r.msp_id, "Org1MSP");
        acl.check(ChannelPolicy::ApplicationWriters, &signed, now)
            .unwrap();
    }
}

#[test]
fn medical_genesis_block_structure() {
    let dir = tempfile::tempdir().unwrap();
    let topology = Topology::medical_default();
    let crypto = generate(&topology, dir.path().join("crypto")).unwrap();
    let mut options = GenesisOptions::new("127.0.0.1:7050").unwrap();
    options.nonce = [7; 24];
    options.anchor_peers.insert(
        "SeoulMedicalCenterMSP".into(),
        vec![("127.0.0.1".into(), 7051)],
    );
    let block = genesis_block(&topology, &crypto, &options).unwrap();
    verify_block_hashes(&block, None).unwrap();
    let header = block.header.as_ref().unwrap();
    assert_eq!((header.number, header.previous_hash.len()), (0, 0));

    let envelope = &block.data.as_ref().unwrap().data[0];
    let h = EnvelopeHeaders::parse(envelope).unwrap();
    assert_eq!(h.channel_header.r#type, HeaderType::Config as i32);
    assert_eq!(h.channel_header.version, 1);
    assert_eq!(h.channel_header.channel_id, "medledger");
    assert_eq!(
        h.channel_header.tx_id,
        fabric_sdk::tx::compute_txid(&[7; 24], &[])
    );
    assert!(h.envelope.signature.is_empty());

    let config = config_from_block(&block).unwrap();
    assert_eq!(config.sequence, 0);
    let root = config.channel_group.as_ref().unwrap();
    check_leaves("Channel", root);
    assert_eq!(
        root.groups.keys().collect::<Vec<_>>(),
        ["Application", "Orderer"]
    );
    assert_eq!(
        root.values.keys().collect::<Vec<_>>(),
        [
            "BlockDataHashingStructure",
            "Capabilities",
            "HashingAlgorithm"
        ]
    );
    let app = &root.groups["Application"];
    let msps: Vec<_> = topology.orgs.iter().map(|o| o.msp_id.as_str()).collect();
    let mut sorted = msps.clone();
    sorted.sort();
    assert_eq!(
        app.groups.keys().map(String::as_str).collect::<Vec<_>>(),
        sorted
    );
    assert_eq!(
        app.policies.keys().collect::<Vec<_>>(),
        [
            "Admins",
            "Endorsement",
            "LifecycleEndorsement",
            "Readers",
            "Writers"
        ]
    );
    let readers = implicit_meta_of(app, "Readers").unwrap();
    assert_eq!((readers.sub_policy.as_str(), readers.rule), ("Readers", 0));
    let caps = Capabilities::decode(app.values["Capabilities"].value.clone()).unwrap();
    assert!(caps.capabilities.contains_key("V2_5"));

    for org in &topology.orgs {
        let g = &app.groups[&org.msp_id];
        let policy = |name: &str| {
            let p = g.policies[name].policy.as_ref().unwrap();
            assert_eq!(p.r#type, PolicyType::Signature as i32);
            to_dsl(&SignaturePolicyEnvelope::decode(p.value.clone()).unwrap()).unwrap()
        };
        let m = &org.msp_id;
        assert_eq!(
            policy("Readers"),
            format!("OR('{m}.admin', '{m}.peer', '{m}.client')")
        );
        assert_eq!(policy("Writers"), format!("OR('{m}.admin', '{m}.client')"));
        assert_eq!(policy("Admins"), format!("OR('{m}.admin')"));
        assert_eq!(policy("Endorsement"), format!("OR('{m}.peer')"));
        let msp = MspConfig::decode(g.values["MSP"].value.clone()).unwrap();
        let f = FabricMspConfig::decode(msp.config).unwrap();
        let oc = crypto.org(m).unwrap();
        assert_eq!(f.name, *m);
        assert_eq!(
            f.root_certs,
            [Bytes::from(std::fs::read(&oc.ca_cert).unwrap())]
        );
        assert_eq!(
            f.tls_root_certs,
            [Bytes::from(std::fs::read(&oc.tlsca_cert).unwrap())]
        );
        let ous = f.fabric_node_ous.unwrap();
        assert_eq!(ous.peer_ou_identifier.unwrap().certificate, f.root_certs[0]);
        assert_eq!(
            g.values.contains_key("AnchorPeers"),
            m == "SeoulMedicalCenterMSP"
        );
    }

    let orderer = &root.groups["Orderer"];
    let bs = BatchSize::decode(orderer.values["BatchSize"].value.clone()).unwrap();
    assert_eq!(
        (
            bs.max_message_count,
            bs.absolute_max_bytes,
            bs.preferred_max_bytes
        ),
        (10, 103809024, 524288)
    );
    let bt = BatchTimeout::decode(orderer.values["BatchTimeout"].value.clone()).unwrap();
    assert_eq!(bt.timeout, "2s");
    let oorg = &orderer.groups["OrdererMSP"];
    let ep = OrdererAddresses::decode(oorg.values["Endpoints"].value.clone()).unwrap();
    assert_eq!(ep.addresses, ["127.0.0.1:7050"]);
    assert!(implicit_meta_of(orderer, "BlockValidation").is_some());

    // The access control read back from the block.
    let acl = MspAccessControl::from_config(&config).unwrap();
    assert_eq!(acl.orgs().len(), 5);
    let now = fabric_sdk::identity::msp::unix_now();
    let check = |name: &str, msp: &str, policy: ChannelPolicy| {
        let id = crypto.identity(name).unwrap();
        let me = SigningIdentity::from_msp_dir(&id.msp_dir, msp).unwrap();
        let sig = me.sign(b"x").unwrap();
        acl.check(
            policy,
            &SignedData {
                data: b"x",
                identity: me.serialized(),
                signature: &sig,
            },
            now,
        )
    };
    check(
        "Doctor1@seoulmedical.example.com",
        "SeoulMedicalCenterMSP",
        ChannelPolicy::ApplicationReaders,
    )
    .unwrap();
    check(
        "peer0.nhis.example.com",
        "NHISMSP",
        ChannelPolicy::ApplicationReaders,
    )
    .unwrap();
    assert!(
        check(
            "peer0.nhis.example.com",
            "NHISMSP",
            ChannelPolicy::ApplicationWriters
        )
        .is_err()
    );
    assert!(
        check(
            "Admin@medledger.example.com",
            "OrdererMSP",
            ChannelPolicy::ApplicationReaders
        )
        .is_err()
    );
    check(
        "orderer.medledger.example.com",
        "OrdererMSP",
        ChannelPolicy::ChannelWriters,
    )
    .unwrap();

    // It is block 0 of a store.
    let store = Store::open(dir.path().join("ledger")).unwrap();
    let c = store
        .commit(
            block,
            &BlockUpdates::without_writes(1, TxValidationCode::Valid),
        )
        .unwrap();
    assert_eq!(c.number, 0);
    let stored = store.block(0).unwrap().unwrap();
    assert_eq!(config_from_block(&stored).unwrap(), config);
    let _ = (
        Payload::default(),
        ChannelHeader::default(),
        SignatureHeader::default(),
        BTreeMap::<u8, u8>::new(),
    );
}
