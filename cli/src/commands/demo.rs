//! `medledger demo`: the main job. At the foundation stage it runs everything that does not need
//! a running network: crypto material for the consortium, a doctor's signed proposal with PHI in
//! the transient map, the peer-side checks, two hospitals' endorsements, the endorsement policy,
//! and the signed transaction envelope.

use crate::cli::{DemoArgs, OutputFormat};
use crate::output::{Report, step};
use anyhow::{Context, anyhow, bail};
use fabric_sdk::identity::{Identity, Msp, SigningIdentity};
use fabric_sdk::policy::{VerifiedSigner, dsl, eval};
use fabric_sdk::protos::Message;
use fabric_sdk::protos::protos::{ChaincodeId, Response};
use fabric_sdk::protos::rwset::TxReadWriteSet;
use fabric_sdk::tx::{
    Endorser, ParsedProposal, ParsedTransaction, ProposalBuilder, ResponseSet, UnsignedTransaction,
};
use medledger_network::cryptogen::{self, CryptoSummary};
use medledger_network::topology::{Role, Topology};
use std::time::Instant;

const CHANNEL: &str = "medledger";
const CHAINCODE: &str = "medledger";
const HOME: &str = "SeoulMedicalCenterMSP";
const PARTNER: &str = "MyongjiHospitalMSP";
const POLICY: &str =
    "OutOf(2, 'SeoulMedicalCenterMSP.peer', 'MyongjiHospitalMSP.peer', 'NHISMSP.peer')";

pub fn run(args: &DemoArgs, format: OutputFormat) -> anyhow::Result<()> {
    let started = Instant::now();
    let temp;
    let dir = match &args.dir {
        Some(d) => d.clone(),
        None => {
            temp = tempfile::tempdir().context("cannot create a temporary directory")?;
            temp.path().join("crypto")
        }
    };

    step(
        format,
        "generating the consortium's crypto material (cryptogen)",
    );
    let summary = cryptogen::generate(&Topology::medical_default(), &dir)
        .with_context(|| format!("cannot generate crypto material into {}", dir.display()))?;

    let doctor_files = summary
        .person(HOME, Role::Doctor)
        .ok_or_else(|| anyhow!("the default topology has no doctor at {HOME}"))?;
    let doctor = SigningIdentity::from_msp_dir(&doctor_files.msp_dir, HOME)?;
    let cert = doctor.identity.certificate();
    let license = cert.attribute_value("license_no")?.unwrap_or_default();
    step(
        format,
        &format!(
            "signing as {} (role doctor, licence {license})",
            doctor_files.name
        ),
    );

    // Public arguments carry only pseudonyms and ids; the prescription itself (PHI) travels in
    // the transient map and never reaches the transaction.
    let prescription = br#"{"medications":[{"code":"645102450","name":"amoxicillin 500mg","dose":"1 cap","frequency":"TID","days":5,"route":"PO"}]}"#;
    let unsigned = ProposalBuilder::new(CHANNEL, CHAINCODE, doctor.serialized().to_vec())
        .function("IssuePrescription")
        .args(["RX-SMC-0001", "P-SMC-000001"])
        .transient("prescription", &prescription[..])
        .build()?;
    let signed = unsigned.sign(doctor.signer.as_ref())?;
    step(format, &format!("proposal {} signed", unsigned.txid()));

    // What a peer checks before simulating.
    let parsed = ParsedProposal::parse(&signed).context("the proposal is malformed")?;
    let creator = Identity::from_serialized(parsed.creator())?;
    let home_msp = org_msp(&summary, HOME)?;
    let validated = home_msp
        .verify_signature(&creator, &signed.proposal_bytes, &signed.signature)
        .context("the peer would reject the proposal's creator or signature")?;
    step(
        format,
        "peer checks passed: txid, creator certificate, signature (low-S)",
    );

    // Endorsement by two hospitals' peers.
    let mut responses = Vec::new();
    let result = br#"{"id":"RX-SMC-0001","status":"issued"}"#;
    let rwset = TxReadWriteSet {
        data_model: 0,
        ns_rwset: vec![],
    }
    .encode_to_vec();
    for msp_id in [HOME, PARTNER] {
        let peer = summary
            .peer(msp_id)
            .ok_or_else(|| anyhow!("no peer for {msp_id}"))?;
        let peer = SigningIdentity::from_msp_dir(&peer.msp_dir, msp_id)?;
        let endorser = Endorser {
            identity: peer.serialized().to_vec().into(),
            signer: peer.signer.clone(),
        };
        responses.push(endorser.endorse(
            &parsed.proposal_hash(),
            ChaincodeId {
                name: CHAINCODE.into(),
                version: "1.0".into(),
                path: String::new(),
            },
            Response {
                status: 200,
                message: String::new(),
                payload: result.to_vec().into(),
            },
            rwset.clone().into(),
            None,
        )?);
    }
    let set = ResponseSet::check(&responses)?;
    let mut endorsers: Vec<VerifiedSigner> = Vec::new();
    for e in &set.endorsements {
        let id = Identity::from_serialized(&e.endorser)?;
        let msp = org_msp(&summary, id.msp_id())?;
        let message = fabric_sdk::tx::response::endorsement_message(&set.prp, &e.endorser);
        let v = msp.verify_signature(&id, &message, &e.signature)?;
        endorsers.push(v.to_verified_signer());
    }
    let policy = dsl::parse(POLICY)?;
    let evaluation = eval::evaluate(&policy, &endorsers)?;
    evaluation
        .require_satisfied()
        .context("the endorsements do not satisfy the endorsement policy")?;
    step(
        format,
        &format!("endorsed by {HOME} and {PARTNER}; policy {POLICY} satisfied"),
    );

    // The transaction the client submits.
    let tx = UnsignedTransaction::assemble(&parsed, &set.prp, &set.endorsements)?;
    let envelope = tx.sign(doctor.signer.as_ref())?;
    let committed = ParsedTransaction::parse(&envelope)?;
    committed.check_proposal_hash()?;
    home_msp.verify_signature(&creator, &envelope.payload, &envelope.signature)?;
    if !committed.proposal_payload.transient_map.is_empty() {
        bail!("the transaction carries transient data: PHI would be on the ledger");
    }
    step(
        format,
        "transaction envelope signed and verified; no PHI in it",
    );

    let mut report =
        Report::new("MedLedger demo (foundation: identities, proposal, endorsement, transaction)");
    report.row("txid", unsigned.txid());
    report.row("channel", CHANNEL);
    report.row("chaincode", CHAINCODE);
    report.row("function", "IssuePrescription");
    report.row(
        "creator",
        format!("{} ({})", cert.subject(), validated.msp_id()),
    );
    report.row("creator_id", cert.id_string());
    report.row("endorsers", serde_json::json!([HOME, PARTNER]));
    report.row("policy", POLICY);
    report.row("proposal_bytes", signed.proposal_bytes.len());
    report.row("envelope_bytes", envelope.payload.len());
    report.row("identities_generated", summary.identities.len());
    report.row("crypto_dir", dir.display().to_string());
    report.row("elapsed_ms", started.elapsed().as_millis() as u64);
    report.print(format)?;
    if format == OutputFormat::Table {
        println!("txid: {}", unsigned.txid());
    }
    Ok(())
}

fn org_msp(summary: &CryptoSummary, msp_id: &str) -> anyhow::Result<Msp> {
    let org = summary
        .org(msp_id)
        .ok_or_else(|| anyhow!("no organization {msp_id} in the crypto material"))?;
    Msp::from_dir(&org.msp_dir, msp_id).with_context(|| format!("cannot load the MSP of {msp_id}"))
}
