//! Policy module: known answers, real Fabric v3.1.5 vectors, evaluation truth tables and
//! robustness against arbitrary input.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use fabric_sdk::Error;
use fabric_sdk::identity::NodeRole;
use fabric_sdk::policy::collection::find_collection;
use fabric_sdk::policy::eval::implicit_meta_threshold;
use fabric_sdk::policy::*;
use fabric_sdk::protos::common::implicit_meta_policy::Rule;
use fabric_sdk::protos::common::msp_identity_anonymity::MspIdentityAnonymityType;
use fabric_sdk::protos::common::msp_principal::Classification;
use fabric_sdk::protos::common::msp_role::MspRoleType;
use fabric_sdk::protos::common::signature_policy::{NOutOf, Type};
use fabric_sdk::protos::common::{
    CombinedPrincipal, MspIdentityAnonymity, MspPrincipal, MspRole, OrganizationUnit,
    SignaturePolicy, SignaturePolicyEnvelope,
};
use fabric_sdk::protos::msp::SerializedIdentity;
use fabric_sdk::protos::protos::application_policy::Type as AppType;
use fabric_sdk::protos::protos::collection_policy_config::Payload as PolicyPayload;
use fabric_sdk::protos::protos::{
    ApplicationPolicy, CollectionPolicyConfig, StaticCollectionConfig,
};
use proptest::prelude::*;
use prost::Message;
use serde_json::Value;

const VECTORS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../tests/vectors/fabric-v3.1.5"
);

fn vector(path: &str) -> Vec<u8> {
    std::fs::read(format!("{VECTORS}/{path}")).unwrap()
}

fn enc(s: &str) -> Vec<u8> {
    encode_signature_policy(&parse_signature_policy(s).unwrap())
}

fn signed_by(i: i32) -> SignaturePolicy {
    SignaturePolicy {
        r#type: Some(Type::SignedBy(i)),
    }
}

fn n_out_of(n: i32, rules: Vec<SignaturePolicy>) -> SignaturePolicy {
    SignaturePolicy {
        r#type: Some(Type::NOutOf(NOutOf { n, rules })),
    }
}

fn role(msp: &str, r: MspRoleType) -> MspPrincipal {
    MspPrincipal {
        principal_classification: Classification::Role as i32,
        principal: MspRole {
            msp_identifier: msp.into(),
            role: r as i32,
        }
        .encode_to_vec()
        .into(),
    }
}

