// Decodes a signed proposal and a signed transaction envelope built by MedLedger's Rust code with
// the official @hyperledger/fabric-protos, and verifies them with Node's crypto: txid, signatures,
// low-S, proposal hash, endorsements, and that the transient map stays out of the transaction.
//
// stdin: {"signedProposalB64","envelopeB64"}
// stdout: JSON report; exit code 1 on the first failed check.
import { readFileSync } from 'node:fs';
import * as crypto from 'node:crypto';
import { common, msp, peer } from '@hyperledger/fabric-protos';

const input = JSON.parse(readFileSync(0, 'utf8'));
const report = { checks: [] };
function check(name, ok, detail) {
  report.checks.push({ name, ok: !!ok, detail });
  if (!ok) {
    report.failed = name;
    process.stdout.write(JSON.stringify(report));
    process.exit(1);
  }
}
const sha256 = (...parts) => {
  const h = crypto.createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
};
const N = {
  'prime256v1': 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
  'secp384r1': 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
};
// s of a DER ECDSA signature, as a BigInt.
function derS(sig) {
  let i = 2;
  if (sig[1] & 0x80) i += sig[1] & 0x7f;
  const rLen = sig[i + 1];
  i += 2 + rLen;
  const sLen = sig[i + 1];
  return BigInt('0x' + Buffer.from(sig.subarray(i + 2, i + 2 + sLen)).toString('hex'));
}
function verifyWith(serializedIdentity, message, signature, what) {
  const id = msp.SerializedIdentity.deserializeBinary(serializedIdentity);
  const cert = new crypto.X509Certificate(Buffer.from(id.getIdBytes_asU8()));
  const key = cert.publicKey;
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (key.asymmetricKeyType === 'ec') {
    check(`${what}: signature verifies (ECDSA SHA-256)`, crypto.verify('sha256', message, key, signature));
    const s = derS(signature);
    check(`${what}: signature is low-S`, s <= N[curve] >> 1n, `curve ${curve}`);
  } else {
    check(`${what}: signature verifies (${key.asymmetricKeyType})`, crypto.verify(null, message, key, signature));
  }
  return id;
}

// --- the signed proposal
const sp = peer.SignedProposal.deserializeBinary(Buffer.from(input.signedProposalB64, 'base64'));
const proposalBytes = sp.getProposalBytes_asU8();
const proposal = peer.Proposal.deserializeBinary(proposalBytes);
const header = common.Header.deserializeBinary(proposal.getHeader_asU8());
const chBytes = header.getChannelHeader_asU8();
const shBytes = header.getSignatureHeader_asU8();
const ch = common.ChannelHeader.deserializeBinary(chBytes);
const sh = common.SignatureHeader.deserializeBinary(shBytes);
check('proposal: header type ENDORSER_TRANSACTION', ch.getType() === common.HeaderType.ENDORSER_TRANSACTION);
check('proposal: epoch 0', ch.getEpoch() === 0);
check('proposal: timestamp set', ch.hasTimestamp() && ch.getTimestamp().getSeconds() > 0);
check('proposal: nonce is 24 bytes', sh.getNonce_asU8().length === 24);
const txid = sha256(sh.getNonce_asU8(), sh.getCreator_asU8()).toString('hex');
check('proposal: txid = SHA-256(nonce ‖ creator)', txid === ch.getTxId(), `${txid} vs ${ch.getTxId()}`);
const ext = peer.ChaincodeHeaderExtension.deserializeBinary(ch.getExtension_asU8());
const cpp = peer.ChaincodeProposalPayload.deserializeBinary(proposal.getPayload_asU8());
const cis = peer.ChaincodeInvocationSpec.deserializeBinary(cpp.getInput_asU8());
const spec = cis.getChaincodeSpec();
check('proposal: chaincode named in header and spec', ext.getChaincodeId().getName() === spec.getChaincodeId().getName());
report.proposal = {
  txid: ch.getTxId(),
  channel: ch.getChannelId(),
  chaincode: spec.getChaincodeId().getName(),
  args: spec.getInput().getArgsList_asU8().map((a) => Buffer.from(a).toString()),
  transientKeys: cpp.getTransientmapMap().getEntryList().map(([k]) => k),
};
const creator = verifyWith(sh.getCreator_asU8(), proposalBytes, sp.getSignature_asU8(), 'proposal');
report.proposal.mspId = creator.getMspid();

// --- the transaction envelope
const env = common.Envelope.deserializeBinary(Buffer.from(input.envelopeB64, 'base64'));
const payloadBytes = env.getPayload_asU8();
const payload = common.Payload.deserializeBinary(payloadBytes);
const tch = payload.getHeader().getChannelHeader_asU8();
const tsh = payload.getHeader().getSignatureHeader_asU8();
check('envelope: same channel header bytes as the proposal', Buffer.compare(Buffer.from(tch), Buffer.from(chBytes)) === 0);
check('envelope: same signature header bytes as the proposal', Buffer.compare(Buffer.from(tsh), Buffer.from(shBytes)) === 0);
verifyWith(sh.getCreator_asU8(), payloadBytes, env.getSignature_asU8(), 'envelope');
const tx = peer.Transaction.deserializeBinary(payload.getData_asU8());
check('envelope: exactly one action', tx.getActionsList().length === 1);
const action = tx.getActionsList()[0];
check('envelope: action header is the SignatureHeader', Buffer.compare(Buffer.from(action.getHeader_asU8()), Buffer.from(shBytes)) === 0);
const cap = peer.ChaincodeActionPayload.deserializeBinary(action.getPayload_asU8());
const txCpp = peer.ChaincodeProposalPayload.deserializeBinary(cap.getChaincodeProposalPayload_asU8());
check('envelope: transient map removed', txCpp.getTransientmapMap().getLength() === 0);
const prpBytes = cap.getAction().getProposalResponsePayload_asU8();
const prp = peer.ProposalResponsePayload.deserializeBinary(prpBytes);
const expectedHash = sha256(chBytes, shBytes, cap.getChaincodeProposalPayload_asU8());
check('envelope: proposal hash matches', Buffer.compare(expectedHash, Buffer.from(prp.getProposalHash_asU8())) === 0);
const endorsements = cap.getAction().getEndorsementsList();
check('envelope: endorsed', endorsements.length > 0);
report.endorsers = [];
for (const e of endorsements) {
  const msg = Buffer.concat([Buffer.from(prpBytes), Buffer.from(e.getEndorser_asU8())]);
  const id = verifyWith(e.getEndorser_asU8(), msg, e.getSignature_asU8(), 'endorsement');
  report.endorsers.push(id.getMspid());
}
const ccAction = peer.ChaincodeAction.deserializeBinary(prp.getExtension_asU8());
report.result = Buffer.from(ccAction.getResponse().getPayload_asU8()).toString();
report.ok = true;
process.stdout.write(JSON.stringify(report));