fn syntax(s: &str) -> (usize, String, String) {
    match parse_signature_policy(s) {
        Err(Error::PolicySyntax {
            position,
            expected,
            found,
        }) => (position, expected, found),
        other => panic!("{s:?}: expected a syntax error, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// DSL known answers

#[test]
fn and_two_peers_exact_bytes() {
    // Hand-derived:
    //   12 0c                      rule (2), 12 bytes: SignaturePolicy
    //     12 0a                    n_out_of (2), 10 bytes
    //       08 02                  n = 2
    //       12 02 08 00            rules: SignedBy(0)
    //       12 02 08 01            rules: SignedBy(1)
    //   1a 0d                      identities (3), 13 bytes: MSPPrincipal (classification ROLE = 0 omitted)
    //     12 0b                    principal (2), 11 bytes: MSPRole
    //       0a 07 "Org1MSP" 10 03  msp_identifier, role PEER
    //   1a 0d 12 0b 0a 07 "Org2MSP" 10 03
    // version 0 is omitted.
    let expected = hex::decode(concat!(
        "120c120a08021202080012020801",
        "1a0d120b0a074f7267314d53501003",
        "1a0d120b0a074f7267324d53501003"
    ))
    .unwrap();
    assert_eq!(enc("AND('Org1MSP.peer','Org2MSP.peer')"), expected);
}

#[test]
fn or_matches_the_chaincode_definition_vector() {
    // `events` seq 2 and `private`: OR('Org1MSP.peer','Org2MSP.peer') as ApplicationPolicy.
    let defs: Value = serde_json::from_slice(&vector("config/chaincode-definitions.json")).unwrap();
    let by_name = |name: &str| -> Vec<u8> {
        let d = defs["committed"]["chaincode_definitions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["name"] == name)
            .unwrap();
        B64.decode(d["validation_parameter"].as_str().unwrap())
            .unwrap()
    };
    let or = EndorsementPolicy::signature("OR('Org1MSP.peer','Org2MSP.peer')").unwrap();
    assert_eq!(or.encode(), by_name("events"));
    assert_eq!(or.encode(), by_name("private"));
    // The channel default, used by `basic`, `sbe`, `ledger`, `basicinit`.
    assert_eq!(EndorsementPolicy::default().encode(), by_name("basic"));
    assert_eq!(
        "/Channel/Application/Endorsement"
            .parse::<EndorsementPolicy>()
            .unwrap()
            .encode(),
        by_name("sbe")
    );
    // Decoding gives back the same values.
    assert_eq!(EndorsementPolicy::decode(&by_name("events")).unwrap(), or);
    assert_eq!(
        EndorsementPolicy::decode(&by_name("basic")).unwrap(),
        EndorsementPolicy::ChannelConfigReference(DEFAULT_ENDORSEMENT_POLICY_REF.into())
    );
    assert_eq!(or.to_string(), "OR('Org1MSP.peer', 'Org2MSP.peer')");
}

#[test]
fn gates_and_spellings() {
    let and = enc("AND('A.member','B.member')");
    assert_eq!(enc("And('A.member','B.member')"), and);
    assert_eq!(enc("and('A.member','B.member')"), and);
    assert_eq!(enc("OutOf(2,'A.member','B.member')"), and);
    assert_eq!(enc("outof(2,'A.member','B.member')"), and);
    assert_eq!(enc("OUTOF(2,'A.member','B.member')"), and);
    assert_eq!(enc(" \tAND (\n 'A.member' ,\r'B.member' ) \n"), and);
    let or = enc("OR('A.member','B.member')");
    assert_eq!(enc("Or('A.member','B.member')"), or);
    assert_eq!(enc("or('A.member','B.member')"), or);
    assert_eq!(enc("OutOf(1,'A.member','B.member')"), or);
    assert_ne!(or, and);

    let env =
        parse_signature_policy("OR('A.member','B.admin','C.client','D.peer','E.orderer')").unwrap();
    assert_eq!(
        env.identities,
        vec![
            role("A", MspRoleType::Member),
            role("B", MspRoleType::Admin),
            role("C", MspRoleType::Client),
            role("D", MspRoleType::Peer),
            role("E", MspRoleType::Orderer),
        ]
    );
    assert_eq!(env.rule, Some(n_out_of(1, (0..5).map(signed_by).collect())));

    // OutOf bounds: 0 ..= items + 1.
    assert_eq!(
        parse_signature_policy("OutOf(0,'A.member')").unwrap().rule,
        Some(n_out_of(0, vec![signed_by(0)]))
    );
    assert_eq!(
        parse_signature_policy("OutOf(3,'A.member','B.member')")
            .unwrap()
            .rule,
        Some(n_out_of(3, vec![signed_by(0), signed_by(1)]))
    );
    assert_eq!(syntax("OutOf(4,'A.member','B.member')").0, 6);
}

#[test]
fn nesting_depth_first_no_dedup() {
    let env = parse_signature_policy(
        "OR(AND('A.peer','B.peer'), OutOf(2, 'A.peer', 'C.admin', AND('B.peer')), 'A.peer')",
    )
    .unwrap();
    assert_eq!(env.version, 0);
    assert_eq!(
        env.identities,
        vec![
            role("A", MspRoleType::Peer),
            role("B", MspRoleType::Peer),
            role("A", MspRoleType::Peer),
            role("C", MspRoleType::Admin),
            role("B", MspRoleType::Peer),
            role("A", MspRoleType::Peer),
        ]
    );
    assert_eq!(
        env.rule,
        Some(n_out_of(
            1,
            vec![
                n_out_of(2, vec![signed_by(0), signed_by(1)]),
                n_out_of(
                    2,
                    vec![signed_by(2), signed_by(3), n_out_of(1, vec![signed_by(4)])]
                ),
                signed_by(5),
            ]
        ))
    );
    // Displayed back and re-parsed to the same envelope.
    let shown = to_dsl(&env).unwrap();
    assert_eq!(
        shown,
        "OR(AND('A.peer', 'B.peer'), OutOf(2, 'A.peer', 'C.admin', OR('B.peer')), 'A.peer')"
    );
    assert_eq!(parse_signature_policy(&shown).unwrap(), env);

    let env = parse_signature_policy("AND('A.member','A.member')").unwrap();
    assert_eq!(env.identities.len(), 2);
}

#[test]
fn every_syntax_error_kind() {
    let cases: &[(&str, usize, &str, &str)] = &[
        ("", 0, "a gate name (AND, OR, OutOf)", "end of input"),
        ("'A.member'", 0, "a gate name (AND, OR, OutOf)", "`'`"),
        (
            "XOR('A.member')",
            0,
            "a gate name (AND, OR, OutOf)",
            "`XOR`",
        ),
        ("AND 'A.member'", 4, "`(`", "`'`"),
        ("AND(X)", 4, "`'` or a gate name (AND, OR, OutOf)", "`X`"),
        ("AND(1)", 4, "`'` or a gate name (AND, OR, OutOf)", "`1`"),
        ("AND()", 4, "`'` or a gate name (AND, OR, OutOf)", "`)`"),
        (
            "AND('A.member',)",
            15,
            "`'` or a gate name (AND, OR, OutOf)",
            "`)`",
        ),
        ("AND('A.member'", 14, "`,` or `)`", "end of input"),
        ("AND('A.member';", 14, "`,` or `)`", "`;`"),
        ("AND('A.member'", 14, "`,` or `)`", "end of input"),
        (
            "AND('A.memb",
            11,
            "`'` closing the principal",
            "end of input",
        ),
        (
            "AND('A.me mber')",
            9,
            "an MSP ID character ([A-Za-z0-9.-]), `.` or `'`",
            "` `",
        ),
        (
            "AND('Amember')",
            5,
            "a principal of the form 'MSPID.role'",
            "`'Amember'`",
        ),
        ("AND('.member')", 5, "an MSP ID before `.`", "`'.member'`"),
        (
            "AND('A.')",
            7,
            "a role (member, admin, client, peer, orderer)",
            "`'`",
        ),
        (
            "AND('A.Member')",
            7,
            "a role (member, admin, client, peer, orderer)",
            "`Member`",
        ),
        ("OutOf('A.member')", 6, "an integer threshold", "`'`"),
        ("OutOf(-1,'A.member')", 6, "an integer threshold", "`-`"),
        ("OutOf(1 'A.member')", 8, "`,`", "`'`"),
        ("OutOf(1)", 7, "`,`", "`)`"),
        (
            "OutOf(3,'A.member')",
            6,
            "a threshold between 0 and 2 (items + 1)",
            "`3`",
        ),
        (
            "OutOf(99999999999,'A.member')",
            6,
            "an integer threshold that fits in 32 bits",
            "`99999999999`",
        ),
        ("OR('A.member') OR('B.member')", 15, "end of input", "`O`"),
    ];
    for (input, pos, expected, found) in cases {
        let (p, e, f) = syntax(input);
        assert_eq!(
            (p, e.as_str(), f.as_str()),
            (*pos, *expected, *found),
            "{input:?}"
        );
    }
    // Positions count characters, not bytes.
    assert_eq!(syntax("AND('é')").0, 5);
    assert_eq!(syntax("ÄND('A.member')").0, 0);
    // The message reads well.
    let msg = parse_signature_policy("AND(X)").unwrap_err().to_string();
    assert_eq!(
        msg,
        "policy syntax error at position 4: expected `'` or a gate name (AND, OR, OutOf), found `X`"
    );
}

#[test]
fn to_dsl_rejects_what_it_cannot_show() {
    let mut env = parse_signature_policy("OR('A.member')").unwrap();
    env.rule = Some(n_out_of(1, vec![signed_by(3)]));
    assert!(to_dsl(&env).is_err());
    env.rule = None;
    assert!(to_dsl(&env).is_err());
    let env = SignaturePolicyEnvelope {
        version: 0,
        rule: Some(n_out_of(1, vec![signed_by(0)])),
        identities: vec![MspPrincipal {
            principal_classification: Classification::OrganizationUnit as i32,
            principal: Default::default(),
        }],
    };
    assert!(to_dsl(&env).is_err());
}

// ---------------------------------------------------------------------------------------------
// Evaluation

fn sid(msp: &str, cert: &str) -> Vec<u8> {
    SerializedIdentity {
        mspid: msp.into(),
        id_bytes: cert.as_bytes().to_vec().into(),
    }
    .encode_to_vec()
}

fn signer(msp: &str, role: NodeRole, cert: &str) -> VerifiedSigner {
    VerifiedSigner::new(msp, Some(role), sid(msp, cert))
}

fn sat(policy: &str, signers: &[VerifiedSigner]) -> bool {
    evaluate(&parse_signature_policy(policy).unwrap(), signers)
        .unwrap()
        .satisfied
}

#[test]
fn one_identity_satisfies_at_most_one_leaf() {
    let a1 = signer("A", NodeRole::Peer, "a1");
    let a2 = signer("A", NodeRole::Client, "a2");
    assert!(!sat(
        "AND('A.member','A.member')",
        std::slice::from_ref(&a1)
    ));
    assert!(sat("AND('A.member','A.member')", &[a1.clone(), a2.clone()]));
    // The same identity twice counts once.
    assert!(!sat(
        "AND('A.member','A.member')",
        &[a1.clone(), a1.clone()]
    ));
    let e = evaluate(
        &parse_signature_policy("AND('A.member','A.member')").unwrap(),
        &[a1.clone(), a1.clone()],
    )
    .unwrap();
    assert_eq!(e.distinct_signers, 1);
    // Dedup is by serialized bytes, not by MSP: two certs of A are two signers.
    assert!(sat(
        "OutOf(2,'A.member','A.member','A.member')",
        &[a1.clone(), a2.clone()]
    ));
    assert!(!sat("OutOf(3,'A.member','A.member','A.member')", &[a1, a2]));
}

#[test]
fn greedy_first_match_order_matters_like_fabric() {
    // Signer order [peer, client]; AND('A.member','A.peer'): the member leaf takes the peer
    // (first unused match), and the client cannot satisfy A.peer ⇒ not satisfied (Fabric's
    // greedy semantics, no backtracking).
    let peer = signer("A", NodeRole::Peer, "p");
    let client = signer("A", NodeRole::Client, "c");
    assert!(!sat(
        "AND('A.member','A.peer')",
        &[peer.clone(), client.clone()]
    ));
    assert!(sat(
        "AND('A.member','A.peer')",
        &[client.clone(), peer.clone()]
    ));
    assert!(sat("AND('A.peer','A.member')", &[peer, client]));
}

#[test]
fn failed_branch_does_not_consume_signers() {
    // The first OutOf item AND('A.member','B.member') fails after its first leaf took the A
    // signer; that use is discarded, so the next item still finds it.
    let a = signer("A", NodeRole::Client, "a");
    assert!(sat(
        "OR(AND('A.member','B.member'),'A.member')",
        std::slice::from_ref(&a)
    ));
    // A successful branch keeps its signers.
    assert!(!sat(
        "AND(OR('A.member'),'A.member')",
        std::slice::from_ref(&a)
    ));
}

#[test]
fn role_truth_table() {
    let admin = signer("A", NodeRole::Admin, "admin");
    let client = signer("A", NodeRole::Client, "client");
    let peer = signer("A", NodeRole::Peer, "peer");
    let orderer = signer("A", NodeRole::Orderer, "orderer");
    let legacy_admin = VerifiedSigner::new("A", None, sid("A", "legacy")).with_admin(true);
    let other = signer("B", NodeRole::Admin, "b-admin");
    let table: &[(&str, [bool; 6])] = &[
        //                       admin  client peer   orderer legacy other
        ("OR('A.member')", [true, true, true, true, true, false]),
        ("OR('A.admin')", [true, false, false, false, true, false]),
        ("OR('A.client')", [false, true, false, false, false, false]),
        ("OR('A.peer')", [false, false, true, false, false, false]),
        ("OR('A.orderer')", [false, false, false, true, false, false]),
        ("OR('B.member')", [false, false, false, false, false, true]),
    ];
    let signers = [admin, client, peer, orderer, legacy_admin, other];
    for (policy, expected) in table {
        for (s, want) in signers.iter().zip(expected) {
            assert_eq!(
                sat(policy, std::slice::from_ref(s)),
                *want,
                "{policy} with {:?} admin={}",
                s.role,
                s.is_admin
            );
        }
    }
    // An empty signer set satisfies nothing but OutOf(0, ...).
    assert!(!sat("OR('A.member')", &[]));
    assert!(sat("OutOf(0,'A.member')", &[]));
    // OutOf(items + 1, ...) can never be satisfied.
    assert!(!sat("OutOf(2,'A.member')", &signers));
}

#[test]
fn other_principal_kinds() {
    let s = signer("A", NodeRole::Peer, "cert-a").with_ous(["peer", "org1", "department1"]);
    let ou = |msp: &str, ou: &str| MspPrincipal {
        principal_classification: Classification::OrganizationUnit as i32,
        principal: OrganizationUnit {
            msp_identifier: msp.into(),
            organizational_unit_identifier: ou.into(),
            certifiers_identifier: Default::default(),
        }
        .encode_to_vec()
        .into(),
    };
    assert!(satisfies_principal(&s, &ou("A", "department1")).unwrap());
    assert!(!satisfies_principal(&s, &ou("A", "department2")).unwrap());
    assert!(!satisfies_principal(&s, &ou("B", "department1")).unwrap());

    let ident = |msp: &str, cert: &str| MspPrincipal {
        principal_classification: Classification::Identity as i32,
        principal: sid(msp, cert).into(),
    };
    assert!(satisfies_principal(&s, &ident("A", "cert-a")).unwrap());
    assert!(!satisfies_principal(&s, &ident("A", "cert-b")).unwrap());
    assert!(!satisfies_principal(&s, &ident("B", "cert-a")).unwrap());

    let anon = |t: MspIdentityAnonymityType| MspPrincipal {
        principal_classification: Classification::Anonymity as i32,
        principal: MspIdentityAnonymity {
            anonymity_type: t as i32,
        }
        .encode_to_vec()
        .into(),
    };
    assert!(satisfies_principal(&s, &anon(MspIdentityAnonymityType::Nominal)).unwrap());
    assert!(!satisfies_principal(&s, &anon(MspIdentityAnonymityType::Anonymous)).unwrap());

    let combined = |ps: Vec<MspPrincipal>| MspPrincipal {
        principal_classification: Classification::Combined as i32,
        principal: CombinedPrincipal { principals: ps }.encode_to_vec().into(),
    };
    assert!(
        satisfies_principal(
            &s,
            &combined(vec![role("A", MspRoleType::Peer), ou("A", "org1")])
        )
        .unwrap()
    );
    assert!(
        !satisfies_principal(
            &s,
            &combined(vec![role("A", MspRoleType::Peer), ou("A", "org2")])
        )
        .unwrap()
    );
    // Unknown classification / garbage principal bytes are errors, not "not satisfied".
    let bad = MspPrincipal {
        principal_classification: 9,
        principal: Default::default(),
    };
    assert!(satisfies_principal(&s, &bad).is_err());
    let garbage = MspPrincipal {
        principal_classification: Classification::Role as i32,
        principal: vec![0xff, 0xff].into(),
    };
    assert!(satisfies_principal(&s, &garbage).is_err());
}

#[test]
fn malformed_envelopes_are_errors() {
    let s = [signer("A", NodeRole::Peer, "a")];
    let mut env = parse_signature_policy("OR('A.member')").unwrap();
    env.rule = Some(n_out_of(1, vec![signed_by(1)]));
    assert!(evaluate(&env, &s).is_err());
    env.rule = Some(signed_by(-1));
    assert!(evaluate(&env, &s).is_err());
    env.rule = None;
    assert!(evaluate(&env, &s).is_err());
    // A bare SignedBy rule is fine.
    env.rule = Some(signed_by(0));
    assert!(evaluate(&env, &s).unwrap().satisfied);
}

#[test]
fn explains_failures() {
    let env =
        parse_signature_policy("AND('Org1MSP.peer', OR('Org2MSP.peer','Org3MSP.peer'))").unwrap();
    let e = evaluate(&env, &[signer("Org1MSP", NodeRole::Peer, "p1")]).unwrap();
    assert!(!e.satisfied);
    let names: Vec<_> = e.unsatisfied.iter().map(|l| l.principal.as_str()).collect();
    assert_eq!(names, ["'Org2MSP.peer'", "'Org3MSP.peer'"]);
    assert_eq!(
        e.require_satisfied().unwrap_err().to_string(),
        "policy: signature policy not satisfied by 1 distinct signer(s); no unused signer for: \
         'Org2MSP.peer', 'Org3MSP.peer'"
    );
}

#[test]
fn implicit_meta() {
    let any = parse_implicit_meta("ANY Readers").unwrap();
    let all = parse_implicit_meta("ALL Writers").unwrap();
    let maj = parse_implicit_meta("  MAJORITY   Endorsement ").unwrap();
    assert_eq!(
        (any.rule, any.sub_policy.as_str()),
        (Rule::Any as i32, "Readers")
    );
    assert_eq!(
        (all.rule, all.sub_policy.as_str()),
        (Rule::All as i32, "Writers")
    );
    assert_eq!(
        (maj.rule, maj.sub_policy.as_str()),
        (Rule::Majority as i32, "Endorsement")
    );
    // Wire form: 0a 07 "Readers" (rule ANY = 0 omitted); 0a 0b "Endorsement" 10 02.
    assert_eq!(any.encode_to_vec(), b"\x0a\x07Readers");
    assert_eq!(maj.encode_to_vec(), b"\x0a\x0bEndorsement\x10\x02");

    let ev = |p, o: &[bool]| evaluate_implicit_meta(p, o).unwrap();
    for p in [&any, &all, &maj] {
        assert!(ev(p, &[]), "zero sub-policies ⇒ satisfied");
    }
    assert!(ev(&any, &[false, true, false]));
    assert!(!ev(&any, &[false, false]));
    assert!(ev(&all, &[true, true]));
    assert!(!ev(&all, &[true, false]));
    assert!(ev(&maj, &[true, true, false]));
    assert!(!ev(&maj, &[true, false, false]));
    assert!(!ev(&maj, &[true, false]), "MAJORITY of 2 is 2");
    assert!(ev(&maj, &[true, true]));
    assert!(!ev(&maj, &[true, true, false, false]), "MAJORITY of 4 is 3");
    assert_eq!(implicit_meta_threshold(Rule::Majority, 5), 3);
    assert_eq!(implicit_meta_threshold(Rule::Any, 5), 1);
    assert_eq!(implicit_meta_threshold(Rule::All, 5), 5);

    for bad in [
        "",
        "ANY",
        "any Readers",
        "ANY Readers Writers",
        "MOST Readers",
    ] {
        assert!(
            matches!(parse_implicit_meta(bad), Err(Error::PolicySyntax { .. })),
            "{bad:?}"
        );
    }
    let mut unknown = any.clone();
    unknown.rule = 7;
    assert!(evaluate_implicit_meta(&unknown, &[true]).is_err());
}

#[test]
fn endorsement_policy_with_resolver() {
    let signers = [signer("Org1MSP", NodeRole::Peer, "p1")];
    let explicit = EndorsementPolicy::signature("OR('Org1MSP.peer')").unwrap();
    assert!(explicit.evaluate(&signers, |_, _| unreachable!()).unwrap());
    let reference = EndorsementPolicy::default();
    let mut asked = None;
    let ok = reference
        .evaluate(&signers, |path, s| {
            asked = Some((path.to_string(), s.len()));
            Ok(false)
        })
        .unwrap();
    assert!(!ok);
    assert_eq!(asked, Some((DEFAULT_ENDORSEMENT_POLICY_REF.to_string(), 1)));
    assert!(EndorsementPolicy::channel_reference("").is_err());
    assert!(
        EndorsementPolicy::from_application_policy(ApplicationPolicy { r#type: None }).is_err()
    );
}

// ---------------------------------------------------------------------------------------------
// Key-level endorsement

/// Every VALIDATION_PARAMETER value the Node statebased helper wrote in the sbe transcript.
fn sbe_validation_parameters() -> Vec<Vec<u8>> {
    let text = String::from_utf8(vector("transcripts/sbe.jsonl")).unwrap();
    let mut out = Vec::new();
    for line in text.lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        let d = &v["decoded"];
        if d["type"] == "PUT_STATE_METADATA" {
            let m = &d["payload"]["metadata"];
            assert_eq!(m["metakey"], VALIDATION_PARAMETER);
            out.push(B64.decode(m["value"]["b64"].as_str().unwrap()).unwrap());
        }
    }
    out
}

#[test]
fn statebased_matches_sbe_vector() {
    let values = sbe_validation_parameters();
    assert!(!values.is_empty());
    let mut org1 = KeyEndorsementPolicy::new();
    org1.add_orgs(RoleType::Member, &["Org1MSP"]).unwrap();
    let mut org2 = KeyEndorsementPolicy::new();
    org2.add_orgs(RoleType::Member, &["Org2MSP"]).unwrap();
    let (b1, b2) = (org1.to_bytes().unwrap(), org2.to_bytes().unwrap());
    // Hand-derived: 12 08 (rule) 12 06 (n_out_of) 08 01 (n=1) 12 02 08 00 (SignedBy 0)
    //               1a 0b (identity) 12 09 (principal) 0a 07 "Org1MSP" (role MEMBER omitted)
    assert_eq!(
        b1,
        b"\x12\x08\x12\x06\x08\x01\x12\x02\x08\x00\x1a\x0b\x12\x09\x0a\x07Org1MSP"
    );
    assert!(values.contains(&b1), "no Org1MSP value in the transcript");
    assert!(values.contains(&b2), "no Org2MSP value in the transcript");
    for v in &values {
        let p = KeyEndorsementPolicy::from_bytes(v).unwrap();
        assert_eq!(&p.to_bytes().unwrap(), v, "round trip");
    }
    // TransferAsset replaces Org1 with Org2, as the chaincode does.
    let mut p = KeyEndorsementPolicy::from_bytes(&b1).unwrap();
    p.del_orgs(&["Org1MSP"]);
    p.add_orgs(RoleType::Member, &["Org2MSP"]).unwrap();
    assert_eq!(p.to_bytes().unwrap(), b2);
}

#[test]
fn statebased_encoding_and_round_trip() {
    let mut p = KeyEndorsementPolicy::new();
    p.add_orgs(RoleType::Peer, &["Org3MSP", "Org1MSP"]).unwrap();
    p.add_orgs(RoleType::Member, &["Org2MSP"]).unwrap();
    assert_eq!(p.list_orgs(), ["Org1MSP", "Org2MSP", "Org3MSP"]);
    let env = p.to_envelope().unwrap();
    assert_eq!(env.version, 0);
    assert_eq!(
        env.identities,
        vec![
            role("Org1MSP", MspRoleType::Peer),
            role("Org2MSP", MspRoleType::Member),
            role("Org3MSP", MspRoleType::Peer),
        ]
    );
    assert_eq!(env.rule, Some(n_out_of(3, (0..3).map(signed_by).collect())));
    // Same bytes as the equivalent policy string.
    assert_eq!(
        p.to_bytes().unwrap(),
        enc("AND('Org1MSP.peer','Org2MSP.member','Org3MSP.peer')")
    );
    let back = KeyEndorsementPolicy::from_bytes(&p.to_bytes().unwrap()).unwrap();
    assert_eq!(back, p);
    assert_eq!(back.role_of("Org2MSP"), Some(MspRoleType::Member));
    // Empty policy: n = 0, no identities.
    let empty = KeyEndorsementPolicy::new().to_bytes().unwrap();
    assert_eq!(empty, b"\x12\x02\x12\x00");
    // Non-ROLE principals cannot be represented.
    let ou = SignaturePolicyEnvelope {
        version: 0,
        rule: Some(signed_by(0)),
        identities: vec![MspPrincipal {
            principal_classification: Classification::OrganizationUnit as i32,
            principal: Default::default(),
        }],
    };
    assert!(KeyEndorsementPolicy::from_bytes(&ou.encode_to_vec()).is_err());
    assert!(KeyEndorsementPolicy::from_bytes(b"\xff").is_err());
}

// ---------------------------------------------------------------------------------------------
// Collections

/// Converts Go's JSON rendering of a SignaturePolicyEnvelope (as `peer lifecycle chaincode
/// querycommitted -O json` prints it) into the message.
fn go_json_envelope(v: &Value) -> SignaturePolicyEnvelope {
    fn rule(v: &Value) -> SignaturePolicy {
        let t = &v["Type"];
        if let Some(i) = t.get("SignedBy") {
            signed_by(i.as_i64().unwrap() as i32)
        } else {
            let n = &t["NOutOf"];
            n_out_of(
                n["n"].as_i64().unwrap_or(0) as i32,
                n["rules"].as_array().unwrap().iter().map(rule).collect(),
            )
        }
    }
    SignaturePolicyEnvelope {
        version: v["version"].as_i64().unwrap_or(0) as i32,
        rule: Some(rule(&v["rule"])),
        identities: v["identities"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| MspPrincipal {
                principal_classification: p["principal_classification"].as_i64().unwrap_or(0)
                    as i32,
                principal: B64.decode(p["principal"].as_str().unwrap()).unwrap().into(),
            })
            .collect(),
    }
}

#[test]
fn collections_vector() {
    let pkg = parse_collections_json(&vector("config/collections_config.json")).unwrap();
    assert_eq!(pkg.config.len(), 3);

    let asset = find_collection(&pkg, "assetCollection").unwrap();
    assert_eq!(asset.required_peer_count, 1);
    assert_eq!(asset.maximum_peer_count, 1);
    assert_eq!(asset.block_to_live, 1_000_000);
    assert!(asset.member_only_read && asset.member_only_write);
    assert_eq!(collection_member_orgs(asset), ["Org1MSP", "Org2MSP"]);
    let or_members = parse_signature_policy("OR('Org1MSP.member','Org2MSP.member')").unwrap();
    assert_eq!(
        asset.member_orgs_policy,
        Some(CollectionPolicyConfig {
            payload: Some(PolicyPayload::SignaturePolicy(or_members.clone()))
        })
    );
    assert_eq!(
        asset.endorsement_policy,
        Some(ApplicationPolicy {
            r#type: Some(AppType::SignaturePolicy(or_members))
        })
    );
    let org1 = find_collection(&pkg, "Org1MSPPrivateCollection").unwrap();
    assert_eq!(
        (
            org1.required_peer_count,
            org1.maximum_peer_count,
            org1.block_to_live
        ),
        (0, 1, 3)
    );
    assert!(org1.member_only_read && !org1.member_only_write);
    assert_eq!(collection_member_orgs(org1), ["Org1MSP"]);
    let org2 = find_collection(&pkg, "Org2MSPPrivateCollection").unwrap();
    assert_eq!(collection_member_orgs(org2), ["Org2MSP"]);

    // Compare with what the peer committed for the `private` chaincode (Go JSON rendering).
    let defs: Value = serde_json::from_slice(&vector("config/chaincode-definitions.json")).unwrap();
    let committed = defs["committed"]["chaincode_definitions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == "private")
        .unwrap()["collections"]["config"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(committed.len(), pkg.config.len());
    for (ours, theirs) in pkg.config.iter().zip(&committed) {
        let s = &theirs["Payload"]["StaticCollectionConfig"];
        let expected = StaticCollectionConfig {
            name: s["name"].as_str().unwrap().into(),
            member_orgs_policy: Some(CollectionPolicyConfig {
                payload: Some(PolicyPayload::SignaturePolicy(go_json_envelope(
                    &s["member_orgs_policy"]["Payload"]["SignaturePolicy"],
                ))),
            }),
            required_peer_count: s["required_peer_count"].as_i64().unwrap_or(0) as i32,
            maximum_peer_count: s["maximum_peer_count"].as_i64().unwrap_or(0) as i32,
            block_to_live: s["block_to_live"].as_u64().unwrap_or(0),
            member_only_read: s["member_only_read"].as_bool().unwrap_or(false),
            member_only_write: s["member_only_write"].as_bool().unwrap_or(false),
            endorsement_policy: Some(ApplicationPolicy {
                r#type: Some(AppType::SignaturePolicy(go_json_envelope(
                    &s["endorsement_policy"]["Type"]["SignaturePolicy"],
                ))),
            }),
        };
        assert_eq!(
            ours.payload,
            Some(
                fabric_sdk::protos::protos::collection_config::Payload::StaticCollectionConfig(
                    expected
                )
            )
        );
    }
}

#[test]
fn collections_endorsement_variants_and_errors() {
    let pkg = parse_collections_json(
        br#"[{"name":"c1","policy":"OR('A.member')","endorsementPolicy":{"channelConfigPolicy":"/Channel/Application/Writers"}},
            {"name":"c2","policy":"OR('A.member')","endorsementPolicy":{"signaturePolicy":""}},
            {"name":"c3","policy":"OR('A.member')","endorsementPolicy":null}]"#,
    )
    .unwrap();
    assert_eq!(
        find_collection(&pkg, "c1").unwrap().endorsement_policy,
        Some(ApplicationPolicy {
            r#type: Some(AppType::ChannelConfigPolicyReference(
                "/Channel/Application/Writers".into()
            ))
        })
    );
    assert_eq!(
        find_collection(&pkg, "c2").unwrap().endorsement_policy,
        None
    );
    assert_eq!(
        find_collection(&pkg, "c3").unwrap().endorsement_policy,
        None
    );

    let err = |j: &str| {
        parse_collections_json(j.as_bytes())
            .unwrap_err()
            .to_string()
    };
    let e = err(
        r#"[{"name":"a","policy":"OR('A.member')"},{"name":"b","policy":"OR('A.member' 'B.member')"}]"#,
    );
    assert_eq!(
        e,
        "policy: collection[1].policy: policy syntax error at position 14: expected `,` or `)`, found `'`"
    );
    let e = err(
        r#"[{"name":"a","policy":"OR('A.member')","endorsementPolicy":{"signaturePolicy":"OR('A.x')"}}]"#,
    );
    assert!(e.starts_with("policy: collection[0].endorsementPolicy.signaturePolicy: policy syntax error at position 6"), "{e}");
    let e = err(
        r#"[{"name":"a","policy":"OR('A.member')","endorsementPolicy":{"signaturePolicy":"OR('A.member')","channelConfigPolicy":"/Channel/Application/Endorsement"}}]"#,
    );
    assert!(
        e.contains("collection[0].endorsementPolicy: cannot specify both"),
        "{e}"
    );
    let e = err(r#"[{"name":"a","policy":"OR('A.member')","blockToLive":-1}]"#);
    assert!(e.contains("collection[0].blockToLive"), "{e}");
    let e = err(r#"[{"name":"a","policy":"OR('A.member')","memberOnlyRead":"yes"}]"#);
    assert!(e.contains("collection[0].memberOnlyRead"), "{e}");
    let e = err(r#"[{"name":"_a","policy":"OR('A.member')"}]"#);
    assert!(e.contains("collection[0].name"), "{e}");
    let e = err(r#"[1]"#);
    assert!(e.contains("collection[0]: expected a JSON object"), "{e}");
    assert!(err("not json").contains("not valid JSON"));
}

#[test]
fn implicit_collections() {
    assert_eq!(
        implicit_org_collection_name("Org1MSP"),
        "_implicit_org_Org1MSP"
    );
    assert!(implicit_org_collection_name("Org1MSP").starts_with(IMPLICIT_COLLECTION_PREFIX));
}

// ---------------------------------------------------------------------------------------------
// Generated valid policies

/// A valid policy string with random spellings and whitespace, plus the number of principal
/// occurrences in it.
fn valid_policy() -> impl Strategy<Value = (String, usize)> {
    let ws = "[ \t\n]{0,2}";
    let leaf = ("[A-Za-z0-9][A-Za-z0-9.-]{0,6}", 0usize..5, ws, ws).prop_map(|(msp, r, a, b)| {
        let role = ["member", "admin", "client", "peer", "orderer"][r];
        (format!("{a}'{msp}.{role}'{b}"), 1usize)
    });
    leaf.prop_recursive(4, 24, 4, move |inner| {
        (
            proptest::collection::vec(inner, 1..4),
            0usize..9,
            0usize..5,
            ws,
        )
            .prop_map(|(items, g, t, w)| {
                let names = [
                    "AND", "And", "and", "OR", "Or", "or", "OutOf", "outof", "OUTOF",
                ];
                let count = items.iter().map(|(_, c)| c).sum();
                let body = items
                    .into_iter()
                    .map(|(s, _)| s)
                    .collect::<Vec<_>>()
                    .join(",");
                let s = if g >= 6 {
                    format!(
                        "{w}{}({w}{},{body})",
                        names[g],
                        t % (count_items(&body) + 2)
                    )
                } else {
                    format!("{w}{}{w}({body}){w}", names[g])
                };
                (s, count)
            })
    })
    .prop_filter("top level must be a gate", |(s, _)| {
        !s.trim_start().starts_with('\'')
    })
}

/// Number of top-level items in a gate body (commas at nesting depth 0, plus one).
fn count_items(body: &str) -> usize {
    let mut depth = 0i32;
    let mut n = 1;
    for c in body.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => n += 1,
            _ => {}
        }
    }
    n
}

proptest! {
    #[test]
    fn generated_policies_parse_and_round_trip((s, principals) in valid_policy()) {
        let env = parse_signature_policy(&s).unwrap();
        prop_assert_eq!(env.identities.len(), principals);
        prop_assert_eq!(env.version, 0);
        let shown = to_dsl(&env).unwrap();
        prop_assert_eq!(parse_signature_policy(&shown).unwrap(), env.clone());
        // Encode / decode is the identity.
        let bytes = encode_signature_policy(&env);
        prop_assert_eq!(decode_signature_policy(&bytes).unwrap(), env);
    }
}

// ---------------------------------------------------------------------------------------------
// Robustness: errors, never panics

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn dsl_never_panics(s in "\\PC{0,64}") {
        let _ = parse_signature_policy(&s);
        let _ = parse_implicit_meta(&s);
        let _ = s.parse::<EndorsementPolicy>();
    }

    #[test]
    fn dsl_near_valid_never_panics(s in "[ANDORutfO()', .0-9a-zA-Z-]{0,48}") {
        if let Ok(env) = parse_signature_policy(&s) {
            // Whatever parses displays and re-parses to the same envelope.
            let shown = to_dsl(&env).unwrap();
            prop_assert_eq!(parse_signature_policy(&shown).unwrap(), env);
        }
    }

    #[test]
    fn collections_json_never_panics(s in "\\PC{0,128}") {
        let _ = parse_collections_json(s.as_bytes());
    }

    #[test]
    fn collections_json_structured_never_panics(
        name in "[a-zA-Z_-]{0,6}",
        policy in "[ANDOR()', .a-zA-Z]{0,24}",
        rpc in any::<i64>(), mpc in any::<i64>(), btl in any::<i64>(),
        ep in 0u8..4,
    ) {
        let ep = match ep {
            0 => "null".to_string(),
            1 => format!("{{\"signaturePolicy\":{policy:?}}}"),
            2 => "{\"channelConfigPolicy\":\"/Channel/X\"}".to_string(),
            _ => "[]".to_string(),
        };
        let json = format!(
            "[{{\"name\":{name:?},\"policy\":{policy:?},\"requiredPeerCount\":{rpc},\
             \"maxPeerCount\":{mpc},\"blockToLive\":{btl},\"endorsementPolicy\":{ep}}}]"
        );
        let _ = parse_collections_json(json.as_bytes());
    }

    #[test]
    fn decoders_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = EndorsementPolicy::decode(&bytes);
        let _ = KeyEndorsementPolicy::from_bytes(&bytes);
        let _ = parse_collections_json(&bytes);
        if let Ok(env) = decode_signature_policy(&bytes) {
            let _ = to_dsl(&env);
            let signers = [
                VerifiedSigner::new("A", Some(NodeRole::Peer), bytes.clone()),
                VerifiedSigner::new("", None, Vec::new()),
            ];
            let _ = evaluate(&env, &signers);
        }
    }

    #[test]
    fn evaluation_on_parsed_policies_never_panics(
        s in "(AND|OR|OutOf)\\((1, )?'[AB]\\.(member|peer|admin)'(, '[AB]\\.(member|peer|client)'){0,3}\\)",
        roles in proptest::collection::vec((0u8..2, 0u8..4, 0u8..4), 0..5),
    ) {
        if let Ok(env) = parse_signature_policy(&s) {
            let signers: Vec<_> = roles.iter().map(|(m, r, id)| {
                let msp = if *m == 0 { "A" } else { "B" };
                let role = [NodeRole::Client, NodeRole::Peer, NodeRole::Admin, NodeRole::Orderer][*r as usize];
                VerifiedSigner::new(msp, Some(role), sid(msp, &format!("{id}")))
            }).collect();
            let e = evaluate(&env, &signers).unwrap();
            // The verdict and the error form agree.
            prop_assert_eq!(e.satisfied, e.require_satisfied().is_ok());
        }
    }
}
